"""DR drill figures: discovery of restore points and offline planning of the recovery stacks.

1. A drill of the example fleet's largest region (us-east-1).
2. A drill of a generated region with 64 cells and 1,000 jobs, and, in the same run, an offline
   plan of the same 64 ordinary cells: the target is recovery planning within 1.5 x that.
moto on 127.0.0.1; replication is simulated (moto never replicates). The machine may be shared:
figures are noisy, ratios measured in the same run are the ones to read.
Run: `.venv/bin/python benchmarks/dr_drill.py [--jobs N]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cells.loader import load_fleet  # noqa: E402
from cells.placement import lock_path, place, render_lock  # noqa: E402
from cells.stamping import sync_stacks  # noqa: E402
from cells.synthetic import synthetic_fleet  # noqa: E402
from dr.drill import DrillReport, DrillSettings, run_drill  # noqa: E402
from dr.replication_sim import ReplicationProfile  # noqa: E402
from offline import plan_stacks  # noqa: E402

FIXTURES = ROOT / "tests" / "state" / "savepoints"


def show(label: str, report: DrillReport) -> None:
    seconds = report.seconds
    print(
        f"{label}: {len(report.jobs)} jobs, {report.objects_written} objects, "
        f"{report.lost_in_flight} lost in flight; discovery {seconds['discovery']:.2f} s; "
        f"recovery plans of {len(report.stacks_planned)} stacks "
        f"({report.resources_planned} resources) {seconds['recovery plans']:.2f} s; "
        f"policies {seconds['policies']:.2f} s; passed {report.passed}"
    )


def generated_project(folder: Path) -> tuple[Path, list[str]]:
    """64 cells and 1,000 jobs in us-east-1 (500 tenants x 2 jobs); us-west-2 as its partner."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "cells").mkdir()
    fleet_file = folder / "cells" / "fleet.yaml"
    data = synthetic_fleet(
        regions=2, cells_per_region=64, tenants_per_region=500, capacity_units=200
    )
    data["cells"] = [c for c in data["cells"] if c["region"] == "us-east-1"]
    data["tenants"] = [t for t in data["tenants"] if t["home_region"] == "us-east-1"]
    fleet_file.write_text(yaml.safe_dump(data))
    fleet = load_fleet(fleet_file)
    lock_path(fleet_file).write_text(render_lock(fleet, place(fleet).placement))
    sync_stacks(fleet, "cells/fleet.yaml", folder / "stacks", write=True)
    return fleet_file, [c.id for c in fleet.cells]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2, help="planning processes")
    args = parser.parse_args()
    profile = ReplicationProfile()
    example = run_drill(
        ROOT,
        ROOT / "cells" / "fleet.yaml",
        DrillSettings(region="us-east-1", seed=1, profile=profile, plan_workers=args.jobs),
        FIXTURES,
    )
    show("example fleet, us-east-1", example)
    with tempfile.TemporaryDirectory() as tmp:
        fleet_file, cells = generated_project(Path(tmp))
        # Nothing lost in flight here, so that all 64 recovery stacks are planned.
        settings = DrillSettings(
            region="us-east-1", seed=1, savepoints_per_job=2, plan_workers=args.jobs,
            profile=ReplicationProfile(slow_fraction=0.0, failed_fraction=0.0),
        )  # fmt: skip
        generated = run_drill(ROOT, fleet_file, settings, FIXTURES)
        show("generated, 64 cells / 1,000 jobs", generated)
        start = time.perf_counter()
        ordinary = list(plan_stacks(Path(tmp), cells, args.jobs))
        baseline = time.perf_counter() - start
    resources = sum(len(p["resources"]) for p in ordinary)
    recovery = generated.seconds["recovery plans"]
    print(
        f"ordinary plan of the same 64 cells: {resources} resources {baseline:.2f} s; "
        f"recovery / ordinary = {recovery / baseline:.2f} (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
