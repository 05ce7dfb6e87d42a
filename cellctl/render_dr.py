"""How cellctl shows disaster-recovery decisions, readiness and drills."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cellctl.render import info, policy_findings, text_table

__all__ = ["drill", "drill_json", "info", "readiness_json", "readiness_table", "recovery_plan"]
from cellctl.render_state import age
from cells.recovery_lock import RecoveryLock
from dr.drill import DrillReport
from dr.readiness import ReadinessRow


def _savepoint(uri: str | None) -> str:
    return uri.rsplit("/", 1)[-1] if uri else "NONE"


def _seconds(value: int | None) -> str:
    return "-" if value is None else f"{value} s"


def recovery_plan(lock: RecoveryLock, misses: Sequence[tuple[str, str, str]]) -> None:
    for cell, recovery in sorted(lock.cells.items()):
        info(
            f"\n{cell} (lost in {recovery.lost_region} at {recovery.lost_at.isoformat()}) -> "
            f"recovery stack in {recovery.partner_region}, restoring from "
            f"s3://{recovery.replica_bucket}"
        )
        rows = [
            (
                key,
                _savepoint(job.restore_point),
                _seconds(job.age_at_loss_seconds),
                _seconds(job.dr_rpo_seconds),
                str(len(job.rejected)),
            )
            for key, job in sorted(recovery.jobs.items())
        ]
        info(text_table(("job", "restore point", "age at loss", "DR RPO", "rejected"), rows))
        for key, job in sorted(recovery.jobs.items()):
            for rejected in job.rejected:
                info(f"  {key}: rejected {_savepoint(rejected.uri)}: {rejected.reason}")
    for cell, key, why in misses:
        info(f"MISS {cell} {key}: {why}")


def readiness_table(rows: Sequence[ReadinessRow], now: datetime) -> None:
    if not rows:
        info("no jobs in the selected regions")
        return
    table = [
        (
            r.region,
            r.cell,
            f"{r.tenant}/{r.job}",
            r.replication,
            _savepoint(r.restore_point),
            age(r.written_at, now) if r.written_at else "-",
            _seconds(r.dr_rpo_seconds),
            str(r.rejected),
            "ready" if r.ready else f"NOT READY: {r.problem}",
        )
        for r in rows
    ]
    headers = (
        "region", "cell", "job", "replication", "restore point", "age", "DR RPO", "rejected",
        "verdict",
    )  # fmt: skip
    info(text_table(headers, table))
    ready = sum(r.ready for r in rows)
    info(f"\n{ready}/{len(rows)} jobs recoverable within their DR RPO")


def readiness_json(rows: Sequence[ReadinessRow]) -> list[dict[str, Any]]:
    return [
        {
            "region": r.region,
            "cell": r.cell,
            "tenant": r.tenant,
            "job": r.job,
            "replication": r.replication,
            "restorePoint": r.restore_point,
            "writtenAt": r.written_at.isoformat() if r.written_at else None,
            "ageSeconds": r.age_seconds,
            "drRpoSeconds": r.dr_rpo_seconds,
            "rejected": r.rejected,
            "ready": r.ready,
            "problem": r.problem,
        }
        for r in rows
    ]


def drill(report: DrillReport) -> None:
    info(
        f"DR drill of {report.region} -> {report.partner} (seed {report.seed}; region lost at "
        f"{report.lost_at.isoformat()} on the drill's clock). Replication is SIMULATED: moto "
        "stores replication configuration but never replicates."
    )
    info(
        f"{report.objects_written} savepoint objects written, {report.lost_in_flight} lost in "
        "flight (not replicated before the loss)"
    )
    rows = [
        (
            j.cell,
            f"{j.tenant}/{j.job}",
            _savepoint(j.restore_point),
            _seconds(j.rpo_achieved_seconds),
            _seconds(j.dr_rpo_seconds),
            str(len(j.rejected)),
            "ok" if j.ok else ("NO RESTORE POINT" if j.restore_point is None else "MISSED"),
        )
        for j in report.jobs
    ]
    info(
        text_table(
            ("cell", "job", "restore point", "RPO achieved", "DR RPO", "rejected", "verdict"), rows
        )
    )
    for j in report.jobs:
        for verdict in j.rejected:
            info(f"  {j.tenant}/{j.job}: rejected {_savepoint(verdict.uri)}: {verdict.reason}")
    info(
        f"\nrecovery stacks planned offline: {len(report.stacks_planned)} "
        f"({report.resources_planned} resources)"
    )
    for stack, why in sorted(report.unplanned.items()):
        info(f"  not planned: {stack}: {why}")
    policy_findings(report.findings)
    timings = ", ".join(f"{name} {value:.2f} s" for name, value in report.seconds.items())
    info(f"timings: {timings}")
    info("drill PASSED" if report.passed else "drill FAILED")


def drill_json(report: DrillReport) -> dict[str, Any]:
    return {
        "region": report.region,
        "partner": report.partner,
        "seed": report.seed,
        "lostAt": report.lost_at.isoformat(),
        "simulatedReplication": True,
        "objectsWritten": report.objects_written,
        "lostInFlight": report.lost_in_flight,
        "jobs": [
            {
                "cell": j.cell,
                "tenant": j.tenant,
                "job": j.job,
                "restorePoint": j.restore_point,
                "writtenAt": j.written_at.isoformat() if j.written_at else None,
                "rpoAchievedSeconds": j.rpo_achieved_seconds,
                "drRpoSeconds": j.dr_rpo_seconds,
                "rejected": [{"uri": v.uri, "reason": v.reason} for v in j.rejected],
                "ok": j.ok,
            }
            for j in report.jobs
        ],
        "stacksPlanned": report.stacks_planned,
        "unplanned": report.unplanned,
        "policyViolations": [
            {"stack": f.stack, "rule": f.rule.name, "message": f.message, "level": f.level}
            for f in report.findings
        ],
        "seconds": report.seconds,
        "passed": report.passed,
    }
