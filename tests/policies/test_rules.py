"""Every rule: silent on the compliant example fleet, and firing alone when its property breaks."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policies.offline import PACKS, blocking, evaluate, load_config
from policies.waivers import Waivers
from tests.dr.test_recovery_policies import MUTATIONS as RECOVERY_MUTATIONS
from tests.helpers import PlannedStack
from tests.policies.mutations import BENIGN, CASES, Case, Plan

ALL_RULES = {rule.name for pack in PACKS for rule in pack.rules}


def _findings(plan: Plan, waivers: Waivers | None = None) -> list:
    return evaluate(plan, load_config(None), waivers or Waivers())


def test_the_example_fleet_has_no_violations(example_plans: dict[str, PlannedStack]) -> None:
    for stack, plan in example_plans.items():
        findings = _findings({"stack": stack, "resources": plan.resources})
        assert findings == [], [(f.rule.name, f.message) for f in findings]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_break_fires_exactly_its_rules(compliant: Plan, case: Case) -> None:
    case.mutate(compliant)
    findings = _findings(compliant)
    fired = {f.rule.name for f in findings}
    assert fired == case.fires, [(f.rule.name, f.message) for f in findings]
    if case.resource:
        named = {f.resource.name for f in findings if f.resource}
        assert case.resource in named, [
            (f.resource and f.resource.name, f.message) for f in findings
        ]
    assert all(f.message for f in findings)
    assert blocking(findings) or {f.level for f in findings} == {"advisory"}


@pytest.mark.parametrize("case", BENIGN, ids=[c.name for c in BENIGN])
def test_benign_changes_fire_nothing(compliant: Plan, case: Case) -> None:
    case.mutate(compliant)
    findings = _findings(compliant)
    assert findings == [], [(f.rule.name, f.message) for f in findings]


def test_the_suite_is_large_and_covers_every_rule() -> None:
    assert len(CASES) + len(BENIGN) >= 100 and len(BENIGN) >= 15
    # Recovery rules are broken on a recovery stack's plan (tests/dr/test_recovery_policies.py).
    recovery = {m[2] for m in RECOVERY_MUTATIONS}
    assert {rule for c in CASES for rule in c.fires} | recovery == ALL_RULES
    assert len({c.name for c in CASES + BENIGN}) == len(CASES) + len(BENIGN)


def test_unknown_values_are_findings_not_passes_or_crashes(compliant: Plan) -> None:
    versioning = next(r for r in compliant["resources"] if r["name"].endswith("bucket-versioning"))
    versioning["inputs"]["versioningConfiguration"]["status"] = "[unknown]"
    cluster = next(r for r in compliant["resources"] if r["name"] == "use1-a-compute-cluster")
    cluster["inputs"]["vpcConfig"] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    findings = _findings(compliant)
    assert {f.rule.name for f in findings} >= {
        "checkpoint-bucket-versioned",
        "eks-private-endpoint",
    }
    unknown = [f for f in findings if f.rule.name == "eks-private-endpoint"]
    assert "unknown until the resource exists" in unknown[0].message


def test_a_preview_full_of_unknown_arns_does_not_crash(compliant: Plan) -> None:
    def blank(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: blank(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v) for v in value]
        if isinstance(value, str) and value.startswith(("arn:", "{")):
            return "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
        return value

    for resource in compliant["resources"]:
        resource["inputs"] = blank(resource["inputs"])
    findings = _findings(compliant)
    # Policy documents are unknown now: every rule that reads one says so instead of passing.
    iam = {f.rule.name for f in findings if "unknown" in f.message}
    assert {"iam-no-wildcard-action", "bucket-tls-only"} <= iam


def test_a_waiver_silences_one_cell_only(
    compliant: Plan, example_plans: dict[str, PlannedStack]
) -> None:
    from policies.waivers import Waiver

    other = copy.deepcopy({"stack": "use1-b", "resources": example_plans["use1-b"].resources})
    for plan in (compliant, other):
        cluster = next(r for r in plan["resources"] if r["type"] == "aws:eks/cluster:Cluster")
        cluster["inputs"]["vpcConfig"]["endpointPublicAccess"] = True
    waivers = Waivers((Waiver(rule="SEC-EKS-1", cell="use1-a", reason="migration window CHG-1"),))
    waived = _findings(compliant, waivers)
    assert [f.waiver.reason for f in waived] == ["migration window CHG-1"]
    assert blocking(waived) == []
    assert len(blocking(_findings(other, waivers))) == 1


def test_policy_config_sets_levels_and_thresholds(tmp_path: Any, compliant: Plan) -> None:
    file = tmp_path / "config.json"
    file.write_text(
        json.dumps({"checkpoint-bucket-keeps-noncurrent-versions": {"minNoncurrentDays": 60}})
    )
    findings = evaluate(compliant, load_config(file), Waivers())
    assert {f.rule.name for f in findings} == {"checkpoint-bucket-keeps-noncurrent-versions"}
    file.write_text(
        json.dumps(
            {
                "checkpoint-bucket-keeps-noncurrent-versions": {
                    "enforcementLevel": "advisory",
                    "minNoncurrentDays": 60,
                }
            }
        )
    )
    assert blocking(evaluate(compliant, load_config(file), Waivers())) == []
    file.write_text(json.dumps({"all": "disabled"}))
    assert evaluate(compliant, load_config(file), Waivers()) == []


@pytest.mark.parametrize(
    ("config", "phrase"),
    [
        ({"no-such-rule": "advisory"}, "unknown rule(s) no-such-rule"),
        ({"msk-brokers-span-azs": {"minAzs": "three"}}, "msk-brokers-span-azs.minAzs"),
        ({"msk-brokers-span-azs": {"enforcementLevel": "strict"}}, "expected one of"),
        ({"msk-brokers-span-azs": {"maxAzs": 4}}, "Additional properties"),
    ],
)
def test_bad_policy_config_is_named(tmp_path: Any, config: dict, phrase: str) -> None:
    file = tmp_path / "config.json"
    file.write_text(json.dumps(config))
    with pytest.raises(ValueError, match=None) as caught:
        load_config(file)
    assert phrase in str(caught.value) and str(file) in str(caught.value)
