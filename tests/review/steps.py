"""Steps in the `pulumi preview --json` shape, for tests."""

from __future__ import annotations

from typing import Any

STACK = "use1-a"
PREFIX = f"urn:pulumi:{STACK}::flink-cells::flinkcells:index:FlinkCell"


def urn(type_: str, name: str) -> str:
    return f"{PREFIX}${type_}::{name}"


def state(type_: str, name: str, inputs: dict[str, Any], protect: bool = False) -> dict[str, Any]:
    return {"urn": urn(type_, name), "type": type_, "inputs": inputs, "protect": protect}


def step(
    op: str,
    type_: str,
    name: str,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    protect: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    result: dict[str, Any] = {"op": op, "urn": urn(type_, name), **extra}
    if old is not None:
        result["oldState"] = state(type_, name, old, protect)
    if new is not None:
        result["newState"] = state(type_, name, new, protect)
    return result


def flink(
    upgrade_mode: str = "savepoint", parallelism: int = 4, backend: str = "hashmap", **conf: str
) -> dict[str, Any]:
    return {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "scorer", "namespace": "tenant-fraud"},
        "spec": {
            "flinkConfiguration": {"state.backend.type": backend, **conf},
            "job": {"parallelism": parallelism, "upgradeMode": upgrade_mode, "args": ["a"]},
        },
    }
