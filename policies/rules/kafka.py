"""MSK: brokers over three AZs, durable broker settings and topics, TLS, IAM auth, encryption."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, is_unknown, resource_rule

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


@resource_rule(
    "DUR-MSK-2",
    "msk-configuration-durable",
    "Broker configuration: min.insync.replicas >= 2, default.replication.factor >= 3, no "
    "unclean leader election, no topic auto-creation.",
    "critical",
    "Set these server properties in the cluster's aws.msk.Configuration.",
    types={CONFIGURATION},
)
def configuration_durable(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    props = server_properties(resource)

    def number(key: str) -> int:
        value = props.get(key, "")
        return int(value) if value.isdigit() else 0

    if number("min.insync.replicas") < 2:
        report(f"{resource.name}: min.insync.replicas must be at least 2", resource)
    if number("default.replication.factor") < 3:
        report(f"{resource.name}: default.replication.factor must be at least 3", resource)
    if props.get("unclean.leader.election.enable") != "false":
        report(f"{resource.name}: unclean.leader.election.enable must be false", resource)
    if props.get("auto.create.topics.enable") != "false":
        report(f"{resource.name}: auto.create.topics.enable must be false", resource)


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
    key = resource.props.get("encryptionInfo", {}).get("encryptionAtRestKmsKeyArn")
    if not key and not is_unknown(key):
        report(f"{resource.name}: data at rest is not encrypted with a customer key", resource)


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


DURABILITY = [brokers_span_azs, configuration_durable, topic_durable]
SECURITY = [encrypted, iam_auth]
