"""Cross-field checks of a structurally valid fleet; each problem has a short code (README)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from string import Formatter

from cells.aws_names import KAFKA_TOPIC, KNOWN_REGIONS, S3_BUCKET, cell_names, tenant_names
from cells.disaster import (
    REPLICATION_LAG_BUDGET_SECONDS,
    dr_rpo_met_by_design,
    recovery_stack,
    smallest_dr_rpo_seconds,
)
from cells.instance_types import ami_architecture, instance_type
from cells.model import (
    Cell,
    CellState,
    Fleet,
    KafkaContinuity,
    NodePool,
    RegionStatus,
    Tenant,
)
from cells.msk import KAFKA_VERSIONS
from cells.problems import Problem

MIN_AZS = 3
# Topic settings that have their own fields, or that would break the durability promise.
RESERVED_TOPIC_CONFIGS = {
    "min.insync.replicas": "use the topic's min_insync_replicas field",
    "retention.ms": "use the topic's retention_hours field",
    "unclean.leader.election.enable": "unclean leader election loses acknowledged records",
}


def check_fleet(fleet: Fleet) -> list[Problem]:
    """Every cross-field problem of the fleet, in file order."""
    return [
        *_duplicates(fleet),
        *_regions(fleet),
        *_disaster(fleet),
        *_sizes(fleet),
        *_pools(fleet),
        *_cells(fleet),
        *_tenants(fleet),
        *_dr_rpos(fleet),
        *_kafka(fleet),
        *_kafka_version(fleet),
        *_names(fleet),
        *_artifacts(fleet),
        *_rollout(fleet),
    ]


def _dupes(values: list[str], location: str, what: str) -> Iterator[Problem]:
    counts = Counter(values)
    seen: set[str] = set()
    for index, value in enumerate(values):
        if counts[value] > 1 and value in seen:
            yield Problem(
                f"{location}.{index}",
                "duplicate-id",
                f"{what} '{value}' is declared more than once; {what}s must be unique",
            )
        seen.add(value)


def _duplicates(fleet: Fleet) -> Iterator[Problem]:
    yield from _dupes([r.name for r in fleet.regions], "regions", "region")
    yield from _dupes([c.id for c in fleet.cells], "cells", "cell id")
    yield from _dupes([t.id for t in fleet.tenants], "tenants", "tenant id")
    for ti, tenant in enumerate(fleet.tenants):
        yield from _dupes([j.id for j in tenant.jobs], f"tenants.{ti}.jobs", "job id")
        yield from _dupes([t.name for t in tenant.topics], f"tenants.{ti}.topics", "topic name")
        if tenant.pinned_cells:
            yield from _dupes(tenant.pinned_cells, f"tenants.{ti}.pinned_cells", "pinned cell")
    for ri, region in enumerate(fleet.regions):
        yield from _dupes(
            [s.id for s in region.network.subnets], f"regions.{ri}.network.subnets", "subnet"
        )


def _regions(fleet: Fleet) -> Iterator[Problem]:
    for ri, region in enumerate(fleet.regions):
        where = f"regions.{ri}"
        if region.name not in KNOWN_REGIONS:
            yield Problem(
                f"{where}.name",
                "unknown-region",
                f"'{region.name}' is not an AWS region that offers EKS, MSK and S3 RTC",
            )
        if region.dr_partner == region.name:
            yield Problem(
                f"{where}.dr_partner",
                "dr-partner-self",
                f"region '{region.name}' names itself as DR partner; "
                "choose a different region so a regional outage cannot take both",
            )
        elif region.dr_partner not in KNOWN_REGIONS:
            yield Problem(
                f"{where}.dr_partner",
                "unknown-region",
                f"DR partner '{region.dr_partner}' is not a known AWS region",
            )
        azs: set[str] = set()
        for si, subnet in enumerate(region.network.subnets):
            if not subnet.az.startswith(region.name):
                yield Problem(
                    f"{where}.network.subnets.{si}.az",
                    "az-outside-region",
                    f"availability zone '{subnet.az}' is not in region '{region.name}'",
                )
            azs.add(subnet.az)
        if len(azs) < MIN_AZS:
            yield Problem(
                f"{where}.network.subnets",
                "too-few-azs",
                f"private subnets span {len(azs)} availability zone(s) ({', '.join(sorted(azs))});"
                f" a cell needs subnets in at least {MIN_AZS} AZs to survive an AZ loss",
            )


def _disaster(fleet: Fleet) -> Iterator[Problem]:
    """A lost region must be declared with its time and be recoverable in a healthy partner."""
    for ri, region in enumerate(fleet.regions):
        where = f"regions.{ri}"
        lost = region.status == RegionStatus.LOST
        if lost and region.lost_at is None:
            yield Problem(
                f"{where}.lost_at",
                "lost-without-time",
                f"region '{region.name}' is declared lost without lost_at; add the time it was "
                "lost (e.g. 2026-11-24T09:30:00Z): readiness and RPOs are measured against it",
            )
        if not lost and region.lost_at is not None:
            yield Problem(
                f"{where}.lost_at",
                "lost-at-while-active",
                f"region '{region.name}' has lost_at but status {region.status.value}; "
                "set status: lost, or remove lost_at",
            )
        replicate = region.kafka_continuity == KafkaContinuity.REPLICATE
        if (lost or replicate) and region.dr_partner != region.name:
            partner = fleet.declared_region(region.dr_partner)
            needs = "its cells' recovery" if lost else "the standby MSK clusters"
            if partner is None:
                yield Problem(
                    f"{where}.dr_partner",
                    "dr-partner-undeclared",
                    f"DR partner '{region.dr_partner}' of '{region.name}' is not declared under "
                    f"regions; declare it with its network: {needs} need a VPC there",
                )
            elif lost and partner.status == RegionStatus.LOST:
                yield Problem(
                    f"{where}.status",
                    "dr-partner-lost",
                    f"'{region.name}' and its DR partner '{partner.name}' are both lost; "
                    "nothing is left to recover into: restore from backups by hand",
                )


def _sizes(fleet: Fleet) -> Iterator[Problem]:
    for name, size in fleet.sizes.items():
        for pool_name in ("jobmanager", "taskmanager"):
            pool = getattr(size, pool_name)
            if pool.max_size < pool.count:
                yield Problem(
                    f"sizes.{name}.{pool_name}.max_count",
                    "pool-max-below-count",
                    f"max_count {pool.max_count} is below count {pool.count}; raise it or drop it",
                )


def _cells(fleet: Fleet) -> Iterator[Problem]:
    declared = [r.name for r in fleet.regions]
    for ci, cell in enumerate(fleet.cells):
        if cell.region not in declared:
            yield Problem(
                f"cells.{ci}.region",
                "unknown-region",
                f"region '{cell.region}' is not declared under regions "
                f"(declared: {', '.join(declared)})",
            )
        if cell.size not in fleet.sizes:
            yield Problem(
                f"cells.{ci}.size",
                "unknown-size",
                f"size '{cell.size}' is not declared under sizes "
                f"(declared: {', '.join(sorted(fleet.sizes))})",
            )


class _RegionFacts:
    """What the per-tenant checks ask of a tenant's home region, worked out once per region:
    asked per tenant, each was a scan of the region's cells (a million steps at 10,000 tenants
    in 100 cells)."""

    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet
        self._active: dict[str, int] = {}
        self._brokers: dict[str, int | None] = {}
        self._largest: dict[str, int | None] = {}
        self._pools: dict[str, dict[str, NodePool]] = {}

    def active_cells(self, region: str) -> int:
        if region not in self._active:
            cells = self._fleet.cells_in(region)
            self._active[region] = sum(1 for c in cells if c.state == CellState.ACTIVE)
        return self._active[region]

    def smallest_brokers(self, region: str) -> int | None:
        if region not in self._brokers:
            self._brokers[region] = _smallest_brokers(self._fleet, self._fleet.cells_in(region))
        return self._brokers[region]

    def active_pools(self, region: str) -> dict[str, NodePool]:
        if region not in self._pools:
            cells = self._fleet.cells_in(region)
            self._pools[region] = _taskmanager_pools(
                self._fleet, [c for c in cells if c.state == CellState.ACTIVE]
            )
        return self._pools[region]

    def largest_capacity(self, region: str) -> int | None:
        if region not in self._largest:
            capacities = [
                self._fleet.sizes[c.size].capacity_units
                for c in self._fleet.cells_in(region)
                if c.size in self._fleet.sizes
            ]
            self._largest[region] = max(capacities, default=None)
        return self._largest[region]


def _taskmanager_pools(fleet: Fleet, cells: list[Cell]) -> dict[str, NodePool]:
    return {c.size: fleet.sizes[c.size].taskmanager for c in cells if c.size in fleet.sizes}


def _smallest_brokers(fleet: Fleet, cells: list[Cell]) -> int | None:
    sizes = [fleet.sizes[c.size] for c in cells if c.size in fleet.sizes]
    return min((s.msk.brokers_per_az * MIN_AZS for s in sizes), default=None)


def _tenants(fleet: Fleet) -> Iterator[Problem]:
    declared = [r.name for r in fleet.regions]
    facts = _RegionFacts(fleet)
    homed: dict[str, list[str]] = {}
    for tenant in fleet.tenants:
        homed.setdefault(tenant.home_region, []).append(tenant.id)
    for ti, tenant in enumerate(fleet.tenants):
        where = f"tenants.{ti}"
        if tenant.home_region not in declared:
            yield Problem(
                f"{where}.home_region",
                "unknown-region",
                f"home region '{tenant.home_region}' is not declared under regions "
                f"(declared: {', '.join(declared)})",
            )
            continue
        active = facts.active_cells(tenant.home_region)
        if active == 0:
            # One problem per region, at its first tenant: no shard_size fixes an empty region.
            if homed[tenant.home_region][0] == tenant.id:
                yield _region_without_active_cells(fleet, tenant.home_region, where, homed, facts)
        elif tenant.shard_size > active:
            yield Problem(
                f"{where}.shard_size",
                "shard-too-large",
                f"shard size {tenant.shard_size} is larger than the {active} active cell(s) "
                f"of {tenant.home_region}; lower shard_size or add cells to the region",
            )
        yield from _pins(fleet, tenant, where)
        yield from _topics(fleet, tenant, where, facts)
        yield from _jobs(tenant, where, facts)
        yield from _taskmanagers_fit(fleet, tenant, where, facts)


def _region_without_active_cells(
    fleet: Fleet, region: str, where: str, homed: dict[str, list[str]], facts: _RegionFacts
) -> Problem:
    cells = fleet.cells_in(region)
    states = Counter(c.state for c in cells)
    tenants = homed[region]
    named = ", ".join(tenants[:3]) + (f" and {len(tenants) - 3} more" if len(tenants) > 3 else "")
    targets = sorted(
        r.name for r in fleet.regions if r.name != region and facts.active_cells(r.name)
    )
    move = f" ({', '.join(targets)})" if targets else ""
    held = (
        f"no active cell ({len(cells)} cell(s): {states[CellState.DRAINING]} draining, "
        f"{states[CellState.STANDBY]} standby)"
        if cells
        else "no cells"
    )
    fix = "add or un-drain" if cells else "add"
    return Problem(
        f"{where}.home_region",
        "region-without-active-cells",
        f"region {region} has {held} but is the "
        f"home region of {len(tenants)} tenant(s): {named}; {fix} a cell in {region}, "
        f"or move their home_region to a region with active cells{move}",
    )


def _pins(fleet: Fleet, tenant: Tenant, where: str) -> Iterator[Problem]:
    if tenant.pinned_cells is None:
        return
    if len(tenant.pinned_cells) != tenant.shard_size:
        yield Problem(
            f"{where}.pinned_cells",
            "pin-count",
            f"{len(tenant.pinned_cells)} pinned cell(s) but shard_size is {tenant.shard_size}; "
            "pin exactly shard_size cells",
        )
    for pi, cell_id in enumerate(tenant.pinned_cells):
        cell = fleet.cell(cell_id)
        if cell is None:
            yield Problem(
                f"{where}.pinned_cells.{pi}",
                "unknown-cell",
                f"pinned cell '{cell_id}' is not declared under cells",
            )
        elif cell.region != tenant.home_region:
            yield Problem(
                f"{where}.pinned_cells.{pi}",
                "pin-other-region",
                f"pinned cell '{cell_id}' is in {cell.region}, not in the tenant's home region "
                f"{tenant.home_region}; pin a cell of {tenant.home_region}",
            )
        elif cell.state != CellState.ACTIVE:
            yield Problem(
                f"{where}.pinned_cells.{pi}",
                "pin-inactive-cell",
                f"pinned cell '{cell_id}' is {cell.state.value}; pin an active cell",
            )


def _topics(fleet: Fleet, tenant: Tenant, where: str, facts: _RegionFacts) -> Iterator[Problem]:
    pinned = [c for c in (fleet.cell(c) for c in tenant.pinned_cells or []) if c is not None]
    brokers = (
        _smallest_brokers(fleet, pinned) if pinned else facts.smallest_brokers(tenant.home_region)
    )
    for oi, topic in enumerate(tenant.topics):
        at = f"{where}.topics.{oi}"
        if topic.min_insync_replicas >= topic.replication_factor:
            yield Problem(
                f"{at}.min_insync_replicas",
                "topic-min-isr",
                f"min_insync_replicas {topic.min_insync_replicas} must be below replication_factor "
                f"{topic.replication_factor}, or one broker restart stops all writes",
            )
        if brokers is not None and topic.replication_factor > brokers:
            yield Problem(
                f"{at}.replication_factor",
                "topic-rf-exceeds-brokers",
                f"replication_factor {topic.replication_factor} exceeds the {brokers} brokers of "
                f"the smallest cell it can be placed in",
            )
        for key in sorted(topic.configs):
            if key in RESERVED_TOPIC_CONFIGS:
                yield Problem(
                    f"{at}.configs.{key}",
                    "topic-reserved-config",
                    f"'{key}' cannot be set in configs: {RESERVED_TOPIC_CONFIGS[key]}",
                )
        problem = KAFKA_TOPIC.violation(f"{tenant.id}.{topic.name}")
        if problem:
            yield Problem(f"{at}.name", "aws-name", problem)


def _jobs(tenant: Tenant, where: str, facts: _RegionFacts) -> Iterator[Problem]:
    largest = facts.largest_capacity(tenant.home_region)
    for ji, job in enumerate(tenant.jobs):
        if largest is not None and job.capacity_units > largest:
            yield Problem(
                f"{where}.jobs.{ji}.capacity_units",
                "job-too-large",
                f"job needs {job.capacity_units} capacity units but the largest cell of "
                f"{tenant.home_region} holds {largest}; split the job or add a larger cell size",
            )


def _dr_rpos(fleet: Fleet) -> Iterator[Problem]:
    floor = smallest_dr_rpo_seconds()
    budget = REPLICATION_LAG_BUDGET_SECONDS
    why = (
        f"a savepoint interval (at least {floor - budget} s) plus S3 Replication Time Control's "
        f"{budget // 60}-minute replication lag budget must fit inside it; "
        f"use at least {floor}"
    )
    for tier, value in fleet.fleet.dr_rpo_seconds.model_dump().items():
        if not dr_rpo_met_by_design(value):
            yield Problem(
                f"fleet.dr_rpo_seconds.{tier}",
                "dr-rpo-unmeetable",
                f"DR RPO {value} s of tier {tier} cannot be met: {why}",
            )
    for ti, tenant in enumerate(fleet.tenants):
        for ji, job in enumerate(tenant.jobs):
            if job.dr_rpo_seconds is not None and not dr_rpo_met_by_design(job.dr_rpo_seconds):
                yield Problem(
                    f"tenants.{ti}.jobs.{ji}.dr_rpo_seconds",
                    "dr-rpo-unmeetable",
                    f"DR RPO {job.dr_rpo_seconds} s cannot be met: {why}",
                )


def _kafka(fleet: Fleet) -> Iterator[Problem]:
    kafka = fleet.fleet.kafka
    if kafka.broker_transaction_max_timeout_minutes <= kafka.sink_transaction_timeout_minutes:
        yield Problem(
            "fleet.kafka.broker_transaction_max_timeout_minutes",
            "transaction-timeout",
            f"the brokers' transaction.max.timeout ({kafka.broker_transaction_max_timeout_minutes}"
            f" min) must exceed the Flink sink's transaction timeout "
            f"({kafka.sink_transaction_timeout_minutes} min), or exactly-once sinks fail to start",
        )


def _names(fleet: Fleet) -> Iterator[Problem]:
    lost = {r.name for r in fleet.lost_regions()}
    for ci, cell in enumerate(fleet.cells):
        ids = [cell.id, recovery_stack(cell.id)] if cell.region in lost else [cell.id]
        names = [pair for cell_id in ids for pair in cell_names(fleet.name, cell_id).rules()]
        for rule, name in names:
            problem = rule.violation(name)
            if problem:
                yield Problem(
                    f"cells.{ci}.id",
                    "aws-name",
                    f"{problem}; shorten the cell id or the fleet name",
                )
    # The longest cell id gives the longest names: found once per region, not per tenant.
    longest_in: dict[str, str | None] = {}
    for ti, tenant in enumerate(fleet.tenants):
        region = tenant.home_region
        if region not in longest_in:
            ids = [c.id for c in fleet.cells_in(region)]
            longest = max(ids, key=len) if ids else None
            longest_in[region] = recovery_stack(longest) if longest and region in lost else longest
        longest = longest_in[region]
        if longest is None:
            continue
        for rule, name in tenant_names(fleet.name, longest, tenant.id).rules():
            problem = rule.violation(name)
            if problem:
                yield Problem(
                    f"tenants.{ti}.id",
                    "aws-name",
                    f"{problem} in cell '{longest}'; shorten the tenant id",
                )


def _artifacts(fleet: Fleet) -> Iterator[Problem]:
    """Shared artifact buckets: valid names, never a cell's own; every s3:// jar in one."""
    declared = fleet.fleet.artifact_buckets
    yield from _dupes(declared, "fleet.artifact_buckets", "artifact bucket")
    checkpoint_buckets = {
        name
        for cell in fleet.cells
        for name in (
            cell_names(fleet.name, cell.id).checkpoint_bucket,
            cell_names(fleet.name, cell.id).replica_bucket,
        )
    }
    for bi, bucket in enumerate(declared):
        problem = S3_BUCKET.violation(bucket)
        if problem:
            yield Problem(f"fleet.artifact_buckets.{bi}", "aws-name", problem)
        if bucket in checkpoint_buckets:
            yield Problem(
                f"fleet.artifact_buckets.{bi}",
                "artifact-bucket-is-checkpoint-bucket",
                f"'{bucket}' is a cell's checkpoint bucket: every tenant role would read it; "
                "name a bucket that holds only job artifacts",
            )
    for ti, tenant in enumerate(fleet.tenants):
        for ji, job in enumerate(tenant.jobs):
            if not job.jar_uri.startswith("s3://"):
                continue
            bucket = job.jar_uri.removeprefix("s3://").split("/", 1)[0]
            if bucket not in declared:
                yield Problem(
                    f"tenants.{ti}.jobs.{ji}.jar_uri",
                    "jar-bucket-undeclared",
                    f"the jar's bucket '{bucket}' is not under fleet.artifact_buckets, so the "
                    "tenant's role cannot read it; declare it there",
                )


