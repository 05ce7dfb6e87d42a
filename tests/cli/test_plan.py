"""`cellctl plan`: the real program under mocks, byte-identical JSON, secrets redacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from cells.problems import FleetError
from offline import plan_document, plan_stacks
from offline.planner import record_program
from tests.helpers import ROOT


def _cellctl(*args: str, seed: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "cellctl", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_plans_are_byte_identical_across_processes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run_a = _cellctl("plan", "--cell", "use1-a", "--cell", "euw1-b", "--out", str(first), seed="1")
    run_b = _cellctl(
        "plan", "--cell", "euw1-b", "--cell", "use1-a", "-j", "2", "--out", str(second), seed="987"
    )
    assert run_a.returncode == 0, run_a.stderr
    assert run_b.returncode == 0, run_b.stderr
    assert first.read_bytes() == second.read_bytes()
    plan = json.loads(first.read_text())
    assert [s["stack"] for s in plan["stacks"]] == ["euw1-b", "use1-a"]
    assert "planned" in run_a.stdout and "use1-a" in run_a.stdout


def test_plans_are_identical_in_process() -> None:
    once = plan_document("payments", list(plan_stacks(ROOT, ["usw2-a"], jobs=1)))
    twice = plan_document("payments", list(plan_stacks(ROOT, ["usw2-a"], jobs=1)))
    assert once == twice
    assert '"region": "us-west-2"' in once


def test_secrets_never_reach_the_plan() -> None:
    def program() -> None:
        aws.ssm.Parameter(
            "token", name="/cell/token", type="SecureString", value=pulumi.Output.secret("hunter2")
        )

    plan = record_program("secrets", {"aws:region": "us-east-1"}, program)
    text = json.dumps(plan.to_json())
    assert "hunter2" not in text
    [parameter] = plan.resources
    assert parameter.inputs["value"] == "[secret]"
    assert parameter.inputs["name"] == "/cell/token"


def test_plan_records_type_parent_provider_protect_and_dependencies(example_plans: dict) -> None:
    plan = example_plans["use1-a"]
    bucket = plan.named("aws:s3/bucket:Bucket", "use1-a-checkpoints-bucket")
    assert bucket["urn"] == (
        "urn:pulumi:use1-a::flink-cells::flinkcells:index:FlinkCell$"
        "flinkcells:checkpoint:CheckpointStore$aws:s3/bucket:Bucket::use1-a-checkpoints-bucket"
    )
    assert bucket["parent"].endswith("flinkcells:checkpoint:CheckpointStore::use1-a-checkpoints")
    assert bucket["provider"].endswith("pulumi:providers:aws::use1-a-primary")
    assert bucket["protect"] is True and bucket["custom"] is True


def test_unknown_cell_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["plan", "--cell", "use1-z"])
    assert result.exit_code == 2
    assert "unknown-cell" in result.stderr and "--cell use1-z: no such cell" in result.stderr


def test_stale_stack_files_stop_the_plan(project: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "--cell", "use1-a"])
    assert result.exit_code == 2
    assert "stack-out-of-date" in result.stderr and "cellctl stacks sync" in result.stderr


def test_program_reports_an_unknown_cell_without_a_traceback() -> None:
    config = {"aws:region": "us-east-1", "flink-cells:cell": "use1-z"}
    with pytest.raises(Exception) as caught:
        record_program(
            "use1-z", config, lambda: __import__("runpy").run_path(str(ROOT / "__main__.py"))
        )
    assert "cell 'use1-z' is not declared" in str(caught.value)
    assert not isinstance(caught.value, FleetError), "the program must raise pulumi.RunError"


def test_mandatory_violations_fail_the_plan_and_config_can_relax_them(project: Path) -> None:
    data = yaml.safe_load((project / "cells" / "fleet.yaml").read_text())
    data["fleet"]["production"] = False
    (project / "cells" / "fleet.yaml").write_text(yaml.safe_dump(data))
    assert CliRunner().invoke(app, ["stacks", "sync"]).exit_code == 0
    failed = CliRunner().invoke(app, ["plan", "--cell", "usw2-a"])
    assert failed.exit_code == 1
    assert "Policy Violations in stack usw2-a:" in failed.stdout
    assert (
        "[mandatory]  flinkcells-durability v0.1.0  stateful-resources-protected" in failed.stdout
    )
    config = project / "policy.json"
    config.write_text(json.dumps({"stateful-resources-protected": {"production": False}}))
    relaxed = CliRunner().invoke(app, ["plan", "--cell", "usw2-a", "--policy-config", str(config)])
    assert relaxed.exit_code == 0, relaxed.stdout
    assert "policies: no violations" in relaxed.stdout
    config.write_text("{not json")
    broken = CliRunner().invoke(app, ["plan", "--cell", "usw2-a", "--policy-config", str(config)])
    assert broken.exit_code == 2 and "policy-config" in broken.stderr


def test_summary_shows_each_cell_targets_its_own_cluster() -> None:
    result = CliRunner().invoke(app, ["plan", "--cell", "use1-a", "--cell", "euw1-b", "-j", "1"])
    assert result.exit_code == 0, result.stdout
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line}
    assert rows["use1-a"][-1] == "payments-use1-a"
    assert rows["euw1-b"][-1] == "payments-euw1-b"
