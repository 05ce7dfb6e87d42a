"""EKS: a private endpoint, encrypted secrets, nodes in every AZ, IMDSv2 only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, as_list, resource_rule, stack_rule
from policies.identity import Identities
from policies.rules.checkpoint_store import customer_key_problem

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


@stack_rule(
    "SEC-EKS-2",
    "eks-secrets-encrypted",
    "Kubernetes secrets are envelope-encrypted with this cell's customer KMS key, in the "
    "cluster's region.",
    "high",
    "Set encryptionConfig {resources: [secrets], provider: {keyArn: <the cell key>}}.",
)
def secrets_encrypted(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for cluster in stack.of_type(CLUSTER):
        encryption = cluster.props.get("encryptionConfig") or {}
        configs = encryption if isinstance(encryption, list) else [encryption]
        keys = [
            (c.get("provider") or {}).get("keyArn")
            for c in configs
            if isinstance(c, Mapping) and "secrets" in as_list(c.get("resources"))
        ]
        if not keys:
            report(f"{cluster.name}: secrets are not encrypted with a customer key", cluster)
        for key in keys:
            problem = customer_key_problem(ids, key, cluster.region)
            if problem:
                report(f"{cluster.name}: the secrets key {problem}", cluster)


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


@stack_rule(
    "SEC-EKS-4",
    "nodes-imdsv2-hop-limit-one",
    "Every node group runs from a launch template that requires IMDSv2 tokens with a hop limit "
    "of 1, so pods never reach the node's credentials.",
    "high",
    "Give each node group a launch template with metadataOptions httpTokens required and "
    "httpPutResponseHopLimit 1.",
)
def imdsv2(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for group in stack.of_type(NODE_GROUP):
        templates = stack.dependencies(group, LAUNCH_TEMPLATE, prop="launchTemplate")
        if not templates:
            report(
                f"{group.name}: no launch template of this stack: EKS's default allows two "
                "metadata hops, so pods reach the node's role",
                group,
            )
    for template in stack.of_type(LAUNCH_TEMPLATE):
        if template.get("metadataOptions.httpEndpoint") == "disabled":
            continue
        if template.get("metadataOptions.httpTokens") != "required":
            report(f"{template.name}: IMDSv1 is allowed", template)
        hops = template.get("metadataOptions.httpPutResponseHopLimit")
        if hops != 1:
            report(
                f"{template.name}: metadata hop limit {hops or 'unset'}: pods can reach the "
                "node's credentials",
                template,
            )


@resource_rule(
    "SEC-EKS-5",
    "node-volumes-encrypted",
    "Every EBS volume of a launch template is encrypted.",
    "high",
    "Set ebs.encrypted true on every block device mapping.",
    types={LAUNCH_TEMPLATE},
)
def volumes_encrypted(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    for mapping in resource.props.get("blockDeviceMappings") or []:
        ebs = (mapping or {}).get("ebs") or {}
        if str(ebs.get("encrypted", "")).lower() != "true":
            report(
                f"{resource.name}: volume {mapping.get('deviceName')} is not encrypted", resource
            )


@resource_rule(
    "SEC-EKS-6",
    "eks-audit-logs",
    "The EKS control plane sends its api, audit and authenticator logs to CloudWatch.",
    "medium",
    "List api, audit and authenticator in enabledClusterLogTypes.",
    types={CLUSTER},
    config={
        "requiredLogTypes": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["api", "audit", "authenticator"],
        }
    },
)
def audit_logs(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    enabled = set(as_list(resource.get("enabledClusterLogTypes")))
    missing = [t for t in config["requiredLogTypes"] if t not in enabled]
    if missing:
        report(f"{resource.name}: control-plane logs off: {', '.join(missing)}", resource)


SECURITY = [
    private_endpoint,
    secrets_encrypted,
    nodes_span_azs,
    imdsv2,
    volumes_encrypted,
    audit_logs,
]
