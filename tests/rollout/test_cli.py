"""`cellctl rollout`, `rollout matrix`, `rollout gate`, `rollout bake`: the real command through
the real Automation API to a fake `pulumi` on PATH; Ctrl-C as a real signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from tests.helpers import example_fleet_data, write_fleet
from tests.rollout.events import bucket_replace, diagnostic, done, tag_update

WAVE_0 = ["use1-a", "usw2-a", "euw1-a"]


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def synced(project: Path) -> Path:
    assert run("stacks", "sync").exit_code == 0
    return project


def stacks(**special) -> dict:
    return {c: special.get(c, {"preview": tag_update(c)}) for c in [*WAVE_0, "use1-b", "euw1-c"]}


def test_rollout_of_a_wave_previews_then_updates_each_cell(synced, fake_pulumi):
    update = tag_update("use1-a")
    warning = diagnostic("bucket tags changed outside Pulumi", "warning")
    use1_a = {"preview": update, "up": [done(update[0]), done(update[1]), warning]}
    fake_pulumi.scenario(stacks=stacks(**{"use1-a": use1_a}))
    result = run("rollout", "--wave", "0", "--bake", "0s", "--no-gate")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert fake_pulumi.operations() == [("preview", c) for c in WAVE_0] + [
        ("up", c) for c in WAVE_0
    ]
    assert "[use1-a] previewed: 1 changes" in result.stdout
    # Progress streams per resource (unchanged ones left out), each line naming its cell.
    assert "[use1-a] update   aws:s3/bucket:Bucket  use1-a-checkpoints" in result.stdout
    assert "aws:kms/key:Key" not in result.stdout
    assert "[use1-a] warning: bucket tags changed outside Pulumi" in result.stdout
    assert ": completed" in result.stdout
    [journal] = (synced / ".cellctl" / "rollouts").glob("*.jsonl")
    assert json.loads(journal.read_text().splitlines()[-1])["outcome"] == "completed"


def test_danger_stops_the_rollout_before_any_update(synced, fake_pulumi):
    fake_pulumi.scenario(stacks=stacks(**{"usw2-a": {"preview": bucket_replace("usw2-a")}}))
    result = run("rollout", "--wave", "0", "--bake", "0s", "--no-gate")
    assert result.exit_code == 1
    assert not [op for op, _ in fake_pulumi.operations() if op == "up"]
    assert "stateful-resource/usw2-a/" in result.stdout and "NOT acknowledged" in result.stdout
    assert "ack file" in result.stdout


def test_failed_update_halts_and_says_how_to_resume_and_roll_back(synced, fake_pulumi):
    fake_pulumi.scenario(
        stacks=stacks(**{"usw2-a": {"up_error": "creating MSK cluster: LimitExceeded"}})
    )
    result = run("rollout", "--wave", "0", "--bake", "0s", "--no-gate")
    assert result.exit_code == 1
    assert "LimitExceeded" in result.stdout
    assert "resume:    cellctl rollout --resume" in result.stdout
    assert "cellctl rollout --cell use1-a" in result.stdout, "roll back what was updated"
    assert ("up", "euw1-a") not in fake_pulumi.operations()


def test_stack_that_does_not_exist_is_exit_2_before_anything(synced, fake_pulumi):
    fake_pulumi.scenario(stacks={"use1-a": {}})
    result = run("rollout", "--wave", "0")
    assert result.exit_code == 2
    assert "usw2-a, euw1-a do not exist yet" in result.stderr
    assert "pulumi stack init" in result.stderr
    assert not fake_pulumi.operations()


def test_missing_cli_is_exit_2(synced, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("rollout", "--cell", "use1-a")
    assert result.exit_code == 2
    assert "Pulumi CLI is not installed" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_selection_and_bake_are_exit_2(synced):
    result = run("rollout", "--cell", "nope")
    assert result.exit_code == 2 and "--cell nope: no such cell" in result.stderr
    result = run("rollout", "--cell", "use1-a", "--bake", "an hour")
    assert result.exit_code == 2 and "not a duration" in result.stderr


def test_standby_cells_are_skipped_unless_named(project, fake_pulumi):
    data = example_fleet_data()
    data["cells"][3]["state"] = "standby"  # use1-d, wave 2
    write_fleet(project / "cells" / "fleet.yaml", data)
    assert run("stacks", "sync").exit_code == 0
    assert "use1-d" not in run("rollout", "matrix", "--wave", "2").stdout
    fake_pulumi.scenario(stacks={c: {} for c in ["use1-c", "use1-d", "euw1-c"]})
    result = run("rollout", "--wave", "2", "--bake", "0s", "--no-gate")
    assert result.exit_code == 0, result.stderr
    assert "use1-d" not in {c for _, c in fake_pulumi.operations()}
    assert "skipped standby cells: use1-d" in result.stdout
    assert run("rollout", "--cell", "use1-d", "--bake", "0s", "--no-gate").exit_code == 0
    assert ("up", "use1-d") in fake_pulumi.operations()


def test_matrix_lists_a_waves_cells_for_github_actions(synced):
    result = run("rollout", "matrix", "--wave", "1")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "include": [
            {"cell": "use1-b", "region": "us-east-1"},
            {"cell": "usw2-b", "region": "us-west-2"},
            {"cell": "euw1-b", "region": "eu-west-1"},
        ]
    }
    assert run("rollout", "matrix", "--wave", "7").exit_code == 2


def test_matrix_refuses_a_wave_larger_than_github_allows(project):
    data = example_fleet_data()
    template = data["cells"][0]
    data["cells"] += [{**template, "id": f"big-{i:03d}", "wave": 3} for i in range(257)]
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = run("rollout", "matrix", "--wave", "3", "--fleet", "cells/fleet.yaml")
    assert result.exit_code == 2
    assert "257 cells" in result.stderr and "split the wave" in result.stderr


def test_gate_command_checks_cells_up_to_the_wave(project, moto_endpoint, monkeypatch, tmp_path):
    check = tmp_path / "check.py"
    check.write_text("import sys\nsys.exit(1 if sys.argv[1] == 'usw2-b' else 0)\n")
    data = example_fleet_data()
    data["fleet"]["rollout"] = {"job_check": [sys.executable, str(check), "{cell}"]}
    write_fleet(project / "cells" / "fleet.yaml", data)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    passed = run("rollout", "gate", "--wave", "0")
    assert passed.exit_code == 0, passed.stdout + passed.stderr
    assert "passed for 3 cells up to wave 0" in passed.stdout
    failed = run("rollout", "gate", "--wave", "1")
    assert failed.exit_code == 1
    assert "usw2-b: job-check:" in failed.stdout


def test_bake_command_waits_the_given_time(synced):
    started = time.monotonic()
    result = run("rollout", "bake", "--wave", "0", "--for", "1s")
    assert result.exit_code == 0
    assert time.monotonic() - started >= 1
    assert "wave 0: baking 1s" in result.stdout


def test_ctrl_c_finishes_the_cell_in_flight_records_it_and_resume_finishes(synced, fake_pulumi):
    slow = {c: {"preview": tag_update(c), "up_seconds": 1.5} for c in WAVE_0}
    fake_pulumi.scenario(stacks=slow)
    cellctl = Path(sys.executable).with_name("cellctl")
    args = [str(cellctl), "rollout", "--wave", "0", "--bake", "0s", "--no-gate"]
    # Its own process group, like a terminal's foreground job: Ctrl-C signals the whole group.
    proc = subprocess.Popen(
        args, cwd=synced, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=os.environ.copy(),
    )  # fmt: skip
    marker = fake_pulumi.started / "up-use1-a"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)  # impatient: a second Ctrl-C only says who is running
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert (fake_pulumi.started / "up-use1-a.done").exists(), "the cell in flight finished"
    assert [c for op, c in fake_pulumi.operations() if op == "up"] == ["use1-a"]
    assert "stopping after the cells in flight" in err
    assert "still waiting for use1-a" in err
    [journal] = (synced / ".cellctl" / "rollouts").glob("*.jsonl")
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert entries[-1]["outcome"] == "interrupted"
    assert {"kind": "cell", "cell": "use1-a", "step": "succeeded"}.items() <= {
        **next(e for e in entries if e.get("cell") == "use1-a" and e["step"] == "succeeded")
    }.items()
    fake_pulumi.scenario(stacks={c: {"preview": tag_update(c)} for c in WAVE_0})
    resumed = run("rollout", "--resume", journal.stem)
    assert resumed.exit_code == 0, resumed.stdout + resumed.stderr
    ups = [c for op, c in fake_pulumi.operations() if op == "up"]
    assert ups == ["use1-a", "usw2-a", "euw1-a"], "use1-a is never re-applied"


def test_resume_refuses_another_commit_and_a_selection(synced, fake_pulumi):
    fake_pulumi.scenario(stacks=stacks(**{"usw2-a": {"up_error": "boom"}}))
    run("rollout", "--wave", "0", "--bake", "0s", "--no-gate")
    [journal] = (synced / ".cellctl" / "rollouts").glob("*.jsonl")
    lines = journal.read_text().splitlines()
    start = json.loads(lines[0])
    start["commit"] = "f" * 40
    journal.write_text("\n".join([json.dumps(start), *lines[1:]]) + "\n")
    other = run("rollout", "--resume", journal.stem)
    assert other.exit_code == 2 and "check out ffffffffffff" in other.stderr
    selected = run("rollout", "--resume", journal.stem, "--wave", "1")
    assert (
        selected.exit_code == 2 and "--resume continues the recorded selection" in selected.stderr
    )
    assert run("rollout", "--resume", "nope").exit_code == 2


def test_fleet_rollout_settings_are_validated(project):
    data = example_fleet_data()
    data["fleet"]["rollout"] = {
        "bake": {0: "1 hour", 9: "1h"},
        "job_check": ["check", "{cel}"],
    }
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = run("validate")
    assert result.exit_code == 2
    assert "fleet.rollout.bake.0" in result.stderr and "a duration such as 90s" in result.stderr
    data["fleet"]["rollout"]["bake"] = {0: "1h", 9: "1h"}
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = run("validate")
    assert result.exit_code == 2
    assert "unknown-wave" in result.stderr and "job-check-placeholder" in result.stderr
    assert yaml.safe_load((project / "cells" / "fleet.yaml").read_text())
