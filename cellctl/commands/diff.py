"""`cellctl diff`: what a change does to every cell stack, and the dangers a person must accept."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cellctl import render
from cellctl.errors import EXIT_BAD_INPUT, EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project, require_stacks_in_sync
from cells import files
from cells.loader import load_fleet
from cells.placement import load_placement
from review import load_acks
from review.acks import NO_ACKS, Acks
from review.plans import ReviewError, materialise, plan_pair, resolve_base
from review.present import json_text, markdown, text
from review.review import Review, review_pair, review_previews


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


@reports_user_errors
def diff(
    base: Annotated[
        str | None,
        typer.Option(
            "--base", help="Base revision (default: merge base with origin/main, else HEAD)."
        ),
    ] = None,
    cells: Annotated[
        list[str] | None, typer.Option("--cell", help="Review only this cell (repeatable).")
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="table, markdown (the PR comment) or json.")
    ] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write the output here.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json-out", help="Also write the JSON here (for CI).")
    ] = None,
    ack: Annotated[
        Path | None, typer.Option("--ack", help="YAML file acknowledging dangers, with reasons.")
    ] = None,
    from_previews: Annotated[
        Path | None,
        typer.Option("--from-previews", help="Directory of `pulumi preview --json` outputs."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=0, help="Processes; 0 = one per core.")
    ] = 0,
) -> None:
    """Plan the base revision and the working tree offline, compare every cell stack by URN,
    and list each danger (state that would be lost). Exit 1 while any danger is unacknowledged."""
    acks = load_acks(ack) if ack is not None else NO_ACKS
    inputs = [ack] if ack is not None else []
    for target in (out, json_out):
        if target is not None:
            files.check_target(target, inputs=inputs)  # before minutes of planning, not after
    try:
        if from_previews is not None:
            review = review_previews(from_previews, acks)
        else:
            review = _review_working_tree(base, cells or [], jobs, acks)
    except ReviewError as error:
        render.failure(str(error))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    rendered = {
        Format.table: text,
        Format.markdown: markdown,
        Format.json: json_text,
    }[output_format](review)
    if json_out is not None:
        files.write_text(json_out, json_text(review), inputs=inputs)
    if out is not None:
        files.write_text(out, rendered, inputs=inputs)
        render.note(f"wrote {out}")
        render.note(
            f"{len(review.dangers)} dangers, {len(review.unacknowledged)} unacknowledged"
        )
    else:
        render.out.print(rendered, markup=False, end="")
    if review.unacknowledged:
        raise typer.Exit(EXIT_FINDINGS)


def _review_working_tree(base: str | None, cells: list[str], jobs: int, acks: Acks) -> Review:
    project = find_project()
    path = project.fleet_file(None)
    fleet = load_fleet(path)
    load_placement(fleet, path)
    require_stacks_in_sync(project, fleet, path)
    commit = resolve_base(project.root, base)
    label = f"{base or 'base'} ({commit[:10]})"
    workers = jobs or os.cpu_count() or 1
    with materialise(project.root, commit) as base_root:
        render.note(f"planning {label} and the working tree")
        pair = plan_pair(project.root, base_root, label, cells or None, workers)
    return review_pair(pair, acks)
