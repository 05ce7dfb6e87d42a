"""What a tenant's tier buys: scheduling priority, JobManager redundancy, quota headroom."""

from __future__ import annotations

from dataclasses import dataclass

from cells.model import Tier


@dataclass(frozen=True)
class TierDefaults:
    priority: int  # PriorityClass value: under pressure the lowest tier is preempted first
    jobmanager_replicas: int  # >1 keeps a standby JobManager (Kubernetes HA) for fast failover
    quota_headroom: float  # namespace quota over the jobs' needs, for replacement pods


TIERS = {
    Tier.CRITICAL: TierDefaults(priority=1_000_000, jobmanager_replicas=2, quota_headroom=1.25),
    Tier.STANDARD: TierDefaults(priority=100_000, jobmanager_replicas=2, quota_headroom=1.25),
    Tier.BATCH: TierDefaults(priority=1_000, jobmanager_replicas=1, quota_headroom=1.10),
}


def priority_class(tier: Tier | str) -> str:
    return f"flink-{Tier(tier).value}"
