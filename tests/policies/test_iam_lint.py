"""Every IAM policy of the example fleet, linted by parliament (duo-labs' IAM linter).

Linted: identity policies (the roles' inline policies) and KMS key policies. Not linted by
parliament: trust policies, which it reads as identity policies and faults for having no
Resource (SEC-IAM-3 checks them), and bucket policies, whose decimal `s3:TlsVersion` condition
it mis-types as a string and crashes on as a number (SEC-S3-3 checks them).
"""

from __future__ import annotations

import json

import parliament
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
