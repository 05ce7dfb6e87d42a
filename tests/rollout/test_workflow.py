"""The rollout workflow: actionlint-clean, one chained job per wave of the fleet, cells from
`cellctl rollout matrix`, bounded parallelism, bake, protected environments, health gates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from cells.loader import load_fleet
from tests.helpers import EXAMPLE_FLEET, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ROLLOUT = WORKFLOWS / "rollout.yml"
WAVE = WORKFLOWS / "rollout-wave.yml"
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=files[0].parent.parent.parent,
    )


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("workflow", [ROLLOUT, WAVE], ids=lambda p: p.name)
def test_workflow_is_actionlint_clean(workflow):
    result = actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_rollout_workflow(tmp_path):
    copy = tmp_path / ".github" / "workflows"
    copy.mkdir(parents=True)
    shutil.copy(WAVE, copy / WAVE.name)
    broken = ROLLOUT.read_text().replace("needs: wave-0", "needs: wave-9")
    (copy / ROLLOUT.name).write_text(broken)
    result = actionlint(copy / ROLLOUT.name)
    assert result.returncode != 0 and "wave-9" in result.stdout


def test_one_job_per_wave_of_the_fleet_each_after_the_previous():
    waves = sorted({c.wave for c in load_fleet(EXAMPLE_FLEET).cells})
    jobs = load(ROLLOUT)["jobs"]
    assert sorted(jobs) == [f"wave-{w}" for w in waves], "add or remove the wave's job"
    for previous, wave in pairwise(waves):
        assert jobs[f"wave-{wave}"]["needs"] == f"wave-{previous}"
    for wave in waves:
        job = jobs[f"wave-{wave}"]
        assert job["uses"] == "./.github/workflows/rollout-wave.yml"
        assert job["with"]["wave"] == wave
        assert job["with"]["environment"] == "production"
        assert job["with"]["approval-environment"] == "production-approval"
        assert job["with"]["max-parallel"] >= 1
    assert load(ROLLOUT)["concurrency"] == {"group": "rollout", "cancel-in-progress": False}


def test_wave_runs_cells_from_the_matrix_then_bakes_then_gates():
    jobs = load(WAVE)["jobs"]
    matrix_step = jobs["cells"]["steps"][-1]["run"]
    assert "cellctl rollout matrix --wave" in matrix_step
    up = jobs["up"]
    assert up["strategy"]["matrix"] == "${{ fromJSON(needs.cells.outputs.matrix) }}"
    assert up["strategy"]["fail-fast"] is False, "never cancel a cell half-way"
    assert up["strategy"]["max-parallel"] == "${{ inputs.max-parallel }}"
    assert up["environment"] == "${{ inputs.environment }}"
    assert jobs["approve"]["environment"] == "${{ inputs.approval-environment }}"
    run = up["steps"][-1]["run"]
    assert 'cellctl rollout --cell "$CELL" --bake 0s --no-gate' in run
    assert up["steps"][0]["name"].startswith("Halt if a cell of this wave already failed")
    assert jobs["bake"]["needs"] == "up" and "cellctl rollout bake --wave" in str(jobs["bake"])
    assert jobs["gate"]["needs"] == "bake"
    assert "cellctl rollout gate --wave" in jobs["gate"]["steps"][-1]["run"]
