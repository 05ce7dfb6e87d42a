"""Kafka continuity across a region loss: a standby MSK cluster in the DR region, fed by MSK
Replicator with identical topic names and consumer-group offset sync.

The cell's own stack creates both through its DR provider, so the standby exists before the
disaster; a recovery stack only adopts it. Replicated records land at different offsets: a
recovered job takes its source positions from the synced consumer-group offsets, never from the
offsets in its savepoint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.spec import KafkaSpec, NetworkSpec, SubnetSpec, broker_subnets
from components.kafka import IAM_TLS_PORT, Kafka, KafkaArgs
from components.options import child
from components.policy_documents import document, service_trust, to_json
from components.tenant_identity import kafka_resource_arn


@dataclass(frozen=True)
class KafkaStandbyArgs:
    cluster_name: str
    configuration_name: str
    replicator_name: str
    replicator_role_name: str
    kafka: KafkaSpec
    source_cluster_arn: pulumi.Input[str]
    source_vpc_id: str
    source_vpc_cidr: str
    source_subnets: tuple[SubnetSpec, ...]
    replicator_security_group: aws.ec2.SecurityGroup  # in the source VPC, made before the source
    dr_network: NetworkSpec
    kms_key_arn: pulumi.Input[str]  # the cell's key in the DR region
    tenants: tuple[str, ...]  # topics and groups named <tenant>.* are replicated
    production: bool
    tags: Mapping[str, str]
    dr_provider: aws.Provider


def replicator_security_group(
    name: str, vpc_id: str, vpc_cidr: str, tags: Mapping[str, str], opts: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """The replicator's network interfaces: they only reach brokers, over IAM-authenticated TLS."""
    return aws.ec2.SecurityGroup(
        name,
        description="MSK Replicator network interfaces: Kafka over TLS with IAM auth only",
        vpc_id=vpc_id,
        egress=[
            aws.ec2.SecurityGroupEgressArgs(
                description="to the MSK brokers of this VPC",
                protocol="tcp",
                from_port=IAM_TLS_PORT,
                to_port=IAM_TLS_PORT,
                cidr_blocks=[vpc_cidr],
            )
        ],
        tags=dict(tags),
        opts=opts,
    )


