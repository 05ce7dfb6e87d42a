"""Placement: which cells each tenant is provisioned in, and where each job runs.

Names are imported on first use: reading the placement model or its report does not load the
placer (numpy) or the lock file's reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cells.lazy import lazy_exports

if TYPE_CHECKING:
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

_HOMES = {
    "JobKey": "cells.placement.model",
    "JobMove": "cells.placement.model",
    "Move": "cells.placement.model",
    "MoveStep": "cells.placement.model",
    "Placement": "cells.placement.model",
    "PlacementError": "cells.placement.model",
    "PlacementResult": "cells.placement.model",
    "disagreements": "cells.placement.lock",
    "load_placement": "cells.placement.lock",
    "lock_path": "cells.placement.lock",
    "place": "cells.placement.sharding",
    "read_lock": "cells.placement.lock",
    "render_lock": "cells.placement.lock",
    "unfinished_drains": "cells.placement.lock",
}

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

__getattr__ = lazy_exports(__name__, _HOMES)
