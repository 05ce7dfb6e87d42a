"""`cellctl state restore-points` against moto on 127.0.0.1 with the example fleet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cellctl.main import app
from state.restore_points import job_savepoint_prefix
from tests.state.conftest import REAL_SAVEPOINTS, fresh_bucket, upload_savepoint

# fraud-signals/scorer runs in use1-b (cells/fleet.lock.yaml); payments is the fleet's name.
BUCKET = "payments-use1-b-checkpoints"
SAVEPOINT = next(p for p in REAL_SAVEPOINTS if p.parent.name == "rocksdb-files-native")


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _bucket(s3: Any, name: str = BUCKET) -> None:
    fresh_bucket(s3, name)


def test_restore_points_table(project: Path, s3: Any) -> None:
    _bucket(s3)
    prefix = job_savepoint_prefix("fraud-signals", "scorer")
    upload_savepoint(s3, BUCKET, f"{prefix}savepoint-a", SAVEPOINT)
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}savepoint-b/_metadata", Body=b"junk")
    result = _run("state", "restore-points", "--tenant", "fraud-signals", "--cell", "use1-b")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "fraud-signals/scorer" in line)
    assert "use1-b" in row and BUCKET in row and "savepoint-a" in row
    assert "skipped fraud-signals/scorer savepoint-b: _metadata unusable" in result.output
    assert "1 of 1 job(s) have a complete restore point" in result.output


def test_restore_points_json_reports_jobs_without_one(project: Path, s3: Any) -> None:
    _bucket(s3, "payments-use1-a-checkpoints")
    result = _run("state", "restore-points", "--cell", "use1-a", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {(r["tenant"], r["job"]) for r in rows} >= {("fraud-signals", "velocity")}
    assert all(r["newest"] is None and r["bucket"] == "payments-use1-a-checkpoints" for r in rows)


def test_replica_bucket_is_read_in_the_dr_region(project: Path, s3: Any) -> None:
    _bucket(s3, f"{BUCKET}-dr")
    prefix = job_savepoint_prefix("fraud-signals", "scorer")
    upload_savepoint(s3, f"{BUCKET}-dr", f"{prefix}savepoint-r", SAVEPOINT)
    result = _run(
        "state", "restore-points", "--tenant", "fraud-signals", "--job", "scorer",
        "--bucket", "replica", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["newest"]["uri"] == f"s3://{BUCKET}-dr/{prefix}savepoint-r"
    assert row["cell"] == "use1-b" and row["newest"]["complete"] is True


def test_missing_bucket_exits_2_with_one_message(project: Path, aws_env: str) -> None:
    result = _run("state", "restore-points", "--cell", "euw1-a")
    assert result.exit_code == 2
    assert "NoSuchBucket" in result.output and "Traceback" not in result.output


def test_unreachable_s3_exits_2(project: Path, aws_env: str, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = _run("state", "restore-points", "--tenant", "fx-rates")
    assert result.exit_code == 2
    assert "S3 unreachable" in result.output


def test_unknown_tenant_exits_2(project: Path, aws_env: str) -> None:
    result = _run("state", "restore-points", "--tenant", "nobody")
    assert result.exit_code == 2
    assert "--tenant nobody: not in the fleet file" in result.output
