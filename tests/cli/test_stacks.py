"""`cellctl stacks sync`: one stack file per cell, nothing removed silently, --check for CI."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from cellctl.main import app
from tests.helpers import ROOT, example_fleet_data, write_fleet


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_sync_writes_one_stack_per_cell(project: Path) -> None:
    result = _run("stacks", "sync")
    assert result.exit_code == 0, result.stderr
    assert "9 new" in result.stdout
    files = sorted(p.name for p in (project / "stacks").iterdir())
    assert len(files) == 9 and "Pulumi.use1-a.yaml" in files
    config = yaml.safe_load((project / "stacks" / "Pulumi.euw1-c.yaml").read_text())["config"]
    assert config == {
        "aws:region": "eu-west-1",
        "flink-cells:cell": "euw1-c",
        "flink-cells:fleetFile": "cells/fleet.yaml",
    }


def test_check_fails_until_synced_then_passes(project: Path) -> None:
    before = _run("stacks", "sync", "--check")
    assert before.exit_code == 1
    assert "would write stacks/Pulumi.use1-a.yaml (new cell)" in before.stdout
    assert not (project / "stacks").exists(), "--check must write nothing"
    assert _run("stacks", "sync").exit_code == 0
    after = _run("stacks", "sync", "--check")
    assert after.exit_code == 0 and "9 unchanged" in after.stdout


def test_changed_cell_is_rewritten(project: Path) -> None:
    _run("stacks", "sync")
    data = example_fleet_data()
    data["regions"][2]["name"] = "eu-west-3"
    data["regions"][2]["network"]["subnets"] = [
        {**s, "az": s["az"].replace("eu-west-1", "eu-west-3")}
        for s in data["regions"][2]["network"]["subnets"]
    ]
    for cell in data["cells"]:
        if cell["region"] == "eu-west-1":
            cell["region"] = "eu-west-3"
    for tenant in data["tenants"]:
        if tenant["home_region"] == "eu-west-1":
            tenant["home_region"] = "eu-west-3"
    write_fleet(project / "cells" / "fleet.yaml", data)
    check = _run("stacks", "sync", "--check")
    assert check.exit_code == 1 and "Pulumi.euw1-a.yaml (changed)" in check.stdout
    assert _run("stacks", "sync").exit_code == 0
    config = yaml.safe_load((project / "stacks" / "Pulumi.euw1-a.yaml").read_text())["config"]
    assert config["aws:region"] == "eu-west-3"


def test_departed_cell_is_reported_never_deleted(project: Path) -> None:
    _run("stacks", "sync")
    data = example_fleet_data()
    data["cells"] = [c for c in data["cells"] if c["id"] != "use1-d"]
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = _run("stacks", "sync")
    assert result.exit_code == 1
    assert "stacks/Pulumi.use1-d.yaml has no cell" in result.stderr
    assert "pulumi destroy" in result.stderr
    assert (project / "stacks" / "Pulumi.use1-d.yaml").exists()
    assert _run("stacks", "sync", "--check").exit_code == 1


def test_repository_stack_files_are_in_sync() -> None:
    result = CliRunner().invoke(
        app, ["stacks", "sync", "--check", "--fleet", str(ROOT / "cells" / "fleet.yaml")]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
