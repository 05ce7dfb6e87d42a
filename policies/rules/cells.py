"""Cells: stateful resources protected, nothing shared between cells, every resource tagged."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.core import Report, Resource, Stack, resource_rule, stack_rule

STATEFUL = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:msk/cluster:Cluster",
        "aws:eks/cluster:Cluster",
    }
)
# The taggable AWS types a cell creates (each takes `tags`); tagging untaggable ones fails.
TAGGABLE = frozenset(
    {
        *STATEFUL,
        "aws:iam/role:Role",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    }
)
REQUIRED_TAGS = ("fleet", "region", "cell", "managed-by")


@resource_rule(
    "DUR-CELL-1",
    "stateful-resources-protected",
    "Buckets, KMS keys, MSK and EKS clusters are protected from deletion and replacement.",
    "critical",
    "Create them with protect=True (flink-cells does unless the fleet is non-production).",
    types=STATEFUL,
    config={"production": {"type": "boolean", "default": True}},
)
def protected(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    if config["production"] and not resource.protect:
        report(
            f"{resource.name} holds state but is not protected: a preview could delete or "
            "replace it",
            resource,
        )


@resource_rule(
    "SEC-CELL-1",
    "resources-tagged",
    "Every taggable resource carries the fleet, region, cell and managed-by tags.",
    "medium",
    "Pass the cell's tags to the resource.",
    types=TAGGABLE,
)
def tagged(resource: Resource, config: Mapping[str, Any], report: Report) -> None:
    missing = [tag for tag in REQUIRED_TAGS if not resource.tags.get(tag)]
    if missing:
        report(f"{resource.name} lacks tags: {', '.join(missing)}", resource)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@stack_rule(
    "SEC-CELL-2",
    "cell-isolation",
    "No resource of a cell names another cell's buckets, clusters or roles.",
    "critical",
    "Use only this cell's resources; cells share nothing.",
)
def isolated(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    tagged = [r.tags for r in stack.resources if r.tags.get("fleet") and r.tags.get("cell")]
    if not tagged:
        return
    fleet, cell = str(tagged[0]["fleet"]), str(tagged[0]["cell"])
    # Physical names are <fleet>-<cell>[-...]: any other <fleet>-... name is another cell's.
    names = re.compile(rf"(?<![\w-]){re.escape(fleet)}-([\w.-]+)")
    ours = re.compile(rf"{re.escape(cell)}(?![\w])")
    for resource in stack.resources:
        for text in _strings(resource.props):
            foreign = [n for n in names.findall(text) if not ours.match(n)]
            if foreign:
                report(
                    f"{resource.name} references {fleet}-{foreign[0]}, outside cell {cell}",
                    resource,
                )
                break


DURABILITY = [protected]
SECURITY = [tagged, isolated]
