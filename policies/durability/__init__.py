"""The durability pack: state survives upgrades, deletions, AZ loss and region loss."""

from policies.packs import MANDATORY, Pack
from policies.rules import (
    cells,
    checkpoint_store,
    flink,
    kafka,
    kubernetes,
    recovery_adoption,
    recovery_restore,
)

PACK = Pack(
    name="flinkcells-durability",
    version="0.1.0",
    description="flink-cells durability: checkpoint store, Kafka, Flink, protected state.",
    levels={
        # checkpoint store
        "checkpoint-bucket-versioned": MANDATORY,
        "checkpoint-bucket-aborts-multipart-uploads": MANDATORY,
        "checkpoint-bucket-keeps-noncurrent-versions": MANDATORY,
        "checkpoint-bucket-replicated-to-another-region": MANDATORY,
        "checkpoint-replication-time-control": MANDATORY,
        "checkpoint-replication-includes-kms-objects": MANDATORY,
        "checkpoint-replication-keeps-deletes-local": MANDATORY,
        "kms-key-rotation": MANDATORY,
        "checkpoint-objects-never-archived": MANDATORY,
        # kafka
        "msk-brokers-span-azs": MANDATORY,
        "msk-configuration-durable": MANDATORY,
        "msk-topic-durable": MANDATORY,
        # flink
        "flink-upgrade-mode-keeps-state": MANDATORY,
        "flink-checkpointing-exactly-once": MANDATORY,
        "flink-periodic-savepoints": MANDATORY,
        "flink-no-entropy-injection": MANDATORY,
        "flink-state-in-cell-bucket": MANDATORY,
        "flink-kafka-transaction-timeout": MANDATORY,
        "flink-restores-all-state": MANDATORY,
        "flink-high-availability": MANDATORY,
        # kubernetes
        "jobmanager-disruption-budget": MANDATORY,
        # cells
        "stateful-resources-protected": MANDATORY,
        # recovery stacks (a lost cell rebuilt in its DR partner)
        "recovery-restores-from-lost-cell-replica": MANDATORY,
        "recovery-restore-never-claims": MANDATORY,
        "recovery-adopts-never-manages": MANDATORY,
    },
    rules=[
        *checkpoint_store.RULES,
        *kafka.DURABILITY,
        *flink.DURABILITY,
        *kubernetes.DURABILITY,
        *cells.DURABILITY,
        *recovery_restore.DURABILITY,
        *recovery_adoption.DURABILITY,
    ],
)
