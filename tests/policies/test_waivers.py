"""Waivers: matched by tags or Kubernetes labels, scoped to a cell and tenant, validated like the
fleet file (every problem, its field and its fix; exit 2 from cellctl)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cellctl import fleet_plan as plan_command
from cellctl.main import app
from policies.offline import PACKS, blocking, evaluate, load_config
from policies.waivers import Waiver, Waivers, WaiversError, for_pack
from tests.policies.mutations import Plan, find

RULES = [rule for pack in PACKS for rule in pack.rules]


def _waived(plan: Plan, *waivers: Waiver) -> list:
    return evaluate(plan, load_config(None), Waivers(waivers))


def test_a_kubernetes_resource_is_waived_by_its_cell_and_tenant_labels(compliant: Plan) -> None:
    deployment = find(compliant, ":FlinkDeployment", "balancer-deployment")
    deployment["inputs"]["spec"]["job"]["allowNonRestoredState"] = True
    reason = "one-off restore after a renamed operator, CHG-77; remove by 2027-01-10"
    for tenant, waived in (("ledger", True), ("fraud-signals", False), (None, True)):
        findings = _waived(
            compliant, Waiver(rule="DUR-FLINK-7", cell="use1-a", tenant=tenant, reason=reason)
        )
        assert [f.rule.id for f in findings] == ["DUR-FLINK-7"]
        assert (blocking(findings) == []) is waived, tenant
    other_cell = _waived(compliant, Waiver(rule="DUR-FLINK-7", cell="use1-b", reason=reason))
    assert len(blocking(other_cell)) == 1


def _load(tmp_path: Path, text: str) -> Waivers:
    file = tmp_path / "waivers.yaml"
    file.write_text(text)
    return Waivers.load(file, rules=RULES, cells=["use1-a"], tenants=["ledger"])


@pytest.mark.parametrize(
    ("text", "location", "code"),
    [
        ("waivers: [{rule: NO-SUCH-1, cell: use1-a, reason: because of CHG-1}]",
         "waivers.0.rule", "unknown-rule"),
        ("waivers: [{rule: SEC-EKS-1, cell: use9-z, reason: because of CHG-1}]",
         "waivers.0.cell", "unknown-cell"),
        ("waivers: [{rule: SEC-EKS-1, cell: use1-a, tenant: nobody, reason: because of CHG-1}]",
         "waivers.0.tenant", "unknown-tenant"),
        ("waivers: [{rule: SEC-EKS-1, cell: use1-a}]", "waivers.0.reason", "missing"),
        ("waivers: [{rule: SEC-EKS-1, cell: use1-a, reason: short}]", "waivers.0.reason",
         "string-too-short"),
        ("waivers: [{rule: SEC-EKS-1, cell: use1-a, reason: because of CHG-1, until: x}]",
         "waivers.0.until", "extra-forbidden"),
        ("waivers: [rule: x", "", "yaml-syntax"),
    ],
)  # fmt: skip
def test_a_broken_waivers_file_names_the_field_and_the_fix(
    tmp_path: Path, text: str, location: str, code: str
) -> None:
    with pytest.raises(WaiversError) as raised:
        _load(tmp_path, text)
    [problem] = raised.value.problems
    assert (problem.location, problem.code) == (location, code)
    assert problem.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(WaiversError) as raised:
        _load(
            tmp_path, "waivers: [{rule: X-1, cell: nowhere, tenant: nobody, reason: CHG-1 CHG-2}]"
        )
    assert [p.code for p in raised.value.problems] == [
        "unknown-rule",
        "unknown-cell",
        "unknown-tenant",
    ]


def test_a_rule_is_named_by_id_or_name(tmp_path: Path) -> None:
    waivers = _load(
        tmp_path,
        "waivers:\n"
        "  - {rule: SEC-EKS-1, cell: use1-a, reason: migration window CHG-1}\n"
        "  - {rule: eks-private-endpoint, cell: use1-a, tenant: ledger, reason: same CHG-1}\n",
    )
    assert len(waivers.entries) == 2


def test_cellctl_plan_refuses_a_broken_waivers_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = project / "waivers.yaml"
    file.write_text(
        "# waivers\nwaivers:\n  - rule: SEC-EKS-1\n    cell: use9-z\n    reason: because CHG-1\n"
    )
    monkeypatch.setattr(plan_command, "WAIVERS_FILE", file)
    result = CliRunner().invoke(app, ["plan", "--cell", "use1-a"])
    assert result.exit_code == 2
    [row] = [line for line in result.stderr.splitlines() if "waivers.0.cell" in line]
    assert row.split()[:3] == ["4", "waivers.0.cell", "unknown-cell"]
    assert "cells: " in row
    assert "Traceback" not in result.stderr


def test_a_policy_pack_stops_cleanly_on_a_broken_waivers_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "waivers.yaml"
    file.write_text("waivers: [{rule: NO-SUCH-1, cell: use1-a, reason: because of CHG-1}]")
    with pytest.raises(SystemExit) as stopped:
        for_pack(RULES, file)
    assert stopped.value.code == 2
    assert "waivers.0.rule: unknown-rule" in capsys.readouterr().err
