"""The checkpoint store: the cell KMS keys and checkpoint bucket, replicated to the DR region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.aws_names import TENANTS_PREFIX
from components.flink_deployment import SAVEPOINT_HISTORY_AGE_DAYS
from components.options import child, stateful
from components.policy_documents import (
    cell_key_policy,
    document,
    joined,
    service_trust,
    tls_only_bucket_policy,
    to_json,
)

ABORT_MULTIPART_AFTER_DAYS = 7
REPLICATION_SLA_MINUTES = 15  # Replication Time Control's SLA; metrics alert past it
# Delete markers are not replicated, so nothing Flink deletes ever leaves the replica by itself.
# There, checkpoints and HA metadata are useless (absolute paths into the primary bucket): they
# go after a day. Savepoints outlive the operator's history age by a margin, so the newest ones a
# DR restore needs are always there; versioning keeps expired ones noncurrent for a while longer.
REPLICA_CHECKPOINT_DAYS = 1
REPLICA_SAVEPOINT_MARGIN_DAYS = 7
REPLICA_STATE_DAYS = SAVEPOINT_HISTORY_AGE_DAYS + REPLICA_SAVEPOINT_MARGIN_DAYS
REPLICATION_RULE_ID = "checkpoints-to-dr-region"


@dataclass(frozen=True)
class CheckpointStoreArgs:
    bucket_name: str
    replica_bucket_name: str
    kms_alias: str
    replica_kms_alias: str
    replication_role_name: str
    region: str
    dr_region: str
    noncurrent_version_days: int
    production: bool
    tags: Mapping[str, str]
    account_id: pulumi.Input[str]
    # None: no replica. Only a recovery cell, whose DR partner is the lost region, goes without.
    replica_provider: aws.Provider | None
    # Checkpoint and HA prefixes of the cell's jobs (`tenants/<t>/<j>/checkpoints/`, …).
    replica_expiring_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Bucket:
    bucket: aws.s3.Bucket
    versioning: aws.s3.BucketVersioning


class CheckpointStore(pulumi.ComponentResource):
    """Versioned SSE-KMS buckets in two regions, with one-way replication of every object."""

    def __init__(
        self, name: str, args: CheckpointStoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:checkpoint:CheckpointStore", name, None, opts)
        self._name = name
        self._args = args
        self.key = self._create_key(f"{name}-key", args.kms_alias, args.region, None)
        primary = self._create_bucket(f"{name}-bucket", args.bucket_name, self.key, None, [])
        self.bucket = primary.bucket
        self.replica_key: aws.kms.Key | None = None
        self.replica_bucket: aws.s3.Bucket | None = None
        outputs: dict[str, pulumi.Input[str]] = {
            "bucketName": self.bucket.bucket,
            "bucketArn": self.bucket.arn,
            "keyArn": self.key.arn,
        }
        if args.replica_provider is not None:
            self.replica_key = self._create_key(
                f"{name}-replica-key", args.replica_kms_alias, args.dr_region, args.replica_provider
            )
            replica = self._create_bucket(
                f"{name}-replica",
                args.replica_bucket_name,
                self.replica_key,
                args.replica_provider,
                _replica_expiry(args.replica_expiring_prefixes),
            )
            self.replica_bucket = replica.bucket
            self.replication_role = self._create_replication_role(primary.bucket, replica.bucket)
            self.replication = self._create_replication(primary, replica)
            outputs.update(
                replicaBucketName=replica.bucket.bucket,
                replicaBucketArn=replica.bucket.arn,
                replicaKeyArn=self.replica_key.arn,
            )
        self.register_outputs(outputs)

    def _create_key(
        self, name: str, alias: str, region: str, provider: aws.Provider | None
    ) -> aws.kms.Key:
        key = aws.kms.Key(
            name,
            description=f"flink-cells checkpoint store {alias} ({region})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=to_json(cell_key_policy(self._args.account_id, region)),
            tags=dict(self._args.tags),
            opts=stateful(self, self._args.production, provider=provider),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=alias,
            target_key_id=key.key_id,
            opts=child(self, provider=provider),
        )
        return key

    def _create_bucket(
        self,
        name: str,
        bucket_name: str,
        key: aws.kms.Key,
        provider: aws.Provider | None,
        expiry: list[aws.s3.BucketLifecycleConfigurationRuleArgs],
    ) -> _Bucket:
        args = self._args
        bucket = aws.s3.Bucket(
            name,
            bucket=bucket_name,
            force_destroy=False,
            tags=dict(args.tags),
            opts=stateful(self, args.production, retain=True, provider=provider),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child(self, provider=provider),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child(self, provider=provider),
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self, provider=provider),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child(self, provider=provider),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=to_json(tls_only_bucket_policy(bucket.arn)),
            # S3 rejects a bucket policy while a public-access block is being applied.
            opts=child(self, provider=provider, depends_on=[public_access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-multipart-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_AFTER_DAYS
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_days
                    ),
                ),
                # Once its noncurrent versions are gone, a delete marker hides nothing.
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="remove-expired-delete-markers",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        expired_object_delete_marker=True
                    ),
                ),
                *expiry,
            ],
            # Lifecycle rules on an unversioned bucket would expire current objects instead.
            opts=child(self, provider=provider, depends_on=[versioning]),
        )
        return _Bucket(bucket, versioning)

    def _create_replication_role(
        self, source: aws.s3.Bucket, destination: aws.s3.Bucket
    ) -> aws.iam.Role:
        args = self._args
        role = aws.iam.Role(
            f"{self._name}-replication-role",
            name=args.replication_role_name,
            assume_role_policy=to_json(service_trust("s3.amazonaws.com")),
            tags=dict(args.tags),
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-replication-policy",
            role=role.id,
            policy=to_json(self._replication_permissions(source, destination)),
            opts=child(self),
        )
        return role

    def _replication_permissions(
        self, source: aws.s3.Bucket, destination: aws.s3.Bucket
    ) -> dict[str, object]:
        """Only what S3 replication of SSE-KMS objects needs; deletes are never replicated."""
        args = self._args
        assert self.replica_key is not None
        # With S3 Bucket Keys the KMS encryption context is the bucket ARN, else the object ARN.
        source_context = [source.arn, joined(source.arn, "/*")]
        destination_context = [destination.arn, joined(destination.arn, "/*")]
        return document(
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": [source.arn],
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": [joined(source.arn, "/*")],
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": [joined(destination.arn, "/*")],
            },
            {
                "Sid": "DecryptSource",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [self.key.arn],
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": source_context},
                },
            },
            {
                "Sid": "EncryptReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": [self.replica_key.arn],
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{args.dr_region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": destination_context},
                },
            },
        )

    def _create_replication(
        self, primary: _Bucket, replica: _Bucket
    ) -> aws.s3.BucketReplicationConfig:
        assert self.replica_key is not None
        sla = aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
            minutes=REPLICATION_SLA_MINUTES
        )
        threshold = aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
            minutes=REPLICATION_SLA_MINUTES
        )
        return aws.s3.BucketReplicationConfig(
            f"{self._name}-replication",
            bucket=primary.bucket.id,
            role=self.replication_role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id=REPLICATION_RULE_ID,
                    status="Enabled",
                    priority=1,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    # A deleted checkpoint must stay recoverable in the DR region.
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Disabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.bucket.arn,
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=self.replica_key.arn
                        ),
                        replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                            status="Enabled", time=sla
                        ),
                        metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                            status="Enabled", event_threshold=threshold
                        ),
                    ),
                )
            ],
            # S3 refuses a replication configuration until both buckets are versioned.
            opts=child(self, depends_on=[primary.versioning, replica.versioning]),
        )


def _replica_expiry(
    expiring_prefixes: tuple[str, ...],
) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """The replica's bound: all replicated state after REPLICA_STATE_DAYS, checkpoint and HA
    prefixes of the cell's jobs after REPLICA_CHECKPOINT_DAYS."""

    def expire(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
        return aws.s3.BucketLifecycleConfigurationRuleArgs(
            id=rule_id,
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        )

    return [
        expire("expire-replicated-state", TENANTS_PREFIX, REPLICA_STATE_DAYS),
        *(
            expire(f"expire-{prefix.strip('/').replace('/', '-')}", prefix, REPLICA_CHECKPOINT_DAYS)
            for prefix in sorted(expiring_prefixes)
        ),
    ]
