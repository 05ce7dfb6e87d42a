"""cellctl: the operator's command line for flink-cells."""

from __future__ import annotations

import typer

from cellctl.commands import stacks
from cellctl.commands.plan import plan
from cellctl.commands.validate import validate

app = typer.Typer(
    name="cellctl",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks would print locals, and fleet files hold account and network ids.
    pretty_exceptions_show_locals=False,
    help="Validate the fleet, stamp one stack per cell, and plan cells offline.",
)
app.command("validate")(validate)
app.command("plan")(plan)
app.add_typer(stacks.app, name="stacks")


def run() -> None:
    app()
