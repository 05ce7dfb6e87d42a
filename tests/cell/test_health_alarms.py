"""HealthAlarms: the alarms a rollout's health gate reads, tagged for their cell, in its region,
watching its own MSK cluster and checkpoint replication; and the gate reading exactly them."""

from __future__ import annotations

import boto3
import pulumi

from cells.aws_names import cell_names
from cells.model import Fleet
from cells.spec import HEALTH_GATE_TAG
from components import HealthAlarms, HealthAlarmsArgs
from offline.planner import record_program
from rollout.gates import AlarmGate, cloudwatch_clients
from rollout.plan import CellTarget
from tests.helpers import PlannedStack

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPONENT = "flinkcells:health:HealthAlarms"


def test_each_cell_has_its_tagged_health_alarms(cell_plan: PlannedStack, example_fleet: Fleet):
    cell = example_fleet.cell(cell_plan.stack)
    names = cell_names(example_fleet.name, cell.id)
    [component] = cell_plan.of_type(COMPONENT)
    alarms = cell_plan.of_type(ALARM)
    assert {a["inputs"]["metricName"] for a in alarms} == {
        "OfflinePartitionsCount",
        "ActiveControllerCount",
        "OperationsFailedReplication",
        "ReplicationLatency",
    }
    for alarm in alarms:
        inputs = alarm["inputs"]
        assert alarm["parent"] == component["urn"], alarm["urn"]
        assert alarm["region"] == cell.region, alarm["urn"]
        assert inputs["name"].startswith(f"{example_fleet.name}-{cell.id}-"), alarm["urn"]
        tags = inputs["tags"]
        assert (tags["fleet"], tags["cell"], tags[HEALTH_GATE_TAG]) == (
            example_fleet.name,
            cell.id,
            "true",
        )
        if inputs["namespace"] == "AWS/Kafka":
            assert inputs["dimensions"] == {"Cluster Name": names.msk_cluster}
        else:
            [replication] = cell_plan.of_type(
                "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
            )
            rule_ids = [rule["id"] for rule in replication["inputs"]["rules"]]
            assert inputs["dimensions"] == {
                "SourceBucket": names.checkpoint_bucket,
                "DestinationBucket": names.replica_bucket,
                "RuleId": rule_ids[0],
            }
    latency = next(a for a in alarms if a["inputs"]["metricName"] == "ReplicationLatency")
    assert latency["inputs"]["threshold"] == 900, "S3 Replication Time Control's 15 minutes"


def test_the_gate_halts_on_exactly_the_alarms_the_cell_creates(
    example_plans, example_fleet: Fleet, moto_endpoint, monkeypatch
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    planned = example_plans["euw1-b"]
    client = boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=moto_endpoint)
    for alarm in planned.of_type(ALARM):
        i = alarm["inputs"]
        client.put_metric_alarm(
            AlarmName=i["name"],
            Namespace=i["namespace"],
            MetricName=i["metricName"],
            Dimensions=[{"Name": k, "Value": v} for k, v in i["dimensions"].items()],
            Statistic=i["statistic"],
            ComparisonOperator=i["comparisonOperator"],
            Threshold=i["threshold"],
            Period=i["period"],
            EvaluationPeriods=i["evaluationPeriods"],
            Tags=[{"Key": k, "Value": v} for k, v in i["tags"].items()],
        )
    gate = AlarmGate(example_fleet.name, cloudwatch_clients(moto_endpoint))
    cell = CellTarget("euw1-b", "eu-west-1", 1)
    assert gate.check([cell]) == []
    offline = next(a for a in planned.of_type(ALARM) if "offline" in a["inputs"]["name"])
    client.set_alarm_state(
        AlarmName=offline["inputs"]["name"], StateValue="ALARM", StateReason="2 partitions"
    )
    [failure] = gate.check([cell])
    assert failure.cell == "euw1-b" and offline["inputs"]["name"] in failure.detail


def test_health_alarms_alone():
    def program() -> None:
        HealthAlarms(
            "lab-health",
            HealthAlarmsArgs(
                alarm_prefix="solo-lab",
                msk_cluster_name="solo-lab",
                bucket_name="solo-lab-checkpoints",
                replica_bucket_name="solo-lab-checkpoints-dr",
                replication_rule_id="rule",
                tags={"fleet": "solo", "cell": "lab"},
            ),
            opts=pulumi.ResourceOptions(),
        )

    plan = record_program("solo", {"aws:region": "eu-north-1"}, program)
    [component] = [r for r in plan.resources if r.type == COMPONENT]
    alarms = [r for r in plan.resources if r.type == ALARM]
    assert len(alarms) == 4 and all(a.parent == component.urn for a in alarms)
    assert {a.inputs["name"] for a in alarms} == {
        "solo-lab-msk-offline-partitions",
        "solo-lab-msk-active-controller",
        "solo-lab-checkpoint-replication-failed",
        "solo-lab-checkpoint-replication-latency",
    }
    assert all(a.inputs["tags"][HEALTH_GATE_TAG] == "true" for a in alarms)


def test_a_cell_that_replicates_nowhere_has_no_replication_alarms():
    def program() -> None:
        HealthAlarms(
            "lab-health",
            HealthAlarmsArgs("solo-lab", "solo-lab-standby", "solo-lab-cp", None, "rule", {}),
        )

    plan = record_program("solo", {"aws:region": "eu-north-1"}, program)
    alarms = [r for r in plan.resources if r.type == ALARM]
    assert {a.inputs["namespace"] for a in alarms} == {"AWS/Kafka"}
    assert {a.inputs["dimensions"]["Cluster Name"] for a in alarms} == {"solo-lab-standby"}
