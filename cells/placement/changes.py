"""What one placement run changed, counted once: the header above the changes, the counts per
reason and the line after the lock is written all read these numbers, so they reconcile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cells.placement.model import NEW_TENANT, TENANT_REMOVED, Move


@dataclass(frozen=True)
class ChangeCounts:
    """Tenants and shard members, jobs. A tenant whose shard changed counts once however many of
    its members changed; a member replaced by another cell is one member moved.

    tenant_reasons: tenants per reason (new, shard changed, left), most first; job_reasons: jobs
    per reason (placed, moved with their state, removed), most first."""

    new_tenants: int = 0
    tenants_changed: int = 0
    members_moved: int = 0
    members_added: int = 0
    members_removed: int = 0
    tenants_removed: int = 0
    new_jobs: int = 0
    jobs_moved: int = 0
    jobs_removed: int = 0
    tenant_reasons: tuple[tuple[str, int], ...] = ()
    job_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def changes(self) -> int:
        """One per change listed: each counted above exactly once."""
        return (
            self.new_tenants + self.members_moved + self.members_added + self.members_removed
            + self.tenants_removed + self.new_jobs + self.jobs_moved + self.jobs_removed
        )  # fmt: skip


def count_changes(moves: Sequence[Move]) -> ChangeCounts:
    counts: Counter[str] = Counter()
    changed: set[str] = set()
    tenant_reason: dict[str, str] = {}
    job_reasons: Counter[str] = Counter()
    for move in moves:
        if move.job is not None:
            job_reasons[move.reason] += 1
            counts[_kind(move, "jobs_moved", "new_jobs", "jobs_removed")] += 1
            continue
        tenant_reason[move.tenant] = move.reason
        if move.reason == NEW_TENANT:
            counts["new_tenants"] += 1
        elif move.reason == TENANT_REMOVED:
            counts["tenants_removed"] += 1
        else:
            changed.add(move.tenant)
            counts[_kind(move, "members_moved", "members_added", "members_removed")] += 1
    return ChangeCounts(
        tenants_changed=len(changed),
        tenant_reasons=tuple(Counter(tenant_reason.values()).most_common()),
        job_reasons=tuple(job_reasons.most_common()),
        **counts,
    )


def _kind(move: Move, moved: str, added: str, removed: str) -> str:
    if move.before and move.after:
        return moved
    return added if move.after else removed
