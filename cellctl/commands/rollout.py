"""`cellctl rollout`: waves of `pulumi up`, canary first, bake, health gates, halt, resume."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from cellctl import render, rollout_view
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import Project, find_project, require_stacks_in_sync
from cells.durations import format_duration, parse_duration
from cells.loader import load_fleet
from cells.model import CellState, Fleet
from cells.placement import load_placement
from cells.problems import FleetError, Problem
from review import load_acks
from rollout.automation import AutomationExecutor
from rollout.dangers import screen_with
from rollout.errors import RolloutError
from rollout.gates import fleet_gates
from rollout.plan import CellTarget, bake_for, plan_rollout
from rollout.record import CellStep, Commit, Outcome, RolloutRecord
from rollout.run import Rollout

EXIT_INTERRUPTED = 130  # the shell's code for a Ctrl-C
GITHUB_MATRIX_LIMIT = 256  # jobs one matrix may generate

app = typer.Typer(
    help="Roll changes out wave by wave: preview, `pulumi up`, bake, health gates.",
    invoke_without_command=True,
)


def _load(fleet_file: Path | None) -> tuple[Project, Path, Fleet]:
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    load_placement(fleet, path)  # a stale lock stops here, before any stack is touched
    return project, path, fleet


def _duration(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


class _CtrlC:
    """Ctrl-C: finish the cells in flight, then stop. Cutting a `pulumi up` half-way leaves a
    stack with pending operations, so a second Ctrl-C only says what is still running."""

    def __init__(self, rollout: Rollout) -> None:
        self.rollout = rollout
        self.previous = signal.getsignal(signal.SIGINT)

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        if not self.rollout.stop_requested.is_set():
            self.rollout.stop()
            render.warning("Ctrl-C: stopping after the cells in flight finish")
            return
        busy = self.rollout.record.cells_in(CellStep.PREVIEWING, CellStep.UPDATING)
        render.warning(
            f"still waiting for {', '.join(busy) or 'the current step'}: an update cut half-way "
            "leaves its stack with pending operations"
        )

    def __exit__(self, *_exc: object) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.previous)


@app.callback()
@reports_user_errors
def rollout(
    ctx: typer.Context,
    cells: Annotated[
        list[str] | None, typer.Option("--cell", help="Roll out this cell (repeatable).")
    ] = None,
    regions: Annotated[
        list[str] | None, typer.Option("--region", help="Roll out this region's cells.")
    ] = None,
    waves: Annotated[
        list[int] | None, typer.Option("--wave", help="Roll out this wave's cells.")
    ] = None,
    bake: Annotated[
        str | None,
        typer.Option("--bake", help="Bake after every wave (90s, 30m, 1h); default: fleet file."),
    ] = None,
    parallel: Annotated[
        int, typer.Option("--parallel", min=1, help="Cells updated at once within a wave.")
    ] = 1,
    preview_only: Annotated[
        bool, typer.Option("--preview-only", help="Preview every selected cell; change nothing.")
    ] = False,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue the recorded rollout with this id.")
    ] = None,
    ack: Annotated[
        Path | None,
        typer.Option("--ack", help="Acknowledged dangers (the file cellctl diff reads)."),
    ] = None,
    gate: Annotated[
        bool, typer.Option("--gate/--no-gate", help="Health gates after each wave's bake.")
    ] = True,
    policy_config: Annotated[
        Path | None,
        typer.Option("--policy-config", help="--policy-pack-config JSON for the packs."),
    ] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Preview every selected cell of a wave (a danger that is not acknowledged stops the rollout
    before the wave changes), `pulumi up` them K at a time with the policy packs, bake, check the
    health gates, then the next wave. Cells in state standby are skipped unless named."""
    if ctx.invoked_subcommand is not None:
        return
    project, path, fleet = _load(fleet_file)
    require_stacks_in_sync(project, fleet, path)
    commit = Commit.of(project.root)
    bake_seconds = _duration(bake, "--bake")
    if resume is not None:
        if cells or regions or waves or bake is not None:
            raise RolloutError(
                "--resume continues the recorded selection: drop --cell/--region/--wave/--bake"
            )
        record = RolloutRecord.load(project.root, resume)
        if record.commit.sha != commit.sha:
            raise RolloutError(
                f"rollout {resume} rolled out commit {record.commit.sha[:12]}; this checkout is "
                f"{commit.sha[:12]}: check out {record.commit.sha[:12]} to resume it, or start "
                "a new rollout"
            )
        if record.outcome == Outcome.COMPLETED:
            render.info(f"rollout {resume} already completed")
            return
        preview_only = bool(record.options.get("preview_only", False))
        parallel = int(record.options.get("parallel", parallel))
        gate = bool(record.options.get("gate", gate))
    else:
        plan = plan_rollout(
            fleet,
            path,
            cells=cells or [],
            regions=regions or [],
            waves=waves or [],
            bake_seconds=bake_seconds,
        )
        record = None
    acks = load_acks(ack) if ack is not None else None
    if commit.dirty:
        render.warning("the working tree has uncommitted changes: they roll out too, unrecorded")
    executor = AutomationExecutor(project.root, policy_config=policy_config)
    try:
        todo = (
            [c.id for c in record.plan.cells if record.cells[c.id].step != CellStep.SUCCEEDED]
            if record is not None
            else [c.id for c in plan.cells]
        )
        executor.preflight(todo)
        if record is None:
            options = {"parallel": parallel, "preview_only": preview_only, "gate": gate}
            record = RolloutRecord.create(project.root, plan, commit, options)
        else:
            record.resumed(commit)
        executor.message = f"cellctl rollout {record.id} at {commit.sha[:12]}"
        render.info(f"rollout {record.id}: journal {project.relative(record.path)}")
        run = Rollout(
            record=record,
            executor=executor,
            screen=screen_with(acks),
            gates=fleet_gates(fleet, project.root) if gate else None,
            parallel=parallel,
            preview_only=preview_only,
            listener=rollout_view.ConsoleListener(),
        )
        with _CtrlC(run):
            outcome = run.run()
    finally:
        executor.close()
    rollout_view.report(record, outcome)
    if outcome == Outcome.INTERRUPTED:
        render.interrupt_reported()
        raise typer.Exit(EXIT_INTERRUPTED)
    if outcome == Outcome.HALTED:
        raise typer.Exit(EXIT_FINDINGS)


