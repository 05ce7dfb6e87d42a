"""The counts `cellctl shard` prints above its changes and after writing the lock: each change
counted once, the same numbers as the two placements' difference, reasons that name no cell."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.placement import place
from cells.placement.changes import count_changes
from cells.placement.report import movement
from tests.placement.fleets import build, fleet_data, regions

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EDITS = ("add cells", "drain", "grow k", "shrink k", "tenants come and go", "jobs change")


def _edited(cells: int, tenants: list[dict], edit: str, pick: int) -> tuple[dict, str | None]:
    """The fleet data after one edit a person makes, and the cell to drain (if any)."""
    tenants = [dict(t, jobs=list(t["jobs"])) for t in tenants]
    drain = None
    if edit == "add cells":
        cells += 1 + pick % 3
    elif edit in ("grow k", "shrink k"):
        for t in tenants[:: 1 + pick % 3]:
            t["k"] = min(t["k"] + 1, cells - 1) if edit == "grow k" else max(t["k"] - 1, 1)
    elif edit == "tenants come and go":
        tenants = [*tenants[1 + pick % 2 :], {"id": "zz-new", "k": 1, "jobs": [1, 2]}]
    elif edit == "jobs change":
        for t in tenants[:: 1 + pick % 2]:
            t["jobs"] = [*t["jobs"][1:], 1, 1]
    data = fleet_data(cells, tenants)
    if edit == "drain":
        index = pick % cells
        data["cells"][index]["state"] = "draining"
        drain = data["cells"][index]["id"]
    return data, drain


@PROPERTY
@given(
    region=regions(min_cells=4),
    edit=st.sampled_from(EDITS),
    pick=st.integers(0, 99),
    rebalance=st.booleans(),
)
def test_counts_are_the_placements_difference_and_count_every_change_once(
    region: tuple[int, list[dict]], edit: str, pick: int, rebalance: bool
) -> None:
    cells, tenants = region
    previous = place(build(fleet_data(cells, tenants))).placement
    data, drain = _edited(cells, tenants, edit, pick)
    result = place(build(data), previous, rebalance=rebalance and not drain, drain=drain)
    counts = count_changes(result.moves)
    after = result.placement

    assert counts.changes == len(result.moves)
    kept = set(previous.shards) & set(after.shards)
    moved = movement(previous, after)
    assert counts.tenants_changed == moved.tenants_moved
    assert counts.jobs_moved == moved.jobs_moved
    assert counts.new_tenants == len(set(after.shards) - set(previous.shards))
    assert counts.tenants_removed == len(set(previous.shards) - set(after.shards))
    left = sum(len(set(previous.shards[t]) - set(after.shards[t])) for t in kept)
    joined = sum(len(set(after.shards[t]) - set(previous.shards[t])) for t in kept)
    assert counts.members_moved + counts.members_removed == left
    assert counts.members_moved + counts.members_added == joined
    assert counts.new_jobs == len(set(after.jobs) - set(previous.jobs))
    # A tenant that left is one change, its jobs with it.
    gone = {key for key in set(previous.jobs) - set(after.jobs) if key[0] in after.shards}
    assert counts.jobs_removed == len(gone)
    # Per reason, tenants and jobs add up to the same totals.
    tenant_total = counts.new_tenants + counts.tenants_changed + counts.tenants_removed
    assert sum(n for _, n in counts.tenant_reasons) == tenant_total
    job_total = counts.new_jobs + counts.jobs_moved + counts.jobs_removed
    assert sum(n for _, n in counts.job_reasons) == job_total
    # Reasons group: no cell named in one (each change's own line names its cells).
    for move in result.moves:
        assert not re.search(r"\bc\d{3}\b", move.reason), move
        assert move.reason in move.describe() or (move.detail or "") in move.describe()
