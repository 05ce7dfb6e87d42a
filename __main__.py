"""The Pulumi program of one stack: a cell, or a lost cell's recovery in its DR partner region."""

from pathlib import Path

import pulumi

from cells import FleetError, cell_spec, load_fleet, load_placement
from cells.disaster import recovery_stack
from cells.recovery_lock import RECOVERY_LOCK_FILE, load_recovery_lock
from cells.stamping import (
    CELL_CONFIG,
    DEFAULT_FLEET_FILE,
    FLEET_FILE_CONFIG,
    RECOVERY_CONFIG,
    RECOVERY_LOCK_CONFIG,
    recovery_spec,
)
from components import FlinkCell

config = pulumi.Config()
cell_id = config.require(CELL_CONFIG)
recovers = config.get(RECOVERY_CONFIG)
root = Path(__file__).parent
fleet_file = root / (config.get(FLEET_FILE_CONFIG) or DEFAULT_FLEET_FILE)
try:
    fleet = load_fleet(fleet_file)
    # The committed locks, never a fresh computation: `pulumi up` must not re-shuffle tenants
    # nor re-decide a restore point.
    placement = load_placement(fleet, fleet_file)
    if recovers:
        lock = load_recovery_lock(root / (config.get(RECOVERY_LOCK_CONFIG) or RECOVERY_LOCK_FILE))
        spec = recovery_spec(fleet, placement, lock, recovers, fleet_file)
    else:
        spec = cell_spec(fleet, placement, cell_id, fleet_file)
except FleetError as error:
    raise pulumi.RunError(str(error)) from None

cell = FlinkCell(recovery_stack(cell_id) if recovers else cell_id, spec)
for key, value in cell.outputs.items():
    pulumi.export(key, value)
