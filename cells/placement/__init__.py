"""Placement: which cells each tenant is provisioned in, and where each job runs."""

from cells.placement.lock import (
    disagreements,
    load_placement,
    lock_path,
    read_lock,
    render_lock,
    unfinished_drains,
)
from cells.placement.model import (
    JobKey,
    JobMove,
    Move,
    MoveStep,
    Placement,
    PlacementError,
    PlacementResult,
)
from cells.placement.sharding import place

__all__ = [
    "JobKey",
    "JobMove",
    "Move",
    "MoveStep",
    "Placement",
    "PlacementError",
    "PlacementResult",
    "disagreements",
    "load_placement",
    "lock_path",
    "place",
    "read_lock",
    "render_lock",
    "unfinished_drains",
]
