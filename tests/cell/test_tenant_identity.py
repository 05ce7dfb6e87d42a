"""Tenant roles: assumable only by the tenant's service account, reaching only its own data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cells.aws_names import checkpoint_prefix, tenant_names
from cells.model import Fleet
from cells.placement import load_placement
from components import outputs
from tests.helpers import EXAMPLE_FLEET, PlannedStack, allowed, document, iam_matches

tenant_ids = st.from_regex(r"[a-z][a-z0-9-]{0,22}[a-z0-9]", fullmatch=True)


def _roles(plan: PlannedStack) -> dict[str, tuple[dict, dict]]:
    """tenant -> (role, permissions document)."""
    found = {}
    for role in plan.of_type("aws:iam/role:Role"):
        tenant = role["inputs"].get("tags", {}).get("tenant")
        if tenant:
            [policy] = [
                p
                for p in plan.of_type("aws:iam/rolePolicy:RolePolicy")
                if p["name"] == f"{plan.stack}-tenant-{tenant}-policy"
            ]
            found[tenant] = (role, document(policy, "policy"))
    return found


def test_one_role_per_tenant_placed_in_the_cell(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    placement = load_placement(example_fleet, EXAMPLE_FLEET)
    roles = _roles(cell_plan)
    assert set(roles) == set(placement.tenants_in(cell_plan.stack))
    assert set(cell_plan.outputs[outputs.TENANT_ROLE_ARNS]) == set(roles)


def test_only_the_tenants_service_account_can_assume_its_role(cell_plan: PlannedStack) -> None:
    oidc_arn = cell_plan.outputs[outputs.OIDC_PROVIDER_ARN]
    issuer = oidc_arn.split(":oidc-provider/", 1)[1]
    for tenant, (role, _) in _roles(cell_plan).items():
        [statement] = document(role, "assumeRolePolicy")["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": oidc_arn}
        assert statement["Condition"] == {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:tenant-{tenant}:flink",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        }


def test_a_tenant_role_reaches_its_own_data_and_nothing_of_another_tenant(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    bucket = cell_plan.outputs[outputs.CHECKPOINT_BUCKET_ARN]
    cluster = cell_plan.outputs[outputs.MSK_CLUSTER_ARN]
    topic_base = cluster.replace(":cluster/", ":topic/")
    txn_base = cluster.replace(":cluster/", ":transactional-id/")
    group_base = cluster.replace(":cluster/", ":group/")
    every_tenant = [t.id for t in example_fleet.tenants]
    for tenant, (_, doc) in _roles(cell_plan).items():
        own = f"{bucket}/tenants/{tenant}/scorer/checkpoints/chk-7/_metadata"
        assert allowed(doc, "s3:PutObject", own) and allowed(doc, "s3:GetObject", own)
        assert allowed(doc, "kafka-cluster:WriteData", f"{topic_base}/{tenant}.events")
        assert allowed(doc, "kafka-cluster:AlterTransactionalId", f"{txn_base}/{tenant}.sink-0")
        for other in every_tenant:
            if other == tenant:
                continue
            theirs = f"{bucket}/tenants/{other}/job/checkpoints/chk-1/_metadata"
            for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
                assert not allowed(doc, action, theirs), f"{tenant} can {action} {theirs}"
            for action in ("kafka-cluster:ReadData", "kafka-cluster:WriteData"):
                assert not allowed(doc, action, f"{topic_base}/{other}.events"), (tenant, other)
            assert not allowed(doc, "kafka-cluster:AlterGroup", f"{group_base}/{other}.consumer")
            assert not allowed(
                doc, "kafka-cluster:AlterTransactionalId", f"{txn_base}/{other}.sink-0"
            )
        [listing] = [s for s in doc["Statement"] if "s3:ListBucket" in s["Action"]]
        prefixes = listing["Condition"]["StringLike"]["s3:prefix"]
        assert all(p.startswith(f"tenants/{tenant}/") for p in prefixes)


def test_kms_use_is_only_through_s3_in_the_cells_region(cell_plan: PlannedStack) -> None:
    region = cell_plan.outputs[outputs.REGION]
    for _, doc in _roles(cell_plan).values():
        [kms] = [s for s in doc["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
        assert kms["Resource"] == [cell_plan.outputs[outputs.CELL_KEY_ARN]]
        assert kms["Condition"] == {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}
        }


@settings(deadline=None)  # a pure string check; on a loaded CI machine one call may stall
@given(a=tenant_ids, b=tenant_ids)
def test_prefix_scheme_never_lets_one_tenant_match_anothers_names(a: str, b: str) -> None:
    if a == b:
        return
    for own, theirs in (
        (checkpoint_prefix(a) + "*", checkpoint_prefix(b) + "job/chk-1/_metadata"),
        (
            tenant_names("f", "c", a).topic_prefix + "*",
            tenant_names("f", "c", b).topic_prefix + "t",
        ),
    ):
        assert not iam_matches(own, theirs), (own, theirs)
