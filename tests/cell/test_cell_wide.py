"""Properties of a whole cell: tags, regions, protection, and sharing nothing with other cells."""

from __future__ import annotations

import inspect
from functools import cache

import pulumi_aws

from cells.model import Fleet, KafkaContinuity
from tests.helpers import PlannedStack

CELL_TAGS = {"fleet", "region", "cell", "managed-by"}
STATEFUL = {
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "aws:msk/cluster:Cluster",
    "aws:eks/cluster:Cluster",
    "aws:msk/topic:Topic",
}


@cache
def _taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource class of this type token takes a `tags` input."""
    _, module_path, class_name = type_token.split(":")
    module = getattr(pulumi_aws, module_path.split("/")[0])
    cls = getattr(module, class_name)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_carries_the_cell_tags(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    tagged = 0
    for resource in cell_plan.resources:
        if not resource["type"].startswith("aws:") or not _taggable(resource["type"]):
            continue
        tags = resource["inputs"].get("tags", {})
        assert set(tags) >= CELL_TAGS, f"{resource['urn']} lacks {CELL_TAGS - set(tags)}"
        assert (tags["fleet"], tags["region"], tags["cell"]) == ("payments", cell.region, cell.id)
        tagged += 1
    assert tagged >= 15


def test_tenant_resources_carry_the_tenant_tag(cell_plan: PlannedStack) -> None:
    for role in cell_plan.of_type("aws:iam/role:Role"):
        if "-tenant-" in role["name"]:
            tenant = role["name"].split("-tenant-", 1)[1].removesuffix("-role")
            assert role["inputs"]["tags"]["tenant"] == tenant, role["urn"]


# The standby MSK cluster and its replicator (kafka_continuity: replicate) live in the DR region.
STANDBY_IN_DR = {
    "kafka-configuration",
    "kafka-brokers",
    "kafka-broker-logs",
    "kafka-cluster",
    "replicator-target",
    "replicator",
    "replicator-role",
    "replicator-policy",
}


def test_every_aws_resource_has_an_explicit_region_provider(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    dr_region = example_fleet.region(cell.region).dr_partner
    providers = {p["urn"]: p for p in cell_plan.of_type("pulumi:providers:aws")}
    assert {p["inputs"]["region"] for p in providers.values()} == {cell.region, dr_region}
    in_dr = set()
    for resource in cell_plan.resources:
        if not resource["type"].startswith("aws:"):
            continue
        assert resource["provider"] in providers, f"{resource['urn']} uses a default provider"
        assert resource["region"] == providers[resource["provider"]]["inputs"]["region"]
        if resource["region"] == dr_region:
            in_dr.add(resource["name"].removeprefix(f"{cell.id}-checkpoints-"))
    standby = {n for n in in_dr if n.startswith(f"{cell.id}-standby-")}
    if example_fleet.region(cell.region).kafka_continuity == KafkaContinuity.REPLICATE:
        assert {f"{cell.id}-standby-{n}" for n in STANDBY_IN_DR} == standby
    else:
        assert not standby
    assert in_dr - standby == {
        "replica",
        "replica-versioning",
        "replica-encryption",
        "replica-public-access-block",
        "replica-ownership",
        "replica-policy",
        "replica-lifecycle",
        "replica-key",
        "replica-key-alias",
    }


def test_stateful_resources_are_protected(cell_plan: PlannedStack) -> None:
    stateful = [r for r in cell_plan.resources if r["type"] in STATEFUL]
    assert len(stateful) >= 6
    for resource in stateful:
        assert resource["protect"], f"{resource['urn']} is not protected"


def test_cells_share_nothing(example_plans: dict[str, PlannedStack]) -> None:
    """No physical name of one cell appears in another cell's inputs."""
    names_by_cell = {
        stack: {
            r["inputs"][key]
            for r in plan.resources
            for key in ("bucket", "name", "clusterName")
            if r["type"].startswith("aws:")
            and isinstance(r["inputs"].get(key), str)
            and r["type"] != "aws:msk/topic:Topic"
        }
        for stack, plan in example_plans.items()
    }
    for stack, plan in example_plans.items():
        text = repr([r["inputs"] for r in plan.resources])
        for other, names in names_by_cell.items():
            if other == stack:
                continue
            leaked = sorted(n for n in names if f"'{n}'" in text or f"/{n}" in text)
            assert not leaked, f"{stack} references {other}'s {leaked}"


def test_component_tree_follows_pulumi_conventions(cell_plan: PlannedStack) -> None:
    stack = cell_plan.stack
    [cell] = cell_plan.of_type("flinkcells:index:FlinkCell")
    components = [r for r in cell_plan.resources if r["type"].startswith("flinkcells:")]
    assert {c["type"] for c in components} >= {
        "flinkcells:checkpoint:CheckpointStore",
        "flinkcells:compute:Compute",
        "flinkcells:kafka:Kafka",
        "flinkcells:identity:TenantIdentity",
    }
    for resource in cell_plan.resources:
        if resource is cell:
            continue
        assert resource["name"].startswith(f"{stack}-"), resource["urn"]
        assert resource["parent"], f"{resource['urn']} has no parent"
