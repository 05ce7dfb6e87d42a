"""Reading recorded plans in tests: find resources, parse their documents, match IAM wildcards."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_FLEET = ROOT / "cells" / "fleet.yaml"


def example_fleet_data() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE_FLEET.read_text())


def set_path(data: Any, path: str, value: Any) -> None:
    """Set the value at a dotted path (list indices as numbers) in nested dicts and lists."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def write_fleet(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclass
class PlannedStack:
    stack: str
    outputs: dict[str, Any]
    resources: list[dict[str, Any]]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def named(self, type_: str, name: str) -> dict[str, Any]:
        found = [r for r in self.of_type(type_) if r["name"] == name]
        assert len(found) == 1, f"{self.stack}: expected one {type_} named {name}, got {found}"
        return found[0]

    def attached_to(self, type_: str, bucket_urn: str) -> list[dict[str, Any]]:
        """S3 sub-resources (versioning, encryption…) joined to a bucket by dependency."""
        return [r for r in self.of_type(type_) if bucket_urn in r["dependencies"]]


def document(resource: dict[str, Any], key: str) -> dict[str, Any]:
    value = resource["inputs"][key]
    assert isinstance(value, str), f"{resource['urn']}: {key} is not a JSON document: {value!r}"
    return json.loads(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def iam_matches(pattern: str, value: str) -> bool:
    """IAM's ARN/condition wildcard semantics: '*' any run of characters, '?' one character."""
    return bool(_wildcard(pattern).fullmatch(value))


def allowed(doc: dict[str, Any], action: str, resource: str) -> bool:
    """Whether some Allow statement names this action and resource (conditions aside)."""
    for statement in as_list(doc["Statement"]):
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement.get("Action", []))
        resources = as_list(statement.get("Resource", []))
        if any(iam_matches(a, action) for a in actions) and any(
            iam_matches(r, resource) for r in resources
        ):
            return True
    return False
