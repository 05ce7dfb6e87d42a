"""`cellctl diff` of a one-cell change: the example fleet and a generated 64-cell fleet.

Each fleet is committed in a temporary git repository, one cell's rollout wave changes (a tag on
every resource of that cell), and the script times, as a user runs them: `cellctl diff --base HEAD`,
`cellctl plan` of the whole fleet, and `cellctl plan --cell <that cell>` (the planning of that one
cell plus the fixed start-up). Target: the diff within 1.5 x the one-cell plan.
The machine may be shared: figures are noisy, ratios are measured in the same run.
Run: `.venv/bin/python benchmarks/diff.py`.
"""

from __future__ import annotations

import shutil
import subprocess
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

CELLCTL = str(Path(sys.executable).parent / "cellctl")
CODE = (
    "Pulumi.yaml",
    "__main__.py",
    "pyproject.toml",
    "cells",
    "components",
    "offline",
    "policies",
)


def project(folder: Path, fleet: dict | None) -> list[str]:
    for name in CODE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / name)
    fleet_file = folder / "cells" / "fleet.yaml"
    if fleet is not None:
        fleet_file.write_text(yaml.safe_dump(fleet))
    loaded = load_fleet(fleet_file)
    sync_stacks(loaded, "cells/fleet.yaml", folder / "stacks", write=True)
    if fleet is not None:
        lock_path(fleet_file).write_text(render_lock(loaded, place(loaded).placement))
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", "-C", str(folder), *args], check=True)
    return [c.id for c in loaded.cells]


def change_one_cell(folder: Path, cell: str) -> None:
    fleet_file = folder / "cells" / "fleet.yaml"
    data = yaml.safe_load(fleet_file.read_text())
    entry = next(c for c in data["cells"] if c["id"] == cell)
    entry["wave"] = int(entry.get("wave", 0)) + 1
    fleet_file.write_text(yaml.safe_dump(data, sort_keys=False))


def timed(folder: Path, *args: str) -> tuple[float, int]:
    start = time.perf_counter()
    result = subprocess.run([CELLCTL, *args], cwd=folder, capture_output=True, text=True)
    return time.perf_counter() - start, result.returncode


def measure(label: str, fleet: dict | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cells = project(folder, fleet)
        change_one_cell(folder, cells[0])
        timed(folder, "plan", "--cell", cells[0])  # warm the file cache
        one, _ = timed(folder, "plan", "--cell", cells[0])
        diff, code = timed(folder, "diff", "--base", "HEAD")
        whole, _ = timed(folder, "plan")
        print(
            f"{label:<22} diff {diff:6.2f} s (exit {code}) | plan of the changed cell {one:5.2f} s"
            f" -> ratio {diff / one:4.2f} (target <= 1.50) | plan of all {len(cells)} cells"
            f" {whole:6.2f} s -> ratio {diff / whole:4.2f}"
        )


def main() -> None:
    measure("example (9 cells)", None)
    measure("generated (64 cells)", synthetic_fleet(4, 16, 40))


if __name__ == "__main__":
    main()
