"""Where the project lives: the folder with Pulumi.yaml, its fleet file and stack files.

Light to import (the fleet model loads on first use): `cellctl plan` finds its project before
anything heavy, to start no more workers than it has stacks."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cells.problems import FleetError, Problem

if TYPE_CHECKING:
    from cells.model import Fleet


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def stacks_dir(self) -> Path:
        return self.root / "stacks"

    def fleet_file(self, given: Path | None) -> Path:
        from cells.stamping import DEFAULT_FLEET_FILE

        return given if given is not None else self.root / DEFAULT_FLEET_FILE

    def relative(self, path: Path) -> str:
        """How stack files name the fleet file: relative to the project, as Pulumi runs there."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()


def find_project(start: Path | None = None) -> Project:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file() and (folder / "__main__.py").is_file():
            return Project(folder)
    raise FleetError(
        here,
        [
            Problem(
                "",
                "no-project",
                "no Pulumi.yaml with __main__.py here or above; "
                "run cellctl inside the flink-cells checkout",
            )
        ],
    )


def tracked_by_git(file: Path) -> bool:
    """Whether git tracks the file (so `git diff` shows its changes); False without git, outside
    a repository, or when git does not answer in time. git is never required."""
    try:
        done = subprocess.run(
            ["git", "-C", str(file.parent), "ls-files", "--error-unmatch", "--", file.name],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def require_stacks_in_sync(project: Project, fleet: Fleet, fleet_file: Path) -> None:
    """Stack files that differ from the fleet would run yesterday's cells: stop with the fix."""
    from cells.stamping import sync_stacks

    stale = sync_stacks(fleet, project.relative(fleet_file), project.stacks_dir, write=False)
    if stale.created or stale.updated:
        raise FleetError(
            project.stacks_dir,
            [
                Problem(
                    name, "stack-out-of-date", "differs from the fleet; run `cellctl stacks sync`"
                )
                for name in stale.created + stale.updated
            ],
        )
