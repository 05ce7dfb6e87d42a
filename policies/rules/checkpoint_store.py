"""Durability of the checkpoint store: versioned, replicated to another region, keys rotating.

pulumi-aws v7 puts versioning, lifecycle and replication in resources of their own; each rule
joins them to their bucket by dependency, never by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, is_unknown, resource_rule, stack_rule
from policies.durations import seconds
from policies.identity import Identities, parse_arn

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
HISTORY_AGE_KEY = "kubernetes.operator.savepoint.history.max.age"


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


def attached(stack: Stack, bucket: Resource, type_: str) -> list[Resource]:
    """Settings resources of `type_` whose `bucket` is this bucket: by property dependency, or
    by the bucket's id (its name) where the setting was written with a literal."""
    name = bucket.props.get("bucket")
    return [
        r
        for r in stack.of_type(type_)
        if bucket.urn in r.property_dependencies.get("bucket", ())
        or (name and r.props.get("bucket") == name)
    ]


def _versioned(stack: Stack, bucket: Resource) -> bool:
    return any(
        v.get("versioningConfiguration.status") == "Enabled"
        for v in attached(stack, bucket, VERSIONING)
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
    return [rule for lc in attached(stack, bucket, LIFECYCLE) for rule in lc.get("rules") or []]


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


def lifecycle_prefix(rule: Mapping[str, Any]) -> str:
    """The key prefix a lifecycle rule applies to ("" for the whole bucket); tag and size
    filters only narrow it."""
    found = rule.get("filter") or {}
    return str(
        found.get("prefix") or (found.get("and") or {}).get("prefix") or rule.get("prefix") or ""
    )


def _expires_current(rule: Mapping[str, Any]) -> bool:
    """Whether a rule expires current objects; one that only removes expired delete markers
    (whose object has no version left) does not."""
    expiration = rule.get("expiration") or {}
    return any(expiration.get(k) for k in ("days", "date"))


def _history_seconds(stack: Stack) -> float:
    """The longest savepoint history the operator keeps for this stack's jobs (its default:
    one day)."""
    found = [
        seconds(_flink_config(d).get(HISTORY_AGE_KEY, "1 d")) or 0.0
        for d in stack.of_type(DEPLOYMENT)
    ]
    return max(found, default=86400.0)


def _flink_config(deployment: Resource) -> Mapping[str, Any]:
    return (deployment.props.get("spec") or {}).get("flinkConfiguration") or {}


def _replica_expiry_problem(
    prefix: str, days: Any, stack: Stack, config: Mapping[str, Any]
) -> str | None:
    """Where a replica may expire current objects: a job's checkpoint or HA prefix (useless in
    the DR region), or replicated state older than the savepoint history age plus a margin."""
    parts = prefix.split("/")
    if (
        len(parts) >= 4
        and parts[0] == "tenants"
        and all(parts[1:3])
        and parts[3]
        in (
            "checkpoints",
            "ha",
        )
    ):
        return None
    if not prefix.startswith("tenants/"):
        return "expires current objects outside tenants/"
    minimum = _history_seconds(stack) / 86400 + config["replicaSavepointMarginDays"]
    if not isinstance(days, int) or days < minimum:
        return (
            f"expires savepoints after {days} days; the DR region needs them for the "
            f"savepoint history age plus {config['replicaSavepointMarginDays']} days "
            f"({minimum:g} days)"
        )
    return None


@stack_rule(
    "DUR-S3-3",
    "checkpoint-bucket-keeps-noncurrent-versions",
    "Non-current versions of checkpoint objects stay recoverable for a minimum time; the primary "
    "never expires current objects, the DR replica only its jobs' checkpoint and HA prefixes and "
    "savepoints older than the history age plus a margin.",
    "high",
    "Set noncurrentVersionExpiration.noncurrentDays to at least the configured minimum and "
    "expire current objects only where the rule allows.",
    config={
        "minNoncurrentDays": {"type": "integer", "default": 7, "minimum": 1},
        "replicaSavepointMarginDays": {"type": "integer", "default": 7, "minimum": 0},
    },
)
def keeps_noncurrent(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    replicas = replica_buckets(stack)
    for bucket in stack.of_type(BUCKET):
        rules = [r for r in _lifecycle_rules(stack, bucket) if r.get("status") == "Enabled"]
        for rule in rules:
            if _expires_current(rule):
                expiration = rule.get("expiration") or {}
                problem = (
                    _replica_expiry_problem(
                        lifecycle_prefix(rule), expiration.get("days"), stack, config
                    )
                    if bucket.urn in replicas
                    else "expires current objects, which deletes live checkpoints"
                )
                if problem:
                    report(
                        f"bucket {bucket.name}: lifecycle rule {rule.get('id')} {problem}", bucket
                    )
            days = (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays")
            if isinstance(days, int) and days < config["minNoncurrentDays"]:
                report(
                    f"bucket {bucket.name} expires non-current versions after {days} days; "
                    f"the minimum is {config['minNoncurrentDays']}",
                    bucket,
                )


ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


@stack_rule(
    "DUR-S3-8",
    "checkpoint-objects-never-archived",
    "No lifecycle rule moves checkpoint objects (current or not) to an archive storage class "
    "that must be restored before Flink can read it.",
    "high",
    "Remove transitions to GLACIER or DEEP_ARCHIVE (GLACIER_IR stays readable).",
)
def never_archived(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        for rule in _lifecycle_rules(stack, bucket):
            if rule.get("status") != "Enabled":
                continue
            moves = [
                *(rule.get("transitions") or []),
                *(rule.get("noncurrentVersionTransitions") or []),
            ]
            archived = sorted(
                {
                    str(t.get("storageClass"))
                    for t in moves
                    if t.get("storageClass") in ARCHIVE_CLASSES
                }
            )
            if archived:
                report(
                    f"bucket {bucket.name}: lifecycle rule {rule.get('id')} archives objects to "
                    f"{', '.join(archived)}: a restore would wait hours for them",
                    bucket,
                )


def _replication(stack: Stack, bucket: Resource) -> list[Resource]:
    return attached(stack, bucket, REPLICATION)


def _rules(config: Resource) -> list[dict[str, Any]]:
    return [r for r in config.get("rules") or [] if r.get("status") == "Enabled"]


def _covers_all_state(rule: Mapping[str, Any]) -> bool:
    """A rule replicates every checkpoint, savepoint and HA object: no prefix narrower than
    `tenants/`, and no tag filter."""
    found = rule.get("filter") or {}
    if found.get("tag") or (found.get("and") or {}).get("tags"):
        return False
    return "tenants/".startswith(lifecycle_prefix(rule))


def _destination(stack: Stack, replication: Resource, rule: Mapping[str, Any]) -> Resource | None:
    """The bucket a replication rule writes to: the stack bucket its destination ARN names."""
    arn = parse_arn((rule.get("destination") or {}).get("bucket"))
    candidates = stack.dependencies(replication, BUCKET, prop="rules")
    if arn is None:
        return candidates[0] if len(candidates) == 1 else None
    return next((b for b in stack.of_type(BUCKET) if b.props.get("bucket") == arn.name), None)


@stack_rule(
    "DUR-S3-4",
    "checkpoint-bucket-replicated-to-another-region",
    "Every checkpoint bucket replicates all of its state (every prefix under tenants/) to a "
    "versioned bucket of this cell in a different region.",
    "critical",
    "Add an aws.s3.BucketReplicationConfig (depending on versioning) with an unfiltered rule to "
    "a versioned bucket created with the DR region's provider.",
)
def replicated(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in source_buckets(stack):
        if bucket.tags.get("recovers"):
            # A recovery cell's DR partner is the lost region: nowhere to replicate to until it
            # is back (README: "Disaster recovery"). DUR-RCV-* rules hold recovery stacks.
            continue
        configs = _replication(stack, bucket)
        rules = [(c, r) for c in configs for r in _rules(c)]
        if not rules:
            report(
                f"bucket {bucket.name} is not replicated: a regional outage loses its state", bucket
            )
            continue
        if not any(_covers_all_state(r) for _, r in rules):
            prefixes = ", ".join(sorted({repr(lifecycle_prefix(r)) for _, r in rules}))
            report(
                f"bucket {bucket.name} replicates only part of its state ({prefixes}): "
                "the rest is lost with the region",
                bucket,
            )
        for replication, rule in rules:
            destination = _destination(stack, replication, rule)
            if destination is None:
                report(f"{replication.name} replicates to a bucket outside this stack", replication)
                continue
            if destination.region == bucket.region or destination.urn == bucket.urn:
                report(
                    f"{replication.name} replicates {bucket.name} within "
                    f"{bucket.region}: the replica must be in another region",
                    replication,
                )
            if not _versioned(stack, destination):
                report(f"replica bucket {destination.name} is not versioned", destination)
        versioning = {v.urn for v in stack.of_type(VERSIONING)}
        for replication in configs:
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
    ids = Identities.of(stack)
    for replication in stack.of_type(REPLICATION):
        for rule in _rules(replication):
            selection = (rule.get("sourceSelectionCriteria") or {}).get("sseKmsEncryptedObjects")
            if (selection or {}).get("status") != "Enabled":
                report(
                    f"{replication.name} skips SSE-KMS objects: no checkpoint would replicate",
                    replication,
                )
            encryption = (rule.get("destination") or {}).get("encryptionConfiguration") or {}
            key = encryption.get("replicaKmsKeyId")
            destination = _destination(stack, replication, rule)
            problem = customer_key_problem(ids, key, destination.region if destination else None)
            if problem:
                report(f"{replication.name}: the replica key {problem}", replication)


def customer_key_problem(ids: Identities, key: Any, region: str | None) -> str | None:
    """Why `key` is not one of this cell's customer keys in `region` (None when it is, or when
    it is not known yet: a key created in the same preview)."""
    if is_unknown(key):
        return None
    if not key:
        return "is not set"
    arn = parse_arn(key)
    if arn is None:
        return f"{key} is not a key ARN" + (
            " (an AWS managed key)" if "alias/aws/" in str(key) else ""
        )
    if arn.is_aws_managed:
        return f"{key} is an AWS managed key, not the cell's customer key"
    if arn.kind != "key" or arn.name not in ids.key_ids:
        return f"{key} is not a key of this cell"
    if region and arn.region != region:
        return f"{key} is in {arn.region}, not in {region} with the bucket it encrypts"
    return None


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
    never_archived,
]
