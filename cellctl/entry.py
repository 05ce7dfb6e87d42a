"""The `cellctl` executable: a Ctrl-C at any moment, even while the SDKs are still importing,
ends it with one line and exit 130, never a traceback."""

from __future__ import annotations

import os
import signal
import sys

from cells import interrupts

EXIT_INTERRUPTED = 130


def run() -> None:
    interrupts.remember_swallowed()
    try:
        from cellctl.main import app

        app()
    except KeyboardInterrupt:
        _leave()
    except SystemExit as exit:
        # A Ctrl-C the interpreter swallowed, and the command finished all the same.
        if exit.code == EXIT_INTERRUPTED or (not exit.code and interrupts.swallowed()):
            _leave()
        raise
    except Exception as error:
        if caused_by_ctrl_c(error):
            _leave()
        raise


def caused_by_ctrl_c(error: BaseException) -> bool:
    """A Ctrl-C that Python re-raised as another error: on 3.11 a KeyboardInterrupt while a
    class is made (inside `__set_name__`, as an import runs) becomes a RuntimeError."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _leave() -> None:
    """Say so, unless the command has (a Ctrl-C while a command loads becomes a silent exit 130
    in typer), and exit at once: the command has stopped its worker processes and written
    nothing half; the interpreter's exit would wait on SDK threads that an interrupt can leave
    stuck."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: already on the way out
    render = sys.modules.get("cellctl.render")
    if not getattr(render, "interrupt_told", False):
        print("\ninterrupted (Ctrl-C): stopped", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
