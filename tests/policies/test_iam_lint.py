"""Every IAM policy of the example fleet, linted by parliament (duo-labs' IAM linter), and every
identity policy assessed by cloudsplaining (salesforce's least-privilege scanner).

Linted: identity policies (the roles' inline policies) and KMS key policies. Not linted by
parliament: trust policies, which it reads as identity policies and faults for having no
Resource (SEC-IAM-3 checks them), and bucket policies, whose decimal `s3:TlsVersion` condition
it mis-types as a string and crashes on as a number (SEC-S3-3 checks them).
"""

from __future__ import annotations

import json

import parliament
from cloudsplaining.scan.policy_document import PolicyDocument
from parliament import config as parliament_config

from tests.helpers import PlannedStack

LINTED = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:kms/key:Key": "policy"}
ALLOWED = {"LOW", "INFO"}


def test_iam_documents_have_no_medium_or_worse_findings(
    example_plans: dict[str, PlannedStack],
) -> None:
    linted = 0
    problems = []
    for plan in example_plans.values():
        for resource in plan.resources:
            key = LINTED.get(resource["type"])
            if key is None:
                continue
            linted += 1
            for finding in parliament.analyze_policy_string(resource["inputs"][key]).findings:
                severity = parliament_config.get(finding.issue, {}).get("severity", "UNKNOWN")
                if severity not in ALLOWED:
                    problems.append((resource["urn"], finding.issue, severity, finding.detail))
    assert linted >= 50
    assert problems == []


def test_the_linter_would_catch_a_bad_document() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}
    bad = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    issues = {f.issue for f in parliament.analyze_policy_string(bad).findings}
    assert "UNKNOWN_ACTION" in issues


# cloudsplaining's risk categories at medium or worse (its report ranks infrastructure
# modification low: any write action, which a checkpoint writer must have).
CLOUDSPLAINING = {
    "privilege escalation": lambda d: d.allows_privilege_escalation,
    "data exfiltration": lambda d: d.allows_data_exfiltration_actions,
    "credentials exposure": lambda d: d.credentials_exposure,
    "resource exposure": lambda d: d.permissions_management_without_constraints,
    "service wildcard": lambda d: d.service_wildcard,
    "write without constraints": lambda d: d.write_actions_without_constraints,
}
IDENTITY = {"aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"}


def _cloudsplaining(document: str) -> dict[str, object]:
    found = PolicyDocument(json.loads(document))
    return {risk: hits for risk, check in CLOUDSPLAINING.items() if (hits := check(found))}


def test_identity_policies_pass_cloudsplaining(example_plans: dict[str, PlannedStack]) -> None:
    assessed = 0
    problems = []
    for plan in example_plans.values():
        for resource in plan.resources:
            documents = []
            if resource["type"] in IDENTITY:
                documents.append(resource["inputs"]["policy"])
            for inline in resource["inputs"].get("inlinePolicies") or []:
                documents.append(inline["policy"])
            for text in documents:
                assessed += 1
                risks = _cloudsplaining(text)
                if risks:
                    problems.append((resource["urn"], risks))
    assert assessed >= 30  # a replication role and every tenant role of every cell
    assert problems == []


def test_cloudsplaining_would_catch_a_bad_document() -> None:
    statement = {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"}
    risks = _cloudsplaining(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert {"data exfiltration", "resource exposure"} <= set(risks)
