"""Durability of the checkpoint store: versioned, replicated to another region, keys rotating.

pulumi-aws v7 puts versioning, lifecycle and replication in resources of their own; each rule
joins them to their bucket by dependency, never by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, resource_rule, stack_rule

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def replica_buckets(stack: Stack) -> set[str]:
    """URNs of buckets that receive replication: they need no replication of their own."""
    return {
        bucket.urn
        for config in stack.of_type(REPLICATION)
        for bucket in stack.dependencies(config, BUCKET, prop="rules")
    }


def source_buckets(stack: Stack) -> list[Resource]:
    replicas = replica_buckets(stack)
    return [b for b in stack.of_type(BUCKET) if b.urn not in replicas]


def _versioned(stack: Stack, bucket: Resource) -> bool:
    return any(
        v.get("versioningConfiguration.status") == "Enabled"
        for v in stack.dependents(bucket, VERSIONING)
    )


@stack_rule(
    "DUR-S3-1",
    "checkpoint-bucket-versioned",
    "Every checkpoint bucket (and its replica) has versioning enabled.",
    "high",
    "Add an aws.s3.BucketVersioning with status Enabled for the bucket.",
)
def bucket_versioned(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        if not _versioned(stack, bucket):
            report(
                f"bucket {bucket.name} is not versioned: an overwrite or delete is final", bucket
            )


def _lifecycle_rules(stack: Stack, bucket: Resource) -> list[Any]:
    return [rule for lc in stack.dependents(bucket, LIFECYCLE) for rule in lc.get("rules") or []]


@stack_rule(
    "DUR-S3-2",
    "checkpoint-bucket-aborts-multipart-uploads",
    "Lifecycle rules abort incomplete multipart uploads of checkpoint buckets.",
    "medium",
    "Add a lifecycle rule with abortIncompleteMultipartUpload.daysAfterInitiation.",
    config={"maxAbortDays": {"type": "integer", "default": 7, "minimum": 1}},
)
def aborts_multipart(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        days = [
            rule["abortIncompleteMultipartUpload"].get("daysAfterInitiation")
            for rule in _lifecycle_rules(stack, bucket)
            if rule.get("status") == "Enabled" and rule.get("abortIncompleteMultipartUpload")
        ]
        if not any(isinstance(d, int) and d <= config["maxAbortDays"] for d in days):
            report(
                f"bucket {bucket.name} keeps incomplete multipart uploads longer than "
                f"{config['maxAbortDays']} days (or forever)",
                bucket,
            )


@stack_rule(
    "DUR-S3-3",
    "checkpoint-bucket-keeps-noncurrent-versions",
    "Non-current versions of checkpoint objects stay recoverable for a minimum time, and the "
    "lifecycle never expires current objects.",
    "high",
    "Set noncurrentVersionExpiration.noncurrentDays to at least the configured minimum and "
    "remove any expiration of current objects.",
    config={"minNoncurrentDays": {"type": "integer", "default": 7, "minimum": 1}},
)
def keeps_noncurrent(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        rules = [r for r in _lifecycle_rules(stack, bucket) if r.get("status") == "Enabled"]
        for rule in rules:
            if rule.get("expiration"):
                report(
                    f"bucket {bucket.name}: lifecycle rule {rule.get('id')} expires "
                    "current objects, which deletes live checkpoints",
                    bucket,
                )
            days = (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays")
            if isinstance(days, int) and days < config["minNoncurrentDays"]:
                report(
                    f"bucket {bucket.name} expires non-current versions after {days} days; "
                    f"the minimum is {config['minNoncurrentDays']}",
                    bucket,
                )


def _replication(stack: Stack, bucket: Resource) -> list[Resource]:
    return [
        c
        for c in stack.of_type(REPLICATION)
        if bucket.urn in [b.urn for b in stack.dependencies(c, BUCKET, prop="bucket")]
    ]


def _rules(config: Resource) -> list[dict[str, Any]]:
    return [r for r in config.get("rules") or [] if r.get("status") == "Enabled"]


@stack_rule(
    "DUR-S3-4",
    "checkpoint-bucket-replicated-to-another-region",
    "Every checkpoint bucket replicates to a versioned bucket in a different region.",
    "critical",
    "Add an aws.s3.BucketReplicationConfig (depending on versioning) to a versioned bucket "
    "created with the DR region's provider.",
)
def replicated(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in source_buckets(stack):
        if bucket.tags.get("recovers"):
            # A recovery cell's DR partner is the lost region: nowhere to replicate to until it
            # is back (README: "Disaster recovery", fail-back). DUR-RCV-* rules hold recovery stacks.
            continue
        configs = _replication(stack, bucket)
        if not configs or not any(_rules(c) for c in configs):
            report(
                f"bucket {bucket.name} is not replicated: a regional outage loses its state", bucket
            )
            continue
        for replication in configs:
            destinations = stack.dependencies(replication, BUCKET, prop="rules")
            if not destinations:
                report(f"{replication.name} replicates to a bucket outside this stack", replication)
            for destination in destinations:
                if destination.region == bucket.region:
                    report(
                        f"{replication.name} replicates {bucket.name} within "
                        f"{bucket.region}: the replica must be in another region",
                        replication,
                    )
                if not _versioned(stack, destination):
                    report(f"replica bucket {destination.name} is not versioned", destination)
            versioning = {v.urn for v in stack.of_type(VERSIONING)}
            if not versioning & set(replication.dependencies):
                report(
                    f"{replication.name} does not depend on versioning: S3 rejects it until "
                    "both buckets are versioned",
                    replication,
                )


@stack_rule(
    "DUR-S3-5",
    "checkpoint-replication-time-control",
    "Replication uses Replication Time Control with metrics (99.99% within 15 minutes).",
    "high",
    "Set destination.replicationTime and destination.metrics to Enabled with 15 minutes.",
)
def replication_time_control(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for replication in stack.of_type(REPLICATION):
        for rule in _rules(replication):
            destination = rule.get("destination") or {}
            if (destination.get("replicationTime") or {}).get("status") != "Enabled":
                report(
                    f"{replication.name} rule {rule.get('id')} has no Replication Time "
                    "Control: the DR copy may lag without bound",
                    replication,
                )
            if (destination.get("metrics") or {}).get("status") != "Enabled":
                report(
                    f"{replication.name} rule {rule.get('id')} has no replication metrics: "
                    "lag cannot be alarmed on",
                    replication,
                )


@stack_rule(
    "DUR-S3-6",
    "checkpoint-replication-includes-kms-objects",
    "Replication selects SSE-KMS objects and encrypts replicas with a key in the DR region.",
    "critical",
    "Enable sourceSelectionCriteria.sseKmsEncryptedObjects and set "
    "destination.encryptionConfiguration.replicaKmsKeyId.",
)
def replication_kms(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for replication in stack.of_type(REPLICATION):
        for rule in _rules(replication):
            selection = (rule.get("sourceSelectionCriteria") or {}).get("sseKmsEncryptedObjects")
            if (selection or {}).get("status") != "Enabled":
                report(
                    f"{replication.name} skips SSE-KMS objects: no checkpoint would replicate",
                    replication,
                )
            encryption = (rule.get("destination") or {}).get("encryptionConfiguration") or {}
            if not encryption.get("replicaKmsKeyId"):
                report(f"{replication.name} sets no replica KMS key", replication)


@stack_rule(
    "DUR-S3-7",
    "checkpoint-replication-keeps-deletes-local",
    "Delete markers are not replicated: a deleted checkpoint stays recoverable in the DR region.",
    "high",
    "Set deleteMarkerReplication.status to Disabled.",
)
def keeps_deletes_local(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for replication in stack.of_type(REPLICATION):
        for rule in _rules(replication):
            if (rule.get("deleteMarkerReplication") or {}).get("status") != "Disabled":
                report(
                    f"{replication.name} replicates delete markers: a deletion in the primary "
                    "region would hide the DR copy too",
                    replication,
                )


@resource_rule(
    "DUR-KMS-1",
    "kms-key-rotation",
    "Customer KMS keys rotate automatically.",
    "medium",
    "Set enableKeyRotation: true.",
    types={"aws:kms/key:Key"},
)
def key_rotation(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if resource.get("enableKeyRotation") is not True:
        report(f"KMS key {resource.name} does not rotate", resource)


RULES = [
    bucket_versioned,
    aborts_multipart,
    keeps_noncurrent,
    replicated,
    replication_time_control,
    replication_kms,
    keeps_deletes_local,
    key_rotation,
]
