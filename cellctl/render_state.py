"""How cellctl shows restore points and job moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cellctl.render import failure, info, text_table
from state.restore_points import JobRestorePoint, SavepointVerdict

__all__ = ["age", "failure", "info", "restore_points_json", "restore_points_table"]


def age(written_at: datetime, now: datetime) -> str:
    seconds = max(0, int((now - written_at).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def _name(verdict: SavepointVerdict) -> str:
    return verdict.uri.rsplit("/", 1)[-1]


def restore_points_table(
    points: Sequence[JobRestorePoint], cells: Mapping[tuple[str, str], str], now: datetime
) -> None:
    if not points:
        info("no jobs selected")
        return
    rows = [
        (
            f"{p.tenant}/{p.job}",
            cells.get((p.tenant, p.job), "-"),
            p.bucket,
            _name(p.newest) if p.newest else "NONE",
            age(p.newest.written_at, now) if p.newest else "-",
            str(len(p.skipped)),
        )
        for p in points
    ]
    info(text_table(("job", "cell", "bucket", "restore point", "age", "skipped"), rows))
    for p in points:
        for verdict in p.skipped:
            info(f"skipped {p.tenant}/{p.job} {_name(verdict)}: {verdict.reason}")
    missing = sum(1 for p in points if p.newest is None)
    info(f"{len(points) - missing} of {len(points)} job(s) have a complete restore point")


def _verdict_json(verdict: SavepointVerdict, now: datetime) -> dict[str, Any]:
    return {
        "uri": verdict.uri,
        "written_at": verdict.written_at.isoformat(),
        "age_seconds": int((now - verdict.written_at).total_seconds()),
        "complete": verdict.complete,
        "reason": verdict.reason,
    }


def restore_points_json(
    points: Sequence[JobRestorePoint], cells: Mapping[tuple[str, str], str], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "tenant": p.tenant,
            "job": p.job,
            "cell": cells.get((p.tenant, p.job)),
            "bucket": p.bucket,
            "newest": _verdict_json(p.newest, now) if p.newest else None,
            "skipped": [_verdict_json(v, now) for v in p.skipped],
        }
        for p in points
    ]
