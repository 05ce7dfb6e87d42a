"""A scratch copy of the project in which a region is declared lost: for drills and benchmarks
that plan recovery stacks offline without touching the real fleet file or stack files."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from cells.loader import load_fleet
from cells.model import Fleet
from cells.placement import lock_path
from cells.recovery_lock import RECOVERY_LOCK_FILE, RecoveryLock, render_recovery_lock
from cells.stamping import DEFAULT_FLEET_FILE, sync_stacks

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py")


def declare_lost(data: dict[str, Any], region: str, lost_at: datetime) -> dict[str, Any]:
    """Fleet-file data with `region` declared lost at `lost_at`, as a person would write it."""
    regions = [
        {**r, "status": "lost", "lost_at": lost_at} if r["name"] == region else r
        for r in data["regions"]
    ]
    return {**data, "regions": regions}


def scratch_project(
    root: Path, folder: Path, fleet_data: dict[str, Any], placement_lock: Path
) -> tuple[Path, Fleet]:
    """folder/ holding the program, the given fleet, its placement lock and synced stack files."""
    for name in PROGRAM_FILES:
        shutil.copy(root / name, folder / name)
    fleet_file = folder / DEFAULT_FLEET_FILE
    fleet_file.parent.mkdir(parents=True, exist_ok=True)
    fleet_file.write_text(yaml.safe_dump(fleet_data, sort_keys=False), encoding="utf-8")
    shutil.copy(placement_lock, lock_path(fleet_file))
    fleet = load_fleet(fleet_file)
    sync_stacks(fleet, DEFAULT_FLEET_FILE, folder / "stacks", write=True)
    return fleet_file, fleet


def write_recovery_lock(folder: Path, lock: RecoveryLock) -> Path:
    path = folder / RECOVERY_LOCK_FILE
    path.write_text(render_recovery_lock(lock), encoding="utf-8")
    return path
