"""The steps of a job move that touch S3: copy the suspended job's savepoint into its new cell's
bucket (server-side, verified again after the copy), and confirm it has checkpointed there.

Only this step reads another cell's bucket, with the operator's own credentials; no stack does.
Each step is idempotent: re-running it after a failure resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cells.aws_names import cell_names, checkpoint_prefix
from cells.model import Fleet
from cells.placement.model import JobKey, JobMove, MoveStep, Placement
from cells.placement.moves import with_move
from state.restore_points import (
    METADATA,
    find_restore_point,
    job_savepoint_prefix,
    list_objects,
    read_manifest,
    verify_savepoint,
)
from state.s3 import s3_errors

COPY_WORKERS = 16
ClientFor = Callable[[str], Any]  # region -> boto3 S3 client


class MoveBlocked(Exception):
    """A move step that cannot go ahead yet; the message says why and what to do."""


@dataclass(frozen=True)
class _Side:
    cell: str
    bucket: str
    s3: Any


def _side(fleet: Fleet, cell_id: str, client_for: ClientFor) -> _Side:
    cell = fleet.cell(cell_id)
    if cell is None:
        raise MoveBlocked(f"cell {cell_id} is not in the fleet")
    return _Side(
        cell_id, cell_names(fleet.name, cell_id).checkpoint_bucket, client_for(cell.region)
    )


def advance(
    fleet: Fleet, placement: Placement, key: JobKey, client_for: ClientFor
) -> tuple[Placement, str]:
    """Runs the next S3 step of the job's move; returns the placement to lock and what happened."""
    move = placement.moves[key]
    if move.step is MoveStep.SUSPENDED:
        copied = copy_step(fleet, key, move, client_for)
        return with_move(placement, key, copied), f"copied and verified {copied.savepoint}"
    if move.step is MoveStep.COPIED:
        evidence = confirm_step(fleet, key, move, client_for)
        done = replace(move, step=MoveStep.DONE)
        return with_move(placement, key, done), f"running in {move.to_cell}: {evidence}"
    return placement, "nothing to do: the move is done"


def copy_step(fleet: Fleet, key: JobKey, move: JobMove, client_for: ClientFor) -> JobMove:
    """Step 1 -> 2: the savepoint the job stopped with, copied into the new cell and verified."""
    tenant, job = key
    source = _side(fleet, move.from_cell, client_for)
    target = _side(fleet, move.to_cell, client_for)
    point = find_restore_point(source.s3, source.bucket, tenant, job)
    if point.newest is None:
        reasons = "; ".join(f"{v.uri}: {v.reason}" for v in point.skipped) or "none written"
        raise MoveBlocked(
            f"no complete savepoint of {tenant}/{job} in {source.bucket} ({reasons}): "
            f"`pulumi up` the stack of {source.cell} so the job suspends with one, then re-run"
        )
    source_dir = point.newest.uri.removeprefix(f"s3://{source.bucket}/")
    manifest = read_manifest(source.s3, source.bucket, source_dir)
    if not manifest.job_stopped:
        raise MoveBlocked(
            f"the newest complete savepoint {point.newest.uri} was taken while {tenant}/{job} kept "
            f"running in {source.cell}: `pulumi up` the stack of {source.cell} so the job "
            "suspends with a savepoint, then re-run"
        )
    checkpoints = f"{checkpoint_prefix(tenant)}{job}/checkpoints/"
    later = _metadata_after(source.s3, source.bucket, checkpoints, point.newest.written_at, None)
    if later:
        raise MoveBlocked(
            f"{tenant}/{job} checkpointed in {source.cell} after its savepoint "
            f"({later}): it runs there again; suspend it (`pulumi up` {source.cell}), then re-run"
        )
    target_dir = f"{job_savepoint_prefix(tenant, job)}{source_dir.rsplit('/', 1)[1]}"
    copy_savepoint(source, source_dir, target, target_dir)
    objects = list_objects(target.s3, target.bucket, f"{target_dir}/")
    reason = verify_savepoint(target.s3, target.bucket, target_dir, objects)
    if reason is not None:
        raise MoveBlocked(
            f"the copy s3://{target.bucket}/{target_dir} is not complete ({reason}); "
            "the lock is unchanged: re-run to resume the copy"
        )
    return replace(move, step=MoveStep.COPIED, savepoint=f"s3://{target.bucket}/{target_dir}")


def copy_savepoint(source: _Side, source_dir: str, target: _Side, target_dir: str) -> None:
    """Server-side copy of every object, `_metadata` last; objects already copied are kept."""
    present = list_objects(target.s3, target.bucket, f"{target_dir}/")
    wanted = list_objects(source.s3, source.bucket, f"{source_dir}/")
    todo = [
        name
        for name, info in wanted.items()
        if name != METADATA and (name not in present or present[name].size != info.size)
    ]

    def copy(name: str) -> None:
        with s3_errors(f"copying s3://{source.bucket}/{source_dir}/{name}"):
            target.s3.copy(
                {"Bucket": source.bucket, "Key": f"{source_dir}/{name}"},
                target.bucket,
                f"{target_dir}/{name}",
                SourceClient=source.s3,
            )

    with ThreadPoolExecutor(COPY_WORKERS) as pool:
        list(pool.map(copy, todo))
    if METADATA in wanted:
        copy(METADATA)


def confirm_step(fleet: Fleet, key: JobKey, move: JobMove, client_for: ClientFor) -> str:
    """Step 2 -> done: the job has completed a checkpoint or savepoint in its new cell since
    the copy it started from."""
    tenant, job = key
    target = _side(fleet, move.to_cell, client_for)
    copied = (move.savepoint or "").removeprefix(f"s3://{target.bucket}/")
    prefix = f"{checkpoint_prefix(tenant)}{job}/"
    objects = list_objects(target.s3, target.bucket, f"{copied}/")
    if METADATA not in objects:
        raise MoveBlocked(f"the copy {move.savepoint} is gone: re-run `cellctl shard` and report")
    later = _metadata_after(
        target.s3, target.bucket, prefix, objects[METADATA].modified, copied.removeprefix(prefix)
    )
    if not later:
        raise MoveBlocked(
            f"{tenant}/{job} has not checkpointed in {move.to_cell} since it was copied: "
            f"`pulumi up` the stack of {move.to_cell} (and of {move.from_cell}), wait for a "
            "checkpoint, then re-run"
        )
    return f"s3://{target.bucket}/{prefix}{later}"


def _metadata_after(
    s3: Any,
    bucket: str,
    prefix: str,
    after: datetime,
    exclude: str | None,
) -> str | None:
    """The newest `_metadata` under prefix written after `after` (outside `exclude`), if any."""
    newer = sorted(
        (info.modified, name)
        for name, info in list_objects(s3, bucket, prefix).items()
        if name.endswith(f"/{METADATA}")
        and info.modified > after
        and not (exclude and name.startswith(f"{exclude}/"))
    )
    return newer[-1][1] if newer else None
