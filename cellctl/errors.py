"""Expected failures become one readable report and a documented exit code, never a traceback."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from cellctl import render
from cells.problems import FleetError
from offline import PlanError
from rollout.errors import RolloutError
from state.s3 import S3AccessError

EXIT_FINDINGS = 1  # out-of-date stack files; later, mandatory policy violations
EXIT_BAD_INPUT = 2  # a fleet, stack or lock file that cannot be used
EXIT_INTERNAL = 3  # a bug in cellctl; CELLCTL_DEBUG=1 shows the traceback

P = ParamSpec("P")
R = TypeVar("R")


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except FleetError as error:
            render.fleet_error(error)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (PlanError, RolloutError, S3AccessError) as error:
            render.failure(str(error))
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Exception as error:
            if os.environ.get("CELLCTL_DEBUG"):
                raise
            render.failure(
                f"internal error: {type(error).__name__}: {error} "
                "(a bug in cellctl: rerun with CELLCTL_DEBUG=1 and report the traceback)"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper
