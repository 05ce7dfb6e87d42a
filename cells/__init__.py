"""The fleet: its file, its validation, placement of tenants, and stamping into cells.

Names are imported on first use: a command that only validates a fleet file does not pay for
placement (numpy) or stamping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cells.lazy import lazy_exports

if TYPE_CHECKING:
    from cells.loader import load_fleet
    from cells.model import Fleet
    from cells.placement import Placement, load_placement, place
    from cells.problems import FleetError, Problem
    from cells.spec import CellSpec
    from cells.stamping import cell_spec

_HOMES = {
    "CellSpec": "cells.spec",
    "Fleet": "cells.model",
    "FleetError": "cells.problems",
    "Placement": "cells.placement",
    "Problem": "cells.problems",
    "cell_spec": "cells.stamping",
    "load_fleet": "cells.loader",
    "load_placement": "cells.placement",
    "place": "cells.placement",
}

__all__ = [
    "CellSpec",
    "Fleet",
    "FleetError",
    "Placement",
    "Problem",
    "cell_spec",
    "load_fleet",
    "load_placement",
    "place",
]

__getattr__ = lazy_exports(__name__, _HOMES)
