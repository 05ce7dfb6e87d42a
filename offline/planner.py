"""Runs the real Pulumi program of each cell stack in-process under the SDK's mock runtime."""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import json
import logging
import runpy
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from cells.stamping import PROJECT, read_stack_config, stack_file_name
from offline.errors import PlanError
from offline.recorder import RecordedResource, RecordingMonitor


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


def plan_stack(project_dir: Path, stack: str) -> StackPlan:
    """Plan one stack: its Pulumi.<stack>.yaml config, the project's __main__.py, mocked engine."""
    config = read_stack_config(project_dir / "stacks" / stack_file_name(stack))
    program = project_dir / "__main__.py"
    first_run = freeze_program_imports(program)
    plan = record_program(stack, config, lambda: runpy.run_path(str(program), run_name="__main__"))
    if first_run:
        # What the first run left alive is long-lived too: modules the SDKs load lazily on first
        # use, and the fleet and lock this process has read.
        gc.collect()
        gc.freeze()
    return plan


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
    _configure_mock_engine(monitor, stack)
    try:
        with collector_paused():
            _sync_await(run_in_stack(program))
    except pulumi.RunError as error:
        raise PlanError(f"stack {stack}: {error}") from None
    return StackPlan(stack=stack, resources=monitor.recorded, outputs=monitor.stack_outputs)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic collection while a stack's program runs, one pass over the young
    generations after it. The runtime keeps every Output, task and resource of the stack alive
    until the program ends, and each automatic full collection walked them all again: with it
    on, the collector took over half of a stack's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # The two young generations hold all this stack left behind, and what the previous stack
        # left once the runtime let go of it; the old generation (earlier plans a caller keeps)
        # is not walked again per stack.
        gc.collect(1)
        if enabled:
            gc.enable()


def _configure_mock_engine(monitor: RecordingMonitor, stack: str) -> None:
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


def _plan_in_worker(project_dir: str, stack: str) -> dict[str, Any] | str:
    try:
        return plan_stack(Path(project_dir), stack).to_json()
    except PlanError as error:
        return str(error)


def plan_stacks(project_dir: Path, stacks: list[str], jobs: int) -> Iterator[dict[str, Any]]:
    """Plan stacks on `jobs` processes, this one included; yields each plan as it completes."""
    if jobs <= 1:
        for stack in stacks:
            yield plan_stack(project_dir, stack).to_json()
        return
    # Each stack needs a fresh Pulumi runtime: spawned workers share no runtime state. This process
    # plans too, taking stacks from the back of the queue that the workers take from the front.
    with ProcessPoolExecutor(max_workers=jobs - 1, mp_context=get_context("spawn")) as pool:
        queued = [(pool.submit(_plan_in_worker, str(project_dir), s), s) for s in stacks]
        delivered: set[Future[dict[str, Any] | str]] = set()
        for future, stack in reversed(queued):
            if future.cancel():
                yield plan_stack(project_dir, stack).to_json()
            for done in [f for f, _ in queued if f.done() and not f.cancelled()]:
                if done not in delivered:
                    delivered.add(done)
                    yield _worker_result(done)
        remaining = [f for f, _ in queued if not f.cancelled() and f not in delivered]
        for future in as_completed(remaining):
            yield _worker_result(future)


def _worker_result(future: Future[dict[str, Any] | str]) -> dict[str, Any]:
    result = future.result()
    if isinstance(result, str):
        raise PlanError(result)
    return result


def plan_document(fleet: str, plans: list[dict[str, Any]]) -> str:
    """The plan file: stacks sorted by name and keys sorted, so equal inputs give equal bytes."""
    document = {
        "project": PROJECT,
        "fleet": fleet,
        "stacks": sorted(plans, key=lambda p: p["stack"]),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