def _wave_cells(fleet: Fleet, path: Path, wave: int, *, up_to: bool) -> list[CellTarget]:
    if wave not in {c.wave for c in fleet.cells}:
        known = ", ".join(str(w) for w in sorted({c.wave for c in fleet.cells}))
        raise FleetError(
            path, [Problem("cells", "unknown-wave", f"--wave {wave}: no such wave ({known})")]
        )
    return [
        CellTarget(c.id, c.region, c.wave)
        for c in fleet.cells
        if (c.wave <= wave if up_to else c.wave == wave) and c.state != CellState.STANDBY
    ]


@app.command("matrix")
@reports_user_errors
def matrix(
    wave: Annotated[int, typer.Option("--wave", help="The wave whose cells to list.")],
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """The GitHub Actions matrix of a wave's cells (standby cells left out), as one JSON line."""
    _, path, fleet = _load(fleet_file)
    cells = _wave_cells(fleet, path, wave, up_to=False)
    if len(cells) > GITHUB_MATRIX_LIMIT:
        raise FleetError(
            path,
            [
                Problem(
                    "cells",
                    "wave-too-large",
                    f"wave {wave} has {len(cells)} cells; a GitHub Actions matrix runs at most "
                    f"{GITHUB_MATRIX_LIMIT} jobs: split the wave",
                )
            ],
        )
    include = [{"cell": c.id, "region": c.region} for c in cells]
    typer.echo(json.dumps({"include": include}, separators=(",", ":")))


@app.command("gate")
@reports_user_errors
def gate_command(
    wave: Annotated[int, typer.Option("--wave", help="Check the cells of this and earlier waves.")],
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Health gates for every non-standby cell up to a wave: exit 1 when any fails."""
    project, path, fleet = _load(fleet_file)
    cells = _wave_cells(fleet, path, wave, up_to=True)
    failures = fleet_gates(fleet, project.root).check(cells)
    for f in failures:
        render.info(f"{f.cell}: {f.gate}: {f.detail}")
    if failures:
        render.failure(f"health gates failed for {len({f.cell for f in failures})} cells")
        raise typer.Exit(EXIT_FINDINGS)
    render.info(f"health gates passed for {len(cells)} cells up to wave {wave}")


@app.command("bake")
@reports_user_errors
def bake_command(
    wave: Annotated[int, typer.Option("--wave", help="The wave just rolled out.")],
    duration: Annotated[
        str | None, typer.Option("--for", help="Bake this long instead of the fleet's time.")
    ] = None,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Wait the wave's bake time (the fleet file's, or --for)."""
    _, path, fleet = _load(fleet_file)
    _wave_cells(fleet, path, wave, up_to=False)
    seconds = _duration(duration, "--for")
    seconds = bake_for(fleet, wave) if seconds is None else seconds
    render.info(f"wave {wave}: baking {format_duration(seconds)}")
    try:
        threading.Event().wait(seconds)
    except KeyboardInterrupt:
        render.failure(f"wave {wave}: bake interrupted")
        render.interrupt_reported()
        raise typer.Exit(EXIT_INTERRUPTED) from None
    render.info(f"wave {wave}: baked")
