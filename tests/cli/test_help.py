"""The command tree: every group and command answers --help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cellctl.main import app


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "validate"),
        (["validate"], "Fleet file"),
        (["stacks"], "sync"),
        (["stacks", "sync"], "--check"),
        (["plan"], "--cell"),
        (["state"], "restore-points"),
        (["state", "restore-points"], "--bucket"),
        (["state", "move"], "--tenant"),
    ],
)
def test_help(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0
    assert expected in result.stdout
