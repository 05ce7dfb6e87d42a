"""Flink's duration grammar (org.apache.flink.util.TimeUtils.parseDuration), for rules that
compare intervals: digits, optional whitespace, an optional unit label (milliseconds when none).
Anything else, ISO-8601 (`PT30S`) and bare `m` included, fails in Flink too, so it is `None` here.
"""

from __future__ import annotations

import re
from typing import Any

_UNITS: dict[str, float] = {}
for _seconds, _singular, _plurals in (
    (86400.0, "d", ("day",)),
    (3600.0, "h", ("hour",)),
    (60.0, "min", ("minute",)),
    (1.0, "s", ("sec", "second")),
    (0.001, "ms", ("milli", "millisecond")),
    (0.000001, "µs", ("micro", "microsecond")),
    (0.000000001, "ns", ("nano", "nanosecond")),
):
    _UNITS[_singular] = _seconds
    for _label in _plurals:
        _UNITS[_label] = _UNITS[f"{_label}s"] = _seconds

_GRAMMAR = re.compile(r"(\d+)(.*)", re.DOTALL)


def seconds(duration: Any) -> float | None:
    """A Flink duration in seconds, or None where Flink would refuse it."""
    if isinstance(duration, bool) or duration is None:
        return None
    if isinstance(duration, int):
        return duration / 1000
    match = _GRAMMAR.fullmatch(str(duration).strip())
    if not match:
        return None
    number, label = match.groups()
    unit = _UNITS.get(label.strip().lower()) if label.strip() else 0.001
    return int(number) * unit if unit is not None else None
