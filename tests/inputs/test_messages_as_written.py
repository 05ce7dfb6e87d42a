"""`cellctl validate` says where a mistake is written and shows what was written: the key's own
line and text, the line a bracket or quote was opened on, a date as `2026-01-01`, never a Python
repr. Each case runs on both of the reader's paths: the event stream, and the node graph (which
any `&` in the file selects; a trailing comment holds one without moving a line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.loader import load_fleet
from cells.problems import FleetError
from tests.helpers import EXAMPLE_FLEET
from tests.inputs.conftest import run

EXAMPLE = EXAMPLE_FLEET.read_text()
PATHS = {"events": "", "nodes": "# & selects the node path\n"}
PYTHON_REPRS = re.compile(r"datetime\.|\bNone\b|\bTrue\b|\bFalse\b|(?<![.\w])inf\b")


def _edited(old: str, new: str) -> str:
    assert EXAMPLE.count(old) == 1, old
    return EXAMPLE.replace(old, new)


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def _validate(tmp_path: Path, text: str, path: str) -> list[tuple[str, str, str, str]]:
    """Each reported problem as (line, field, code, message); exit 2, no traceback."""
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(text + PATHS[path], encoding="utf-8")
    result = run("validate", fleet_file)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"error: {fleet_file}"), result.output
    assert lines[1].split() == ["line", "field", "code", "problem"]
    rows = [tuple(re.split(r"\s{2,}", line.strip(), maxsplit=3)) for line in lines[2:]]
    assert all(len(row) == 4 for row in rows), result.output
    return rows  # type: ignore[return-value]


def _one(tmp_path: Path, text: str, path: str) -> tuple[int, str, str, str]:
    rows = _validate(tmp_path, text, path)
    assert len(rows) == 1, rows
    line, field, code, message = rows[0]
    return int(line), field, code, message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("written", "extra"),
    [("~", " 3"), ("null", " 3"), ("Null", " 3"), ("~", "\n    region: x"), ("null", " {a: 1}")],
)
def test_a_null_key_is_named_as_written_on_its_own_line(
    tmp_path: Path, path: str, written: str, extra: str
) -> None:
    text = _edited("  production: true ", f"  {written}:{extra}\n  production: true ")
    line, field, code, message = _one(tmp_path, text, path)
    assert line == _line_of(text, f"  {written}:")
    assert field == f"fleet.{written}"
    assert code == "invalid-key"
    assert message.startswith(f"a null key ({written})") and "allowed here: name," in message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("written", "reads_as"),
    [("yes", "the boolean true"), ("0x1F", "the number 31"), ("2026-01-01", "a date")],
)
def test_a_key_yaml_reads_as_no_text_is_named_as_written(
    tmp_path: Path, path: str, written: str, reads_as: str
) -> None:
    text = _edited("  production: true ", f"  {written}: 3\n  production: true ")
    line, field, code, message = _one(tmp_path, text, path)
    assert (line, field, code) == (
        _line_of(text, f"  {written}:"),
        f"fleet.{written}",
        "invalid-key",
    )
    assert f"YAML reads the key {written} as {reads_as}" in message


@pytest.mark.parametrize("path", PATHS)
def test_an_unknown_key_with_a_block_value_is_reported_on_the_key_line(
    tmp_path: Path, path: str
) -> None:
    text = _edited("  production: true ", "  bogus:\n    a: 1\n  production: true ")
    line, field, code, _ = _one(tmp_path, text, path)
    assert (line, field, code) == (_line_of(text, "bogus:"), "fleet.bogus", "extra-forbidden")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new", "bracket"),
    [
        ("[payments-flink-artifacts]", "[payments-flink-artifacts, b", "["),
        ("{cpu: 1, memory_mb: 2048}", "{cpu: 1, memory_mb: 2048", "{"),
        ("{0: 1h, 1: 2h}", "{0: 1h, 1: [2h}", "["),
    ],
)
def test_an_unclosed_flow_collection_points_where_it_was_opened(
    tmp_path: Path, path: str, old: str, new: str, bracket: str
) -> None:
    text = _edited(old, new)
    line, field, code, message = _one(tmp_path, text, path)
    opened = _line_of(text, new)
    assert (line, field, code) == (opened, "(file)", "yaml-syntax")
    column = text.splitlines()[opened - 1].index(new) + new.rindex(bracket) + 1
    assert message.startswith(f"unclosed {bracket} opened here (column {column})")
    noticed = int(re.search(r"YAML noticed at line (\d+)", message).group(1))  # type: ignore[union-attr]
    assert noticed >= opened


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  name: payments",
            "  name: 2026-01-01",
            'reads 2026-01-01 as a date, not as text; quote it: "2026-01-01"',
        ),
        ("  name: payments", "  name: 2026-01-01T10:00:00Z", "as a timestamp, not as text"),
        (
            "  name: payments",
            "  name: on",
            'YAML reads on as the boolean true, not as text; quote it: "on"',
        ),
        ("  name: payments", "  name: .inf", "YAML reads .inf as the number .inf, not as text"),
        ("  name: payments", "  name: 1.5e+3", "YAML reads 1.5e+3 as the number 1500.0"),
        ("  name: payments", "  name: ~", "~ is YAML's null (no value); write the text"),
        ("  name: payments", "  name:", "the value is empty; write the text"),
        ("noncurrent_version_days: 30", "noncurrent_version_days: 2026-01-01", "(got 2026-01-01)"),
        ("noncurrent_version_days: 30", "noncurrent_version_days: .inf", "(got .inf)"),
        ("noncurrent_version_days: 30", "noncurrent_version_days: Off", "got the boolean Off"),
        ("noncurrent_version_days: 30", "noncurrent_version_days: 1e3", "write it out: 1000"),
        ("production: true ", "production: 2026-01-01 ", "(got 2026-01-01)"),
        ("production: true ", "production: ~ ", "(got ~)"),
    ],
)
def test_values_are_shown_as_written(
    tmp_path: Path, path: str, old: str, new: str, expected: str
) -> None:
    text = _edited(old, new)
    line, field, _, message = _one(tmp_path, text, path)
    assert line == _line_of(text, new)
    assert field == "fleet." + new.split(":")[0].strip()
    assert expected in message
    assert not PYTHON_REPRS.search(message), message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("separator", ["---", "--- # the staging fleet", "...\n---", "---\n"])
def test_a_second_document_is_named_at_its_separator(
    tmp_path: Path, path: str, separator: str
) -> None:
    text = EXAMPLE + f"{separator}\nfleet: {{name: other}}\n"
    line, field, code, message = _one(tmp_path, text, path)
    second = len(EXAMPLE.splitlines()) + separator[: separator.rindex("---")].count("\n") + 1
    assert (line, field, code) == (second, "(file)", "yaml-multiple-documents")
    assert text.splitlines()[line - 1].startswith("---")
    assert "a second YAML document starts at this '---'; the file must hold exactly one" in message


@pytest.mark.parametrize("path", PATHS)
def test_text_after_the_end_of_the_document_is_named(tmp_path: Path, path: str) -> None:
    text = EXAMPLE + "...\nfleet: {name: other}\n"
    line, _, code, message = _one(tmp_path, text, path)
    assert (line, code) == (_line_of(text, "name: other"), "yaml-multiple-documents")
    assert "after the '...' that ends the first" in message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new", "at", "expected"),
    [
        (
            "  name: payments",
            '  name: "payments',
            '"payments',
            'opened here with " (column 9) runs on to line 22',
        ),
        (
            "  name: payments",
            "  name: 'payments",
            "'payments",
            "opened here with ' (column 9) runs on to line 15",
        ),
        (
            "    default_bake: 30m",
            '    default_bake: "30m',
            '"30m',
            'opened here with " (column 19) runs on to line 22',
        ),
        ("  name: payments", '  name: "pay\\ments"', "pay\\ments", "unknown escape \\m"),
        ("    version: 3.9.x", "\tversion: 3.9.x", "\tversion", "a tab character"),
        ("    sink_transaction", "   sink_transaction", "   sink_", "indent this line like"),
        ("  name: payments", "  name: @payments", "@payments", "'@' cannot start a plain value"),
        ("  name: payments", "  name: pay\x07ments", "pay\x07", "character U+0007 is not allowed"),
    ],
)
def test_other_yaml_mistakes_point_at_their_line(
    tmp_path: Path, path: str, old: str, new: str, at: str, expected: str
) -> None:
    text = _edited(old, new)
    line, field, code, message = _one(tmp_path, text, path)
    assert (line, field, code) == (_line_of(text, at), "(file)", "yaml-syntax")
    assert expected in message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quote_never_closed_points_where_it_was_opened(
    tmp_path: Path, path: str, quote: str
) -> None:
    text = EXAMPLE + f"extra: {quote}no end\n\n# the end\n"
    line, _, code, message = _one(tmp_path, text, path)
    assert (line, code) == (_line_of(text, "extra:"), "yaml-syntax")
    assert (
        f"opened here with {quote} (column 8) is never closed: add the closing {quote}" in message
    )


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("written", "code"), [("~", "int-type"), ("x", "int-parsing")])
def test_a_wrong_key_of_a_numbered_mapping_is_named_as_written(
    tmp_path: Path, path: str, written: str, code: str
) -> None:
    text = _edited("{0: 1h, 1: 2h}", f"{{0: 1h, {written}: 2h}}")
    line, field, found, message = _one(tmp_path, text, path)
    assert (line, field, found) == (_line_of(text, "bake:"), f"fleet.rollout.bake.{written}", code)
    assert message.startswith(f"key {written}: Input should be a valid integer")
    assert message.endswith(f"(got {written})")


YAML_CHARACTERS = [*list("[]{}\"'\t:-#&*!|>%@`,?~\\\n "), "---\n", "...\n", "\x07"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.integers(0, len(EXAMPLE)),
    cut=st.integers(0, 3),
    insert=st.one_of(st.sampled_from(YAML_CHARACTERS), st.characters(exclude_categories=["Cs"])),
    path=st.sampled_from(list(PATHS)),
)
def test_any_small_edit_is_valid_or_reported_at_a_line_of_the_file(
    tmp_path: Path, at: int, cut: int, insert: str, path: str
) -> None:
    """A character of YAML's syntax typed or deleted anywhere: the fleet loads, or every
    problem is one report whose YAML mistakes name a line of the file, values shown as YAML."""
    text = EXAMPLE[:at] + insert + EXAMPLE[at + cut :] + PATHS[path]
    fleet_file = tmp_path / f"edit-{at}-{cut}.yaml"
    fleet_file.write_text(text, encoding="utf-8")
    try:
        load_fleet(fleet_file)
    except FleetError as error:
        for problem in error.problems:
            assert problem.message and problem.code, problem
            if problem.code.startswith("yaml-") or problem.code == "duplicate-key":
                assert problem.line is not None, problem
            assert problem.line is None or 1 <= problem.line <= len(text.splitlines()) + 1
            assert "<unicode string>" not in problem.message and "datetime." not in problem.message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new", "written"),
    [
        ("noncurrent_version_days: 30", 'noncurrent_version_days: "30"', '"30"'),
        ("noncurrent_version_days: 30", "noncurrent_version_days: ' 30'", "' 30'"),
        ("production: true ", 'production: "true" ', '"true"'),
    ],
)
def test_a_quoted_number_is_named_quoted_with_its_fix(
    tmp_path: Path, path: str, old: str, new: str, written: str
) -> None:
    text = _edited(old, new)
    line, field, _, message = _one(tmp_path, text, path)
    assert (line, field) == (_line_of(text, new), "fleet." + new.split(":")[0].strip())
    assert f"got {written}, which is quoted, so YAML reads it as text: remove the quotes" in (
        message
    )
    assert "exponent" not in message


@pytest.mark.parametrize("path", PATHS)
def test_quoted_text_that_is_no_number_is_not_told_to_lose_its_quotes(
    tmp_path: Path, path: str
) -> None:
    text = _edited("noncurrent_version_days: 30", 'noncurrent_version_days: "thirty"')
    _, _, _, message = _one(tmp_path, text, path)
    assert "remove the quotes" not in message and "exponent" not in message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("\nsizes:\n", "\nsizes\n", "write sizes:"),
        ("  production: true ", "  production:true ", "write production: true"),
    ],
)
def test_a_key_without_its_colon_is_named_on_its_own_line(
    tmp_path: Path, path: str, old: str, new: str, expected: str
) -> None:
    text = _edited(old, new)
    line, field, code, message = _one(tmp_path, text, path)
    key_line = text[: text.index(new)].count("\n") + (2 if new.startswith("\n") else 1)
    assert (line, field, code) == (key_line, "(file)", "yaml-syntax")
    assert "a key needs ': ' after it" in message and expected in message


@pytest.mark.parametrize("path", PATHS)
def test_a_quote_never_closed_in_a_flow_list_is_blamed_not_the_bracket(
    tmp_path: Path, path: str
) -> None:
    text = _edited('args: [--model-version, "42"]', 'args: [--model-version, "42]')
    line, _, code, message = _one(tmp_path, text, path)
    quote_at = text.splitlines()[line - 1].find('"42]') + 1
    assert (line, code) == (_line_of(text, '"42]'), "yaml-syntax")
    assert f'opened here with " (column {quote_at}) is never closed' in message
    assert "unclosed [" not in message


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    version: 3.9.x", "\u00a0\u00a0\u00a0\u00a0version: 3.9.x"),
        ("  name: payments", " \u00a0name: payments"),
    ],
)
def test_a_non_breaking_space_as_indentation_is_named_at_its_line(
    tmp_path: Path, path: str, old: str, new: str
) -> None:
    text = _edited(old, new)
    line, _, code, message = _one(tmp_path, text, path)
    assert (line, code) == (_line_of(text, new), "yaml-syntax")
    assert f"a non-breaking space (U+00A0) indents line {line}" in message
