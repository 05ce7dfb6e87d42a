"""Expected failures become one readable report and a documented exit code, never a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from cellctl import render
from cellctl.entry import caused_by_ctrl_c
from cells import interrupts
from cells.problems import FleetError

EXIT_FINDINGS = 1  # out-of-date stack files; later, mandatory policy violations
EXIT_BAD_INPUT = 2  # a fleet, stack or lock file that cannot be used
EXIT_INTERNAL = 3  # a bug in cellctl; CELLCTL_DEBUG=1 shows the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C, as the shell reports it

P = ParamSpec("P")
R = TypeVar("R")


# Failures said in one sentence (a plan, a rollout, S3), by the module that defines each. They
# are looked up among the modules already loaded, never imported here: no such error can be
# raised before its module is, and importing them would load boto3 and the Pulumi SDK for every
# command.
EXPECTED_FAILURES = (
    ("offline.errors", "PlanError"),
    ("rollout.errors", "RolloutError"),
    ("state.s3", "S3AccessError"),
)


def _expected(error: Exception) -> bool:
    for module, name in EXPECTED_FAILURES:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(error, getattr(loaded, name)):
            return True
    return False


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            render.interrupted()
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:
            # A Ctrl-C comes before any report: after one the interpreter swallowed, pydantic's
            # own validators can be half built, and a valid fleet would be reported wrong.
            if interrupts.swallowed() or caused_by_ctrl_c(error):
                render.interrupted()
                raise typer.Exit(EXIT_INTERRUPTED) from None
            if isinstance(error, FleetError):
                render.fleet_error(error)
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if _expected(error):
                render.failure(str(error))
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if os.environ.get("CELLCTL_DEBUG"):
                raise
            render.failure(
                f"internal error: {type(error).__name__}: {error} "
                "(a bug in cellctl: rerun with CELLCTL_DEBUG=1 and report the traceback)"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper
