"""`cellctl dr plan` and `cellctl dr readiness` against moto on 127.0.0.1, and a recovery stack
from its committed lock through `cellctl stacks sync` and `cellctl plan`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from cellctl.main import app
from cells.recovery_lock import load_recovery_lock
from dr.drill import _prepare_cell
from tests.dr.conftest import fresh_bucket, upload_savepoint

USW2_JOBS = {
    "usw2-a": [("kyc-events", "enricher"), ("notifications", "digests")],
    "usw2-b": [("fx-rates", "aggregator"), ("notifications", "fanout")],
}


def _cellctl(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _declare_lost(project: Path, region: str, at: datetime) -> None:
    fleet_file = project / "cells" / "fleet.yaml"
    data = yaml.safe_load(fleet_file.read_text())
    for entry in data["regions"]:
        if entry["name"] == region:
            entry.update(status="lost", lost_at=at)
    fleet_file.write_text(yaml.safe_dump(data, sort_keys=False))


def test_dr_plan_locks_restore_points_and_the_recovery_stack_plans(
    project: Path, aws: Callable[[str], Any]
) -> None:
    replica = aws("us-east-1")
    uris = {}
    for cell, jobs in USW2_JOBS.items():
        fresh_bucket(replica, f"payments-{cell}-checkpoints-dr", "us-east-1")
        for tenant, job in jobs:
            if (tenant, job) != ("notifications", "fanout"):
                uris[(tenant, job)] = upload_savepoint(
                    replica, f"payments-{cell}-checkpoints-dr", tenant, job, "savepoint-aa-01"
                )
    _declare_lost(project, "us-west-2", datetime.now(UTC))

    missing = _cellctl("dr", "plan")
    assert missing.exit_code == 1, missing.stdout + missing.stderr
    assert "MISS usw2-b notifications/fanout: no restorable savepoint" in missing.stdout
    lock = load_recovery_lock(project / "cells" / "recovery.lock.yaml")
    assert lock.cells["usw2-b"].jobs["notifications/fanout"].restore_point is None
    assert lock.cells["usw2-a"].jobs["kyc-events/enricher"].restore_point == uris[
        ("kyc-events", "enricher")
    ]

    synced = _cellctl("stacks", "sync")
    assert synced.exit_code == 0, synced.stdout + synced.stderr
    assert (project / "stacks" / "Pulumi.usw2-a-recovery.yaml").exists()
    refused = _cellctl("plan", "--cell", "usw2-b-recovery", "-j", "1")
    assert refused.exit_code == 2
    assert "notifications/fanout" in refused.stdout + refused.stderr
    assert "would drop its state" in refused.stdout + refused.stderr

    planned = _cellctl("plan", "--cell", "usw2-a-recovery", "-j", "1", "--out", "plan.json")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "policies: no violations" in planned.stdout
    [stack] = json.loads((project / "plan.json").read_text())["stacks"]
    paths = {
        r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]["job"]["initialSavepointPath"]
        for r in stack["resources"]
        if r["type"].endswith(":FlinkDeployment")
    }
    assert paths == {"enricher": uris[("kyc-events", "enricher")],
                     "digests": uris[("notifications", "digests")]}  # fmt: skip


def test_dr_plan_without_a_lost_region_says_how_to_declare_one(project: Path) -> None:
    result = _cellctl("dr", "plan")
    assert result.exit_code == 2
    assert "no-lost-region" in result.stderr and "status: lost" in result.stderr


def test_readiness_reports_unreplicated_cells_and_jobs_without_savepoints(
    project: Path, aws: Callable[[str], Any]
) -> None:
    _prepare_cell(aws, "payments", "usw2-a", "us-west-2", "us-east-1")
    fresh_bucket(aws("us-west-2"), "payments-usw2-b-checkpoints", "us-west-2")  # no replication
    fresh_bucket(aws("us-east-1"), "payments-usw2-b-checkpoints-dr", "us-east-1")
    for cell, jobs in USW2_JOBS.items():
        for tenant, job in jobs:
            upload_savepoint(aws("us-east-1"), f"payments-{cell}-checkpoints-dr", tenant, job,
                             "savepoint-bb-01")  # fmt: skip
    result = _cellctl("dr", "readiness", "--region", "us-west-2", "--json")
    assert result.exit_code == 1, result.stdout + result.stderr
    rows = {f"{r['tenant']}/{r['job']}": r for r in json.loads(result.stdout)}
    assert set(rows) == {f"{t}/{j}" for jobs in USW2_JOBS.values() for t, j in jobs}
    for key in ("kyc-events/enricher", "notifications/digests"):
        assert rows[key]["ready"] is True and rows[key]["replication"] == "ok", rows[key]
        assert 0 <= rows[key]["ageSeconds"] <= rows[key]["drRpoSeconds"]
    for key in ("fx-rates/aggregator", "notifications/fanout"):
        assert rows[key]["ready"] is False
        assert rows[key]["replication"].startswith("not configured"), rows[key]

    table = _cellctl("dr", "readiness", "--region", "us-west-2")
    assert table.exit_code == 1
    assert "2/4 jobs recoverable within their DR RPO" in table.stdout


def test_readiness_of_an_unknown_region_is_bad_input(project: Path) -> None:
    result = _cellctl("dr", "readiness", "--region", "ap-south-1")
    assert result.exit_code == 2 and "no cells there" in result.stderr
