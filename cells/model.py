"""The fleet file's schema: structure and per-field rules (cross-field checks live in checks.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

# Each validation's table of the texts it has kept (see Fleet._one_copy_of_each_text).
_kept_texts: ContextVar[dict[str, str] | None] = ContextVar("_kept_texts", default=None)


def _one_copy(text: str) -> str:
    kept = _kept_texts.get()
    return text if kept is None else kept.setdefault(text, text)


# A fleet file repeats much of its text per tenant (the home region, job ids, Flink versions, a
# shared jar); a parser returns a new string for each occurrence, and a million tenants would
# keep millions of copies. Values of a kind that repeats are kept once per fleet.
Shared = AfterValidator(_one_copy)

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", min_length=2, max_length=24),
]
SharedIdentifier = Annotated[Identifier, Shared]
RegionName = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$"), Shared]
AzName = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$")]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
TopicName = Annotated[
    str, StringConstraints(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$", max_length=200), Shared
]
FlinkVersion = Annotated[str, StringConstraints(pattern=r"^(1\.20|2\.[0-2])\.\d+$"), Shared]
JarUri = Annotated[str, StringConstraints(pattern=r"^(local|s3|https)://\S+\.jar$"), Shared]
JavaClass = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)*$"), Shared
]
Image = Annotated[str, StringConstraints(pattern=r"^[\w.\-/:@]+$", max_length=255), Shared]
KubernetesVersion = Annotated[str, StringConstraints(pattern=r"^1\.\d{2}$")]
InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
BrokerType = Annotated[str, StringConstraints(pattern=r"^kafka\.[a-z0-9]+\.[a-z0-9]+$")]
KafkaVersion = Annotated[str, StringConstraints(max_length=32)]  # checked against MSK's list
# EKS managed node group AMI types for Linux nodes.
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
# A time span such as 90s, 30m, 1h or 1h30m (cells.durations reads it).
Duration = Annotated[
    str, StringConstraints(pattern=r"^(0|\d+h(\d+m)?(\d+s)?|\d+m(\d+s)?|\d+s)$", max_length=16)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Record:
    """What a fleet holds once per tenant, job, topic or cell: a frozen pydantic dataclass with
    slots (see `record`), validated as strictly as a `Strict` model and failing the same way.

    A model instance carries a `__dict__` and a set of the fields given: about 1 KB for a job,
    against about 150 bytes with slots, and a million tenants hold four such objects each."""

    __slots__ = ()

    @model_validator(mode="wrap")
    @classmethod
    def _as_model_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Report a wrong key or a non-mapping as a model does (`extra_forbidden`,
        `model_type`): the loader and its users read those, not the dataclass's own kinds."""
        try:
            return handler(data)
        except ValidationError as error:
            raise ValidationError.from_exception_data(
                error.title, [_as_model_error(cls, e) for e in error.errors()]
            ) from None


def _as_model_error(cls: type, error: Any) -> InitErrorDetails:
    kind, ctx = error["type"], error.get("ctx")
    if kind == "unexpected_keyword_argument":
        kind = "extra_forbidden"
    elif kind == "dataclass_type":
        kind, ctx = "model_type", {"class_name": cls.__name__}
    details = InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    if ctx is not None:
        details["ctx"] = ctx
    return details


record = dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))


def fields_of(kind: Any) -> dict[str, FieldInfo] | None:
    """The fields of a model or record class, None for anything else: the keys a mapping takes."""
    return getattr(kind, "__pydantic_fields__", None) if isinstance(kind, type) else None


class Subnet(Strict):
    id: SubnetId
    az: AzName


def _cidr_as_text(value: object) -> object:
    # pydantic reads a number (or YAML's `true`, a bool) as a network address: /32 of it.
    if not isinstance(value, str | IPv4Network):
        raise PydanticCustomError(
            "vpc-cidr", "write the VPC's CIDR block as text, such as 10.10.0.0/16"
        )
    return value


def _vpc_sized(network: IPv4Network) -> IPv4Network:
    if not 16 <= network.prefixlen <= 28:
        raise PydanticCustomError(
            "vpc-cidr",
            "a VPC's CIDR block is /16 to /28 in AWS, not /{prefix}: write the VPC's block,"
            " such as 10.10.0.0/16",
            {"prefix": network.prefixlen},
        )
    return network


VpcCidr = Annotated[IPv4Network, BeforeValidator(_cidr_as_text), AfterValidator(_vpc_sized)]


class Network(Strict):
    vpc_id: VpcId
    cidr: VpcCidr
    subnets: list[Subnet] = Field(min_length=1)


class RegionStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"  # how a person declares a disaster: recovery stacks follow


