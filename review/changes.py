"""One stack's two resource graphs compared by URN, as `pulumi preview --json` steps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from review.replacements import ACTIVE_CLUSTER, ReplacementRules, load_rules

KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
OPS = ("create", "update", "replace", "delete")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Resource = dict[str, Any]
Step = dict[str, Any]


def _key(prefix: str, key: str) -> str:
    """Pulumi's property path syntax: `a.b`, `a[0]`, and `a["dotted.key"]`."""
    if _PLAIN_KEY.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key)}]"


def changed_paths(old: Any, new: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, kind) for every input that differs; kind is `add`, `delete` or `update`."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            path = _key(prefix, str(key))
            if key not in old:
                yield path, "add"
            elif key not in new:
                yield path, "delete"
            else:
                yield from changed_paths(old[key], new[key], path)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from changed_paths(before, after, f"{prefix}[{index}]")
    elif old != new:
        yield prefix, "update"


def state(resource: Resource) -> dict[str, Any]:
    """A recorded resource as the `oldState`/`newState` of a preview step."""
    return {
        "urn": resource["urn"],
        "type": resource["type"],
        "custom": resource.get("custom", True),
        "parent": resource.get("parent", ""),
        "provider": resource.get("provider", ""),
        "protect": resource.get("protect", False),
        "retainOnDelete": resource.get("retainOnDelete", False),
        "inputs": resource.get("inputs", {}),
    }


def _active_cluster(provider: Resource) -> Any:
    """The kubeconfig's active cluster entry: what pulumi-kubernetes' DiffConfig compares."""
    try:
        config = json.loads(provider.get("inputs", {}).get("kubeconfig", ""))
        context_name = config.get("current-context")
        context = next(c for c in config["contexts"] if c["name"] == context_name)["context"]
        return next(c for c in config["clusters"] if c["name"] == context["cluster"])
    except (ValueError, KeyError, TypeError, StopIteration, AttributeError):
        return provider.get("inputs", {}).get("kubeconfig")


def _provider_reasons(old: Resource, new: Resource, rules: ReplacementRules) -> list[str]:
    if new["type"] != KUBERNETES_PROVIDER:
        return []
    forcing = rules.types[KUBERNETES_PROVIDER].replace_on if rules.covers(new["type"]) else ()
    reasons = [
        key
        for key in forcing
        if key != ACTIVE_CLUSTER and old["inputs"].get(key) != new["inputs"].get(key)
    ]
    if ACTIVE_CLUSTER in forcing and _active_cluster(old) != _active_cluster(new):
        reasons.append("kubeconfig")
    return reasons


def diff_stack(
    base: list[Resource] | None,
    head: list[Resource] | None,
    rules: ReplacementRules | None = None,
) -> list[Step]:
    """Every resource of one stack as a step: create, update (changed input paths), replace
    (the provider's forcing properties), delete or same. A URN that changes is matched through
    the new resource's aliases; without one it is a delete plus a create."""
    rules = rules or load_rules()
    old_by_urn = {r["urn"]: r for r in base or []}
    new_by_urn = {r["urn"]: r for r in head or []}
    matched: dict[str, str] = {}  # new URN -> old URN
    for urn, resource in new_by_urn.items():
        if urn in old_by_urn:
            matched[urn] = urn
            continue
        for alias in resource.get("aliases", ()):
            if alias in old_by_urn and alias not in new_by_urn:
                matched[urn] = alias
                break
    replaced_providers: dict[str, list[str]] = {}
    for urn, old_urn in matched.items():
        reasons = _provider_reasons(old_by_urn[old_urn], new_by_urn[urn], rules)
        if reasons:
            replaced_providers[old_urn] = reasons
    steps = []
    for urn, resource in sorted(new_by_urn.items()):
        if urn not in matched:
            steps.append(
                {"op": "create", "urn": urn, "type": resource["type"], "newState": state(resource)}
            )
            continue
        steps.append(_compare(old_by_urn[matched[urn]], resource, rules, replaced_providers))
    used = set(matched.values())
    for urn, resource in sorted(old_by_urn.items()):
        if urn not in used:
            steps.append(
                {"op": "delete", "urn": urn, "type": resource["type"], "oldState": state(resource)}
            )
    return steps


def _compare(
    old: Resource,
    new: Resource,
    rules: ReplacementRules,
    replaced_providers: dict[str, list[str]],
) -> Step:
    changes = list(changed_paths(old.get("inputs", {}), new.get("inputs", {})))
    if old.get("region") != new.get("region") and old.get("region") and new.get("region"):
        changes.append(("region", "update"))
    paths = [path for path, _ in changes]
    reasons = rules.replace_reasons(new["type"], paths)
    if new["type"] == KUBERNETES_PROVIDER:
        reasons = _provider_reasons(old, new, rules)
    elif old.get("provider") in replaced_providers:
        reasons = [*reasons, "provider"]
    step: Step = {
        "op": "same",
        "urn": new["urn"],
        "type": new["type"],
        "oldState": state(old),
        "newState": state(new),
    }
    if old["urn"] != new["urn"]:
        step["aliasOf"] = old["urn"]
    if not changes and not reasons:
        return step
    step["op"] = "replace" if reasons else "update"
    step["diffReasons"] = sorted({_top(path) for path in paths})
    step["replaceReasons"] = reasons
    conditional = rules.conditional_reasons(new["type"], paths)
    if conditional:
        step["mayReplaceReasons"] = conditional
    step["detailedDiff"] = {
        path: {"kind": f"{kind}-replace" if path in reasons else kind, "inputDiff": True}
        for path, kind in changes
    }
    return step


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def counts(steps: list[Step]) -> dict[str, int]:
    result = dict.fromkeys((*OPS, "same"), 0)
    for step in steps:
        op = step.get("op", "same")
        result[op if op in result else "same"] += 1
    return result
