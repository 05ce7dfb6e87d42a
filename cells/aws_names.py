"""AWS and Kubernetes naming rules, and the names this project derives from fleet ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Regions where every service a cell uses (EKS, MSK, S3 RTC, KMS) is offered.
KNOWN_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-east-1",
        "sa-east-1", "me-south-1", "me-central-1", "af-south-1", "il-central-1",
    }
)  # fmt: skip


@dataclass(frozen=True)
class NameRule:
    what: str
    max_length: int
    pattern: re.Pattern[str]
    expected: str

    def violation(self, name: str) -> str | None:
        """Why `name` breaks this rule, or None."""
        if not 1 <= len(name) <= self.max_length:
            return f"{self.what} '{name}' is {len(name)} characters; AWS allows {self.max_length}"
        if not self.pattern.fullmatch(name):
            return f"{self.what} '{name}' is not allowed: {self.expected}"
        return None


S3_BUCKET = NameRule(
    "S3 bucket name",
    63,
    re.compile(
        r"(?!xn--|sthree-)[a-z0-9](?!.*\.\.)[a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)"
    ),
    "3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
)
IAM_ROLE = NameRule("IAM role name", 64, re.compile(r"[\w+=,.@-]+"), "letters, digits, +=,.@_-")
MSK_CLUSTER = NameRule(
    "MSK cluster name", 64, re.compile(r"[0-9A-Za-z][0-9A-Za-z-]*"), "letters, digits and '-'"
)
EKS_CLUSTER = NameRule(
    "EKS cluster name", 100, re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*"), "letters, digits, '-', '_'"
)
K8S_NAMESPACE = NameRule(
    "Kubernetes namespace",
    63,
    re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"),
    "a DNS label: lower-case letters, digits and '-'",
)
KAFKA_TOPIC = NameRule(
    "Kafka topic name", 249, re.compile(r"[a-zA-Z0-9._-]+"), "letters, digits, '.', '_', '-'"
)


@dataclass(frozen=True)
class CellNames:
    """Physical names of a cell's resources; decided here once, passed down as data."""

    checkpoint_bucket: str
    replica_bucket: str
    kms_alias: str
    replica_kms_alias: str
    msk_cluster: str
    msk_configuration: str
    eks_cluster: str
    eks_cluster_role: str
    node_role: str
    replication_role: str
    standby_msk_cluster: str  # in the DR region, fed by MSK Replicator (kafka_continuity)
    standby_msk_configuration: str
    replicator: str
    replicator_role: str

    def rules(self) -> list[tuple[NameRule, str]]:
        return [
            (S3_BUCKET, self.checkpoint_bucket),
            (S3_BUCKET, self.replica_bucket),
            (MSK_CLUSTER, self.msk_cluster),
            (MSK_CLUSTER, self.msk_configuration),
            (MSK_CLUSTER, self.standby_msk_cluster),
            (MSK_CLUSTER, self.replicator),
            (IAM_ROLE, self.replicator_role),
            (EKS_CLUSTER, self.eks_cluster),
            (IAM_ROLE, self.eks_cluster_role),
            (IAM_ROLE, self.node_role),
            (IAM_ROLE, self.replication_role),
        ]


@dataclass(frozen=True)
class TenantNames:
    role: str
    namespace: str
    service_account: str
    topic_prefix: str

    def rules(self) -> list[tuple[NameRule, str]]:
        return [(IAM_ROLE, self.role), (K8S_NAMESPACE, self.namespace)]


def cell_names(fleet: str, cell: str) -> CellNames:
    # Bucket names are global across all AWS accounts: fleet + cell make them ours.
    base = f"{fleet}-{cell}"
    return CellNames(
        checkpoint_bucket=f"{base}-checkpoints",
        replica_bucket=f"{base}-checkpoints-dr",
        kms_alias=f"alias/{fleet}/{cell}/checkpoints",
        replica_kms_alias=f"alias/{fleet}/{cell}/checkpoints-dr",
        msk_cluster=base,
        msk_configuration=f"{base}-durable",
        eks_cluster=base,
        eks_cluster_role=f"{base}-eks-cluster",
        node_role=f"{base}-eks-nodes",
        replication_role=f"{base}-s3-replication",
        standby_msk_cluster=f"{base}-standby",
        standby_msk_configuration=f"{base}-standby-durable",
        replicator=f"{base}-to-dr",
        replicator_role=f"{base}-msk-replicator",
    )


def tenant_names(fleet: str, cell: str, tenant: str) -> TenantNames:
    return TenantNames(
        role=f"{fleet}-{cell}-tenant-{tenant}",
        namespace=f"tenant-{tenant}",
        service_account="flink",
        topic_prefix=f"{tenant}.",
    )


TENANTS_PREFIX = "tenants/"


def checkpoint_prefix(tenant_id: str) -> str:
    """Where a tenant's checkpoints, savepoints and HA metadata live in a cell's bucket."""
    return f"{TENANTS_PREFIX}{tenant_id}/"
