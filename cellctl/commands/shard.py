"""`cellctl shard`: place tenants by shuffle sharding and keep the placement lock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cellctl import render
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project, tracked_by_git
from cells import files
from cells.collector import paused
from cells.loader import load_fleet, locate
from cells.model import CellState, Fleet
from cells.placement import (
    Placement,
    PlacementError,
    disagreements,
    lock_path,
    place,
    read_lock,
    render_lock,
    unfinished_drains,
)
from cells.placement.changes import count_changes
from cells.placement.moves import in_progress, next_step, record_moves
from cells.problems import FleetError, Problem


@reports_user_errors
def shard(
    rebalance: Annotated[
        bool,
        typer.Option(
            "--rebalance",
            help="From the lock, move shard members and jobs (each through a savepoint) to even"
            " out load and tenants per cell.",
        ),
    ] = False,
    drain: Annotated[
        str | None, typer.Option("--drain", metavar="CELL", help="Move every tenant off CELL.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the lock is out of date.")
    ] = False,
    report: Annotated[bool, typer.Option("--report", help="Print load, overlap, risk.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Print every tenant and change, however large the fleet."),
    ] = False,
) -> None:
    """Place new tenants and jobs, keeping every existing assignment; update the lock file."""
    if rebalance and drain:
        raise FleetError(
            Path("cellctl"),
            [Problem("--drain", "usage", "--rebalance and --drain are separate steps")],
        )
    # Everything this command builds (the fleet, both placements, the lock's text) stays alive
    # to its end: automatic collections on the way would only walk it again and again.
    with paused():
        _shard(rebalance, drain, check, report, as_json, fleet_file, full)


def _shard(
    rebalance: bool,
    drain: str | None,
    check: bool,
    report: bool,
    as_json: bool,
    fleet_file: Path | None,
    full: bool,
) -> None:
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    lock_file = lock_path(path)
    current = files.read_text_if_exists(lock_file)
    previous = read_lock(lock_file) if current is not None else None
    if drain is not None:
        _check_drainable(fleet, previous, drain, path)
    try:
        result = place(fleet, previous, rebalance=rebalance, drain=drain)
        # A job that changes cells moves with its state: the lock records each move's step.
        locked = record_moves(previous, result.placement, result.moves)
    except PlacementError as error:
        raise FleetError(path, locate(path, error.problems)) from None
    text = render_lock(fleet, locked)
    relative = project.relative(lock_file)
    if as_json:
        render.info(json.dumps(render.placement_json(fleet, previous, result), indent=2))
    else:
        render.placement_tables(fleet, result.placement, full=full)
        more = ""
        if render.capped(result.moves, full=full):
            more = _where_the_rest_is(lock_file, relative, check, previous is None)
        render.moves(result.moves, more, full=full)
        if report:
            render.placement_report(fleet, previous, result.placement)
    status = render.note if as_json else render.info
    moving = in_progress(locked)
    if check:
        reasons = unfinished_drains(fleet, previous) if previous is not None else []
        if previous is not None:
            reasons = disagreements(fleet, previous) + reasons
        if reasons:
            render.fleet_error(FleetError(lock_file, reasons))
        if current != text or reasons:
            render.failure(
                f"{relative} is out of date with the fleet; "
                + ("each problem above says what to run" if reasons else "run `cellctl shard`")
            )
            raise typer.Exit(EXIT_FINDINGS)
        for (tenant, job), move in moving:
            render.failure(
                f"job {tenant}/{job} is moving {move.from_cell} -> {move.to_cell} "
                f"({move.step}); next: {next_step(tenant, job, move)}"
            )
        if moving:
            raise typer.Exit(EXIT_FINDINGS)
        status(f"{relative} is up to date")
        return
    if current != text:
        files.write_text(lock_file, text, inputs=(path,))
        summary = render.change_summary(count_changes(result.moves))
        status(f"wrote {relative}: {summary}; commit it with the fleet file")
    else:
        status(f"{relative} is up to date")
    render.moving_jobs(moving, full=full)


def _where_the_rest_is(lock_file: Path, relative: str, check: bool, first: bool) -> str:
    """Where a person sees the changes not listed: `git diff` only shows them for a lock git
    tracks, and a lock this run wrote cannot list them again."""
    if check:
        return "add `--full` to list every change (`--check` writes nothing)"
    if tracked_by_git(lock_file):
        return f"`git diff {relative}` shows every change"
    if first:
        return f"{relative} is new: it lists every shard and job"
    return (
        f"{relative} is not tracked by git, so `git diff` cannot show them; next time "
        "`cellctl shard --check --full` lists every change first and writes nothing (and "
        "once the lock is committed, `git diff` shows them)"
    )


def _check_drainable(
    fleet: Fleet, previous: Placement | None, cell_id: str, fleet_file: Path
) -> None:
    cell = fleet.cell(cell_id)
    in_lock = previous is not None and any(cell_id in s for s in previous.shards.values())
    if cell is None and not in_lock:
        raise FleetError(
            fleet_file, [Problem("cells", "unknown-cell", f"--drain {cell_id}: no such cell")]
        )
    if cell is not None and cell.state == CellState.ACTIVE:
        raise FleetError(
            fleet_file,
            [
                Problem(
                    "cells",
                    "drain-active-cell",
                    f"cell '{cell_id}' is active: set `state: draining` for it in the fleet "
                    "file first, so that no new tenant lands there, then drain it",
                )
            ],
        )
