"""A cell's Kafka: a durable MSK cluster and the topics of the tenants placed in the cell."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.spec import KafkaSpec, SubnetSpec, TopicSpec
from components.options import child, stateful

IAM_TLS_PORT = 9098
BROKER_LOG_RETENTION_DAYS = 30


@dataclass(frozen=True)
class KafkaArgs:
    cluster_name: str
    configuration_name: str
    kafka: KafkaSpec
    vpc_id: str
    broker_subnets: tuple[SubnetSpec, ...]
    # Who may connect: the cell's EKS cluster security group, or (a standby cluster, whose
    # recovery cell does not exist yet) the VPC's CIDR; and MSK Replicator's network interfaces.
    client_security_group_id: pulumi.Input[str] | None
    kms_key_arn: pulumi.Input[str]
    topics: tuple[TopicSpec, ...]
    production: bool
    tags: Mapping[str, str]
    client_cidr: str | None = None
    replicator_security_group_id: pulumi.Input[str] | None = None


class Kafka(pulumi.ComponentResource):
    """MSK over three AZs: TLS everywhere, IAM auth, encrypted at rest, no unclean elections."""

    def __init__(
        self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:kafka:Kafka", name, None, opts)
        self._name = name
        self._args = args
        self.configuration = aws.msk.Configuration(
            f"{name}-configuration",
            name=args.configuration_name,
            kafka_versions=[args.kafka.version],
            server_properties="".join(
                f"{key}={value}\n" for key, value in sorted(args.kafka.server_properties.items())
            ),
            opts=child(self),
        )
        self.cluster = self._create_cluster()
        self.topics = [self._create_topic(topic) for topic in args.topics]
        self.register_outputs(
            {
                "clusterArn": self.cluster.arn,
                "bootstrapBrokersSaslIam": self.cluster.bootstrap_brokers_sasl_iam,
                "topics": [t.name for t in self.topics],
            }
        )

    def _create_cluster(self) -> aws.msk.Cluster:
        args = self._args
        security_group = aws.ec2.SecurityGroup(
            f"{self._name}-brokers",
            description=f"MSK brokers of {args.cluster_name}: IAM-authenticated TLS from the cell",
            vpc_id=args.vpc_id,
            ingress=self._ingress(),
            tags=dict(args.tags),
            opts=child(self),
        )
        broker_logs = aws.cloudwatch.LogGroup(
            f"{self._name}-broker-logs",
            name=f"/flink-cells/msk/{args.cluster_name}",
            retention_in_days=BROKER_LOG_RETENTION_DAYS,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=child(self),
        )
        return aws.msk.Cluster(
            f"{self._name}-cluster",
            cluster_name=args.cluster_name,
            kafka_version=args.kafka.version,
            number_of_broker_nodes=args.kafka.brokers_per_az * len(args.broker_subnets),
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=args.kafka.broker_type,
                client_subnets=[s.id for s in args.broker_subnets],
                security_groups=[security_group.id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.kafka.volume_gib
                    )
                ),
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=args.kms_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True),
                unauthenticated=False,
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=self.configuration.arn, revision=self.configuration.latest_revision
            ),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=broker_logs.name
                    )
                )
            ),
            enhanced_monitoring="PER_BROKER",
            tags=dict(args.tags),
            opts=stateful(self, args.production),
        )

    def _ingress(self) -> list[aws.ec2.SecurityGroupIngressArgs]:
        args = self._args
        sources = (
            ("Kafka over TLS with IAM auth from the cell's EKS nodes",
             "security_groups", args.client_security_group_id),
            ("Kafka over TLS with IAM auth from a recovery cell in this VPC",
             "cidr_blocks", args.client_cidr),
            ("MSK Replicator, copying records to the DR region",
             "security_groups", args.replicator_security_group_id),
        )  # fmt: skip
        return [
            aws.ec2.SecurityGroupIngressArgs(
                description=description,
                protocol="tcp",
                from_port=IAM_TLS_PORT,
                to_port=IAM_TLS_PORT,
                **{field: [source]},
            )
            for description, field, source in sources
            if source is not None
        ]

    def _create_topic(self, topic: TopicSpec) -> aws.msk.Topic:
        return aws.msk.Topic(
            f"{self._name}-topic-{topic.name}",
            cluster_arn=self.cluster.arn,
            name=topic.name,
            partition_count=topic.partitions,
            replication_factor=topic.replication_factor,
            configs=json.dumps(dict(topic.configs), sort_keys=True),
            # A topic holds records not yet consumed: deleting it drops events.
            opts=stateful(self, self._args.production),
        )
