"""A job move end to end against moto: lock states, the suspended deployment in the old cell, the
server-side copy and its verification, the new deployment's initialSavepointPath, and a copy that
is not complete never reaching the next step."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from cells import load_fleet
from cells.placement import MoveStep, read_lock
from offline import plan_stacks
from state.moves import MoveBlocked, advance
from state.restore_points import find_restore_point, job_savepoint_prefix
from tests.helpers import ROOT, example_fleet_data, write_fleet
from tests.state.conftest import REAL_SAVEPOINTS, fresh_bucket, upload_savepoint

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
TENANT, JOB, OLD = "ledger", "poster", "use1-c"
STOPPED = next(p for p in REAL_SAVEPOINTS if p.parent.name == "rocksdb-files-stop-native")
RUNNING = next(p for p in REAL_SAVEPOINTS if p.parent.name == "rocksdb-files-native")


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _bucket(cell: str) -> str:
    return f"payments-{cell}-checkpoints"


@pytest.fixture
def moving(project: Path, s3: Any) -> str:
    """use1-c drained: ledger/poster recorded as moving out of it. Returns the new cell."""
    shutil.copytree(ROOT / "stacks", project / "stacks")
    data = example_fleet_data()
    next(c for c in data["cells"] if c["id"] == OLD)["state"] = "draining"
    write_fleet(project / "cells" / "fleet.yaml", data)
    drained = _run("shard", "--drain", OLD)
    assert drained.exit_code == 0, drained.output
    move = _lock(project)["tenants"][TENANT]["moves"][JOB]
    assert move["from"] == OLD and move["step"] == "suspended" and "savepoint" not in move
    for cell in (OLD, move["to"]):
        fresh_bucket(s3, _bucket(cell))
    return move["to"]


def _lock(project: Path) -> dict:
    return yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text())


def _deployments(project: Path, cells: list[str]) -> dict[str, dict[str, dict]]:
    """cell -> job -> the FlinkDeployment its stack would create (the real program, offline)."""
    return {
        plan["stack"]: {
            r["inputs"]["metadata"]["name"]: r["inputs"]
            for r in plan["resources"]
            if r["type"] == DEPLOYMENT and r["inputs"]["metadata"]["namespace"] == "tenant-ledger"
        }
        for plan in plan_stacks(project, cells, jobs=1)
    }


def test_a_move_end_to_end(project: Path, s3: Any, moving: str) -> None:
    new = moving
    # Step 1: the old cell suspends the job with a savepoint; the new cell does not run it yet.
    plans = _deployments(project, [OLD, new])
    suspended = plans[OLD][JOB]["spec"]["job"]
    assert suspended["state"] == "suspended" and suspended["upgradeMode"] == "savepoint"
    assert JOB not in plans[new]
    check = _run("shard", "--check")
    assert check.exit_code == 1
    assert (
        f"job {TENANT}/{JOB} is moving {OLD} -> {new} (suspended); next: `pulumi up` the "
        f"stack of {OLD}" in check.stderr
    )

    # A savepoint taken while the job kept running is not enough: the lock stays at step 1.
    prefix = job_savepoint_prefix(TENANT, JOB)
    upload_savepoint(s3, _bucket(OLD), f"{prefix}{RUNNING.name}", RUNNING)
    # Until the copy, the job's restore point is read where its state is: the cell it leaves.
    listed = _run("state", "restore-points", "--tenant", TENANT, "--job", JOB, "--json")
    [row] = json.loads(listed.stdout)
    assert row["cell"] == OLD and row["newest"]["uri"].startswith(f"s3://{_bucket(OLD)}/")
    early = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert early.exit_code == 1 and "kept running" in early.output
    assert _lock(project)["tenants"][TENANT]["moves"][JOB]["step"] == "suspended"

    # Step 2: the savepoint the job stopped with is copied and verified in the new cell's bucket.
    time.sleep(1.1)  # S3 LastModified has one-second resolution: the stop comes later
    upload_savepoint(s3, _bucket(OLD), f"{prefix}{STOPPED.name}", STOPPED)
    copied = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert copied.exit_code == 0, copied.output
    copy = f"s3://{_bucket(new)}/{prefix}{STOPPED.name}"
    assert _lock(project)["tenants"][TENANT]["moves"][JOB] == {
        "from": OLD, "to": new, "step": "copied", "savepoint": copy,
    }  # fmt: skip
    restored = find_restore_point(s3, _bucket(new), TENANT, JOB)
    assert restored.newest is not None and restored.newest.uri == copy
    again = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert again.exit_code == 1 and "has not checkpointed" in again.output

    # The new cell starts it from the copy in its own bucket; the old cell drops it.
    plans = _deployments(project, [OLD, new])
    assert JOB not in plans[OLD]
    started = plans[new][JOB]["spec"]
    assert started["job"]["initialSavepointPath"] == copy
    assert started["job"]["state"] == "running"
    assert started["flinkConfiguration"]["execution.state-recovery.claim-mode"] == "NO_CLAIM"
    check = _run("shard", "--check")
    assert check.exit_code == 1 and f"job {TENANT}/{JOB} is moving {OLD} -> {new} (copied)" in (
        check.stderr
    )

    # Done once it has checkpointed in the new cell; the lock keeps the path it started from.
    time.sleep(1.1)
    checkpoint = f"tenants/{TENANT}/{JOB}/checkpoints/0a1b/chk-7/_metadata"
    s3.put_object(Bucket=_bucket(new), Key=checkpoint, Body=b"written by the job")
    done = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert done.exit_code == 0, done.output
    assert _lock(project)["tenants"][TENANT]["moves"][JOB]["step"] == "done"
    check = _run("shard", "--check")
    # Draining use1-c moved other jobs too; those moves are still under way, this one is not.
    assert f"job {TENANT}/{JOB} is moving" not in check.stderr
    assert "is out of date" not in check.stderr
    assert _deployments(project, [new])[new][JOB]["spec"]["job"]["initialSavepointPath"] == copy


class _LosesOneCopy:
    """A destination client whose first copy of a state file silently never lands."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.lost: str | None = None

    def copy(self, source: dict, bucket: str, key: str, **kwargs: Any) -> None:
        if self.lost is None and not key.endswith("/_metadata"):
            self.lost = key
            return
        self.real.copy(source, bucket, key, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_an_incomplete_copy_never_reaches_step_two(project: Path, s3: Any, moving: str) -> None:
    prefix = job_savepoint_prefix(TENANT, JOB)
    upload_savepoint(s3, _bucket(OLD), f"{prefix}{STOPPED.name}", STOPPED)
    fleet = load_fleet(project / "cells" / "fleet.yaml")
    placement = read_lock(project / "cells" / "fleet.lock.yaml")
    faulty = _LosesOneCopy(s3)
    # Both cells share a region here: the source reads go through the same faulty wrapper,
    # which only drops a copy.
    with pytest.raises(MoveBlocked, match=r"is not complete .*missing .* the lock is unchanged"):
        advance(fleet, placement, (TENANT, JOB), lambda region: faulty)
    assert faulty.lost is not None
    # Re-running resumes: only the missing object is copied, and the copy verifies.
    resumed, what = advance(fleet, placement, (TENANT, JOB), lambda region: s3)
    assert resumed.moves[(TENANT, JOB)].step is MoveStep.COPIED
    assert what.startswith("copied and verified s3://")


def test_a_move_that_contradicts_the_jobs_cell_is_refused(project: Path, moving: str) -> None:
    lock_file = project / "cells" / "fleet.lock.yaml"
    lock = _lock(project)
    other = next(c for c in lock["tenants"][TENANT]["cells"] if c != moving)
    lock["tenants"][TENANT]["moves"][JOB]["step"] = "copied"
    lock["tenants"][TENANT]["moves"][JOB]["savepoint"] = (
        f"s3://{_bucket(moving)}/{job_savepoint_prefix(TENANT, JOB)}savepoint-x"
    )
    lock["tenants"][TENANT]["jobs"][JOB] = other
    lock_file.write_text(yaml.safe_dump(lock))
    result = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert result.exit_code == 2 and "lock-move-target" in result.output


def test_a_savepoint_in_another_cells_bucket_is_refused(project: Path, moving: str) -> None:
    """Cell isolation: a stack may only start a job from its own cell's bucket."""
    lock_file = project / "cells" / "fleet.lock.yaml"
    lock = _lock(project)
    lock["tenants"][TENANT]["moves"][JOB]["step"] = "copied"
    lock["tenants"][TENANT]["moves"][JOB]["savepoint"] = (
        f"s3://{_bucket(OLD)}/{job_savepoint_prefix(TENANT, JOB)}savepoint-x"
    )
    lock_file.write_text(yaml.safe_dump(lock))
    result = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert result.exit_code == 2 and "lock-move-savepoint" in result.output


def test_a_job_that_is_not_moving(project: Path, aws_env: str) -> None:
    result = _run("state", "move", "--tenant", TENANT, "--job", JOB)
    assert result.exit_code == 2 and "not-moving" in result.output