class KafkaContinuity(StrEnum):
    """What carries Kafka across a region loss."""

    REPLICATE = "replicate"  # a standby MSK cluster per cell in the DR region, fed by Replicator
    NONE = "none"  # pilot light: producers replay into a new cluster


class Region(Strict):
    name: RegionName
    dr_partner: RegionName
    network: Network
    kafka_continuity: KafkaContinuity = KafkaContinuity.NONE
    status: RegionStatus = RegionStatus.ACTIVE
    lost_at: AwareDatetime | None = None  # required with status: lost (UTC offset included)


class NodePool(Strict):
    instance_type: InstanceType
    count: int = Field(strict=True, ge=1, le=1000)
    max_count: int | None = Field(strict=True, default=None, ge=1, le=1000)
    disk_gib: int = Field(strict=True, default=100, ge=20, le=16384)
    # Default: the Amazon Linux 2023 AMI of the instance type's architecture.
    ami_type: AmiType | None = None

    @property
    def max_size(self) -> int:
        return self.max_count if self.max_count is not None else self.count


class MskSize(Strict):
    broker_type: BrokerType
    brokers_per_az: int = Field(strict=True, ge=1, le=10)
    volume_gib: int = Field(strict=True, default=1000, ge=1, le=16384)


class CellSize(Strict):
    jobmanager: NodePool
    taskmanager: NodePool
    msk: MskSize
    capacity_units: int = Field(strict=True, ge=1, le=1_000_000)


class CellState(StrEnum):
    ACTIVE = "active"
    DRAINING = "draining"
    STANDBY = "standby"


@record
class Cell(_Record):
    id: Identifier
    region: RegionName
    size: Annotated[str, Shared]
    wave: int = Field(strict=True, ge=0, le=1000)
    state: CellState = CellState.ACTIVE


class Tier(StrEnum):
    CRITICAL = "critical"
    STANDARD = "standard"
    BATCH = "batch"


@record
class Topic(_Record):
    name: TopicName
    partitions: int = Field(strict=True, ge=1, le=10000)
    retention_hours: int = Field(strict=True, ge=1, le=87600)
    replication_factor: int = Field(strict=True, default=3, ge=3, le=9)
    min_insync_replicas: int = Field(strict=True, default=2, ge=2, le=8)
    configs: dict[str, str] = Field(default_factory=dict)


class StateSize(StrEnum):
    SMALL = "small"  # heap state backend
    LARGE = "large"  # RocksDB with incremental checkpoints


class UpgradeMode(StrEnum):
    """How the operator carries state across upgrades; `stateless` would drop it."""

    SAVEPOINT = "savepoint"
    LAST_STATE = "last-state"


@record
class TaskManagerResources(_Record):
    cpu: float = Field(strict=True, default=1.0, ge=0.25, le=64)
    memory_mb: int = Field(strict=True, default=4096, ge=1024, le=262144)
    slots: int = Field(strict=True, default=2, ge=1, le=64)


# Frozen, so every job that leaves `taskmanager` out can hold the same one.
DEFAULT_TASKMANAGER = TaskManagerResources()


@record
class Job(_Record):
    id: SharedIdentifier
    jar_uri: JarUri
    entry_class: JavaClass | None = None
    args: tuple[str, ...] = ()
    image: Image | None = None
    flink_version: FlinkVersion | None = None
    parallelism: int = Field(strict=True, ge=1, le=10000)
    taskmanager: TaskManagerResources = DEFAULT_TASKMANAGER
    state_size: StateSize = StateSize.SMALL
    upgrade_mode: UpgradeMode = UpgradeMode.SAVEPOINT
    capacity_units: int = Field(strict=True, ge=1, le=1_000_000)
    rpo_seconds: int = Field(strict=True, ge=10, le=86400)
    # Cross-region RPO: a region loss may cost at most this much processing (savepoints only).
    dr_rpo_seconds: int | None = Field(strict=True, default=None, ge=60, le=604800)


@record
class Tenant(_Record):
    id: Identifier
    home_region: RegionName
    tier: Tier
    shard_size: int = Field(strict=True, ge=1, le=64)
    pinned_cells: list[SharedIdentifier] | None = None
    flink_version: FlinkVersion | None = None
    topics: list[Topic] = Field(default_factory=list)
    jobs: list[Job] = Field(default_factory=list)


class KafkaSettings(Strict):
    version: KafkaVersion = "3.9.x"
    # Flink's KafkaSink must outlive the longest checkpoint plus a restart, or a pending
    # transaction is aborted and its records are lost; the broker must allow at least that much.
    sink_transaction_timeout_minutes: int = Field(strict=True, default=60, ge=1, le=1440)
    broker_transaction_max_timeout_minutes: int = Field(strict=True, default=75, ge=1, le=1440)


