"""Values read from YAML, shown back to the person who wrote them as YAML, never as Python."""

from __future__ import annotations

import datetime
import math
from typing import Any

LONGEST = 60


def shown(value: Any, raw: str | None = None) -> str:
    """What was written: the source text where the reader kept it, else the value in YAML."""
    if raw is not None:
        return raw if raw else "an empty value"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML 1.1 reads a number with an exponent as a float only with a '.' in it
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    return text if len(text) <= LONGEST else text[: LONGEST - 3] + "..."


def described(value: Any) -> str:
    """What YAML made of a scalar: `yes` is the boolean true, `2026-01-01` a date."""
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return f"the boolean {shown(value)}"
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if isinstance(value, datetime.datetime):
        return "a timestamp"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__}"
