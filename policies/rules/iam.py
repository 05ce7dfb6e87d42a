"""IAM: no wildcards that grant data, trust only where it belongs, tenant roles confined to their
tenant. Every document a role holds is read (inline, embedded, customer-managed, AWS-managed by
name), through `iam_model`, so no spelling of an action or resource hides a grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, stack_rule
from policies.iam_model import Statement, principals, read
from policies.identity import (
    ARTIFACTS_SID,
    KEY,
    ROLE,
    Identities,
    parse_arn,
)

BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
# Concrete actions that read, write or destroy data, or hand out power: what a wildcard must not
# reach. A statement grants one when any of its patterns (any case, `*`, `?`) matches it.
DATA_ACTIONS = (
    *(f"s3:{a}" for a in (
        "GetObject", "GetObjectVersion", "PutObject", "DeleteObject", "DeleteObjectVersion",
        "ReplicateObject", "RestoreObject", "PutBucketPolicy", "DeleteBucket",
        "PutLifecycleConfiguration", "PutBucketVersioning", "PutReplicationConfiguration",
    )),
    *(f"kafka-cluster:{a}" for a in (
        "ReadData", "WriteData", "WriteDataIdempotently", "AlterCluster", "AlterTopic",
        "CreateTopic", "DeleteTopic", "AlterGroup", "DeleteGroup", "AlterTransactionalId",
    )),
    *(f"kms:{a}" for a in (
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom", "ReEncryptTo", "ScheduleKeyDeletion", "PutKeyPolicy", "CreateGrant",
        "DisableKey",
    )),
    *(f"iam:{a}" for a in ("PassRole", "CreateRole", "AttachRolePolicy", "PutRolePolicy")),
    "sts:AssumeRole",
)  # fmt: skip
S3_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket")
S3_WRITE = (
    "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl",
    "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutLifecycleConfiguration", "s3:RestoreObject",
)  # fmt: skip
KAFKA_CLUSTER_ACTIONS = frozenset(
    {
        "kafka-cluster:connect",
        "kafka-cluster:describecluster",
        "kafka-cluster:writedataidempotently",
    }
)
KAFKA_ALL = (
    "kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster",
    "kafka-cluster:WriteDataIdempotently", "kafka-cluster:DescribeClusterDynamicConfiguration",
    "kafka-cluster:AlterClusterDynamicConfiguration", "kafka-cluster:CreateTopic",
    "kafka-cluster:ReadData", "kafka-cluster:WriteData", "kafka-cluster:DeleteTopic",
    "kafka-cluster:AlterGroup", "kafka-cluster:DescribeTopic",
)  # fmt: skip
KMS_USE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom")
DEFAULT_MANAGED = [
    "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
]


def _identity_statements(ids: Identities) -> list[tuple[Resource, Statement]]:
    return [(r, s) for r, s in ids.identity_statements() if s.allows]


@stack_rule(
    "SEC-IAM-1",
    "iam-no-wildcard-action",
    'No IAM policy allows every action ("*", NotAction) or attaches an AWS managed policy '
    "beyond the ones EKS requires.",
    "critical",
    "List the actions the principal needs; attach no other AWS managed policy.",
    config={
        "allowedManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_MANAGED,
        }
    },
)
def no_wildcard_action(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for resource, statement in _identity_statements(ids):
        if statement.every_action:
            spelled = "NotAction" if statement.not_actions is not None else '"*"'
            report(f"{resource.name}: a statement allows every action ({spelled})", resource)
    allowed = set(config["allowedManagedPolicies"])
    for role in stack.of_type(ROLE):
        for attacher, arn in ids.attached_arns(role):
            parsed = parse_arn(arn)
            if parsed and parsed.account == "aws" and arn not in allowed:
                report(f"role {role.name} has the AWS managed policy {arn}", attacher)


@stack_rule(
    "SEC-IAM-2",
    "iam-no-wildcard-resource-on-data",
    "Actions that read or write data (S3 objects, Kafka data, KMS crypto) or hand out power name "
    "their resources.",
    "critical",
    "Scope the statement's Resource to the bucket prefix, topic, or key it needs (no NotResource).",
)
def no_wildcard_data(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for resource, statement in _identity_statements(Identities.of(stack)):
        if statement.any_resource:
            data = statement.granted(DATA_ACTIONS)
            if data:
                report(f"{resource.name}: {', '.join(data[:4])} on every resource", resource)


def _single(values: tuple[str, ...] | None) -> str | None:
    return values[0] if values and len(set(values)) == 1 else None


@stack_rule(
    "SEC-IAM-3",
    "role-trust-is-narrow",
    "A tenant role is assumable only by its tenant's service account through the cell's OIDC "
    "provider; every other role only by the AWS services it serves.",
    "critical",
    "Trust Federated <cell OIDC provider> with StringEquals on <issuer>:sub "
    "system:serviceaccount:tenant-<tenant>:flink and <issuer>:aud sts.amazonaws.com; other roles "
    "trust a Service principal only.",
)
def trust_is_narrow(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    tenants = ids.tenant_roles
    for role in stack.of_type(ROLE):
        tenant = tenants.get(role.urn, (None, role))[0]
        for statement in read(role.get("assumeRolePolicy")):
            if not statement.allows:
                continue
            problem = (
                _tenant_trust_problem(ids, statement, tenant)
                if tenant
                else _service_trust_problem(statement)
            )
            if problem:
                whose = f"of tenant {tenant} " if tenant else ""
                report(f"role {role.name} {whose}{problem}", role)


def _tenant_trust_problem(ids: Identities, statement: Statement, tenant: str) -> str | None:
    subject = f"system:serviceaccount:tenant-{tenant}:flink"
    federated = principals(statement, "Federated")
    if statement.principal == "*" or set(statement.principal or {}) != {"Federated"}:
        return "trusts principals other than the cell's OIDC provider"
    if len(federated) != 1 or not (arn := parse_arn(federated[0])) or not ids.owns(arn):
        return f"trusts an OIDC provider that is not this cell's ({', '.join(federated)})"
    if statement.actions != ("sts:assumerolewithwebidentity",) or statement.not_actions:
        return "may be assumed by other means than web identity"
    subs = statement.conditions_ending("StringEquals", ":sub")
    auds = statement.conditions_ending("StringEquals", ":aud")
    loose = statement.conditions_ending("StringLike", ":sub")
    if loose or len(subs) != 1 or _single(subs[0]) != subject:
        return f"is assumable by more than {subject}"
    if len(auds) != 1 or _single(auds[0]) != "sts.amazonaws.com":
        return "does not pin the token audience to sts.amazonaws.com"
    return None


def _service_trust_problem(statement: Statement) -> str | None:
    if statement.principal == "*" or set(statement.principal or {}) != {"Service"}:
        return "is assumable by principals other than AWS services"
    if any("*" in s for s in principals(statement, "Service")):
        return "trusts a wildcard service principal"
    if statement.not_actions is not None or any(
        a not in ("sts:assumerole", "sts:tagsession") for a in statement.actions
    ):
        return "grants more than sts:AssumeRole to its service"
    return None


@stack_rule(
    "SEC-IAM-4",
    "tenant-role-reaches-only-its-own-data",
    "A tenant role (the one its service account uses, tagged or not) reaches only its own prefix "
    "of this cell's bucket, this cell's key through S3, its own <tenant>.* Kafka names on this "
    "cell's cluster, and the shared artifact buckets read-only; no AWS managed policies.",
    "critical",
    "Scope every statement of the tenant's policies to its own prefix and names.",
)
def reaches_own_data(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for tenant, role in ids.tenant_roles.values():
        readable = {
            str(p.props.get("name")) for p in ids.managed_policies_of(role) if p.props.get("name")
        }
        for _, arn in ids.attached_arns(role):
            parsed = parse_arn(arn)
            if parsed is None or parsed.account == "aws" or parsed.name not in readable:
                report(f"role {role.name} of tenant {tenant} has the managed policy {arn}", role)
        for _, document in ids.documents_of(role):
            for statement in read(document):
                if statement.allows:
                    for problem in _reach_problems(ids, statement, tenant):
                        report(f"role {role.name} of tenant {tenant} {problem}", role)
                        break


def _reach_problems(ids: Identities, statement: Statement, tenant: str) -> list[str]:
    if statement.every_action:
        return ["is allowed every action"]
    if statement.any_resource:
        granted = statement.granted(DATA_ACTIONS)
        return [f"is granted {', '.join(granted[:3])} on every resource"] if granted else []
    problems: list[str] = []
    for resource in statement.resources:
        arn = parse_arn(resource)
        if arn is None:
            problems.append(f"reaches {resource}")
        elif arn.service == "s3":
            problems += _s3_problems(ids, statement, tenant, arn)
        elif arn.service == "kms":
            if arn.kind == "key" and arn.name in ids.decrypt_only_keys:
                continue  # decrypts only what the role may read from S3 (a restore source)
            if not (arn.kind == "key" and arn.name in ids.key_ids):
                problems.append(f"uses a key that is not this cell's ({resource})")
            else:
                region = ids.key_regions.get(arn.name)
                via = statement.condition("StringEquals", "kms:ViaService")
                if region and via != (f"s3.{region}.amazonaws.com",):
                    problems.append(f"uses {resource} other than through S3 in {region}")
        elif arn.service == "kafka":
            problems += _kafka_problems(ids, statement, tenant, arn)
        else:
            problems.append(f"reaches {resource} outside its data")
    return problems


def _s3_problems(ids: Identities, statement: Statement, tenant: str, arn: Any) -> list[str]:
    own_prefix = f"tenants/{tenant}/"
    if arn.name in ids.artifact_buckets and statement.sid == ARTIFACTS_SID:
        written = statement.granted(S3_WRITE)
        return (
            [f"may write the shared artifact bucket {arn.name} ({written[0]})"] if written else []
        )
    restoring = arn.name in ids.restore_buckets
    if not restoring and (arn.name not in ids.buckets or arn.name in ids.replica_buckets):
        return [f"reaches {arn.text}, which is not this cell's checkpoint bucket"]
    if restoring and statement.granted(S3_WRITE):
        return [f"may write {arn.name}, the bucket it restores from"]
    if arn.kind == "object":
        key = arn.resource.split("/", 1)[1]
        return (
            []
            if key.startswith(own_prefix) and "*" not in key[: len(own_prefix)]
            else [f"reaches {arn.text}, beyond {own_prefix}"]
        )
    listed = [
        value
        for operator in ("StringLike", "StringEquals")
        for value in statement.condition(operator, "s3:prefix") or ()
    ]
    if not listed or any(not p.startswith(own_prefix) for p in listed):
        return [f"lists {arn.name} beyond {own_prefix}"]
    if statement.granted(S3_WRITE):
        return [f"writes {arn.name} itself, not only objects under {own_prefix}"]
    return []


def _kafka_problems(ids: Identities, statement: Statement, tenant: str, arn: Any) -> list[str]:
    if arn.name not in ids.msk_clusters | ids.adopted_clusters:
        return [f"reaches {arn.text}, which is not this cell's cluster"]
    if arn.kind == "cluster":
        extra = [a for a in statement.granted(KAFKA_ALL) if a.lower() not in KAFKA_CLUSTER_ACTIONS]
        return [f"is granted {', '.join(extra)} on the whole cluster"] if extra else []
    if arn.kind in ("topic", "group", "transactional-id"):
        parts = arn.resource.split("/", 3)
        name = parts[3] if len(parts) == 4 else ""
        if not name.startswith(f"{tenant}.") or "*" in name[: len(tenant) + 1]:
            return [f"reaches {arn.text}, beyond {tenant}.*"]
        return []
    return [f"reaches {arn.text}"]


@stack_rule(
    "SEC-IAM-5",
    "resource-policies-stay-in-the-account",
    "Key and bucket policies allow only this account and AWS services (never anyone, never "
    "another account), and every key's policy is read.",
    "critical",
    "Name this account's root or roles, or an AWS service principal with a condition.",
)
def resource_policies(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for resource in [*stack.of_type(KEY), *stack.of_type(BUCKET_POLICY)]:
        for statement in read(resource.get("policy")):
            if not statement.allows:
                continue
            if statement.principal == "*" or statement.not_principal is not None:
                report(f"{resource.name}: a statement allows anyone", resource)
                continue
            for principal in principals(statement, "AWS"):
                arn = parse_arn(principal)
                account = arn.account if arn else principal
                if principal == "*" or account != ids.account:
                    report(f"{resource.name}: a statement allows {principal}", resource)
            if principals(statement, "Federated"):
                report(f"{resource.name}: a statement allows federated users", resource)


SECURITY = [
    no_wildcard_action,
    no_wildcard_data,
    trust_is_narrow,
    reaches_own_data,
    resource_policies,
]
