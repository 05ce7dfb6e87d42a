"""Realistic outputs for the resources and invokes a cell uses, derived from their inputs."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

# Offline plans run as this account; real plans use the caller's own.
PLAN_ACCOUNT_ID = "111122223333"

State = dict[str, Any]


def _digest(*parts: str, size: int = 8) -> str:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=size).hexdigest()


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(_digest(*parts, size=16)))


class CellMocks(Mocks):
    """Outputs are pure functions of type, name and inputs, so plans are byte-identical."""

    def __init__(self, default_region: str, provider_regions: dict[str, str]) -> None:
        self._default_region = default_region
        self._provider_regions = provider_regions

    def region_of(self, provider_ref: str | None, inputs: dict[str, Any]) -> str:
        if inputs.get("region"):
            return str(inputs["region"])
        # A provider reference is "<provider URN>::<provider id>".
        urn = (provider_ref or "").rsplit("::", 1)[0]
        return self._provider_regions.get(urn, self._default_region)

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": PLAN_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{PLAN_ACCOUNT_ID}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
                "id": PLAN_ACCOUNT_ID,
            }
        # Lookups of what a recovery stack adopts: answered as the existing resources would be.
        lookup = _LOOKUPS.get(args.token)
        if lookup is None:
            return {}
        return lookup(dict(args.args), self.region_of(args.provider, dict(args.args)))

    def new_resource(self, args: MockResourceArgs) -> tuple[str, State]:
        region = self.region_of(args.provider, args.inputs)
        builder = _OUTPUTS.get(args.typ)
        extra = builder(args.name, args.inputs, region) if builder else {}
        resource_id = extra.pop("id", None) or f"{args.name}-{_digest(args.typ, args.name)}"
        return resource_id, {**args.inputs, **extra}


def _bucket(name: str, inputs: State, region: str) -> State:
    bucket = inputs.get("bucket") or f"{name}-{_digest(name)}"
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        "region": region,
    }


def _kms_key(name: str, inputs: State, region: str) -> State:
    key_id = _uuid("kms", region, name)
    return {
        "id": key_id,
        "keyId": key_id,
        "arn": f"arn:aws:kms:{region}:{PLAN_ACCOUNT_ID}:key/{key_id}",
    }


def _iam_role(name: str, inputs: State, region: str) -> State:
    role = inputs.get("name") or f"{name}-{_digest(name)}"
    return {
        "id": role,
        "name": role,
        "arn": f"arn:aws:iam::{PLAN_ACCOUNT_ID}:role/{role}",
        "uniqueId": f"AROA{_digest(role).upper()}",
    }


def _msk_cluster(name: str, inputs: State, region: str) -> State:
    cluster = inputs.get("clusterName", name)
    arn = f"arn:aws:kafka:{region}:{PLAN_ACCOUNT_ID}:cluster/{cluster}/{_uuid(region, cluster)}-3"
    brokers = ",".join(
        f"b-{i}.{cluster}.{_digest(cluster)[:6]}.c3.kafka.{region}.amazonaws.com:9098"
        for i in range(1, int(inputs.get("numberOfBrokerNodes", 3)) + 1)
    )
    return {"id": arn, "arn": arn, "bootstrapBrokersSaslIam": brokers}


def _msk_configuration(name: str, inputs: State, region: str) -> State:
    configuration = inputs.get("name", name)
    arn = (
        f"arn:aws:kafka:{region}:{PLAN_ACCOUNT_ID}:configuration/{configuration}/"
        f"{_uuid(region, configuration)}-1"
    )
    return {"id": arn, "arn": arn, "latestRevision": 1}


def _eks_cluster(name: str, inputs: State, region: str) -> State:
    cluster = inputs.get("name", name)
    oidc_id = _digest(region, cluster, size=16).upper()
    return {
        "id": cluster,
        "name": cluster,
        "arn": f"arn:aws:eks:{region}:{PLAN_ACCOUNT_ID}:cluster/{cluster}",
        "endpoint": f"https://{oidc_id}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": "LS0tLS1CRUdJTi1PRkZMSU5FLVBMQU4tLS0tLQ=="},
        "identities": [
            {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"}]}
        ],
        "vpcConfig": {
            **inputs.get("vpcConfig", {}),
            "clusterSecurityGroupId": f"sg-{_digest(cluster, 'cluster-sg')[:17]}",
            "vpcId": "vpc-offline",
        },
    }


def _oidc_provider(name: str, inputs: State, region: str) -> State:
    url = str(inputs.get("url", "")).removeprefix("https://")
    arn = f"arn:aws:iam::{PLAN_ACCOUNT_ID}:oidc-provider/{url}"
    return {"id": arn, "arn": arn}


def _security_group(name: str, inputs: State, region: str) -> State:
    group = f"sg-{_digest(region, name)[:17]}"
    return {"id": group, "arn": f"arn:aws:ec2:{region}:{PLAN_ACCOUNT_ID}:security-group/{group}"}


def _launch_template(name: str, inputs: State, region: str) -> State:
    return {"id": f"lt-{_digest(region, name)[:17]}", "latestVersion": 1}


def _log_group(name: str, inputs: State, region: str) -> State:
    group = inputs.get("name", name)
    return {"id": group, "arn": f"arn:aws:logs:{region}:{PLAN_ACCOUNT_ID}:log-group:{group}"}


def _arn_named(service: str, kind: str) -> Callable[[str, State, str], State]:
    def build(name: str, inputs: State, region: str) -> State:
        named = inputs.get("name", name)
        return {"arn": f"arn:aws:{service}:{region}:{PLAN_ACCOUNT_ID}:{kind}/{named}"}

    return build


def _replicator(name: str, inputs: State, region: str) -> State:
    replicator = inputs.get("replicatorName", name)
    arn = f"arn:aws:kafka:{region}:{PLAN_ACCOUNT_ID}:replicator/{replicator}/{_uuid(region, name)}"
    return {"id": arn, "arn": arn}


def _get_bucket(args: State, region: str) -> State:
    bucket = str(args.get("bucket", ""))
    return {**_bucket(bucket, {"bucket": bucket}, region), "id": bucket}


def _get_key(args: State, region: str) -> State:
    alias = str(args.get("keyId", ""))
    key_id = _uuid("kms", region, alias)
    return {
        "id": key_id,
        "keyId": key_id,
        "arn": f"arn:aws:kms:{region}:{PLAN_ACCOUNT_ID}:key/{key_id}",
        "enabled": True,
        "keyManager": "CUSTOMER",
    }


def _get_msk_cluster(args: State, region: str) -> State:
    cluster = str(args.get("clusterName", ""))
    found = _msk_cluster(cluster, {"clusterName": cluster}, region)
    return {**found, "clusterName": cluster, "id": found["arn"]}


_LOOKUPS: dict[str, Callable[[State, str], State]] = {
    "aws:s3/getBucket:getBucket": _get_bucket,
    "aws:kms/getKey:getKey": _get_key,
    "aws:msk/getCluster:getCluster": _get_msk_cluster,
}

_OUTPUTS: dict[str, Callable[[str, State, str], State]] = {
    "aws:msk/replicator:Replicator": _replicator,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _arn_named("kms", "alias"),
    "aws:iam/role:Role": _iam_role,
    "aws:msk/cluster:Cluster": _msk_cluster,
    "aws:msk/configuration:Configuration": _msk_configuration,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _arn_named("eks", "nodegroup"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
}
