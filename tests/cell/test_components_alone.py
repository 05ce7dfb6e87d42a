"""Each component works on its own, outside FlinkCell, under the same mock runtime."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cells.spec import KafkaSpec, SubnetSpec, TopicSpec
from components import CheckpointStore, CheckpointStoreArgs, Kafka, KafkaArgs
from offline.planner import record_program

TAGS = {"fleet": "solo", "region": "eu-north-1", "cell": "lab", "managed-by": "flink-cells"}


def test_a_checkpoint_store_alone() -> None:
    def program() -> None:
        primary = aws.Provider("primary", region="eu-north-1")
        replica = aws.Provider("dr", region="eu-west-1")
        CheckpointStore(
            "lab",
            CheckpointStoreArgs(
                bucket_name="solo-lab-checkpoints",
                replica_bucket_name="solo-lab-checkpoints-dr",
                kms_alias="alias/solo/lab",
                replica_kms_alias="alias/solo/lab-dr",
                replication_role_name="solo-lab-replication",
                region="eu-north-1",
                dr_region="eu-west-1",
                noncurrent_version_days=14,
                production=False,
                tags=TAGS,
                account_id="111122223333",
                replica_provider=replica,
            ),
            opts=pulumi.ResourceOptions(providers=[primary]),
        )

    plan = record_program("solo", {"aws:region": "eu-north-1"}, program)
    regions = {r.name: r.region for r in plan.resources if r.type == "aws:s3/bucket:Bucket"}
    assert regions == {"lab-bucket": "eu-north-1", "lab-replica": "eu-west-1"}
    assert not any(r.protect for r in plan.resources), "a non-production store is unprotected"
    assert sum(r.type.endswith("BucketReplicationConfig") for r in plan.resources) == 1


def test_a_kafka_cluster_alone() -> None:
    def program() -> None:
        Kafka(
            "lab",
            KafkaArgs(
                cluster_name="solo-lab",
                configuration_name="solo-lab-durable",
                kafka=KafkaSpec("3.9.x", "kafka.m7g.large", 1, 100, {"min.insync.replicas": "2"}),
                vpc_id="vpc-0000000000000000a",
                broker_subnets=tuple(
                    SubnetSpec(f"subnet-0000000{i}", f"eu-north-1{z}") for i, z in enumerate("abc")
                ),
                client_security_group_id="sg-0123456789abcdef0",
                kms_key_arn="arn:aws:kms:eu-north-1:111122223333:key/solo",
                topics=(TopicSpec("solo.events", 6, 3, {"min.insync.replicas": "2"}),),
                production=True,
                tags=TAGS,
            ),
        )

    plan = record_program("solo", {"aws:region": "eu-north-1"}, program)
    [cluster] = [r for r in plan.resources if r.type == "aws:msk/cluster:Cluster"]
    assert cluster.inputs["numberOfBrokerNodes"] == 3 and cluster.protect
    [topic] = [r for r in plan.resources if r.type == "aws:msk/topic:Topic"]
    assert cluster.urn in topic.dependencies
