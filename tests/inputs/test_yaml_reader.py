"""The strict YAML reader builds the same data as `yaml.safe_load`, and its depth pre-check is
skipped only where the document provably nests less than the limit."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cells.problems import FleetError
from cells.yaml_source import (
    MAX_DEPTH,
    YamlDocument,
    _from_events,
    _from_nodes,
    _Unusual,
    nesting_bound,
    read_yaml_document,
)
from cells.yaml_values import shown

SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Scalars whose YAML 1.1 reading differs from their text, and explicit tags the fast path hands
# back to PyYAML's own constructor.
TRICKY = [
    "a: 0o17\nb: 017\nc: 0x1F\nd: 1_000\ne: 190:20:30\nf: +12\ng: -0b101\n",
    "a: 1.5e3\nb: .inf\nc: -.Inf\nd: .nan\ne: 1_0.5\nf: 6.8523015e+5\ng: 190:20:30.15\n",
    "a: yes\nb: No\nc: ON\nd: off\ne: ~\nf: null\ng:\nh: 'yes'\ni: \"1.30\"\n",
    "a: 2026-11-24\nb: 2001-12-14t21:59:43.10-05:00\nc: !!str 123\nd: !!int '7'\n",
    "base: &b {x: 1, y: [1, 2]}\nchild:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n",
    "a: !!binary aGVsbG8=\nb: !!set {x, y}\nc: !!omap [{k: 1}, {j: 2}]\n",
    "? a\n: - 1\n  - 2\n1: int key\n2.5: float key\nfalse: bool key\n~: null key\n",
    "- - - deep\n    - x\n- {a: [b, {c: d}]}\n- |\n  literal ]]]\n- >\n  folded\n",
]


def _read(tmp_path: Path, text: str) -> object:
    file = tmp_path / "doc.yaml"
    file.write_text(text, encoding="utf-8")
    return read_yaml_document(file).data


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_read_as_safe_load(tmp_path: Path, text: str) -> None:
    expected = yaml.load(text, Loader=SAFE)
    assert _read(tmp_path, text) == expected


def test_merge_keys_and_timestamps_keep_their_types(tmp_path: Path) -> None:
    data = _read(tmp_path, TRICKY[4] + "when: 2026-11-24\n")
    assert isinstance(data, dict)
    assert data["child"] == {"x": 1, "y": 3}
    assert data["when"] == datetime.date(2026, 11, 24)


@pytest.mark.parametrize("text", ["a: !custom 1\n", "? [complex, key]\n: value\n"])
def test_what_safe_load_refuses_is_a_yaml_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=SAFE)
    with pytest.raises(FleetError) as raised:
        _read(tmp_path, text)
    assert raised.value.problems[0].code == "yaml-syntax"
    assert raised.value.problems[0].line == 1


dates = st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 1, 1))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    dates,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
    st.sampled_from(["yes", "no", "on", "1.30", "0o17", "~", "null", "1e3", "<<", "2026-01-01"]),
)
# Keys YAML reads as something other than text (null, booleans, numbers, dates) among names.
keys = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none(), dates)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=documents, flow=st.sampled_from([None, True, False]), anchors=st.booleans())
def test_any_document_reads_as_safe_load(
    tmp_path: Path, data: object, flow: bool | None, anchors: bool
) -> None:
    # Keys written alike (`true` and `'true'`) are duplicates to the strict reader, on purpose.
    assume(_keys_written_apart(data))
    document = {"root": data, "again": data} if anchors else {"root": data}
    text = yaml.dump(document, Dumper=yaml.SafeDumper, default_flow_style=flow, allow_unicode=True)
    assert _read(tmp_path, text) == yaml.load(text, Loader=SAFE)


def _keys_written_apart(data: object) -> bool:
    if isinstance(data, dict):
        names = [_written(key) for key in data]
        written = [name.lower() if name.lower() in ("true", "false") else name for name in names]
        return len(set(written)) == len(written) and all(map(_keys_written_apart, data.values()))
    if isinstance(data, list):
        return all(map(_keys_written_apart, data))
    return True


def _written(key: object) -> str:
    """A key's name to the strict reader: the scalar as YAML writes it, quoted or not."""
    if key is None:
        return "null"
    if isinstance(key, bool):
        return str(key).lower()
    if isinstance(key, datetime.date):
        return key.isoformat()
    return str(key)


