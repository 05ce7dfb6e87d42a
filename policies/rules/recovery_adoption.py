"""Recovery stacks adopt what exists in the DR region by reference, and never manage it.

The lost cell's replica bucket and key, and its standby MSK cluster, belong to the lost cell's own
stack; a recovery stack that created, changed or deleted them could destroy the very state it
restores from. It creates nothing outside its own region (the lost region least of all).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Resource, Stack, Unresolved, stack_rule
from policies.rules.recovery_restore import recovering, replica_bucket

# Inputs that carry a resource's own physical name, or the bucket a bucket setting applies to.
NAME_INPUTS = ("bucket", "name", "clusterName", "replicatorName")


def _names(resource: Resource) -> set[str]:
    """Its known physical names; a name not known until creation is a new resource's own, so it
    cannot be an adopted one (those exist, and their names are literals)."""
    names = set()
    for key in NAME_INPUTS:
        try:
            value = resource.get(key)
        except Unresolved:
            continue
        if isinstance(value, str):
            names.add(value)
    return names


@stack_rule(
    "DUR-RCV-3",
    "recovery-adopts-never-manages",
    "A recovery stack creates, changes and deletes nothing of the lost cell's replica bucket and "
    "key or standby MSK cluster, and nothing outside its own region.",
    "critical",
    "Reference them with lookups (aws.s3.get_bucket, aws.kms.get_key, aws.msk.get_cluster); "
    "never declare them as resources of the recovery stack.",
)
def adopts_never_manages(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    found = recovering(stack)
    if found is None:
        return
    fleet, cell = found
    adopted = {
        replica_bucket(fleet, cell),
        f"alias/{fleet}/{cell}/checkpoints-dr",
        f"{fleet}-{cell}-standby",
    }
    # Recovery resources are tagged with the DR partner's region: the only one they may use.
    home = {str(r.tags["region"]) for r in stack.resources if r.tags.get("recovers") == cell}
    for resource in stack.resources:
        if not resource.type.startswith("aws:"):
            continue
        named = _names(resource)
        if named & adopted:
            report(
                f"{resource.name} manages {', '.join(sorted(named & adopted))}, which the lost "
                f"cell {cell} owns: a recovery may only read it",
                resource,
            )
        if resource.region and home and resource.region not in home:
            report(
                f"{resource.name} is created in {resource.region}, not in the recovery's region "
                f"{', '.join(sorted(home))}",
                resource,
            )


DURABILITY = [adopts_never_manages]
