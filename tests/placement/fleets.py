"""Generated fleets for placement tests: one or more regions, any number of cells and tenants."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from cells.model import Fleet
from cells.synthetic import REGION_PAIRS


def fleet_data(
    cells: int,
    tenants: list[dict[str, Any]],
    capacity: int = 10_000,
    max_overlap: int | None = None,
    states: dict[int, str] | None = None,
    region_index: int = 0,
) -> dict[str, Any]:
    region, partner = REGION_PAIRS[region_index]
    return {
        "fleet": {"name": "gen", "production": True, "max_overlap": max_overlap},
        "regions": [
            {
                "name": region,
                "dr_partner": partner,
                "network": {
                    "vpc_id": "vpc-0000000000000000a",
                    "cidr": "10.0.0.0/16",
                    "subnets": [
                        {"id": f"subnet-0000000000000000{z}", "az": f"{region}{'abc'[z]}"}
                        for z in range(3)
                    ],
                },
            }
        ],
        "sizes": {
            "std": {
                "jobmanager": {"instance_type": "m7i.large", "count": 1},
                "taskmanager": {"instance_type": "m7i.large", "count": 1},
                "msk": {"broker_type": "kafka.m7g.large", "brokers_per_az": 1},
                "capacity_units": capacity,
            }
        },
        "cells": [
            {"id": f"c{i:03d}", "region": region, "size": "std", "wave": 0,
             "state": (states or {}).get(i, "active")}
            for i in range(cells)
        ],
        "tenants": [
            {"id": t["id"], "home_region": region, "tier": "standard",
             "shard_size": t["k"], "jobs": [
                 {"id": f"j{n}", "jar_uri": "local:///opt/flink/usrlib/job.jar",
                  "parallelism": 1, "capacity_units": u, "rpo_seconds": 60}
                 for n, u in enumerate(t["jobs"])
             ]}
            for t in tenants
        ],
    }  # fmt: skip


def build(data: dict[str, Any]) -> Fleet:
    return Fleet.model_validate(data)


@st.composite
def tenant_specs(draw: st.DrawFn, max_k: int, count: st.SearchStrategy[int]) -> list[dict]:
    n = draw(count)
    return [
        {
            "id": f"t{i:04d}",
            "k": draw(st.integers(1, max_k)),
            "jobs": draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)),
        }
        for i in range(n)
    ]


@st.composite
def regions(draw: st.DrawFn, min_cells: int = 3, max_cells: int = 14) -> tuple[int, list[dict]]:
    """(number of cells, tenants) for one region with ample capacity."""
    cells = draw(st.integers(min_cells, max_cells))
    tenants = draw(tenant_specs(max_k=min(4, cells - 1), count=st.integers(1, 40)))
    return cells, tenants
