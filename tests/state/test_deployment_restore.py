"""A job started from a restore point, and a job suspended to move out, as FlinkDeployments."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cells import cell_spec, load_fleet, load_placement
from cells.spec import CellSpec
from components.flink_deployment import CLAIM_MODE_KEY, flink_deployment
from tests.cell.test_flink_platform import _validate
from tests.helpers import EXAMPLE_FLEET

SAVEPOINT = "s3://payments-use1-b-checkpoints/tenants/ledger/balancer/savepoints/savepoint-1a2b3c"


@pytest.fixture(scope="module")
def spec() -> CellSpec:
    fleet = load_fleet(EXAMPLE_FLEET)
    return cell_spec(fleet, load_placement(fleet, EXAMPLE_FLEET), "use1-a", EXAMPLE_FLEET)


def _render(spec: CellSpec, **changes: object) -> dict:
    tenant = next(t for t in spec.tenants if t.id == "ledger")
    job = replace(next(j for j in tenant.jobs if j.id == "balancer"), **changes)
    return flink_deployment(job, tenant, spec.names.checkpoint_bucket, "b:9098", 3_600_000)


def test_a_job_from_a_restore_point_starts_there_without_claiming_it(spec: CellSpec) -> None:
    deployment = _render(spec, initial_savepoint_path=SAVEPOINT)
    _validate(deployment)
    assert deployment["spec"]["job"]["initialSavepointPath"] == SAVEPOINT
    assert deployment["spec"]["job"]["state"] == "running"
    assert deployment["spec"]["flinkConfiguration"][CLAIM_MODE_KEY] == "NO_CLAIM"


def test_a_plain_job_has_no_restore_settings(spec: CellSpec) -> None:
    deployment = _render(spec)
    assert "initialSavepointPath" not in deployment["spec"]["job"]
    assert CLAIM_MODE_KEY not in deployment["spec"]["flinkConfiguration"]


@pytest.mark.parametrize("mode", ["savepoint", "last-state"])
def test_a_suspended_job_stops_with_a_savepoint(spec: CellSpec, mode: str) -> None:
    deployment = _render(spec, suspended=True, upgrade_mode=mode)
    _validate(deployment)
    assert deployment["spec"]["job"]["state"] == "suspended"
    assert deployment["spec"]["job"]["upgradeMode"] == "savepoint"
