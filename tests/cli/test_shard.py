"""`cellctl shard`: lock file, check, drain, report; the Pulumi program reads only the lock."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from offline import PlanError
from offline.planner import record_program
from tests.helpers import ROOT, example_fleet_data, write_fleet


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _lock(project: Path) -> dict:
    return yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text())


def _add_tenant(project: Path) -> None:
    data = example_fleet_data()
    data["tenants"].append(
        {
            "id": "refunds",
            "home_region": "us-east-1",
            "tier": "standard",
            "shard_size": 2,
            "jobs": [
                {
                    "id": "issuer",
                    "jar_uri": "local:///opt/flink/usrlib/refunds-issuer.jar",
                    "parallelism": 4,
                    "capacity_units": 2,
                    "rpo_seconds": 60,
                }
            ],
        }
    )
    write_fleet(project / "cells" / "fleet.yaml", data)


def test_repository_lock_is_up_to_date() -> None:
    result = _run("shard", "--check", "--fleet", str(ROOT / "cells" / "fleet.yaml"))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "is up to date" in result.stdout


def test_new_tenant_is_placed_and_nothing_else_moves(project: Path) -> None:
    before = _lock(project)
    _add_tenant(project)
    check = _run("shard", "--check")
    assert check.exit_code == 1 and "out of date" in check.stderr
    result = _run("shard")
    assert result.exit_code == 0, result.stderr
    assert "refunds shard: - -> " in result.stdout and "(new tenant)" in result.stdout
    after = _lock(project)
    assert {t: v for t, v in after["tenants"].items() if t != "refunds"} == before["tenants"]
    assert len(after["tenants"]["refunds"]["cells"]) == 2
    assert _run("shard", "--check").exit_code == 0


def test_drain_requires_a_draining_cell_then_empties_it(project: Path) -> None:
    refused = _run("shard", "--drain", "use1-c")
    assert refused.exit_code == 2 and "drain-active-cell" in refused.stderr
    data = example_fleet_data()
    next(c for c in data["cells"] if c["id"] == "use1-c")["state"] = "draining"
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = _run("shard", "--drain", "use1-c")
    assert result.exit_code == 0, result.stderr
    assert "(cell use1-c drained)" in result.stdout
    lock = _lock(project)
    for tenant in lock["tenants"].values():
        assert "use1-c" not in tenant["cells"]
        assert "use1-c" not in tenant["jobs"].values()


def test_drain_of_a_pinned_cell_is_refused(project: Path) -> None:
    data = example_fleet_data()
    next(c for c in data["cells"] if c["id"] == "use1-a")["state"] = "draining"
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = _run("shard", "--drain", "use1-a")
    assert result.exit_code == 2
    assert "tenants.0.pinned_cells.0" in result.stderr and "pin-inactive-cell" in result.stderr


def test_report_and_json(project: Path) -> None:
    report = _run("shard", "--report")
    assert report.exit_code == 0
    assert "observed vs hypergeometric expectation" in report.stdout
    assert "worst cell to lose" in report.stdout and "max/mean load" in report.stdout
    assert "tenants per cell 1.82, over 4 active cells" in report.stdout  # us-east-1: 5 tenants
    as_json = json.loads(_run("shard", "--json").stdout)
    assert set(as_json["shards"]) == {t["id"] for t in example_fleet_data()["tenants"]}
    assert as_json["regions"]["us-east-1"]["maxOverMeanLoad"] <= 1.15
    assert as_json["regions"]["us-east-1"]["maxOverMeanTenants"] == 1.8182


def test_program_refuses_a_lock_that_disagrees_with_the_fleet(project: Path) -> None:
    _add_tenant(project)
    config = {"aws:region": "us-east-1", "flink-cells:cell": "use1-a"}
    with pytest.raises(PlanError) as caught:
        record_program("use1-a", config, lambda: runpy.run_path(str(project / "__main__.py")))
    assert "tenant 'refunds' has no placement: run `cellctl shard`" in str(caught.value)
    planned = _run("plan", "--cell", "use1-a")
    assert planned.exit_code == 2 and "lock-missing-tenant" in planned.stderr


def test_removed_cell_names_the_drain_command(project: Path) -> None:
    data = example_fleet_data()
    data["cells"] = [c for c in data["cells"] if c["id"] != "use1-c"]
    write_fleet(project / "cells" / "fleet.yaml", data)
    planned = _run("plan", "--cell", "use1-a")
    assert planned.exit_code == 2
    assert (
        "lock-cell-removed" in planned.stderr and "cellctl shard --drain use1-c" in planned.stderr
    )
    assert _run("shard").exit_code == 2
    drained = _run("shard", "--drain", "use1-c")
    assert drained.exit_code == 0, drained.stderr
    assert all("use1-c" not in t["cells"] for t in _lock(project)["tenants"].values())


def test_departed_tenant_leaves_the_lock_with_a_reason(project: Path) -> None:
    data = example_fleet_data()
    data["tenants"] = [t for t in data["tenants"] if t["id"] != "payouts"]
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = _run("shard")
    assert result.exit_code == 0
    assert "payouts shard: use1-" in result.stdout and "(tenant left the fleet)" in result.stdout
    assert "payouts" not in _lock(project)["tenants"]


def test_malformed_lock_is_a_clear_error(project: Path) -> None:
    (project / "cells" / "fleet.lock.yaml").write_text("version: 1\nfleet: payments\ntenants: 3\n")
    result = _run("shard")
    assert result.exit_code == 2
    assert "lock-malformed" in result.stderr and "Traceback" not in result.stderr


def test_lock_problems_name_their_line(project: Path) -> None:
    lock_file = project / "cells" / "fleet.lock.yaml"
    lines = lock_file.read_text().splitlines()
    ledger = lines.index("  ledger:")
    cells = lines[ledger + 1]
    first = cells.split("[")[1].split(",")[0]
    lines[ledger + 1] = f"    cells: [{first}, {first}]"
    lock_file.write_text("\n".join(lines) + "\n")
    repeated = _run("shard")
    assert repeated.exit_code == 2
    row = next(r for r in repeated.stderr.splitlines() if "lock-duplicate-cell" in r)
    assert row.split()[:2] == [str(ledger + 2), "tenants.ledger.cells"]
    lines[ledger + 1] = cells
    lines[ledger + 2] = "    jobs: [poster]"
    lock_file.write_text("\n".join(lines) + "\n")
    malformed = _run("shard")
    assert malformed.exit_code == 2
    row = next(r for r in malformed.stderr.splitlines() if "lock-malformed" in r)
    assert row.split()[:2] == [str(ledger + 3), "tenants.ledger.jobs"]
