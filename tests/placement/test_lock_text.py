"""The lock's text is byte for byte what `yaml.dump` makes of the whole lock, for any placement:
the direct writer may only skip PyYAML where the bytes are certain."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.placement import JobMove, MoveStep, Placement, place, render_lock
from cells.placement.lock_text import HEADER, LOCK_VERSION, lock_text
from tests.placement.fleets import build, fleet_data

# Strings YAML reads as something else, or writes quoted, or that force a flow list to wrap.
_AWKWARD = [
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "Null", "NULL", "~", "1e3",
    "1.0", "1.5e3", "0x1F", "0o17", "017", "1_000", "1", "-1", "+1", "0", ".inf", "-.inf",
    ".nan", "12:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "-a", "a: b", "a:b", "#x",
    "a #b", "", " x", "x ", "'q'", '"d"', "a,b", "[x]", "{y}", "ä", "with space", "---",
    "...", "<<", "=", "!tag", "&anc", "*ali", "%p", "@x", "`x", "a\nb", "tab\there", "?x",
    "|x", ">x", "s3://bucket/tenants/t/j/savepoints/sp-1", "x" * 99, "y" * 130,
]  # fmt: skip
_IDS = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{20,45}", fullmatch=True),
    st.sampled_from(_AWKWARD),
    st.text(max_size=12),
)
_MOVES = st.builds(
    JobMove,
    from_cell=_IDS,
    to_cell=_IDS,
    step=st.sampled_from(list(MoveStep)),
    savepoint=st.one_of(st.none(), _IDS),
)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _yaml_lock(fleet_name: str, placement: Placement) -> str:
    """The lock as `cellctl shard` wrote it before the direct writer: the whole body through
    yaml.dump (libyaml's emitter where PyYAML has it)."""
    jobs: dict[str, dict[str, str]] = {}
    for (owner, job), cell in sorted(placement.jobs.items()):
        jobs.setdefault(owner, {})[job] = cell
    tenants: dict[str, dict[str, Any]] = {
        tenant: {"cells": list(shard), "jobs": jobs.get(tenant, {})}
        for tenant, shard in sorted(placement.shards.items())
    }
    for (tenant, job), move in sorted(placement.moves.items()):
        if tenant in tenants:
            entry = {"from": move.from_cell, "to": move.to_cell, "step": move.step.value}
            if move.savepoint:
                entry["savepoint"] = move.savepoint
            tenants[tenant].setdefault("moves", {})[job] = entry
    body = {"version": LOCK_VERSION, "fleet": fleet_name, "tenants": tenants}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return HEADER + yaml.dump(
        body, Dumper=dumper, sort_keys=False, default_flow_style=None, width=100
    )


@st.composite
def placements(draw: st.DrawFn) -> Placement:
    shards = draw(st.dictionaries(_IDS, st.lists(_IDS, max_size=6), max_size=8))
    owners = st.one_of(st.sampled_from(sorted(shards)), _IDS) if shards else _IDS
    keys = st.tuples(owners, _IDS)
    jobs = draw(st.dictionaries(keys, _IDS, max_size=12))
    moves = draw(st.dictionaries(st.one_of(st.sampled_from(sorted(jobs)), keys) if jobs else keys,
                                 _MOVES, max_size=4))  # fmt: skip
    return Placement(shards={t: tuple(c) for t, c in shards.items()}, jobs=jobs, moves=moves)


@PROPERTY
@given(fleet_name=_IDS, placement=placements())
def test_lock_text_is_what_yaml_dump_writes(fleet_name: str, placement: Placement) -> None:
    assert lock_text(fleet_name, placement) == _yaml_lock(fleet_name, placement)


@PROPERTY
@given(
    cells=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True), min_size=1, max_size=8),
    jobs=st.lists(st.from_regex(r"[a-z][a-z0-9]{0,20}", fullmatch=True), max_size=6, unique=True),
)
def test_lines_near_the_wrap_width_are_identical(cells: list[str], jobs: list[str]) -> None:
    # Ordinary ids, many and long: flow lists and maps on either side of the 100-column width.
    placement = Placement(
        shards={"tenant-a": tuple(cells), "tenant-b": tuple(reversed(cells))},
        jobs={("tenant-a", job): cells[i % len(cells)] for i, job in enumerate(jobs)},
        moves={
            ("tenant-a", job): JobMove(cells[0], cells[-1], MoveStep.SUSPENDED) for job in jobs[:2]
        },
    )
    assert lock_text("payments", placement) == _yaml_lock("payments", placement)


def test_a_placed_fleet_locks_identically_and_reads_back(tmp_path) -> None:
    tenants = [{"id": f"t{i:04d}", "k": 3, "jobs": [2, 1, 1]} for i in range(400)]
    fleet = build(fleet_data(40, tenants))
    placement = place(fleet).placement
    moving = sorted(placement.jobs)[:3]
    bucket = "s3://gen-c000-checkpoints/tenants/t0000/j0/savepoints/savepoint-1a2b"
    placement = Placement(
        shards=placement.shards,
        jobs=placement.jobs,
        moves={
            moving[0]: JobMove("c001", placement.jobs[moving[0]], MoveStep.SUSPENDED),
            moving[1]: JobMove("c002", placement.jobs[moving[1]], MoveStep.COPIED, bucket),
            moving[2]: JobMove("c003", placement.jobs[moving[2]], MoveStep.DONE, bucket),
        },
    )
    text = render_lock(fleet, placement)
    assert text == _yaml_lock(fleet.name, placement)
    assert "savepoint: " in text and "step: copied" in text
    assert yaml.safe_load(text)["tenants"]["t0399"]["cells"] == list(placement.shards["t0399"])


def test_an_empty_placement_is_an_empty_tenants_map() -> None:
    text = lock_text("payments", Placement(shards={}, jobs={}))
    assert text == _yaml_lock("payments", Placement(shards={}, jobs={}))
    assert text.endswith("tenants: {}\n")
