"""A fixed corpus of generated fleets and what placement makes of each, as one digest per case.

Placement's output is committed (the lock file) and acted on (the moves): a change to how
placement computes must leave the lock byte-identical and move the same jobs and shard members,
or users' locks move. How a move or a problem is worded may change; which problems, by code, may
not. tests/placement/corpus.json holds the digests as the code named in it computed them;
test_corpus recomputes them with this code. Each seed draws one to three regions (3 to 150
cells; few tenants or 10 to 40 shard members per cell, so the tenant bound binds), draining and
standby cells, tight or ample capacity, max_overlap, pins, and places the fleet five ways:
afresh, a smaller and older fleet afresh (its lock), the fleet onto that lock (new tenants, a
new cell, grown and shrunk shards), with `rebalance`, and with one cell drained.

The generator imports nothing from the project (its own region entries, not
cells/synthetic.py's), so it runs unchanged against the code of any commit.

Regenerate only from code whose placement is known good, and say so in the commit (the lock-only
digests of 90addf5, before issue 14's placement speed-up, and of the recorded commit agree; the
recorded commit lists moves as the CLI now explains them):
    mkdir /tmp/ref && git archive <commit> | tar -x -C /tmp/ref
    .venv/bin/python tests/placement/corpus.py /tmp/ref <commit> > tests/placement/corpus.json
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

SEEDS = range(48)
REGIONS = [
    ("us-east-1", "us-west-2"),
    ("eu-west-1", "eu-central-1"),
    ("ap-southeast-1", "ap-southeast-2"),
]


def fleet_data(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    data: dict[str, Any] = {
        "fleet": {
            "name": f"corpus-{seed}",
            "production": True,
            "max_overlap": rng.choice([None, None, 1, 2]),
        },
        "regions": [],
        "sizes": {},
        "cells": [],
        "tenants": [],
    }
    small_overlap = data["fleet"]["max_overlap"] is not None
    for r, (region, partner) in enumerate(REGIONS[: rng.randint(1, 3)]):
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
        cells = rng.randint(3, 12) if small_overlap or rng.random() < 0.4 else rng.randint(20, 150)
        max_k = min(4, cells - 1)
        busy = not small_overlap and rng.random() < 0.6
        members = cells * rng.randint(10, 40) if busy else rng.randint(1, 3 * cells)
        tenants: list[dict[str, Any]] = []
        while sum(t["shard_size"] for t in tenants) < members:
            jobs = [rng.randint(1, 5) for _ in range(rng.randint(1, 3))]
            tenants.append(
                {
                    "id": f"r{r}-t{len(tenants):05d}",
                    "home_region": region,
                    "tier": "standard",
                    "shard_size": rng.randint(1, max_k),
                    "jobs": [
                        {
                            "id": f"j{n}",
                            "jar_uri": "local:///opt/flink/usrlib/job.jar",
                            "parallelism": 1,
                            "capacity_units": units,
                            "rpo_seconds": 60,
                        }
                        for n, units in enumerate(jobs)
                    ],
                }
            )
        ids = [f"r{r}-c{c:03d}" for c in range(cells)]
        for tenant in rng.sample(tenants, k=min(len(tenants), rng.randint(0, 2))):
            tenant["pinned_cells"] = rng.sample(ids, k=tenant["shard_size"])
        demand = sum(j["capacity_units"] for t in tenants for j in t["jobs"])
        widest = max(sum(j["capacity_units"] for j in t["jobs"]) for t in tenants)
        # Tight: the region's cells hold 1.1 to 1.5 x its jobs, so capacity decides placements.
        slack = rng.choice([1.1, 1.3, 1.5, 20.0])
        size = f"s{r}"
        data["sizes"][size] = {
            "jobmanager": {"instance_type": "m7i.large", "count": 1},
            "taskmanager": {"instance_type": "m7i.large", "count": 1},
            "msk": {"broker_type": "kafka.m7g.large", "brokers_per_az": 1},
            "capacity_units": max(widest + 1, int(slack * demand / max(1, cells - 2)) + 1),
        }
        for c, cell in enumerate(ids):
            state = "active"
            if c > max_k + 1 and rng.random() < 0.05:
                state = rng.choice(["draining", "standby"])
            data["cells"].append(
                {"id": cell, "region": region, "size": size, "wave": c % 3, "state": state}
            )
        data["tenants"] += tenants
    return data


def earlier(data: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same fleet as it was: without its last cell per region and a tenth of its tenants,
    some shards a member smaller or larger."""
    rng = random.Random(seed + 10_000)
    last = {}
    for cell in data["cells"]:
        last[cell["region"]] = cell["id"]
    old = json.loads(json.dumps(data))
    old["cells"] = [c for c in old["cells"] if c["id"] not in set(last.values())]
    old["tenants"] = [t for t in old["tenants"] if rng.random() > 0.1]
    for tenant in old["tenants"]:
        if "pinned_cells" in tenant:
            tenant["pinned_cells"] = [c for c in tenant["pinned_cells"] if c not in last.values()]
            tenant["shard_size"] = len(tenant["pinned_cells"])
            if not tenant["pinned_cells"]:
                del tenant["pinned_cells"]
                tenant["shard_size"] = 1
        elif rng.random() < 0.05:
            tenant["shard_size"] = max(1, tenant["shard_size"] + rng.choice([-1, 1]))
    return old


def outcomes(seed: int) -> dict[str, str]:
    """Digest of the lock text and the moves (what moves where, not the words that explain
    it), or of the problems' codes, for each way of placing the fleet."""
    from cells.model import Fleet
    from cells.placement import PlacementError, place, render_lock

    data = fleet_data(seed)
    fleet = Fleet.model_validate(data)
    results: dict[str, str] = {}

    def record(name: str, run: Any) -> Any:
        try:
            result = run()
        except PlacementError as error:
            codes = "\n".join(sorted({p.code for p in error.problems}))
            results[name] = _digest(f"error\n{codes}")
            return None
        moves = "\n".join(f"{m.tenant} {m.job} {m.before} {m.after}" for m in result.moves)
        results[name] = _digest(f"{render_lock(fleet, result.placement)}\n{moves}")
        return result.placement

    record("fresh", lambda: place(fleet))
    old = record("earlier", lambda: place(Fleet.model_validate(earlier(data, seed))))
    if old is None:
        return results
    record("with lock", lambda: place(fleet, old))
    record("rebalance", lambda: place(fleet, old, rebalance=True))
    rng = random.Random(seed + 20_000)
    drained = rng.choice([c["id"] for c in data["cells"] if c["state"] == "active"])
    draining = json.loads(json.dumps(data))
    for cell in draining["cells"]:
        if cell["id"] == drained:
            cell["state"] = "draining"
    fleet = Fleet.model_validate(draining)
    record("drain", lambda: place(fleet, old, drain=drained))
    return results


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def main() -> None:
    """Print the corpus's digests as computed by the code at the path given, a copy of the
    commit named second."""
    code, commit = Path(sys.argv[1]).resolve(), sys.argv[2]
    sys.path.insert(0, str(code))
    import cells

    if Path(cells.__file__).resolve().parent != code / "cells":
        sys.exit(f"imported {cells.__file__}, not the code under {code}")
    cases = {str(seed): outcomes(seed) for seed in SEEDS}
    print(json.dumps({"computed_by": commit, "cases": cases}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
