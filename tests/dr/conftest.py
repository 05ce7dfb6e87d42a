"""Drills of the example fleet (moto on 127.0.0.1, simulated replication), shared per session."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from dr.drill import DrillReport, DrillSettings, empty_and_remove, run_drill, savepoint_fixtures
from dr.replication_sim import ReplicationProfile
from state.restore_points import job_savepoint_prefix
from state.s3 import s3_client
from tests.helpers import EXAMPLE_FLEET, ROOT

FIXTURES = ROOT / "tests" / "state" / "savepoints"
# Replication that keeps its promise: seconds of lag, nothing slow, nothing failed.
IN_ORDER = ReplicationProfile(mean_lag_seconds=5.0, slow_fraction=0.0, failed_fraction=0.0)
LOST_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def drill(region: str, profile: ReplicationProfile, seed: int = 7, **kwargs: object) -> DrillReport:
    settings = DrillSettings(region=region, seed=seed, profile=profile, **kwargs)  # type: ignore[arg-type]
    return run_drill(ROOT, EXAMPLE_FLEET, settings, FIXTURES)


@pytest.fixture(scope="session", params=LOST_REGIONS)
def in_order_drill(request: pytest.FixtureRequest) -> DrillReport:
    """Each region of the example fleet lost in turn, its recovery stacks planned."""
    return drill(request.param, IN_ORDER, savepoints_per_job=2)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """Environment as a user sets it (credentials, endpoint), and a client per region."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    clients = cache(lambda region: s3_client(region))
    yield clients
    # moto's state outlives the test in this process: leave no bucket for the next test.
    s3 = clients("us-east-1")
    for bucket in s3.list_buckets().get("Buckets", []):
        if bucket["Name"].startswith("payments-"):
            region = s3.get_bucket_location(Bucket=bucket["Name"])["LocationConstraint"]
            empty_and_remove(clients(region or "us-east-1"), bucket["Name"])


def fresh_bucket(s3: Any, name: str, region: str) -> None:
    """The bucket, empty, versioned (moto's state outlives a test: earlier ones are removed)."""
    empty_and_remove(s3, name)
    extra = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **extra)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def upload_savepoint(s3: Any, bucket: str, tenant: str, job: str, name: str) -> str:
    """A real savepoint (with state files) re-keyed under the job's savepoint prefix."""
    source = savepoint_fixtures(FIXTURES)[0]
    directory = f"{job_savepoint_prefix(tenant, job)}{name}"
    for file in sorted(source.iterdir(), key=lambda p: p.name == "_metadata"):
        s3.put_object(Bucket=bucket, Key=f"{directory}/{file.name}", Body=file.read_bytes())
    return f"s3://{bucket}/{directory}"
