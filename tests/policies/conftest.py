from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.helpers import PlannedStack


@pytest.fixture
def compliant(example_plans: dict[str, PlannedStack]) -> dict[str, Any]:
    """A fresh copy of a compliant cell's plan (use1-a: two tenants, two jobs) to break."""
    plan = example_plans["use1-a"]
    return copy.deepcopy({"stack": plan.stack, "resources": plan.resources})