class JobManagerResources(Strict):
    cpu: float = Field(strict=True, default=1.0, ge=0.25, le=16)
    memory_mb: int = Field(strict=True, default=2048, ge=1024, le=65536)


class FlinkSettings(Strict):
    version: FlinkVersion = "1.20.1"
    # Default image: the official one for the version; a job's `image` overrides it.
    image: Image | None = None
    jobmanager: JobManagerResources = Field(default_factory=JobManagerResources)


class DrRpoByTier(Strict):
    """Default DR RPO of each tier's jobs; a job's own dr_rpo_seconds overrides it."""

    critical: int = Field(strict=True, default=1800, ge=60, le=604800)
    standard: int = Field(strict=True, default=3600, ge=60, le=604800)
    batch: int = Field(strict=True, default=14400, ge=60, le=604800)


class RolloutSettings(Strict):
    """How `cellctl rollout` paces the fleet: bake time after each wave, and the job check."""

    # Bake after a wave, before its health gates; waves not listed bake `default_bake`.
    bake: dict[Annotated[int, Field(ge=0)], Duration] = Field(default_factory=dict)
    default_bake: Duration = "1h"
    # argv of a command that exits 0 when every Flink job of a cell is running; it may name
    # {fleet}, {cell}, {region} and {cluster} (the cell's EKS cluster).
    job_check: list[Annotated[str, StringConstraints(min_length=1)]] | None = Field(
        default=None, min_length=1
    )
    job_check_timeout: Duration = "5m"


class FleetSettings(Strict):
    name: Identifier
    production: bool = Field(default=True, strict=True)
    noncurrent_version_days: int = Field(strict=True, default=30, ge=1, le=3650)
    kubernetes_version: KubernetesVersion = "1.33"
    # No two tenants' shards in a region share more than this many cells (None: no bound).
    max_overlap: int | None = Field(strict=True, default=None, ge=1, le=16)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    flink: FlinkSettings = Field(default_factory=FlinkSettings)
    # Shared, read-only buckets that `s3://` jar URIs may name; every tenant role reads them.
    artifact_buckets: list[BucketName] = Field(default_factory=list)
    dr_rpo_seconds: DrRpoByTier = Field(default_factory=DrRpoByTier)
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)


class Fleet(Strict):
    fleet: FleetSettings
    regions: list[Region] = Field(min_length=1)
    sizes: dict[Identifier, CellSize] = Field(min_length=1)
    cells: list[Cell] = Field(min_length=1)
    tenants: list[Tenant] = Field(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _one_copy_of_each_text(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Repeated text is kept once through a table that lives only while the fleet is
        validated: `sys.intern` would keep an entry (about 50 bytes) for every text, even the
        ones that never repeat, such as a jar URI per job, for as long as the fleet lives."""
        token = _kept_texts.set({})
        try:
            return handler(data)
        finally:
            _kept_texts.reset(token)

    @property
    def name(self) -> str:
        return self.fleet.name

    # Lookups by id are indexed once per fleet: callers look up every tenant of a cell, or every
    # cell of every shard, and a scan each time makes those loops grow with the fleet. An index
    # remembers the list it was built from, so a copy with other cells or tenants rebuilds it.
    # The first declaration of an id wins, as the scans did (duplicates are validation errors).
    def region(self, name: str) -> Region:
        return _index(self, "regions", lambda r: r.name)[name]

    def cell(self, cell_id: str) -> Cell | None:
        return _index(self, "cells", lambda c: c.id).get(cell_id)

    def tenant(self, tenant_id: str) -> Tenant | None:
        return _index(self, "tenants", lambda t: t.id).get(tenant_id)

    def cells_in(self, region: str) -> list[Cell]:
        grouped = _index(self, "cells", lambda c: c.region, group=True)
        return list(grouped.get(region, ()))

    def declared_region(self, name: str) -> Region | None:
        return _index(self, "regions", lambda r: r.name).get(name)

    def lost_regions(self) -> list[Region]:
        return [r for r in self.regions if r.status == RegionStatus.LOST]

    def dr_rpo_seconds(self, tenant: Tenant, job: Job) -> int:
        if job.dr_rpo_seconds is not None:
            return job.dr_rpo_seconds
        return int(getattr(self.fleet.dr_rpo_seconds, tenant.tier.value))


def _index(
    fleet: Fleet, field: str, key: Callable[[Any], str], *, group: bool = False
) -> dict[str, Any]:
    items = getattr(fleet, field)
    cache = fleet.__dict__.setdefault("_indexes", {})  # beside the fields; never validated
    found = cache.get((field, group))
    if found is None or found[0] is not items:
        index: dict[str, Any] = {}
        for item in items:
            if group:
                index.setdefault(key(item), []).append(item)
            else:
                index.setdefault(key(item), item)
        found = cache[(field, group)] = (items, index)
    return found[1]
