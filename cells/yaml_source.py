"""Reads YAML strictly: duplicate keys are errors, every node's line is remembered, and
documents that nest too deeply or expand aliases without bound are refused before they are built."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cells.collector import paused
from cells.files import read_text
from cells.problems import FleetError, Problem
from cells.yaml_values import described, shown

# A fleet file nests about ten levels; anything near a hundred is a mistake or an attack.
MAX_DEPTH = 64
# Aliases may repeat a node; expanded, the document may grow by at most this many nodes plus
# a few times its own size (a "billion laughs" document grows exponentially).
ALIAS_GROWTH_ALLOWANCE = 10_000
ALIAS_GROWTH_FACTOR = 4
NUMERIC_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
# Scalars whose source text is kept: YAML reads them as something other than the text written.
RAW_TAGS = NUMERIC_TAGS | {"tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}


@dataclass
class YamlDocument:
    """The data, each dotted path's 1-based line (a mapping entry's is its key's line), the
    source text of scalars that YAML read as numbers, booleans, dates or null (so that `1.30`,
    read as 1.3, can be quoted back to its author), and the text of every key that YAML read as
    something other than text, by (its mapping's path, the key's type, the key).

    A dotted path names each key by the text written (`fleet.~`, not `fleet.None`)."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    raw_scalars: dict[str, str] = field(default_factory=dict)
    key_texts: dict[tuple[str, type, Any], str] = field(default_factory=dict)
    # Quoted scalars as written, quotes and all: `"1"` is text to YAML, though it looks a number.
    quoted: dict[str, str] = field(default_factory=dict)

    def written_path(self, parts: Iterable[str | int]) -> str:
        """The dotted path, keys as written, of a location in the data: pydantic's (which names
        a null key 'None' and the key true 1) or one of ours (`cells.3.region`)."""
        path, node = "", self.data
        for part in parts:
            text = str(part)
            if isinstance(node, dict):
                key = _key_for(node, part)
                if key is _ABSENT:
                    node = None
                else:
                    if type(key) is not str:
                        text = self.key_texts.get((path, type(key), key)) or shown(key)
                    node = node[key]
            elif isinstance(node, list) and text.isdigit() and int(text) < len(node):
                node = node[int(text)]
            else:
                node = None
            path = f"{path}.{text}" if path else text
        return path


_ABSENT = object()


def _key_for(mapping: dict[Any, Any], part: str | int) -> Any:
    if part in mapping:  # the key itself, or one equal to it (pydantic gives the key true as 1)
        return part if type(part) is str else next(key for key in mapping if key == part)
    for key in mapping:
        if type(key) is not str and part in (str(key), repr(key)):
            return key
    return _ABSENT


def read_yaml(file: Path) -> tuple[Any, dict[str, int]]:
    """Parse a YAML document; return its data and a map from dotted path to 1-based line."""
    document = read_yaml_document(file)
    return document.data, document.lines


def read_yaml_document(
    file: Path, *, located: bool = True, text: str | None = None
) -> YamlDocument:
    """`located=False` leaves `lines`, `raw_scalars` and `key_texts` empty where it can (a third
    faster), for callers that read the file again, located, only when they have a problem to
    report. `text` is the file's text when the caller has read it already."""
    if text is None:
        text = read_text(file)
    with paused():
        return _read(file, text, located)


def _read(file: Path, text: str, located: bool) -> YamlDocument:
    try:
        try:
            if not _NEEDS_NODES.search(text):
                try:
                    return _from_events(file, text, located)
                except _Unusual:
                    pass
            return _from_nodes(file, text)
        except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
            raise FleetError(
                file, [Problem("", "number-too-large", f"a number cannot be read: {exc}")]
            ) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(file, exc, text) from None
    except yaml.reader.ReaderError as exc:
        raise _unreadable_character(file, exc, text) from None
    except yaml.YAMLError as exc:
        raise FleetError(file, [Problem("", "yaml-syntax", f"malformed YAML: {exc}")]) from None


# Anchors, explicit tags and merge keys need PyYAML's node graph and constructor; documents
# without them are built straight from the parser's events, without holding a node per value.
_NEEDS_NODES = re.compile(r"[&!]|<<")


class _Unusual(Exception):
    """The document holds something only the node graph reads exactly: an alias, a complex key,
    a tag without a plain constructor, a second document."""


