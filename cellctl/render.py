"""Everything cellctl prints: one place for the shape of its output."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from cells.model import Fleet, Tenant
    from cells.placement import JobKey, JobMove, Move, Placement, PlacementResult
    from cells.placement.changes import ChangeCounts
    from cells.placement.report import CellLoad
    from cells.problems import FleetError
    from policies.offline import Finding

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table: never wrapped, so every row stays one greppable line."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in lines
    )


def fleet_error(error: FleetError) -> None:
    count = len(error.problems)
    err.print(f"error: {error.file}: {count} problem{'s' if count != 1 else ''}", markup=False)
    rows = [
        (str(p.line) if p.line else "-", p.location or "(file)", p.code, p.message)
        for p in error.problems
    ]
    err.print(text_table(("line", "field", "code", "problem"), rows), markup=False)


def failure(message: str) -> None:
    err.print(f"error: {message}", markup=False)


# Whether the user has been told of a Ctrl-C: the `cellctl` executable says it otherwise.
interrupt_told = False


def interrupted() -> None:
    err.print(
        "\ninterrupted (Ctrl-C): stopped; files are written whole or not at all", markup=False
    )
    interrupt_reported()


def interrupt_reported() -> None:
    """The command has said, its own way, that a Ctrl-C stopped it."""
    global interrupt_told
    interrupt_told = True


def info(message: str) -> None:
    out.print(message, markup=False)


def note(message: str) -> None:
    """Status for a person, kept off stdout (for output meant for machines)."""
    err.print(message, markup=False)


def warning(message: str) -> None:
    err.print(f"warning: {message}", markup=False)


def _kubernetes_target(resources: list[dict[str, Any]]) -> str:
    """The cluster a stack's Kubernetes provider points at, read from its kubeconfig."""
    for resource in resources:
        if resource["type"] == "pulumi:providers:kubernetes":
            try:
                clusters = json.loads(resource["inputs"].get("kubeconfig", ""))["clusters"]
                return ",".join(c["name"] for c in clusters)
            except (ValueError, KeyError, TypeError):
                return "?"
    return "-"


def plan_summary(plans: Sequence[dict[str, Any]]) -> None:
    headers = (
        "cell", "region", "dr region", "resources", "aws", "kubernetes", "protected",
        "tenants", "topics", "jobs", "kubernetes target",
    )  # fmt: skip
    rows = []
    for plan in sorted(plans, key=lambda p: p["stack"]):
        resources = plan["resources"]

        def count(match: Callable[[str], bool], resources: list = resources) -> str:
            return str(sum(match(r["type"]) for r in resources))

        rows.append(
            (
                plan["stack"],
                str(plan["outputs"].get("region", "?")),
                str(plan["outputs"].get("drRegion", "?")),
                str(len(resources)),
                count(lambda t: t.startswith("aws:")),
                count(lambda t: t.startswith("kubernetes:")),
                str(sum(r["protect"] for r in resources)),
                count(lambda t: t == "flinkcells:identity:TenantIdentity"),
                count(lambda t: t == "aws:msk/topic:Topic"),
                count(lambda t: t.endswith(":FlinkDeployment")),
                _kubernetes_target(resources),
            )
        )
    info("offline plan (mock runtime: no cloud calls, placeholder account 111122223333)")
    info(text_table(headers, rows))


# A region's tenants x cells matrix is printed when a person can read it whole; a larger region
# gets one row per cell instead (its size grows with the cells, not with the tenants).
MATRIX_TENANTS = 50
MATRIX_CELLS = 16
# A region with more cells than this lists its fullest cells and every cell that is not active.
LISTED_CELLS = 100
FULLEST_CELLS = 20
# Tenants named in one line of the report.
LISTED_TENANTS = 20
# Changes listed one per line; past this, a count per reason and the changes that matter most.
LISTED_CHANGES = 50


