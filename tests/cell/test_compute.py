"""EKS of every example cell: private, encrypted, logged, IMDSv2-only nodes across all AZs."""

from __future__ import annotations

from cells.model import Fleet
from components import outputs
from components.compute import CLUSTER_POLICIES, NODE_POLICIES
from tests.helpers import PlannedStack, document


def test_cluster_is_private_encrypted_and_logged(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    [cluster] = cell_plan.of_type("aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert inputs["vpcConfig"]["endpointPublicAccess"] is False
    encryption = inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == cell_plan.outputs[outputs.CELL_KEY_ARN]
    assert {"api", "audit", "authenticator"} <= set(inputs["enabledClusterLogTypes"])
    assert inputs["deletionProtection"] is True
    assert inputs["name"] == f"payments-{cell.id}"
    assert cluster["protect"] and cluster["region"] == cell.region


def test_node_groups_span_every_az_and_require_imdsv2(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    size = example_fleet.sizes[cell.size]
    subnets = {s.id for s in example_fleet.region(cell.region).network.subnets}
    groups = {
        g["inputs"]["labels"]["flink-cells.io/pool"]: g
        for g in cell_plan.of_type("aws:eks/nodeGroup:NodeGroup")
    }
    assert set(groups) == {"jobmanager", "taskmanager"}
    templates = {t["name"]: t for t in cell_plan.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    for pool_name, group in groups.items():
        pool = getattr(size, pool_name)
        assert set(group["inputs"]["subnetIds"]) == subnets
        assert group["inputs"]["instanceTypes"] == [pool.instance_type]
        assert group["inputs"]["scalingConfig"] == {
            "desiredSize": pool.count,
            "minSize": pool.count,
            "maxSize": pool.max_size,
        }
        template = templates[f"{cell.id}-compute-{pool_name}-launch-template"]
        assert template["urn"] in group["dependencies"]
        metadata = template["inputs"]["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        [device] = template["inputs"]["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true"
        assert device["ebs"]["volumeSize"] == pool.disk_gib


def test_roles_carry_only_the_managed_policies_eks_requires(cell_plan: PlannedStack) -> None:
    attachments = cell_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    by_role: dict[str, set[str]] = {}
    for attachment in attachments:
        by_role.setdefault(attachment["inputs"]["role"], set()).add(
            attachment["inputs"]["policyArn"]
        )
    stack = cell_plan.stack
    assert by_role == {
        f"payments-{stack}-eks-cluster": set(CLUSTER_POLICIES),
        f"payments-{stack}-eks-nodes": set(NODE_POLICIES),
    }
    cluster_role = cell_plan.named("aws:iam/role:Role", f"{stack}-compute-cluster-role")
    trust = document(cluster_role, "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}


def test_oidc_provider_trusts_the_cells_own_issuer(cell_plan: PlannedStack) -> None:
    [provider] = cell_plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["inputs"]["clientIdLists"] == ["sts.amazonaws.com"]
    [cluster] = cell_plan.of_type("aws:eks/cluster:Cluster")
    assert cluster["urn"] in provider["dependencies"]
    assert provider["inputs"]["url"].startswith(
        f"https://oidc.eks.{cell_plan.outputs[outputs.REGION]}."
    )
    assert cell_plan.outputs[outputs.OIDC_PROVIDER_ARN].endswith(
        provider["inputs"]["url"].removeprefix("https://")
    )
