"""Rollout orchestration overhead: 1,000 cells in 10 waves, zero-cost executor, zero bake.

The executor replays a preview and update per cell, parsed by the Automation API's own event
classes: first a tiny one (one update, one unchanged resource), then one the size of a real cell
(85 resources, one changed). The baseline, measured in the same run, does the same replays in a
plain loop (events parsed, preview steps shaped). Overhead per cell =
(rollout − baseline) / cells: planning the waves, the journal on disk, danger screening through
`review`, threads, gates (none configured: zero-cost). Target: under 5 ms per cell.
Run: `.venv/bin/python benchmarks/rollout.py`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the package it measures: the project root must come first.
sys.path[0] = str(ROOT)

from pulumi.automation import EngineEvent  # noqa: E402

from cells.model import Fleet  # noqa: E402
from cells.synthetic import synthetic_fleet  # noqa: E402
from rollout.dangers import screen_with  # noqa: E402
from rollout.gates import HealthGates  # noqa: E402
from rollout.plan import plan_rollout  # noqa: E402
from rollout.record import Commit, RolloutRecord  # noqa: E402
from rollout.replay import ReplayExecutor, Script  # noqa: E402
from rollout.run import Rollout  # noqa: E402
from rollout.steps import step_of  # noqa: E402

WAVE_SIZES = [8, 16, 32, 48, 64, 96, 128, 160, 208, 240]  # canaries (one per region) first
BUCKET = "aws:s3/bucket:Bucket"


def _urn(name: str) -> str:
    return f"urn:pulumi:cell::flink-cells::flinkcells:index:FlinkCell${BUCKET}::{name}"


def _state(name: str, team: str) -> dict:
    return {"type": BUCKET, "urn": _urn(name), "inputs": {"tags": {"team": team}}}


PREVIEW = [
    {"resourcePreEvent": {"metadata": {"op": "update", "urn": _urn("cp"), "type": BUCKET,
     "provider": "p", "old": _state("cp", "a"), "new": _state("cp", "b"), "diffs": ["tags"]}}},
    {"resourcePreEvent": {"metadata": {"op": "same", "urn": _urn("key"), "type": BUCKET,
     "provider": "p", "old": _state("key", "a"), "new": _state("key", "a")}}},
]  # fmt: skip
UP = [{"resOutputsEvent": {"metadata": event["resourcePreEvent"]["metadata"]}} for event in PREVIEW]
# A cell's real size: every resource of an example-fleet cell reported, one of them changed.
CELL_RESOURCES = 85
FULL_PREVIEW = [PREVIEW[0]] + [
    {"resourcePreEvent": {"metadata": {**PREVIEW[1]["resourcePreEvent"]["metadata"],
     "urn": _urn(f"r{i}")}}} for i in range(CELL_RESOURCES - 1)
]  # fmt: skip
FULL_UP = [
    {"resOutputsEvent": {"metadata": e["resourcePreEvent"]["metadata"]}} for e in FULL_PREVIEW
]


def fleet() -> Fleet:
    data = synthetic_fleet(regions=8, cells_per_region=125, tenants_per_region=0)
    waves = [w for w, size in enumerate(WAVE_SIZES) for _ in range(size)]
    # Canaries: the first cell of each region; then the rest in growing waves.
    ordered = sorted(data["cells"], key=lambda c: (c["id"].split("-c")[1], c["region"]))
    for cell, wave in zip(ordered, waves, strict=True):
        cell["wave"] = wave
    return Fleet.model_validate(data)


def baseline(cells: list[str], script: Script) -> float:
    executor = ReplayExecutor(default=script)
    started = time.perf_counter()
    for cell in cells:
        steps: list[dict] = []

        def collect(event: EngineEvent, steps: list[dict] = steps) -> None:
            step = step_of(event)
            if step is not None:
                steps.append(step)

        executor.preview(cell, collect)
        executor.up(cell, lambda event: None)
    return time.perf_counter() - started


def rollout(the_fleet: Fleet, parallel: int, script: Script) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        plan = plan_rollout(the_fleet, Path("fleet.yaml"), bake_seconds=0)
        record = RolloutRecord.create(Path(folder), plan, Commit("0" * 40, False), {})
        outcome = Rollout(
            record=record,
            executor=ReplayExecutor(default=script),
            screen=screen_with(None),
            gates=HealthGates([]),
            parallel=parallel,
        ).run()
        return time.perf_counter() - started, outcome.value


def main() -> None:
    the_fleet = fleet()
    cells = [c.id for c in the_fleet.cells]
    waves = len({c.wave for c in the_fleet.cells})
    print(f"{len(cells)} cells in {waves} waves; zero-cost executor, zero bake, no gates")
    print("(2 shared cores, six other agents busy: figures are noisy)")
    scripts = {
        "2-resource preview": Script(preview=PREVIEW, up=UP),
        f"{CELL_RESOURCES}-resource preview": Script(preview=FULL_PREVIEW, up=FULL_UP),
    }
    for label, script in scripts.items():
        for parallel in (1, 8):
            base = min(baseline(cells, script) for _ in range(3))
            runs = [rollout(the_fleet, parallel, script) for _ in range(3)]
            seconds = min(s for s, _ in runs)
            overhead_ms = (seconds - base) / len(cells) * 1000
            print(
                f"{label}, parallel {parallel}: rollout {seconds:.2f} s ({runs[0][1]}), "
                f"baseline replay {base:.2f} s, ratio {seconds / base:.1f} x; orchestration "
                f"overhead {overhead_ms:.2f} ms per cell (target < 5 ms)"
            )


if __name__ == "__main__":
    main()
