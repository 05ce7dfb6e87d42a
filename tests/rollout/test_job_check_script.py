"""The example fleet's job check (tools/flink-jobs-running.sh) against stand-in `aws` and
`kubectl` that print what the real ones would: the verdict logic is the script's own."""

from __future__ import annotations

import pytest

from cells.durations import parse_duration
from cells.loader import load_fleet
from rollout.gates import JobCheckGate
from rollout.plan import CellTarget
from tests.helpers import EXAMPLE_FLEET, ROOT

CELL = CellTarget("use1-a", "us-east-1", 0)


@pytest.fixture
def gate(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text('#!/bin/sh\necho "$@" > "$CALLS"\n')
    (bin_dir / "kubectl").write_text('#!/bin/sh\nprintf "$FAKE_JOBS"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("CALLS", str(tmp_path / "aws-args"))
    fleet = load_fleet(EXAMPLE_FLEET)
    settings = fleet.fleet.rollout
    assert settings.job_check is not None
    return JobCheckGate(
        fleet.name, settings.job_check, parse_duration(settings.job_check_timeout), ROOT
    )


def test_running_and_suspended_jobs_pass(gate, monkeypatch, tmp_path):
    monkeypatch.setenv(
        "FAKE_JOBS",
        "tenant-a/scorer RUNNING STABLE\\ntenant-b/ledger RUNNING STABLE\\n"
        "tenant-c/batch FINISHED SUSPENDED\\n",
    )
    assert gate.check([CELL]) == []
    assert (tmp_path / "aws-args").read_text().split()[:5] == [
        "eks",
        "update-kubeconfig",
        "--name",
        "payments-use1-a",
        "--region",
    ]


def test_a_failing_or_deploying_job_fails_the_gate(gate, monkeypatch):
    monkeypatch.setenv(
        "FAKE_JOBS",
        "tenant-a/scorer RUNNING STABLE\\ntenant-b/ledger RESTARTING DEPLOYED\\n"
        "tenant-c/fx FAILED STABLE\\n",
    )
    [failure] = gate.check([CELL])
    assert "tenant-b/ledger RESTARTING DEPLOYED" in failure.detail
    assert "tenant-c/fx FAILED STABLE" in failure.detail
    assert "tenant-a/scorer" not in failure.detail
