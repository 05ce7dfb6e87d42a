"""cellctl: the operator's command line for flink-cells."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class Command:
    """A command or command group, loaded only when it runs or shows its own help: listing it in
    `cellctl --help` needs its name and summary, not the libraries it uses (pulumi, boto3,
    numpy), so each command imports only what it uses."""

    name: str
    module: str
    attribute: str  # a command function, or a typer app for a group
    summary: str


COMMANDS = (
    Command(
        "validate",
        "cellctl.commands.validate",
        "validate",
        "Check a fleet file; every problem is listed with its line, YAML path and fix.",
    ),
    Command(
        "shard",
        "cellctl.commands.shard",
        "shard",
        "Place new tenants and jobs, keeping every existing assignment; update the lock file.",
    ),
    Command(
        "plan",
        "cellctl.commands.plan",
        "plan",
        "Run each cell's Pulumi program under the SDK's mock runtime, record every resource, "
        "and check the durability and security policy packs against it.",
    ),
    Command(
        "diff",
        "cellctl.commands.diff",
        "diff",
        "Plan the base revision and the working tree offline, compare every cell stack by URN, "
        "and list each danger (state that would be lost).",
    ),
    Command("stacks", "cellctl.commands.stacks", "app", "Stack files: stacks/Pulumi.<cell>.yaml."),
    Command("state", "cellctl.commands.state", "app", "Job state: restore points and job moves."),
    Command(
        "rollout",
        "cellctl.commands.rollout",
        "app",
        "Roll changes out wave by wave: preview, `pulumi up`, bake, health gates.",
    ),
    Command(
        "dr", "cellctl.commands.dr", "app", "Disaster recovery: recovery plans, readiness, drills."
    ),
)


def load(command: Command) -> Any:
    """The click command that `command` stands for, its module imported now."""
    target = getattr(importlib.import_module(command.module), command.attribute)
    if isinstance(target, typer.Typer):
        loaded = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(command.name)(target)
        loaded = typer.main.get_command(single)
    loaded.name = command.name
    return loaded


class _Commands(TyperGroup):
    """The top-level group: commands are summaries until one is run."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._listing = False
        self._loaded: dict[str, Any] = {}
        for command in COMMANDS:
            self.commands[command.name] = TyperGroup(name=command.name, help=command.summary)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = next((c for c in COMMANDS if c.name == cmd_name), None)
        if command is None or self._listing:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load(command)
        return self._loaded[cmd_name]


app = typer.Typer(
    name="cellctl",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks would print locals, and fleet files hold account and network ids.
    pretty_exceptions_show_locals=False,
    help="Validate the fleet, place tenants, stamp one stack per cell, plan cells offline.",
)


@app.callback()
def _root() -> None:
    """Validate the fleet, place tenants, stamp one stack per cell, plan cells offline."""


def run() -> None:
    app()
