from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cells.loader import load_fleet
from cells.model import Fleet
from offline import plan_stacks
from tests.helpers import EXAMPLE_FLEET, ROOT, PlannedStack


@pytest.fixture(scope="session")
def example_fleet() -> Fleet:
    return load_fleet(EXAMPLE_FLEET)


@pytest.fixture(scope="session")
def example_plans(example_fleet: Fleet) -> dict[str, PlannedStack]:
    """The whole example fleet planned once per test process, in-process, one stack at a time."""
    plans = plan_stacks(ROOT, [c.id for c in example_fleet.cells], jobs=1)
    return {p["stack"]: PlannedStack(p["stack"], p["outputs"], p["resources"]) for p in plans}


EXAMPLE_CELLS = [c.id for c in load_fleet(EXAMPLE_FLEET).cells]


@pytest.fixture(params=EXAMPLE_CELLS)
def cell_plan(
    request: pytest.FixtureRequest, example_plans: dict[str, PlannedStack]
) -> PlannedStack:
    """Each cell of the example fleet in turn."""
    return example_plans[request.param]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project (program, fleet file, lock; no stack files) as the working folder."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "cells").mkdir()
    for name in ("fleet.yaml", "fleet.lock.yaml"):
        shutil.copy(ROOT / "cells" / name, tmp_path / "cells" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's AWS APIs on 127.0.0.1, on a free port, for boto3 clients of the code under test."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