JOB_CHECK_FIELDS = ("fleet", "cell", "region", "cluster")


def _rollout(fleet: Fleet) -> Iterator[Problem]:
    rollout = fleet.fleet.rollout
    waves = sorted({c.wave for c in fleet.cells})
    for wave in rollout.bake:
        if wave not in waves:
            yield Problem(
                f"fleet.rollout.bake.{wave}",
                "unknown-wave",
                f"no cell is in wave {wave} (waves: {', '.join(map(str, waves))}); "
                "remove the entry or fix the wave number",
            )
    for ai, arg in enumerate(rollout.job_check or []):
        try:
            fields = [name for _, name, _, _ in Formatter().parse(arg) if name is not None]
        except ValueError as error:
            fields, bad = [], f"unbalanced braces ({error})"
        else:
            unknown = [f for f in fields if f not in JOB_CHECK_FIELDS]
            bad = f"unknown placeholder {{{unknown[0]}}}" if unknown else ""
        if bad:
            yield Problem(
                f"fleet.rollout.job_check.{ai}",
                "job-check-placeholder",
                f"{bad} in '{arg}'; placeholders: "
                + ", ".join(f"{{{f}}}" for f in JOB_CHECK_FIELDS),
            )


def _pools(fleet: Fleet) -> Iterator[Problem]:
    """Each node pool's instance type is one cellctl can size, and its AMI runs on it."""
    for name, size in fleet.sizes.items():
        for pool_name in ("jobmanager", "taskmanager"):
            pool = getattr(size, pool_name)
            where = f"sizes.{name}.{pool_name}"
            offered = instance_type(pool.instance_type)
            if offered is None:
                yield Problem(
                    f"{where}.instance_type",
                    "unknown-instance-type",
                    f"cellctl cannot size '{pool.instance_type}' (it checks that jobs fit the "
                    "pool); use an m, c or r family type such as r7i.2xlarge or r7g.2xlarge",
                )
                continue
            if pool.ami_type is not None and ami_architecture(pool.ami_type) != (
                offered.architecture
            ):
                yield Problem(
                    f"{where}.ami_type",
                    "ami-architecture",
                    f"AMI type {pool.ami_type} runs on {ami_architecture(pool.ami_type)} but "
                    f"{pool.instance_type} is {offered.architecture}: use {offered.ami_type}, "
                    "or drop ami_type to have it chosen from the instance type",
                )


