"""Pulumi components of a Flink cell; each usable alone."""

from components.checkpoint_store import CheckpointStore, CheckpointStoreArgs
from components.compute import Compute, ComputeArgs
from components.flink_cell import FlinkCell
from components.flink_platform import FlinkJob, FlinkPlatform, FlinkPlatformArgs, TenantNamespace
from components.health_alarms import HealthAlarms, HealthAlarmsArgs
from components.kafka import Kafka, KafkaArgs
from components.tenant_identity import TenantIdentity, TenantIdentityArgs

__all__ = [
    "CheckpointStore",
    "CheckpointStoreArgs",
    "Compute",
    "ComputeArgs",
    "FlinkCell",
    "FlinkJob",
    "FlinkPlatform",
    "FlinkPlatformArgs",
    "HealthAlarms",
    "HealthAlarmsArgs",
    "Kafka",
    "KafkaArgs",
    "TenantIdentity",
    "TenantIdentityArgs",
    "TenantNamespace",
]
