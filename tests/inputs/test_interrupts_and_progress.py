"""Ctrl-C ends every command with one line and exit 130, also while worker processes start;
long plans print one line per cell when stderr is not a terminal (CI logs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.inputs.conftest import changed, run, snapshot

CELLCTL = Path(sys.executable).with_name("cellctl")


def _session(sid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process in session `sid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append((int(entry.name), command))
    return found


def test_ctrl_c_while_plan_workers_start(project: Path) -> None:
    assert run("stacks", "sync").exit_code == 0
    before = snapshot(project)
    process = subprocess.Popen(
        [str(CELLCTL), "plan", "-j", "3", "--out", "plan.json"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    # Both workers exist and are still importing the SDKs (seconds): the moment the issue names.
    # (While the parent starts them, for the milliseconds of each start, SIGINT is ignored.)
    while sum("spawn_main" in cmd for _, cmd in _session(process.pid)) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no worker started"
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does: the whole group
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("interrupted (Ctrl-C)"), err
    assert "Traceback" not in err + out
    deadline = time.monotonic() + 10
    while any("spawn_main" in cmd for _, cmd in _session(process.pid)):
        assert time.monotonic() < deadline, _session(process.pid)  # no worker left behind
        time.sleep(0.1)
    assert changed(before, snapshot(project)) == set()  # no plan.json, nothing else touched


def test_ctrl_c_in_any_command_is_exit_130(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import cellctl.commands.shard as shard_command

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(shard_command, "place", interrupted)
    before = snapshot(project)
    result = run("shard", "--rebalance")
    assert result.exit_code == 130
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "interrupted (Ctrl-C): stopped; files are written whole or not at all"
    ]
    assert changed(before, snapshot(project)) == set()


def test_plan_prints_one_line_per_cell_when_not_a_terminal(project: Path) -> None:
    assert run("stacks", "sync").exit_code == 0
    result = subprocess.run(
        [str(CELLCTL), "plan", "--cell", "use1-a", "--cell", "usw2-b", "-j", "1"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("planned ")]
    assert [line.split(":")[0] for line in progress] == ["planned use1-a", "planned usw2-b"]
    assert progress[-1].endswith("[2/2]")
    assert str(ROOT) not in result.stderr  # the project copy was planned, not the checkout
