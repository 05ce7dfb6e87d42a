"""Dangers: changes that can lose state, each with a stable id and one sentence on what is lost.

Resource dangers are read from steps in the `pulumi preview --json` shape, so a real preview and
the offline diff are judged by the same code."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

STATEFUL = "stateful-resource"
PROTECTED = "protected-resource"
JOB_LEAVES = "flink-job-leaves"
JOB_STATE = "flink-state-not-restorable"
TOPIC_DATA = "topic-data-loss"
POLICY = "new-policy-violation"
FLEET_RENAME = "fleet-renamed"
DR_PARTNER = "dr-partner-changed"

# Most severe first: the comment lists dangers in this order.
DANGER_CLASSES: tuple[str, ...] = (
    FLEET_RENAME,
    DR_PARTNER,
    STATEFUL,
    TOPIC_DATA,
    JOB_LEAVES,
    JOB_STATE,
    PROTECTED,
    POLICY,
)

FLINK_DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
MSK_TOPIC = "aws:msk/topic:Topic"
NAMESPACE = "kubernetes:core/v1:Namespace"
TENANT_NAMESPACE_PREFIX = "tenant-"

# What each stateful resource type holds: the end of "deleting it loses ...".
STATEFUL_TYPES: dict[str, str] = {
    "aws:s3/bucket:Bucket": "every checkpoint and savepoint stored in it",
    "aws:kms/key:Key": "the ability to decrypt every checkpoint, savepoint and broker volume it "
    "encrypts",
    "aws:msk/cluster:Cluster": "every record of every topic on its brokers",
    MSK_TOPIC: "every record in the topic",
    "aws:eks/cluster:Cluster": "every running Flink job of the cell and its in-flight state",
    NAMESPACE: "every FlinkDeployment, its HA metadata and the jobs running in it",
}

DELETING_OPS = {"delete", "delete-replaced", "discard", "discard-replaced"}
REPLACING_OPS = {"replace", "create-replacement"}
STATELESS_UPGRADE_MODES = {"stateless"}
FLINK_MIN_MAX_PARALLELISM = 128
FLINK_MAX_MAX_PARALLELISM = 32768


@dataclass(frozen=True)
class Danger:
    """A change that can lose state; `id` is stable across runs, for acknowledgements."""

    id: str
    danger_class: str
    stack: str
    urn: str | None
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "class": self.danger_class,
            "stack": self.stack,
            "urn": self.urn,
            "summary": self.summary,
        }


def danger_id(danger_class: str, stack: str, subject: str) -> str:
    """`<class>/<stack or fleet>/<digest of the subject>`: short enough to type in an ack file."""
    digest = hashlib.blake2b(
        "\x00".join((danger_class, stack, subject)).encode(), digest_size=5
    ).hexdigest()
    return f"{danger_class}/{stack or 'fleet'}/{digest}"


def make_danger(danger_class: str, stack: str, subject: str, summary: str) -> Danger:
    urn = subject if subject.startswith("urn:") else None
    return Danger(danger_id(danger_class, stack, subject), danger_class, stack, urn, summary)


def sort_dangers(dangers: Iterable[Danger]) -> list[Danger]:
    order = {name: i for i, name in enumerate(DANGER_CLASSES)}
    return sorted(dangers, key=lambda d: (order.get(d.danger_class, 99), d.stack, d.id))


def collapse_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One step per URN: a replacement shows as `create-replacement`, `replace` and
    `delete-replaced` steps in a preview; keep the one that says most."""
    rank = {"replace": 0, "create-replacement": 1, "delete-replaced": 2, "delete": 3}
    chosen: dict[str, dict[str, Any]] = {}
    for step in steps:
        urn = str(step.get("urn", ""))
        held = chosen.get(urn)
        if held is None or rank.get(str(step.get("op")), 9) < rank.get(str(held.get("op")), 9):
            chosen[urn] = step
    return list(chosen.values())


