"""Ack files: each acknowledged danger keeps showing with its reason; bad files exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from cells.problems import FleetError
from review import load_acks
from review.dangers import STATEFUL, make_danger


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acks.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reason_for_an_acknowledged_danger(tmp_path):
    danger = make_danger(STATEFUL, "use1-a", "urn:x", "deleting bucket `b` loses it.")
    other = make_danger(STATEFUL, "use1-b", "urn:x", "deleting bucket `b` loses it.")
    acks = load_acks(
        write(tmp_path, f"acknowledged:\n  - id: {danger.id}\n    reason: cell retired\n")
    )
    assert acks.reason_for(danger) == "cell retired"
    assert acks.reason_for(other) is None
    assert acks.unused([other]) == [danger.id]


@pytest.mark.parametrize(
    ("text", "code", "location"),
    [
        ("acknowledged:\n  - id: x\n", "missing", "acknowledged.0.reason"),
        ("acknowledged:\n  - id: x\n    reason: ''\n", "string-too-short", "acknowledged.0.reason"),
        (
            "acknowledged:\n  - {id: x, reason: r, extra: 1}\n",
            "extra-forbidden",
            "acknowledged.0.extra",
        ),
        ("acks: []\n", "extra-forbidden", "acks"),
        ("- x\n", "not-a-mapping", ""),
        ("acknowledged: [\n", "yaml-syntax", ""),
        (
            "acknowledged:\n  - {id: x, reason: r}\n  - {id: x, reason: s}\n",
            "duplicate-id",
            "acknowledged.1.id",
        ),
    ],
)
def test_bad_ack_files_name_the_field(tmp_path, text, code, location):
    with pytest.raises(FleetError) as raised:
        load_acks(write(tmp_path, text))
    problem = raised.value.problems[0]
    assert problem.code == code
    assert problem.location == location


def test_missing_ack_file(tmp_path):
    with pytest.raises(FleetError) as raised:
        load_acks(tmp_path / "nope.yaml")
    assert raised.value.problems[0].code == "file-missing"
