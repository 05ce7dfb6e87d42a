"""Which input changes make a provider replace a resource, as data generated from its sources."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent
ACTIVE_CLUSTER = "kubeconfig:active-cluster"
_INDEX = re.compile(r"\[\d+\]|\[\"[^\]]*\"\]")


@dataclass(frozen=True)
class TypeRules:
    replace_on: tuple[str, ...]
    replace_on_block: tuple[str, ...] = ()
    conditional: tuple[str, ...] = ()


def normalised(path: str) -> str:
    """`spec.containers[0].image` -> `spec.containers.image`: rules ignore list positions."""
    return _INDEX.sub("", path)


def _matches(changed: str, rule: str) -> bool:
    # A change at or under a forcing property, or a whole parent added or removed around it.
    return changed == rule or changed.startswith(rule + ".") or rule.startswith(changed + ".")


class ReplacementRules:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.types: dict[str, TypeRules] = {}
        self.sources: list[dict[str, Any]] = []
        for document in documents:
            self.sources.extend(document.get("sources", []))
            for token, rules in document["types"].items():
                self.types[token] = TypeRules(
                    tuple(rules["replaceOn"]),
                    tuple(rules.get("replaceOnBlockAddedOrRemoved", ())),
                    tuple(rules.get("replaceOnConditionally", ())),
                )

    def covers(self, type_: str) -> bool:
        return type_ in self.types

    def replace_reasons(self, type_: str, changed: list[str]) -> list[str]:
        """The forcing properties among the changed input paths (empty: an in-place update)."""
        rules = self.types.get(type_)
        if rules is None:
            return []
        reasons = []
        for path in changed:
            plain = normalised(path)
            if any(_matches(plain, rule) for rule in rules.replace_on) or plain in (
                rules.replace_on_block
            ):
                reasons.append(path)
        return reasons

    def conditional_reasons(self, type_: str, changed: list[str]) -> list[str]:
        rules = self.types.get(type_)
        if rules is None:
            return []
        return [p for p in changed if any(_matches(normalised(p), r) for r in rules.conditional)]


@functools.cache
def load_rules() -> ReplacementRules:
    return ReplacementRules(
        [
            json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
            for name in ("aws.json", "kubernetes.json")
        ]
    )