def test_keys_written_alike_are_duplicates(tmp_path: Path) -> None:
    text = yaml.dump({"true": 1, True: 2}, Dumper=yaml.SafeDumper)
    with pytest.raises(FleetError) as raised:
        _read(tmp_path, text)
    assert [p.code for p in raised.value.problems] == ["duplicate-key"]


def _depth(data: object) -> int:
    if isinstance(data, dict):
        return 1 + max((_depth(v) for v in data.values()), default=0)
    if isinstance(data, list):
        return 1 + max((_depth(v) for v in data), default=0)
    return 0


@settings(max_examples=150, deadline=None)
@given(data=documents, flow=st.sampled_from([None, True, False]), indent=st.integers(2, 6))
def test_the_nesting_bound_is_never_below_the_real_depth(
    data: object, flow: bool | None, indent: int
) -> None:
    text = yaml.dump({"a": data}, Dumper=yaml.SafeDumper, default_flow_style=flow, indent=indent)
    assert nesting_bound(text) >= _depth(yaml.load(text, Loader=SAFE))


@pytest.mark.parametrize(
    "text",
    [
        "- " * 40 + "x\n",
        "a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 40)) + " " * 40 + "v\n",
        "a:\n- - b\n  - c\n",
        "? ? ? x\n",
        "[" * 30 + "]" * 30 + "\n",
    ],
)
def test_hand_written_nesting_is_bounded(text: str) -> None:
    assert nesting_bound(text) >= _node_depth(yaml.compose(text, Loader=SAFE))


def _node_depth(node: yaml.Node) -> int:
    if isinstance(node, yaml.MappingNode):
        return 1 + max((_node_depth(n) for pair in node.value for n in pair), default=0)
    if isinstance(node, yaml.SequenceNode):
        return 1 + max((_node_depth(n) for n in node.value), default=0)
    return 0


def test_a_block_style_fleet_skips_the_pre_check() -> None:
    example = (Path(__file__).parents[2] / "cells" / "fleet.yaml").read_text()
    block = yaml.dump(yaml.load(example, Loader=SAFE), default_flow_style=False)
    assert nesting_bound(block) <= MAX_DEPTH


Read = YamlDocument | FleetError | yaml.YAMLError


def _both(text: str) -> tuple[Read, Read]:
    """Each path's document, or the error it raised (an unusual document goes to the nodes)."""
    file = Path("doc.yaml")

    def events() -> YamlDocument:
        try:
            return _from_events(file, text)
        except _Unusual:
            return _from_nodes(file, text)

    return _outcome(events), _outcome(lambda: _from_nodes(file, text))


def _outcome(read: Callable[[], YamlDocument]) -> Read:
    try:
        return read()
    except (FleetError, yaml.YAMLError) as error:
        return error


def _same(events: Read, nodes: Read) -> None:
    if isinstance(nodes, FleetError):
        assert isinstance(events, FleetError)
        assert events.problems == nodes.problems
    elif isinstance(nodes, yaml.YAMLError):
        assert type(events) is type(nodes)
        assert str(events) == str(nodes)
    else:
        assert isinstance(events, YamlDocument)
        assert (events.data, events.lines, events.raw_scalars, events.key_texts) == (
            nodes.data,
            nodes.lines,
            nodes.raw_scalars,
            nodes.key_texts,
        )


