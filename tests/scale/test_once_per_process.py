"""What a process reads once and reuses across stacks is still exactly what is on disk."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cells.loader import load_fleet
from cells.placement import Placement, load_placement, lock_path
from cells.problems import FleetError
from offline import PlanError
from offline.planner import record_program, young_collections_only
from tests.helpers import EXAMPLE_FLEET


@pytest.fixture
def fleet_copy(tmp_path: Path) -> Path:
    fleet_file = tmp_path / "fleet.yaml"
    shutil.copy(EXAMPLE_FLEET, fleet_file)
    shutil.copy(lock_path(EXAMPLE_FLEET), lock_path(fleet_file))
    return fleet_file


def _rewrite_lock(fleet_file: Path, change: callable) -> None:
    lock = lock_path(fleet_file)
    data = yaml.safe_load(lock.read_text())
    change(data)
    stat = lock.stat()
    lock.write_text(yaml.safe_dump(data, sort_keys=False))
    # A rewrite within the file system's timestamp resolution must still be seen.
    os.utime(lock, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_changed_lock_is_read_again(fleet_copy: Path) -> None:
    fleet = load_fleet(fleet_copy)
    first = load_placement(fleet, fleet_copy)
    assert load_placement(fleet, fleet_copy) is first
    tenant, entry = next(iter(yaml.safe_load(lock_path(fleet_copy).read_text())["tenants"].items()))
    job = next(iter(entry["jobs"]))
    other = next(c for c in entry["cells"] if c != entry["jobs"][job])

    def move_job(data: dict) -> None:
        data["tenants"][tenant]["jobs"][job] = other

    _rewrite_lock(fleet_copy, move_job)
    again = load_placement(fleet, fleet_copy)
    assert again.jobs[(tenant, job)] == other != first.jobs[(tenant, job)]


def test_a_lock_that_stops_agreeing_fails_though_it_was_read_before(fleet_copy: Path) -> None:
    fleet = load_fleet(fleet_copy)
    load_placement(fleet, fleet_copy)
    tenant = fleet.tenants[0].id
    _rewrite_lock(fleet_copy, lambda data: data["tenants"].pop(tenant))
    with pytest.raises(FleetError) as caught:
        load_placement(fleet, fleet_copy)
    assert any(p.code == "lock-missing-tenant" for p in caught.value.problems)


def test_fleet_lookups_follow_a_copy_with_other_cells(fleet_copy: Path) -> None:
    fleet = load_fleet(fleet_copy)
    first = fleet.cells[0]
    assert fleet.cell(first.id) is first
    fewer = fleet.model_copy(update={"cells": fleet.cells[1:]})
    assert fewer.cell(first.id) is None
    assert first not in fewer.cells_in(first.region)
    assert fleet.cell(first.id) is first


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"t{i}" for i in range(12)]),
        st.lists(st.sampled_from([f"c{i}" for i in range(6)]), min_size=1, max_size=3),
    ),
    st.data(),
)
def test_placement_by_cell_is_the_scan(shards: dict[str, list[str]], data: st.DataObject) -> None:
    jobs = {
        (t, f"j{n}"): data.draw(st.sampled_from(cells))
        for t, cells in shards.items()
        for n in range(2)
    }
    placement = Placement(shards={t: tuple(c) for t, c in shards.items()}, jobs=jobs)
    for cell in [f"c{i}" for i in range(7)]:
        assert placement.tenants_in(cell) == sorted(t for t, s in shards.items() if cell in s)
        assert placement.jobs_in(cell) == sorted(k for k, c in jobs.items() if c == cell)


def test_collector_is_back_as_it_was_after_a_failing_program() -> None:
    assert gc.isenabled()
    before = gc.get_threshold()

    def failing() -> None:
        raise __import__("pulumi").RunError("boom")

    with pytest.raises(PlanError, match="boom"):
        record_program("s", {"aws:region": "us-east-1"}, failing)
    assert gc.isenabled()
    assert gc.get_threshold() == before


def test_only_young_collections_run_while_a_program_runs() -> None:
    passes: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    def program() -> None:
        # Far more new containers than one young pass and one old-generation threshold hold.
        kept = [[i] for i in range(50 * gc.get_threshold()[0] + 200_000)]
        assert kept

    gc.callbacks.append(seen)
    try:
        record_program("s", {"aws:region": "us-east-1"}, program)
    finally:
        gc.callbacks.remove(seen)
    assert passes and set(passes[:-1]) == {0}, "automatic passes walk the newest objects only"
    assert passes[-1] == 1, "one pass over both young generations after the program"


def test_a_callers_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with young_collections_only():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a caller's own choice is kept"
    finally:
        gc.enable()
