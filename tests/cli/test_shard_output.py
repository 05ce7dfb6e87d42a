"""What `cellctl shard` prints grows with the cells, not with the tenants: a tenants x cells matrix
only while a person can read it, else a row per cell; changes capped, the ones to review first."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from cellctl import render
from cellctl.main import app
from cells.placement import Move
from cells.synthetic import synthetic_fleet


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _generated(
    project: Path, cells: int, tenants: int, shard_size: int = 2, capacity: int = 40
) -> dict:
    data = synthetic_fleet(1, cells, tenants, shard_size, capacity)
    (project / "cells" / "fleet.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (project / "cells" / "fleet.lock.yaml").unlink()
    return data


def _summary_line(stdout: str) -> int:
    """The index of the line that sums up the changes listed under it."""
    lines = stdout.splitlines()
    return next(i for i, line in enumerate(lines) if line[:1].isdigit() and line.endswith(":"))


def _change_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return [line for line in lines[_summary_line(stdout) + 1 :] if line.startswith("  ")]


def test_a_large_region_is_a_row_per_cell_and_changes_are_capped(project: Path) -> None:
    data = _generated(project, cells=20, tenants=120)
    result = _run("shard")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "us-east-1: 120 tenants on 20 cells, max/mean load " in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("r0-c")}
    assert set(rows) == {c["id"] for c in data["cells"]}
    assert all(row[1] == "active" for row in rows.values())
    # No tenant has a row: the table does not grow with the tenants.
    assert not any(line.startswith("r0-t") for line in out.splitlines())
    lock = yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text())
    members = {c: sum(c in t["cells"] for t in lock["tenants"].values()) for c in rows}
    assert {c: int(row[4]) for c, row in rows.items()} == members
    spread = max(members.values()) * len(members) / sum(members.values())
    assert (
        f"tenants per cell {min(members.values())}-{max(members.values())} "
        f"(max/mean {spread:.2f})" in out
    )
    changes = _change_lines(out)
    jobs = sum(len(t["jobs"]) for t in data["tenants"])
    total = 120 + jobs
    assert f"\n120 new tenants, {jobs} new jobs:\n" in out
    assert f"wrote cells/fleet.lock.yaml: 120 new tenants, {jobs} new jobs; commit" in out
    assert changes[:2] == ["  tenants: 120 (new tenant)", f"  jobs: {jobs} (new job)"]
    listed = [line for line in changes[2:] if not line.startswith("  ...")]
    assert len(listed) == render.LISTED_CHANGES
    # No git here, and the lock is new: it is the list of every change.
    assert changes[-1] == (
        f"  ... {total - render.LISTED_CHANGES} more: cells/fleet.lock.yaml is new: it lists "
        "every shard and job"
    )


def test_full_prints_the_matrix_and_every_change(project: Path) -> None:
    data = _generated(project, cells=20, tenants=120)
    result = _run("shard", "--full")
    assert result.exit_code == 0, result.stderr
    tenant_rows = [line for line in result.stdout.splitlines() if line.startswith("r0-t")]
    assert len(tenant_rows) == 120
    total = 120 + sum(len(t["jobs"]) for t in data["tenants"])
    assert len(_change_lines(result.stdout)) == total
    assert "  ... " not in result.stdout


def test_a_region_of_many_cells_lists_its_fullest_and_those_not_active(project: Path) -> None:
    data = _generated(project, cells=render.LISTED_CELLS + 20, tenants=150)
    assert _run("shard").exit_code == 0
    data["cells"][7]["state"] = "draining"
    (project / "cells" / "fleet.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = _run("shard", "--drain", data["cells"][7]["id"])
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("r0-c")]
    cells = [row[0] for row in rows if len(row) == 6]
    assert data["cells"][7]["id"] in cells
    assert len(cells) == render.FULLEST_CELLS + 1
    hidden = render.LISTED_CELLS + 20 - len(cells)
    assert f"... {hidden} more cells: `cellctl shard --check --json` lists every cell" in (
        result.stdout
    )
    every = json.loads(_run("shard", "--check", "--json").stdout)["cells"]
    fullest = sorted(
        (c for c, load in every.items() if c != data["cells"][7]["id"]),
        key=lambda c: (-every[c]["used"] / every[c]["capacity"], c),
    )[: render.FULLEST_CELLS]
    assert set(cells) == {*fullest, data["cells"][7]["id"]}


def test_the_example_fleet_still_prints_its_matrix(project: Path) -> None:
    result = _run("shard", "--check")
    assert result.exit_code == 0, result.stderr
    assert "\nus-east-1: max/mean load " in result.stdout
    assert "chargebacks" in result.stdout and "capacity used" in result.stdout


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    monkeypatch.setattr(render, "out", Console(file=buffer, highlight=False, soft_wrap=True))
    return buffer


def test_capped_changes_list_state_moves_and_removals_first(printed: io.StringIO) -> None:
    new = [Move(f"t{i:03d}", None, None, "c1,c2", "new tenant") for i in range(80)]
    moved = Move("t500", "ingest", "c1", "c3", "rebalance: load")
    removed = Move("t501", "ingest", "c2", None, "job removed from the fleet")
    render.moves([*new, removed, moved], "where the rest is")
    lines = printed.getvalue().splitlines()
    assert lines[1:5] == [
        "80 new tenants, 1 job moves, 1 job removed:",
        "  tenants: 80 (new tenant)",
        "  jobs: 1 (job removed from the fleet), 1 (rebalance: load)",
        "  t500/ingest: c1 -> c3 (rebalance: load)",
    ]
    assert lines[5] == "  t501/ingest: c2 -> - (job removed from the fleet)"
    assert lines[6] == "  t000 shard: - -> c1,c2 (new tenant)"
    assert len(lines) == 4 + render.LISTED_CHANGES + 1
    assert lines[-1] == "  ... 32 more: where the rest is"


def test_few_changes_are_listed_in_placement_order(printed: io.StringIO) -> None:
    changes = [Move(f"t{i}", None, None, "c1", "new tenant") for i in range(3)]
    changes.append(Move("t9", "j", "c1", "c2", "rebalance: load"))
    render.moves(changes, "")
    assert printed.getvalue().splitlines()[1:] == [
        "3 new tenants, 1 job moves:",
        *(f"  {c.describe()}" for c in changes),
    ]


def test_report_names_at_most_twenty_exposed_tenants(project: Path) -> None:
    _generated(project, cells=2, tenants=60, shard_size=1, capacity=100)
    result = _run("shard", "--report")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if "worst cell to lose" in line)
    held = int(line.split("(")[1].split()[0])
    named = line.split("more than half their shard: ")[1].split(" and ")[0].split(", ")
    assert len(named) == render.LISTED_TENANTS and held > render.LISTED_TENANTS
    assert line.endswith(f" and {held - render.LISTED_TENANTS} more (`--json` lists them)")
    exposed = json.loads(_run("shard", "--check", "--json").stdout)["regions"]["us-east-1"]
    assert len(exposed["exposedTenants"]) == held and named == exposed["exposedTenants"][:20]