def dangers_from_preview_steps(stack: str, steps: list[dict[str, Any]]) -> list[Danger]:
    """Every danger in one stack's steps (`op`, `urn`, `type`, `oldState`, `newState`,
    `replaceReasons`, `diffReasons`, …); at most one danger per resource, the most specific."""
    dangers = []
    for step in collapse_steps(steps):
        danger = _step_danger(stack, step)
        if danger is not None:
            dangers.append(danger)
    return sort_dangers(dangers)


def step_op(step: dict[str, Any]) -> str:
    op = str(step.get("op", "same"))
    if op in REPLACING_OPS:
        return "replace"
    if op in DELETING_OPS:
        return "delete"
    return op


def step_type(step: dict[str, Any]) -> str:
    for key in ("newState", "oldState"):
        state = step.get(key) or {}
        if state.get("type"):
            return str(state["type"])
    if step.get("type"):
        return str(step["type"])
    urn = str(step.get("urn", ""))
    return urn.split("::")[2].rsplit("$", 1)[-1] if urn.count("::") >= 3 else ""


def _inputs(step: dict[str, Any], key: str) -> dict[str, Any]:
    state = step.get(key) or {}
    return state.get("inputs") or state.get("outputs") or {}


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _step_danger(stack: str, step: dict[str, Any]) -> Danger | None:
    op = step_op(step)
    urn = str(step.get("urn", ""))
    type_ = step_type(step)
    old = _inputs(step, "oldState")
    new = _inputs(step, "newState")
    protected = bool((step.get("oldState") or {}).get("protect"))
    if type_ == FLINK_DEPLOYMENT:
        return _flink_danger(stack, step, op, urn, old, new)
    if type_ == MSK_TOPIC and op in {"update", "replace"}:
        topic = _topic_danger(stack, urn, old, new)
        if topic is not None:
            return topic
    if op not in {"delete", "replace"}:
        return None
    verb = "deleting" if op == "delete" else "replacing"
    refusal = " (protected: `pulumi up` refuses until it is unprotected)" if protected else ""
    if type_ in STATEFUL_TYPES and (type_ != NAMESPACE or _is_tenant_namespace(old or new)):
        what = _stateful_name(type_, old or new, urn)
        reasons = _reasons(step) if op == "replace" else ""
        return make_danger(
            STATEFUL, stack, urn, f"{verb} {what}{reasons} loses {STATEFUL_TYPES[type_]}{refusal}."
        )
    if protected:
        return make_danger(
            PROTECTED,
            stack,
            urn,
            f"{verb} protected {type_} `{_name(urn)}`{_reasons(step)}: `pulumi up` refuses "
            "until it is unprotected.",
        )
    return None


def _reasons(step: dict[str, Any]) -> str:
    reasons = step.get("replaceReasons") or []
    return f" (because of {', '.join(f'`{r}`' for r in reasons)})" if reasons else ""


def _is_tenant_namespace(inputs: dict[str, Any]) -> bool:
    name = str((inputs.get("metadata") or {}).get("name", ""))
    return name.startswith(TENANT_NAMESPACE_PREFIX)


def _stateful_name(type_: str, inputs: dict[str, Any], urn: str) -> str:
    named = {
        "aws:s3/bucket:Bucket": ("bucket", "bucket"),
        "aws:kms/key:Key": ("KMS key", "description"),
        "aws:msk/cluster:Cluster": ("MSK cluster", "clusterName"),
        MSK_TOPIC: ("topic", "name"),
        "aws:eks/cluster:Cluster": ("EKS cluster", "name"),
    }
    if type_ == NAMESPACE:
        return f"tenant namespace `{(inputs.get('metadata') or {}).get('name', _name(urn))}`"
    label, key = named[type_]
    value = inputs.get(key) if key != "description" else None
    return f"{label} `{value or _name(urn)}`"


