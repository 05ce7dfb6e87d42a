"""Offline plans: the real program, the SDK's mock runtime, every resource recorded."""

from offline.planner import PlanError, StackPlan, plan_document, plan_stack, plan_stacks
from offline.recorder import RecordedResource

__all__ = [
    "PlanError",
    "RecordedResource",
    "StackPlan",
    "plan_document",
    "plan_stack",
    "plan_stacks",
]
