"""The fleet: its file, its validation, placement of tenants, and stamping into cells."""

from cells.loader import load_fleet
from cells.model import Fleet
from cells.placement import Placement, load_placement, place
from cells.problems import FleetError, Problem
from cells.spec import CellSpec
from cells.stamping import cell_spec

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
