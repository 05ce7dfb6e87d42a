"""Stack files keep what Pulumi wrote; the lock is checked for what it must never hold."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.helpers import example_fleet_data, write_fleet
from tests.inputs.conftest import changed, problem_line, run, snapshot

STACK = Path("stacks/Pulumi.use1-a.yaml")


def _synced(project: Path) -> None:
    assert run("stacks", "sync").exit_code == 0


def test_sync_keeps_the_keys_pulumi_writes(project: Path) -> None:
    _synced(project)
    data = yaml.safe_load((project / STACK).read_text())
    data["encryptionsalt"] = "v1:abc=:v1:def:ghi"
    data["secretsprovider"] = "awskms://alias/flink-cells"
    data["config"]["flink-cells:alertEmail"] = {"secure": "v1:AAAB"}
    data["config"]["flink-cells:cell"] = "use1-b"  # cellctl's own key, edited by hand
    (project / STACK).write_text(yaml.safe_dump(data))
    result = run("stacks", "sync", "--check")
    assert result.exit_code == 1 and "Pulumi.use1-a.yaml (changed)" in result.output
    assert run("stacks", "sync").exit_code == 0
    synced = yaml.safe_load((project / STACK).read_text())
    assert synced["encryptionsalt"] == "v1:abc=:v1:def:ghi"
    assert synced["secretsprovider"] == "awskms://alias/flink-cells"
    assert synced["config"]["flink-cells:alertEmail"] == {"secure": "v1:AAAB"}
    assert synced["config"]["flink-cells:cell"] == "use1-a"


def test_check_compares_only_what_cellctl_owns(project: Path) -> None:
    _synced(project)
    text = (project / STACK).read_text()
    (project / STACK).write_text(text + "encryptionsalt: v1:xyz\n")
    before = snapshot(project)
    result = run("stacks", "sync", "--check")
    assert result.exit_code == 0, result.output
    assert run("stacks", "sync").exit_code == 0
    assert changed(before, snapshot(project)) == set()


def test_sync_never_writes_through_a_symlink(project: Path) -> None:
    _synced(project)
    elsewhere = project / "elsewhere.yaml"
    elsewhere.write_text("precious: true\n")
    (project / STACK).unlink()
    (project / STACK).symlink_to(elsewhere)
    before = snapshot(project)
    result = run("stacks", "sync")
    assert result.exit_code == 2
    assert "Pulumi.use1-a.yaml" in result.output
    problem_line(result.output, "(file)", "symlink")
    assert changed(before, snapshot(project)) == set()


def test_a_malformed_stack_file_is_named(project: Path) -> None:
    _synced(project)
    (project / STACK).write_text("config: [1, 2]\n")
    result = run("stacks", "sync")
    assert result.exit_code == 2
    assert "Pulumi.use1-a.yaml" in result.output
    problem_line(result.output, "config", "stack-malformed")


def test_orphaned_stack_advice_leads_somewhere(project: Path) -> None:
    _synced(project)
    data = example_fleet_data()
    data["cells"] = [c for c in data["cells"] if c["id"] != "use1-d"]
    write_fleet(project / "cells" / "fleet.yaml", data)
    before = snapshot(project)
    result = run("stacks", "sync", "--check")
    assert result.exit_code == 1
    assert "run `cellctl stacks sync`" not in result.output
    for step in ("cellctl shard --drain use1-d", "pulumi destroy --stack use1-d",
                 "pulumi stack rm use1-d"):  # fmt: skip
        assert step in result.output
    assert changed(before, snapshot(project)) == set()


def test_a_fleet_copy_never_rewrites_committed_stack_files(project: Path, tmp_path_factory) -> None:
    _synced(project)
    copy = tmp_path_factory.mktemp("what-if") / "fleet.yaml"
    shutil.copy(project / "cells" / "fleet.yaml", copy)
    before = snapshot(project)
    result = run("stacks", "sync", "--fleet", copy)
    assert result.exit_code == 2
    problem_line(result.output, "(file)", "fleet-outside-project")
    assert "cellctl plan --fleet" in result.output
    assert changed(before, snapshot(project)) == set()


def _lock(project: Path) -> dict:
    return yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text())


def _write_lock(project: Path, lock: dict) -> None:
    (project / "cells" / "fleet.lock.yaml").write_text(yaml.safe_dump(lock, sort_keys=False))


def test_lock_with_a_cell_twice_in_a_shard(project: Path) -> None:
    lock = _lock(project)
    lock["tenants"]["ledger"]["cells"][1] = lock["tenants"]["ledger"]["cells"][0]
    _write_lock(project, lock)
    before = snapshot(project)
    for args in (["shard", "--check"], ["shard"], ["plan", "--cell", "use1-a", "-j", "1"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "fleet.lock.yaml" in result.output
        problem_line(result.output, "tenants.ledger.cells", "lock-duplicate-cell")
    assert changed(before, snapshot(project)) == set()


def test_lock_over_capacity_is_rejected_by_check_and_program(project: Path) -> None:
    data = example_fleet_data()
    ledger = next(t for t in data["tenants"] if t["id"] == "ledger")
    ledger["jobs"][0]["capacity_units"] = 97  # its cell already holds other jobs
    write_fleet(project / "cells" / "fleet.yaml", data)
    _synced(project)
    before = snapshot(project)
    result = run("shard")
    assert result.exit_code == 2
    assert "--rebalance" in problem_line(result.output, "", "capacity-exceeded")
    check = run("shard", "--check")
    assert check.exit_code == 2
    assert changed(before, snapshot(project)) == set()
    from cells.loader import load_fleet
    from cells.placement import disagreements, read_lock

    fleet = load_fleet(project / "cells" / "fleet.yaml")
    codes = {p.code for p in disagreements(fleet, read_lock(project / "cells/fleet.lock.yaml"))}
    assert "lock-over-capacity" in codes
    fixed = run("shard", "--rebalance")
    assert fixed.exit_code == 0, fixed.output
    assert "holds more than its capacity" not in fixed.output


def test_lock_placing_a_tenant_outside_its_home_region(project: Path) -> None:
    lock = _lock(project)
    lock["tenants"]["ledger"]["cells"][0] = "usw2-a"
    _write_lock(project, lock)
    before = snapshot(project)
    result = run("shard", "--check")
    assert result.exit_code == 1
    assert "fleet.lock.yaml" in result.output
    problem_line(result.output, "tenants.ledger", "lock-wrong-region")
    plan = run("plan", "--cell", "use1-a", "-j", "1")
    assert plan.exit_code == 2
    problem_line(plan.output, "tenants.ledger", "lock-wrong-region")
    assert changed(before, snapshot(project)) == set()


def test_half_finished_drain_fails_check_and_says_what_to_run(project: Path) -> None:
    data = example_fleet_data()
    next(c for c in data["cells"] if c["id"] == "use1-d")["state"] = "draining"
    write_fleet(project / "cells" / "fleet.yaml", data)
    before = snapshot(project)
    result = run("shard", "--check")
    assert result.exit_code == 1
    assert "cellctl shard --drain use1-d" in problem_line(
        result.output, "cells.use1-d", "drain-unfinished"
    )
    assert changed(before, snapshot(project)) == set()
    assert run("shard", "--drain", "use1-d").exit_code == 0
    after = run("shard", "--check")
    # The drain is done; each job it moved carries its state over (README "Moving a job"), and
    # --check names the next step of each move until `cellctl state move` has finished it.
    assert "drain-unfinished" not in after.output
    assert after.exit_code == 1 and "next: `pulumi up` the stack of use1-d" in after.output
