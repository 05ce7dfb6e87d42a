"""`cellctl dr readiness`: could each job of a region be recovered now, within its DR RPO?

Per cell: is the checkpoint bucket's replication configured (to its replica, with Replication
Time Control)? Per job: the newest complete savepoint in the replica, and its age against the
job's DR RPO. The report an operational readiness review reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from cells.aws_names import cell_names
from cells.model import Fleet, RegionStatus
from cells.placement import Placement
from dr.decide import discover, recovery_targets

OK = "ok"
REGION_LOST = "region lost"  # its S3 cannot be asked; the replica is all there is


@dataclass(frozen=True)
class ReadinessRow:
    region: str
    cell: str
    tenant: str
    job: str
    replication: str  # "ok", or what is wrong with the bucket's replication
    restore_point: str | None
    written_at: datetime | None
    age_seconds: int | None
    dr_rpo_seconds: int
    rejected: int  # newer savepoints in the replica that are not complete

    @property
    def ready(self) -> bool:
        return (
            self.replication in (OK, REGION_LOST)
            and self.age_seconds is not None
            and self.age_seconds <= self.dr_rpo_seconds
        )

    @property
    def problem(self) -> str | None:
        if self.restore_point is None:
            return "no restorable savepoint in the replica"
        if self.age_seconds is not None and self.age_seconds > self.dr_rpo_seconds:
            return f"newest restore point {self.age_seconds} s old > DR RPO {self.dr_rpo_seconds} s"
        if self.replication not in (OK, REGION_LOST):
            return f"replication: {self.replication}"
        return None


def replication_status(s3: Any, bucket: str, replica_bucket: str) -> str:
    """'ok' when the bucket replicates everything to its replica with RTC; else what is not."""
    try:
        config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        return f"not configured ({code})"
    rules = [r for r in config.get("Rules", []) if r.get("Status") == "Enabled"]
    to_replica = [
        r
        for r in rules
        if r.get("Destination", {}).get("Bucket") == f"arn:aws:s3:::{replica_bucket}"
    ]
    if not to_replica:
        return f"no enabled rule replicates to {replica_bucket}"
    if not any(
        r["Destination"].get("ReplicationTime", {}).get("Status") == "Enabled" for r in to_replica
    ):
        return "no Replication Time Control: lag is unbounded"
    return OK


def readiness(
    fleet: Fleet,
    placement: Placement,
    s3_for: Callable[[str], Any],
    regions: list[str],
    now: datetime,
    *,
    workers: int = 16,
) -> list[ReadinessRow]:
    rows = []
    for name in regions:
        region = fleet.region(name)
        targets = recovery_targets(fleet, placement, region)
        replication: dict[str, str] = {}
        for cell in fleet.cells_in(name):
            names = cell_names(fleet.name, cell.id)
            replication[cell.id] = (
                REGION_LOST
                if region.status == RegionStatus.LOST
                else replication_status(s3_for(name), names.checkpoint_bucket, names.replica_bucket)
            )
        for target, point in discover(s3_for, targets, workers=workers):
            newest = point.newest
            rows.append(
                ReadinessRow(
                    region=name,
                    cell=target.cell,
                    tenant=target.tenant,
                    job=target.job,
                    replication=replication[target.cell],
                    restore_point=newest.uri if newest else None,
                    written_at=newest.written_at if newest else None,
                    age_seconds=round((now - newest.written_at).total_seconds())
                    if newest
                    else None,
                    dr_rpo_seconds=target.dr_rpo_seconds,
                    rejected=len(point.skipped),
                )
            )
    return rows
