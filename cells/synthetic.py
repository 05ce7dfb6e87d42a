"""Synthetic fleets of any size, for benchmarks and large-scale tests."""

from __future__ import annotations

from typing import Any

REGION_PAIRS = [
    ("us-east-1", "us-west-2"),
    ("us-west-2", "us-east-1"),
    ("eu-west-1", "eu-central-1"),
    ("eu-central-1", "eu-west-1"),
    ("ap-southeast-1", "ap-southeast-2"),
    ("ap-northeast-1", "ap-northeast-3"),
    ("ca-central-1", "us-east-2"),
    ("sa-east-1", "us-east-1"),
]

SIZES: dict[str, Any] = {
    "standard": {
        "jobmanager": {"instance_type": "m7i.large", "count": 2, "max_count": 3},
        "taskmanager": {"instance_type": "r7i.2xlarge", "count": 6, "max_count": 12},
        "msk": {"broker_type": "kafka.m7g.xlarge", "brokers_per_az": 1},
        "capacity_units": 100,
    }
}


JOB = {
    "jar_uri": "local:///opt/flink/usrlib/job.jar",
    "parallelism": 4,
    "capacity_units": 1,
    "rpo_seconds": 60,
}


def synthetic_fleet(
    regions: int,
    cells_per_region: int,
    tenants_per_region: int,
    shard_size: int = 2,
    capacity_units: int = 100,
) -> dict[str, Any]:
    """Fleet-file data (a dict, as YAML would give) with one topic and two jobs per tenant."""
    if not 1 <= regions <= len(REGION_PAIRS):
        raise ValueError(f"regions must be 1..{len(REGION_PAIRS)}")
    data: dict[str, Any] = {
        "fleet": {"name": "synthetic", "production": True},
        "regions": [],
        "sizes": {"standard": {**SIZES["standard"], "capacity_units": capacity_units}},
        "cells": [],
        "tenants": [],
    }
    for r, (region, partner) in enumerate(REGION_PAIRS[:regions]):
        short = f"r{r}"
        data["regions"].append(
            {
                "name": region,
                "dr_partner": partner,
                "network": {
                    "vpc_id": f"vpc-{r:017x}",
                    "cidr": f"10.{r}.0.0/16",
                    "subnets": [
                        {"id": f"subnet-{r:08x}{z:09x}", "az": f"{region}{'abc'[z]}"}
                        for z in range(3)
                    ],
                },
            }
        )
        for c in range(cells_per_region):
            data["cells"].append(
                {"id": f"{short}-c{c:04d}", "region": region, "size": "standard", "wave": c % 4}
            )
        for t in range(tenants_per_region):
            data["tenants"].append(
                {
                    "id": f"{short}-t{t:05d}",
                    "home_region": region,
                    "tier": ("critical", "standard", "batch")[t % 3],
                    "shard_size": min(shard_size, cells_per_region),
                    "topics": [{"name": "events", "partitions": 12, "retention_hours": 168}],
                    "jobs": [
                        {**JOB, "id": "ingest"},
                        {**JOB, "id": "enrich"},
                    ],
                }
            )
    return data


def as_parsed(node: Any) -> Any:
    """The same data with every string a new object, in place, as a YAML parser returns it:
    the generator's shared literals would hide what a fleet keeps per tenant."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = as_parsed(value)
    elif isinstance(node, list):
        node[:] = [as_parsed(value) for value in node]
    elif isinstance(node, str):
        return (node + " ")[:-1]
    return node
