"""FlinkDeployments that keep state: upgrade mode, checkpoints, savepoints, HA, Kafka sinks.

Durations are read with Flink's own grammar (`policies.durations`); keys are read under their
current and deprecated names, so an older spelling neither hides a setting nor passes one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, resource_rule, stack_rule
from policies.durations import seconds
from policies.identity import tenant_of_namespace
from policies.rules.checkpoint_store import source_buckets
from policies.rules.kafka import CLUSTER, configuration_of, server_properties

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
RPO_ANNOTATION = "flink-cells.io/rpo-seconds"
DR_RPO_ANNOTATION = "flink-cells.io/dr-rpo-seconds"
ADOPTED_BROKER_TIMEOUT = "flink-cells.io/adopted-broker-transaction-max-timeout-ms"
# A recovery deployment says what it leaves behind on purpose (components/flink_deployment.py).
RECOVERS_ANNOTATION = "flink-cells.io/recovers"
DROPPED_STATE_ANNOTATION = "flink-cells.io/dropped-state"
CLAIM_MODE_KEY = "execution.state-recovery.claim-mode"
LEGACY_CLAIM_MODE_KEY = "execution.savepoint-restore-mode"  # Flink 1.x's name for it
REPLICATION_LAG_BUDGET_SECONDS = 900  # S3 Replication Time Control: 99.99% within 15 minutes
TRANSACTION_KEY = "flinkcells.kafka.sink.transaction-timeout-ms"
BROKER_TRANSACTION_DEFAULT_MS = 900_000  # Kafka's transaction.max.timeout.ms when unset
# Current key first, then the deprecated names Flink still reads.
KEYS = {
    "interval": ("execution.checkpointing.interval",),
    "mode": ("execution.checkpointing.mode",),
    "retention": (
        "execution.checkpointing.externalized-checkpoint-retention",
        "execution.checkpointing.externalized-checkpoints.cleanup",
    ),
    "tolerable": ("execution.checkpointing.tolerable-failed-checkpoints",),
    "checkpoints": ("execution.checkpointing.dir", "state.checkpoints.dir"),
    "savepoints": ("execution.checkpointing.savepoint-dir", "state.savepoints.dir"),
    "ha": ("high-availability.storageDir", "high-availability.storage-dir"),
    "ha-type": ("high-availability.type", "high-availability"),
}
HA_TYPES = {
    "kubernetes",
    "zookeeper",
    "org.apache.flink.kubernetes.highavailability.kuberneteshaservicesfactory",
}


def flink_config(resource: Resource) -> dict[str, Any]:
    return resource.get("spec.flinkConfiguration") or {}


def setting(resource: Resource, name: str) -> Any:
    flink = flink_config(resource)
    return next((flink[k] for k in KEYS[name] if k in flink), None)


def annotation(resource: Resource, key: str) -> str | None:
    # Annotation keys hold dots, so read the map rather than a dotted path.
    value = (resource.get("metadata.annotations") or {}).get(key)
    return None if value is None else str(value)


def rpo(
    resource: Resource,
    config: Mapping[str, Any],
    key: str = RPO_ANNOTATION,
    ceiling_key: str = "maxRpoSeconds",
) -> float | None:
    """The job's (DR) RPO from its annotation, capped by the pack's ceiling; None when missing:
    a job without one is a finding, never a job held to a default."""
    annotated = annotation(resource, key) or ""
    if not annotated.isdigit() or int(annotated) == 0:
        return None
    return min(float(annotated), float(config[ceiling_key]))


RPO_CONFIG = {"maxRpoSeconds": {"type": "integer", "default": 3600, "minimum": 1}}
DR_RPO_CONFIG = {"maxDrRpoSeconds": {"type": "integer", "default": 604800, "minimum": 960}}


def _no_rpo(resource: Resource, report: Report, key: str = RPO_ANNOTATION) -> None:
    report(
        f"{resource.name}: no {key} annotation: the job's RPO is unknown, so nothing can be "
        "checked against it",
        resource,
    )


@resource_rule(
    "DUR-FLINK-1",
    "flink-upgrade-mode-keeps-state",
    "FlinkDeployments upgrade with savepoint or last-state, never the default stateless.",
    "critical",
    "Set spec.job.upgradeMode to savepoint or last-state.",
    types={DEPLOYMENT},
)
def upgrade_mode(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    mode = resource.get("spec.job.upgradeMode")
    if mode not in {"savepoint", "last-state"}:
        report(
            f"{resource.name}: upgradeMode {mode or 'unset (stateless)'} drops state on "
            "every upgrade",
            resource,
        )


@resource_rule(
    "DUR-FLINK-2",
    "flink-checkpointing-exactly-once",
    "Checkpointing is on, EXACTLY_ONCE, no further apart than the job's RPO annotation (which "
    "must be there), retained on cancellation, with a bounded number of tolerated failures.",
    "critical",
    "Annotate flink-cells.io/rpo-seconds; set execution.checkpointing.interval <= RPO, .mode "
    "EXACTLY_ONCE, .externalized-checkpoint-retention RETAIN_ON_CANCELLATION and "
    ".tolerable-failed-checkpoints at most the configured maximum.",
    types={DEPLOYMENT},
    config={**RPO_CONFIG, "maxTolerableFailures": {"type": "integer", "default": 10, "minimum": 0}},
)
def checkpointing(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    interval = seconds(setting(resource, "interval"))
    limit = rpo(resource, config)
    if not interval:
        report(
            f"{resource.name}: checkpointing is off (interval "
            f"{setting(resource, 'interval') or 'unset'} is not a positive Flink duration)",
            resource,
        )
    elif limit is None:
        _no_rpo(resource, report)
    elif interval > limit:
        report(
            f"{resource.name}: checkpoints every {interval:g} s exceed the RPO of {limit:g} s",
            resource,
        )
    if str(setting(resource, "mode") or "EXACTLY_ONCE").upper() != "EXACTLY_ONCE":
        report(f"{resource.name}: checkpointing mode is not EXACTLY_ONCE", resource)
    retention = str(setting(resource, "retention") or "").upper()
    if retention not in ("RETAIN_ON_CANCELLATION", "NO_EXTERNALIZED_CHECKPOINTS_RETAIN"):
        report(f"{resource.name}: checkpoints are deleted on cancellation", resource)
    tolerable = str(setting(resource, "tolerable") or "0")
    if not tolerable.isdigit() or int(tolerable) > config["maxTolerableFailures"]:
        report(
            f"{resource.name}: {tolerable} tolerated checkpoint failures; at most "
            f"{config['maxTolerableFailures']} keep a persistent fault from going unnoticed",
            resource,
        )


@resource_rule(
    "DUR-FLINK-3",
    "flink-periodic-savepoints",
    "Periodic savepoints (relocatable, for DR) are taken often enough that, with the 15-minute "
    "replication lag budget, the job's DR RPO annotation (which must be there) holds.",
    "high",
    "Annotate flink-cells.io/dr-rpo-seconds and set "
    "kubernetes.operator.periodic.savepoint.interval to at most that minus 900 s.",
    types={DEPLOYMENT},
    config=DR_RPO_CONFIG,
)
def periodic_savepoints(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    raw = flink_config(resource).get("kubernetes.operator.periodic.savepoint.interval")
    interval = seconds(raw)
    target = rpo(resource, config, DR_RPO_ANNOTATION, "maxDrRpoSeconds")
    if not interval:
        report(
            f"{resource.name}: no periodic savepoints (interval {raw or 'unset'}): a DR restore "
            "has nothing to start from",
            resource,
        )
    elif target is None:
        _no_rpo(resource, report, DR_RPO_ANNOTATION)
    elif interval + REPLICATION_LAG_BUDGET_SECONDS > target:
        report(
            f"{resource.name}: savepoints every {interval:g} s plus the "
            f"{REPLICATION_LAG_BUDGET_SECONDS} s replication lag budget exceed the DR RPO of "
            f"{target:g} s",
            resource,
        )


@resource_rule(
    "DUR-FLINK-4",
    "flink-no-entropy-injection",
    "Savepoint and checkpoint paths carry no S3 entropy injection (it breaks relocation).",
    "high",
    "Remove s3.entropy.key and any entropy marker from state paths.",
    types={DEPLOYMENT},
)
def no_entropy(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    flink = flink_config(resource)
    if "s3.entropy.key" in flink:
        report(f"{resource.name}: s3.entropy.key is set", resource)
    marker = str(flink.get("s3.entropy.key", "_entropy_"))
    for key, value in flink.items():
        if key.lower().endswith(("dir", "storagedir")) and marker in str(value):
            report(f"{resource.name}: {key} carries the entropy marker {marker}", resource)


def deployment_tenant(resource: Resource) -> str | None:
    """The tenant a deployment runs as: its namespace's (the role it would use), not a label."""
    return tenant_of_namespace(resource.get("metadata.namespace"))


