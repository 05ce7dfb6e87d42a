"""Ctrl-C ends every command with one line and exit 130, at any moment of a parallel plan;
long plans print one line per cell when stderr is not a terminal (CI logs)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.inputs.conftest import changed, run, snapshot

CELLCTL = Path(sys.executable).with_name("cellctl")


def _marked(mark: str) -> list[int]:
    """Live processes whose environment holds `mark`: a command and every process it started,
    its planning workers too (they run in sessions of their own)."""
    found = []
    needle = f"CELLCTL_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in environment and state != "Z":
            found.append(int(entry.name))
    return found


def _interrupted_plan(project: Path, seconds: float) -> tuple[subprocess.Popen[str], str, str]:
    """`cellctl plan -j 3` in its own process group, which gets a SIGINT (what a terminal sends
    on Ctrl-C) `seconds` after its first worker exists (the command's first act);
    (process, stdout, stderr) once it has ended."""
    mark = uuid.uuid4().hex
    process = subprocess.Popen(
        [str(CELLCTL), "plan", "-j", "3", "--out", "plan.json"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "CELLCTL_TEST_MARK": mark},
    )
    deadline = time.monotonic() + 60
    while len(_marked(mark)) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no worker started"
        time.sleep(0.005)
    time.sleep(seconds)
    os.killpg(process.pid, signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in _marked(mark):
            os.kill(pid, signal.SIGKILL)
        raise AssertionError(f"Ctrl-C {seconds} s into the plan: no exit in 60 s") from None
    deadline = time.monotonic() + 10
    while _marked(mark):
        assert time.monotonic() < deadline, f"a worker outlived its command: {_marked(mark)}"
        time.sleep(0.1)
    return process, out, err


@pytest.mark.parametrize("seconds", [0.0, 0.05, 0.15, 0.3, 0.6, 1.0, 1.5, 2.5])
def test_ctrl_c_at_any_moment_of_a_parallel_plan(project: Path, seconds: float) -> None:
    """From its workers' start, while they import the SDKs and this process loads its modules
    and reads the fleet, to plans in flight on three processes: one line, exit 130, no process
    left, no file written. (The moments before, while the command loads, are the next test.)"""
    assert run("stacks", "sync").exit_code == 0
    before = snapshot(project)
    process, out, err = _interrupted_plan(project, seconds)
    if process.returncode == 0:
        assert seconds >= 1.0 and "planned" in out, err  # the plan was faster than the Ctrl-C
        return
    assert process.returncode == 130, err
    # Cells planned before the Ctrl-C have their progress line (stderr is not a terminal).
    lines = [line for line in err.splitlines() if line.strip() and not _progress(line)]
    assert len(lines) == 1 and lines[0].startswith("interrupted (Ctrl-C)"), err
    assert "Traceback" not in err + out and "Exception ignored" not in err
    assert changed(before, snapshot(project)) == set()


def _progress(line: str) -> bool:
    return re.fullmatch(r"planned [\w-]+: \d+ resources \[\d+/\d+\]", line) is not None


def test_ctrl_c_while_a_command_loads_is_said(project: Path) -> None:
    """Typer turns a Ctrl-C raised outside the command function (while it is imported) into a
    silent exit 130; the executable says it."""
    code = (
        "import sys, cellctl.main\n"
        "def load(command):\n    raise KeyboardInterrupt\n"
        "cellctl.main.load = load\n"
        "sys.argv = ['cellctl', 'validate']\n"
        "from cellctl.entry import run\nrun()\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 130, done.stderr
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        "interrupted (Ctrl-C): stopped"
    ]


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


def test_ctrl_c_re_raised_as_another_error_is_exit_130(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11 turns a KeyboardInterrupt raised while a class is made (in `__set_name__`,
    as a module imports) into a RuntimeError: still a Ctrl-C, not an internal error."""
    import cellctl.commands.shard as shard_command

    class Pressed:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    def interrupted_while_importing(*args: object, **kwargs: object) -> None:
        type("Imported", (), {"field": Pressed()})

    monkeypatch.setattr(shard_command, "place", interrupted_while_importing)
    before = snapshot(project)
    result = run("shard", "--rebalance")
    assert result.exit_code == 130, result.output
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "interrupted (Ctrl-C): stopped; files are written whole or not at all"
    ]
    assert changed(before, snapshot(project)) == set()


_SWALLOWED = """
import importlib, sys, weakref

class Anything:
    pass

def press_ctrl_c(reference):
    raise KeyboardInterrupt  # in a weakref callback: the interpreter can only print it

patched = importlib.import_module({module!r})
real = getattr(patched, {name!r})

def pressed_first(*args, **kwargs):
    thing = Anything()
    kept = weakref.ref(thing, press_ctrl_c)
    del thing
    return real(*args, **kwargs)

setattr(patched, {name!r}, pressed_first)
sys.argv = ["cellctl", *{args!r}]
from cellctl.entry import run
run()
"""


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        ("cellctl.commands.shard", "place", ["shard"]),
        ("cellctl.fleet_plan", "load_fleet", ["plan", "-j", "2", "--out", "plan.json"]),
        ("cells.loader", "load_fleet", ["validate", "cells/fleet.yaml"]),
    ],
    ids=["shard", "plan", "validate"],
)
def test_a_ctrl_c_the_interpreter_swallows_still_stops(
    project: Path, module: str, name: str, args: list[str]
) -> None:
    """A KeyboardInterrupt raised where Python can only print "Exception ignored" (a weakref
    callback here; pydantic-core building a schema, or numba compiling, in the wild) is not
    printed and not lost: no file is written after it, a plan stops before its first stack, and
    no report is made (the validators themselves may be half built): one line, exit 130."""
    assert run("stacks", "sync").exit_code == 0
    (project / "cells" / "fleet.lock.yaml").unlink()  # `shard` would write it afresh
    if args[0] == "validate":  # a broken fleet: its report must not be made either
        fleet = project / "cells" / "fleet.yaml"
        fleet.write_text(fleet.read_text().replace("shard_size:", "shard_sise:", 1))
    before = snapshot(project)
    code = _SWALLOWED.format(module=module, name=name, args=args)
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 130, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("interrupted (Ctrl-C)"), done.stderr
    if args[0] != "shard":  # shard shows the placement before it writes the lock
        assert not done.stdout.strip(), done.stdout
    assert changed(before, snapshot(project)) == set()
