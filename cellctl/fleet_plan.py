"""`cellctl plan` at work: every resource of every selected cell, planned and checked against the
policy packs, without the Pulumi CLI or a cloud."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cellctl import render
from cellctl.errors import EXIT_FINDINGS
from cellctl.project import Project, require_stacks_in_sync
from cells import files
from cells.loader import load_fleet
from cells.model import Fleet
from cells.placement import load_placement, lock_path
from cells.problems import FleetError, Problem
from cells.stamping import stack_config, stack_names
from cells.yaml_source import line_of, read_yaml
from offline import plan_document, plan_stacks
from offline.workers import PlanWorkers
from policies.offline import PACKS, Finding, blocking, evaluate, load_config
from policies.waivers import WAIVERS_FILE, Waivers, WaiversError


def plan_fleet(
    project: Project,
    cells: list[str],
    out: Path | None,
    fleet_file: Path | None,
    policy_config: Path | None,
    workers: PlanWorkers,
) -> None:
    """Plan the selected cells (all when none) on this process and `workers`, check the policy
    packs against every plan, and write the plan file if asked."""
    try:
        settings = load_config(policy_config)
    except ValueError as error:
        raise FleetError(
            policy_config or Path("--policy-config"), [Problem("", "policy-config", str(error))]
        ) from None
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    waivers = _waivers(fleet)
    load_placement(fleet, path)  # a stale lock is reported here, before any program runs
    # Every stack: one per cell, and the recovery stack of each cell of a lost region.
    selected = _select(list(stack_names(fleet)), cells, path)
    inputs = (
        path,
        lock_path(path),
        *project.stacks_dir.glob("Pulumi.*.yaml"),
        WAIVERS_FILE,
        *([policy_config] if policy_config else []),
    )
    if out is not None:
        files.check_target(out, inputs=inputs)  # before minutes of planning, not after
    # A fleet file outside the project is a what-if: its stacks are planned from config made
    # here, and no stack file is read or written (they name the committed fleet file).
    what_if = Path(project.relative(path)).is_absolute()
    configs = {c: stack_config(fleet, c, str(path.resolve())) for c in selected} if what_if else {}
    if what_if:
        render.note(f"what-if plan of {path}: committed stack files are neither read nor written")
    else:
        require_stacks_in_sync(project, fleet, path)
    plans = []
    # Each plan is checked as it arrives, while the workers plan on: this process takes fewer
    # stacks of its own, and no check is left for after the last plan.
    findings_of: dict[str, list[Finding]] = {}
    lines = not render.err.is_terminal  # CI logs get one line per cell instead of a bar
    with Progress(
        TextColumn("planning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=render.err,
        transient=True,
        disable=lines,
    ) as progress:
        task = progress.add_task("plan", total=len(selected))
        # closing(): an exception in this loop (a Ctrl-C) stops the workers before it leaves.
        with closing(
            plan_stacks(project.root, selected, len(workers) + 1, configs, workers)
        ) as planned:
            for stack_plan in planned:
                plans.append(stack_plan)
                findings_of[stack_plan["stack"]] = evaluate(stack_plan, settings, waivers)
                progress.advance(task)
                if lines:
                    render.note(
                        f"planned {stack_plan['stack']}: {len(stack_plan['resources'])} "
                        f"resources [{len(plans)}/{len(selected)}]"
                    )
    render.plan_summary(plans)
    total = sum(len(p["resources"]) for p in plans)
    render.info(f"planned {total} resources in {len(plans)} cells of fleet '{fleet.name}'")
    if out is not None:
        files.write_text(out, plan_document(fleet.name, plans), inputs=inputs)
        render.info(f"wrote {out}")
    findings = [f for stack in sorted(findings_of) for f in findings_of[stack]]
    render.policy_findings(findings)
    if blocking(findings):
        raise typer.Exit(EXIT_FINDINGS)


def _waivers(fleet: Fleet) -> Waivers:
    """The waivers file, checked against the packs' rules and the fleet's cells and tenants."""
    if files.exists(WAIVERS_FILE):
        read_yaml(WAIVERS_FILE)  # unreadable, not UTF-8, too deep, an alias bomb: one report
    try:
        return Waivers.load(
            WAIVERS_FILE,
            rules=[rule for pack in PACKS for rule in pack.rules],
            cells=[c.id for c in fleet.cells],
            tenants=[t.id for t in fleet.tenants],
        )
    except WaiversError as error:
        lines = _lines(error.file)
        raise FleetError(
            error.file,
            [
                Problem(
                    p.location, p.code, p.message, line_of(lines, p.location) if lines else None
                )
                for p in error.problems
            ],
        ) from None


def _lines(file: Path) -> dict[str, int]:
    """Line of each YAML path in a file, for pointing at a problem; none if unreadable."""
    try:
        return read_yaml(file)[1]
    except FleetError:
        return {}


def _select(known: list[str], wanted: list[str], fleet_file: Path) -> list[str]:
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise FleetError(
            fleet_file,
            [
                Problem(
                    "cells",
                    "unknown-cell",
                    f"--cell {cell}: no such cell (cells: {', '.join(known)})",
                )
                for cell in unknown
            ],
        )
    return [c for c in known if not wanted or c in wanted]
