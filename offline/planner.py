"""Runs the real Pulumi program of each cell stack in-process under the SDK's mock runtime."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import importlib
import inspect
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from cells import interrupts
from cells.stamping import PROJECT, read_stack_config, stack_file_name
from offline.errors import PlanError
from offline.recorder import RecordedResource, RecordingMonitor
from offline.workers import PlanWorkers


@dataclass
class StackPlan:
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "outputs": self.outputs,
            "resources": [r.to_json() for r in sorted(self.resources, key=lambda r: r.urn)],
        }


def plan_stack(project_dir: Path, stack: str, config: dict[str, str] | None = None) -> StackPlan:
    """Plan one stack: its Pulumi.<stack>.yaml config (or `config`, for what-if plans of a fleet
    file the stack files do not name), the project's __main__.py, mocked engine."""
    if config is None:
        config = read_stack_config(project_dir / "stacks" / stack_file_name(stack))
    program = project_dir / "__main__.py"
    first_run = freeze_program_imports(program)
    plan = record_program(stack, config, _main_program(program))
    if first_run:
        # What the first run left alive is long-lived too: modules the SDKs load lazily on first
        # use, and the fleet and lock this process has read.
        gc.collect()
        gc.freeze()
    return plan


def _main_program(program: Path) -> Callable[[], None]:
    """The program as `runpy.run_path(program, run_name="__main__")` runs it, three frames
    shallower: the SDK records where each resource was made by walking the whole Python stack,
    so every frame under the program is paid again for every resource."""
    code = compile(program.read_bytes(), str(program), "exec")
    return lambda: exec(code, {"__name__": "__main__", "__file__": str(program)})


def freeze_program_imports(program: Path) -> bool:
    """Import what the program imports, once per process, and move it all out of the garbage
    collector's reach: pulumi_aws and pulumi_kubernetes leave ~286k long-lived objects that every
    full collection would otherwise walk again. True the first time for this program."""
    key = str(program.resolve())
    if key in _FROZEN:
        return False
    tree = ast.parse(program.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
        else:
            continue
        for module in modules:
            with contextlib.suppress(ImportError):  # the program's own run reports it
                importlib.import_module(module)
    gc.collect()
    gc.freeze()
    _FROZEN.add(key)
    return True


_FROZEN: set[str] = set()


def record_program(stack: str, config: dict[str, str], program: Callable[[], object]) -> StackPlan:
    """Run any Pulumi program function as stack `stack` of this project, recording everything."""
    settings.reset_options(project=PROJECT, stack=stack, preview=True)
    pulumi.runtime.set_all_config(config)
    monitor = RecordingMonitor(default_region=config.get("aws:region", "us-east-1"))
    configure_mock_engine(monitor, stack)
    try:
        run_program(program)
    except pulumi.RunError as error:
        raise PlanError(f"stack {stack}: {error}") from None
    return StackPlan(stack=stack, resources=monitor.recorded, outputs=monitor.stack_outputs)


def run_program(program: Callable[[], object]) -> None:
    """Run a program function under the configured engine, as the language host runs
    `__main__.py` (run_in_stack makes the root stack), the collector paused.

    The program gets one turn of the event loop after its body: the SDK's end-of-program wait
    awaits the registrations in flight one by one, but a program that never yields has none in
    flight yet (their tasks have not started), and the SDK then waits on every pending Output
    at once, walking all of them (thousands) again each time a few complete: a cost that grew
    with the square of the stack's size, 39% of an 80-tenant stack."""

    async def registrations_started() -> None:
        result = program()
        if inspect.isawaitable(result):
            await result
        await asyncio.sleep(0)

    with young_collections_only():
        _sync_await(run_in_stack(registrations_started))


# Objects allocated between two passes over the youngest generation while a program runs.
YOUNG_OBJECTS = 5000


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    """While a stack's program runs, the collector makes small passes over the newest objects
    only, and one pass over both young generations after it. The SDK leaves a short-lived cycle
    per Output it checks for unknowns; small passes free those while they are still in the CPU's
    caches (one pass over a whole 80-tenant stack at the end cost 1.1 us per object, against
    0.2 at 5 tenants: it grew faster than the stack). What survives a pass is what the runtime
    keeps alive until the program ends; no automatic pass walks it again (with automatic full
    collections on, those took over half of a stack's time), and neither does the final one
    walk the old generation: earlier plans a caller keeps."""
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, 1 << 30, 1 << 30)
    try:
        yield
    finally:
        gc.collect(1)
        gc.set_threshold(*thresholds)


def configure_mock_engine(monitor: RecordingMonitor, stack: str) -> None:
    """What pulumi.runtime.set_mocks does, minus its root stack: run_in_stack makes that one,
    exactly as the Python language host does for `pulumi preview`."""
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    settings.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=mocks.MockEngine(logging.getLogger("offline")),
            project=PROJECT,
            stack=stack,
            dry_run=True,
            organization=None,
            callbacks=None,
        )
    )


def plan_stacks(
    project_dir: Path,
    stacks: list[str],
    jobs: int,
    configs: Mapping[str, dict[str, str]] | None = None,
    workers: PlanWorkers | None = None,
) -> Iterator[dict[str, Any]]:
    """Plan stacks on `jobs` processes, this one included; yields each plan as it completes.
    `configs` replaces the stack files' config per stack (what-if plans). `workers`, started
    earlier by the caller, are used (not stopped) instead of starting `jobs - 1` of them here."""
    configs = dict(configs or {})

    def plan_here(stack: str) -> dict[str, Any]:
        with _ctrl_c_remembered():
            planned = plan_stack(project_dir, stack, configs.get(stack))
        return planned.to_json()

    if workers is not None and len(workers):
        yield from workers.share(project_dir, stacks, configs, plan_here)
    elif jobs <= 1 or len(stacks) <= 1 or workers is not None:
        for stack in stacks:
            yield plan_here(stack)
    else:
        # Each stack needs a fresh Pulumi runtime: worker processes share no runtime state.
        with PlanWorkers(min(jobs, len(stacks)) - 1) as started:
            yield from started.share(project_dir, stacks, configs, plan_here)


@contextmanager
def _ctrl_c_remembered() -> Iterator[None]:
    """A Ctrl-C while a program runs stops the event loop at its next turn and is raised once
    the program has returned. Never raised inside the loop: a KeyboardInterrupt there can end
    a task that the SDK's runtime then waits on for ever (2 hangs in 30 Ctrl-Cs under load)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[bool] = []

    def remember(signum: int, frame: object) -> None:
        pressed.append(True)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no program running yet: the plan ends, then the Ctrl-C is raised
        loop.call_soon_threadsafe(loop.stop)  # wakes a loop that is waiting on its selector

    interrupts.raise_if_swallowed()
    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    except Exception:
        if pressed:
            raise KeyboardInterrupt from None  # "Event loop stopped before Future completed"
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
    interrupts.raise_if_swallowed()


def plan_document(fleet: str, plans: list[dict[str, Any]]) -> str:
    """The plan file: stacks sorted by name and keys sorted, so equal inputs give equal bytes."""
    document = {
        "project": PROJECT,
        "fleet": fleet,
        "stacks": sorted(plans, key=lambda p: p["stack"]),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
