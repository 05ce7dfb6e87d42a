"""FlinkCell: one shared-nothing cell: checkpoint store, compute, Kafka, tenants, Flink platform."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cells.spec import CellSpec
from components import outputs
from components.checkpoint_store import REPLICATION_RULE_ID, CheckpointStore, CheckpointStoreArgs
from components.compute import Compute, ComputeArgs
from components.flink_platform import FlinkPlatform, FlinkPlatformArgs
from components.health_alarms import HealthAlarms, HealthAlarmsArgs
from components.kafka import Kafka, KafkaArgs
from components.tenant_identity import TenantIdentity, TenantIdentityArgs


class FlinkCell(pulumi.ComponentResource):
    """Every AWS resource of one cell, in its own region, with its replica in the DR region."""

    def __init__(self, name: str, spec: CellSpec, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flinkcells:index:FlinkCell", name, None, opts)
        self.spec = spec
        # Named by role, not by region: a cell's regions are fixed at birth.
        primary = aws.Provider(
            f"{name}-primary", region=spec.region, opts=pulumi.ResourceOptions(parent=self)
        )
        dr = aws.Provider(
            f"{name}-dr", region=spec.dr_region, opts=pulumi.ResourceOptions(parent=self)
        )
        in_region = pulumi.ResourceOptions(parent=self, providers=[primary])
        account_id = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self, provider=primary)
        ).account_id
        names = spec.names
        self.checkpoints = CheckpointStore(
            f"{name}-checkpoints",
            CheckpointStoreArgs(
                bucket_name=names.checkpoint_bucket,
                replica_bucket_name=names.replica_bucket,
                kms_alias=names.kms_alias,
                replica_kms_alias=names.replica_kms_alias,
                replication_role_name=names.replication_role,
                region=spec.region,
                dr_region=spec.dr_region,
                noncurrent_version_days=spec.noncurrent_version_days,
                production=spec.production,
                tags=spec.tags,
                account_id=account_id,
                replica_provider=dr,
            ),
            opts=in_region,
        )
        self.compute = Compute(
            f"{name}-compute",
            ComputeArgs(
                cluster_name=names.eks_cluster,
                cluster_role_name=names.eks_cluster_role,
                node_role_name=names.node_role,
                kubernetes_version=spec.kubernetes_version,
                subnets=spec.subnets,
                pools=(spec.jobmanager_pool, spec.taskmanager_pool),
                kms_key_arn=self.checkpoints.key.arn,
                production=spec.production,
                tags=spec.tags,
            ),
            opts=in_region,
        )
        self.kafka = Kafka(
            f"{name}-kafka",
            KafkaArgs(
                cluster_name=names.msk_cluster,
                configuration_name=names.msk_configuration,
                kafka=spec.kafka,
                vpc_id=spec.vpc_id,
                broker_subnets=spec.broker_subnets,
                client_security_group_id=self.compute.cluster_security_group_id,
                kms_key_arn=self.checkpoints.key.arn,
                topics=tuple(topic for tenant in spec.tenants for topic in tenant.topics),
                production=spec.production,
                tags=spec.tags,
            ),
            opts=in_region,
        )
        self.health = HealthAlarms(
            f"{name}-health",
            HealthAlarmsArgs(
                alarm_prefix=f"{spec.fleet}-{spec.cell}",
                msk_cluster_name=names.msk_cluster,
                bucket_name=names.checkpoint_bucket,
                replica_bucket_name=names.replica_bucket,
                replication_rule_id=REPLICATION_RULE_ID,
                tags=spec.tags,
            ),
            opts=in_region,
        )
        self.tenants = {
            tenant.id: TenantIdentity(
                f"{name}-tenant-{tenant.id}",
                TenantIdentityArgs(
                    tenant=tenant,
                    region=spec.region,
                    oidc_provider_arn=self.compute.oidc_provider.arn,
                    oidc_issuer=self.compute.oidc_issuer,
                    bucket_arn=self.checkpoints.bucket.arn,
                    kms_key_arn=self.checkpoints.key.arn,
                    msk_cluster_arn=self.kafka.cluster.arn,
                ),
                opts=in_region,
            )
            for tenant in spec.tenants
        }
        self.platform = FlinkPlatform(
            f"{name}-flink",
            FlinkPlatformArgs(
                spec=spec,
                cluster=self.compute.cluster,
                node_groups=self.compute.node_groups,
                tenant_role_arns={t: ident.role.arn for t, ident in self.tenants.items()},
                bootstrap_servers=self.kafka.cluster.bootstrap_brokers_sasl_iam,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs: dict[str, pulumi.Input[object]] = {
            outputs.REGION: spec.region,
            outputs.DR_REGION: spec.dr_region,
            outputs.CHECKPOINT_BUCKET: self.checkpoints.bucket.bucket,
            outputs.CHECKPOINT_BUCKET_ARN: self.checkpoints.bucket.arn,
            outputs.REPLICA_BUCKET: self.checkpoints.replica_bucket.bucket,
            outputs.REPLICA_BUCKET_ARN: self.checkpoints.replica_bucket.arn,
            outputs.CELL_KEY_ARN: self.checkpoints.key.arn,
            outputs.REPLICA_KEY_ARN: self.checkpoints.replica_key.arn,
            outputs.MSK_CLUSTER_ARN: self.kafka.cluster.arn,
            outputs.EKS_CLUSTER_NAME: self.compute.cluster.name,
            outputs.EKS_CLUSTER_ENDPOINT: self.compute.cluster.endpoint,
            outputs.OIDC_PROVIDER_ARN: self.compute.oidc_provider.arn,
            outputs.TENANT_ROLE_ARNS: {
                t: identity.role.arn for t, identity in self.tenants.items()
            },
        }
        self.register_outputs(self.outputs)
