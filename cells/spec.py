"""What one cell is made of, as plain data: the contract between the fleet and the components."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cells.aws_names import CellNames, TenantNames

MANAGED_BY = "flink-cells"
# A CloudWatch alarm with this tag set to "true" (and the cell's fleet and cell tags) is one of
# the cell's health alarms: a rollout halts while it is in ALARM.
HEALTH_GATE_TAG = "health-gate"


@dataclass(frozen=True)
class SubnetSpec:
    id: str
    az: str


@dataclass(frozen=True)
class NodePoolSpec:
    role: str
    instance_type: str
    count: int
    max_count: int
    disk_gib: int
    ami_type: str = "AL2023_x86_64_STANDARD"


@dataclass(frozen=True)
class KafkaSpec:
    version: str
    broker_type: str
    brokers_per_az: int
    volume_gib: int
    server_properties: Mapping[str, str]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str]


@dataclass(frozen=True)
class JobSpec:
    """One Flink application, with every choice that shapes its FlinkDeployment made."""

    id: str
    jar_uri: str
    entry_class: str | None
    args: tuple[str, ...]
    image: str
    flink_version: str  # e.g. "1.20.1"
    parallelism: int
    taskmanager_cpu: float
    taskmanager_memory_mb: int
    taskmanager_slots: int
    jobmanager_cpu: float
    jobmanager_memory_mb: int
    jobmanager_replicas: int
    state_size: str
    upgrade_mode: str
    capacity_units: int
    rpo_seconds: int
    dr_rpo_seconds: int = 3600
    # A restore point to start from on first deployment (a moved job, a DR restore): the operator
    # reads it only when the FlinkDeployment is created; restored with NO_CLAIM.
    initial_savepoint_path: str | None = None
    # The job is moving out of this cell: kept, but suspended with a savepoint.
    suspended: bool = False

    @property
    def taskmanagers(self) -> int:
        return -(-self.parallelism // self.taskmanager_slots)


@dataclass(frozen=True)
class TenantSpec:
    id: str
    tier: str
    priority: int
    quota_headroom: float
    names: TenantNames
    topics: tuple[TopicSpec, ...]
    jobs: tuple[JobSpec, ...]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class NetworkSpec:
    vpc_id: str
    vpc_cidr: str
    subnets: tuple[SubnetSpec, ...]


@dataclass(frozen=True)
class RecoverySpec:
    """A lost cell rebuilt in its region's DR partner: what it adopts there and restores from."""

    lost_cell: str
    lost_region: str
    lost_at: str  # ISO 8601, UTC
    replica_bucket: str  # the lost cell's replica: read-only to the recovery, never managed by it
    replica_kms_alias: str
    standby_msk_cluster: str | None  # adopted when the region replicated Kafka; else a new cluster
    transactional_id_suffix: str  # Kafka sink transactional ids never reuse the lost job's
    broker_transaction_max_timeout_ms: int  # what the standby's configuration was created with


@dataclass(frozen=True)
class CellSpec:
    fleet: str
    cell: str
    region: str
    dr_region: str
    wave: int
    production: bool
    kubernetes_version: str
    vpc_id: str
    subnets: tuple[SubnetSpec, ...]
    jobmanager_pool: NodePoolSpec
    taskmanager_pool: NodePoolSpec
    kafka: KafkaSpec
    noncurrent_version_days: int
    vpc_cidr: str
    sink_transaction_timeout_ms: int
    names: CellNames
    tenants: tuple[TenantSpec, ...]
    tags: Mapping[str, str]
    artifact_buckets: tuple[str, ...] = ()  # shared, read-only: where s3:// jars live
    kafka_continuity: str = "none"
    # The DR partner's network, for the standby MSK cluster (kafka_continuity: replicate).
    dr_network: NetworkSpec | None = None
    recovery: RecoverySpec | None = None

    @property
    def broker_subnets(self) -> tuple[SubnetSpec, ...]:
        return broker_subnets(self.subnets)


def broker_subnets(subnets: tuple[SubnetSpec, ...]) -> tuple[SubnetSpec, ...]:
    """One subnet in each of the first three AZs: MSK takes exactly one subnet per AZ."""
    by_az: dict[str, SubnetSpec] = {}
    for subnet in sorted(subnets, key=lambda s: (s.az, s.id)):
        by_az.setdefault(subnet.az, subnet)
    return tuple(by_az.values())[:3]
