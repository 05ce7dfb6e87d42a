"""The placement lock file: the committed record of where every tenant and job lives."""

from __future__ import annotations

import weakref
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cells import files
from cells.last_read import LastRead
from cells.model import CellState, Fleet
from cells.placement.lock_text import LOCK_VERSION, lock_text
from cells.placement.model import JobMove, MoveStep, Placement
from cells.placement.moves import move_problems
from cells.problems import FleetError, Problem
from cells.yaml_source import line_of, read_yaml, read_yaml_document


class _LockMove(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_cell: str = Field(alias="from")
    to_cell: str = Field(alias="to")
    step: MoveStep
    savepoint: str | None = None


class _LockTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cells: list[str] = Field(min_length=1)
    jobs: dict[str, str] = Field(default_factory=dict)
    moves: dict[str, _LockMove] = Field(default_factory=dict)


class _LockFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    fleet: str
    tenants: dict[str, _LockTenant] = Field(default_factory=dict)


def lock_path(fleet_file: Path) -> Path:
    """cells/fleet.yaml -> cells/fleet.lock.yaml"""
    return fleet_file.with_name(f"{fleet_file.stem}.lock{fleet_file.suffix or '.yaml'}")


def render_lock(fleet: Fleet, placement: Placement) -> str:
    return lock_text(fleet.name, placement)


def read_lock(file: Path) -> Placement:
    # Read without recording lines (a third faster); a lock with a problem to place is read
    # again, located.
    data = read_yaml_document(file, located=False).data
    try:
        lock = _LockFile.model_validate(data)
    except ValidationError as exc:
        lines = read_yaml(file)[1]
        problems = []
        for error in exc.errors(include_url=False):
            location = ".".join(str(p) for p in error["loc"])
            problems.append(
                Problem(
                    location,
                    "lock-malformed",
                    f"{error['msg']}; regenerate with `cellctl shard`",
                    line_of(lines, location),
                )
            )
        raise FleetError(file, problems) from None
    repeated = [
        (tenant, cell)
        for tenant, entry in lock.tenants.items()
        if len(set(entry.cells)) < len(entry.cells)
        for cell in sorted({c for c in entry.cells if entry.cells.count(c) > 1})
    ]
    if repeated:
        lines = read_yaml(file)[1]
        raise FleetError(
            file,
            [
                Problem(
                    f"tenants.{tenant}.cells",
                    "lock-duplicate-cell",
                    f"tenant '{tenant}' lists cell '{cell}' twice; a shard holds distinct "
                    "cells: remove the repeat, or delete the tenant's entry and run "
                    "`cellctl shard`",
                    line_of(lines, f"tenants.{tenant}.cells"),
                )
                for tenant, cell in repeated
            ],
        )
    if lock.version != LOCK_VERSION:
        raise FleetError(
            file,
            [
                Problem(
                    "version",
                    "lock-version",
                    f"lock version {lock.version} is not "
                    f"{LOCK_VERSION}; regenerate with `cellctl shard`",
                )
            ],
        )
    return Placement(
        shards={t: tuple(entry.cells) for t, entry in lock.tenants.items()},
        jobs={(t, j): c for t, entry in lock.tenants.items() for j, c in entry.jobs.items()},
        moves={
            (t, j): JobMove(m.from_cell, m.to_cell, m.step, m.savepoint)
            for t, entry in lock.tenants.items()
            for j, m in entry.moves.items()
        },
    )


def disagreements(fleet: Fleet, placement: Placement) -> list[Problem]:
    """Where the lock no longer describes the fleet; each names the command that fixes it."""
    problems: list[Problem] = []
    update = "run `cellctl shard` and commit the lock file"
    # Each tenant's placed jobs, grouped once: a scan of every job per tenant grows with the
    # square of the fleet.
    placed_jobs: dict[str, set[str]] = {}
    for owner, job in placement.jobs:
        placed_jobs.setdefault(owner, set()).add(job)
    for tenant_id in sorted(set(placement.shards) - {t.id for t in fleet.tenants}):
        problems.append(
            Problem(
                f"tenants.{tenant_id}",
                "lock-extra-tenant",
                f"tenant '{tenant_id}' is in the lock but not in the fleet: {update}",
            )
        )
    for tenant in fleet.tenants:
        where = f"tenants.{tenant.id}"
        shard = placement.shards.get(tenant.id)
        if shard is None:
            problems.append(
                Problem(
                    where, "lock-missing-tenant", f"tenant '{tenant.id}' has no placement: {update}"
                )
            )
            continue
        removed = [c for c in shard if fleet.cell(c) is None]
        if removed:
            problems.append(
                Problem(
                    where,
                    "lock-cell-removed",
                    f"tenant '{tenant.id}' is placed on {', '.join(removed)}, which the fleet "
                    f"no longer has: run `cellctl shard --drain {removed[0]}`",
                )
            )
            continue
        if any(fleet.cell(c).region != tenant.home_region for c in shard):  # type: ignore[union-attr]
            problems.append(
                Problem(
                    where,
                    "lock-wrong-region",
                    f"tenant '{tenant.id}' has moved to {tenant.home_region}: {update}",
                )
            )
        if len(shard) != tenant.shard_size:
            problems.append(
                Problem(
                    where,
                    "lock-shard-size",
                    f"tenant '{tenant.id}' has {len(shard)} cells, shard_size is "
                    f"{tenant.shard_size}: {update}",
                )
            )
        if tenant.pinned_cells is not None and set(tenant.pinned_cells) != set(shard):
            problems.append(
                Problem(where, "lock-pins", f"tenant '{tenant.id}' pins other cells: {update}")
            )
        declared = {j.id for j in tenant.jobs}
        placed = placed_jobs.get(tenant.id, set())
        for job in sorted(declared - placed):
            problems.append(
                Problem(
                    f"{where}.jobs.{job}",
                    "lock-missing-job",
                    f"job '{tenant.id}/{job}' has no cell: {update}",
                )
            )
        for job in sorted(placed - declared):
            problems.append(
                Problem(
                    f"{where}.jobs.{job}",
                    "lock-extra-job",
                    f"job '{tenant.id}/{job}' is in the lock but not the fleet: {update}",
                )
            )
        for job in sorted(declared & placed):
            if placement.jobs[(tenant.id, job)] not in shard:
                problems.append(
                    Problem(
                        f"{where}.jobs.{job}",
                        "lock-job-outside-shard",
                        f"job '{tenant.id}/{job}' runs outside its tenant's shard: "
                        "run `cellctl shard --rebalance`",
                    )
                )
    return problems + _over_capacity(fleet, placement) + move_problems(fleet, placement)


def _over_capacity(fleet: Fleet, placement: Placement) -> list[Problem]:
    units = {(t.id, j.id): j.capacity_units for t in fleet.tenants for j in t.jobs}
    used: dict[str, int] = {}
    for key, cell in placement.jobs.items():
        used[cell] = used.get(cell, 0) + units.get(key, 0)
    problems = []
    for cell in fleet.cells:
        capacity = fleet.sizes[cell.size].capacity_units
        if used.get(cell.id, 0) > capacity:
            problems.append(
                Problem(
                    f"cells.{cell.id}",
                    "lock-over-capacity",
                    f"cell '{cell.id}' holds jobs of {used[cell.id]} capacity units, more than "
                    f"the {capacity} of its size '{cell.size}': run `cellctl shard --rebalance`",
                )
            )
    return problems


def unfinished_drains(fleet: Fleet, placement: Placement) -> list[Problem]:
    """Draining cells that the lock still places tenants on: a drain that was not run."""
    problems = []
    for cell in fleet.cells:
        if cell.state != CellState.DRAINING:
            continue
        held = placement.tenants_in(cell.id)
        if held:
            problems.append(
                Problem(
                    f"cells.{cell.id}",
                    "drain-unfinished",
                    f"cell '{cell.id}' is draining but still holds {', '.join(held)}: "
                    f"run `cellctl shard --drain {cell.id}` and commit the lock",
                )
            )
    return problems


def load_placement(fleet: Fleet, fleet_file: Path) -> Placement:
    """The locked placement, checked against the fleet; what the Pulumi program builds from."""
    file = lock_path(fleet_file)
    if not files.exists(file):
        # A fleet copy's lock lives beside the copy: the fix names it.
        default = fleet_file.name == "fleet.yaml" and fleet_file.parent.name == "cells"
        shard = "cellctl shard" if default else f"cellctl shard --fleet {fleet_file}"
        raise FleetError(
            file,
            [Problem("", "lock-missing", f"no placement lock: run `{shard}` and commit it")],
        )

    def checked() -> tuple[weakref.ref[Fleet], Placement]:
        placement = read_lock(file)
        problems = disagreements(fleet, placement)
        if problems:
            raise FleetError(file, problems)
        return weakref.ref(fleet), placement

    key = (file.resolve(), id(fleet))
    kept, placement = _CHECKED.get(key, file, checked)
    if kept() is not fleet:  # checked against a fleet since freed, whose id this one reuses
        _CHECKED.forget()
        kept, placement = _CHECKED.get(key, file, checked)
    return placement


# The last lock read and checked in this process, by fleet and file: a process that plans many
# stacks runs the program once per stack, and each run reads the committed lock itself (as
# `pulumi up` does) without parsing and checking the whole fleet's placement again. The fleet
# is only referred to, never kept alive: the loader keeps the last one.
_CHECKED: LastRead[tuple[weakref.ref[Fleet], Placement]] = LastRead()
