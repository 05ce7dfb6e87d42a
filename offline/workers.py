"""Planning worker processes, started before the fleet is read so that they import the SDKs
while this process reads it. Light on purpose: importing this module loads no Pulumi SDK.

Each worker runs in a session of its own, so a terminal's Ctrl-C (sent to the whole foreground
process group) reaches this process alone, at every moment, also while a worker starts; this
process stops the workers. A worker whose parent dies sees its connection close and ends."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from cells import interrupts
from offline.errors import PlanError

# Stacks a worker holds: the one it plans and the next, so it never waits for this process
# (busy planning a stack of its own) to hand it more.
HELD = 2
_STOP_SECONDS = 5.0

_LOST = "a planning worker process ended without a result; rerun with -j 1"


class _Lost:
    """A worker's connection closed before its last result."""


class PlanWorkers:
    """`count` worker processes; `share` plans stacks on them and on this process."""

    def __init__(self, count: int) -> None:
        self._workers: list[tuple[subprocess.Popen[bytes], Connection]] = []
        self._reader: threading.Thread | None = None
        try:
            for _ in range(count):
                self._workers.append(_start_worker())
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PlanWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._workers)

    def share(
        self,
        project_dir: Path,
        stacks: list[str],
        configs: Mapping[str, dict[str, str]],
        plan_here: Callable[[str], dict[str, Any]],
    ) -> Iterator[dict[str, Any]]:
        """Every stack's plan as it completes. Workers take stacks from the front of the list,
        `plan_here` (this process) from the back; once. A failed stack raises PlanError."""
        if self._reader is not None:
            raise RuntimeError("these workers have planned already")
        unplanned = deque(range(len(stacks)))
        results: SimpleQueue[dict[str, Any] | str | _Lost] = SimpleQueue()
        connections = [connection for _, connection in self._workers]
        try:
            for connection in connections:
                connection.send((str(project_dir), stacks, dict(configs)))
        except OSError:  # a worker that could not even start (its error is on stderr)
            raise PlanError(_LOST) from None
        self._reader = threading.Thread(
            target=_hand_out, args=(connections, unplanned, results), daemon=True
        )
        self._reader.start()
        planned = 0
        while True:
            interrupts.raise_if_swallowed()
            try:
                index = unplanned.pop()
            except IndexError:
                break
            yield plan_here(stacks[index])
            planned += 1
            while not results.empty():
                yield _result(results.get())
                planned += 1
        while planned < len(stacks):
            interrupts.raise_if_swallowed()
            yield _result(results.get())
            planned += 1

    def close(self) -> None:
        """Stop every worker, busy or not, and wait for it: none outlives its command."""
        for process, _ in self._workers:
            if process.poll() is None:
                process.terminate()
        for process, _ in self._workers:
            try:
                process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            # Every worker's end of its connection is closed now: the reader sees that and ends.
            self._reader.join(_STOP_SECONDS)
        for _, connection in self._workers:
            connection.close()
        self._workers.clear()


def _start_worker() -> tuple[subprocess.Popen[bytes], Connection]:
    ours, theirs = Pipe()
    # The worker imports from the same places as this process (a project folder may hold a
    # `cells/` folder of its own, as generated fleets do).
    code = (
        f"import sys; sys.path[:] = {sys.path!r}; "
        f"from offline.workers import serve; serve({theirs.fileno()})"
    )
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, ours


def _hand_out(
    connections: list[Connection],
    unplanned: deque[int],
    results: SimpleQueue[dict[str, Any] | str | _Lost],
) -> None:
    """This process's reader: hands each worker its next stack the moment it returns a plan."""
    held = dict.fromkeys(connections, 0)

    def give(connection: Connection) -> None:
        try:
            connection.send(unplanned.popleft())
            held[connection] += 1
        except IndexError:
            if not held[connection]:
                connection.send(None)  # more workers than stacks, or all handed out
                del held[connection]

    try:
        for connection in connections:
            for _ in range(HELD):
                if connection in held:
                    give(connection)
        while held:
            for connection in wait(list(held)):
                result = connection.recv()
                held[connection] -= 1
                results.put(result)
                give(connection)
    except Exception:  # a closed connection, above all: the main thread must not wait forever
        results.put(_Lost())


def _result(result: dict[str, Any] | str | _Lost) -> dict[str, Any]:
    if isinstance(result, _Lost):
        raise PlanError(_LOST)
    if isinstance(result, str):
        raise PlanError(result)
    return result


def serve(fd: int) -> None:
    """A worker's life: import the SDKs, learn the stacks, plan each index handed over."""
    connection = Connection(fd)
    from offline.planner import plan_stack  # while the parent reads the fleet

    try:
        project_dir, stacks, configs = connection.recv()
        while (index := connection.recv()) is not None:
            stack = stacks[index]
            try:
                result: dict[str, Any] | str = plan_stack(
                    Path(project_dir), stack, configs.get(stack)
                ).to_json()
            except PlanError as error:
                result = str(error)
            connection.send(result)
    except (EOFError, BrokenPipeError):
        return  # the parent is gone or has stopped
