"""The Flink platform inside a cell: the operator, isolated tenant namespaces, durable jobs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from cells.model import Tier
from cells.spec import CellSpec, JobSpec, TenantSpec
from cells.tiers import TIERS, priority_class
from components.flink_deployment import (
    API_VERSION,
    CELL_LABEL,
    KIND,
    POOL_LABEL,
    TENANT_LABEL,
    flink_deployment,
)

OPERATOR_CHART = "flink-kubernetes-operator"
OPERATOR_VERSION = "1.15.0"
# The Apache archive keeps every release; downloads.apache.org drops all but the newest.
OPERATOR_REPO = (
    f"https://archive.apache.org/dist/flink/flink-kubernetes-operator-{OPERATOR_VERSION}/"
)
OPERATOR_NAMESPACE = "flink-operator"
JOB_REST_PORT = 8081
MSK_IAM_PORT = 9098
INSTANCE_METADATA = "169.254.169.254/32"
# Flink pods meet it (components/flink_deployment.py); the namespace refuses any pod that does not.
POD_SECURITY_LEVEL = "restricted"


def kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority: pulumi.Input[str],
    region: str,
) -> pulumi.Output[str]:
    """A kubeconfig for exactly this cell's cluster, authenticated by `aws eks get-token`."""

    def render(args: list[str]) -> str:
        name, server, ca = args
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}
                ],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
                "users": [
                    {
                        "name": name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1beta1",
                                "command": "aws",
                                "args": [
                                    "eks",
                                    "get-token",
                                    "--cluster-name",
                                    name,
                                    "--region",
                                    region,
                                    "--output",
                                    "json",
                                ],
                            }
                        },
                    }
                ],
            },
            sort_keys=True,
        )

    return pulumi.Output.all(cluster_name, endpoint, certificate_authority).apply(render)


@dataclass(frozen=True)
class FlinkPlatformArgs:
    spec: CellSpec
    cluster: aws.eks.Cluster
    node_groups: Sequence[aws.eks.NodeGroup]
    tenant_role_arns: Mapping[str, pulumi.Input[str]]
    bootstrap_servers: pulumi.Input[str]


class FlinkPlatform(pulumi.ComponentResource):
    """The operator (pinned Helm release) and every tenant namespace and job of one cell."""

    def __init__(
        self, name: str, args: FlinkPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:flink:FlinkPlatform", name, None, opts)
        spec = args.spec
        cluster = args.cluster
        ca = cluster.certificate_authority.apply(lambda authority: authority.data)
        # Built from this cell's own cluster outputs: its workloads cannot land in another cell.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig(cluster.name, cluster.endpoint, ca, spec.region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-operator-namespace",
            metadata={"name": OPERATOR_NAMESPACE, "labels": {CELL_LABEL: spec.cell}},
            opts=on_cluster,
        )
        self.operator = k8s.helm.v3.Release(
            f"{name}-operator",
            name="flink-kubernetes-operator",
            chart=OPERATOR_CHART,
            version=OPERATOR_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=OPERATOR_REPO),
            namespace=OPERATOR_NAMESPACE,
            values={
                # The admission webhook needs cert-manager, another stateful controller per cell.
                # Its checks run before anything reaches a cluster instead: every rendered
                # FlinkDeployment is validated against the operator's CRD schema, and the
                # policy packs hold the durability rules.
                "webhook": {"create": False},
                "watchNamespaces": sorted(t.names.namespace for t in spec.tenants),
                # Each tenant namespace gets its own `flink` account, bound to the tenant's role.
                "jobServiceAccount": {"create": False, "name": "flink"},
                "operatorPod": {"nodeSelector": {POOL_LABEL: "jobmanager"}},
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=self.provider,
                depends_on=[namespace, *args.node_groups],
            ),
        )
        for tier in Tier:
            k8s.scheduling.v1.PriorityClass(
                f"{name}-priority-{tier.value}",
                metadata={"name": priority_class(tier), "labels": {CELL_LABEL: spec.cell}},
                value=TIERS[tier].priority,
                preemption_policy="PreemptLowerPriority",
                global_default=False,
                description=f"Flink jobs of {tier.value} tenants; lower tiers are preempted first",
                opts=on_cluster,
            )
        self.tenants = {
            tenant.id: TenantNamespace(
                f"{name}-tenant-{tenant.id}",
                TenantNamespaceArgs(
                    spec=spec,
                    tenant=tenant,
                    role_arn=args.tenant_role_arns[tenant.id],
                    bootstrap_servers=args.bootstrap_servers,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, providers={"kubernetes": self.provider}, depends_on=[self.operator]
                ),
            )
            for tenant in spec.tenants
        }
        self.register_outputs(
            {
                "operatorRelease": self.operator.name,
                "namespaces": [t.names.namespace for t in spec.tenants],
            }
        )


@dataclass(frozen=True)
class TenantNamespaceArgs:
    spec: CellSpec
    tenant: TenantSpec
    role_arn: pulumi.Input[str]
    bootstrap_servers: pulumi.Input[str]


def namespace_quota(tenant: TenantSpec) -> dict[str, str]:
    """The quota a tenant's jobs in this cell need, with its tier's headroom."""
    cpu = sum(
        j.jobmanager_replicas * j.jobmanager_cpu + j.taskmanagers * j.taskmanager_cpu
        for j in tenant.jobs
    )
    memory = sum(
        j.jobmanager_replicas * j.jobmanager_memory_mb + j.taskmanagers * j.taskmanager_memory_mb
        for j in tenant.jobs
    )
    pods = sum(j.jobmanager_replicas + j.taskmanagers for j in tenant.jobs)
    room = tenant.quota_headroom
    millicores = f"{round(cpu * room * 1000)}m"
    mebibytes = f"{round(memory * room)}Mi"
    return {
        "requests.cpu": millicores,
        "limits.cpu": millicores,
        "requests.memory": mebibytes,
        "limits.memory": mebibytes,
        "pods": str(max(1, round(pods * room))),
    }


