"""What `cellctl shard` says about a run's changes reconciles with the lock it writes, groups by
reason, points where the unlisted rest can be seen; empty regions, sampled overlaps and a region
short of capacity each say what they are."""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cellctl.main import app
from cellctl.project import tracked_by_git
from cells.synthetic import synthetic_fleet
from tests.helpers import example_fleet_data, write_fleet


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def _write(project: Path, data: dict) -> None:
    (project / "cells" / "fleet.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def _generated(project: Path, cells: int, tenants: int, capacity: int = 100) -> dict:
    data = synthetic_fleet(1, cells, tenants, 2, capacity)
    _write(project, data)
    (project / "cells" / "fleet.lock.yaml").unlink()
    return data


def _lock(project: Path) -> dict:
    return yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text())["tenants"]


def _add_cells(project: Path, data: dict, count: int) -> None:
    first = len(data["cells"])
    for c in range(first, first + count):
        data["cells"].append(
            {"id": f"r0-c{c:04d}", "region": "us-east-1", "size": "standard", "wave": 1}
        )
    _write(project, data)


def _more_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("  ... "))


def _git(project: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=project, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def test_rebalance_after_adding_cells_counts_the_same_things_above_and_below(
    project: Path,
) -> None:
    data = _generated(project, cells=16, tenants=320)
    assert _run("shard").exit_code == 0
    before = _lock(project)
    _add_cells(project, data, 4)
    planned = _run("shard", "--rebalance", "--check", "--full")
    as_json = json.loads(_run("shard", "--rebalance", "--check", "--json").stdout)
    result = _run("shard", "--rebalance")
    assert result.exit_code == 0, result.stderr
    after = _lock(project)
    # The figures, from the two locks alone.
    changed = [t for t in after if set(before[t]["cells"]) != set(after[t]["cells"])]
    members = sum(len(set(before[t]["cells"]) - set(after[t]["cells"])) for t in changed)
    joined = sum(len(set(after[t]["cells"]) - set(before[t]["cells"])) for t in changed)
    jobs = sum(before[t]["jobs"][j] != c for t in after for j, c in after[t]["jobs"].items())
    assert changed and members == joined and jobs
    summary = f"{len(changed)} tenants change shard ({members} members moved), {jobs} jobs move"
    assert f"\n{summary}:\n" in result.stdout
    assert f"wrote cells/fleet.lock.yaml: {summary}; commit it with the fleet file" in (
        result.stdout
    )
    # Grouped by reason: tenants and jobs add up to the summary's, and no line names a cell.
    lines = result.stdout.splitlines()
    at = lines.index(f"{summary}:")
    assert lines[at + 1] == f"  tenants: {len(changed)} (rebalance)"
    assert lines[at + 2].startswith("  jobs: ")
    assert sum(int(n) for n in re.findall(r"(\d+) \(", lines[at + 2])) == jobs
    assert "r0-c" not in lines[at + 1] + lines[at + 2]
    # Listed in full, one line per member moved and per job moved: the summary's own numbers.
    full = planned.stdout.splitlines()
    assert planned.exit_code == 1 and f"{summary}:" in full
    shard_lines = [line for line in full if re.match(r"  r0-t\d+ shard: r0-c\d+ -> r0-c", line)]
    job_lines = [line for line in full if re.match(r"  r0-t\d+/\w+: r0-c\d+ -> r0-c", line)]
    assert (len(shard_lines), len(job_lines)) == (members, jobs)
    # The same numbers for machines, one entry of `moves` per change.
    assert as_json["changes"] == {
        "newTenants": 0, "tenantsChangeShard": len(changed), "membersMoved": members,
        "membersAdded": 0, "membersRemoved": 0, "tenantsRemoved": 0, "newJobs": 0,
        "jobsMove": jobs, "jobsRemoved": 0,
    }  # fmt: skip
    assert len(as_json["moves"]) == members + jobs
    # No git here: `git diff` cannot show the rest, and the hint says so.
    more = _more_line(result.stdout)
    assert "is not tracked by git" in more and "`cellctl shard --check --full`" in more


def test_a_drain_groups_its_changes_under_one_reason(project: Path) -> None:
    data = _generated(project, cells=16, tenants=320)
    assert _run("shard").exit_code == 0
    drained = data["cells"][3]["id"]
    data["cells"][3]["state"] = "draining"
    _write(project, data)
    result = _run("shard", "--drain", drained)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "change shard" in line)
    held = sum(drained in t["cells"] for t in _lock(project).values())
    assert held == 0
    assert re.fullmatch(r"  tenants: \d+ \(cell drained\)", lines[at + 1]), lines[at + 1]
    assert re.fullmatch(r"  jobs: \d+ \(cell drained\)", lines[at + 2]), lines[at + 2]
    assert f"(cell {drained} drained)" in lines[at + 3]


