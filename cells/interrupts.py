"""Ctrl-Cs the interpreter could only report as "Exception ignored": a KeyboardInterrupt raised
while C code runs Python code it cannot pass an error back from (pydantic-core building a
schema, a weakref callback, a finalizer) is printed with a traceback and dropped, and the
command carries on. Once `remember_swallowed` is installed they are not printed but remembered,
and `raise_if_swallowed` raises them again where a command can stop."""

from __future__ import annotations

import sys
from typing import Any

_swallowed: list[bool] = []
_report_others = sys.unraisablehook


def remember_swallowed() -> None:
    sys.unraisablehook = _remember


def _remember(report: Any) -> None:
    if issubclass(report.exc_type, KeyboardInterrupt):
        _swallowed.append(True)
    else:
        _report_others(report)


def swallowed() -> bool:
    return bool(_swallowed)


def raise_if_swallowed() -> None:
    if _swallowed:
        raise KeyboardInterrupt
