"""A tenant's identity in one cell: an IAM role only its Flink service account can assume."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.aws_names import checkpoint_prefix
from cells.spec import TenantSpec
from components.options import child
from components.policy_documents import Computed, Document, document, joined, to_json


@dataclass(frozen=True)
class TenantIdentityArgs:
    tenant: TenantSpec
    region: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    msk_cluster_arn: pulumi.Input[str]
    artifact_buckets: tuple[str, ...] = ()
    # A recovery cell: the lost cell's replica bucket and key, readable (never writable) only
    # under the tenant's own prefix, where its jobs' restore points are.
    restore_bucket_arn: pulumi.Input[str] | None = None
    restore_key_arn: pulumi.Input[str] | None = None


def kafka_resource_arn(cluster_arn: pulumi.Input[str], kind: str, name: str) -> Computed:
    """arn:aws:kafka:R:A:cluster/NAME/UUID -> arn:aws:kafka:R:A:<kind>/NAME/UUID/<name>."""
    return Computed(
        (cluster_arn,), lambda arn: arn.replace(":cluster/", f":{kind}/", 1) + f"/{name}"
    )


def trust_policy(args: TenantIdentityArgs) -> Document:
    names = args.tenant.names
    subject = f"system:serviceaccount:{names.namespace}:{names.service_account}"
    return document(
        {
            "Sid": "OnlyTheTenantsServiceAccount",
            "Effect": "Allow",
            "Principal": {"Federated": args.oidc_provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": Computed(
                    (args.oidc_issuer,),
                    lambda url: {f"{url}:sub": subject, f"{url}:aud": "sts.amazonaws.com"},
                )
            },
        }
    )


# Policies recognise the shared artifact buckets by this statement (and only if it reads).
ARTIFACTS_SID = "ReadSharedArtifacts"


def artifacts_statement(buckets: tuple[str, ...]) -> list[dict[str, object]]:
    """Read-only access to the fleet's shared artifact buckets, for s3:// jar URIs."""
    if not buckets:
        return []
    return [
        {
            "Sid": ARTIFACTS_SID,
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/*" for bucket in buckets],
        }
    ]


def permissions(args: TenantIdentityArgs) -> Document:
    tenant = args.tenant
    prefix = checkpoint_prefix(tenant.id)
    owned = f"{tenant.names.topic_prefix}*"
    cluster = args.msk_cluster_arn
    return document(
        *_restore_statements(args),
        {
            "Sid": "ListOwnPrefix",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [args.bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
        },
        {
            "Sid": "ReadWriteOwnPrefix",
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "Resource": [joined(args.bucket_arn, "/", prefix, "*")],
        },
        {
            "Sid": "UseCellKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [args.kms_key_arn],
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}},
        },
        {
            "Sid": "ConnectToCellKafka",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:Connect",
                "kafka-cluster:DescribeCluster",
                "kafka-cluster:WriteDataIdempotently",
            ],
            "Resource": [cluster],
        },
        {
            "Sid": "OwnTopics",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:DescribeTopic",
                "kafka-cluster:DescribeTopicDynamicConfiguration",
                "kafka-cluster:ReadData",
                "kafka-cluster:WriteData",
            ],
            "Resource": [kafka_resource_arn(cluster, "topic", owned)],
        },
        {
            "Sid": "OwnConsumerGroups",
            "Effect": "Allow",
            "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
            "Resource": [kafka_resource_arn(cluster, "group", owned)],
        },
        {
            "Sid": "OwnTransactionalIds",
            "Effect": "Allow",
            "Action": [
                "kafka-cluster:AlterTransactionalId",
                "kafka-cluster:DescribeTransactionalId",
            ],
            "Resource": [kafka_resource_arn(cluster, "transactional-id", owned)],
        },
        *artifacts_statement(args.artifact_buckets),
    )


def _restore_statements(args: TenantIdentityArgs) -> list[dict[str, object]]:
    if args.restore_bucket_arn is None or args.restore_key_arn is None:
        return []
    prefix = checkpoint_prefix(args.tenant.id)
    return [
        {
            "Sid": "ListOwnReplicaPrefix",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [args.restore_bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
        },
        {
            "Sid": "ReadOwnRestorePoints",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [pulumi.Output.concat(args.restore_bucket_arn, "/", prefix, "*")],
        },
        {
            "Sid": "DecryptReplicaThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [args.restore_key_arn],
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}},
        },
    ]


class TenantIdentity(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: TenantIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:identity:TenantIdentity", name, None, opts)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.tenant.names.role,
            assume_role_policy=to_json(trust_policy(args)),
            tags=dict(args.tenant.tags),
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=to_json(permissions(args)),
            opts=child(self),
        )
        self.register_outputs({"roleArn": self.role.arn})