def placement_tables(fleet: Fleet, placement: Placement, *, full: bool = False) -> None:
    """Per region: the tenants x cells matrix (jobs in the cell, `+` member without jobs) while
    it is small or `full`, else a row per cell; then load."""
    from cells.placement.report import cell_loads, max_over_mean, tenants_max_over_mean

    loads = {load.cell: load for load in cell_loads(fleet, placement)}
    homed: dict[str, list[Tenant]] = {}
    for tenant in fleet.tenants:
        homed.setdefault(tenant.home_region, []).append(tenant)
    jobs_by = Counter((tenant, cell) for (tenant, _), cell in placement.jobs.items())
    jobs_in = Counter(placement.jobs.values())
    for region in fleet.regions:
        cells = [c.id for c in fleet.cells_in(region.name)]
        tenants = homed.get(region.name, [])
        if not cells:
            info(f"\n{region.name}: {_no_cells(fleet, region.name)}")
            continue
        region_loads = [loads[c] for c in cells]
        if full or (len(tenants) <= MATRIX_TENANTS and len(cells) <= MATRIX_CELLS):
            info(f"\n{region.name}: max/mean load {max_over_mean(region_loads):.2f}")
            rows = _matrix(tenants, cells, placement, jobs_by)
            rows.append(
                ["capacity used", ""] + [f"{load.used}/{load.capacity}" for load in region_loads]
            )
            rows.append(["state", ""] + [load.state for load in region_loads])
            info(text_table(["tenant", "k", *cells], rows))
            continue
        members = [load.tenants for load in region_loads if load.state == "active"]
        spread = (
            f"tenants per cell {min(members)}-{max(members)} "
            f"(max/mean {tenants_max_over_mean(region_loads):.2f})"
            if members
            else "no active cell"
        )
        info(
            f"\n{region.name}: {len(tenants)} tenants on {len(cells)} cells, "
            f"max/mean load {max_over_mean(region_loads):.2f}, {spread}"
        )
        _cell_rows(region_loads, jobs_in)


def _no_cells(fleet: Fleet, region: str) -> str:
    """Whether a region without cells is fine: a DR partner needs only its network. (Tenants at
    home there cannot be placed: `shard` fails before it prints.)"""
    partners = [r.name for r in fleet.regions if r.dr_partner == region and fleet.cells_in(r.name)]
    if partners:
        return (
            f"no cells, which is fine: it is the DR partner of {', '.join(partners)} only "
            "(replica buckets, and recovery cells if that region is lost)"
        )
    return "no cells, no tenants, and no region names it as its DR partner: it is unused"


def _matrix(
    tenants: Sequence[Tenant], cells: list[str], placement: Placement, jobs_by: Counter
) -> list[list[str]]:
    rows = []
    for tenant in tenants:
        shard = placement.shards.get(tenant.id, ())
        row = [tenant.id, str(tenant.shard_size)]
        for cell in cells:
            jobs = jobs_by[(tenant.id, cell)]
            row.append(
                f"{jobs} job{'s' if jobs != 1 else ''}" if jobs else "+" if cell in shard else ""
            )
        rows.append(row)
    return rows


