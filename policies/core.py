"""Rules, the resource-graph views they read, and their adapters to pulumi-policy.

A rule is written once against `Resource` and `Stack`. `pulumi preview --policy-pack` reaches it
through pulumi-policy's arguments; `cellctl plan` through the recorded offline plan. A value a
rule needs that is unknown (a preview of resources not yet created) is a finding, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

UNKNOWN_VALUES = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
        "[unknown]",
    }
)
UNKNOWN = "[unknown]"


class Unresolved(Exception):
    """A property a rule needs is unknown until the resource exists."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWN_VALUES


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    region: str | None = None
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path; Unresolved if it (or a step on the way) is unknown."""
        node: Any = self.props
        for part in path.split("."):
            if is_unknown(node):
                raise Unresolved(path)
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    return default
                node = node[int(part)]
            elif isinstance(node, Mapping):
                if part not in node:
                    return default
                node = node[part]
            else:
                return default
        if is_unknown(node):
            raise Unresolved(path)
        return node

    @property
    def tags(self) -> Mapping[str, Any]:
        tags = self.props.get("tags")
        return tags if isinstance(tags, Mapping) else {}

    def describe(self) -> str:
        return f"{self.type}: {self.name}"


@dataclass(frozen=True)
class Stack:
    resources: tuple[Resource, ...]
    _by_urn: dict[str, Resource] = field(default_factory=dict, compare=False)
    # What rules derive from the whole stack, derived once and shared by every rule.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_urn.update({r.urn: r for r in self.resources})

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def dependents(self, resource: Resource, type_: str) -> list[Resource]:
        """Resources of `type_` that depend on `resource`: how S3 settings join their bucket."""
        return [r for r in self.of_type(type_) if resource.urn in r.dependencies]

    def dependencies(
        self, resource: Resource, type_: str, prop: str | None = None
    ) -> list[Resource]:
        """Resources of `type_` this one depends on (through `prop` only, when given)."""
        urns = (
            resource.dependencies if prop is None else resource.property_dependencies.get(prop, ())
        )
        return [d for urn in urns if (d := self.by_urn(urn)) and d.type == type_]


Report = Callable[[str, Resource | None], None]
Kind = Literal["resource", "stack"]


@dataclass(frozen=True)
class Rule:
    """One policy. Levels are the pack's to decide; `config` is a JSON-schema properties map
    whose `default`s apply when the user configures nothing."""

    id: str
    name: str
    description: str
    severity: str
    remediation: str
    kind: Kind
    check: Callable[..., None]
    types: frozenset[str] = frozenset()
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    def applies_to(self, resource: Resource) -> bool:
        return not self.types or resource.type in self.types

    def run(self, subject: Resource | Stack, config: Mapping[str, Any], report: Report) -> None:
        """Check a resource (resource rules) or the whole stack (stack rules)."""
        try:
            self.check(subject, config, report)
        except Unresolved as unknown:
            report(
                f"{unknown.path} is unknown until the resource exists, so this rule cannot "
                "verify it: set it from a literal or a value known at preview",
                subject if isinstance(subject, Resource) else None,
            )


def resource_rule(
    id: str,
    name: str,
    description: str,
    severity: str,
    remediation: str,
    types: set[str] | frozenset[str],
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., None]], Rule]:
    def wrap(check: Callable[..., None]) -> Rule:
        return Rule(
            id,
            name,
            description,
            severity,
            remediation,
            "resource",
            check,
            frozenset(types),
            config or {},
        )

    return wrap


def stack_rule(
    id: str,
    name: str,
    description: str,
    severity: str,
    remediation: str,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> Callable[[Callable[..., None]], Rule]:
    def wrap(check: Callable[..., None]) -> Rule:
        return Rule(
            id, name, description, severity, remediation, "stack", check, frozenset(), config or {}
        )

    return wrap


def statements(document: Any) -> Iterator[dict[str, Any]]:
    """The statements of an IAM policy document given as JSON text or a dict."""
    if is_unknown(document):
        raise Unresolved("policy")
    if isinstance(document, str):
        document = json.loads(document)
    found = document.get("Statement", []) if isinstance(document, dict) else []
    yield from (found if isinstance(found, list) else [found])


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
