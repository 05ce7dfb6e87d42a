"""What placement decides: each tenant's shard of cells, each job's cell, and what moved."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from cells.problems import Problem

JobKey = tuple[str, str]


class MoveStep(StrEnum):
    """How far a job's move between cells has come; each names the state reached."""

    SUSPENDED = "suspended"  # the lock moved it; its old cell suspends it with a savepoint
    COPIED = "copied"  # that savepoint is copied into the new cell's bucket and verified
    DONE = "done"  # it has checkpointed in its new cell


@dataclass(frozen=True)
class JobMove:
    """A job moving from one cell to another, as the lock records it.

    savepoint: the verified copy in the new cell's bucket the job starts from (step copied on);
    kept once done, so the new cell's FlinkDeployment does not change when the move ends.
    """

    from_cell: str
    to_cell: str
    step: MoveStep
    savepoint: str | None = None

    @property
    def in_progress(self) -> bool:
        return self.step is not MoveStep.DONE


@dataclass(frozen=True)
class Placement:
    """shards: tenant -> cells (most preferred first); jobs: (tenant, job) -> cell;
    moves: the jobs whose state is moving (or moved) between cells, see state/moves."""

    shards: Mapping[str, tuple[str, ...]]
    jobs: Mapping[JobKey, str]
    moves: Mapping[JobKey, JobMove] = field(default_factory=dict)

    def tenants_in(self, cell: str) -> list[str]:
        return sorted(self._tenants_by_cell.get(cell, ()))

    def jobs_in(self, cell: str) -> list[JobKey]:
        return sorted(self._jobs_by_cell.get(cell, ()))

    # Grouped once: a stack asks for its own cell, and a scan of the whole fleet per stack
    # would make every stack's plan grow with the fleet.
    @cached_property
    def _tenants_by_cell(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for tenant, shard in self.shards.items():
            for cell in set(shard):
                grouped[cell].append(tenant)
        return grouped

    @cached_property
    def _jobs_by_cell(self) -> dict[str, list[JobKey]]:
        grouped: dict[str, list[JobKey]] = defaultdict(list)
        for key, cell in self.jobs.items():
            grouped[cell].append(key)
        return grouped


# Why something changed. A reason names no cell, so that changes group by reason; the cells are
# in each change's own line (its `detail`).
NEW_TENANT = "new tenant"
NEW_JOB = "new job"
JOB_REMOVED = "job removed from the fleet"
TENANT_REMOVED = "tenant left the fleet"
REMOVALS = frozenset({JOB_REMOVED, TENANT_REMOVED})


@dataclass(slots=True)
class Move:
    """One change against the previous placement, and why: a new tenant (after: its shard), a
    shard member replaced (before and after), added or removed, a tenant gone (before: its
    shard), or a job placed, moved or removed.

    reason: the kind of cause, the same words for every change it caused; detail: the same
    with the cells or sizes of this one change, shown in its line."""

    tenant: str
    job: str | None
    before: str | None
    after: str | None
    reason: str
    detail: str | None = None

    def describe(self) -> str:
        what = f"{self.tenant}/{self.job}" if self.job else f"{self.tenant} shard"
        return f"{what}: {self.before or '-'} -> {self.after or '-'} ({self.detail or self.reason})"


@dataclass(frozen=True)
class PlacementResult:
    placement: Placement
    moves: list[Move] = field(default_factory=list)


class PlacementError(Exception):
    """A placement that cannot be made; each problem names the tenant and what would fix it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))