def _cell_rows(loads: list[CellLoad], jobs_in: Counter) -> None:
    shown = loads
    if len(loads) > LISTED_CELLS:
        fullest = sorted(loads, key=lambda load: (-load.utilisation, load.cell))[:FULLEST_CELLS]
        keep = {load.cell for load in fullest}
        keep |= {load.cell for load in loads if load.state != "active"}
        shown = [load for load in loads if load.cell in keep]
        info(f"the {FULLEST_CELLS} fullest cells and every cell that is not active:")
    rows = [
        (load.cell, load.state, f"{load.used}/{load.capacity}", f"{load.utilisation:.0%}",
         str(load.tenants), str(jobs_in[load.cell]))
        for load in shown
    ]  # fmt: skip
    info(text_table(("cell", "state", "capacity used", "used", "tenants", "jobs"), rows))
    if len(shown) < len(loads):
        info(
            f"... {len(loads) - len(shown)} more cells: `cellctl shard --check --json` "
            "lists every cell"
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def change_summary(counts: ChangeCounts) -> str:
    """What a run changed, in one line: the same words above the list of changes and after the
    lock is written. Tenants count once, however many of their shard members changed."""
    members = [
        (counts.members_moved, "moved"),
        (counts.members_added, "added"),
        (counts.members_removed, "removed"),
    ]
    shown = [(n, verb) for n, verb in members if n]
    member_text = ", ".join(
        f"{_plural(n, 'member') if i == 0 else n} {verb}" for i, (n, verb) in enumerate(shown)
    )
    changed = counts.tenants_changed
    parts = [
        (counts.new_tenants, _plural(counts.new_tenants, "new tenant")),
        (
            changed,
            f"{_plural(changed, 'tenant')} change{'s' if changed == 1 else ''} shard "
            f"({member_text})",
        ),
        (counts.tenants_removed, f"{_plural(counts.tenants_removed, 'tenant')} left the fleet"),
        (counts.new_jobs, _plural(counts.new_jobs, "new job")),
        (
            counts.jobs_moved,
            f"{_plural(counts.jobs_moved, 'job')} move{'s' if counts.jobs_moved == 1 else ''}",
        ),
        (counts.jobs_removed, f"{_plural(counts.jobs_removed, 'job')} removed"),
    ]
    return ", ".join(text for n, text in parts if n) or "no placement changes"


def capped(changes: Sequence[Move], *, full: bool = False) -> bool:
    """Whether `moves` lists only some of the changes (and needs a hint for the rest)."""
    return len(changes) > LISTED_CHANGES and not full


def moves(changes: Sequence[Move], more: str = "", *, full: bool = False) -> None:
    """The run's changes under their summary; past LISTED_CHANGES, the count per reason and the
    changes to review first, then `more`: where to see the rest."""
    from cells.placement.changes import count_changes

    if not changes:
        info("\nno placement changes")
        return
    counts = count_changes(changes)
    info(f"\n{change_summary(counts)}:")
    listed = changes
    if capped(changes, full=full):
        for what, reasons in (("tenants", counts.tenant_reasons), ("jobs", counts.job_reasons)):
            if reasons:
                info(f"  {what}: " + ", ".join(f"{n} ({reason})" for reason, n in reasons))
        # State moves and removals first: they are what a reviewer has to look at.
        listed = sorted(changes, key=_review_order)[:LISTED_CHANGES]
    for change in listed:
        info(f"  {change.describe()}")
    if len(listed) < len(changes):
        info(f"  ... {len(changes) - len(listed)} more: {more}")


def _review_order(change: Move) -> int:
    if change.job is not None and change.before and change.after:
        return 0  # a job and its state move between cells
    if change.after is None:
        return 1  # a job, tenant or shard member leaves a cell
    return 2 if change.before else 3  # a shard changes; something new is placed


def moving_jobs(moving: Sequence[tuple[JobKey, JobMove]], *, full: bool = False) -> None:
    """Warnings for the jobs whose state is moving, each with its next step."""
    from cells.placement.moves import next_step

    listed = moving if full else moving[:LISTED_CHANGES]
    for (tenant, job), move in listed:
        warning(
            f"job {tenant}/{job} is moving {move.from_cell} -> {move.to_cell} ({move.step}); "
            f"next: {next_step(tenant, job, move)}"
        )
    if len(listed) < len(moving):
        warning(
            f"... {len(moving) - len(listed)} more jobs are moving: `cellctl shard --check` "
            "lists each with its next step"
        )


def placement_report(fleet: Fleet, previous: Placement | None, placement: Placement) -> None:
    from cells.placement.report import (
        cell_loads,
        max_over_mean,
        movement,
        overlap_distribution,
        tenants_max_over_mean,
        worst_cell,
    )

    loads = cell_loads(fleet, placement)
    info("\nreport")
    for region in fleet.regions:
        region_loads = [load for load in loads if load.region == region.name]
        if not region_loads:
            continue
        info(
            f"  {region.name}: max/mean load {max_over_mean(region_loads):.2f}, tenants per cell "
            f"{tenants_max_over_mean(region_loads):.2f}, over "
            f"{sum(load.state == 'active' for load in region_loads)} active cells"
        )
        distribution = overlap_distribution(fleet, placement, region.name)
        if distribution.pairs:
            overlaps = sorted(set(distribution.observed) | set(distribution.expected))
            pairs = (
                f"all {distribution.pairs:,} tenant pairs (exact)"
                if distribution.pairs == distribution.total
                else f"a sample of {distribution.pairs:,} of {distribution.total:,} tenant pairs "
                f"(1 in every {distribution.stride:,})"
            )
            info(
                f"    pairwise shard overlap over {pairs}, observed vs hypergeometric "
                "expectation:"
            )
            for o in overlaps:
                info(
                    f"      {o} shared: {distribution.observed.get(o, 0.0):6.1%} vs "
                    f"{distribution.expected.get(o, 0.0):6.1%}"
                )
        worst = worst_cell(fleet, placement, region.name)
        if worst is not None:
            exposed = ", ".join(worst.exposed[:LISTED_TENANTS]) or "none"
            if len(worst.exposed) > LISTED_TENANTS:
                exposed += f" and {len(worst.exposed) - LISTED_TENANTS} more (`--json` lists them)"
            info(
                f"    worst cell to lose: {worst.cell} ({worst.tenants} tenants); tenants losing "
                f"more than half their shard: {exposed}"
            )
    moved = movement(previous, placement)
    info(
        f"  movement against the previous lock: {moved.tenants_moved} of {moved.tenants} tenants "
        f"change shard, {moved.jobs_moved} of {moved.jobs} jobs move"
    )


def placement_json(
    fleet: Fleet, previous: Placement | None, result: PlacementResult
) -> dict[str, Any]:
    from cells.placement.changes import count_changes
    from cells.placement.report import (
        cell_loads,
        max_over_mean,
        movement,
        overlap_distribution,
        tenants_max_over_mean,
        worst_cell,
    )

    placement = result.placement
    loads = cell_loads(fleet, placement)
    moved = movement(previous, placement)
    counts = count_changes(result.moves)
    regions = {}
    for region in fleet.regions:
        region_loads = [load for load in loads if load.region == region.name]
        distribution = overlap_distribution(fleet, placement, region.name)
        worst = worst_cell(fleet, placement, region.name)
        regions[region.name] = {
            "maxOverMeanLoad": round(max_over_mean(region_loads), 4) if region_loads else None,
            "maxOverMeanTenants": (
                round(tenants_max_over_mean(region_loads), 4) if region_loads else None
            ),
            "overlapPairs": distribution.pairs,
            "overlapPairsTotal": distribution.total,
            "overlapObserved": {str(k): v for k, v in sorted(distribution.observed.items())},
            "overlapExpected": {str(k): v for k, v in sorted(distribution.expected.items())},
            "worstCell": worst.cell if worst else None,
            "exposedTenants": worst.exposed if worst else [],
        }
    return {
        "shards": {t: list(s) for t, s in sorted(placement.shards.items())},
        "jobs": {f"{t}/{j}": c for (t, j), c in sorted(placement.jobs.items())},
        "cells": {
            load.cell: {"used": load.used, "capacity": load.capacity, "tenants": load.tenants}
            for load in loads
        },
        "regions": regions,
        "moves": [m.describe() for m in result.moves],
        "movement": {"tenantsMoved": moved.tenants_moved, "jobsMoved": moved.jobs_moved},
        # What the summary line says, as numbers: one entry of `moves` per change counted.
        "changes": {
            "newTenants": counts.new_tenants,
            "tenantsChangeShard": counts.tenants_changed,
            "membersMoved": counts.members_moved,
            "membersAdded": counts.members_added,
            "membersRemoved": counts.members_removed,
            "tenantsRemoved": counts.tenants_removed,
            "newJobs": counts.new_jobs,
            "jobsMove": counts.jobs_moved,
            "jobsRemoved": counts.jobs_removed,
        },
    }


def policy_findings(findings: Sequence[Finding]) -> None:
    """Violations grouped by stack, in the shape `pulumi preview --policy-pack` prints them."""
    if not findings:
        info("policies: no violations")
        return
    for stack in sorted({f.stack for f in findings}):
        info(f"\nPolicy Violations in stack {stack}:")
        for finding in (f for f in findings if f.stack == stack):
            subject = (
                f" ({finding.resource.type}: {finding.resource.name})" if finding.resource else ""
            )
            level = f"waived: {finding.waiver.reason}" if finding.waiver else finding.level
            info(f"    [{level}]  {finding.pack} v{finding.version}  {finding.rule.name}{subject}")
            info(f"    {finding.rule.description}")
            info(f"    {finding.message}")
    counted = [f for f in findings if f.waiver is None]
    mandatory = sum(f.level in ("mandatory", "remediate") for f in counted)
    info(
        f"\npolicies: {mandatory} mandatory, {len(counted) - mandatory} advisory, "
        f"{len(findings) - len(counted)} waived"
    )
