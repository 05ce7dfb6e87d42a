"""The executor for real rollouts: `pulumi preview` and `pulumi up` of a cell's stack through
the Pulumi Automation API, on a local workspace of this project directory, with the packs."""

from __future__ import annotations

import shutil
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from pulumi import automation as auto

from rollout.errors import CellFailed, RolloutError
from rollout.executor import OnEvent

POLICY_PACKS = ("policies/durability", "policies/security")
INSTALL_HINT = "install it (https://www.pulumi.com/docs/iac/download-install/) and run `make setup`"

# Ctrl-C reaches every process of the terminal's foreground group. The CLI would cancel its
# update half-way; a rollout lets the cells in flight finish instead, so each `pulumi` runs in
# a session of its own, through this launcher.
_LAUNCHER = """#!{python}
import os, sys
os.setsid()
os.execv({real!r}, [{real!r}, *sys.argv[1:]])
"""


def _detached_command(real: str, folder: Path) -> auto.PulumiCommand:
    launcher = folder / "bin" / "pulumi"
    launcher.parent.mkdir(parents=True, exist_ok=True)
    launcher.write_text(_LAUNCHER.format(python=sys.executable, real=real), encoding="utf-8")
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
    return auto.PulumiCommand(root=str(folder))


def _reason(error: auto.CommandError, diagnostics: Sequence[str] = ()) -> str:
    """The engine's own error diagnostics, else the CLI's last error line."""
    if diagnostics:
        return " | ".join(d.strip() for d in diagnostics if d.strip())
    text = str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    return (errors or lines or ["the Pulumi CLI failed"])[-1]


@dataclass
class AutomationExecutor:
    root: Path
    message: str = "cellctl rollout"
    policy_config: Path | None = None
    _command: auto.PulumiCommand | None = field(default=None, repr=False)
    _launcher_dir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def command(self) -> auto.PulumiCommand:
        if self._command is None:
            real = shutil.which("pulumi")
            if real is None:
                raise RolloutError(
                    f"the Pulumi CLI is not installed (no `pulumi` on PATH): {INSTALL_HINT}"
                )
            self._launcher_dir = tempfile.TemporaryDirectory(prefix="cellctl-pulumi-")
            try:
                self._command = _detached_command(real, Path(self._launcher_dir.name))
            except auto.InvalidVersionError as error:
                raise RolloutError(f"unusable Pulumi CLI at {real}: {error}") from None
            except (OSError, auto.CommandError) as error:
                raise RolloutError(f"cannot run the Pulumi CLI at {real}: {error}") from None
        return self._command

    def close(self) -> None:
        if self._launcher_dir is not None:
            self._launcher_dir.cleanup()
            self._launcher_dir = None
            self._command = None

    def workspace(self) -> auto.LocalWorkspace:
        return auto.LocalWorkspace(work_dir=str(self.root), pulumi_command=self.command())

    def policy_packs(self) -> list[str]:
        return [str(self.root / pack) for pack in POLICY_PACKS]

    def policy_pack_configs(self) -> list[str] | None:
        if self.policy_config is None:
            return None
        return [str(self.policy_config.resolve())] * len(POLICY_PACKS)

    def preflight(self, cells: Sequence[str]) -> None:
        workspace = self.workspace()
        try:
            workspace.who_am_i()
        except auto.CommandError as error:
            raise RolloutError(
                "not logged in to a Pulumi backend: run `pulumi login` (Pulumi Cloud, or "
                "`pulumi login s3://<state-bucket>`, or `pulumi login --local`) "
                f"({_reason(error)})"
            ) from None
        if boto3.Session().get_credentials() is None:
            raise RolloutError(
                "no AWS credentials: set AWS_PROFILE (after `aws sso login`) or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then retry"
            )
        try:
            existing = {s.name.rsplit("/", 1)[-1] for s in workspace.list_stacks()}
        except auto.CommandError as error:
            raise RolloutError(f"cannot list the Pulumi stacks: {_reason(error)}") from None
        missing = [c for c in cells if c not in existing]
        if missing:
            raise RolloutError(
                f"stack{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"do{'es' if len(missing) == 1 else ''} not exist yet: create each with "
                "`pulumi stack init <cell>` (its config is stacks/Pulumi.<cell>.yaml, written "
                "by `cellctl stacks sync`), review its first `pulumi preview`, then roll out"
            )

    def _stack(self, cell: str) -> auto.Stack:
        try:
            return auto.Stack.select(cell, self.workspace())
        except auto.StackNotFoundError:
            raise CellFailed(f"stack {cell} does not exist: `pulumi stack init {cell}`") from None
        except auto.CommandError as error:
            raise CellFailed(f"cannot select stack {cell}: {_reason(error)}") from None

    def _operation(self, cell: str, on_event: OnEvent, *, update: bool) -> None:
        stack = self._stack(cell)
        diagnostics: list[str] = []

        def collect(event: auto.EngineEvent) -> None:
            diagnostic = event.diagnostic_event
            if diagnostic is not None and diagnostic.severity == "error":
                diagnostics.append(diagnostic.message)
            on_event(event)

        options = {
            "on_event": collect,
            "policy_packs": self.policy_packs(),
            "policy_pack_configs": self.policy_pack_configs(),
            "color": "never",
            "message": self.message,
        }
        try:
            if update:
                stack.up(**options)
            else:
                stack.preview(**options)
        except auto.CommandError as error:
            raise CellFailed(_reason(error, diagnostics)) from None

    def preview(self, cell: str, on_event: OnEvent) -> None:
        self._operation(cell, on_event, update=False)

    def up(self, cell: str, on_event: OnEvent) -> None:
        self._operation(cell, on_event, update=True)
