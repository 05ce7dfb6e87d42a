"""The Pulumi program of one cell stack: reads its cell from stack config and builds it."""

from pathlib import Path

import pulumi

from cells import FleetError, cell_spec, load_fleet, load_placement
from cells.stamping import CELL_CONFIG, DEFAULT_FLEET_FILE, FLEET_FILE_CONFIG
from components import FlinkCell

config = pulumi.Config()
cell_id = config.require(CELL_CONFIG)
fleet_file = Path(__file__).parent / (config.get(FLEET_FILE_CONFIG) or DEFAULT_FLEET_FILE)
try:
    fleet = load_fleet(fleet_file)
    # The committed lock, never a fresh computation: `pulumi up` must not re-shuffle tenants.
    spec = cell_spec(fleet, load_placement(fleet, fleet_file), cell_id, fleet_file)
except FleetError as error:
    raise pulumi.RunError(str(error)) from None

cell = FlinkCell(cell_id, spec)
for key, value in cell.outputs.items():
    pulumi.export(key, value)
