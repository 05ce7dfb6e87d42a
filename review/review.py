"""A review: every stack's changes, every danger, and which of them a person acknowledged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cells.problems import FleetError, Problem
from review.acks import NO_ACKS, Acks
from review.changes import Step, counts, diff_stack
from review.dangers import Danger, collapse_steps, dangers_from_preview_steps, sort_dangers
from review.fleet_dangers import fleet_dangers, job_moves, policy_dangers
from review.plans import PlannedPair

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"


@dataclass(frozen=True)
class StackChanges:
    stack: str
    status: str
    steps: list[Step]
    inputs_unchanged: bool = False  # same code, cell spec and stack file: not planned

    @property
    def counts(self) -> dict[str, int]:
        return counts(self.steps)

    @property
    def changed_steps(self) -> list[Step]:
        return [s for s in self.steps if s.get("op", "same") != "same"]


@dataclass
class Review:
    base: str
    head: str
    stacks: list[StackChanges]
    dangers: list[Danger]
    acks: Acks = NO_ACKS
    notes: list[str] = field(default_factory=list)

    def reason_for(self, danger: Danger) -> str | None:
        return self.acks.reason_for(danger)

    @property
    def unacknowledged(self) -> list[Danger]:
        return [d for d in self.dangers if self.acks.reason_for(d) is None]

    def dangers_in(self, stack: str) -> list[Danger]:
        return [d for d in self.dangers if d.stack == stack]


def _status(stack: str, base: dict[str, Any], head: dict[str, Any], steps: list[Step]) -> str:
    if stack not in base:
        return ADDED
    if stack not in head:
        return REMOVED
    return CHANGED if any(s.get("op", "same") != "same" for s in steps) else UNCHANGED


def review_pair(pair: PlannedPair, acks: Acks = NO_ACKS) -> Review:
    """Compare the two planned revisions stack by stack and collect every danger."""
    base, head = pair.base, pair.head
    stacks = []
    steps_by_stack: dict[str, list[Step]] = {}
    dangers: list[Danger] = []
    for stack in pair.identical:
        stacks.append(StackChanges(stack, UNCHANGED, [], inputs_unchanged=True))
    for stack in sorted(set(base.plans) | set(head.plans)):
        old, new = base.plans.get(stack), head.plans.get(stack)
        steps = diff_stack(old["resources"] if old else None, new["resources"] if new else None)
        steps_by_stack[stack] = steps
        stacks.append(StackChanges(stack, _status(stack, base.plans, head.plans, steps), steps))
        dangers += dangers_from_preview_steps(stack, steps)
    dangers = job_moves(dangers, steps_by_stack)
    dangers += fleet_dangers(base.fleet, head.fleet)
    dangers += policy_dangers(base.findings, head.findings)
    notes = []
    stacks.sort(key=lambda s: s.stack)
    if pair.identical:
        notes.append(
            f"{len(pair.identical)} of {len(stacks)} stacks have the same code, cell spec and "
            "stack file in both revisions: unchanged without planning."
        )
    unused = acks.unused(dangers)
    if unused:
        notes.append(f"acknowledged but no longer present: {', '.join(unused)}")
    return Review(base.label, head.label, stacks, sort_dangers(dangers), acks, notes)


def read_preview(file: Path) -> list[Step]:
    """The steps of one `pulumi preview --json` output."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise FleetError(file, [Problem("", "file-unreadable", str(error))]) from None
    except json.JSONDecodeError as error:
        raise FleetError(
            file,
            [
                Problem(
                    "",
                    "json-syntax",
                    f"not JSON ({error.msg} at line {error.lineno}); "
                    "expected the output of `pulumi preview --json`",
                    error.lineno,
                )
            ],
        ) from None
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not all(isinstance(s, dict) and "op" in s for s in steps):
        raise FleetError(
            file,
            [
                Problem(
                    "steps",
                    "not-a-preview",
                    "no `steps` list of {op, urn, …}: expected `pulumi preview --json` output",
                )
            ],
        )
    return collapse_steps(steps)


def review_previews(folder: Path, acks: Acks = NO_ACKS) -> Review:
    """One review from a directory of `pulumi preview --json` outputs, one `<stack>.json` each."""
    if not folder.is_dir():
        raise FleetError(folder, [Problem("", "file-missing", "no such directory of previews")])
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FleetError(
            folder, [Problem("", "empty", "no <stack>.json preview outputs in this directory")]
        )
    stacks, dangers, notes = [], [], []
    for file in files:
        steps = read_preview(file)
        status = CHANGED if any(s.get("op", "same") != "same" for s in steps) else UNCHANGED
        stacks.append(StackChanges(file.stem, status, steps))
        dangers += dangers_from_preview_steps(file.stem, steps)
        data = json.loads(file.read_text(encoding="utf-8"))
        for diagnostic in data.get("diagnostics") or []:
            if isinstance(diagnostic, dict) and diagnostic.get("severity") == "error":
                message = str(diagnostic.get("message", "")).strip().splitlines()
                notes.append(f"{file.stem}: preview error: {message[0] if message else '?'}")
    steps_by_stack = {s.stack: s.steps for s in stacks}
    dangers = job_moves(dangers, steps_by_stack)
    return Review("deployed state", "pulumi preview", stacks, sort_dangers(dangers), acks, notes)
