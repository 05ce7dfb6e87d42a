"""IAM: no wildcards where they grant data, and tenant roles confined to their own tenant."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, as_list, resource_rule, stack_rule, statements

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
DATA_ACTIONS = re.compile(
    r"^(s3:(\*|Get\*|Put\*|GetObject.*|PutObject.*|DeleteObject.*|Replicate.*)"
    r"|kafka-cluster:(\*|.*Data.*|.*Topic.*|.*TransactionalId.*|.*Group.*)"
    r"|kms:(\*|Decrypt|Encrypt|GenerateDataKey.*|ReEncrypt.*))$"
)


def _documents(resource: Resource) -> list[tuple[str, Any]]:
    if resource.type == ROLE_POLICY:
        return [("policy", resource.get("policy"))]
    if resource.type == ROLE:
        return [("assumeRolePolicy", resource.get("assumeRolePolicy"))]
    return []


@resource_rule(
    "SEC-IAM-1",
    "iam-no-wildcard-action",
    'No IAM statement allows every action ("*").',
    "critical",
    "List the actions the principal needs.",
    types={ROLE, ROLE_POLICY},
)
def no_wildcard_action(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    for prop, document in _documents(resource):
        for statement in statements(document):
            if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Action")):
                report(f"{resource.name}: {prop} allows every action", resource)


@resource_rule(
    "SEC-IAM-2",
    "iam-no-wildcard-resource-on-data",
    "Actions that read or write data (S3 objects, Kafka data, KMS crypto) name their resources.",
    "critical",
    "Scope the statement's Resource to the bucket prefix, topic, or key it needs.",
    types={ROLE_POLICY},
)
def no_wildcard_data(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    for statement in statements(resource.get("policy")):
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
            continue
        data = [a for a in as_list(statement.get("Action")) if DATA_ACTIONS.match(str(a))]
        if data:
            report(f"{resource.name}: {', '.join(data)} on every resource", resource)


def _tenant_roles(stack: Stack) -> list[tuple[str, Resource]]:
    return [(str(r.tags["tenant"]), r) for r in stack.of_type(ROLE) if r.tags.get("tenant")]


@stack_rule(
    "SEC-IAM-3",
    "tenant-role-trusts-only-its-service-account",
    "A tenant role is assumable only by its tenant's Kubernetes service account, through the "
    "cell's OIDC provider, for STS.",
    "critical",
    "Trust Federated <cell OIDC provider> with StringEquals on <issuer>:sub "
    "system:serviceaccount:tenant-<tenant>:flink and <issuer>:aud sts.amazonaws.com.",
)
def trusts_own_service_account(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for tenant, role in _tenant_roles(stack):
        subject = f"system:serviceaccount:tenant-{tenant}:flink"
        for statement in statements(role.get("assumeRolePolicy")):
            if statement.get("Effect") != "Allow":
                continue
            equals = (statement.get("Condition") or {}).get("StringEquals") or {}
            subs = [v for k, v in equals.items() if k.endswith(":sub")]
            auds = [v for k, v in equals.items() if k.endswith(":aud")]
            federated = (statement.get("Principal") or {}).get("Federated")
            if (
                set(statement.get("Principal") or {}) != {"Federated"}
                or not federated
                or subs != [subject]
                or auds != ["sts.amazonaws.com"]
            ):
                report(
                    f"role {role.name} of tenant {tenant} is assumable by more than {subject}", role
                )


@stack_rule(
    "SEC-IAM-4",
    "tenant-role-reaches-only-its-own-data",
    "A tenant role's S3 access stays under tenants/<tenant>/ and its Kafka access under "
    "<tenant>.* topics, groups and transactional ids.",
    "critical",
    "Scope the tenant policy's resources to its own prefix and names.",
)
def reaches_own_data(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    policies = {p.get("role"): p for p in stack.of_type(ROLE_POLICY)}
    for tenant, role in _tenant_roles(stack):
        policy = next(
            (p for p in stack.of_type(ROLE_POLICY) if role.urn in p.dependencies),
            policies.get(role.get("name")),
        )
        if policy is None:
            continue
        for statement in statements(policy.get("policy")):
            if statement.get("Effect") != "Allow":
                continue
            for arn in map(str, as_list(statement.get("Resource"))):
                kind = arn.split(":")[2] if arn.count(":") >= 5 else ""
                if kind == "s3" and "/" in arn and f"/tenants/{tenant}/" not in arn:
                    report(f"role {role.name} of tenant {tenant} reaches {arn}", role)
                if kind == "s3" and "/" not in arn:
                    prefixes = as_list(
                        (statement.get("Condition") or {}).get("StringLike", {}).get("s3:prefix")
                    )
                    if not prefixes or any(
                        not p.startswith(f"tenants/{tenant}/") for p in prefixes
                    ):
                        report(f"role {role.name} of tenant {tenant} lists beyond its prefix", role)
                named = re.search(r":(topic|group|transactional-id)/", arn)
                if kind == "kafka" and named and f"/{tenant}." not in arn:
                    report(f"role {role.name} of tenant {tenant} reaches {arn}", role)


SECURITY = [no_wildcard_action, no_wildcard_data, trusts_own_service_account, reaches_own_data]
