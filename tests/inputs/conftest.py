from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from cellctl.main import app


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links as their target) with a digest of its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_file():
            found[key] = hashlib.sha256(open(path, "rb").read()).hexdigest()  # noqa: SIM115
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def problem_line(output: str, field: str, code: str) -> str:
    """The report row naming `field` with `code`; fails if there is none."""
    for line in output.splitlines():
        if code in line.split() and (field in line.split() or field == ""):
            return line
    raise AssertionError(f"no row for {field} / {code} in:\n{output}")
