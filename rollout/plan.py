"""Which cells a rollout touches, and in which waves: canary (wave 0) first, one wave at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cells.durations import parse_duration
from cells.model import CellState, Fleet
from cells.problems import FleetError, Problem


@dataclass(frozen=True)
class CellTarget:
    id: str
    region: str
    wave: int


@dataclass(frozen=True)
class Wave:
    number: int
    cells: tuple[CellTarget, ...]
    bake_seconds: int


@dataclass(frozen=True)
class RolloutPlan:
    waves: tuple[Wave, ...]
    skipped_standby: tuple[str, ...]  # standby cells the selection matched but did not name

    @property
    def cells(self) -> list[CellTarget]:
        return [cell for wave in self.waves for cell in wave.cells]


def bake_for(fleet: Fleet, wave: int) -> int:
    """The fleet's bake time after `wave`, in seconds."""
    rollout = fleet.fleet.rollout
    return parse_duration(rollout.bake.get(wave, rollout.default_bake))


def plan_rollout(
    fleet: Fleet,
    fleet_file: Path,
    *,
    cells: Sequence[str] = (),
    regions: Sequence[str] = (),
    waves: Sequence[int] = (),
    bake_seconds: int | None = None,
) -> RolloutPlan:
    """The selected cells grouped by wave, in wave order and fleet-file order within a wave.

    Selectors of one kind add up; different kinds narrow each other. Standby cells take part
    only when named with a cell selector."""
    problems = [
        *_unknown("cell", cells, [c.id for c in fleet.cells]),
        *_unknown("region", regions, sorted({c.region for c in fleet.cells})),
        *_unknown("wave", [str(w) for w in waves], sorted({str(c.wave) for c in fleet.cells})),
    ]
    if problems:
        raise FleetError(fleet_file, problems)
    chosen, skipped = [], []
    for cell in fleet.cells:
        if cells and cell.id not in cells:
            continue
        if regions and cell.region not in regions:
            continue
        if waves and cell.wave not in waves:
            continue
        if cell.state == CellState.STANDBY and cell.id not in cells:
            skipped.append(cell.id)
            continue
        chosen.append(CellTarget(cell.id, cell.region, cell.wave))
    if not chosen:
        raise FleetError(
            fleet_file,
            [Problem("cells", "nothing-selected", "the selection matches no cell to roll out")],
        )
    numbers = sorted({c.wave for c in chosen})
    return RolloutPlan(
        waves=tuple(
            Wave(
                number=n,
                cells=tuple(c for c in chosen if c.wave == n),
                bake_seconds=bake_for(fleet, n) if bake_seconds is None else bake_seconds,
            )
            for n in numbers
        ),
        skipped_standby=tuple(skipped),
    )


def _unknown(kind: str, wanted: Sequence[str], known: list[str]) -> list[Problem]:
    return [
        Problem(
            f"{kind}s" if kind != "wave" else "cells",
            f"unknown-{kind}",
            f"--{kind} {value}: no such {kind} in the fleet (known: {', '.join(known)})",
        )
        for value in wanted
        if value not in known
    ]
