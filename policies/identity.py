"""Who is who in a stack: ARNs parsed, this cell's own resources by identity, tenant roles by
what they are (the role a tenant's service account uses), shared artifact buckets as the graph
declares them. Names and tags are never evidence: a prefix or a tag can be copied.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from policies.core import Resource, Stack, as_list, is_unknown
from policies.iam_model import Statement, read

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
MSK = "aws:msk/cluster:Cluster"
EKS = "aws:eks/cluster:Cluster"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
# The tenant policy's statement for the fleet's shared artifact buckets (read-only).
ARTIFACTS_SID = "ReadSharedArtifacts"
TENANT_NAMESPACE = re.compile(r"tenant-(?P<tenant>[a-z][a-z0-9-]*[a-z0-9])")
SERVICE_ACCOUNT_SUBJECT = re.compile(r"system:serviceaccount:(?P<namespace>[^:]+):(?P<name>.+)")

ARN = re.compile(
    r"arn:(?P<partition>aws[\w-]*):(?P<service>[\w-]+):(?P<region>[\w-]*):(?P<account>\d{12}|aws|\*|)"
    r":(?P<resource>[^\s\"',]+)"
)
S3_URI = re.compile(r"s3a?://(?P<bucket>[a-z0-9][a-z0-9.-]+[a-z0-9])(?:/|$)")


@dataclass(frozen=True)
class Arn:
    text: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def kind(self) -> str:
        """`key`, `alias`, `role`, `oidc-provider`, `cluster`, `topic`, `bucket`, `object`..."""
        if self.service == "s3":
            return "object" if "/" in self.resource else "bucket"
        return re.split(r"[/:]", self.resource, maxsplit=1)[0]

    @property
    def name(self) -> str:
        """The resource's own name: bucket, key id, role name, cluster name, issuer…"""
        if self.service == "s3":
            return self.resource.split("/", 1)[0]
        parts = re.split(r"[/:]", self.resource, maxsplit=1)
        rest = parts[1] if len(parts) > 1 else ""
        if self.service == "kafka":
            return rest.split("/", 1)[0]
        return rest

    @property
    def is_aws_managed(self) -> bool:
        return self.account == "aws" or (self.kind == "alias" and self.name.startswith("aws/"))


def parse_arn(text: Any) -> Arn | None:
    if not isinstance(text, str) or is_unknown(text):
        return None
    match = ARN.fullmatch(text.strip())
    if not match:
        return None
    return Arn(text, match["service"], match["region"], match["account"], match["resource"])


def arns_in(text: str) -> Iterator[Arn]:
    for match in ARN.finditer(text):
        arn = parse_arn(match.group(0))
        if arn:
            yield arn


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def tenant_of_namespace(namespace: Any) -> str | None:
    match = TENANT_NAMESPACE.fullmatch(str(namespace or ""))
    return match["tenant"] if match else None


def labels(resource: Resource) -> Mapping[str, Any]:
    found = (resource.props.get("metadata") or {}) if isinstance(resource.props, Mapping) else {}
    value = found.get("labels") if isinstance(found, Mapping) else None
    return value if isinstance(value, Mapping) else {}


@dataclass
class Identities:
    """This stack's own resources by identity, and the relations rules need."""

    stack: Stack

    @classmethod
    def of(cls, stack: Stack) -> Identities:
        """The stack's one instance: what it derives reads every resource of the stack."""
        found = stack.derived.get(cls.__name__)
        if found is None:
            found = stack.derived[cls.__name__] = cls(stack)
        return found

    @cached_property
    def buckets(self) -> set[str]:
        return {
            str(b.props.get("bucket")) for b in self.stack.of_type(BUCKET) if b.props.get("bucket")
        }

    @cached_property
    def replica_buckets(self) -> set[str]:
        """Buckets this stack replicates into (joined through the replication rules)."""
        return {
            str(bucket.props.get("bucket"))
            for config in self.stack.of_type(REPLICATION)
            for bucket in self.stack.dependencies(config, BUCKET, prop="rules")
        }

    @cached_property
    def key_ids(self) -> set[str]:
        """Key ids of this stack's keys, read from the aliases that point at them."""
        own = {k.urn for k in self.stack.of_type(KEY)}
        return {
            str(alias.props.get("targetKeyId"))
            for alias in self.stack.of_type(ALIAS)
            if set(alias.property_dependencies.get("targetKeyId", ())) & own
        }

    @cached_property
    def key_regions(self) -> dict[str, str | None]:
        own = {k.urn: k for k in self.stack.of_type(KEY)}
        found: dict[str, str | None] = {}
        for alias in self.stack.of_type(ALIAS):
            for urn in alias.property_dependencies.get("targetKeyId", ()):
                if urn in own:
                    found[str(alias.props.get("targetKeyId"))] = own[urn].region
        return found

    @cached_property
    def aliases(self) -> set[str]:
        return {str(a.props.get("name")) for a in self.stack.of_type(ALIAS)}

    @cached_property
    def roles(self) -> set[str]:
        return {str(r.props.get("name")) for r in self.stack.of_type(ROLE) if r.props.get("name")}

    @cached_property
    def issuers(self) -> set[str]:
        return {
            str(p.props.get("url", "")).removeprefix("https://")
            for p in self.stack.of_type(OIDC)
            if p.props.get("url") and not is_unknown(p.props.get("url"))
        }

    @cached_property
    def msk_clusters(self) -> set[str]:
        return {str(c.props.get("clusterName")) for c in self.stack.of_type(MSK)}

    @cached_property
    def eks_clusters(self) -> set[str]:
        return {str(c.props.get("name")) for c in self.stack.of_type(EKS)}

    @cached_property
    def account(self) -> str | None:
        """The account the stack's own ARNs name most often (the caller's, in every stack)."""
        counts = Counter(
            arn.account
            for resource in self.stack.resources
            for text in strings(resource.props)
            for arn in arns_in(text)
            if arn.account.isdigit()
        )
        return counts.most_common(1)[0][0] if counts else None

    @cached_property
    def artifact_buckets(self) -> set[str]:
        """Buckets the tenant policies declare as shared artifacts, in read-only statements."""
        found: set[str] = set()
        for _, statement in self.identity_statements():
            if statement.sid != ARTIFACTS_SID or not statement.allows:
                continue
            for resource in statement.resources:
                arn = parse_arn(resource)
                if arn and arn.service == "s3" and "*" not in arn.name:
                    found.add(arn.name)
        return found - self.buckets

    @cached_property
    def recovers(self) -> tuple[str, str] | None:
        """(fleet, lost cell) of a recovery stack: it adopts that cell's replica and standby."""
        for resource in self.stack.resources:
            if resource.tags.get("recovers") and resource.tags.get("fleet"):
                return str(resource.tags["fleet"]), str(resource.tags["recovers"])
        return None

    @cached_property
    def adopted_clusters(self) -> set[str]:
        """A recovery's adopted standby MSK cluster, when the stack has no cluster of its own."""
        if self.recovers is None or self.msk_clusters:
            return set()
        fleet, cell = self.recovers
        return {f"{fleet}-{cell}-standby"}

    @cached_property
    def restore_buckets(self) -> set[str]:
        """Buckets a deployment of this stack starts from (`initialSavepointPath`: a job moved
        in from another cell, or a DR recovery): read once, never owned."""
        found = set()
        for deployment in self.stack.of_type(DEPLOYMENT):
            path = ((deployment.props.get("spec") or {}).get("job") or {}).get(
                "initialSavepointPath"
            )
            match = S3_URI.match(str(path or ""))
            if match:
                found.add(match["bucket"])
        return found - self.buckets

    @cached_property
    def decrypt_only_keys(self) -> set[str]:
        """Keys the identity policies use only to decrypt through S3: a restore source's key,
        which reads nothing the role could not already read from S3."""
        used: dict[str, bool] = {}
        for _, statement in self.identity_statements():
            if not statement.allows:
                continue
            decrypt_only = statement.actions == ("kms:decrypt",) and any(
                v.startswith("s3.")
                for v in statement.condition("StringEquals", "kms:ViaService") or ()
            )
            for resource in statement.resources:
                arn = parse_arn(resource)
                if arn and arn.service == "kms" and arn.kind == "key":
                    used[arn.name] = used.get(arn.name, True) and decrypt_only
        return {key for key, only in used.items() if only} - self.key_ids

    def owns(self, arn: Arn) -> bool:
        """Whether an ARN names one of this stack's resources (or is AWS's own)."""
        if arn.is_aws_managed:
            return True
        if self.account and arn.account.isdigit() and arn.account != self.account:
            return False
        name, kind = arn.name, arn.kind
        match arn.service:
            case "s3":
                return name in self.buckets | self.artifact_buckets | self.restore_buckets
            case "kms":
                return (kind == "key" and name in self.key_ids | self.decrypt_only_keys) or (
                    kind == "alias" and f"alias/{name}" in self.aliases
                )
            case "iam":
                if kind == "role":
                    return name.rsplit("/", 1)[-1] in self.roles
                if kind == "oidc-provider":
                    return name in self.issuers
                return True
            case "kafka":
                return (
                    name in self.msk_clusters
                    or name in self.adopted_clusters
                    or kind == "configuration"
                )
            case "eks":
                return name.split("/", 1)[0] in self.eks_clusters
        return True

    def identity_statements(self) -> Iterator[tuple[Resource, Statement]]:
        """Every statement of every identity policy: inline, role-embedded and managed."""
        for resource in self.stack.resources:
            for document in identity_documents(resource):
                for statement in read(document):
                    yield resource, statement

    # --- roles -------------------------------------------------------------------------------

    def role_of(self, resource: Resource) -> Resource | None:
        """The role a policy or attachment belongs to: by dependency, else by name."""
        for dependency in self.stack.dependencies(resource, ROLE, prop="role"):
            return dependency
        name = resource.props.get("role")
        return next((r for r in self.stack.of_type(ROLE) if r.props.get("name") == name), None)

    def documents_of(self, role: Resource) -> Iterator[tuple[Resource, Any]]:
        """Every permission document a role holds: inline, embedded, customer-managed."""
        for inline in role.props.get("inlinePolicies") or []:
            if isinstance(inline, Mapping):
                yield role, inline.get("policy")
        for policy in self.stack.of_type(ROLE_POLICY):
            if self.role_of(policy) is role:
                yield policy, policy.props.get("policy")
        for policy in self.managed_policies_of(role):
            yield policy, policy.props.get("policy")

    def attached_arns(self, role: Resource) -> list[tuple[Resource, str]]:
        """Managed policy ARNs attached to a role, with the resource that attaches them."""
        found = [(role, str(a)) for a in as_list(role.props.get("managedPolicyArns"))]
        for attachment in self.stack.of_type(ATTACHMENT):
            if self.role_of(attachment) is role:
                found.append((attachment, str(attachment.props.get("policyArn"))))
        for attachment in self.stack.of_type(POLICY_ATTACHMENT):
            if role.props.get("name") in as_list(attachment.props.get("roles")):
                found.append((attachment, str(attachment.props.get("policyArn"))))
        return found

    def managed_policies_of(self, role: Resource) -> list[Resource]:
        attached = {arn for _, arn in self.attached_arns(role)}
        found = []
        for attacher, _ in self.attached_arns(role):
            found += self.stack.dependencies(attacher, MANAGED_POLICY)
        for policy in self.stack.of_type(MANAGED_POLICY):
            name = str(policy.props.get("name", ""))
            if name and any(a.endswith(f":policy/{name}") for a in attached):
                found.append(policy)
        return list({p.urn: p for p in found}.values())

    @cached_property
    def tenant_roles(self) -> dict[str, tuple[str, Resource]]:
        """Roles used by a tenant's workloads, by URN: (tenant, role). A role is a tenant's when
        a service account of the tenant's namespace names it, or when its trust policy lets a
        service account of that namespace assume it."""
        found: dict[str, tuple[str, Resource]] = {}
        roles = self.stack.of_type(ROLE)
        for account in self.stack.of_type(SERVICE_ACCOUNT):
            metadata = account.props.get("metadata") or {}
            tenant = tenant_of_namespace(metadata.get("namespace"))
            annotated = (metadata.get("annotations") or {}).get(ROLE_ANNOTATION)
            if tenant is None or annotated is None:
                continue
            named = parse_arn(annotated)
            for role in self.stack.dependencies(account, ROLE, prop="metadata") or [
                r for r in roles if named and r.props.get("name") == named.name.rsplit("/", 1)[-1]
            ]:
                found[role.urn] = (tenant, role)
        for role in roles:
            try:
                trust = list(read(role.props.get("assumeRolePolicy")))
            except Exception:
                continue
            for statement in trust:
                for values in statement.conditions_ending("StringEquals", ":sub") + (
                    statement.conditions_ending("StringLike", ":sub")
                ):
                    for value in values:
                        subject = SERVICE_ACCOUNT_SUBJECT.fullmatch(value)
                        tenant = tenant_of_namespace(subject["namespace"]) if subject else None
                        if tenant and role.urn not in found:
                            found[role.urn] = (tenant, role)
        for role in roles:
            tag = role.tags.get("tenant")
            if tag and role.urn not in found:
                found[role.urn] = (str(tag), role)
        return found


def identity_documents(resource: Resource) -> list[Any]:
    """The identity-policy documents a resource carries (not trust or resource policies)."""
    if resource.type in (ROLE_POLICY, MANAGED_POLICY):
        return [resource.get("policy")]
    if resource.type == ROLE:
        return [
            p.get("policy")
            for p in resource.props.get("inlinePolicies") or []
            if isinstance(p, Mapping)
        ]
    return []