def test_the_hint_names_git_diff_only_for_a_lock_git_tracks(project: Path) -> None:
    data = _generated(project, cells=16, tenants=320)
    first = _run("shard")
    assert _more_line(first.stdout).endswith(
        "cells/fleet.lock.yaml is new: it lists every shard and job"
    )
    _git(project, "init", "-q")
    _git(project, "add", "cells")
    _git(project, "commit", "-qm", "fleet")
    assert tracked_by_git(project / "cells" / "fleet.lock.yaml")
    _add_cells(project, data, 4)
    check = _run("shard", "--rebalance", "--check")
    assert _more_line(check.stdout).endswith(
        "add `--full` to list every change (`--check` writes nothing)"
    )
    result = _run("shard", "--rebalance")
    assert _more_line(result.stdout).endswith("`git diff cells/fleet.lock.yaml` shows every change")
    # ... and it does.
    shown = _git(project, "diff", "--", "cells/fleet.lock.yaml")
    listed = [line.split() for line in result.stdout.splitlines()]
    job, before, after = next(
        (w[0].rstrip(":").split("/")[1], w[1], w[3]) for w in listed if w and "/" in w[0]
    )
    assert any(
        line.startswith("+    jobs: ") and f"{job}: {after}" in line for line in shown.splitlines()
    )
    assert before != after


def test_without_git_a_lock_is_not_tracked(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = project / "cells" / "fleet.lock.yaml"
    _git(project, "init", "-q")
    _git(project, "add", "cells")
    assert tracked_by_git(lock)
    monkeypatch.setenv("PATH", str(project / "no-such-folder"))
    assert not tracked_by_git(lock)


def test_a_region_without_cells_says_why_in_one_line(project: Path) -> None:
    result = _run("shard", "--check")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    [line] = [line for line in lines if line.startswith("eu-central-1")]
    assert line == (
        "eu-central-1: no cells, which is fine: it is the DR partner of eu-west-1 only "
        "(replica buckets, and recovery cells if that region is lost)"
    )
    # Nothing else for it: no empty table.
    assert lines[lines.index(line) + 1] == ""
    data = example_fleet_data()
    spare = json.loads(json.dumps(data["regions"][-1]))
    spare.update(name="ap-southeast-1", dr_partner="ap-southeast-2")
    spare["network"]["subnets"] = [
        {**s, "az": s["az"].replace("eu-central-1", "ap-southeast-1")}
        for s in spare["network"]["subnets"]
    ]
    data["regions"].append(spare)
    write_fleet(project / "cells" / "fleet.yaml", data)
    result = _run("shard", "--check")
    assert result.exit_code == 0, result.output
    assert (
        "\nap-southeast-1: no cells, no tenants, and no region names it as its DR partner: it "
        "is unused\n" in result.stdout
    )


def test_the_overlap_figure_says_whether_it_is_exact_or_a_sample(project: Path) -> None:
    example = _run("shard", "--check", "--report")
    assert "pairwise shard overlap over all 10 tenant pairs (exact), observed vs" in (
        example.stdout
    )
    tenants = 650
    _generated(project, cells=10, tenants=tenants, capacity=200)
    result = _run("shard", "--report")
    assert result.exit_code == 0, result.stderr
    total = math.comb(tenants, 2)
    from cells.placement.report import MAX_PAIRS

    stride = total // MAX_PAIRS + 1
    sampled = math.ceil(total / stride)
    assert total > MAX_PAIRS
    assert (
        f"pairwise shard overlap over a sample of {sampled:,} of {total:,} tenant pairs "
        f"(1 in every {stride:,}), observed vs" in result.stdout
    )
    region = json.loads(_run("shard", "--check", "--json").stdout)["regions"]["us-east-1"]
    assert (region["overlapPairs"], region["overlapPairsTotal"]) == (sampled, total)


def test_a_region_short_of_capacity_is_one_problem_with_its_numbers(project: Path) -> None:
    data = _generated(project, cells=20, tenants=2000, capacity=150)
    before = (project / "cells" / "fleet.yaml").read_text()
    result = _run("shard")
    assert result.exit_code == 2
    demand = sum(j["capacity_units"] for t in data["tenants"] for j in t["jobs"])
    supply = 20 * 150
    assert demand > supply
    rows = [line for line in result.stderr.splitlines() if "capacity-exceeded" in line]
    [row] = rows
    line_no, field, code = row.split()[:3]
    cells_line = before.splitlines().index("cells:") + 1  # the key's own line
    assert (int(line_no), field, code) == (cells_line, "cells", "capacity-exceeded")
    assert (
        f"us-east-1 is over capacity: the jobs of its 2,000 tenants need {demand:,} capacity "
        f"units and its 20 active cells hold {supply:,}, {demand - supply:,} short. No "
        "shard_size changes that" in row
    )
    assert "`sizes.standard.capacity_units` (now 150)" in row
    assert "fewer or lighter jobs" in row and "smaller shard_size" not in row
    assert "Traceback" not in result.output
    assert not (project / "cells" / "fleet.lock.yaml").exists()