def _from_nodes(file: Path, text: str) -> YamlDocument:
    try:
        if _LIBYAML is not None and nesting_bound(text) > MAX_DEPTH:
            # libyaml composes nodes recursively in C, where nesting without bound would crash
            # the process instead of raising: its event stream, flat, is measured first.
            _check_depth(file, _LIBYAML(text))
        loader = (_LIBYAML or _BoundedLoader)(text)
    except (yaml.MarkedYAMLError, yaml.reader.ReaderError):
        raise
    except yaml.YAMLError as exc:
        raise FleetError(file, [Problem("", "yaml-syntax", f"unreadable YAML: {exc}")]) from None
    try:
        try:
            node = loader.get_single_node()
        except _TooDeep as deep:
            raise _too_deep(file, deep.line) from None
        except RecursionError:
            raise _too_deep(file, None) from None
        except yaml.composer.ComposerError as exc:
            if "another document" not in (exc.problem or ""):
                raise
            raise _second_document(file, exc.problem_mark) from None
        if node is None:
            raise FleetError(file, [Problem("", "empty", "the file is empty")])
        walk = _Walk(file, loader, anchored="&" in text)
        data = walk.visit(node, "", 0)
        if walk.duplicates:
            raise FleetError(file, walk.duplicates)
        return YamlDocument(data, walk.lines, walk.raw_scalars, walk.key_texts, walk.quoted)
    finally:
        loader.dispose()


def _from_events(file: Path, text: str, located: bool = True) -> YamlDocument:
    try:
        loader = (_LIBYAML or _BoundedLoader)(text)
    except yaml.YAMLError:
        raise _Unusual from None
    try:
        build = _EventBuilder(file, loader, located)
        document = build.document()
    finally:
        loader.dispose()
    if build.duplicates:
        if not located:
            return _from_events(file, text)
        raise FleetError(file, build.duplicates)
    return document


# Block collections nest by indentation, or compactly after `- `, `? ` and `: ` at a line's
# start; flow collections by brackets.
_LINE_START = re.compile(r"^[ \t?:-]*", re.MULTILINE)


def nesting_bound(text: str) -> int:
    """An upper bound on how deeply `text` nests, found without parsing it.

    A nested block collection starts at a greater column than its parent, except a sequence
    that is a mapping's value, whose items are again further in; its column is at most the
    indentation and indicators that start its line. Every flow level needs a bracket, and
    brackets inside strings only make the bound larger.
    """
    widest = max(map(len, _LINE_START.findall(text)), default=0)
    return 2 * (widest + 1) + text.count("[") + text.count("{")


