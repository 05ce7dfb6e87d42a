"""A tenant's Kubernetes: its namespace guarded (quota, default-deny network, restricted Pod
Security), its traffic bounded, its jobs in its own namespace with restricted pods and a
JobManager disruption budget. Tenant namespaces are `tenant-<tenant>` (cells/aws_names.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.core import Report, Resource, Stack, as_list, stack_rule
from policies.identity import tenant_of_namespace
from policies.rules.flink import DEPLOYMENT

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"
ENFORCE = "pod-security.kubernetes.io/enforce"
SERVICE_ACCOUNT = "flink"
QUOTA_KEYS = ("pods", "limits.cpu", "limits.memory")
OPEN = ("0.0.0.0/0", "::/0")
INSTANCE_METADATA = "169.254.169.254/32"


def _meta(resource: Resource, key: str) -> Any:
    return (resource.props.get("metadata") or {}).get(key)


def tenant_namespaces(stack: Stack) -> dict[str, str]:
    """Namespace -> tenant, for every tenant namespace the stack creates or deploys into."""
    names = [_meta(n, "name") for n in stack.of_type(NAMESPACE)]
    names += [_meta(d, "namespace") for d in stack.of_type(DEPLOYMENT)]
    return {str(n): t for n in names if (t := tenant_of_namespace(n))}


def _in(stack: Stack, type_: str, namespace: str) -> list[Resource]:
    return [r for r in stack.of_type(type_) if _meta(r, "namespace") == namespace]


def _default_deny(policy: Resource) -> bool:
    spec = policy.props.get("spec") or {}
    return (
        spec.get("podSelector") in ({}, None)
        and {"Ingress", "Egress"} <= set(as_list(spec.get("policyTypes")))
        and not spec.get("ingress")
        and not spec.get("egress")
    )


@stack_rule(
    "SEC-K8S-1",
    "tenant-namespace-guarded",
    "Every tenant namespace has a ResourceQuota (pods, CPU, memory), a default-deny "
    "NetworkPolicy for ingress and egress, and enforces the restricted Pod Security level.",
    "high",
    "Keep the TenantNamespace component's quota, default-deny policy and "
    "pod-security.kubernetes.io/enforce: restricted label.",
)
def namespace_guarded(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    namespaces = {_meta(n, "name"): n for n in stack.of_type(NAMESPACE)}
    for name, tenant in sorted(tenant_namespaces(stack).items()):
        subject = namespaces.get(name) or next(
            d for d in stack.of_type(DEPLOYMENT) if _meta(d, "namespace") == name
        )
        quotas = _in(stack, QUOTA, name)
        hard = {k for q in quotas for k in ((q.props.get("spec") or {}).get("hard") or {})}
        missing = [k for k in QUOTA_KEYS if k not in hard]
        if missing:
            report(
                f"namespace {name} of tenant {tenant} has no quota on {', '.join(missing)}", subject
            )
        if not any(_default_deny(p) for p in _in(stack, NETWORK_POLICY, name)):
            report(
                f"namespace {name} of tenant {tenant} has no default-deny NetworkPolicy", subject
            )
        level = ((_meta(subject, "labels") or {}) if subject.type == NAMESPACE else {}).get(ENFORCE)
        if level != "restricted":
            report(
                f"namespace {name} of tenant {tenant} enforces Pod Security {level or 'nothing'}, "
                "not restricted",
                subject,
            )


def _peers_problems(rule: Mapping[str, Any], direction: str) -> Iterator[str]:
    peers = rule.get("to" if direction == "egress" else "from")
    if not peers:
        yield f"{direction} to or from anywhere"
        return
    for peer in peers:
        block = peer.get("ipBlock") or {}
        if peer.get("namespaceSelector") == {} and "podSelector" not in peer:
            yield f"{direction} with every namespace"
        if block.get("cidr") in OPEN:
            if direction == "ingress":
                yield "ingress from the internet"
                continue
            ports = [p.get("port") for p in rule.get("ports") or []]
            if ports != [443]:
                yield f"egress to the internet on ports {ports or 'all'}"
            if INSTANCE_METADATA not in as_list(block.get("except")):
                yield "egress to the instance metadata endpoint"


@stack_rule(
    "SEC-K8S-2",
    "tenant-traffic-bounded",
    "No NetworkPolicy of a tenant namespace admits traffic from anywhere, opens egress to the "
    "internet beyond HTTPS, or reaches the instance metadata endpoint.",
    "high",
    "Allow only the namespace itself, the operator, DNS, the cell's MSK brokers and HTTPS "
    "except 169.254.169.254/32.",
)
def traffic_bounded(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    tenants = tenant_namespaces(stack)
    for policy in stack.of_type(NETWORK_POLICY):
        if _meta(policy, "namespace") not in tenants:
            continue
        spec = policy.props.get("spec") or {}
        problems = [
            problem
            for direction in ("ingress", "egress")
            for rule in spec.get(direction) or []
            for problem in _peers_problems(rule, direction)
        ]
        if problems:
            report(f"{policy.name}: allows {'; '.join(dict.fromkeys(problems))}", policy)


@stack_rule(
    "SEC-K8S-3",
    "flink-deployment-in-its-tenant-namespace",
    "A FlinkDeployment runs in the namespace of the tenant it belongs to (its tenant label), as "
    "that namespace's flink service account: another namespace would lend it another tenant's "
    "role.",
    "critical",
    "Deploy the job into tenant-<its tenant> with serviceAccount flink.",
)
def in_tenant_namespace(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for deployment in stack.of_type(DEPLOYMENT):
        namespace = _meta(deployment, "namespace")
        owner = tenant_of_namespace(namespace)
        labelled = (_meta(deployment, "labels") or {}).get("flink-cells.io/tenant")
        if owner is None or labelled != owner:
            report(
                f"{deployment.name}: tenant {labelled or 'unlabelled'} runs in namespace "
                f"{namespace}, which is not its own",
                deployment,
            )
        account = (deployment.props.get("spec") or {}).get("serviceAccount")
        if account != SERVICE_ACCOUNT:
            report(f"{deployment.name}: runs as service account {account}, not flink", deployment)


def _merged(*templates: Any) -> dict[str, Any]:
    """Pod templates merged as the operator does: later ones win, containers by name."""
    pod: dict[str, Any] = {}
    containers: dict[str, dict[str, Any]] = {}
    for template in templates:
        spec = (template or {}).get("spec") or {}
        pod.update(spec.get("securityContext") or {})
        for container in spec.get("containers") or []:
            name = container.get("name", "")
            merged = containers.setdefault(name, {})
            merged.update(container.get("securityContext") or {})
    return {"pod": pod, "containers": containers}


def _restricted_problems(effective: Mapping[str, Any]) -> list[str]:
    pod, containers = effective["pod"], effective["containers"]
    problems = []
    main = containers.get("flink-main-container", {})
    if not (pod.get("runAsNonRoot") is True or main.get("runAsNonRoot") is True):
        problems.append("may run as root")
    if pod.get("runAsUser") == 0 or main.get("runAsUser") == 0:
        problems.append("runs as user 0")
    seccomp = (main.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        problems.append(f"seccomp {seccomp or 'unset'}")
    if main.get("allowPrivilegeEscalation") is not False:
        problems.append("allows privilege escalation")
    if "ALL" not in as_list((main.get("capabilities") or {}).get("drop")):
        problems.append("keeps Linux capabilities")
    if main.get("privileged") is True:
        problems.append("is privileged")
    return problems


@stack_rule(
    "SEC-K8S-4",
    "flink-pods-restricted",
    "JobManager and TaskManager pods meet the restricted Pod Security level: non-root, "
    "RuntimeDefault seccomp, no privilege escalation, all capabilities dropped.",
    "high",
    "Set the pod and flink-main-container securityContext in spec.podTemplate.",
)
def pods_restricted(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for deployment in stack.of_type(DEPLOYMENT):
        spec = deployment.props.get("spec") or {}
        for component in ("jobManager", "taskManager"):
            effective = _merged(
                spec.get("podTemplate"), (spec.get(component) or {}).get("podTemplate")
            )
            problems = _restricted_problems(effective)
            if problems:
                report(f"{deployment.name}: the {component} pod {', '.join(problems)}", deployment)


@stack_rule(
    "DUR-K8S-1",
    "jobmanager-disruption-budget",
    "Every FlinkDeployment's JobManager has a PodDisruptionBudget in its namespace that keeps "
    "one JobManager up whenever it runs more than one.",
    "high",
    "Keep the FlinkJob component's PodDisruptionBudget (minAvailable 1 with two JobManagers).",
)
def disruption_budget(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for deployment in stack.of_type(DEPLOYMENT):
        name, namespace = _meta(deployment, "name"), _meta(deployment, "namespace")
        wanted = {"app": name, "component": "jobmanager"}
        budgets = [
            (b.props.get("spec") or {})
            for b in _in(stack, BUDGET, namespace)
            if ((b.props.get("spec") or {}).get("selector") or {}).get("matchLabels") == wanted
        ]
        replicas = int(
            (deployment.props.get("spec") or {}).get("jobManager", {}).get("replicas") or 1
        )
        if not budgets:
            report(f"{deployment.name}: no disruption budget selects its JobManager", deployment)
            continue
        if replicas > 1 and not any(
            (str(b.get("minAvailable", "0")).isdigit() and int(b.get("minAvailable", 0)) >= 1)
            or (str(b.get("maxUnavailable", "")).isdigit() and int(b["maxUnavailable"]) < replicas)
            for b in budgets
        ):
            report(
                f"{deployment.name}: its budget lets a drain take all {replicas} JobManagers",
                deployment,
            )


DURABILITY = [disruption_budget]
SECURITY = [namespace_guarded, traffic_bounded, in_tenant_namespace, pods_restricted]
