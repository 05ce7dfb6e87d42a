"""Recovery stacks restore each job from the lost cell's replica, and never own what they restore.

A recovery stack (its resources tagged `recovers: <cell>`) rebuilds a lost cell in the DR partner.
Its jobs must start from a savepoint in the lost cell's replica bucket, under their own tenant and
job, in NO_CLAIM mode (the restored job must never delete the savepoint it started from), with
Kafka transactional ids the lost job never used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, resource_rule, stack_rule

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
RECOVERS_ANNOTATION = "flink-cells.io/recovers"
CLAIM_MODE_KEY = "execution.state-recovery.claim-mode"
TRANSACTIONAL_ID_KEY = "flinkcells.kafka.sink.transactional-id-prefix"


def recovering(stack: Stack) -> tuple[str, str] | None:
    """(fleet, lost cell) when this is a recovery stack, from the tags its resources carry."""
    for resource in stack.resources:
        tags = resource.tags
        if tags.get("recovers") and tags.get("fleet"):
            return str(tags["fleet"]), str(tags["recovers"])
    return None


def replica_bucket(fleet: str, cell: str) -> str:
    """The lost cell's replica, named as every cell names it: <fleet>-<cell>-checkpoints-dr."""
    return f"{fleet}-{cell}-checkpoints-dr"


def _recovered(resource: Resource) -> str | None:
    annotations = resource.get("metadata.annotations") or {}
    value = annotations.get(RECOVERS_ANNOTATION)
    return str(value) if value else None


@stack_rule(
    "DUR-RCV-1",
    "recovery-restores-from-lost-cell-replica",
    "In a recovery stack, every job starts from a savepoint of its own tenant and job in the "
    "lost cell's replica bucket.",
    "critical",
    "Run `cellctl dr plan` and commit the recovery lock: it sets each job's initialSavepointPath "
    "to s3://<fleet>-<cell>-checkpoints-dr/tenants/<tenant>/<job>/savepoints/savepoint-….",
)
def restores_from_replica(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    found = recovering(stack)
    if found is None:
        return
    fleet, cell = found
    bucket = replica_bucket(fleet, cell)
    for deployment in stack.of_type(DEPLOYMENT):
        tenant = (deployment.get("metadata.labels") or {}).get("flink-cells.io/tenant")
        job = deployment.get("metadata.name")
        expected = f"s3://{bucket}/tenants/{tenant}/{job}/savepoints/savepoint-"
        path = deployment.get("spec.job.initialSavepointPath")
        if _recovered(deployment) != cell:
            report(f"{deployment.name}: not marked as recovering cell {cell}", deployment)
        if not isinstance(path, str) or not path.startswith(expected):
            report(
                f"{deployment.name}: initialSavepointPath {path or 'unset (empty state)'} is not "
                f"a savepoint of {tenant}/{job} in {bucket}",
                deployment,
            )


@resource_rule(
    "DUR-RCV-2",
    "recovery-restore-never-claims",
    "A recovered job restores in NO_CLAIM mode and writes Kafka transactions under a prefix the "
    "lost job never used.",
    "critical",
    f"Set {CLAIM_MODE_KEY}: NO_CLAIM and a recovery-specific {TRANSACTIONAL_ID_KEY}.",
    types={DEPLOYMENT},
)
def never_claims(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if _recovered(resource) is None:
        return
    flink = resource.get("spec.flinkConfiguration") or {}
    if flink.get(CLAIM_MODE_KEY) != "NO_CLAIM":
        report(
            f"{resource.name}: claim mode {flink.get(CLAIM_MODE_KEY, 'unset')}: the restored job "
            "could delete the replica's savepoint it started from",
            resource,
        )
    tenant = (resource.get("metadata.labels") or {}).get("flink-cells.io/tenant")
    prefix = flink.get(TRANSACTIONAL_ID_KEY)
    if not prefix or prefix == f"{tenant}.{resource.get('metadata.name')}":
        report(
            f"{resource.name}: Kafka transactional-id prefix {prefix or 'unset'} is the lost "
            "job's: its transactions would fence, or be fenced by, the lost job's",
            resource,
        )


DURABILITY = [restores_from_replica, never_claims]