def _taskmanagers_fit(
    fleet: Fleet, tenant: Tenant, where: str, facts: _RegionFacts
) -> Iterator[Problem]:
    """A job's TaskManagers (parallelism / slots of them, each at its declared resources) fit
    the TaskManager pool at its maximum size in every cell the job can be placed in."""
    pinned = [c for c in (fleet.cell(c) for c in tenant.pinned_cells or []) if c is not None]
    pools = _taskmanager_pools(fleet, pinned) if pinned else facts.active_pools(tenant.home_region)
    for ji, job in enumerate(tenant.jobs):
        tm = job.taskmanager
        count = math.ceil(job.parallelism / tm.slots)
        for size_name, pool in sorted(pools.items()):
            node = instance_type(pool.instance_type)
            if node is None:
                continue
            cpu, memory = count * tm.cpu, count * tm.memory_mb
            pool_cpu, pool_memory = pool.max_size * node.vcpus, pool.max_size * node.memory_mib
            at = f"{where}.jobs.{ji}"
            if tm.cpu > node.vcpus or tm.memory_mb > node.memory_mib:
                yield Problem(
                    f"{at}.taskmanager",
                    "taskmanager-exceeds-node",
                    f"a TaskManager of {tm.cpu:g} CPU and {tm.memory_mb} MiB does not fit one "
                    f"{pool.instance_type} node ({node.vcpus} vCPU, {node.memory_mib} MiB) of "
                    f"size '{size_name}': use smaller TaskManagers or a larger instance type",
                )
            elif cpu > pool_cpu or memory > pool_memory:
                yield Problem(
                    f"{at}.parallelism",
                    "job-exceeds-taskmanager-pool",
                    f"parallelism {job.parallelism} at {tm.slots} slots needs {count} "
                    f"TaskManagers: {cpu:g} CPU and {memory} MiB, more than the TaskManager "
                    f"pool of size '{size_name}' holds at max_count {pool.max_size} "
                    f"({pool_cpu} vCPU, {pool_memory} MiB): lower parallelism, raise slots, "
                    "or raise the pool's max_count or instance type",
                )
            else:
                continue
            break


def _kafka_version(fleet: Fleet) -> Iterator[Problem]:
    version = fleet.fleet.kafka.version
    if version in KAFKA_VERSIONS:
        return
    hint = ""
    if f"{version}.kraft" in KAFKA_VERSIONS and version.startswith("4."):
        hint = f" (Kafka 4 runs in KRaft mode only: {version}.kraft)"
    yield Problem(
        "fleet.kafka.version",
        "kafka-version",
        f"'{version}' is not a Kafka version MSK accepts for a new cluster with managed "
        f"topics{hint}; accepted: {', '.join(KAFKA_VERSIONS)}",
    )