def container_limits(tenant: TenantSpec) -> dict[str, Any]:
    """Defaults for containers that declare nothing, and a ceiling no single one may pass."""
    cpu = max([1.0, *(max(j.jobmanager_cpu, j.taskmanager_cpu) for j in tenant.jobs)])
    memory = max(
        [1024, *(max(j.jobmanager_memory_mb, j.taskmanager_memory_mb) for j in tenant.jobs)]
    )
    return {
        "type": "Container",
        "default": {"cpu": "500m", "memory": "512Mi"},
        "defaultRequest": {"cpu": "500m", "memory": "512Mi"},
        "max": {"cpu": f"{round(cpu * 1000)}m", "memory": f"{memory}Mi"},
    }


def network_policy_spec(spec: CellSpec) -> dict[str, Any]:
    """Allowed traffic of a tenant's Flink pods: each other, the operator, DNS, the cell's MSK
    brokers, and HTTPS (S3, STS, the Kubernetes API for HA) except the instance metadata."""
    return {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {"from": [{"podSelector": {}}]},
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": OPERATOR_NAMESPACE}
                        }
                    }
                ],
                "ports": [{"protocol": "TCP", "port": JOB_REST_PORT}],
            },
        ],
        "egress": [
            {"to": [{"podSelector": {}}]},
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        },
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            },
            {
                "to": [{"ipBlock": {"cidr": spec.vpc_cidr}}],
                "ports": [{"protocol": "TCP", "port": MSK_IAM_PORT}],
            },
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [INSTANCE_METADATA]}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            },
        ],
    }


class TenantNamespace(pulumi.ComponentResource):
    """A tenant's namespace in one cell: identity, quota, network isolation, and its jobs."""

    def __init__(
        self, name: str, args: TenantNamespaceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:flink:TenantNamespace", name, None, opts)
        tenant = args.tenant
        names = tenant.names
        child = pulumi.ResourceOptions(parent=self)
        labels = {
            CELL_LABEL: args.spec.cell,
            TENANT_LABEL: tenant.id,
            "flink-cells.io/tier": tenant.tier,
        }
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": names.namespace,
                "labels": {
                    **labels,
                    "pod-security.kubernetes.io/enforce": POD_SECURITY_LEVEL,
                    "pod-security.kubernetes.io/audit": POD_SECURITY_LEVEL,
                    "pod-security.kubernetes.io/warn": POD_SECURITY_LEVEL,
                },
            },
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        def metadata(object_name: str) -> dict[str, Any]:
            return {"name": object_name, "namespace": names.namespace, "labels": labels}

        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                **metadata(names.service_account),
                "annotations": {"eks.amazonaws.com/role-arn": args.role_arn},
            },
            opts=in_namespace,
        )
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=metadata("flink-jobs"),
            spec={"hard": namespace_quota(tenant)},
            opts=in_namespace,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=metadata("flink-containers"),
            spec={"limits": [container_limits(tenant)]},
            opts=in_namespace,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=metadata("default-deny"),
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            opts=in_namespace,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-flink-traffic",
            metadata=metadata("flink-traffic"),
            spec=network_policy_spec(args.spec),
            opts=in_namespace,
        )
        jobs_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.service_account])
        self.jobs = {
            job.id: FlinkJob(f"{name}-job-{job.id}", FlinkJobArgs(args, job), opts=jobs_opts)
            for job in tenant.jobs
        }
        self.register_outputs({"namespace": names.namespace, "jobs": sorted(self.jobs)})


@dataclass(frozen=True)
class FlinkJobArgs:
    tenant: TenantNamespaceArgs
    job: JobSpec


class FlinkJob(pulumi.ComponentResource):
    """One job: its FlinkDeployment and the disruption budget of its JobManager."""

    def __init__(
        self, name: str, args: FlinkJobArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("flinkcells:flink:FlinkJob", name, None, opts)
        job, tenant, spec = args.job, args.tenant.tenant, args.tenant.spec
        servers = pulumi.Output.from_input(args.tenant.bootstrap_servers)

        def rendered(part: str) -> pulumi.Output[Any]:
            # One apply per part, straight from the servers (not a third Output holding both):
            # each Output is a task the runtime waits for at the end of the program.
            return servers.apply(
                lambda bootstrap: flink_deployment(
                    job,
                    tenant,
                    spec.names.checkpoint_bucket,
                    bootstrap,
                    spec.sink_transaction_timeout_ms,
                    spec.recovery,
                )[part]
            )

        self.deployment = k8s.apiextensions.CustomResource(
            f"{name}-deployment",
            api_version=API_VERSION,
            kind=KIND,
            metadata=rendered("metadata"),
            spec=rendered("spec"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One JobManager may be drained at a time; a lone one (batch tier) may go, and
        # Kubernetes HA restarts the job from its last checkpoint.
        budget = {"minAvailable": 1} if job.jobmanager_replicas > 1 else {"maxUnavailable": 1}
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-jobmanager-budget",
            metadata={
                "name": f"{job.id}-jobmanager",
                "namespace": tenant.names.namespace,
                "labels": {CELL_LABEL: spec.cell, TENANT_LABEL: tenant.id},
            },
            spec={
                **budget,
                "selector": {"matchLabels": {"app": job.id, "component": "jobmanager"}},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"deployment": job.id})
