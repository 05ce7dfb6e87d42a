"""Engine events as the Pulumi engine writes them (the JSON the Automation API parses)."""

from __future__ import annotations

from typing import Any

PROJECT = "flink-cells"


def urn(stack: str, type_path: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{type_path}::{name}"


def state(stack: str, type_: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "urn": urn(stack, type_, name), "custom": True, **fields}


def pre(
    stack: str,
    op: str,
    type_: str,
    name: str,
    *,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    keys: list[str] | None = None,
    diffs: list[str] | None = None,
    logical: bool | None = True,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "op": op,
        "urn": urn(stack, type_, name),
        "type": type_,
        "provider": f"urn:pulumi:{stack}::{PROJECT}::pulumi:providers:aws::{stack}-primary::id",
    }
    for key, value in (("old", old), ("new", new), ("keys", keys), ("diffs", diffs)):
        if value is not None:
            metadata[key] = value
    if logical is not None:
        metadata["logical"] = logical
    return {"resourcePreEvent": {"metadata": metadata, "planning": True}}


def diagnostic(message: str, severity: str = "error") -> dict[str, Any]:
    return {"diagnosticEvent": {"message": message, "color": "never", "severity": severity}}


def policy(message: str, rule: str, level: str = "mandatory", resource: str | None = None):
    event = {
        "message": message,
        "color": "never",
        "policyName": rule,
        "policyPackName": "flink-cells-durability",
        "policyPackVersion": "0.1.0",
        "policyPackVersionTag": "0.1.0",
        "enforcementLevel": level,
    }
    if resource:
        event["resourceUrn"] = resource
    return {"policyEvent": event}


def tag_update(stack: str) -> list[dict[str, Any]]:
    """A harmless preview: a tag changes on the checkpoint bucket."""
    bucket = "aws:s3/bucket:Bucket"
    name = f"{stack}-checkpoints"
    return [
        pre(
            stack,
            "update",
            bucket,
            name,
            old=state(stack, bucket, name, inputs={"tags": {"team": "a"}}),
            new=state(stack, bucket, name, inputs={"tags": {"team": "b"}}),
            diffs=["tags"],
        ),
        pre(
            stack,
            "same",
            "aws:kms/key:Key",
            f"{stack}-key",
            old=state(stack, "aws:kms/key:Key", f"{stack}-key"),
            new=state(stack, "aws:kms/key:Key", f"{stack}-key"),
        ),
    ]


def bucket_replace(stack: str) -> list[dict[str, Any]]:
    """A dangerous preview: the checkpoint bucket is replaced (its name changes)."""
    bucket = "aws:s3/bucket:Bucket"
    name = f"{stack}-checkpoints"
    old = state(stack, bucket, name, protect=True, inputs={"bucket": f"payments-{stack}-cp"})
    new = state(stack, bucket, name, protect=True, inputs={"bucket": f"renamed-{stack}-cp"})
    return [
        pre(
            stack,
            "create-replacement",
            bucket,
            name,
            old=old,
            new=new,
            keys=["bucket"],
            diffs=["bucket"],
            logical=False,
        ),
        pre(stack, "replace", bucket, name, old=old, new=new, keys=["bucket"], diffs=["bucket"]),
        pre(stack, "delete-replaced", bucket, name, old=old, new=new, logical=False),
    ]


def done(pre_event: dict[str, Any]) -> dict[str, Any]:
    """The engine's resource-outputs event for a step it finished."""
    return {"resOutputsEvent": {"metadata": pre_event["resourcePreEvent"]["metadata"]}}
