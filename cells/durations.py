"""Durations as the fleet file and the command line write them: 90s, 30m, 1h, 1h30m, 0."""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> int:
    """Seconds in `text`; ValueError with the expected form when it is not a duration."""
    match = _DURATION.fullmatch(text.strip())
    if text.strip() == "0":
        return 0
    if not text.strip() or match is None:
        raise ValueError(f"'{text}' is not a duration: use e.g. 90s, 30m, 1h or 1h30m")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: float) -> str:
    """The shortest h/m/s form of `seconds` (rounded to whole seconds)."""
    total = round(seconds)
    if total == 0:
        return "0s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if v)
