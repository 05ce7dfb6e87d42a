"""In a large fleet file, read without lines until something is wrong, every problem still
names its exact line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.loader import load_fleet
from cells.problems import FleetError
from cells.synthetic import synthetic_fleet

TENANTS = 400
TEXT = yaml.safe_dump(synthetic_fleet(1, 8, TENANTS, 2), sort_keys=False)


def _line_after(lines: list[str], tenant: int, field: str, nth: int) -> int:
    """0-based index of the nth line holding `field` after tenant's id line."""
    start = lines.index(f"- id: r0-t{tenant:05d}")
    hits = [i for i in range(start, len(lines)) if lines[i].strip().startswith(field)]
    return hits[nth]


# (field to find, its occurrence within the tenant, replacement, problem code, and the line the
# problem belongs on: lines after the changed one, or the nth line of a field in the tenant)
MISTAKES = [
    ("parallelism:", 1, "    parallelism: -4", "greater-than-equal", 0),
    ("rpo_seconds:", 0, "    rpo_seconds: sixty", "int-type", 0),
    ("retention_hours:", 0, "    retention_hours: 168\n    colour: blue", "extra-forbidden", 1),
    ("id: enrich", 0, "    id: ingest", "duplicate-id", ("- jar_uri:", 1)),
]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tenant=st.integers(0, TENANTS - 1), mistake=st.sampled_from(MISTAKES))
def test_a_mistake_anywhere_is_reported_at_its_line(
    tmp_path: Path, tenant: int, mistake: tuple[str, int, str, str, int | tuple[str, int]]
) -> None:
    field, nth, replacement, code, belongs = mistake
    lines = TEXT.splitlines()
    at = _line_after(lines, tenant, field, nth)
    if isinstance(belongs, int):
        expected = at + belongs + 1
    else:
        expected = _line_after(lines, tenant, *belongs) + 1
    lines[at] = replacement
    file = tmp_path / f"fleet-{tenant}-{field[:-1]}.yaml"
    file.write_text("\n".join(lines) + "\n")
    with pytest.raises(FleetError) as raised:
        load_fleet(file)
    problems = raised.value.problems
    assert len(problems) == 1, problems
    assert problems[0].line == expected
    assert problems[0].location.startswith(f"tenants.{tenant}.")
    assert problems[0].code == code


def test_the_correct_file_loads(tmp_path: Path) -> None:
    file = tmp_path / "fleet.yaml"
    file.write_text(TEXT)
    assert len(load_fleet(file).tenants) == TENANTS
