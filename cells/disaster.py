"""Disaster-recovery arithmetic and names, decided once: what a DR RPO buys, what recovers what.

A region loss is survived from savepoints only (checkpoints hold absolute paths and are not
relocatable). A job's newest restorable savepoint is at most one savepoint interval old when it
is written, and reaches the DR region within the replication lag budget: S3 Replication Time
Control promises 99.99% of objects within 15 minutes. So the DR RPO must hold both.
"""

from __future__ import annotations

REPLICATION_LAG_BUDGET_SECONDS = 15 * 60  # S3 Replication Time Control's SLA
MIN_SAVEPOINT_INTERVAL_SECONDS = 60  # a savepoint of large state takes minutes; not more often
RECOVERY = "recovery"


def savepoint_interval_seconds(dr_rpo_seconds: int) -> int:
    """Periodic savepoints leave the replication lag budget free inside the DR RPO."""
    return max(MIN_SAVEPOINT_INTERVAL_SECONDS, dr_rpo_seconds - REPLICATION_LAG_BUDGET_SECONDS)


def dr_rpo_met_by_design(dr_rpo_seconds: int) -> bool:
    return dr_rpo_seconds >= MIN_SAVEPOINT_INTERVAL_SECONDS + REPLICATION_LAG_BUDGET_SECONDS


def smallest_dr_rpo_seconds() -> int:
    return MIN_SAVEPOINT_INTERVAL_SECONDS + REPLICATION_LAG_BUDGET_SECONDS


def recovery_stack(cell_id: str) -> str:
    """The stack (and physical-name base) of a lost cell rebuilt in its region's DR partner."""
    return f"{cell_id}-{RECOVERY}"


def transactional_id_prefix(tenant: str, job: str, recovery: str | None = None) -> str:
    """Kafka sink transactional ids: a recovered job must never reuse the lost job's (its open
    transactions died with the region and must not fence or be fenced by the new ones)."""
    base = f"{tenant}.{job}"
    return f"{base}.{recovery}" if recovery else base


def dropped_state(lost_cell: str, standby_kafka: bool) -> str:
    """What a DR restore gives up on purpose, said on each recovered job and in the lock."""
    resume = (
        "sources resume from the consumer-group offsets MSK Replicator synced to the standby "
        "cluster"
        if standby_kafka
        else "sources start from the earliest offsets of the new cluster (producers replay)"
    )
    return (
        f"state of the Kafka source operators (offsets of {lost_cell}'s lost cluster, "
        f"meaningless elsewhere): {resume}"
    )