@settings(max_examples=200, deadline=None)
@given(
    data=documents,
    flow=st.sampled_from([None, True, False]),
    repeat=st.integers(0, 3),
    indent=st.integers(2, 5),
)
def test_events_and_nodes_read_every_plain_document_alike(
    data: object, flow: bool | None, repeat: int, indent: int
) -> None:
    """Same data, lines, raw numbers and duplicate-key problems, with keys repeated on purpose."""
    text = yaml.dump({"root": data}, Dumper=yaml.SafeDumper, default_flow_style=flow, indent=indent)
    if "&" in text or "!" in text or "<<" in text:
        return
    lines = text.splitlines()
    text = "\n".join(lines + lines[:repeat]) + "\n"  # top-level keys written again
    _same(*_both(text))


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: {c: 2, c: 3}\n",
        "a: 2026-11-24\nb: 0o17\nc: 12_000\n",
        "a: 1\n---\nb: 2\n",
        "a: *undefined\n",
        "[" * 70 + "]" * 70 + "\n",
        "\n".join(" " * i + f"k{i}:" for i in range(70)) + " v\n",
        "# only a comment\n",
        "",
        "---\n",
        "? - complex\n: key\n",
        "a: =\n",
    ],
)
def test_events_and_nodes_agree_on_edge_cases(text: str) -> None:
    _same(*_both(text))


def test_the_example_fleet_is_read_from_events_exactly() -> None:
    file = Path(__file__).parents[2] / "cells" / "fleet.yaml"
    text = file.read_text()
    events, nodes = _from_events(file, text), _from_nodes(file, text)
    assert events.data == nodes.data == yaml.load(text, Loader=SAFE)
    assert events.lines == nodes.lines
    assert events.raw_scalars == nodes.raw_scalars


@pytest.mark.parametrize(
    "text", ["a: 1\nb: [x, 2.5]\n", "a: 1\nb: {c: 2, c: 3}\n", "a: &x 1\nb: *x\n"]
)
def test_unlocated_reads_the_same_data_and_the_same_problems(tmp_path: Path, text: str) -> None:
    file = tmp_path / "doc.yaml"
    file.write_text(text)
    located = _outcome(lambda: read_yaml_document(file))
    unlocated = _outcome(lambda: read_yaml_document(file, located=False))
    if isinstance(located, YamlDocument):
        assert isinstance(unlocated, YamlDocument)
        assert unlocated.data == located.data
    else:
        _same(unlocated, located)
        assert isinstance(located, FleetError) and located.problems[0].line == 2


def _pydantic_paths(data: object, parts: tuple[object, ...] = ()) -> Iterator[tuple]:
    """Every key's and item's location as pydantic names it: a null key 'None', the key true 1,
    a date key by its repr."""
    if isinstance(data, dict):
        for key, value in data.items():
            part = "None" if key is None else int(key) if isinstance(key, bool) else key
            if isinstance(key, datetime.date):
                part = repr(key)
            yield (*parts, part), key
            yield from _pydantic_paths(value, (*parts, part))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*parts, index), None
            yield from _pydantic_paths(value, (*parts, index))


@settings(max_examples=200, deadline=None)
@given(data=documents, flow=st.sampled_from([None, True, False]), indent=st.integers(2, 5))
def test_every_location_is_found_as_written_on_its_key_line(
    data: object, flow: bool | None, indent: int
) -> None:
    """On both paths, pydantic's name for any location leads to a recorded line, and a key
    YAML reads as no text is named as written and placed on the line it is written on."""
    assume(_keys_written_apart(data))
    text = yaml.dump({"root": data}, Dumper=yaml.SafeDumper, default_flow_style=flow, indent=indent)
    lines = text.splitlines()
    for document in _both(text):
        assert isinstance(document, YamlDocument)
        for parts, key in _pydantic_paths({"root": data}):
            path = document.written_path(parts)
            assert path in document.lines, (parts, path)
            if key is not None and not isinstance(key, str):
                name = _written(key)
                assert path.endswith("." + name)
                assert name in lines[document.lines[path] - 1].lower()
            if key is None and parts[-1] == "None":
                assert path.endswith(".null") and "null" in lines[document.lines[path] - 1]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        dates,
        st.datetimes(datetime.datetime(1990, 1, 1), datetime.datetime(2100, 1, 1)),
        st.datetimes(
            datetime.datetime(1990, 1, 1),
            datetime.datetime(2100, 1, 1),
            timezones=st.integers(-12 * 60, 14 * 60).map(
                lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
            ),
        ),
    )
)
def test_values_are_shown_as_yaml_that_reads_back_as_them(value: object) -> None:
    written = shown(value)
    back = yaml.load(f"v: {written}", Loader=SAFE)["v"]
    assert back == value or (back != back and value != value), written
    assert type(back) is type(value), written


