"""The packs as pulumi-policy sees them: the same rules, reached through its argument objects."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import (
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.policy import PolicyCustomTimeouts
from pulumi_policy.proxy import unknown_checking_proxy

from policies import catalogue
from policies.offline import PACKS, evaluate, load_config
from policies.packs import to_pulumi_policies
from policies.waivers import Waivers
from tests.helpers import ROOT
from tests.policies.mutations import CASES, Plan


def _options(resource: dict[str, Any]) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        resource["protect"], [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource["parent"]
    )


def _providers(plan: Plan) -> dict[str, PolicyProviderResource]:
    return {
        r["urn"]: PolicyProviderResource(r["type"], r["inputs"], r["urn"], r["name"])
        for r in plan["resources"]
        if r["type"].startswith("pulumi:providers:")
    }


def _cli_violations(plan: Plan) -> set[tuple[str, str]]:
    """(policy, resource name) for every violation pulumi-policy would report."""
    providers = _providers(plan)
    found: set[tuple[str, str]] = set()
    by_urn: dict[str, PolicyResource] = {}
    for resource in plan["resources"]:
        by_urn[resource["urn"]] = PolicyResource(
            resource["type"], unknown_checking_proxy(resource["inputs"]), resource["urn"],
            resource["name"], _options(resource), providers.get(resource["provider"]), None, [], {},
        )  # fmt: skip
    for resource in plan["resources"]:
        policy_resource = by_urn[resource["urn"]]
        policy_resource.dependencies = [by_urn[u] for u in resource["dependencies"] if u in by_urn]
        policy_resource.property_dependencies = {
            k: [by_urn[u] for u in v if u in by_urn]
            for k, v in resource.get("propertyDependencies", {}).items()
        }
    names = {r["urn"]: r["name"] for r in plan["resources"]}
    for pack in PACKS:
        for policy in to_pulumi_policies(pack, Waivers()):
            if isinstance(policy, ResourceValidationPolicy):
                for resource in plan["resources"]:
                    args = ResourceValidationArgs(
                        resource["type"], unknown_checking_proxy(resource["inputs"]),
                        resource["urn"], resource["name"], _options(resource),
                        providers.get(resource["provider"]),
                    )  # fmt: skip
                    policy.validate(args, lambda _m, _u=None, n=resource["name"], p=policy.name:
                                    found.add((p, n)))  # fmt: skip
            else:
                args = StackValidationArgs(list(by_urn.values()))
                policy.validate(args, lambda _m, u=None, p=policy.name: found.add(
                    (p, names.get(u or "", "(stack)"))))  # fmt: skip
    return found


def test_pulumi_policy_reports_what_the_offline_plan_reports(compliant: Plan) -> None:
    assert _cli_violations(compliant) == set()
    for case in CASES[::15]:
        plan = copy.deepcopy(compliant)
        case.mutate(plan)
        offline = {
            (f.rule.name, f.resource.name if f.resource else "(stack)")
            for f in evaluate(plan, load_config(None), Waivers())
        }
        assert _cli_violations(plan) == offline, case.name
        assert {rule for rule, _ in offline} == case.fires


def test_unknown_props_from_pulumi_policy_become_findings(compliant: Plan) -> None:
    [key] = [r for r in compliant["resources"] if r["name"] == "use1-a-checkpoints-key"]
    key["inputs"]["enableKeyRotation"] = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"  # unknown bool
    found = _cli_violations(compliant)
    assert ("kms-key-rotation", "use1-a-checkpoints-key") in found


def test_each_pack_directory_is_a_pulumi_policy_pack() -> None:
    for pack in ("durability", "security"):
        folder = ROOT / "policies" / pack
        manifest = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text())
        assert manifest["runtime"]["name"] == "python"
        assert (folder / manifest["runtime"]["options"]["virtualenv"] / "..").resolve() == ROOT
        tree = ast.parse((folder / "__main__.py").read_text())
        calls = [n for n in tree.body[1:] if isinstance(n, ast.Expr)]  # after the docstring
        assert len(calls) == 1 and ast.unparse(calls[0]).startswith("PolicyPack(")
        assert "pulumi-policy==" in (folder / "requirements.txt").read_text()


def test_packs_pin_their_rules_levels_and_ids() -> None:
    durability, security = PACKS
    assert durability.name == "flinkcells-durability" and len(durability.rules) == 25
    assert security.name == "flinkcells-security" and len(security.rules) == 23
    ids = [r.id for pack in PACKS for r in pack.rules]
    names = [r.name for pack in PACKS for r in pack.rules]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for pack in PACKS:
        assert set(pack.levels) == {r.name for r in pack.rules}
        assert set(pack.levels.values()) <= {"mandatory", "advisory"}
        for rule in pack.rules:
            assert rule.description and rule.remediation and rule.severity
            assert rule.id.startswith("DUR-" if pack is durability else "SEC-")


def test_readme_catalogue_is_generated_and_in_sync() -> None:
    readme = (Path(ROOT) / "README.md").read_text()
    table = catalogue.render()
    assert catalogue.replace(readme, table) == readme, "run: python -m policies.catalogue"
    for pack in PACKS:
        for rule in pack.rules:
            [row] = [line for line in table.splitlines() if f"`{rule.name}`" in line]
            assert row.startswith(f"| {rule.id} |") and f"| {pack.level(rule)} |" in row
