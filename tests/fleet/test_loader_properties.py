"""Whatever a person writes, loading ends in a Fleet or in FleetError problems: nothing else."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.loader import load_fleet
from cells.model import Fleet
from cells.problems import FleetError
from tests.helpers import example_fleet_data

EXAMPLE = example_fleet_data()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(max_size=30),
    st.sampled_from(["us-east-1", "use1-a", "medium", "active", "subnet-0e1a000000000001a"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


PATHS = _paths(EXAMPLE)


def _replace(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(data)
    node: Any = mutated
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return mutated


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(PATHS), value=values)
def test_any_single_edit_loads_or_reports_problems(
    tmp_path: Path, path: tuple[Any, ...], value: Any
) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(_replace(EXAMPLE, path, value)))
    try:
        fleet = load_fleet(fleet_file)
    except FleetError as error:
        assert error.problems, "a FleetError must carry at least one problem"
        for problem in error.problems:
            assert problem.code and problem.message
            assert problem.line is None or problem.line >= 1
        return
    assert isinstance(fleet, Fleet)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_any_text_loads_or_reports_problems(tmp_path: Path, text: str) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(text, encoding="utf-8")
    try:
        load_fleet(fleet_file)
    except FleetError as error:
        assert error.problems
