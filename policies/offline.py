"""Running the packs over a recorded offline plan, as `pulumi preview --policy-pack` would."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from policies.core import Resource, Rule, Stack
from policies.durability import PACK as DURABILITY
from policies.packs import DISABLED, MANDATORY, Pack
from policies.security import PACK as SECURITY
from policies.waivers import Waiver, Waivers

PACKS: tuple[Pack, ...] = (DURABILITY, SECURITY)


@dataclass(frozen=True)
class Finding:
    stack: str
    pack: str
    version: str
    rule: Rule
    level: str
    resource: Resource | None
    message: str
    waiver: Waiver | None = None


class PolicyConfigError(ValueError):
    """A --policy-config file that does not fit the packs."""


def load_config(file: Path | None, packs: Sequence[Pack] = PACKS) -> dict[str, dict[str, Any]]:
    """Per rule: enforcement level and settings, from the CLI's --policy-pack-config JSON
    ({"all": level, "<rule>": level | {"enforcementLevel": level, <setting>: value}}), with
    each rule's schema defaults applied."""
    raw: Mapping[str, Any] = {}
    if file is not None:
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise PolicyConfigError(f"{file}: {error}") from None
        if not isinstance(raw, dict):
            raise PolicyConfigError(f"{file}: expected a JSON object keyed by rule name")
    rules = {rule.name: (pack, rule) for pack in packs for rule in pack.rules}
    unknown = sorted(set(raw) - set(rules) - {"all"})
    if unknown:
        raise PolicyConfigError(
            f"{file}: unknown rule(s) {', '.join(unknown)}; rules: {', '.join(sorted(rules))}"
        )
    levels = {"advisory", "mandatory", "disabled", "remediate"}
    if "all" in raw and raw["all"] not in levels:
        raise PolicyConfigError(f"{file}: all: expected one of {', '.join(sorted(levels))}")
    resolved: dict[str, dict[str, Any]] = {}
    for name, (pack, rule) in rules.items():
        given = raw.get(name, {})
        if isinstance(given, str):
            given = {"enforcementLevel": given}
        settings = {k: v for k, v in given.items() if k != "enforcementLevel"}
        level = given.get("enforcementLevel", raw.get("all", pack.level(rule)))
        if level not in levels:
            raise PolicyConfigError(
                f"{file}: {name}.enforcementLevel: expected one of {', '.join(sorted(levels))}"
            )
        schema = {"type": "object", "properties": dict(rule.config), "additionalProperties": False}
        try:
            jsonschema.validate(settings, schema)
        except jsonschema.ValidationError as error:
            where = ".".join(str(p) for p in error.absolute_path)
            raise PolicyConfigError(f"{file}: {name}.{where or ''}: {error.message}") from None
        resolved[name] = {"enforcementLevel": level, **rule.defaults(), **settings}
    return resolved


def stack_view(plan: Mapping[str, Any]) -> Stack:
    return Stack(
        tuple(
            Resource(
                type=r["type"],
                name=r["name"],
                urn=r["urn"],
                props=r["inputs"],
                protect=r["protect"],
                region=r.get("region"),
                parent=r["parent"],
                dependencies=tuple(r["dependencies"]),
                property_dependencies={
                    k: tuple(v) for k, v in r.get("propertyDependencies", {}).items()
                },
            )
            for r in plan["resources"]
        )
    )


def evaluate(
    plan: Mapping[str, Any],
    config: Mapping[str, Mapping[str, Any]],
    waivers: Waivers,
    packs: Sequence[Pack] = PACKS,
) -> list[Finding]:
    """Every finding of every pack over one stack's plan: resource rules per resource, stack
    rules once over the stack."""
    stack = stack_view(plan)
    findings: list[Finding] = []
    for pack in packs:
        for rule in pack.rules:
            settings = config[rule.name]
            level = settings["enforcementLevel"]
            if level == DISABLED:
                continue

            def report(
                message: str,
                subject: Resource | None,
                rule: Rule = rule,
                pack: Pack = pack,
                level: str = level,
            ) -> None:
                waiver = waivers.find(rule, subject) if subject is not None else None
                findings.append(
                    Finding(
                        plan["stack"],
                        pack.name,
                        pack.version,
                        rule,
                        level,
                        subject,
                        message,
                        waiver,
                    )
                )

            if rule.kind == "stack":
                rule.run(stack, settings, report)
                continue
            for resource in stack.resources:
                if rule.applies_to(resource):
                    rule.run(resource, settings, report)
    return findings


def blocking(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.level in (MANDATORY, "remediate") and f.waiver is None]
