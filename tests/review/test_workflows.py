"""Every GitHub Actions workflow passes actionlint (installed from PyPI with the dev tools)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert found, "actionlint is a dev dependency: run `make setup`"
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", str(path)], capture_output=True, text=True, cwd=ROOT
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    result = lint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_review_workflow_exists_and_runs_the_diff():
    review = ROOT / ".github" / "workflows" / "review.yml"
    text = review.read_text()
    assert "make test" in text
    assert "cellctl diff --base" in text
    assert "<!-- flink-cells:cellctl-diff -->" in text


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ github.event.pull_request.nope.head }}\n"
        "      - uses: actions/checkout@v4\n        with:\n          fetch-depth: [1]\n"
        "    needs: missing-job\n"
    )
    result = lint(broken)
    assert result.returncode != 0
    assert "missing-job" in result.stdout
