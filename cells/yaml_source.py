"""Reads YAML strictly: duplicate keys are errors, and every node's line is remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cells.problems import FleetError, Problem

YamlPath = tuple[str | int, ...]


def dotted(path: YamlPath) -> str:
    return ".".join(str(part) for part in path)


def read_yaml(file: Path) -> tuple[Any, dict[str, int]]:
    """Parse a YAML document; return its data and a map from dotted path to 1-based line."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FleetError(file, [Problem("", "file-missing", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetError(file, [Problem("", "file-unreadable", f"cannot read: {exc}")]) from None
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        raise FleetError(file, [Problem("", "yaml-syntax", f"unreadable YAML: {exc}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise FleetError(file, [Problem("", "empty", "the file is empty")])
        lines: dict[str, int] = {}
        duplicates: list[Problem] = []
        _walk(node, (), lines, duplicates)
        if duplicates:
            raise FleetError(file, duplicates)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "malformed YAML"
        raise FleetError(
            file, [Problem("", "yaml-syntax", f"malformed YAML: {what}", line)]
        ) from None
    except yaml.YAMLError as exc:
        raise FleetError(file, [Problem("", "yaml-syntax", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: YamlPath, lines: dict[str, int], dups: list[Problem]) -> None:
    lines[dotted(path)] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                dups.append(
                    Problem(
                        dotted(child),
                        "duplicate-key",
                        f"key '{key}' appears twice in the same mapping; keep one",
                        key_node.start_mark.line + 1,
                    )
                )
            seen.add(key)
            _walk(value_node, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, dups)


def line_of(lines: dict[str, int], location: str) -> int | None:
    """The line of the deepest existing node on the way to `location`."""
    parts = location.split(".") if location else []
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return lines.get("")
