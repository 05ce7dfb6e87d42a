"""EKS: a private endpoint, encrypted secrets, nodes in every AZ, IMDSv2 only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, as_list, resource_rule

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


@resource_rule(
    "SEC-EKS-1",
    "eks-private-endpoint",
    "The EKS API endpoint is private (public access off).",
    "high",
    "Set vpcConfig.endpointPublicAccess false and endpointPrivateAccess true, or waive with a "
    "reason and publicAccessCidrs restricted.",
    types={CLUSTER},
)
def private_endpoint(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if resource.get("vpcConfig.endpointPublicAccess") is not False:
        cidrs = as_list(resource.get("vpcConfig.publicAccessCidrs"))
        open_to = "the internet" if not cidrs or "0.0.0.0/0" in cidrs else ", ".join(cidrs)
        report(f"{resource.name}: the API endpoint is public ({open_to})", resource)
    if resource.get("vpcConfig.endpointPrivateAccess") is not True:
        report(f"{resource.name}: private endpoint access is off", resource)


@resource_rule(
    "SEC-EKS-2",
    "eks-secrets-encrypted",
    "Kubernetes secrets are envelope-encrypted with a customer KMS key.",
    "high",
    "Set encryptionConfig {resources: [secrets], provider: {keyArn}}.",
    types={CLUSTER},
)
def secrets_encrypted(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    encryption = resource.props.get("encryptionConfig") or {}
    configs = encryption if isinstance(encryption, list) else [encryption]
    if not any(
        "secrets" in as_list(c.get("resources")) and (c.get("provider") or {}).get("keyArn")
        for c in configs
    ):
        report(f"{resource.name}: secrets are not encrypted with a customer key", resource)


@resource_rule(
    "SEC-EKS-3",
    "eks-nodes-span-azs",
    "Node groups span at least the configured number of AZ subnets.",
    "high",
    "List one private subnet per AZ (at least three) in subnetIds.",
    types={NODE_GROUP},
    config={"minAzs": {"type": "integer", "default": 3, "minimum": 2}},
)
def nodes_span_azs(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    subnets = set(as_list(resource.get("subnetIds")))
    if len(subnets) < config["minAzs"]:
        report(
            f"{resource.name}: nodes span {len(subnets)} subnets; at least {config['minAzs']} "
            "AZs are needed",
            resource,
        )


@resource_rule(
    "SEC-EKS-4",
    "launch-template-imdsv2",
    "Launch templates require IMDSv2 tokens.",
    "high",
    "Set metadataOptions.httpTokens to required.",
    types={LAUNCH_TEMPLATE},
)
def imdsv2(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if resource.get("metadataOptions.httpTokens") != "required":
        report(f"{resource.name}: IMDSv1 is allowed", resource)


SECURITY = [private_endpoint, secrets_encrypted, nodes_span_azs, imdsv2]
