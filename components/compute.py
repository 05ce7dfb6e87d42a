"""A cell's Kubernetes: a private EKS cluster, its OIDC provider and the Flink node groups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cells.spec import NodePoolSpec, SubnetSpec
from components.options import child, stateful
from components.policy_documents import service_trust, to_json

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
# The only AWS managed policies used, each because EKS requires it for that role.
CLUSTER_POLICIES = ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
NODE_POLICIES = [
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
]
POOL_LABEL = "flink-cells.io/pool"


@dataclass(frozen=True)
class ComputeArgs:
    cluster_name: str
    cluster_role_name: str
    node_role_name: str
    kubernetes_version: str
    subnets: tuple[SubnetSpec, ...]
    pools: tuple[NodePoolSpec, ...]
    kms_key_arn: pulumi.Input[str]
    production: bool
    tags: Mapping[str, str]


class Compute(pulumi.ComponentResource):
    """EKS with a private endpoint, encrypted secrets, and IMDSv2-only nodes across every AZ."""

    def __init__(
        self, name: str, args: ComputeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:compute:Compute", name, None, opts)
        self._name = name
        self._args = args
        self.cluster = self._create_cluster()
        issuer = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=dict(args.tags),
            opts=child(self),
        )
        # IAM trust conditions name the issuer without its scheme.
        self.oidc_issuer = issuer.apply(lambda url: url.removeprefix("https://"))
        self.node_role, node_policies = self._create_role(
            "nodes", args.node_role_name, "ec2.amazonaws.com", NODE_POLICIES
        )
        self.node_groups = [self._create_node_group(pool, node_policies) for pool in args.pools]
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "endpoint": self.cluster.endpoint,
                "oidcProviderArn": self.oidc_provider.arn,
                "clusterSecurityGroupId": self.cluster_security_group_id,
            }
        )

    @property
    def cluster_security_group_id(self) -> pulumi.Output[str]:
        return self.cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id)

    def _create_role(
        self, role: str, role_name: str, service: str, managed: list[str]
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        iam_role = aws.iam.Role(
            f"{self._name}-{role}-role",
            name=role_name,
            assume_role_policy=to_json(service_trust(service)),
            tags=dict(self._args.tags),
            opts=child(self),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-{role}-{arn.rsplit('/', 1)[-1]}",
                role=iam_role.name,
                policy_arn=arn,
                opts=child(self),
            )
            for arn in managed
        ]
        return iam_role, attachments

    def _create_cluster(self) -> aws.eks.Cluster:
        args = self._args
        role, attachments = self._create_role(
            "cluster", args.cluster_role_name, "eks.amazonaws.com", CLUSTER_POLICIES
        )
        return aws.eks.Cluster(
            f"{self._name}-cluster",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[s.id for s in args.subnets],
                endpoint_private_access=True,
                endpoint_public_access=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.kms_key_arn),
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            deletion_protection=args.production,
            tags=dict(args.tags),
            opts=stateful(self, args.production, depends_on=attachments),
        )

    def _create_node_group(
        self, pool: NodePoolSpec, node_policies: list[aws.iam.RolePolicyAttachment]
    ) -> aws.eks.NodeGroup:
        args = self._args
        tags = {**args.tags, POOL_LABEL: pool.role}
        launch_template = aws.ec2.LaunchTemplate(
            f"{self._name}-{pool.role}-launch-template",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                # One hop keeps pods off the node's credentials; they use their IRSA role.
                http_put_response_hop_limit=1,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=pool.disk_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                for kind in ("instance", "volume")
            ],
            tags=tags,
            opts=child(self),
        )
        return aws.eks.NodeGroup(
            f"{self._name}-{pool.role}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=self.node_role.arn,
            subnet_ids=[s.id for s in args.subnets],
            instance_types=[pool.instance_type],
            # The AMI must run on the instance's architecture (Graviton types need ARM).
            ami_type=pool.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                desired_size=pool.count, min_size=pool.count, max_size=pool.max_count
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=launch_template.id, version=launch_template.latest_version.apply(str)
            ),
            labels={POOL_LABEL: pool.role},
            tags=tags,
            # Nodes cannot join until their role holds the policies EKS requires.
            opts=child(self, depends_on=node_policies),
        )
