"""Engine events as `pulumi preview --json` steps: the shape `review` classifies dangers in.

The CLI builds its JSON digest from the same resource-pre events (pkg/backend/display/json.go,
`ShowPreviewDigest`): keys become `replaceReasons`, diffs `diffReasons`, same steps are left out
unless a protect flag changes, and non-logical replacement steps are left out."""

from __future__ import annotations

from typing import Any

from pulumi.automation import EngineEvent, OpType, StepEventMetadata, StepEventStateMetadata

_STATE_KEYS = (
    ("type", "type"),
    ("urn", "urn"),
    ("id", "id"),
    ("parent", "parent"),
    ("provider", "provider"),
    ("custom", "custom"),
    ("delete", "delete"),
    ("protect", "protect"),
    ("retain_on_delete", "retainOnDelete"),
    ("inputs", "inputs"),
    ("outputs", "outputs"),
    ("init_errors", "initErrors"),
    ("taint", "taint"),
)


def _state(state: StepEventStateMetadata) -> dict[str, Any]:
    shaped = {}
    for attribute, key in _STATE_KEYS:
        value = getattr(state, attribute)
        if value not in (None, ""):
            shaped[key] = value
    return shaped


def _shown(meta: StepEventMetadata) -> bool:
    if meta.type == "pulumi:pulumi:Stack":
        return True
    if meta.op == OpType.SAME:
        old_protect = meta.old.protect if meta.old else None
        new_protect = meta.new.protect if meta.new else None
        return bool(old_protect) != bool(new_protect)
    return meta.logical is not False


def preview_step(meta: StepEventMetadata) -> dict[str, Any]:
    step: dict[str, Any] = {"op": meta.op.value, "urn": meta.urn, "type": meta.type}
    if meta.provider:
        step["provider"] = meta.provider
    if meta.old is not None:
        step["oldState"] = _state(meta.old)
    if meta.new is not None:
        step["newState"] = _state(meta.new)
    if meta.diffs:
        step["diffReasons"] = list(meta.diffs)
    if meta.keys:
        step["replaceReasons"] = list(meta.keys)
    if meta.detailed_diff:
        step["detailedDiff"] = {
            path: {"kind": diff.diff_kind.value, "inputDiff": diff.input_diff}
            for path, diff in meta.detailed_diff.items()
        }
    return step


def step_of(event: EngineEvent) -> dict[str, Any] | None:
    """The preview step an engine event stands for, or None when the JSON digest omits it."""
    pre = event.resource_pre_event
    if pre is None or not _shown(pre.metadata):
        return None
    return preview_step(pre.metadata)
