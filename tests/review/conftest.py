from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from review.plans import materialise, plan_pair, resolve_base
from review.review import Review, review_pair
from tests.helpers import ROOT

COPIED = (
    "Pulumi.yaml",
    "__main__.py",
    "pyproject.toml",
    "cells",
    "components",
    "offline",
    "policies",
    "stacks",
)


def git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *args], check=True, capture_output=True, text=True
    ).stdout


class GitProject:
    """A committed copy of the project: edit it, then review the working tree against HEAD."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def fleet_file(self) -> Path:
        return self.root / "cells" / "fleet.yaml"

    def fleet(self) -> dict[str, Any]:
        return yaml.safe_load(self.fleet_file.read_text())

    def edit_fleet(self, change: Callable[[dict[str, Any]], None]) -> None:
        data = self.fleet()
        change(data)
        self.fleet_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def tenant(self, data: dict[str, Any], tenant: str) -> dict[str, Any]:
        return next(t for t in data["tenants"] if t["id"] == tenant)

    def cellctl(self, *args: str) -> Any:
        return CliRunner().invoke(app, list(args))

    def review(self, *cells: str) -> Review:
        commit = resolve_base(self.root, "HEAD")
        with materialise(self.root, commit) as base:
            pair = plan_pair(self.root, base, "HEAD", list(cells) or None, jobs=1)
        return review_pair(pair)

    def commit(self, message: str = "change") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", message)


@pytest.fixture
def git_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitProject:
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("__pycache__")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy(source, root / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "review@example.com")
    git(root, "config", "user.name", "review test")
    project = GitProject(root)
    project.commit("base")
    monkeypatch.chdir(root)
    return project


def classes(review: Review) -> set[str]:
    return {d.danger_class for d in review.dangers}
