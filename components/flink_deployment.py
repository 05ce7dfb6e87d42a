"""The FlinkDeployment of one job: every durability setting decided here, as plain data.

Flink 1.20 / 2.x configuration keys. Why each default (README § "Durability defaults"):
checkpoints at most every RPO/2, exactly-once, retained on cancellation; savepoints (relocatable,
NATIVE format, never entropy-injected paths) at least every RPO; Kubernetes HA; a savepoint before
every upgrade and on deletion; bounded restarts.
"""

from __future__ import annotations

from typing import Any

from cells.aws_names import checkpoint_prefix
from cells.disaster import dropped_state, savepoint_interval_seconds, transactional_id_prefix
from cells.spec import JobSpec, RecoverySpec, TenantSpec
from cells.tiers import priority_class

API_VERSION = "flink.apache.org/v1beta1"
KIND = "FlinkDeployment"
POOL_LABEL = "flink-cells.io/pool"
CELL_LABEL = "flink-cells.io/cell"
TENANT_LABEL = "flink-cells.io/tenant"
MAIN_CONTAINER = "flink-main-container"
# The official Flink image's `flink` user: the restricted Pod Security level needs a non-root
# user id it can verify, and the image would otherwise start as root and drop privileges itself.
FLINK_UID = 9999
RPO_ANNOTATION = "flink-cells.io/rpo-seconds"
DR_RPO_ANNOTATION = "flink-cells.io/dr-rpo-seconds"
RECOVERS_ANNOTATION = "flink-cells.io/recovers"
DROPPED_STATE_ANNOTATION = "flink-cells.io/dropped-state"
# A recovery adopting the standby MSK cluster has no broker configuration of its own in the stack:
# the limit the standby was created with (the fleet's) is stated on each job for DUR-FLINK-6.
ADOPTED_BROKER_TIMEOUT_ANNOTATION = "flink-cells.io/adopted-broker-transaction-max-timeout-ms"
ZONE = "topology.kubernetes.io/zone"
CHECKPOINT_TIMEOUT = "10 min"
TOLERABLE_FAILED_CHECKPOINTS = 3
RESTART_ATTEMPTS = 10
SAVEPOINT_HISTORY_COUNT = 10
SAVEPOINT_HISTORY_AGE_DAYS = 7
SAVEPOINT_HISTORY_AGE = f"{SAVEPOINT_HISTORY_AGE_DAYS} d"
# Keys a job reads (env.getConfiguration()) to build its Kafka clients.
KAFKA_BOOTSTRAP_KEY = "flinkcells.kafka.bootstrap-servers"
KAFKA_TRANSACTION_TIMEOUT_KEY = "flinkcells.kafka.sink.transaction-timeout-ms"
KAFKA_PREFIX_KEY = "flinkcells.kafka.resource-prefix"
KAFKA_TRANSACTIONAL_ID_KEY = "flinkcells.kafka.sink.transactional-id-prefix"
# In a recovery: where sources start (the replicated consumer-group offsets, never offsets from
# the lost cluster's records), and the suffix the job gives its source uids so that their old
# state (those lost offsets) is left behind on purpose.
KAFKA_SOURCE_OFFSETS_KEY = "flinkcells.kafka.source.starting-offsets"
KAFKA_SOURCE_UID_SUFFIX_KEY = "flinkcells.kafka.source.uid-suffix"
# A job started from another cell's (or region's) savepoint never owns it: NO_CLAIM.
CLAIM_MODE_KEY = "execution.state-recovery.claim-mode"


STATE_KINDS = ("checkpoints", "savepoints", "ha")


def state_dir(bucket: str, tenant: str, job: str, kind: str) -> str:
    return f"s3://{bucket}/{checkpoint_prefix(tenant)}{job}/{kind}"


def state_prefixes(tenant: str, job: str) -> dict[str, str]:
    """Object-key prefixes of a job's state in its cell's bucket, by kind."""
    return {kind: f"{checkpoint_prefix(tenant)}{job}/{kind}/" for kind in STATE_KINDS}


