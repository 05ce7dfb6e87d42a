"""What the lock records when placement moves a job, and what each cell's stack builds."""

from __future__ import annotations

import pytest

from cells.placement import JobMove, Move, MoveStep, Placement, PlacementError
from cells.placement.moves import hosted_jobs, next_step, record_moves, tenants_hosted

KEY = ("ledger", "poster")
SHARDS = {"ledger": ("b", "c")}
COPY = "s3://payments-b-checkpoints/tenants/ledger/poster/savepoints/savepoint-1"


def _placement(cell: str, move: JobMove | None = None, shard: tuple = ("b", "c")) -> Placement:
    return Placement({"ledger": shard}, {KEY: cell}, {KEY: move} if move else {})


def _moved(before: str, after: str) -> list[Move]:
    return [Move("ledger", "poster", before, after, "cell a drained")]


def test_a_job_changing_cells_starts_a_suspended_move() -> None:
    locked = record_moves(_placement("a"), _placement("b"), _moved("a", "b"))
    assert locked.moves == {KEY: JobMove("a", "b", MoveStep.SUSPENDED)}


def test_new_jobs_and_unmoved_jobs_record_nothing() -> None:
    new = [Move("ledger", "poster", None, "b", "new job")]
    assert record_moves(None, _placement("b"), new).moves == {}
    assert record_moves(_placement("b"), _placement("b"), []).moves == {}


def test_moves_under_way_are_kept_and_finished_ones_can_be_replaced() -> None:
    under_way = _placement("b", JobMove("a", "b", MoveStep.COPIED, COPY))
    assert record_moves(under_way, _placement("b"), []).moves == under_way.moves
    done = _placement("b", JobMove("a", "b", MoveStep.DONE, COPY))
    again = record_moves(done, _placement("c"), _moved("b", "c"))
    assert again.moves == {KEY: JobMove("b", "c", MoveStep.SUSPENDED)}


def test_moving_back_before_the_copy_cancels_the_move() -> None:
    suspended = _placement("b", JobMove("a", "b", MoveStep.SUSPENDED))
    assert record_moves(suspended, _placement("a"), _moved("b", "a")).moves == {}


@pytest.mark.parametrize("step", [MoveStep.SUSPENDED, MoveStep.COPIED])
def test_moving_a_job_elsewhere_mid_move_is_refused(step: MoveStep) -> None:
    savepoint = COPY if step is MoveStep.COPIED else None
    previous = _placement("b", JobMove("a", "b", step, savepoint))
    with pytest.raises(PlacementError) as caught:
        record_moves(previous, _placement("c"), _moved("b", "c"))
    [problem] = caught.value.problems
    assert problem.code == "move-in-progress"
    assert next_step("ledger", "poster", previous.moves[KEY]) in problem.message


def test_each_step_decides_what_both_cells_build() -> None:
    suspended = _placement("b", JobMove("a", "b", MoveStep.SUSPENDED), shard=("b", "c"))
    # The old cell keeps the tenant (no longer in its shard) and the job, suspended.
    assert tenants_hosted(suspended, "a") == ["ledger"]
    assert hosted_jobs(suspended, "a")[KEY].suspended
    assert KEY not in hosted_jobs(suspended, "b")
    for step in (MoveStep.COPIED, MoveStep.DONE):
        moved = _placement("b", JobMove("a", "b", step, COPY), shard=("b", "c"))
        assert KEY not in hosted_jobs(moved, "a") and tenants_hosted(moved, "a") == []
        started = hosted_jobs(moved, "b")[KEY]
        assert started.initial_savepoint_path == COPY and not started.suspended
