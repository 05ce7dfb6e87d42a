"""The placement contract: tenant -> shard of cells, job -> one cell of that shard."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from cells.model import CellState, Fleet

JobKey = tuple[str, str]


@dataclass(frozen=True)
class Placement:
    shards: Mapping[str, tuple[str, ...]]
    jobs: Mapping[JobKey, str]

    def tenants_in(self, cell: str) -> list[str]:
        return sorted(t for t, shard in self.shards.items() if cell in shard)

    def jobs_in(self, cell: str) -> list[JobKey]:
        return sorted(key for key, placed in self.jobs.items() if placed == cell)


def weight(tenant: str, cell: str) -> int:
    """Rendezvous weight of a cell for a tenant, stable across processes and machines."""
    digest = hashlib.blake2b(f"{tenant}\x00{cell}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def place(fleet: Fleet) -> Placement:
    """Pinned tenants keep their pins; the others take their top-k active cells by weight."""
    shards: dict[str, tuple[str, ...]] = {}
    jobs: dict[JobKey, str] = {}
    for tenant in fleet.tenants:
        if tenant.pinned_cells is not None:
            shard = tuple(tenant.pinned_cells)
        else:
            active = [
                c.id for c in fleet.cells_in(tenant.home_region) if c.state == CellState.ACTIVE
            ]
            ranked = sorted(active, key=lambda cell: weight(tenant.id, cell), reverse=True)
            shard = tuple(ranked[: tenant.shard_size])
        shards[tenant.id] = shard
        for index, job in enumerate(tenant.jobs):
            jobs[(tenant.id, job.id)] = shard[index % len(shard)]
    return Placement(shards=shards, jobs=jobs)
