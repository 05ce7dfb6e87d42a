"""FlinkDeployments that keep state: upgrade mode, checkpoints, savepoints, HA, Kafka sinks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, resource_rule, stack_rule
from policies.rules.checkpoint_store import source_buckets
from policies.rules.kafka import CONFIGURATION, server_properties

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
RPO_ANNOTATION = "flink-cells.io/rpo-seconds"
DR_RPO_ANNOTATION = "flink-cells.io/dr-rpo-seconds"
REPLICATION_LAG_BUDGET_SECONDS = 900  # S3 Replication Time Control: 99.99% within 15 minutes
TRANSACTION_KEY = "flinkcells.kafka.sink.transaction-timeout-ms"
UNITS = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}


def seconds(duration: Any) -> float | None:
    """Flink durations ("30 s", "5 min", "10000"): seconds, or None when unreadable."""
    match = re.fullmatch(r"\s*(\d+)\s*([a-z]*)\s*", str(duration))
    if not match:
        return None
    value, unit = match.groups()
    return int(value) * UNITS.get(unit, 0.001 if unit == "" else 0) or None


def rpo(
    resource: Resource,
    config: Mapping[str, Any],
    annotation: str = RPO_ANNOTATION,
    ceiling_key: str = "maxRpoSeconds",
) -> float:
    # Annotation keys hold dots, so read the map rather than a dotted path.
    annotated = (resource.get("metadata.annotations") or {}).get(annotation)
    ceiling = float(config[ceiling_key])
    return min(float(annotated), ceiling) if str(annotated or "").isdigit() else ceiling


RPO_CONFIG = {"maxRpoSeconds": {"type": "integer", "default": 3600, "minimum": 1}}
DR_RPO_CONFIG = {"maxDrRpoSeconds": {"type": "integer", "default": 604800, "minimum": 960}}


def _flink(resource: Resource) -> dict[str, Any]:
    return resource.get("spec.flinkConfiguration") or {}


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
    "Checkpointing is on, EXACTLY_ONCE, no further apart than the job's RPO, and retained on "
    "cancellation.",
    "critical",
    "Set execution.checkpointing.interval <= RPO, .mode EXACTLY_ONCE and "
    ".externalized-checkpoint-retention RETAIN_ON_CANCELLATION.",
    types={DEPLOYMENT},
    config=RPO_CONFIG,
)
def checkpointing(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    flink = _flink(resource)
    interval = seconds(flink.get("execution.checkpointing.interval"))
    if interval is None:
        report(f"{resource.name}: checkpointing is off", resource)
    elif interval > rpo(resource, config):
        report(
            f"{resource.name}: checkpoints every {interval:g} s exceed the RPO of "
            f"{rpo(resource, config):g} s",
            resource,
        )
    if flink.get("execution.checkpointing.mode", "EXACTLY_ONCE") != "EXACTLY_ONCE":
        report(f"{resource.name}: checkpointing mode is not EXACTLY_ONCE", resource)
    retention = flink.get("execution.checkpointing.externalized-checkpoint-retention")
    if retention != "RETAIN_ON_CANCELLATION":
        report(f"{resource.name}: checkpoints are deleted on cancellation", resource)


@resource_rule(
    "DUR-FLINK-3",
    "flink-periodic-savepoints",
    "Periodic savepoints (relocatable, for DR) are taken often enough that, with the 15-minute "
    "replication lag budget, the job's DR RPO holds.",
    "high",
    "Set kubernetes.operator.periodic.savepoint.interval to at most the job's DR RPO "
    "(flink-cells.io/dr-rpo-seconds) minus 900 s.",
    types={DEPLOYMENT},
    config=DR_RPO_CONFIG,
)
def periodic_savepoints(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    interval = seconds(_flink(resource).get("kubernetes.operator.periodic.savepoint.interval"))
    target = rpo(resource, config, DR_RPO_ANNOTATION, "maxDrRpoSeconds")
    if interval is None:
        report(
            f"{resource.name}: no periodic savepoints: a DR restore has nothing to start from",
            resource,
        )
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
    flink = _flink(resource)
    if "s3.entropy.key" in flink:
        report(f"{resource.name}: s3.entropy.key is set", resource)
    marker = str(flink.get("s3.entropy.key", "_entropy_"))
    for key, value in flink.items():
        if key.endswith(("dir", "storageDir")) and marker in str(value):
            report(f"{resource.name}: {key} carries the entropy marker {marker}", resource)


@stack_rule(
    "DUR-FLINK-5",
    "flink-state-in-cell-bucket",
    "Checkpoint, savepoint and HA directories are in this cell's own checkpoint bucket.",
    "critical",
    "Point execution.checkpointing.dir, .savepoint-dir and high-availability.storageDir at "
    "s3://<this cell's checkpoint bucket>/tenants/<tenant>/<job>/.",
)
def state_in_cell_bucket(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    buckets = {b.get("bucket") for b in source_buckets(stack)}
    keys = (
        "execution.checkpointing.dir",
        "execution.checkpointing.savepoint-dir",
        "high-availability.storageDir",
    )
    for deployment in stack.of_type(DEPLOYMENT):
        flink = _flink(deployment)
        for key in keys:
            match = re.match(r"s3a?://([^/]+)/", str(flink.get(key, "")))
            if not match or match.group(1) not in buckets:
                report(
                    f"{deployment.name}: {key} = {flink.get(key, 'unset')} is not in this "
                    f"cell's checkpoint bucket ({', '.join(sorted(map(str, buckets)))})",
                    deployment,
                )


@stack_rule(
    "DUR-FLINK-6",
    "flink-kafka-transaction-timeout",
    "The Kafka sink's transaction timeout is below the brokers' transaction.max.timeout.ms.",
    "critical",
    f"Lower {TRANSACTION_KEY} or raise the broker configuration's transaction.max.timeout.ms.",
)
def transaction_timeout(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    limits = [
        int(v)
        for c in stack.of_type(CONFIGURATION)
        if (v := server_properties(c).get("transaction.max.timeout.ms", "")).isdigit()
    ]
    broker_max = min(limits, default=900_000)  # Kafka's default when unset
    for deployment in stack.of_type(DEPLOYMENT):
        timeout = str(_flink(deployment).get(TRANSACTION_KEY, "3600000"))  # Flink's default
        if not timeout.isdigit() or int(timeout) >= broker_max:
            report(
                f"{deployment.name}: sink transaction timeout {timeout} ms is not below the "
                f"brokers' maximum {broker_max} ms; exactly-once sinks would fail",
                deployment,
            )


DURABILITY = [
    upgrade_mode,
    checkpointing,
    periodic_savepoints,
    no_entropy,
    state_in_cell_bucket,
    transaction_timeout,
]