@pytest.mark.parametrize(
    ("text", "written", "earlier"),
    [
        ("bake:\n  1: x\n  0x1: y\n", "0x1", "1"),
        ("a:\n  ~: x\n  null: y\n", "null", "~"),
        ("a:\n  1: x\n  true: y\n", "true", "1"),
        ("a:\n  yes: x\n  on: y\n", "on", "yes"),
        ("a:\n  2.0: x\n  2: y\n", "2", "2.0"),
        ("a: &x 1\nb:\n  1: x\n  01: y\n", "01", "1"),
    ],
)
def test_keys_written_apart_that_yaml_reads_alike_are_duplicates(
    text: str, written: str, earlier: str
) -> None:
    """Else the data would keep only the last of the two values, silently."""
    for read in _both(text):
        assert isinstance(read, FleetError), read
        (problem,) = read.problems
        line = text.splitlines().index(f"  {written}: y") + 1
        assert (problem.code, problem.line) == ("duplicate-key", line)
        assert problem.message.startswith(f"key '{written}' reads as ")
        assert problem.message.endswith(f", the same key as '{earlier}' before it; keep one")
    _same(*_both(text))


# Names YAML writes plain (not `no`, `on`, `null`, ...).
names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda name: yaml.load(name, Loader=SAFE) == name
)
plain_documents = st.recursive(
    st.one_of(st.integers(-100, 100), names, st.booleans(), dates),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3),
        st.dictionaries(names, children, min_size=1, max_size=3),
    ),
    max_leaves=15,
)
KEY_LINE = re.compile(r"^((?:\s*- )*\s*)[a-z_]+:")


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(names, plain_documents, min_size=1, max_size=4),
    where=st.integers(0, 10**6),
    opened=st.sampled_from(["[a, b", "{a: 1, b: 2", "[a, [b, c]", "'no end", '"no end']),
    indent=st.integers(2, 4),
)
def test_an_unclosed_bracket_or_quote_is_reported_where_it_was_opened(
    data: dict[str, object], where: int, opened: str, indent: int
) -> None:
    """Anywhere in a block document, both paths report the line the bracket or quote was
    opened on, whatever YAML met before it noticed."""
    lines = yaml.dump(data, Dumper=yaml.SafeDumper, default_flow_style=False, indent=indent)
    lines = lines.splitlines()
    keyed = [n for n, line in enumerate(lines) if KEY_LINE.match(line)]
    at = keyed[where % len(keyed)]
    column = len(KEY_LINE.match(lines[at]).group(1))  # type: ignore[union-attr]
    lines.insert(at + 1, " " * column + "zz_opened: " + opened)
    text = "\n".join(lines) + "\n"
    assume("'" not in text.replace(opened, "") and '"' not in text.replace(opened, ""))
    for selects_path in ("", "# & selects the node path\n"):
        with pytest.raises(FleetError) as raised:
            read_yaml_document(Path("doc.yaml"), text=text + selects_path)
        (problem,) = raised.value.problems
        assert problem.line == at + 2, (text, problem)
        assert problem.message.startswith(("unclosed", "the quoted value opened here")), problem
