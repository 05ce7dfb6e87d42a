"""MSK: brokers over three AZs, durable broker settings and topics, TLS, IAM auth, encryption."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, as_list, is_unknown, resource_rule, stack_rule
from policies.identity import parse_arn

CLUSTER = "aws:msk/cluster:Cluster"
CONFIGURATION = "aws:msk/configuration:Configuration"
TOPIC = "aws:msk/topic:Topic"


def server_properties(resource: Resource) -> dict[str, str]:
    text = resource.get("serverProperties") or ""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@resource_rule(
    "DUR-MSK-1",
    "msk-brokers-span-azs",
    "MSK clusters run at least three brokers over at least three AZs (one subnet per AZ).",
    "critical",
    "Give brokerNodeGroupInfo.clientSubnets one subnet in each of three AZs.",
    types={CLUSTER},
    config={"minAzs": {"type": "integer", "default": 3, "minimum": 2}},
)
def brokers_span_azs(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    subnets = resource.get("brokerNodeGroupInfo.clientSubnets") or []
    brokers = resource.get("numberOfBrokerNodes") or 0
    if len(set(subnets)) < config["minAzs"]:
        report(
            f"{resource.name} spans {len(set(subnets))} AZ subnets; at least "
            f"{config['minAzs']} are needed to survive an AZ loss",
            resource,
        )
    if brokers < 3:
        report(f"{resource.name} has {brokers} brokers; replication factor 3 needs 3", resource)


def configuration_of(stack: Stack, cluster: Resource) -> Resource | None:
    """The configuration a cluster runs with: the one its configurationInfo.arn depends on, or
    names by ARN; None means MSK's defaults (unclean elections on, 15-minute transactions)."""
    info = cluster.props.get("configurationInfo") or {}
    if not info:
        return None
    joined = stack.dependencies(cluster, CONFIGURATION, prop="configurationInfo")
    if joined:
        return joined[0]
    arn = parse_arn(info.get("arn"))
    return next(
        (c for c in stack.of_type(CONFIGURATION) if arn and c.props.get("name") == arn.name),
        None,
    )


DURABLE_MINIMUMS = {
    "min.insync.replicas": 2,
    "default.replication.factor": 3,
    "offsets.topic.replication.factor": 3,
    "transaction.state.log.replication.factor": 3,
    "transaction.state.log.min.isr": 2,
}


