"""Flink's duration grammar (org.apache.flink.util.TimeUtils.parseDuration), for rules that
compare intervals: digits, optional whitespace, an optional unit label (milliseconds when none).
Anything else, ISO-8601 (`PT30S`) and bare `m` included, fails in Flink too, so it is `None` here.
"""

from __future__ import annotations

import re
from typing import Any

# Nanoseconds per unit, so that a value converts exactly (one rounding, at the end).
_UNITS: dict[str, int] = {}
for _nanos, _singular, _plurals in (
    (86_400 * 10**9, "d", ("day",)),
    (3_600 * 10**9, "h", ("hour",)),
    (60 * 10**9, "min", ("minute",)),
    (10**9, "s", ("sec", "second")),
    (10**6, "ms", ("milli", "millisecond")),
    (10**3, "µs", ("micro", "microsecond")),
    (1, "ns", ("nano", "nanosecond")),
):
    _UNITS[_singular] = _nanos
    for _label in _plurals:
        _UNITS[_label] = _UNITS[f"{_label}s"] = _nanos

_GRAMMAR = re.compile(r"(\d+)(.*)", re.DOTALL)


def seconds(duration: Any) -> float | None:
    """A Flink duration in seconds, or None where Flink would refuse it."""
    if isinstance(duration, bool) or duration is None:
        return None
    if isinstance(duration, int):
        return duration * 10**6 / 10**9
    match = _GRAMMAR.fullmatch(str(duration).strip())
    if not match:
        return None
    number, label = match.groups()
    unit = _UNITS.get(label.strip().lower()) if label.strip() else 10**6
    return int(number) * unit / 10**9 if unit is not None else None
