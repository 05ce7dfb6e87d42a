"""MSK of every example cell: three AZs, TLS, IAM auth, CMK at rest, durable broker and topics."""

from __future__ import annotations

import json

from cells.model import Fleet
from cells.placement import load_placement
from components import outputs
from tests.helpers import EXAMPLE_FLEET, PlannedStack

CLUSTER = "aws:msk/cluster:Cluster"
TOPIC = "aws:msk/topic:Topic"


def _own(plan: PlannedStack, type_: str) -> list[dict]:
    """The cell's own Kafka resources (a replicating cell also has a standby in its DR region)."""
    return [r for r in plan.of_type(type_) if r["name"].startswith(f"{plan.stack}-kafka-")]


def _properties(plan: PlannedStack) -> dict[str, str]:
    [configuration] = _own(plan, "aws:msk/configuration:Configuration")
    lines = configuration["inputs"]["serverProperties"].splitlines()
    return dict(line.split("=", 1) for line in lines if line)


def test_cluster_spreads_brokers_over_three_azs(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    size = example_fleet.sizes[cell.size]
    region = example_fleet.region(cell.region)
    az_of = {s.id: s.az for s in region.network.subnets}
    [cluster] = _own(cell_plan, CLUSTER)
    inputs = cluster["inputs"]
    subnets = inputs["brokerNodeGroupInfo"]["clientSubnets"]
    assert len({az_of[s] for s in subnets}) == 3 == len(subnets)
    assert inputs["numberOfBrokerNodes"] == 3 * size.msk.brokers_per_az
    assert inputs["brokerNodeGroupInfo"]["instanceType"] == size.msk.broker_type
    major, minor = (int(p) for p in inputs["kafkaVersion"].split(".")[:2])
    assert (major, minor) >= (3, 6)
    assert cluster["protect"] and cluster["region"] == cell.region


def test_cluster_encrypts_and_authenticates(cell_plan: PlannedStack) -> None:
    [cluster] = _own(cell_plan, CLUSTER)
    inputs = cluster["inputs"]
    encryption = inputs["encryptionInfo"]
    assert encryption["encryptionAtRestKmsKeyArn"] == cell_plan.outputs[outputs.CELL_KEY_ARN]
    assert encryption["encryptionInTransit"] == {"clientBroker": "TLS", "inCluster": True}
    assert inputs["clientAuthentication"] == {"sasl": {"iam": True}, "unauthenticated": False}
    assert inputs["loggingInfo"]["brokerLogs"]["cloudwatchLogs"]["enabled"] is True
    [group] = _own(cell_plan, "aws:ec2/securityGroup:SecurityGroup")
    for ingress in group["inputs"]["ingress"]:
        assert (ingress["fromPort"], ingress["toPort"]) == (9098, 9098)
        assert "cidrBlocks" not in ingress, "brokers are reachable only from the cell's nodes"
        assert ingress["securityGroups"], "and from MSK Replicator, through security groups"


def test_broker_configuration_is_durable(cell_plan: PlannedStack, example_fleet: Fleet) -> None:
    properties = _properties(cell_plan)
    assert properties["default.replication.factor"] == "3"
    assert properties["min.insync.replicas"] == "2"
    assert properties["unclean.leader.election.enable"] == "false"
    assert properties["auto.create.topics.enable"] == "false"
    sink_ms = example_fleet.fleet.kafka.sink_transaction_timeout_minutes * 60_000
    assert int(properties["transaction.max.timeout.ms"]) > sink_ms
    [cluster] = _own(cell_plan, CLUSTER)
    [configuration] = _own(cell_plan, "aws:msk/configuration:Configuration")
    assert configuration["urn"] in cluster["dependencies"]


def test_topics_are_exactly_those_of_the_tenants_placed_here(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    placement = load_placement(example_fleet, EXAMPLE_FLEET)
    expected = {
        f"{tenant.id}.{topic.name}": topic
        for tenant in example_fleet.tenants
        if cell_plan.stack in placement.shards[tenant.id]
        for topic in tenant.topics
    }
    topics = {t["inputs"]["name"]: t for t in cell_plan.of_type(TOPIC)}
    assert set(topics) == set(expected)
    for name, topic in topics.items():
        declared = expected[name]
        configs = json.loads(topic["inputs"]["configs"])
        assert topic["inputs"]["replicationFactor"] == declared.replication_factor >= 3
        assert 2 <= int(configs["min.insync.replicas"]) <= declared.replication_factor - 1
        assert configs["min.insync.replicas"] == str(declared.min_insync_replicas)
        assert configs["unclean.leader.election.enable"] == "false"
        assert configs["retention.ms"] == str(declared.retention_hours * 3_600_000)
        assert topic["inputs"]["partitionCount"] == declared.partitions
        assert topic["protect"], f"{topic['urn']}: a topic holds unconsumed events"


def test_topic_settings_from_the_fleet_file_reach_the_topic(example_plans: dict) -> None:
    plan = example_plans["use1-a"]
    [risk] = [t for t in plan.of_type(TOPIC) if t["inputs"]["name"] == "fraud-signals.risk-scores"]
    assert risk["inputs"]["replicationFactor"] == 4
    assert json.loads(risk["inputs"]["configs"])["min.insync.replicas"] == "3"
