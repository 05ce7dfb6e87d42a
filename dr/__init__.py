"""Disaster recovery: recovery decisions (the recovery lock), readiness, and drills."""

from dr.decide import decide_recovery, recovery_targets
from dr.readiness import ReadinessRow, readiness

__all__ = ["ReadinessRow", "decide_recovery", "readiness", "recovery_targets"]
