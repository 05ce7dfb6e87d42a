"""Cells: stateful resources protected, nothing shared between cells, every resource tagged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, is_unknown, resource_rule, stack_rule
from policies.identity import S3_URI, Identities, arns_in, parse_arn, strings

STATEFUL = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:msk/cluster:Cluster",
        "aws:eks/cluster:Cluster",
        "aws:msk/topic:Topic",
    }
)
# The taggable AWS types a cell creates (each takes `tags`); tagging untaggable ones fails.
TAGGABLE = frozenset(
    {
        *(STATEFUL - {"aws:msk/topic:Topic"}),  # topics take no tags
        "aws:iam/role:Role",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    }
)
REQUIRED_TAGS = ("fleet", "region", "cell", "managed-by")


@resource_rule(
    "DUR-CELL-1",
    "stateful-resources-protected",
    "Buckets, KMS keys, MSK clusters and topics, and EKS clusters are protected from deletion "
    "and replacement; no bucket is force-destroyable.",
    "critical",
    "Create them with protect=True (flink-cells does unless the fleet is non-production) and "
    "buckets with forceDestroy false.",
    types=STATEFUL,
    config={"production": {"type": "boolean", "default": True}},
)
def protected(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if config["production"] and not resource.protect:
        report(
            f"{resource.name} holds state but is not protected: a preview could delete or "
            "replace it",
            resource,
        )
    if resource.props.get("forceDestroy") not in (None, False):
        report(f"{resource.name}: forceDestroy would delete every object with the bucket", resource)


@resource_rule(
    "SEC-CELL-1",
    "resources-tagged",
    "Every taggable resource carries the fleet, region, cell and managed-by tags.",
    "medium",
    "Pass the cell's tags to the resource.",
    types=TAGGABLE,
)
def tagged(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    missing = [tag for tag in REQUIRED_TAGS if not resource.tags.get(tag)]
    if missing:
        report(f"{resource.name} lacks tags: {', '.join(missing)}", resource)


# Properties that name another resource by its plain name, not by ARN.
NAME_REFERENCES: dict[str, dict[str, str]] = {
    **{
        f"aws:s3/{kind}": {"bucket": "bucket"}
        for kind in (
            "bucketVersioning:BucketVersioning",
            "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "bucketPublicAccessBlock:BucketPublicAccessBlock",
            "bucketPolicy:BucketPolicy",
            "bucketOwnershipControls:BucketOwnershipControls",
            "bucketReplicationConfig:BucketReplicationConfig",
        )
    },
    "aws:eks/nodeGroup:NodeGroup": {"clusterName": "eks"},
    "aws:iam/rolePolicy:RolePolicy": {"role": "role"},
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role": "role"},
}


def _foreign(ids: Identities, resource: Resource) -> str | None:
    """The first reference of a resource to something that is not this cell's."""
    for prop, kind in NAME_REFERENCES.get(resource.type, {}).items():
        value = resource.props.get(prop)
        if not isinstance(value, str) or is_unknown(value) or parse_arn(value):
            continue
        own = {"bucket": ids.buckets, "eks": ids.eks_clusters, "role": ids.roles}[kind]
        if value not in own:
            return value
    for text in strings(resource.props):
        for arn in arns_in(text):
            if not ids.owns(arn) or ("*" in arn.name and arn.service in ("s3", "kms", "kafka")):
                return arn.text
        for match in S3_URI.finditer(text):
            bucket = match["bucket"]
            if bucket not in ids.buckets | ids.artifact_buckets | ids.restore_buckets:
                return match.group(0)
    return None


@stack_rule(
    "SEC-CELL-2",
    "cell-isolation",
    "No resource of a cell references another cell's (or anyone else's) buckets, keys, "
    "clusters, roles or OIDC providers, by ARN, s3:// URI or name; only the fleet's shared "
    "artifact buckets, read-only.",
    "critical",
    "Use only this cell's resources (cells share nothing); declare shared jar buckets in "
    "fleet.artifact_buckets.",
)
def isolated(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for resource in stack.resources:
        if resource.type.startswith("pulumi:"):
            continue
        found = _foreign(ids, resource)
        if found:
            report(f"{resource.name} references {found}, which is not this cell's", resource)


DURABILITY = [protected]
SECURITY = [tagged, isolated]
