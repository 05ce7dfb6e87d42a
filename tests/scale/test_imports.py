"""Commands import only what they use: help and validation never load the Pulumi SDK or numpy."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import EXAMPLE_FLEET, ROOT

HEAVY = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "numpy", "jsonschema", "policies", "boto3")


def _modules_after(*argv: str) -> set[str]:
    probe = (
        "import json, sys\n"
        "from cellctl.main import app\n"
        f"sys.argv = ['cellctl', *{list(argv)!r}]\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_no_library_of_a_command() -> None:
    loaded = _modules_after("--help")
    assert not loaded & {*HEAVY, "pydantic", "yaml", "cells.model"}


def test_validate_loads_the_fleet_model_only() -> None:
    loaded = _modules_after("validate", str(EXAMPLE_FLEET))
    assert "cells.model" in loaded
    assert not loaded & set(HEAVY)


def test_listed_summaries_are_the_commands_own() -> None:
    import importlib

    from cellctl.main import COMMANDS, load

    for command in COMMANDS:
        loaded = load(command)
        assert loaded.name == command.name
        own = " ".join((loaded.help or "").split())
        assert own.startswith(" ".join(command.summary.split())), command.name
        importlib.import_module(command.module)


def test_expected_failures_name_real_exceptions() -> None:
    import importlib

    from cellctl.errors import EXPECTED_FAILURES

    for module, name in EXPECTED_FAILURES:
        assert issubclass(getattr(importlib.import_module(module), name), Exception)


def test_every_command_module_is_listed() -> None:
    from cellctl.main import COMMANDS

    modules = {p.stem for p in (ROOT / "cellctl" / "commands").glob("*.py")} - {"__init__"}
    assert modules == {c.module.rsplit(".", 1)[1] for c in COMMANDS}
