"""`cellctl dr`: recovery decisions for a lost region, readiness, and drills."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer

from cellctl import render_dr
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project
from cells import files
from cells.loader import load_fleet
from cells.placement import load_placement
from cells.problems import FleetError, Problem
from cells.recovery_lock import RECOVERY_LOCK_FILE, render_recovery_lock
from dr.decide import decide_recovery, discover, misses, recovery_targets
from dr.drill import DEFAULT_LOST_AT, DrillSettings, run_drill
from dr.readiness import readiness as readiness_rows
from dr.replication_sim import ReplicationProfile
from state.s3 import s3_client

app = typer.Typer(
    no_args_is_help=True, help="Disaster recovery: recovery plans, readiness, drills."
)
SAVEPOINT_FIXTURES = "tests/state/savepoints"


@cache
def _s3(region: str) -> Any:
    return s3_client(region)


@app.command("plan")
@reports_user_errors
def plan(
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel reads.")] = 16,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Decide each lost job's restore point (the newest complete savepoint in its cell's
    replica) and write the recovery lock that `pulumi up` of the recovery stacks reads."""
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    placement = load_placement(fleet, path)
    lost = fleet.lost_regions()
    if not lost:
        raise FleetError(
            path,
            [
                Problem(
                    "regions",
                    "no-lost-region",
                    "no region is declared lost: set `status: lost` and `lost_at` on it, then "
                    "run `cellctl stacks sync` and `cellctl dr plan`",
                )
            ],
        )
    targets = [t for region in lost for t in recovery_targets(fleet, placement, region)]
    lock = decide_recovery(fleet, discover(_s3, targets, workers=workers), datetime.now(UTC))
    target = project.root / RECOVERY_LOCK_FILE
    files.write_text(target, render_recovery_lock(lock))  # whole or not at all
    missed = misses(lock)
    render_dr.recovery_plan(lock, missed)
    render_dr.info(f"\nwrote {project.relative(target)}: review it in the recovery pull request")
    if missed:
        raise typer.Exit(EXIT_FINDINGS)


@app.command("readiness")
@reports_user_errors
def readiness(
    region: Annotated[
        str | None, typer.Option("--region", help="Only this region (default: all with cells).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel reads.")] = 16,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Per cell and job: could it be recovered in the DR region now, within its DR RPO?"""
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    placement = load_placement(fleet, path)
    with_cells = sorted({c.region for c in fleet.cells})
    if region is not None and region not in with_cells:
        raise FleetError(
            path,
            [
                Problem(
                    "--region",
                    "unknown-region",
                    f"--region {region}: no cells there (regions with cells: "
                    f"{', '.join(with_cells)})",
                )
            ],
        )
    now = datetime.now(UTC)
    rows = readiness_rows(fleet, placement, _s3, [region] if region else with_cells, now,
                          workers=workers)  # fmt: skip
    if as_json:
        render_dr.info(json.dumps(render_dr.readiness_json(rows), indent=2))
    else:
        render_dr.readiness_table(rows, now)
    if not all(r.ready for r in rows):
        raise typer.Exit(EXIT_FINDINGS)


@app.command("drill")
@reports_user_errors
def drill(
    region: Annotated[str, typer.Option("--region", help="The region to lose.")],
    seed: Annotated[int, typer.Option("--seed", help="Makes the drill reproducible.")] = 0,
    savepoints: Annotated[
        int, typer.Option("--savepoints", min=1, help="Savepoints per job before the loss.")
    ] = 4,
    mean_lag: Annotated[
        float, typer.Option("--mean-lag", min=0.0, help="Typical replication lag, seconds.")
    ] = 20.0,
    slow_fraction: Annotated[
        float,
        typer.Option("--slow-fraction", min=0.0, max=1.0, help="Objects lagging past RTC."),
    ] = 0.02,
    slow_lag: Annotated[
        tuple[float, float],
        typer.Option("--slow-lag", help="Lag range of slow objects, seconds."),
    ] = (900.0, 2400.0),
    failed_fraction: Annotated[
        float,
        typer.Option("--failed-fraction", min=0.0, max=1.0, help="Replications that fail."),
    ] = 0.005,
    newest_metadata_first: Annotated[
        bool,
        typer.Option(
            "--newest-metadata-first",
            help="Each job's newest _metadata arrives, its state files are still in flight.",
        ),
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Planning processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
    fixtures: Annotated[
        Path | None,
        typer.Option(
            "--savepoint-fixtures", help=f"Real savepoints (default {SAVEPOINT_FIXTURES})."
        ),
    ] = None,
) -> None:
    """Lose REGION on purpose against moto on 127.0.0.1 (replication simulated): savepoints,
    replication with lag, discovery, recovery stacks planned offline and checked by policy."""
    project = find_project()
    path = project.fleet_file(fleet_file)
    settings = DrillSettings(
        region=region,
        seed=seed,
        savepoints_per_job=savepoints,
        lost_at=DEFAULT_LOST_AT,
        profile=ReplicationProfile(
            mean_lag_seconds=mean_lag,
            slow_fraction=slow_fraction,
            slow_lag_seconds=slow_lag,
            failed_fraction=failed_fraction,
            newest_metadata_first=newest_metadata_first,
        ),
        plan_workers=jobs,
    )
    report = run_drill(project.root, path, settings, fixtures or project.root / SAVEPOINT_FIXTURES)
    if as_json:
        render_dr.info(json.dumps(render_dr.drill_json(report), indent=2))
    else:
        render_dr.drill(report)
    if not report.passed:
        raise typer.Exit(EXIT_FINDINGS)
