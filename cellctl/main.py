"""cellctl: the operator's command line for flink-cells."""

from __future__ import annotations

import typer

from cellctl.commands import rollout, stacks
from cellctl.commands import state as state_commands
from cellctl.commands.diff import diff
from cellctl.commands.plan import plan
from cellctl.commands.shard import shard
from cellctl.commands.validate import validate

app = typer.Typer(
    name="cellctl",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks would print locals, and fleet files hold account and network ids.
    pretty_exceptions_show_locals=False,
    help="Validate the fleet, place tenants, stamp one stack per cell, plan cells offline.",
)
app.command("validate")(validate)
app.command("shard")(shard)
app.command("plan")(plan)
app.command("diff")(diff)
app.add_typer(stacks.app, name="stacks")
app.add_typer(state_commands.app, name="state")
app.add_typer(rollout.app, name="rollout")


def run() -> None:
    app()
