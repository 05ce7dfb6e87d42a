"""What `cellctl rollout` prints: one line per step, prefixed by its cell, then the report."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from pulumi.automation import EngineEvent, OpType

from cellctl import render
from cells.durations import format_duration
from rollout.plan import Wave
from rollout.record import CellStep, Outcome, RolloutRecord
from rollout.run import Blocker, GateFailure, Listener


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class ConsoleListener(Listener):
    """Cells run in parallel: every line names its cell and is printed whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _say(self, line: str) -> None:
        with self._lock:
            render.info(line)

    def wave_started(self, wave: Wave, cells: Sequence[str]) -> None:
        self._say(
            f"wave {wave.number}: {', '.join(cells) or 'every cell already updated'} "
            f"(bake {format_duration(wave.bake_seconds)})"
        )

    def cell_event(self, cell: str, phase: str, event: EngineEvent) -> None:
        done = event.res_outputs_event
        if phase == "up" and done is not None and done.metadata.op != OpType.SAME:
            meta = done.metadata
            self._say(f"[{cell}] {meta.op.value:<8} {meta.type}  {_name(meta.urn)}")
        failed = event.res_op_failed_event
        if failed is not None:
            self._say(f"[{cell}] failed   {failed.metadata.type}  {_name(failed.metadata.urn)}")
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity in ("error", "warning"):
            for line in diagnostic.message.strip().splitlines()[:5]:
                self._say(f"[{cell}] {diagnostic.severity}: {line}")

    def cell_step(self, cell: str, step: CellStep, detail: str | None) -> None:
        if step in (CellStep.PREVIEWING, CellStep.BLOCKED):
            return
        self._say(f"[{cell}] {step.value}" + (f": {detail}" if detail else ""))

    def blocked(self, cell: str, blockers: Sequence[Blocker]) -> None:
        with self._lock:
            render.info(f"[{cell}] dangers in its preview:")
            rows = [
                (b.id, b.danger_class, f"acknowledged: {b.ack}" if b.ack else "NOT acknowledged")
                for b in blockers
            ]
            render.info(render.text_table(("danger", "class", "status"), rows))
            for b in blockers:
                render.info(f"  {b.id}: {b.summary}")

    def baking(self, wave: Wave, seconds: float) -> None:
        until = datetime.fromtimestamp(datetime.now(UTC).timestamp() + seconds, UTC)
        self._say(
            f"wave {wave.number}: baking {format_duration(seconds)} "
            f"(until {until:%H:%M:%S} UTC); Ctrl-C stops here and --resume continues the bake"
        )

    def gate(self, wave: Wave, cells: Sequence[str], failures: Sequence[GateFailure]) -> None:
        if not failures:
            self._say(f"wave {wave.number}: health gates passed for {len(cells)} cells")
            return
        for f in failures:
            self._say(f"wave {wave.number}: health gate FAILED: {f.cell}: {f.gate}: {f.detail}")


def report(record: RolloutRecord, outcome: Outcome) -> None:
    """What was done, what failed, and how to resume or roll back."""
    rows = [
        (c.id, str(c.wave), record.cells[c.id].step.value, record.cells[c.id].detail or "")
        for c in record.plan.cells
    ]
    render.info(render.text_table(("cell", "wave", "step", "detail"), rows))
    updated = record.cells_in(CellStep.SUCCEEDED)
    summary = f"rollout {record.id} at {record.commit.sha[:12]}: {outcome.value}"
    render.info(summary + (f" ({record.outcome_detail})" if record.outcome_detail else ""))
    if record.plan.skipped_standby:
        render.info(f"skipped standby cells: {', '.join(record.plan.skipped_standby)}")
    if outcome in (Outcome.HALTED, Outcome.INTERRUPTED):
        render.info(f"resume:    cellctl rollout --resume {record.id}")
        if updated:
            cells = " ".join(f"--cell {c}" for c in updated)
            render.info(
                f"roll back: check out the commit before {record.commit.sha[:12]}, then "
                f"cellctl rollout {cells}"
            )
    if record.cells_in(CellStep.BLOCKED):
        render.info(
            "a danger stops the rollout until it is acknowledged: add its id and a reason to "
            "an ack file (cellctl rollout --ack FILE), or change the code"
        )
