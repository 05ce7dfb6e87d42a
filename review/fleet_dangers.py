"""Dangers no single stack shows: the fleet renamed, a region's DR partner changed, a job moving
between cells, and policy violations the change introduces."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from review.dangers import (
    DR_PARTNER,
    FLEET_RENAME,
    FLINK_DEPLOYMENT,
    JOB_LEAVES,
    POLICY,
    Danger,
    make_danger,
    step_op,
    step_type,
)

BLOCKING_LEVELS = {"mandatory", "remediate"}


def _fleet_name(fleet: dict[str, Any]) -> str | None:
    section = fleet.get("fleet")
    return str(section.get("name")) if isinstance(section, dict) and "name" in section else None


def _partners(fleet: dict[str, Any]) -> dict[str, str]:
    return {
        str(r["name"]): str(r.get("dr_partner"))
        for r in fleet.get("regions") or []
        if isinstance(r, dict) and "name" in r
    }


def fleet_dangers(base: dict[str, Any], head: dict[str, Any]) -> list[Danger]:
    dangers = []
    old_name, new_name = _fleet_name(base), _fleet_name(head)
    if old_name and new_name and old_name != new_name:
        dangers.append(
            make_danger(
                FLEET_RENAME,
                "",
                "fleet.name",
                f"the fleet is renamed {old_name} → {new_name}: every physical name changes, so "
                "every cell's checkpoint and replica buckets, MSK and EKS clusters and roles are "
                "replaced, and the state in the old ones is left behind.",
            )
        )
    old_partners, new_partners = _partners(base), _partners(head)
    for region in sorted(set(old_partners) & set(new_partners)):
        was, now = old_partners[region], new_partners[region]
        if was != now:
            dangers.append(
                make_danger(
                    DR_PARTNER,
                    "",
                    f"regions.{region}.dr_partner",
                    f"region {region}'s DR partner changes {was} → {now}: its cells' replica "
                    f"buckets and DR keys are replaced in {now}, and the savepoints replicated to "
                    f"{was} stop being a restore point.",
                )
            )
    return dangers


def _job_key(step: dict[str, Any], state: str) -> tuple[str, str] | None:
    inputs = (step.get(state) or {}).get("inputs") or {}
    meta = inputs.get("metadata") or {}
    if "name" not in meta:
        return None
    return str(meta.get("namespace", "")), str(meta["name"])


def job_moves(
    dangers: list[Danger], steps_by_stack: dict[str, list[dict[str, Any]]]
) -> list[Danger]:
    """A job that leaves one cell and is created in another is a move: say where it goes."""
    created: dict[tuple[str, str], str] = {}
    deleted: dict[str, tuple[str, str]] = {}
    for stack, steps in steps_by_stack.items():
        for step in steps:
            if step_type(step) != FLINK_DEPLOYMENT:
                continue
            op = step_op(step)
            if op == "create" and (key := _job_key(step, "newState")):
                created[key] = stack
            elif op == "delete" and (key := _job_key(step, "oldState")):
                deleted[str(step.get("urn"))] = key
    moved = []
    for danger in dangers:
        key = deleted.get(danger.urn or "") if danger.danger_class == JOB_LEAVES else None
        target = created.get(key) if key else None
        if key and target and target != danger.stack:
            summary = (
                f"Flink job `{key[0]}/{key[1]}` moves from cell {danger.stack} to {target}: "
                f"{target} starts it without state unless it is restored from a savepoint taken "
                f"in {danger.stack}."
            )
            danger = Danger(danger.id, danger.danger_class, danger.stack, danger.urn, summary)
        moved.append(danger)
    return moved


def _finding_key(finding: dict[str, Any]) -> tuple[Any, ...]:
    subject = finding.get("urn") or finding.get("message")
    return finding["stack"], finding["pack"], finding["rule"], subject


def policy_dangers(base: Iterable[dict[str, Any]], head: Iterable[dict[str, Any]]) -> list[Danger]:
    """Each blocking finding of head that base did not have."""
    before = {_finding_key(f) for f in base if f["level"] in BLOCKING_LEVELS and not f["waived"]}
    dangers = []
    for finding in head:
        if finding["level"] not in BLOCKING_LEVELS or finding["waived"]:
            continue
        key = _finding_key(finding)
        if key in before:
            continue
        subject = finding.get("urn") or f"{finding['rule']}:{finding['message']}"
        where = f" on `{str(finding['urn']).rsplit('::', 1)[-1]}`" if finding.get("urn") else ""
        rule = f"{finding.get('ruleId') or finding['pack']} `{finding['rule']}`"
        danger = make_danger(
            POLICY,
            finding["stack"],
            f"{finding['rule']}|{subject}",
            f"new mandatory policy violation {rule}{where}: {finding['message']}",
        )
        dangers.append(replace(danger, urn=finding.get("urn")))
    return dangers
