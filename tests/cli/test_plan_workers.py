"""Plans on several processes: every stack planned once, exactly as on one; a failed stack or a
lost worker is one error, never a hang; no worker outlives its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cells.stamping import read_stack_config
from offline import PlanError, plan_stacks
from offline.planner import plan_stack
from offline.workers import PlanWorkers
from tests.helpers import ROOT

STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
)


def _workers_of(pid: int) -> list[int]:
    """Planning workers started by process `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if parent == pid and b"offline.workers" in command:
            found.append(int(entry.name))
    return found


def test_every_stack_is_planned_once_and_as_on_one_process() -> None:
    alone = {p["stack"]: p for p in plan_stacks(ROOT, STACKS, jobs=1)}
    shared = list(plan_stacks(ROOT, STACKS, jobs=3))
    assert sorted(p["stack"] for p in shared) == STACKS
    assert {p["stack"]: p for p in shared} == alone
    assert not _workers_of(os.getpid())


def test_a_stack_that_fails_on_a_worker_is_one_plan_error() -> None:
    # Workers take stacks from the front of the list, this process from the back.
    broken, fine = STACKS[0], STACKS[-1]
    config = read_stack_config(ROOT / "stacks" / f"Pulumi.{broken}.yaml")
    configs = {broken: {**config, "flink-cells:cell": "no-such-cell"}}
    with pytest.raises(PlanError, match=f"stack {broken}: .*no-such-cell"):
        list(plan_stacks(ROOT, [broken, fine], jobs=2, configs=configs))
    assert not _workers_of(os.getpid())


def test_a_lost_worker_is_one_plan_error_not_a_wait() -> None:
    def plan_here(stack: str) -> dict:
        for worker in _workers_of(os.getpid()):
            os.kill(worker, signal.SIGKILL)  # say, the kernel's OOM killer
        return plan_stack(ROOT, stack).to_json()

    raised: list[BaseException] = []

    def share() -> None:
        with PlanWorkers(1) as workers:
            try:
                list(workers.share(ROOT, STACKS[:4], {}, plan_here))
            except BaseException as error:
                raised.append(error)

    # A thread, so that a regression fails this test instead of hanging the whole run.
    thread = threading.Thread(target=share, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "still waiting for a worker that is gone"
    [error] = raised
    assert isinstance(error, PlanError) and "ended without a result" in str(error)
    assert not _workers_of(os.getpid())


def test_workers_end_when_their_command_is_killed() -> None:
    command = subprocess.Popen(
        [str(Path(sys.executable).with_name("cellctl")), "plan", "-j", "3"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while len(workers := _workers_of(command.pid)) < 2:
        assert command.poll() is None and time.monotonic() < deadline, "no workers started"
        time.sleep(0.05)
    command.kill()  # SIGKILL: no finally, no clean-up of its own
    command.wait()
    deadline = time.monotonic() + 30
    while alive := [w for w in workers if _alive(w)]:
        assert time.monotonic() < deadline, f"workers {alive} outlived their command"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


_WAITING_PROGRAM = """
import asyncio, os, signal, sys, threading, time
import pulumi_aws as aws
from offline.planner import _ctrl_c_remembered, record_program

async def program():
    aws.s3.Bucket("checkpoints")
    await asyncio.sleep(60)  # the event loop waits on its selector, as a stuck runtime would

threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
started = time.monotonic()
try:
    with _ctrl_c_remembered():
        record_program("waits", {"aws:region": "us-east-1"}, program)
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - started:.1f} s", flush=True)
    os._exit(0)
os._exit(1)
"""


def test_a_ctrl_c_while_the_event_loop_waits_ends_the_plan() -> None:
    """The Ctrl-C is not raised inside the SDK's event loop (a task it kills can leave the
    runtime waiting for ever); it stops the loop, and is raised once the program returns."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", _WAITING_PROGRAM], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seconds = float(done.stdout.split()[2])
    assert seconds < 30, done.stdout
    assert "Traceback" not in done.stderr, done.stderr


def test_more_workers_than_stacks() -> None:
    """`-j` beyond the stacks (the default on a many-core machine): the surplus are told to stop."""
    with PlanWorkers(3) as workers:
        planned = list(
            workers.share(ROOT, STACKS[:2], {}, lambda stack: plan_stack(ROOT, stack).to_json())
        )
    assert sorted(p["stack"] for p in planned) == STACKS[:2]
    assert not _workers_of(os.getpid())
