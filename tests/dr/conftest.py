"""Drills of the example fleet (moto on 127.0.0.1, simulated replication), shared per session."""

from __future__ import annotations

import pytest

from dr.drill import DrillReport, DrillSettings, run_drill
from dr.replication_sim import ReplicationProfile
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
