"""A rollout as it goes, on disk: an append-only journal of JSON lines, one per step.

Appending one line per step keeps recording O(1) per cell (a 1,000-cell rollout rewrites
nothing), and a crash loses at most the line being written. `--resume` folds the journal back
into the state of every cell and wave."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from rollout.errors import RolloutError
from rollout.plan import CellTarget, RolloutPlan, Wave

RECORDS_DIR = ".cellctl/rollouts"


class CellStep(StrEnum):
    PENDING = "pending"
    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    BLOCKED = "blocked"  # an unacknowledged danger in its preview
    UPDATING = "updating"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WaveStep(StrEnum):
    PENDING = "pending"
    UPDATED = "updated"
    BAKING = "baking"
    BAKED = "baked"
    GATE_FAILED = "gate-failed"
    DONE = "done"  # baked and through its health gates


class Outcome(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    PREVIEWED = "previewed"  # --preview-only, nothing blocked
    HALTED = "halted"
    INTERRUPTED = "interrupted"


@dataclass
class CellState:
    step: CellStep = CellStep.PENDING
    detail: str | None = None


@dataclass
class WaveState:
    step: WaveStep = WaveStep.PENDING
    bake_until: float | None = None  # epoch seconds
    detail: str | None = None


@dataclass
class Commit:
    sha: str
    dirty: bool

    @classmethod
    def of(cls, root: Path) -> Commit:
        """HEAD of the checkout at `root` and whether the tree differs from it."""

        def git(*args: str) -> str | None:
            try:
                done = subprocess.run(
                    ["git", *args], cwd=root, capture_output=True, text=True, check=True
                )
            except (OSError, subprocess.CalledProcessError):
                return None
            return done.stdout.strip()

        sha = git("rev-parse", "HEAD")
        if sha is None:
            return cls("unknown", True)
        return cls(sha, bool(git("status", "--porcelain", "--untracked-files=no")))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@dataclass
class RolloutRecord:
    """The journal of one rollout and the state folded from it."""

    path: Path
    id: str
    commit: Commit
    plan: RolloutPlan
    options: dict[str, Any]
    cells: dict[str, CellState] = field(default_factory=dict)
    waves: dict[int, WaveState] = field(default_factory=dict)
    outcome: Outcome = Outcome.RUNNING
    outcome_detail: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(
        cls, root: Path, plan: RolloutPlan, commit: Commit, options: dict[str, Any]
    ) -> RolloutRecord:
        folder = root / RECORDS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        rollout_id = new_id()
        record = cls(folder / f"{rollout_id}.jsonl", rollout_id, commit, plan, options)
        record._fold_plan()
        record._write(
            {
                "kind": "start",
                "id": rollout_id,
                "commit": commit.sha,
                "dirty": commit.dirty,
                "options": options,
                "plan": _plan_json(plan),
            }
        )
        return record

    @classmethod
    def load(cls, root: Path, rollout_id: str) -> RolloutRecord:
        path = root / RECORDS_DIR / f"{rollout_id}.jsonl"
        if not path.is_file():
            known = sorted(p.stem for p in (root / RECORDS_DIR).glob("*.jsonl"))
            raise RolloutError(
                f"no rollout '{rollout_id}' in {root / RECORDS_DIR}"
                + (f" (recorded: {', '.join(known[-5:])})" if known else "")
            )
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if lines and not _parses(lines[-1]):
            # A torn last line (a crash mid-write) is the only damage appending can do.
            lines = lines[:-1]
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        try:
            return cls._from_entries(path, [json.loads(line) for line in lines])
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise RolloutError(f"{path}: not a rollout record ({error})") from None

    @classmethod
    def _from_entries(cls, path: Path, entries: list[dict[str, Any]]) -> RolloutRecord:
        start = entries[0]
        record = cls(
            path,
            start["id"],
            Commit(start["commit"], start["dirty"]),
            _plan_from_json(start["plan"]),
            start["options"],
        )
        record._fold_plan()
        for entry in entries[1:]:
            record._fold(entry)
        return record

    def _fold_plan(self) -> None:
        for wave in self.plan.waves:
            self.waves.setdefault(wave.number, WaveState())
            for cell in wave.cells:
                self.cells.setdefault(cell.id, CellState())

    def _fold(self, entry: dict[str, Any]) -> None:
        kind = entry.get("kind")
        if kind == "cell":
            self.cells[entry["cell"]] = CellState(CellStep(entry["step"]), entry.get("detail"))
        elif kind == "wave":
            state = self.waves[entry["wave"]]
            state.step = WaveStep(entry["step"])
            state.detail = entry.get("detail")
            if "bake_until" in entry:
                state.bake_until = entry["bake_until"]
        elif kind == "end":
            self.outcome = Outcome(entry["outcome"])
            self.outcome_detail = entry.get("detail")
        elif kind == "resume":
            self.outcome = Outcome.RUNNING
            self.outcome_detail = None

    def _write(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"at": _now(), **entry}, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as journal:
            journal.write(line)

    def _append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._fold(entry)
            self._write(entry)

    def cell(self, cell: str, step: CellStep, detail: str | None = None) -> None:
        entry: dict[str, Any] = {"kind": "cell", "cell": cell, "step": step.value}
        if detail:
            entry["detail"] = detail
        self._append(entry)

    def wave(
        self,
        wave: int,
        step: WaveStep,
        detail: str | None = None,
        bake_until: float | None = None,
    ) -> None:
        entry: dict[str, Any] = {"kind": "wave", "wave": wave, "step": step.value}
        if detail:
            entry["detail"] = detail
        if bake_until is not None:
            entry["bake_until"] = bake_until
        self._append(entry)

    def resumed(self, commit: Commit) -> None:
        self._append({"kind": "resume", "commit": commit.sha, "dirty": commit.dirty})

    def end(self, outcome: Outcome, detail: str | None = None) -> None:
        entry: dict[str, Any] = {"kind": "end", "outcome": outcome.value}
        if detail:
            entry["detail"] = detail
        self._append(entry)

    def cells_in(self, *steps: CellStep) -> list[str]:
        return [c.id for c in self.plan.cells if self.cells[c.id].step in steps]


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _plan_json(plan: RolloutPlan) -> dict[str, Any]:
    return {
        "waves": [
            {
                "number": w.number,
                "bake_seconds": w.bake_seconds,
                "cells": [{"id": c.id, "region": c.region} for c in w.cells],
            }
            for w in plan.waves
        ],
        "skipped_standby": list(plan.skipped_standby),
    }


def _plan_from_json(data: dict[str, Any]) -> RolloutPlan:
    return RolloutPlan(
        waves=tuple(
            Wave(
                number=w["number"],
                cells=tuple(CellTarget(c["id"], c["region"], w["number"]) for c in w["cells"]),
                bake_seconds=w["bake_seconds"],
            )
            for w in data["waves"]
        ),
        skipped_standby=tuple(data.get("skipped_standby", ())),
    )
