"""The `cellctl` executable: a Ctrl-C at any moment, even while the SDKs are still importing,
ends it with one line and exit 130, never a traceback."""

from __future__ import annotations

import os
import signal
import sys

EXIT_INTERRUPTED = 130


def run() -> None:
    try:
        from cellctl.main import app

        app()
    except KeyboardInterrupt:
        _leave()
    except SystemExit as exit:
        if exit.code == EXIT_INTERRUPTED:
            _leave()
        raise


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
