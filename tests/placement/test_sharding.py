"""Each guarantee of cells.placement.sharding, and each way it can break."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.model import CellState
from cells.placement import Placement, PlacementError, place, read_lock, render_lock
from cells.placement.report import cell_loads, hypergeometric, max_over_mean, overlap_distribution
from cells.placement.sharding import TENANT_BALANCE
from tests.helpers import ROOT
from tests.placement.fleets import build, fleet_data, regions, tenant_specs

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _shards(data: dict, tenant_balance: float | None = TENANT_BALANCE) -> dict[str, set[str]]:
    placement = place(build(data), tenant_balance=tenant_balance).placement
    return {t: set(s) for t, s in placement.shards.items()}


def _spec(count: int, k: int, jobs: list[int] | None = None) -> list[dict]:
    return [{"id": f"t{i:04d}", "k": k, "jobs": jobs or [1, 1]} for i in range(count)]


def test_shuffle_shard_determinism_across_processes() -> None:
    script = (
        "from cells.placement import place, render_lock\n"
        "from tests.placement.fleets import build, fleet_data\n"
        "tenants = [{'id': f't{i}', 'k': 3, 'jobs': [2, 1]} for i in range(300)]\n"
        "fleet = build(fleet_data(12, tenants))\n"
        "print(render_lock(fleet, place(fleet).placement))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
    assert "t0:" in outputs.pop()


# From scratch, the rendezvous properties below are those of the hashing alone: the bound on
# tenants per cell is a constraint like capacity, and where it binds a cell skips its turn
# (tests/placement/test_tenant_balance.py holds its own properties; with a lock, nothing moves).
@PROPERTY
@given(region=regions())
def test_shuffle_shard_stability_on_cell_added(region: tuple[int, list[dict]]) -> None:
    cells, tenants = region
    before = _shards(fleet_data(cells, tenants), tenant_balance=None)
    after = _shards(fleet_data(cells + 1, tenants), tenant_balance=None)
    for tenant, shard in before.items():
        assert len(shard - after[tenant]) <= 1, (tenant, shard, after[tenant])
        assert after[tenant] - shard <= {f"c{cells:03d}"}


@PROPERTY
@given(region=regions(min_cells=4), removed=st.integers(0, 13))
def test_shuffle_shard_consistency_on_cell_removed(
    region: tuple[int, list[dict]], removed: int
) -> None:
    cells, tenants = region
    removed %= cells
    data = fleet_data(cells, tenants)
    before = _shards(data, tenant_balance=None)
    gone = data["cells"].pop(removed)["id"]
    after = _shards(data, tenant_balance=None)
    for tenant, shard in before.items():
        if gone in shard:
            assert len(shard - after[tenant]) == 1 and gone not in after[tenant]
        else:
            assert after[tenant] == shard


def test_shuffle_shard_touched_fraction_matches_k_over_n_plus_one() -> None:
    for k, cells in ((2, 20), (3, 40), (4, 60)):
        tenants = _spec(3000, k)
        before = _shards(fleet_data(cells, tenants))
        after = _shards(fleet_data(cells + 1, tenants))
        touched = sum(before[t] != after[t] for t in before) / len(before)
        ideal = k / (cells + 1)
        assert touched <= 1.5 * ideal, (k, cells, touched, ideal)
        assert touched >= 0.5 * ideal, (k, cells, touched, ideal)


@PROPERTY
@given(region=regions(min_cells=5), grow=st.booleans())
def test_shuffle_shard_consistency_on_shard_size_change(
    region: tuple[int, list[dict]], grow: bool
) -> None:
    cells, tenants = region
    data = fleet_data(cells, tenants)
    fleet = build(data)
    previous = place(fleet).placement
    for tenant in data["tenants"]:
        tenant["shard_size"] = (
            min(tenant["shard_size"] + 1, cells) if grow else max(tenant["shard_size"] - 1, 1)
        )
    changed = build(data)
    after = place(changed, previous).placement
    hashed = place(fleet, tenant_balance=None).placement
    scratch = place(changed, tenant_balance=None).placement
    for tenant in changed.tenants:
        old, new = set(previous.shards[tenant.id]), set(after.shards[tenant.id])
        assert (new >= old) if grow else (new <= old), (tenant.id, old, new)
        assert len(new) == tenant.shard_size
        # From scratch too, rendezvous makes the larger shard a superset of the smaller.
        fresh, bigger = set(scratch.shards[tenant.id]), set(hashed.shards[tenant.id])
        assert (fresh >= bigger) if grow else (fresh <= bigger)


@PROPERTY
@given(
    cells=st.integers(2, 8),
    tenants=tenant_specs(max_k=2, count=st.integers(1, 30)),
    capacity=st.integers(3, 30),
)
def test_capacity_is_never_exceeded(cells: int, tenants: list[dict], capacity: int) -> None:
    fleet = build(fleet_data(cells, tenants, capacity=capacity))
    try:
        placement = place(fleet).placement
    except PlacementError as error:
        assert all(p.code in {"capacity-exceeded", "placement-infeasible"} for p in error.problems)
        assert all("add cells" in p.message or "more cells" in p.message for p in error.problems)
        # Every member of a shard takes a share of the tenant's units, and every job its units
        # in one cell: a smaller shard_size never makes room (k <= cells here, no max_overlap).
        assert not any("smaller shard_size" in p.message for p in error.problems)
        demand = sum(u for t in tenants for u in t["jobs"])
        if demand > cells * capacity:
            [problem] = error.problems
            assert problem.location == "cells"
            assert f"need {demand} capacity units and its {cells} active cells hold " in (
                problem.message
            )
        return
    for load in cell_loads(fleet, placement):
        assert load.used <= load.capacity, load


@PROPERTY
@given(
    cells=st.integers(4, 12),
    tenants=tenant_specs(max_k=3, count=st.integers(2, 40)),
    overlap=st.integers(1, 2),
)
def test_max_overlap_is_respected_or_the_failure_says_how_to_fix_it(
    cells: int, tenants: list[dict], overlap: int
) -> None:
    fleet = build(fleet_data(cells, tenants, max_overlap=overlap))
    try:
        shards = [set(s) for s in place(fleet).placement.shards.values()]
    except PlacementError as error:
        [problem] = error.problems
        assert problem.code == "placement-infeasible"
        assert "us-east-1" in problem.message and "cannot place tenant 't" in problem.message
        assert "smaller shard_size" in problem.message and "max_overlap" in problem.message
        return
    for i, a in enumerate(shards):
        for b in shards[i + 1 :]:
            assert len(a & b) <= overlap


def test_max_overlap_can_be_infeasible() -> None:
    # 4 cells hold C(4,2) = 6 pairs; 7 tenants of k=2 with max_overlap 1 cannot fit.
    with pytest.raises(PlacementError) as caught:
        place(build(fleet_data(4, _spec(7, 2), max_overlap=1)))
    assert "max_overlap 1 is exhausted" in str(caught.value)


@PROPERTY
@given(region=regions())
def test_jobs_spread_and_stay_in_their_shard(region: tuple[int, list[dict]]) -> None:
    cells, tenants = region
    placement = place(build(fleet_data(cells, tenants))).placement
    for tenant in tenants:
        shard = placement.shards[tenant["id"]]
        used = {placement.jobs[(tenant["id"], f"j{n}")] for n in range(len(tenant["jobs"]))}
        assert used <= set(shard)
        if len(tenant["jobs"]) >= 2 and tenant["k"] >= 2:
            assert len(used) >= 2, f"losing one cell would stop every job of {tenant['id']}"


@PROPERTY
@given(region=regions(min_cells=4), draining=st.integers(0, 13), standby=st.integers(0, 13))
def test_draining_and_standby_cells_get_no_new_tenants_or_jobs(
    region: tuple[int, list[dict]], draining: int, standby: int
) -> None:
    cells, tenants = region
    states = {draining % cells: "draining", standby % cells: "standby"}
    active = cells - len(states)
    tenants = [{**t, "k": min(t["k"], active)} for t in tenants]
    data = fleet_data(cells, tenants, states=states)
    placement = place(build(data)).placement
    inactive = {f"c{i:03d}" for i in states}
    for shard in placement.shards.values():
        assert not inactive & set(shard)
    assert not inactive & set(placement.jobs.values())


@PROPERTY
@given(region=regions(min_cells=4), drained=st.integers(0, 13))
def test_drain_empties_the_cell_and_moves_each_shard_by_one(
    region: tuple[int, list[dict]], drained: int
) -> None:
    cells, tenants = region
    drained %= cells
    data = fleet_data(cells, tenants)
    before = place(build(data)).placement
    data["cells"][drained]["state"] = "draining"
    cell = data["cells"][drained]["id"]
    tenants_fit = all(t["k"] <= cells - 1 for t in tenants)
    result = place(build(data), before, drain=cell)
    after = result.placement
    assert not after.tenants_in(cell) and not after.jobs_in(cell)
    for tenant, shard in before.shards.items():
        new = set(after.shards[tenant])
        if cell in shard:
            assert len(set(shard) - new) == 1 and tenants_fit
        else:
            assert new == set(shard)
    for key, placed in before.jobs.items():
        if placed != cell:
            assert after.jobs[key] == placed, f"{key} moved though its cell was not drained"
    assert all("drained" in m.reason for m in result.moves)


@PROPERTY
@given(region=regions())
def test_existing_assignments_are_kept_and_only_new_tenants_are_placed(
    region: tuple[int, list[dict]],
) -> None:
    cells, tenants = region
    data = fleet_data(cells, tenants)
    previous = place(build(data)).placement
    data["cells"].append({**data["cells"][0], "id": "c999"})
    data["tenants"].append({**data["tenants"][0], "id": "newcomer"})
    result = place(build(data), previous)
    for tenant, shard in previous.shards.items():
        assert result.placement.shards[tenant] == shard
    for key, cell in previous.jobs.items():
        assert result.placement.jobs[key] == cell
    assert {m.tenant for m in result.moves} == {"newcomer"}
    assert place(build(data), result.placement).moves == []


def test_rebalance_after_adding_cells_moves_few_tenants_and_reports_why() -> None:
    tenants = _spec(600, 3, jobs=[2, 1])
    previous = place(build(fleet_data(12, tenants))).placement
    grown = build(fleet_data(14, tenants))
    kept = place(grown, previous)
    assert kept.moves == []  # new cells stay empty until someone asks
    result = place(grown, previous, rebalance=True)
    moved = {m.tenant for m in result.moves if m.job is None}
    assert 0 < len(moved) <= 1.5 * len(tenants) * (1 - (12 * 11 * 10) / (14 * 13 * 12))
    assert all(m.reason.startswith("rebalance") for m in result.moves)
    loads = cell_loads(grown, result.placement)
    assert max_over_mean(loads) <= 1.15


@pytest.mark.parametrize(("cells", "per_region", "k"), [(10, 100, 2), (12, 150, 3), (30, 400, 4)])
def test_load_balance_of_generated_fleets(cells: int, per_region: int, k: int) -> None:
    jobs = [3, 2, 1]
    fleet = build(fleet_data(cells, _spec(per_region, k, jobs), capacity=10_000))
    loads = cell_loads(fleet, place(fleet).placement)
    assert max_over_mean(loads) <= 1.15


def test_load_balance_of_the_example_fleet(example_fleet) -> None:
    from cells.placement import load_placement
    from tests.helpers import EXAMPLE_FLEET

    placement = load_placement(example_fleet, EXAMPLE_FLEET)
    loads = cell_loads(example_fleet, placement)
    for region in example_fleet.regions:
        region_loads = [load for load in loads if load.region == region.name]
        assert max_over_mean(region_loads) <= 1.15, region.name
        assert all(load.used <= load.capacity for load in region_loads)


def test_overlap_distribution_matches_the_hypergeometric_expectation() -> None:
    cells, k = 20, 4
    fleet = build(fleet_data(cells, _spec(400, k, jobs=[1])))
    distribution = overlap_distribution(fleet, place(fleet).placement, "us-east-1")
    assert distribution.pairs == 400 * 399 // 2
    for overlap in range(k + 1):
        expected = hypergeometric(cells, k, k, overlap)
        observed = distribution.observed.get(overlap, 0.0)
        # Pairs are not independent; 400 tenants still pin each bucket to within 2 points.
        assert abs(observed - expected) <= 0.02, (overlap, observed, expected)
    full = distribution.observed.get(k, 0.0)
    assert full <= 5 / hypergeometric_denominator(cells, k)


def hypergeometric_denominator(cells: int, k: int) -> int:
    from math import comb

    return comb(cells, k)


def test_lock_round_trip(tmp_path: Path) -> None:
    fleet = build(fleet_data(9, _spec(50, 3, jobs=[2, 1, 1])))
    placement = place(fleet).placement
    lock = tmp_path / "fleet.lock.yaml"
    lock.write_text(render_lock(fleet, placement))
    assert read_lock(lock) == placement
    assert render_lock(fleet, read_lock(lock)) == lock.read_text()


def test_pins_are_kept_and_counted_against_overlap() -> None:
    tenants = [
        {"id": "alpha", "k": 2, "jobs": [1]},
        {"id": "beta", "k": 2, "jobs": [1]},
    ]
    data = fleet_data(5, tenants, max_overlap=1)
    data["tenants"][0]["pinned_cells"] = ["c000", "c001"]
    data["tenants"][1]["pinned_cells"] = ["c001", "c000"]
    with pytest.raises(PlacementError) as caught:
        place(build(data))
    assert "'alpha' and 'beta' share cells c000, c001" in str(caught.value)
    data["tenants"][1].pop("pinned_cells")
    shards = place(build(data)).placement.shards
    assert shards["alpha"] == ("c000", "c001")
    assert len(set(shards["alpha"]) & set(shards["beta"])) <= 1


def test_a_shard_counts_each_active_cell_once() -> None:
    placement: Placement = place(build(fleet_data(6, _spec(200, 4)))).placement
    for shard in placement.shards.values():
        assert len(shard) == len(set(shard)) == 4
    members = Counter(c for shard in placement.shards.values() for c in shard)
    assert set(members) == {f"c{i:03d}" for i in range(6)}
    assert CellState.ACTIVE.value == "active"


def test_drain_of_a_pinned_cell_names_the_tenant() -> None:
    data = fleet_data(4, _spec(3, 2))
    data["tenants"][1]["pinned_cells"] = ["c001", "c002"]
    with pytest.raises(PlacementError) as caught:
        place(build(data), drain="c002")
    [problem] = caught.value.problems
    assert problem.code == "drain-pinned" and "'t0001' pins c002" in problem.message
