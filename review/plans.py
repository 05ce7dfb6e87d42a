"""The two revisions a review compares, each planned with its own code, fleet, lock and stacks.

The base revision is a `git archive` of REF in a temporary directory. When its code equals the
working tree's, its stacks are planned in this process (the same modules would be imported), and a
stack whose cell spec and stack file are also unchanged is planned once and used for both sides.
When the code differs, the base is planned by a separate Python process with the base tree first on
`sys.path`: two versions of the same packages cannot share one interpreter."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import offline
from cells.loader import load_fleet
from cells.placement import load_placement
from cells.problems import FleetError, Problem
from cells.stamping import DEFAULT_FLEET_FILE, cell_spec, stack_file_name
from offline import PlanError, plan_stacks
from policies.offline import Finding, evaluate, load_config
from policies.waivers import Waivers

CODE = ("__main__.py", "Pulumi.yaml", "pyproject.toml")
CODE_DIRS = ("cells", "components", "offline", "policies")
DATA_FILES = {"fleet.yaml", "fleet.lock.yaml"}

# Runs in the base tree's own interpreter: only what every revision with an offline planner has.
BASE_SCRIPT = r"""
import json, sys
from pathlib import Path
root, out, jobs, stacks = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, str(root))
import offline
from offline import PlanError, plan_stacks
try:
    plans = list(plan_stacks(root, stacks, jobs))
except PlanError as error:
    sys.stderr.write(str(error) + "\n")
    sys.exit(2)
findings = []
try:
    from policies.offline import evaluate, load_config
    from policies.waivers import Waivers
except ImportError:
    pass
else:
    config, waivers = load_config(None), Waivers.load()
    for plan in plans:
        for f in evaluate(plan, config, waivers):
            findings.append({
                "stack": f.stack, "pack": f.pack, "rule": f.rule.name,
                "ruleId": getattr(f.rule, "id", ""), "level": f.level,
                "urn": f.resource.urn if f.resource is not None else None,
                "message": f.message, "waived": f.waiver is not None,
            })
out.write_text(json.dumps({"plans": plans, "findings": findings}))
"""


class ReviewError(Exception):
    """A revision that cannot be read or planned; exits 2 like other bad input."""


@dataclass
class Revision:
    """One side of the review: its tree, fleet data, plans by stack and policy findings."""

    label: str
    root: Path
    fleet: dict[str, Any]
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stacks(self) -> list[str]:
        return [str(c["id"]) for c in self.fleet.get("cells") or [] if isinstance(c, dict)]


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise ReviewError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def resolve_base(root: Path, ref: str | None) -> str:
    """REF as a commit; by default the merge base with origin/main, else HEAD."""
    if ref is not None:
        return git(root, "rev-parse", "--verify", f"{ref}^{{commit}}")
    with contextlib.suppress(ReviewError):
        return git(root, "merge-base", "HEAD", "origin/main")
    return git(root, "rev-parse", "--verify", "HEAD^{commit}")


@contextlib.contextmanager
def materialise(root: Path, commit: str) -> Iterator[Path]:
    """The tree of `commit` in a temporary directory, removed afterwards."""
    archive = subprocess.run(["git", "-C", str(root), "archive", commit], capture_output=True)
    if archive.returncode != 0:
        raise ReviewError(f"git archive {commit}: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="cellctl-diff-base-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)


def code_digest(root: Path) -> str:
    """Everything but the fleet data that decides what a stack's program builds."""
    digest = hashlib.blake2b(digest_size=16)
    files = [root / name for name in CODE if (root / name).is_file()]
    for folder in CODE_DIRS:
        files += [
            p
            for p in (root / folder).rglob("*")
            if p.is_file() and p.name not in DATA_FILES and "__pycache__" not in p.parts
        ]
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_fleet_data(root: Path, label: str) -> dict[str, Any]:
    path = root / DEFAULT_FLEET_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ReviewError(f"{label}: cannot read {DEFAULT_FLEET_FILE}: {error}") from None
    if not isinstance(data, dict):
        raise ReviewError(f"{label}: {DEFAULT_FLEET_FILE} is not a mapping")
    return data


