"""The Automation API executor up to the CLI boundary: a fake `pulumi` on PATH records what the
real `pulumi.automation` code asks of it and streams engine events back over gRPC."""

from __future__ import annotations

import os

import pytest
from pulumi.automation import EngineEvent

from rollout.automation import POLICY_PACKS, AutomationExecutor
from rollout.errors import CellFailed, RolloutError
from rollout.steps import step_of
from tests.helpers import ROOT
from tests.rollout.events import bucket_replace, diagnostic, tag_update


def test_preview_and_up_pass_stack_policy_packs_and_project_dir(fake_pulumi):
    fake_pulumi.scenario(stacks={"use1-a": {"preview": tag_update("use1-a"), "up": []}})
    executor = AutomationExecutor(ROOT, message="cellctl rollout r1 at abc123")
    seen: list[EngineEvent] = []
    try:
        executor.preflight(["use1-a"])
        executor.preview("use1-a", seen.append)
        executor.up("use1-a", seen.append)
    finally:
        executor.close()
    calls = {c["argv"][0]: c for c in fake_pulumi.calls() if c["argv"][0] in ("preview", "up")}
    for operation in ("preview", "up"):
        argv = calls[operation]["argv"]
        assert calls[operation]["cwd"] == str(ROOT), "the local workspace is this project"
        assert argv[argv.index("--stack") + 1] == "use1-a"
        packs = [argv[i + 1] for i, a in enumerate(argv) if a == "--policy-pack"]
        assert packs == [str(ROOT / p) for p in POLICY_PACKS]
        assert argv[argv.index("--message") + 1] == "cellctl rollout r1 at abc123"
        assert "--event-log" in argv and "--policy-pack-config" not in argv
        # The stack's config is its stack file, stamped by `cellctl stacks sync`: nothing passed.
        assert "--config" not in argv and "--config-file" not in argv
    assert calls["up"]["argv"][:3] == ["up", "--yes", "--skip-preview"]
    steps = [s for s in map(step_of, seen) if s is not None]
    assert [s["op"] for s in steps] == ["update"], "same steps leave the JSON digest"
    assert steps[0]["diffReasons"] == ["tags"]
    assert steps[0]["oldState"]["inputs"] == {"tags": {"team": "a"}}


def test_each_pulumi_runs_in_its_own_session_so_ctrl_c_never_reaches_it(fake_pulumi):
    fake_pulumi.scenario(stacks={"use1-a": {}})
    executor = AutomationExecutor(ROOT)
    try:
        executor.preview("use1-a", lambda event: None)
    finally:
        executor.close()
    sessions = {c["sid"] for c in fake_pulumi.calls() if c["argv"][0] == "preview"}
    assert sessions and os.getsid(0) not in sessions


def test_policy_config_goes_to_every_pack(fake_pulumi, tmp_path):
    config = tmp_path / "policy.json"
    config.write_text("{}")
    fake_pulumi.scenario(stacks={"use1-a": {}})
    executor = AutomationExecutor(ROOT, policy_config=config)
    try:
        executor.preview("use1-a", lambda event: None)
    finally:
        executor.close()
    argv = next(c["argv"] for c in fake_pulumi.calls() if c["argv"][0] == "preview")
    configs = [argv[i + 1] for i, a in enumerate(argv) if a == "--policy-pack-config"]
    assert configs == [str(config)] * len(POLICY_PACKS)


def test_replacement_steps_reach_the_digest_as_one_replace(fake_pulumi):
    fake_pulumi.scenario(stacks={"use1-a": {"preview": bucket_replace("use1-a")}})
    seen: list[EngineEvent] = []
    executor = AutomationExecutor(ROOT)
    try:
        executor.preview("use1-a", seen.append)
    finally:
        executor.close()
    steps = [s for s in map(step_of, seen) if s is not None]
    assert [s["op"] for s in steps] == ["replace"]
    assert steps[0]["replaceReasons"] == ["bucket"]
    assert steps[0]["newState"]["protect"] is True


def test_failed_update_names_the_engines_error(fake_pulumi):
    message = "creating S3 Bucket (payments-use1-a-checkpoints): AccessDenied"
    fake_pulumi.scenario(
        stacks={"use1-a": {"up": [diagnostic(message)], "up_error": "update failed"}}
    )
    executor = AutomationExecutor(ROOT)
    try:
        with pytest.raises(CellFailed, match="AccessDenied"):
            executor.up("use1-a", lambda event: None)
    finally:
        executor.close()


def test_missing_cli_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RolloutError, match="Pulumi CLI is not installed"):
        AutomationExecutor(ROOT).preflight(["use1-a"])


def test_not_logged_in_is_one_clear_error(fake_pulumi):
    fake_pulumi.scenario(logged_in=False, stacks={"use1-a": {}})
    with pytest.raises(RolloutError, match=r"pulumi login.*PULUMI_ACCESS_TOKEN"):
        AutomationExecutor(ROOT).preflight(["use1-a"])


def test_missing_aws_credentials_is_one_clear_error(fake_pulumi, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    fake_pulumi.scenario(stacks={"use1-a": {}})
    with pytest.raises(RolloutError, match="no AWS credentials"):
        AutomationExecutor(ROOT).preflight(["use1-a"])


def test_stacks_that_do_not_exist_are_named_with_the_fix(fake_pulumi):
    fake_pulumi.scenario(stacks={"use1-a": {}})
    with pytest.raises(RolloutError, match=r"use1-b, usw2-a do not exist yet.*pulumi stack init"):
        AutomationExecutor(ROOT).preflight(["use1-a", "use1-b", "usw2-a"])
    assert not fake_pulumi.operations(), "nothing previewed or updated"