@stack_rule(
    "DUR-MSK-2",
    "msk-configuration-durable",
    "Each cluster runs with a configuration of this stack that keeps records: "
    "min.insync.replicas >= 2, replication factor >= 3 (default, offsets and transaction "
    "state), transaction state ISR >= 2, no unclean leader election, no topic auto-creation.",
    "critical",
    "Point the cluster's configurationInfo at the cell's aws.msk.Configuration and set these "
    "server properties in it.",
)
def configuration_durable(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for cluster in stack.of_type(CLUSTER):
        configuration = configuration_of(stack, cluster)
        if configuration is None:
            report(
                f"{cluster.name} runs with no configuration of this stack: MSK's defaults allow "
                "unclean leader election and 15-minute transactions",
                cluster,
            )
            continue
        props = server_properties(configuration)
        for key, minimum in DURABLE_MINIMUMS.items():
            value = props.get(key, "")
            if not value.isdigit() or int(value) < minimum:
                report(f"{configuration.name}: {key} must be at least {minimum}", configuration)
        for key in ("unclean.leader.election.enable", "auto.create.topics.enable"):
            if props.get(key, "").lower() != "false":
                report(f"{configuration.name}: {key} must be false", configuration)


@resource_rule(
    "DUR-MSK-3",
    "msk-topic-durable",
    "Every topic has replication factor >= 3 and min.insync.replicas in [2, RF-1].",
    "critical",
    "Set replicationFactor >= 3 and configs min.insync.replicas between 2 and RF-1.",
    types={TOPIC},
)
def topic_durable(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    factor = resource.get("replicationFactor") or 0
    raw = resource.get("configs") or "{}"
    configs = json.loads(raw) if isinstance(raw, str) else raw
    isr = str(configs.get("min.insync.replicas", ""))
    if factor < 3:
        report(f"topic {resource.get('name')}: replication factor {factor} is below 3", resource)
    if not isr.isdigit() or not 2 <= int(isr) <= factor - 1:
        report(
            f"topic {resource.get('name')}: min.insync.replicas {isr or 'unset'} is outside "
            f"[2, {factor - 1}]",
            resource,
        )


@resource_rule(
    "SEC-MSK-1",
    "msk-encrypted",
    "MSK encrypts client-broker and in-cluster traffic with TLS, and data at rest with a "
    "customer key.",
    "high",
    "Set encryptionInfo: encryptionInTransit {clientBroker: TLS, inCluster: true} and "
    "encryptionAtRestKmsKeyArn.",
    types={CLUSTER},
)
def encrypted(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if resource.get("encryptionInfo.encryptionInTransit.clientBroker") != "TLS":
        report(f"{resource.name}: client-broker traffic is not TLS-only", resource)
    if resource.get("encryptionInfo.encryptionInTransit.inCluster") is not True:
        report(f"{resource.name}: in-cluster traffic is not encrypted", resource)
    key = (resource.props.get("encryptionInfo") or {}).get("encryptionAtRestKmsKeyArn")
    arn = parse_arn(key)
    if (not key and not is_unknown(key)) or (arn and (arn.is_aws_managed or arn.kind != "key")):
        report(f"{resource.name}: data at rest is not encrypted with a customer key", resource)
    elif arn and resource.region and arn.region != resource.region:
        report(f"{resource.name}: its key {key} is not in {resource.region}", resource)


@resource_rule(
    "SEC-MSK-2",
    "msk-iam-auth",
    "MSK clients authenticate with IAM; unauthenticated access is off.",
    "high",
    "Set clientAuthentication: {sasl: {iam: true}, unauthenticated: false}.",
    types={CLUSTER},
)
def iam_auth(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if resource.get("clientAuthentication.sasl.iam") is not True:
        report(f"{resource.name}: IAM client authentication is off", resource)
    if resource.get("clientAuthentication.unauthenticated") is not False:
        report(f"{resource.name}: unauthenticated clients are allowed", resource)


OPEN = ("0.0.0.0/0", "::/0")
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULES = (
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
)


@stack_rule(
    "SEC-MSK-3",
    "msk-brokers-private",
    "MSK brokers have no public access, and no security group of theirs admits the internet.",
    "critical",
    "Keep connectivityInfo.publicAccess DISABLED and admit only the cell's EKS security group.",
)
def brokers_private(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for cluster in stack.of_type(CLUSTER):
        public = cluster.get("brokerNodeGroupInfo.connectivityInfo.publicAccess.type")
        if public not in (None, "DISABLED"):
            report(f"{cluster.name}: brokers are reachable from the internet ({public})", cluster)
        for group in stack.dependencies(cluster, SECURITY_GROUP, prop="brokerNodeGroupInfo"):
            rules = [r for r in group.props.get("ingress") or [] if isinstance(r, Mapping)]
            rules += [
                {"cidrBlocks": [r.props.get("cidrIpv4") or ""], **r.props}
                for type_ in INGRESS_RULES
                for r in stack.dependents(group, type_)
                if r.props.get("type", "ingress") == "ingress"
            ]
            for rule in rules:
                cidrs = [*as_list(rule.get("cidrBlocks")), *as_list(rule.get("ipv6CidrBlocks"))]
                if any(c in OPEN for c in cidrs):
                    report(
                        f"{cluster.name}: security group {group.name} admits the internet", group
                    )
                    break


DURABILITY = [brokers_span_azs, configuration_durable, topic_durable]
SECURITY = [encrypted, iam_auth, brokers_private]
