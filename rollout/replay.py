"""An executor that replays recorded engine events instead of running the Pulumi CLI.

The orchestration (ordering, parallelism, danger stops, halts, resume) consumes exactly what the
Automation API hands it, `pulumi.automation.EngineEvent`s parsed from the engine's JSON, so a
replay of that JSON exercises every path a real rollout takes after the CLI boundary. Tests and
the benchmark use it; it changes nothing anywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi.automation import EngineEvent

from rollout.errors import CellFailed, RolloutError
from rollout.executor import OnEvent


@dataclass(frozen=True)
class Script:
    """What one cell's preview and update emit, and whether the update fails."""

    preview: Sequence[Mapping[str, Any]] = ()
    up: Sequence[Mapping[str, Any]] = ()
    up_error: str | None = None
    preview_error: str | None = None
    seconds: float = 0.0  # how long each operation takes


@dataclass
class ReplayExecutor:
    scripts: Mapping[str, Script] = field(default_factory=dict)
    default: Script = field(default_factory=Script)
    missing_stacks: frozenset[str] = frozenset()
    calls: list[tuple[str, str]] = field(default_factory=list)  # (operation, cell), in order
    in_flight: int = 0
    most_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def preflight(self, cells: Sequence[str]) -> None:
        missing = [c for c in cells if c in self.missing_stacks]
        if missing:
            raise RolloutError(f"stacks do not exist yet: {', '.join(missing)}")

    def _run(self, operation: str, cell: str, on_event: OnEvent) -> None:
        script = self.scripts.get(cell, self.default)
        with self._lock:
            self.calls.append((operation, cell))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if script.seconds:
                time.sleep(script.seconds)
            for raw in script.preview if operation == "preview" else script.up:
                on_event(EngineEvent.from_json(dict(raw)))
            error = script.preview_error if operation == "preview" else script.up_error
            if error:
                raise CellFailed(error)
        finally:
            with self._lock:
                self.in_flight -= 1

    def preview(self, cell: str, on_event: OnEvent) -> None:
        self._run("preview", cell, on_event)

    def up(self, cell: str, on_event: OnEvent) -> None:
        self._run("up", cell, on_event)
