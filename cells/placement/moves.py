"""Job moves that keep state: what the lock records when placement moves a job, and what each
cell's stack builds while the move is under way.

A move is never a silent delete and create. Placement moving a job records it as `suspended`: the
old cell keeps the job but suspends it with a savepoint, the new cell does not run it yet.
`cellctl state move` copies that savepoint into the new cell's bucket, verifies the copy and
records it (`copied`): the new cell starts the job from it, the old cell drops the job. Once the
job has checkpointed in its new cell the move is `done`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from cells.aws_names import cell_names, checkpoint_prefix
from cells.model import Fleet
from cells.placement.model import JobKey, JobMove, Move, MoveStep, Placement, PlacementError
from cells.problems import Problem


@dataclass(frozen=True)
class HostedJob:
    """How a cell's stack runs one job: normally, suspended (moving out), or from a savepoint."""

    suspended: bool = False
    initial_savepoint_path: str | None = None


def hosted_jobs(placement: Placement, cell: str) -> dict[JobKey, HostedJob]:
    """The jobs a cell's stack builds, and how."""
    hosted: dict[JobKey, HostedJob] = {}
    for key in placement.jobs_in(cell):
        move = placement.moves.get(key)
        if move is None or move.to_cell != cell:
            hosted[key] = HostedJob()
        elif move.step is not MoveStep.SUSPENDED:
            hosted[key] = HostedJob(initial_savepoint_path=move.savepoint)
    for key, move in placement.moves.items():
        if move.from_cell == cell and move.step is MoveStep.SUSPENDED:
            hosted[key] = HostedJob(suspended=True)
    return hosted


def tenants_hosted(placement: Placement, cell: str) -> list[str]:
    """The tenants of the cell's shard, and those whose job is still suspended in it."""
    moving_out = {t for (t, _), h in hosted_jobs(placement, cell).items() if h.suspended}
    return sorted(set(placement.tenants_in(cell)) | moving_out)


def next_step(tenant: str, job: str, move: JobMove) -> str:
    """What a person does next for this move."""
    command = f"`cellctl state move --tenant {tenant} --job {job}`"
    if move.step is MoveStep.SUSPENDED:
        return (
            f"`pulumi up` the stack of {move.from_cell} (suspends the job with a savepoint), "
            f"then {command} (copies it to {move.to_cell})"
        )
    if move.step is MoveStep.COPIED:
        return (
            f"`pulumi up` the stack of {move.to_cell} (starts the job from the copy) and of "
            f"{move.from_cell} (drops it); once it has checkpointed, {command} again"
        )
    return "nothing: the move is done"


def record_moves(
    previous: Placement | None, placement: Placement, moves: Sequence[Move]
) -> Placement:
    """The new placement with its moves: those under way are kept, each job that placement moved
    from one cell to another starts a new one. A job whose move is under way cannot be moved
    elsewhere (PlacementError), except back to where it came from before its savepoint is copied,
    which cancels the move."""
    recorded: dict[JobKey, JobMove] = {
        key: move
        for key, move in (previous.moves if previous else {}).items()
        if key in placement.jobs
    }
    problems: list[Problem] = []
    for change in moves:
        if change.job is None or change.before is None or change.after is None:
            continue
        key = (change.tenant, change.job)
        current = recorded.get(key)
        if current is None or not current.in_progress:
            recorded[key] = JobMove(change.before, change.after, MoveStep.SUSPENDED)
        elif current.step is MoveStep.SUSPENDED and change.after == current.from_cell:
            del recorded[key]
        else:
            problems.append(
                Problem(
                    f"tenants.{change.tenant}.jobs.{change.job}",
                    "move-in-progress",
                    f"job '{change.tenant}/{change.job}' is moving from {current.from_cell} to "
                    f"{current.to_cell} ({current.step}); finish that move first: "
                    f"{next_step(change.tenant, change.job, current)}",
                )
            )
    if problems:
        raise PlacementError(problems)
    return replace(placement, moves=recorded)


def in_progress(placement: Placement) -> list[tuple[JobKey, JobMove]]:
    return sorted((k, m) for k, m in placement.moves.items() if m.in_progress)


def move_problems(fleet: Fleet, placement: Placement) -> list[Problem]:
    """Recorded moves that contradict the lock's jobs or the fleet."""
    problems: list[Problem] = []
    for (tenant, job), move in sorted(placement.moves.items()):
        where = f"tenants.{tenant}.moves.{job}"
        placed = placement.jobs.get((tenant, job))
        if placed != move.to_cell:
            problems.append(
                Problem(
                    where,
                    "lock-move-target",
                    f"job '{tenant}/{job}' is recorded as moving to {move.to_cell} but placed in "
                    f"{placed}: run `cellctl shard`",
                )
            )
            continue
        if move.step is MoveStep.SUSPENDED and fleet.cell(move.from_cell) is None:
            problems.append(
                Problem(
                    where,
                    "lock-move-source",
                    f"job '{tenant}/{job}' is moving out of {move.from_cell}, which the fleet no "
                    "longer has: put the cell back until its savepoint is copied",
                )
            )
        if move.step is not MoveStep.SUSPENDED:
            expected = (
                f"s3://{cell_names(fleet.name, move.to_cell).checkpoint_bucket}/"
                f"{checkpoint_prefix(tenant)}{job}/savepoints/"
            )
            if not (move.savepoint or "").startswith(expected):
                problems.append(
                    Problem(
                        where,
                        "lock-move-savepoint",
                        f"job '{tenant}/{job}' must start from a savepoint under {expected} "
                        f"(its own cell's bucket), not {move.savepoint}: run `cellctl state move`",
                    )
                )
    return problems


def with_move(placement: Placement, key: JobKey, move: JobMove) -> Placement:
    moves: Mapping[JobKey, JobMove] = {**placement.moves, key: move}
    return replace(placement, moves=moves)
