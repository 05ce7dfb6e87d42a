"""FlinkCell: one shared-nothing cell: checkpoint store, compute, Kafka, tenants, Flink platform.

The same component rebuilds a lost cell in its region's DR partner (`spec.recovery`): there it
adopts, by lookup only, what already exists (the lost cell's replica bucket and key, and its
standby MSK cluster) and never creates, replaces or deletes them.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cells.spec import CellSpec
from components import outputs
from components.checkpoint_store import REPLICATION_RULE_ID, CheckpointStore, CheckpointStoreArgs
from components.compute import Compute, ComputeArgs
from components.flink_deployment import state_prefixes
from components.flink_platform import FlinkPlatform, FlinkPlatformArgs
from components.health_alarms import HealthAlarms, HealthAlarmsArgs
from components.kafka import Kafka, KafkaArgs
from components.kafka_standby import KafkaStandby, KafkaStandbyArgs, replicator_security_group
from components.options import child
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
        recovery = spec.recovery
        # A recovery cell's DR partner is the lost region: nothing of it can be created there.
        dr = (
            None
            if recovery
            else aws.Provider(
                f"{name}-dr", region=spec.dr_region, opts=pulumi.ResourceOptions(parent=self)
            )
        )
        in_region = pulumi.ResourceOptions(parent=self, providers=[primary])
        lookup = pulumi.InvokeOutputOptions(parent=self, provider=primary)
        account_id = aws.get_caller_identity_output(opts=lookup).account_id
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
                replica_expiring_prefixes=tuple(
                    prefixes[kind]
                    for tenant in spec.tenants
                    for job in tenant.jobs
                    for prefixes in [state_prefixes(tenant.id, job.id)]
                    for kind in ("checkpoints", "ha")
                ),
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
        standby_needed = dr is not None and spec.dr_network is not None and bool(spec.tenants)
        replicator_group = (
            replicator_security_group(
                f"{name}-replicator-source",
                spec.vpc_id,
                spec.vpc_cidr,
                spec.tags,
                child(self, provider=primary),
            )
            if standby_needed
            else None
        )
        self.kafka: Kafka | None = None
        self.standby: KafkaStandby | None = None
        if recovery is not None and recovery.standby_msk_cluster is not None:
            adopted = aws.msk.get_cluster_output(
                cluster_name=recovery.standby_msk_cluster, opts=lookup
            )
            msk_arn, bootstrap = adopted.arn, adopted.bootstrap_brokers_sasl_iam
        else:
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
                    replicator_security_group_id=replicator_group.id if replicator_group else None,
                ),
                opts=in_region,
            )
            msk_arn = self.kafka.cluster.arn
            bootstrap = self.kafka.cluster.bootstrap_brokers_sasl_iam
        if standby_needed:
            assert dr is not None and spec.dr_network is not None and self.kafka is not None
            assert replicator_group is not None and self.checkpoints.replica_key is not None
            self.standby = KafkaStandby(
                f"{name}-standby",
                KafkaStandbyArgs(
                    cluster_name=names.standby_msk_cluster,
                    configuration_name=names.standby_msk_configuration,
                    replicator_name=names.replicator,
                    replicator_role_name=names.replicator_role,
                    kafka=spec.kafka,
                    source_cluster_arn=msk_arn,
                    source_vpc_id=spec.vpc_id,
                    source_vpc_cidr=spec.vpc_cidr,
                    source_subnets=spec.broker_subnets,
                    replicator_security_group=replicator_group,
                    dr_network=spec.dr_network,
                    kms_key_arn=self.checkpoints.replica_key.arn,
                    tenants=tuple(t.id for t in spec.tenants),
                    production=spec.production,
                    tags=spec.tags,
                    dr_provider=dr,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[dr]),
            )
        restore_bucket_arn: pulumi.Output[str] | None = None
        restore_key_arn: pulumi.Output[str] | None = None
        if recovery is not None:
            restore_bucket_arn = aws.s3.get_bucket_output(
                bucket=recovery.replica_bucket, opts=lookup
            ).arn
            restore_key_arn = aws.kms.get_key_output(
                key_id=recovery.replica_kms_alias, opts=lookup
            ).arn
        # A recovery cell adopts the standby cluster and replicates nowhere (its partner is lost).
        self.health = HealthAlarms(
            f"{name}-health",
            HealthAlarmsArgs(
                alarm_prefix=f"{spec.fleet}-{spec.cell}",
                msk_cluster_name=(
                    recovery.standby_msk_cluster
                    if recovery is not None and recovery.standby_msk_cluster is not None
                    else names.msk_cluster
                ),
                bucket_name=names.checkpoint_bucket,
                replica_bucket_name=names.replica_bucket if dr is not None else None,
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
                    artifact_buckets=spec.artifact_buckets,
                    msk_cluster_arn=msk_arn,
                    restore_bucket_arn=restore_bucket_arn,
                    restore_key_arn=restore_key_arn,
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
                bootstrap_servers=bootstrap,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs: dict[str, pulumi.Input[object]] = {
            outputs.REGION: spec.region,
            outputs.DR_REGION: spec.dr_region,
            outputs.CHECKPOINT_BUCKET: self.checkpoints.bucket.bucket,
            outputs.CHECKPOINT_BUCKET_ARN: self.checkpoints.bucket.arn,
            outputs.CELL_KEY_ARN: self.checkpoints.key.arn,
            outputs.MSK_CLUSTER_ARN: msk_arn,
            outputs.EKS_CLUSTER_NAME: self.compute.cluster.name,
            outputs.EKS_CLUSTER_ENDPOINT: self.compute.cluster.endpoint,
            outputs.OIDC_PROVIDER_ARN: self.compute.oidc_provider.arn,
            outputs.TENANT_ROLE_ARNS: {
                t: identity.role.arn for t, identity in self.tenants.items()
            },
        }
        if self.checkpoints.replica_bucket is not None and self.checkpoints.replica_key:
            self.outputs[outputs.REPLICA_BUCKET] = self.checkpoints.replica_bucket.bucket
            self.outputs[outputs.REPLICA_BUCKET_ARN] = self.checkpoints.replica_bucket.arn
            self.outputs[outputs.REPLICA_KEY_ARN] = self.checkpoints.replica_key.arn
        if self.standby is not None:
            self.outputs[outputs.STANDBY_MSK_CLUSTER_ARN] = self.standby.kafka.cluster.arn
        if recovery is not None:
            # What the recovery reads but never manages; `pulumi destroy` of it leaves them.
            self.outputs[outputs.RECOVERS] = recovery.lost_cell
            self.outputs[outputs.ADOPTED] = {
                "replicaBucketArn": restore_bucket_arn,
                "replicaKeyArn": restore_key_arn,
                "standbyMskClusterArn": msk_arn if recovery.standby_msk_cluster else None,
            }
        self.register_outputs(self.outputs)