def stack_digests(root: Path, stacks: list[str]) -> dict[str, str]:
    """Per stack: its cell spec (built by this process's code) and its stack file."""
    fleet_file = root / DEFAULT_FLEET_FILE
    fleet = load_fleet(fleet_file)
    placement = load_placement(fleet, fleet_file)
    digests = {}
    for stack in stacks:
        spec = dataclasses.asdict(cell_spec(fleet, placement, stack, fleet_file))
        stack_file = root / "stacks" / stack_file_name(stack)
        text = stack_file.read_bytes() if stack_file.is_file() else b""
        blob = json.dumps(spec, sort_keys=True, default=str).encode() + b"\0" + text
        digests[stack] = hashlib.blake2b(blob, digest_size=16).hexdigest()
    return digests


@functools.cache
def running_code() -> str:
    """The digest of the code this process imported: a tree with the same digest can be planned
    here; any other needs its own interpreter."""
    return code_digest(Path(offline.__file__).resolve().parent.parent)


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "stack": finding.stack,
        "pack": finding.pack,
        "rule": finding.rule.name,
        "ruleId": finding.rule.id,
        "level": finding.level,
        "urn": finding.resource.urn if finding.resource is not None else None,
        "message": finding.message,
        "waived": finding.waiver is not None,
    }


def _findings(plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    config, waivers = load_config(None), Waivers.load()
    return [finding_json(f) for p in plans for f in evaluate(p, config, waivers)]


@dataclass
class PlannedPair:
    base: Revision
    head: Revision
    # Stacks whose code, cell spec and stack file are the same in both revisions: their plans
    # would be identical, so neither side is planned.
    identical: list[str]
    same_code: bool


def plan_pair(
    head_root: Path, base_root: Path, base_label: str, wanted: list[str] | None, jobs: int
) -> PlannedPair:
    head = Revision("working tree", head_root, read_fleet_data(head_root, "working tree"))
    base = Revision(base_label, base_root, read_fleet_data(base_root, base_label))
    problems = unknown_cells(wanted or [], head, base)
    if problems:
        raise FleetError(head_root / DEFAULT_FLEET_FILE, problems)
    head_stacks = _selected(head.stacks, wanted)
    base_stacks = _selected(base.stacks, wanted)
    same_code = code_digest(head_root) == code_digest(base_root)
    identical: list[str] = []
    if same_code and code_digest(head_root) == running_code():
        common = [s for s in head_stacks if s in base_stacks]
        try:
            base_digests = stack_digests(base_root, common)
        except FleetError as error:
            raise ReviewError(f"{base_label}: {error}") from None
        head_digests = stack_digests(head_root, common)
        identical = [s for s in common if base_digests[s] == head_digests[s]]
    head_plans, head.findings = plan_revision(
        head_root, head.label, [s for s in head_stacks if s not in identical], jobs
    )
    head.plans = {p["stack"]: p for p in head_plans}
    base_plans, base.findings = plan_revision(
        base_root, base_label, [s for s in base_stacks if s not in identical], jobs
    )
    base.plans = {p["stack"]: p for p in base_plans}
    return PlannedPair(base, head, identical, same_code)


def plan_revision(
    root: Path, label: str, stacks: list[str], jobs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plans and policy findings of `stacks` in the tree at `root`, with that tree's own code."""
    if not stacks:
        return [], []
    jobs = max(1, min(jobs, len(stacks)))  # a worker process for one stack only costs start-up
    if code_digest(root) != running_code():
        return _plan_elsewhere(root, label, stacks, jobs)
    try:
        plans = list(plan_stacks(root, stacks, jobs))
    except PlanError as error:
        raise ReviewError(f"{label}: {error}") from None
    return plans, _findings(plans)


def _selected(stacks: list[str], wanted: list[str] | None) -> list[str]:
    return [s for s in stacks if not wanted or s in wanted]


def _plan_elsewhere(
    root: Path, label: str, stacks: list[str], jobs: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="cellctl-diff-plan-") as folder:
        out = Path(folder) / "base.json"
        result = subprocess.run(
            [sys.executable, "-I", "-c", BASE_SCRIPT, str(root), str(out), str(jobs), *stacks],
            cwd=root,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not out.exists():
            tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise ReviewError(f"{label}: planning the base revision failed: {tail}")
        data = json.loads(out.read_text(encoding="utf-8"))
    return data["plans"], data["findings"]


def unknown_cells(wanted: list[str], *revisions: Revision) -> list[Problem]:
    known = {s for r in revisions for s in r.stacks}
    return [
        Problem("cells", "unknown-cell", f"--cell {c}: no such cell in either revision")
        for c in wanted
        if c not in known
    ]
