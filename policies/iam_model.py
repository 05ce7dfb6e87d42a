"""IAM documents read the way AWS reads them, whatever the spelling.

Actions match case-insensitively with `*` and `?` wildcards; `NotAction` grants everything it
does not name and `NotResource` every resource it does not name; a scalar and a list are the same;
condition values compare as sets. Rules ask questions of a `Statement`, never of raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from policies.core import as_list, statements


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = False) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one; no character classes."""
    escaped = pattern.replace("[", "[[]")
    if case_sensitive:
        return fnmatchcase(value, escaped)
    return fnmatchcase(value.lower(), escaped.lower())


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    principal: Any
    not_principal: Any
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]]
    sid: str

    @property
    def allows(self) -> bool:
        return self.effect.lower() == "allow"

    def grants(self, action: str) -> bool:
        """Whether the statement covers `action` (a concrete action or a pattern such as
        `s3:*Object`): for a pattern, whether some action it matches could be covered."""
        if self.not_actions is not None:
            return not any(wildcard_match(n, action) for n in self.not_actions)
        return any(wildcard_match(a, action) or wildcard_match(action, a) for a in self.actions)

    def granted(self, dangerous: Iterable[str]) -> list[str]:
        """The dangerous actions (patterns allowed) this statement covers."""
        return [d for d in dangerous if self.grants(d)]

    @property
    def every_action(self) -> bool:
        return self.not_actions is not None or "*" in self.actions

    def reaches(self, resource: str) -> bool:
        if self.not_resources is not None:
            return not any(
                wildcard_match(n, resource, case_sensitive=True) for n in self.not_resources
            )
        return any(wildcard_match(r, resource, case_sensitive=True) for r in self.resources)

    @property
    def any_resource(self) -> bool:
        """Resource `*` or NotResource: the statement is not confined to named resources."""
        return self.not_resources is not None or "*" in self.resources

    def condition(self, operator: str, key: str) -> tuple[str, ...] | None:
        """Values of one condition key under an operator; keys compare case-insensitively."""
        for op, block in self.conditions.items():
            if op.lower() == operator.lower():
                for name, values in block.items():
                    if name.lower() == key.lower():
                        return values
        return None

    def conditions_ending(self, operator: str, suffix: str) -> list[tuple[str, ...]]:
        return [
            values
            for op, block in self.conditions.items()
            if op.lower() == operator.lower()
            for name, values in block.items()
            if name.lower().endswith(suffix.lower())
        ]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in as_list(value))


def normalise(raw: Mapping[str, Any]) -> Statement:
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in (raw.get("Condition") or {}).items():
        if isinstance(block, Mapping):
            conditions[str(operator)] = {str(k): _strings(v) for k, v in block.items()}
    return Statement(
        effect=str(raw.get("Effect", "")),
        actions=tuple(a.lower() for a in _strings(raw.get("Action"))),
        not_actions=tuple(a.lower() for a in _strings(raw["NotAction"]))
        if "NotAction" in raw
        else None,
        resources=_strings(raw.get("Resource")),
        not_resources=_strings(raw["NotResource"]) if "NotResource" in raw else None,
        principal=raw.get("Principal"),
        not_principal=raw.get("NotPrincipal"),
        conditions=conditions,
        sid=str(raw.get("Sid", "")),
    )


def read(document: Any) -> Iterator[Statement]:
    """Normalised statements of a document (JSON text or dict); Unresolved when unknown."""
    for raw in statements(document):
        if isinstance(raw, Mapping):
            yield normalise(raw)


def principals(statement: Statement, kind: str) -> tuple[str, ...]:
    """Principals of one kind (`AWS`, `Service`, `Federated`); `*` for the anonymous `"*"`."""
    principal = statement.principal
    if principal == "*":
        return ("*",)
    if isinstance(principal, Mapping):
        return _strings(principal.get(kind))
    return ()