# The C parser (libyaml) where PyYAML was built with it: the same documents, marks and errors,
# parsed ten times faster than the pure-Python one.
_CSAFE: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def _memoised(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    class Memoised(base):  # type: ignore[valid-type,misc]
        """Resolves each distinct scalar once: a fleet file repeats most of its values."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._tags: dict[tuple[Any, Any, Any], str] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            key = (kind, value, implicit)
            tag = self._tags.get(key)
            if tag is None:
                tag = self._tags[key] = super().resolve(kind, value, implicit)
            return tag

    return Memoised


_LIBYAML = _memoised(_CSAFE) if _CSAFE is not None else None
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_depth(file: Path, events: Any) -> None:
    depth = 0
    try:
        while (event := events.get_event()) is not None:
            if isinstance(event, _OPENS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(file, event.start_mark.line + 1)
            elif isinstance(event, _CLOSES):
                depth -= 1
    finally:
        events.dispose()


def _syntax_error(file: Path, exc: yaml.MarkedYAMLError, text: str) -> FleetError:
    """One problem at the line the mistake is on: where a bracket or quote was opened when
    YAML only notices much later that it never closed, else where YAML stopped."""
    problem, context = exc.problem or "", exc.context or ""
    at, opened = exc.problem_mark, exc.context_mark
    noticed = f"YAML noticed at line {at.line + 1}: {problem}" if at is not None else problem
    if "another document" in problem or "expected <document start>" in problem:
        return _second_document(file, at, after_end="<document start>" in problem)
    indented = _indented_by_nbsp(text, at)
    if indented is not None:
        return FleetError(
            file,
            [
                Problem(
                    "",
                    "yaml-syntax",
                    f"a non-breaking space (U+00A0) indents line {indented}: YAML indents with "
                    "spaces only; replace it with spaces",
                    indented,
                )
            ],
        )
    if opened is not None and problem == "could not find expected ':'":
        written = _written_from(text, opened)
        return _syntax(
            file,
            "yaml-syntax",
            f"{written} is a key without ': ' after it (a key needs ': ' after it): write "
            f"{_with_colon(written)} ({noticed})",
            opened,
        )
    if opened is not None and problem.startswith("did not find expected ','"):
        inside = _runaway_quote(text, at, after=opened)
        if inside is not None:
            quote, start = inside
            return _syntax(
                file,
                "yaml-syntax",
                f"the quoted value opened here with {quote} (column {start.column + 1}) is never "
                f"closed on its line: add the closing {quote} ({noticed})",
                start,
            )
        bracket, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return _syntax(
            file,
            "yaml-syntax",
            f"unclosed {bracket} opened here (column {opened.column + 1}): close it with "
            f"'{closing}', or separate its items with ',' ({noticed})",
            opened,
        )
    if opened is not None and context == "while scanning a quoted scalar":
        quote = _char_at(text, opened) or '"'
        return _syntax(
            file,
            "yaml-syntax",
            f"the quoted value opened here with {quote} (column {opened.column + 1}) is never "
            f"closed: add the closing {quote} ({noticed})",
            opened,
        )
    found = _char_at(text, at)
    if "tab character" in problem or (found == "\t" and "cannot start any token" in problem):
        return _syntax(
            file,
            "yaml-syntax",
            "a tab character: YAML indents with spaces only; replace the tab with spaces",
            at,
        )
    if "cannot start any token" in problem and found:
        return _syntax(
            file, "yaml-syntax", f"{found!r} cannot start a plain value: quote the value", at
        )
    if "unknown escape character" in problem:
        escape = _text_at(text, at, 2)
        return _syntax(
            file,
            "yaml-syntax",
            f"unknown escape {escape} in a double-quoted value: write \\\\ for a backslash, or "
            "quote the value with ' instead",
            at,
        )
    runaway = _runaway_quote(text, at)
    if runaway is not None:
        quote, start = runaway
        return _syntax(
            file,
            "yaml-syntax",
            f"the quoted value opened here with {quote} (column {start.column + 1}) runs on to "
            f"line {at.line + 1}: close it on this line ({noticed})",
            start,
        )
    if at is not None and opened is not None and opened.line != at.line:
        context = f"{context} started at line {opened.line + 1}"
    what = "; ".join(part for part in (problem, context) if part) or "malformed YAML"
    hint = _HINTS.get(problem, "")
    return _syntax(file, "yaml-syntax", f"malformed YAML: {what}{hint}", at or opened)


def _runaway_quote(text: str, at: Any, after: Any = None) -> tuple[str, Any] | None:
    """A quoted value that spans lines and ends on the line YAML stopped at: its closing quote
    is most likely missing, and it ran on to the next quote of its kind. `after` (a flow
    collection's start) asks instead for such a value inside the collection, ending anywhere
    up to that line: it swallowed the closing bracket."""
    if at is None:
        return None
    scanner = (_CSAFE or yaml.SafeLoader)(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if token.start_mark.line > at.line:
                return None
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in _QUOTES
                and token.start_mark.line < token.end_mark.line
                and (
                    token.end_mark.line == at.line
                    if after is None
                    else token.start_mark.index >= after.index
                )
            ):
                return token.style, token.start_mark
    except yaml.YAMLError:
        return None
    finally:
        scanner.dispose()
    return None


def _second_document(file: Path, mark: Any, after_end: bool = False) -> FleetError:
    return _syntax(
        file,
        "yaml-multiple-documents",
        (
            "a second YAML document starts here, after the '...' that ends the first; the "
            "file must hold exactly one: remove the '...' or what follows it"
            if after_end
            else "a second YAML document starts at this '---'; the file must hold exactly "
            "one: remove the '---' and merge what follows into the document above, or delete it"
        ),
        mark,
    )


# What to do, for the messages of mistakes YAML already finds at the right line.
_HINTS = {
    "did not find expected key": ": indent this line like the keys of its mapping",
    "did not find expected '-' indicator": ": indent this line like the items of its list",
    "mapping values are not allowed in this context": (
        ": quote the value if it holds ': ', or indent this line like its siblings"
    ),
}


def _syntax(file: Path, code: str, message: str, mark: Any) -> FleetError:
    return FleetError(
        file, [Problem("", code, message, mark.line + 1 if mark is not None else None)]
    )


def _text_at(text: str, mark: Any, length: int) -> str:
    """The `length` characters at a parser's mark (line and column count characters)."""
    if mark is None:
        return ""
    lines = _LINE_BREAK.split(text)
    return lines[mark.line][mark.column : mark.column + length] if mark.line < len(lines) else ""


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # YAML's line breaks


def _indented_by_nbsp(text: str, at: Any) -> int | None:
    """The first line, up to where YAML stopped, indented with a non-breaking space: it looks
    like a space but YAML reads it as text."""
    if "\u00a0" not in text:
        return None
    lines = _LINE_BREAK.split(text)
    for number, line in enumerate(lines[: at.line + 1 if at is not None else None], 1):
        if "\u00a0" in line[: len(line) - len(line.lstrip(" \t\u00a0"))]:
            return number
    return None


def _written_from(text: str, mark: Any) -> str:
    """What is written on a mark's line from the mark on, without a trailing comment."""
    lines = _LINE_BREAK.split(text)
    line = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
    return re.split(r"\s#", line, maxsplit=1)[0].strip()


def _with_colon(written: str) -> str:
    """`production:true` as `production: true`, `sizes` as `sizes:`."""
    key, colon, value = written.partition(":")
    return f"{key}: {value}" if colon and value else f"{written.rstrip(':')}:"


def _char_at(text: str, mark: Any) -> str:
    return _text_at(text, mark, 1)


def _unreadable_character(file: Path, exc: yaml.reader.ReaderError, text: str) -> FleetError:
    # libyaml counts the position in UTF-8 bytes, PyYAML's own reader in characters.
    if _LIBYAML:
        before = text.encode("utf-8")[: exc.position].decode("utf-8", "replace")
    else:
        before = text[: exc.position]
    character = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return FleetError(
        file,
        [
            Problem(
                "",
                "yaml-syntax",
                f"character U+{character:04X} is not allowed in YAML ({exc.reason}): remove it, "
                "or write it as an escape in a double-quoted value",
                before.count("\n") + 1,
            )
        ],
    )


def _too_deep(file: Path, line: int | None) -> FleetError:
    return FleetError(
        file,
        [
            Problem(
                "",
                "yaml-too-deep",
                f"the document nests more than {MAX_DEPTH} levels deep; a fleet file needs "
                "about ten: flatten it",
                line,
            )
        ],
    )


class _TooDeep(Exception):
    def __init__(self, line: int | None) -> None:
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """Stops composing past MAX_DEPTH levels: a deeply nested document is refused at once,
    at its line, instead of after thousands of recursive calls."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark
                raise _TooDeep(mark.line + 1 if mark is not None else None)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _Walk:
    """One pass over the composed node graph that builds the data and records lines, duplicate
    keys, raw numeric scalars, and the bounds on depth, alias cycles and alias expansion.

    Plain mappings, sequences and the core scalar tags are built here; anything else (merge
    keys, timestamps, explicit tags) is left to the loader's own constructor, so the data is
    what `yaml.safe_load` gives."""

    def __init__(self, file: Path, loader: yaml.SafeLoader, anchored: bool) -> None:
        self.file = file
        # Without an anchor there is no alias, and nothing to bound.
        self.anchored = anchored
        self.loader = loader
        self.scalars = {
            _STR: lambda node: node.value,
            _INT: loader.construct_yaml_int,
            _FLOAT: loader.construct_yaml_float,
            _BOOL: loader.construct_yaml_bool,
            _NULL: lambda node: None,
        }
        self.lines: dict[str, int] = {}
        self.raw_scalars: dict[str, str] = {}
        self.key_texts: dict[tuple[str, type, Any], str] = {}
        self.quoted: dict[str, str] = {}
        self.duplicates: list[Problem] = []
        self.distinct: set[int] = set()
        self.visits = 0
        self.on_path: set[int] = set()

    def visit(self, node: yaml.Node, key: str, depth: int, key_line: int | None = None) -> Any:
        """`key` is the node's dotted path, built as the walk descends (not joined per node);
        `key_line` the line of the key a mapping's value is written under."""
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise _too_deep(self.file, line)
        if self.anchored:
            self._bound_aliases(node, key, line)
        self.lines[key] = key_line or line
        if isinstance(node, yaml.ScalarNode):
            if node.tag in RAW_TAGS:
                self.raw_scalars[key] = node.value
            elif node.style in _QUOTES:
                self.quoted[key] = _as_quoted(node.value, node.style)
            build = self.scalars.get(node.tag)
            return build(node) if build else self.loader.construct_object(node, deep=True)
        if self.anchored:
            self.on_path.add(id(node))
        prefix = f"{key}." if key else ""
        plain = node.tag == _MAP or node.tag == _SEQ
        data: Any
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            read_as: dict[Any, str] = {}
            data = {}
            for key_node, value_node in node.value:
                name = str(key_node.value)
                child = prefix + name
                scalar = isinstance(key_node, yaml.ScalarNode)
                build = self.scalars.get(key_node.tag) if scalar else None
                if scalar and key_node.tag in _CONSTANT_TAGS:  # a key YAML reads as no text
                    built = (build or self.loader.construct_object)(key_node)
                    self.key_texts[(key, type(built), built)] = name
                    mark = key_node.start_mark
                    _check_key(self.duplicates, child, name, mark, seen, read_as, built)
                else:
                    _check_key(self.duplicates, child, name, key_node.start_mark, seen)
                value = self.visit(value_node, child, depth + 1, key_node.start_mark.line + 1)
                if build is None:
                    plain = False
                elif plain:
                    data[build(key_node)] = value
        else:
            data = [
                self.visit(item, f"{prefix}{index}", depth + 1)
                for index, item in enumerate(node.value)
            ]
        if self.anchored:
            self.on_path.discard(id(node))
        return data if plain else self.loader.construct_object(node, deep=True)

    def _bound_aliases(self, node: yaml.Node, key: str, line: int) -> None:
        if id(node) in self.on_path:
            raise FleetError(
                self.file,
                [
                    Problem(
                        key,
                        "yaml-recursive-alias",
                        "an alias refers to a node that contains it (a recursive alias); "
                        "write the value out instead",
                        line,
                    )
                ],
            )
        self.visits += 1
        self.distinct.add(id(node))
        if self.visits > ALIAS_GROWTH_FACTOR * len(self.distinct) + ALIAS_GROWTH_ALLOWANCE:
            raise FleetError(
                self.file,
                [
                    Problem(
                        key,
                        "yaml-alias-expansion",
                        "aliases expand this document far beyond its written size; "
                        "write repeated values out or use fewer nested aliases",
                        line,
                    )
                ],
            )


_QUOTES = ('"', "'")


def _as_quoted(value: str, quote: str) -> str:
    """A quoted scalar written back as its author quoted it (JSON's escapes are YAML's)."""
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


_CONSTANT_TAGS = {_INT, _FLOAT, _BOOL, _NULL, "tag:yaml.org,2002:timestamp"}


class _EventBuilder:
    """Builds the data, lines, raw numeric scalars and duplicate keys from the event stream, as
    `_Walk` does from nodes, for documents without anchors, explicit tags or merge keys. Depth
    is counted as the events arrive, so nesting is refused before anything recurses."""

    def __init__(self, file: Path, loader: yaml.SafeLoader, located: bool) -> None:
        self.file = file
        self.loader = loader
        # Unlocated, no dotted path is built: the lines are only read back to report problems.
        self.located = located
        self.next = loader.get_event
        self.lines: dict[str, int] = {}
        self.raw_scalars: dict[str, str] = {}
        self.key_texts: dict[tuple[str, type, Any], str] = {}
        self.quoted: dict[str, str] = {}
        self.duplicates: list[Problem] = []
        # Scalars that read as the same immutable value are built once, and a text repeated
        # (every key, most values) is kept once: the parser returns a new string each time.
        self.constants: dict[tuple[str, str], Any] = {}
        self.texts: dict[str, str] = {}

    def document(self) -> YamlDocument:
        self.next()  # the stream's start
        event = self.next()
        if isinstance(event, yaml.StreamEndEvent):
            raise FleetError(self.file, [Problem("", "empty", "the file is empty")])
        if not isinstance(event, yaml.DocumentStartEvent):
            raise _Unusual
        event = self.next()
        data = self.value(event, "", 0, event.start_mark.line + 1)
        if not isinstance(self.next(), yaml.DocumentEndEvent):
            raise _Unusual
        event = self.next()
        if isinstance(event, yaml.DocumentStartEvent):
            raise _second_document(self.file, event.start_mark)
        if not isinstance(event, yaml.StreamEndEvent):
            raise _Unusual
        return YamlDocument(data, self.lines, self.raw_scalars, self.key_texts, self.quoted)

    def value(self, event: yaml.Event, key: str, depth: int, key_line: int) -> Any:
        """`key_line` is the line of the key a mapping's value is written under, else the
        value's own line."""
        if self.located:
            self.lines[key] = key_line
        kind = type(event)
        if kind is yaml.ScalarEvent:
            tag = self.scalar_tag(event)
            if self.located:
                if tag in RAW_TAGS:
                    self.raw_scalars[key] = event.value
                elif event.style in _QUOTES:
                    self.quoted[key] = _as_quoted(event.value, event.style)
            return self.scalar(event, tag)
        if kind is yaml.MappingStartEvent:
            self.open(event, yaml.MappingNode, _MAP, depth)
            return self.mapping(key, depth)
        if kind is yaml.SequenceStartEvent:
            self.open(event, yaml.SequenceNode, _SEQ, depth)
            prefix = f"{key}." if key else ""
            items = []
            while type(event := self.next()) is not yaml.SequenceEndEvent:
                if self.located:
                    child, line = f"{prefix}{len(items)}", event.start_mark.line + 1
                else:
                    child, line = "", 0
                items.append(self.value(event, child, depth + 1, line))
            return items
        raise _Unusual  # an alias

    def mapping(self, key: str, depth: int) -> dict[Any, Any]:
        prefix = f"{key}." if key else ""
        data: dict[Any, Any] = {}
        seen: set[str] = set()
        read_as: dict[Any, str] = {}
        while type(event := self.next()) is not yaml.MappingEndEvent:
            if type(event) is not yaml.ScalarEvent:
                raise _Unusual  # a complex key
            name = str(event.value)
            if self.located:
                child, line = prefix + name, event.start_mark.line + 1
            else:
                child, line = "", 0
            name_key = self.scalar(event, self.scalar_tag(event))
            if type(name_key) is str:
                if name in seen:
                    self.duplicates.append(_duplicate_key(child, name, event.start_mark))
                seen.add(name)
            else:  # a key YAML reads as no text
                if self.located:
                    self.key_texts[(key, type(name_key), name_key)] = name
                _check_key(self.duplicates, child, name, event.start_mark, seen, read_as, name_key)
            data[name_key] = self.value(self.next(), child, depth + 1, line)
        return data

    def open(self, event: Any, kind: type[yaml.Node], plain: str, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise _too_deep(self.file, event.start_mark.line + 1)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)
        if tag != plain or event.anchor is not None:
            raise _Unusual

    def scalar_tag(self, event: Any) -> str:
        if event.anchor is not None:
            raise _Unusual
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        return str(tag)

    def scalar(self, event: Any, tag: str) -> Any:
        if tag == _STR:
            return self.texts.setdefault(event.value, event.value)
        if tag not in _CONSTANT_TAGS:
            raise _Unusual  # a merge key, or a tag PyYAML's constructor decides
        try:
            return self.constants[(tag, event.value)]
        except KeyError:
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
            built = self.loader.yaml_constructors[tag](self.loader, node)
            self.constants[(tag, event.value)] = built
            return built


def _check_key(
    duplicates: list[Problem],
    location: str,
    name: str,
    mark: Any,
    seen: set[str],
    read_as: dict[Any, str] | None = None,
    built: Any = None,
) -> None:
    """A key written twice, or written two ways that YAML reads as one (`1` and `0x1`, `~` and
    `null`, `1` and `true`): the data would silently keep only the last value."""
    if name in seen:
        duplicates.append(_duplicate_key(location, name, mark))
    elif read_as is not None and built in read_as:
        duplicates.append(
            Problem(
                location,
                "duplicate-key",
                f"key '{name}' reads as {described(built)}, the same key as "
                f"'{read_as[built]}' before it; keep one",
                mark.line + 1,
            )
        )
    seen.add(name)
    if read_as is not None:
        read_as.setdefault(built, name)


def _duplicate_key(location: str, name: str, mark: Any) -> Problem:
    return Problem(
        location,
        "duplicate-key",
        f"key '{name}' appears twice in the same mapping; keep one",
        mark.line + 1,
    )


def line_of(lines: dict[str, int], location: str) -> int | None:
    """The line of the deepest existing node on the way to `location`."""
    parts = location.split(".") if location else []
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return lines.get("")
