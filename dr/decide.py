"""`cellctl dr plan`: per job of each lost cell, the restore point, decided once and locked.

The newest complete savepoint in the lost cell's replica bucket (state.restore_points proves it
complete from its `_metadata`); newer ones that are not complete are recorded as rejected, with
the reason. `pulumi up` of a recovery stack reads the decision and never makes it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cells.aws_names import cell_names
from cells.disaster import dropped_state
from cells.model import Fleet, KafkaContinuity, Region
from cells.placement import Placement
from cells.recovery_lock import (
    CellRecovery,
    JobRecovery,
    RecoveryLock,
    RejectedSavepoint,
    job_key,
)
from state.restore_points import JobRestorePoint, find_restore_points


@dataclass(frozen=True)
class RecoveryTarget:
    cell: str
    region: Region  # the lost (or drilled) region
    tenant: str
    job: str
    replica_bucket: str
    dr_rpo_seconds: int


def recovery_targets(fleet: Fleet, placement: Placement, region: Region) -> list[RecoveryTarget]:
    """Every job of every cell of `region`, with where its restore points replicate to."""
    targets = []
    for cell in fleet.cells_in(region.name):
        replica = cell_names(fleet.name, cell.id).replica_bucket
        for tenant_id, job_id in sorted(placement.jobs_in(cell.id)):
            tenant = fleet.tenant(tenant_id)
            assert tenant is not None
            job = next(j for j in tenant.jobs if j.id == job_id)
            dr_rpo = fleet.dr_rpo_seconds(tenant, job)
            targets.append(RecoveryTarget(cell.id, region, tenant_id, job_id, replica, dr_rpo))
    return targets


def discover(
    s3_for: Callable[[str], Any], targets: Iterable[RecoveryTarget], *, workers: int = 16
) -> list[tuple[RecoveryTarget, JobRestorePoint]]:
    """Restore points of every target, read from replica buckets in each DR partner region."""
    targets = list(targets)
    by_partner: dict[str, list[RecoveryTarget]] = {}
    for target in targets:
        by_partner.setdefault(target.region.dr_partner, []).append(target)
    found: dict[tuple[str, str, str], JobRestorePoint] = {}
    for partner, group in by_partner.items():
        points = find_restore_points(
            s3_for(partner),
            [(t.replica_bucket, t.tenant, t.job) for t in group],
            workers=workers,
        )
        for target, point in zip(group, points, strict=True):
            found[(target.cell, target.tenant, target.job)] = point
    return [(t, found[(t.cell, t.tenant, t.job)]) for t in targets]


def decide_recovery(
    fleet: Fleet,
    discovered: list[tuple[RecoveryTarget, JobRestorePoint]],
    decided_at: datetime,
) -> RecoveryLock:
    """The recovery lock for the discovered restore points of lost regions' jobs."""
    cells: dict[str, dict[str, JobRecovery]] = {}
    regions: dict[str, Region] = {}
    for target, point in discovered:
        region = target.region
        assert region.lost_at is not None, f"region {region.name} is not declared lost"
        regions[target.cell] = region
        newest = point.newest
        cells.setdefault(target.cell, {})[job_key(target.tenant, target.job)] = JobRecovery(
            restore_point=newest.uri if newest else None,
            written_at=newest.written_at if newest else None,
            age_at_loss_seconds=(
                round((region.lost_at - newest.written_at).total_seconds()) if newest else None
            ),
            dr_rpo_seconds=target.dr_rpo_seconds,
            rejected=[
                RejectedSavepoint(uri=s.uri, reason=s.reason or "incomplete") for s in point.skipped
            ],
            dropped_state=dropped_state(
                target.cell, region.kafka_continuity == KafkaContinuity.REPLICATE
            ),
        )
    return RecoveryLock(
        fleet=fleet.name,
        decided_at=decided_at,
        cells={
            cell: CellRecovery(
                lost_region=regions[cell].name,
                partner_region=regions[cell].dr_partner,
                lost_at=regions[cell].lost_at,  # type: ignore[arg-type]
                replica_bucket=cell_names(fleet.name, cell).replica_bucket,
                jobs=jobs,
            )
            for cell, jobs in sorted(cells.items())
        },
    )


def misses(lock: RecoveryLock) -> list[tuple[str, str, str]]:
    """(cell, job, why) for every job with no restore point or one older than its DR RPO."""
    found = []
    for cell, recovery in lock.cells.items():
        for key, job in recovery.jobs.items():
            if job.restore_point is None:
                found.append((cell, key, "no restorable savepoint in the replica"))
            elif (job.age_at_loss_seconds or 0) > job.dr_rpo_seconds:
                found.append(
                    (
                        cell,
                        key,
                        f"restore point {job.age_at_loss_seconds} s old at the loss, DR RPO "
                        f"{job.dr_rpo_seconds} s",
                    )
                )
    return found
