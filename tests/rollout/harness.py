"""Building rollouts for tests: the example fleet, a replay executor, a clock that never sleeps."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cells.loader import load_fleet
from review import Acks
from rollout.dangers import screen_with
from rollout.plan import CellTarget, RolloutPlan, plan_rollout
from rollout.record import Commit, RolloutRecord
from rollout.replay import ReplayExecutor
from rollout.run import GateFailure, Rollout
from tests.helpers import EXAMPLE_FLEET

COMMIT = Commit("0" * 40, False)


@dataclass
class FakeClock:
    """Time moves only when the rollout waits; each wait is remembered."""

    t: float = 1_000_000.0
    waits: list[float] = field(default_factory=list)
    stop_during_wait: int | None = None  # the n-th wait is cut short by a Ctrl-C

    def now(self) -> float:
        return self.t

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        self.waits.append(seconds)
        if self.stop_during_wait == len(self.waits):
            self.t += seconds / 2
            stop.set()
            return True
        self.t += seconds
        return stop.is_set()


@dataclass
class ScriptedGates:
    """Health gates whose answers a test decides; every call is remembered."""

    failing: dict[str, str] = field(default_factory=dict)
    checked: list[list[str]] = field(default_factory=list)

    def check(self, cells: Sequence[CellTarget]) -> list[GateFailure]:
        self.checked.append([c.id for c in cells])
        return [
            GateFailure(c.id, "alarm", self.failing[c.id]) for c in cells if c.id in self.failing
        ]


def example_plan(**selection) -> RolloutPlan:
    return plan_rollout(load_fleet(EXAMPLE_FLEET), EXAMPLE_FLEET, **selection)


def rollout(
    root: Path,
    executor: ReplayExecutor,
    *,
    plan: RolloutPlan | None = None,
    record: RolloutRecord | None = None,
    gates: ScriptedGates | None = None,
    clock: FakeClock | None = None,
    acks: Acks | None = None,
    parallel: int = 1,
    preview_only: bool = False,
) -> Rollout:
    if record is None:
        record = RolloutRecord.create(root, plan or example_plan(), COMMIT, {"parallel": parallel})
    return Rollout(
        record=record,
        executor=executor,
        screen=screen_with(acks),
        gates=gates if gates is not None else ScriptedGates(),
        parallel=parallel,
        preview_only=preview_only,
        clock=clock or FakeClock(),
    )