@stack_rule(
    "DUR-FLINK-5",
    "flink-state-in-cell-bucket",
    "Checkpoint, savepoint and HA directories are in this cell's own checkpoint bucket, under "
    "the prefix of the tenant whose namespace runs the job.",
    "critical",
    "Point execution.checkpointing.dir, .savepoint-dir and high-availability.storageDir at "
    "s3://<this cell's checkpoint bucket>/tenants/<tenant>/<job>/.",
)
def state_in_cell_bucket(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    buckets = {str(b.get("bucket")) for b in source_buckets(stack)}
    for deployment in stack.of_type(DEPLOYMENT):
        tenant = deployment_tenant(deployment)
        flink = flink_config(deployment)
        for kind in ("checkpoints", "savepoints", "ha"):
            for key in [k for k in KEYS[kind] if k in flink] or [KEYS[kind][0]]:
                value = str(flink.get(key, ""))
                match = re.fullmatch(r"s3a?://([^/]+)/(.*)", value)
                if not match or match.group(1) not in buckets:
                    report(
                        f"{deployment.name}: {key} = {value or 'unset'} is not in this cell's "
                        f"checkpoint bucket ({', '.join(sorted(buckets))})",
                        deployment,
                    )
                elif tenant is None or not match.group(2).startswith(f"tenants/{tenant}/"):
                    report(
                        f"{deployment.name}: {key} = {value} is outside tenants/{tenant}/, the "
                        "prefix of the tenant whose namespace runs it",
                        deployment,
                    )


@stack_rule(
    "DUR-FLINK-6",
    "flink-kafka-transaction-timeout",
    "The Kafka sink's transaction timeout is below transaction.max.timeout.ms of the cluster the "
    "job actually uses.",
    "critical",
    f"Lower {TRANSACTION_KEY} or raise the broker configuration's transaction.max.timeout.ms.",
)
def transaction_timeout(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for deployment in stack.of_type(DEPLOYMENT):
        clusters = stack.dependencies(deployment, CLUSTER, prop="spec")
        limits = []
        for cluster in clusters:
            configuration = configuration_of(stack, cluster)
            value = (
                server_properties(configuration).get("transaction.max.timeout.ms", "")
                if (configuration)
                else ""
            )
            limits.append(int(value) if value.isdigit() else BROKER_TRANSACTION_DEFAULT_MS)
        adopted = annotation(deployment, ADOPTED_BROKER_TIMEOUT)
        if not clusters and adopted is not None and adopted.isdigit():
            # A recovery adopting the standby cluster (a lookup, not in the graph) states the
            # limit that cluster's configuration was created with.
            limits.append(int(adopted))
        broker_max = min(limits, default=BROKER_TRANSACTION_DEFAULT_MS)
        timeout = str(flink_config(deployment).get(TRANSACTION_KEY, "3600000"))  # Flink's default
        if not timeout.isdigit() or int(timeout) >= broker_max:
            report(
                f"{deployment.name}: sink transaction timeout {timeout} ms is not below the "
                f"brokers' maximum {broker_max} ms; exactly-once sinks would fail",
                deployment,
            )


@resource_rule(
    "DUR-FLINK-7",
    "flink-restores-all-state",
    "A job never starts while skipping state it cannot map (allowNonRestoredState off, unless a "
    "DR recovery annotates what it leaves behind), starts from a savepoint it does not own only "
    "in NO_CLAIM mode, and deleting its FlinkDeployment takes a savepoint first.",
    "critical",
    "Set spec.job.allowNonRestoredState false and "
    "kubernetes.operator.job.savepoint-on-deletion true.",
    types={DEPLOYMENT},
)
def restores_all_state(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    # A DR recovery leaves its Kafka sources' offsets behind on purpose, and says so.
    declared = annotation(resource, RECOVERS_ANNOTATION) and annotation(
        resource, DROPPED_STATE_ANNOTATION
    )
    if (
        resource.get("spec.job.allowNonRestoredState") not in (None, False, "false")
        and not declared
    ):
        report(
            f"{resource.name}: allowNonRestoredState drops state the job cannot map, and no "
            f"{DROPPED_STATE_ANNOTATION} annotation of a recovery says what",
            resource,
        )
    flag = flink_config(resource).get("kubernetes.operator.job.savepoint-on-deletion")
    if str(flag).lower() != "true":
        report(f"{resource.name}: deleting the deployment takes no savepoint", resource)
    start = str(resource.get("spec.job.initialSavepointPath") or "")
    flink = flink_config(resource)
    claim = str(flink.get(CLAIM_MODE_KEY) or flink.get(LEGACY_CLAIM_MODE_KEY) or "NO_CLAIM").upper()
    if start and claim != "NO_CLAIM":
        report(
            f"{resource.name}: starts from {start} in {claim} mode: the job would take over "
            "(and later delete) a savepoint it does not own",
            resource,
        )


@resource_rule(
    "DUR-FLINK-8",
    "flink-high-availability",
    "Every job runs with Kubernetes (or ZooKeeper) HA and an HA storage directory, one "
    "JobManager or more.",
    "critical",
    "Set high-availability.type kubernetes and high-availability.storageDir.",
    types={DEPLOYMENT},
)
def high_availability(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    kind = str(setting(resource, "ha-type") or "none").lower()
    if kind not in HA_TYPES:
        replicas = resource.get("spec.jobManager.replicas") or 1
        report(
            f"{resource.name}: high availability is {kind} with {replicas} JobManager(s): a "
            "JobManager loss loses the job's latest checkpoint pointer",
            resource,
        )
    elif not setting(resource, "ha"):
        report(f"{resource.name}: no high-availability.storageDir", resource)


DURABILITY = [
    upgrade_mode,
    checkpointing,
    periodic_savepoints,
    no_entropy,
    state_in_cell_bucket,
    transaction_timeout,
    restores_all_state,
    high_availability,
]
