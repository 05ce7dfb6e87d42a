"""The rollout itself: wave after wave, preview then update, bake, health gates, halt, resume."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from pulumi.automation import EngineEvent, PolicyEvent

from rollout.errors import CellFailed
from rollout.executor import Executor
from rollout.plan import CellTarget, Wave
from rollout.record import CellStep, Outcome, RolloutRecord, WaveStep
from rollout.steps import step_of


@dataclass(frozen=True)
class Blocker:
    """A danger in a cell's preview; `ack` is the acknowledgement's reason, if any."""

    id: str
    danger_class: str
    urn: str | None
    summary: str
    ack: str | None = None


# stack, preview steps (`pulumi preview --json` shape), mandatory policy events -> dangers
Screen = Callable[[str, list[dict[str, Any]], list[PolicyEvent]], list[Blocker]]


@dataclass(frozen=True)
class GateFailure:
    cell: str
    gate: str  # "alarm" or "job-check"
    detail: str


class Gates(Protocol):
    def check(self, cells: Sequence[CellTarget]) -> list[GateFailure]: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep up to `seconds`; True when `stop` was set first."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(max(0.0, seconds))


class Listener:
    """What a rollout reports as it goes; the command line renders it."""

    def wave_started(self, wave: Wave, cells: Sequence[str]) -> None: ...

    def cell_event(self, cell: str, phase: str, event: EngineEvent) -> None: ...

    def cell_step(self, cell: str, step: CellStep, detail: str | None) -> None: ...

    def blocked(self, cell: str, blockers: Sequence[Blocker]) -> None: ...

    def baking(self, wave: Wave, seconds: float) -> None: ...

    def gate(self, wave: Wave, cells: Sequence[str], failures: Sequence[GateFailure]) -> None: ...


@dataclass
class _Preview:
    steps: list[dict[str, Any]] = field(default_factory=list)
    policy: list[PolicyEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Rollout:
    record: RolloutRecord
    executor: Executor
    screen: Screen
    gates: Gates | None
    parallel: int = 1
    preview_only: bool = False
    clock: Clock = field(default_factory=SystemClock)
    listener: Listener = field(default_factory=Listener)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    blockers: dict[str, list[Blocker]] = field(default_factory=dict)
    gate_failures: list[GateFailure] = field(default_factory=list)

    def stop(self) -> None:
        """Ctrl-C: start no further cell, let the ones in flight finish, record it."""
        self.stop_requested.set()

    def run(self) -> Outcome:
        outcome, detail = self._run()
        self.record.end(outcome, detail)
        return outcome

    def _run(self) -> tuple[Outcome, str | None]:
        previews_halted: list[str] = []
        for wave in self.record.plan.waves:
            if self.record.waves[wave.number].step == WaveStep.DONE:
                continue
            if self.stop_requested.is_set():
                return Outcome.INTERRUPTED, f"stopped before wave {wave.number}"
            todo = [c.id for c in wave.cells if self.record.cells[c.id].step != CellStep.SUCCEEDED]
            self.listener.wave_started(wave, todo)
            halted = self._preview_wave(wave, todo)
            if self.preview_only and halted and halted[0] == Outcome.HALTED:
                # Nothing changes in a preview: show every wave's dangers at once.
                previews_halted.append(halted[1])
                continue
            if halted:
                return halted
            if self.preview_only:
                continue
            halted = self._update_wave(wave, todo)
            if halted:
                return halted
            halted = self._bake(wave)
            if halted:
                return halted
            halted = self._gate(wave)
            if halted:
                return halted
        if previews_halted:
            return Outcome.HALTED, "; ".join(previews_halted)
        if self.preview_only:
            return Outcome.PREVIEWED, None
        return Outcome.COMPLETED, None

    def _set(self, cell: str, step: CellStep, detail: str | None = None) -> None:
        self.record.cell(cell, step, detail)
        self.listener.cell_step(cell, step, detail)

    def _parallel(
        self, cells: Sequence[str], work: Callable[[str], bool], *, stop_on_failure: bool
    ) -> list[str]:
        """Run `work` over cells, at most `parallel` at once; start no more after a stop (or
        a failure, when asked). Returns the cells never started."""
        queue = list(cells)
        failed = False
        with ThreadPoolExecutor(max_workers=max(1, self.parallel)) as pool:
            running: set[Future[bool]] = set()
            while queue or running:
                while (
                    queue
                    and len(running) < self.parallel
                    and not self.stop_requested.is_set()
                    and not (failed and stop_on_failure)
                ):
                    running.add(pool.submit(work, queue.pop(0)))
                if not running:
                    break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                failed = failed or not all(f.result() for f in done)
        return queue

    def _preview_wave(self, wave: Wave, cells: list[str]) -> tuple[Outcome, str] | None:
        unstarted = self._parallel(cells, self._preview, stop_on_failure=False)
        if unstarted:
            return Outcome.INTERRUPTED, f"stopped while previewing wave {wave.number}"
        failed = [c for c in cells if self.record.cells[c].step == CellStep.FAILED]
        blocked = [c for c in cells if self.record.cells[c].step == CellStep.BLOCKED]
        if failed or blocked:
            parts = []
            if blocked:
                parts.append(f"unacknowledged dangers in {', '.join(blocked)}")
            if failed:
                parts.append(f"preview failed for {', '.join(failed)}")
            unchanged = "" if self.preview_only else "; nothing in this wave was changed"
            return Outcome.HALTED, f"wave {wave.number}: {'; '.join(parts)}{unchanged}"
        return None

    def _preview(self, cell: str) -> bool:
        self._set(cell, CellStep.PREVIEWING)
        seen = _Preview()

        def on_event(event: EngineEvent) -> None:
            step = step_of(event)
            if step is not None:
                seen.steps.append(step)
            policy = event.policy_event
            if policy is not None and policy.enforcement_level == "mandatory":
                seen.policy.append(policy)
            self.listener.cell_event(cell, "preview", event)

        failure = None
        try:
            self.executor.preview(cell, on_event)
        except CellFailed as error:
            failure = f"preview: {error}"
        except Exception as error:  # a broken executor halts this rollout, recorded
            failure = f"preview: {type(error).__name__}: {error}"
        # A mandatory policy violation fails the CLI's preview: still name it as a danger.
        try:
            found = self.screen(cell, seen.steps, seen.policy)
        except Exception as error:  # never let a cell through unscreened
            self._set(cell, CellStep.FAILED, f"danger screen: {type(error).__name__}: {error}")
            return False
        open_dangers = [b for b in found if b.ack is None]
        if failure is not None and not open_dangers:
            self._set(cell, CellStep.FAILED, failure)
            return False
        if found:
            self.blockers[cell] = found
        if open_dangers:
            self.listener.blocked(cell, found)
            self._set(cell, CellStep.BLOCKED, ", ".join(b.id for b in open_dangers))
            return False
        self._set(cell, CellStep.PREVIEWED, f"{len(seen.steps)} changes")
        return True

    def _update_wave(self, wave: Wave, cells: list[str]) -> tuple[Outcome, str] | None:
        unstarted = self._parallel(cells, self._up, stop_on_failure=True)
        failed = [c for c in cells if self.record.cells[c].step == CellStep.FAILED]
        if failed:
            return Outcome.HALTED, f"wave {wave.number}: update failed for {', '.join(failed)}"
        if unstarted:
            return Outcome.INTERRUPTED, f"stopped during wave {wave.number}"
        self.record.wave(wave.number, WaveStep.UPDATED)
        return None

    def _up(self, cell: str) -> bool:
        self._set(cell, CellStep.UPDATING)

        def on_event(event: EngineEvent) -> None:
            self.listener.cell_event(cell, "up", event)

        try:
            self.executor.up(cell, on_event)
        except CellFailed as error:
            self._set(cell, CellStep.FAILED, f"up: {error}")
            return False
        except Exception as error:
            self._set(cell, CellStep.FAILED, f"up: {type(error).__name__}: {error}")
            return False
        self._set(cell, CellStep.SUCCEEDED)
        return True

    def _bake(self, wave: Wave) -> tuple[Outcome, str] | None:
        state = self.record.waves[wave.number]
        if state.step in (WaveStep.BAKED, WaveStep.GATE_FAILED):
            return None
        until = state.bake_until
        if until is None:
            until = self.clock.now() + wave.bake_seconds
            self.record.wave(wave.number, WaveStep.BAKING, bake_until=until)
        remaining = max(0.0, until - self.clock.now())
        self.listener.baking(wave, remaining)
        if remaining and self.clock.wait(remaining, self.stop_requested):
            return Outcome.INTERRUPTED, f"stopped while baking wave {wave.number}"
        self.record.wave(wave.number, WaveStep.BAKED)
        return None

    def _gate(self, wave: Wave) -> tuple[Outcome, str] | None:
        # Every cell this rollout has updated so far: a canary that burns slowly shows later.
        rolled_out = [
            c
            for w in self.record.plan.waves
            if w.number <= wave.number
            for c in w.cells
            if self.record.cells[c.id].step == CellStep.SUCCEEDED
        ]
        failures = self.gates.check(rolled_out) if self.gates is not None else []
        self.gate_failures = failures
        self.listener.gate(wave, [c.id for c in rolled_out], failures)
        if failures:
            detail = "; ".join(f"{f.cell}: {f.gate}: {f.detail}" for f in failures)
            self.record.wave(wave.number, WaveStep.GATE_FAILED, detail)
            return Outcome.HALTED, f"wave {wave.number}: health gate failed: {detail}"
        self.record.wave(wave.number, WaveStep.DONE)
        return None
