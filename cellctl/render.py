"""Everything cellctl prints: one place for the shape of its output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from cells.problems import FleetError

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


def info(message: str) -> None:
    out.print(message, markup=False)


def warning(message: str) -> None:
    err.print(f"warning: {message}", markup=False)


def plan_summary(plans: Sequence[dict[str, Any]]) -> None:
    table = Table(title="offline plan (mock runtime: no cloud calls, placeholder account)")
    for column in ("cell", "region", "dr region", "resources", "protected", "tenants", "topics"):
        table.add_column(column, justify="right" if column not in {"cell", "region"} else "left")
    for plan in sorted(plans, key=lambda p: p["stack"]):
        resources = plan["resources"]
        table.add_row(
            plan["stack"],
            str(plan["outputs"].get("region", "?")),
            str(plan["outputs"].get("drRegion", "?")),
            str(len(resources)),
            str(sum(r["protect"] for r in resources)),
            str(sum(r["type"] == "flinkcells:identity:TenantIdentity" for r in resources)),
            str(sum(r["type"] == "aws:msk/topic:Topic" for r in resources)),
        )
    out.print(table)
