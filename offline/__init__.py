"""Offline plans: the real program, the SDK's mock runtime, every resource recorded.

Names are imported on first use: catching a PlanError does not load the Pulumi SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cells.lazy import lazy_exports

if TYPE_CHECKING:
    from offline.errors import PlanError
    from offline.planner import StackPlan, plan_document, plan_stack, plan_stacks
    from offline.recorder import RecordedResource

_HOMES = {
    "PlanError": "offline.errors",
    "RecordedResource": "offline.recorder",
    "StackPlan": "offline.planner",
    "plan_document": "offline.planner",
    "plan_stack": "offline.planner",
    "plan_stacks": "offline.planner",
}

__all__ = [
    "PlanError",
    "RecordedResource",
    "StackPlan",
    "plan_document",
    "plan_stack",
    "plan_stacks",
]

__getattr__ = lazy_exports(__name__, _HOMES)
