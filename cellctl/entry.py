"""The `cellctl` executable: a Ctrl-C at any moment, even while the SDKs are still importing,
ends it with one line and exit 130, never a traceback."""

from __future__ import annotations

import os
import sys

EXIT_INTERRUPTED = 130


def run() -> None:
    try:
        from cellctl.main import app

        app()
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C): stopped", file=sys.stderr)
        _leave()
    except SystemExit as exit:
        if exit.code == EXIT_INTERRUPTED:
            _leave()
        raise


def _leave() -> None:
    """Exit at once: the command has stopped its worker processes and written nothing half;
    the interpreter's exit would wait on SDK threads that an interrupt can leave stuck."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