def _flink_danger(
    stack: str,
    step: dict[str, Any],
    op: str,
    urn: str,
    old: dict[str, Any],
    new: dict[str, Any],
) -> Danger | None:
    meta = (old or new).get("metadata") or {}
    job = f"Flink job `{meta.get('namespace', '?')}/{meta.get('name', _name(urn))}`"
    if op == "delete":
        return make_danger(
            JOB_LEAVES,
            stack,
            urn,
            f"{job} leaves cell {stack}: it stops here, and unless it is restored elsewhere from "
            "its last savepoint its state is lost.",
        )
    if op == "replace":
        return make_danger(
            JOB_LEAVES,
            stack,
            urn,
            f"{job} is deleted and recreated{_reasons(step)}: it starts without its state unless "
            "restored from a savepoint.",
        )
    if op != "update":
        return None
    reasons = flink_state_breaks(old, new)
    if not reasons:
        return None
    return make_danger(
        JOB_STATE,
        stack,
        urn,
        f"{job} cannot restore its state after this upgrade: {'; '.join(reasons)}.",
    )


def flink_state_breaks(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why an upgrade from `old` to `new` FlinkDeployment cannot carry the job's state over."""
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    old_job, new_job = old_spec.get("job") or {}, new_spec.get("job") or {}
    old_conf = old_spec.get("flinkConfiguration") or {}
    new_conf = new_spec.get("flinkConfiguration") or {}
    reasons = []
    old_mode = str(old_job.get("upgradeMode", "stateless"))
    new_mode = str(new_job.get("upgradeMode", "stateless"))
    if new_mode in STATELESS_UPGRADE_MODES and old_mode not in STATELESS_UPGRADE_MODES:
        reasons.append(f"upgrade mode {old_mode} → {new_mode} drops state on upgrade")
    old_backend = old_conf.get("state.backend.type", old_conf.get("state.backend"))
    new_backend = new_conf.get("state.backend.type", new_conf.get("state.backend"))
    if old_backend != new_backend and old_backend is not None:
        reasons.append(
            f"state backend {old_backend} → {new_backend}: a checkpoint of one backend does not "
            "restore into the other"
        )
    new_parallelism = _int(new_job.get("parallelism"))
    limit = max_parallelism(old_job, old_conf)
    if new_parallelism is not None and limit is not None and new_parallelism > limit:
        reasons.append(
            f"parallelism {new_parallelism} exceeds the job's max parallelism {limit}, which "
            "its state is partitioned by"
        )
    return reasons


def max_parallelism(job: dict[str, Any], conf: dict[str, Any]) -> int | None:
    """The job's max parallelism: configured, or Flink's default derived from its parallelism
    (1.5 × rounded up to a power of two, within [128, 32768]). The default is fixed when the job
    first starts; the deployed parallelism is the best evidence of it we have."""
    configured = _int(conf.get("pipeline.max-parallelism"))
    if configured is not None and configured > 0:
        return configured
    parallelism = _int(job.get("parallelism"))
    if parallelism is None:
        return None
    wanted = parallelism + parallelism // 2
    power = 1 << max(wanted - 1, 0).bit_length()
    return min(max(power, FLINK_MIN_MAX_PARALLELISM), FLINK_MAX_MAX_PARALLELISM)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _topic_danger(stack: str, urn: str, old: dict[str, Any], new: dict[str, Any]) -> Danger | None:
    name = new.get("name") or old.get("name") or _name(urn)
    old_partitions, new_partitions = (
        _int(old.get("partitionCount")),
        _int(new.get("partitionCount")),
    )
    old_rf, new_rf = _int(old.get("replicationFactor")), _int(new.get("replicationFactor"))
    changes = []
    if (
        old_partitions is not None
        and new_partitions is not None
        and new_partitions < old_partitions
    ):
        changes.append(f"partitions shrink {old_partitions} → {new_partitions}")
    if old_rf is not None and new_rf is not None and new_rf != old_rf:
        changes.append(f"replication factor {old_rf} → {new_rf}")
    if not changes:
        return None
    return make_danger(
        TOPIC_DATA,
        stack,
        urn,
        f"topic `{name}`: {' and '.join(changes)}; Kafka cannot do this in place, so the topic is "
        "deleted and recreated and every record in it is lost.",
    )
