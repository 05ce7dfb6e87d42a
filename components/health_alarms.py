"""HealthAlarms: the CloudWatch alarms a rollout's health gate reads for one cell.

Each alarm carries the cell's tags plus `health-gate=true`; `cellctl rollout` halts while any of
them is in ALARM. They watch what a bad change breaks first and what the platform promises:
readable partitions, a live controller, and checkpoints reaching the DR region in time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.spec import HEALTH_GATE_TAG
from components.options import child

# S3 Replication Time Control promises 15 minutes; later than that and the DR RPO is at risk.
REPLICATION_LATENCY_LIMIT_SECONDS = 900


@dataclass(frozen=True)
class HealthAlarmsArgs:
    alarm_prefix: str  # `<fleet>-<cell>`: alarm names are unique per account and region
    msk_cluster_name: str
    bucket_name: str
    replica_bucket_name: str | None  # None: the cell replicates nowhere (a recovery cell)
    replication_rule_id: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class _Alarm:
    role: str
    namespace: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    period: int
    periods: int
    description: str


class HealthAlarms(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: HealthAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:health:HealthAlarms", name, None, opts)
        msk = {"Cluster Name": args.msk_cluster_name}
        watched = [
            (_Alarm("msk-offline-partitions", "AWS/Kafka", "OfflinePartitionsCount",
                    "Maximum", "GreaterThanThreshold", 0, 60, 1,
                    "partitions without a leader: producers and Flink sources stall"), msk),
            (_Alarm("msk-active-controller", "AWS/Kafka", "ActiveControllerCount",
                    "Sum", "LessThanThreshold", 1, 60, 3,
                    "no active controller: leadership cannot move when a broker fails"), msk),
        ]  # fmt: skip
        if args.replica_bucket_name is not None:
            replication = {
                "SourceBucket": args.bucket_name,
                "DestinationBucket": args.replica_bucket_name,
                "RuleId": args.replication_rule_id,
            }
            watched += [
                (_Alarm("checkpoint-replication-failed", "AWS/S3", "OperationsFailedReplication",
                        "Sum", "GreaterThanThreshold", 0, 300, 1,
                        "checkpoint objects failed to replicate: the DR region lacks state"),
                 replication),
                (_Alarm("checkpoint-replication-latency", "AWS/S3", "ReplicationLatency",
                        "Maximum", "GreaterThanThreshold", REPLICATION_LATENCY_LIMIT_SECONDS,
                        300, 3, "replication slower than its 15-minute promise: DR RPO at risk"),
                 replication),
            ]  # fmt: skip
        tags = {**args.tags, HEALTH_GATE_TAG: "true"}
        self.alarms = [
            self._alarm(name, args.alarm_prefix, alarm, dimensions, tags)
            for alarm, dimensions in watched
        ]
        self.register_outputs({"alarmArns": [a.arn for a in self.alarms]})

    def _alarm(
        self,
        name: str,
        prefix: str,
        alarm: _Alarm,
        dimensions: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{alarm.role}",
            name=f"{prefix}-{alarm.role}",
            alarm_description=alarm.description,
            namespace=alarm.namespace,
            metric_name=alarm.metric,
            dimensions=dict(dimensions),
            statistic=alarm.statistic,
            comparison_operator=alarm.comparison,
            threshold=alarm.threshold,
            period=alarm.period,
            evaluation_periods=alarm.periods,
            # No data is not a failure: a quiet bucket publishes no replication metrics.
            treat_missing_data="notBreaching",
            tags=dict(tags),
            opts=child(self),
        )