def checkpoint_interval_seconds(job: JobSpec) -> int:
    """Half the RPO: one checkpoint may fail or time out and the RPO still holds."""
    return max(5, job.rpo_seconds // 2)


def flink_version_enum(version: str) -> str:
    """1.20.1 -> v1_20, as the operator's CRD names it."""
    major, minor, *_ = version.split(".")
    return f"v{major}_{minor}"


def flink_configuration(
    job: JobSpec,
    tenant: TenantSpec,
    bucket: str,
    bootstrap_servers: str,
    transaction_ms: int,
    recovery: RecoverySpec | None = None,
) -> dict[str, str]:
    large = job.state_size == "large"
    suffix = recovery.transactional_id_suffix if recovery else None
    restore = {CLAIM_MODE_KEY: "NO_CLAIM"} if job.initial_savepoint_path else {}
    if recovery is not None:
        restore[KAFKA_SOURCE_OFFSETS_KEY] = (
            "committed-group-offsets" if recovery.standby_msk_cluster else "earliest"
        )
        restore[KAFKA_SOURCE_UID_SUFFIX_KEY] = recovery.transactional_id_suffix
    return {
        "execution.checkpointing.interval": f"{checkpoint_interval_seconds(job)} s",
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.timeout": CHECKPOINT_TIMEOUT,
        "execution.checkpointing.tolerable-failed-checkpoints": str(TOLERABLE_FAILED_CHECKPOINTS),
        "execution.checkpointing.num-retained": "3",
        "execution.checkpointing.dir": state_dir(bucket, tenant.id, job.id, "checkpoints"),
        "execution.checkpointing.savepoint-dir": state_dir(bucket, tenant.id, job.id, "savepoints"),
        "execution.checkpointing.incremental": "true" if large else "false",
        "state.backend.type": "rocksdb" if large else "hashmap",
        "high-availability.type": "kubernetes",
        "high-availability.storageDir": state_dir(bucket, tenant.id, job.id, "ha"),
        # Savepoints are what survives a region loss: they follow the DR RPO, not the RPO.
        "kubernetes.operator.periodic.savepoint.interval": (
            f"{savepoint_interval_seconds(job.dr_rpo_seconds)} s"
        ),
        "kubernetes.operator.savepoint.format.type": "NATIVE",
        "kubernetes.operator.savepoint.history.max.count": str(SAVEPOINT_HISTORY_COUNT),
        "kubernetes.operator.savepoint.history.max.age": SAVEPOINT_HISTORY_AGE,
        "kubernetes.operator.job.savepoint-on-deletion": "true",
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": str(RESTART_ATTEMPTS),
        "restart-strategy.fixed-delay.delay": "15 s",
        "taskmanager.numberOfTaskSlots": str(job.taskmanager_slots),
        KAFKA_BOOTSTRAP_KEY: bootstrap_servers,
        KAFKA_TRANSACTION_TIMEOUT_KEY: str(transaction_ms),
        KAFKA_PREFIX_KEY: tenant.names.topic_prefix,
        KAFKA_TRANSACTIONAL_ID_KEY: transactional_id_prefix(tenant.id, job.id, suffix),
        **restore,
    }


def pod_security_context() -> dict[str, Any]:
    """What the `restricted` Pod Security level requires of a pod, with the image's user."""
    return {
        "runAsNonRoot": True,
        "runAsUser": FLINK_UID,
        "runAsGroup": FLINK_UID,
        "fsGroup": FLINK_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    """What the `restricted` Pod Security level requires of every container."""
    return {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_template(job: JobSpec, tenant: TenantSpec, component: str, pool: str) -> dict[str, Any]:
    return {
        "spec": {
            "securityContext": pod_security_context(),
            "priorityClassName": priority_class(tenant.tier),
            "nodeSelector": {POOL_LABEL: pool},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": ZONE,
                    # Prefer, never block: a lost AZ must not stop a restart elsewhere.
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": {"app": job.id, "component": component}},
                }
            ],
        }
    }


def flink_deployment(
    job: JobSpec,
    tenant: TenantSpec,
    bucket: str,
    bootstrap_servers: str,
    transaction_ms: int,
    recovery: RecoverySpec | None = None,
) -> dict[str, Any]:
    """The whole custom resource (apiVersion, kind, metadata, spec)."""
    plugin = f"flink-s3-fs-presto-{job.flink_version}.jar"
    job_section: dict[str, Any] = {
        "jarURI": job.jar_uri,
        "parallelism": job.parallelism,
        # Suspending with last-state takes no savepoint; a job moving out needs one.
        "upgradeMode": "savepoint" if job.suspended else job.upgrade_mode,
        "state": "suspended" if job.suspended else "running",
        # A recovery leaves the Kafka sources' state behind (see dropped_state); else nothing.
        "allowNonRestoredState": recovery is not None,
    }
    if job.initial_savepoint_path:
        job_section["initialSavepointPath"] = job.initial_savepoint_path
    annotations = {RPO_ANNOTATION: str(job.rpo_seconds), DR_RPO_ANNOTATION: str(job.dr_rpo_seconds)}
    if recovery is not None:
        annotations[RECOVERS_ANNOTATION] = recovery.lost_cell
        annotations[DROPPED_STATE_ANNOTATION] = dropped_state(
            recovery.lost_cell, recovery.standby_msk_cluster is not None
        )
        if recovery.standby_msk_cluster is not None:
            annotations[ADOPTED_BROKER_TIMEOUT_ANNOTATION] = str(
                recovery.broker_transaction_max_timeout_ms
            )
    if job.entry_class:
        job_section["entryClass"] = job.entry_class
    if job.args:
        job_section["args"] = list(job.args)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": job.id,
            "namespace": tenant.names.namespace,
            "labels": {
                CELL_LABEL: tenant.tags["cell"],
                TENANT_LABEL: tenant.id,
                "flink-cells.io/job": job.id,
            },
            # What policies check checkpoint and savepoint intervals against.
            "annotations": annotations,
        },
        "spec": {
            "image": job.image,
            "flinkVersion": flink_version_enum(job.flink_version),
            "mode": "native",
            "serviceAccount": tenant.names.service_account,
            "flinkConfiguration": flink_configuration(
                job, tenant, bucket, bootstrap_servers, transaction_ms, recovery
            ),
            "podTemplate": {
                "spec": {
                    "securityContext": pod_security_context(),
                    "containers": [
                        {
                            "name": MAIN_CONTAINER,
                            "env": [{"name": "ENABLE_BUILT_IN_PLUGINS", "value": plugin}],
                            "securityContext": container_security_context(),
                        }
                    ],
                }
            },
            "jobManager": {
                "replicas": job.jobmanager_replicas,
                "resource": {
                    "cpu": job.jobmanager_cpu,
                    "memory": f"{job.jobmanager_memory_mb}m",
                },
                "podTemplate": _pod_template(job, tenant, "jobmanager", "jobmanager"),
            },
            "taskManager": {
                "resource": {
                    "cpu": job.taskmanager_cpu,
                    "memory": f"{job.taskmanager_memory_mb}m",
                },
                "podTemplate": _pod_template(job, tenant, "taskmanager", "taskmanager"),
            },
            "job": job_section,
        },
    }
