"""Waivers: a rule silenced for one cell (optionally one tenant), always with a reason.

A waiver matches a resource by its `cell`/`tenant` tags (AWS) or its `flink-cells.io/cell` and
`flink-cells.io/tenant` labels (Kubernetes). The file is validated like the fleet file: every
problem at once, with its YAML path and the fix, and a waiver naming an unknown rule, cell or
tenant is an error rather than a silent no-op.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies.core import Resource, Rule
from policies.identity import labels

WAIVERS_FILE = Path(__file__).with_name("waivers.yaml")
CELL_LABEL = "flink-cells.io/cell"
TENANT_LABEL = "flink-cells.io/tenant"


def scope(resource: Resource) -> tuple[str, str]:
    """(cell, tenant) of a resource, from its tags or its Kubernetes labels."""
    tags, found = resource.tags, labels(resource)
    cell = tags.get("cell") or found.get(CELL_LABEL) or ""
    tenant = tags.get("tenant") or found.get(TENANT_LABEL) or ""
    return str(cell), str(tenant)


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: str
    cell: str
    tenant: str | None = None
    reason: str = Field(min_length=10)

    def covers(self, rule: Rule, resource: Resource) -> bool:
        cell, tenant = scope(resource)
        return (
            self.rule in (rule.id, rule.name)
            and cell == self.cell
            and (self.tenant is None or tenant == self.tenant)
        )


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class WaiverProblem:
    location: str
    code: str
    message: str


class WaiversError(ValueError):
    """A waivers file that cannot be used, with every problem in it."""

    def __init__(self, file: Path, problems: list[WaiverProblem]) -> None:
        self.file = file
        self.problems = problems
        first = problems[0]
        super().__init__(f"{file}:{first.location}: {first.message}")


@dataclass(frozen=True)
class Waivers:
    entries: tuple[Waiver, ...] = ()

    def covers(self, rule: Rule, resource: Resource) -> bool:
        return self.find(rule, resource) is not None

    def find(self, rule: Rule, resource: Resource) -> Waiver | None:
        return next((w for w in self.entries if w.covers(rule, resource)), None)

    @classmethod
    def load(
        cls,
        file: Path = WAIVERS_FILE,
        *,
        rules: Iterable[Rule] = (),
        cells: Iterable[str] | None = None,
        tenants: Iterable[str] | None = None,
    ) -> Waivers:
        """The waivers file, checked against the known rules (and cells and tenants, when
        given); a broken one raises WaiversError naming each field and its fix."""
        if not file.exists():
            return cls()
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise WaiversError(
                file, [WaiverProblem("", "yaml-syntax", f"malformed YAML: {error}")]
            ) from None
        try:
            data = _WaiverFile.model_validate(raw)
        except ValidationError as error:
            raise WaiversError(
                file, [_problem(e) for e in error.errors(include_url=False)]
            ) from None
        problems = list(_unknown(data.waivers, list(rules), cells, tenants))
        if problems:
            raise WaiversError(file, problems)
        return cls(tuple(data.waivers))


def for_pack(rules: Iterable[Rule], file: Path = WAIVERS_FILE) -> Waivers:
    """The waivers a policy pack honours; a broken file stops the pack with one line per
    problem and exit 2, never a traceback in the preview."""
    try:
        return Waivers.load(file, rules=rules)
    except WaiversError as error:
        lines = [f"{error.file}:{p.location}: {p.code}: {p.message}" for p in error.problems]
        sys.stderr.write("\n".join(lines) + "\n")
        raise SystemExit(2) from None


def _problem(error: Any) -> WaiverProblem:
    location = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    if kind == "missing":
        message = "required field is missing: a waiver names rule, cell and reason"
    elif kind == "extra_forbidden":
        message = f"unknown key '{error['loc'][-1]}'; allowed: rule, cell, tenant, reason"
    elif kind == "string_too_short":
        message = "give a reason of at least 10 characters: why, and until when"
    else:
        message = f"{error['msg']}"
    return WaiverProblem(location, kind.replace("_", "-"), message)


def _unknown(
    waivers: list[Waiver],
    rules: list[Rule],
    cells: Iterable[str] | None,
    tenants: Iterable[str] | None,
) -> Iterable[WaiverProblem]:
    known_rules = {r.id for r in rules} | {r.name for r in rules}
    known_cells = set(cells) if cells is not None else None
    known_tenants = set(tenants) if tenants is not None else None
    for index, waiver in enumerate(waivers):
        at = f"waivers.{index}"
        if known_rules and waiver.rule not in known_rules:
            yield WaiverProblem(
                f"{at}.rule",
                "unknown-rule",
                f"no rule '{waiver.rule}'; name one by id or name (README § Policy packs)",
            )
        if known_cells is not None and waiver.cell not in known_cells:
            yield WaiverProblem(
                f"{at}.cell",
                "unknown-cell",
                f"no cell '{waiver.cell}' in the fleet; cells: {', '.join(sorted(known_cells))}",
            )
        if known_tenants is not None and waiver.tenant and waiver.tenant not in known_tenants:
            yield WaiverProblem(
                f"{at}.tenant",
                "unknown-tenant",
                f"no tenant '{waiver.tenant}' in the fleet; drop the field or name a tenant",
            )