class KafkaStandby(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: KafkaStandbyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:kafka:KafkaStandby", name, None, opts)
        in_dr = child(self, provider=args.dr_provider)
        target_group = replicator_security_group(
            f"{name}-replicator-target",
            args.dr_network.vpc_id,
            args.dr_network.vpc_cidr,
            args.tags,
            in_dr,
        )
        dr_brokers = broker_subnets(args.dr_network.subnets)
        self.kafka = Kafka(
            f"{name}-kafka",
            KafkaArgs(
                cluster_name=args.cluster_name,
                configuration_name=args.configuration_name,
                kafka=args.kafka,
                vpc_id=args.dr_network.vpc_id,
                broker_subnets=dr_brokers,
                client_security_group_id=None,
                kms_key_arn=args.kms_key_arn,
                topics=(),  # the replicator creates them, with identical names and configs
                production=args.production,
                tags=args.tags,
                client_cidr=args.dr_network.vpc_cidr,
                replicator_security_group_id=target_group.id,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[args.dr_provider]),
        )
        role = self._create_role(name, args)
        patterns = [rf"{re.escape(tenant)}\..*" for tenant in args.tenants] or [r"^$"]
        self.replicator = aws.msk.Replicator(
            f"{name}-replicator",
            replicator_name=args.replicator_name,
            description="Copies this cell's tenant topics and consumer-group offsets to its DR "
            "region's standby cluster",
            service_execution_role_arn=role.arn,
            kafka_clusters=[
                aws.msk.ReplicatorKafkaClusterArgs(
                    amazon_msk_cluster=aws.msk.ReplicatorKafkaClusterAmazonMskClusterArgs(
                        msk_cluster_arn=args.source_cluster_arn
                    ),
                    vpc_config=aws.msk.ReplicatorKafkaClusterVpcConfigArgs(
                        subnet_ids=[s.id for s in args.source_subnets],
                        security_groups_ids=[args.replicator_security_group.id],
                    ),
                ),
                aws.msk.ReplicatorKafkaClusterArgs(
                    amazon_msk_cluster=aws.msk.ReplicatorKafkaClusterAmazonMskClusterArgs(
                        msk_cluster_arn=self.kafka.cluster.arn
                    ),
                    vpc_config=aws.msk.ReplicatorKafkaClusterVpcConfigArgs(
                        subnet_ids=[s.id for s in dr_brokers],
                        security_groups_ids=[target_group.id],
                    ),
                ),
            ],
            replication_info_list=aws.msk.ReplicatorReplicationInfoListArgs(
                source_kafka_cluster_arn=args.source_cluster_arn,
                target_kafka_cluster_arn=self.kafka.cluster.arn,
                target_compression_type="NONE",
                topic_replications=[
                    aws.msk.ReplicatorReplicationInfoListTopicReplicationArgs(
                        topics_to_replicates=patterns,
                        copy_topic_configurations=True,
                        copy_access_control_lists_for_topics=False,  # IAM auth, no ACLs
                        detect_and_copy_new_topics=True,
                        starting_position=aws.msk.ReplicatorReplicationInfoListTopicReplicationStartingPositionArgs(
                            type="EARLIEST"
                        ),
                        # A recovered job finds its topics under the names it always used.
                        topic_name_configuration=aws.msk.ReplicatorReplicationInfoListTopicReplicationTopicNameConfigurationArgs(
                            type="IDENTICAL"
                        ),
                    )
                ],
                consumer_group_replications=[
                    aws.msk.ReplicatorReplicationInfoListConsumerGroupReplicationArgs(
                        consumer_groups_to_replicates=patterns,
                        detect_and_copy_new_consumer_groups=True,
                        # Where a recovered job's sources resume.
                        synchronise_consumer_group_offsets=True,
                    )
                ],
            ),
            tags=dict(args.tags),
            opts=in_dr,
        )
        self.register_outputs(
            {
                "standbyClusterArn": self.kafka.cluster.arn,
                "replicatorArn": self.replicator.arn,
            }
        )

    def _create_role(self, name: str, args: KafkaStandbyArgs) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-replicator-role",
            name=args.replicator_role_name,
            assume_role_policy=to_json(service_trust("kafka.amazonaws.com")),
            tags=dict(args.tags),
            opts=child(self),
        )
        clusters = [args.source_cluster_arn, self.kafka.cluster.arn]
        owned = [f"{tenant}.*" for tenant in args.tenants]
        aws.iam.RolePolicy(
            f"{name}-replicator-policy",
            role=role.id,
            policy=to_json(
                document(
                    {
                        "Sid": "ConnectToBothClusters",
                        "Effect": "Allow",
                        "Action": [
                            "kafka-cluster:Connect",
                            "kafka-cluster:DescribeCluster",
                            "kafka-cluster:AlterCluster",
                            "kafka-cluster:WriteDataIdempotently",
                        ],
                        "Resource": clusters,
                    },
                    {
                        "Sid": "TenantTopics",
                        "Effect": "Allow",
                        "Action": [
                            "kafka-cluster:CreateTopic",
                            "kafka-cluster:AlterTopic",
                            "kafka-cluster:DescribeTopic",
                            "kafka-cluster:DescribeTopicDynamicConfiguration",
                            "kafka-cluster:AlterTopicDynamicConfiguration",
                            "kafka-cluster:ReadData",
                            "kafka-cluster:WriteData",
                        ],
                        "Resource": [
                            kafka_resource_arn(c, "topic", o) for c in clusters for o in owned
                        ],
                    },
                    {
                        "Sid": "TenantConsumerGroups",
                        "Effect": "Allow",
                        "Action": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                        "Resource": [
                            kafka_resource_arn(c, "group", o) for c in clusters for o in owned
                        ],
                    },
                )
            ),
            opts=child(self),
        )
        return role
