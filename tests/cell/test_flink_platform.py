"""Each example cell's Flink platform: operator, tenant namespaces, durable FlinkDeployments."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cells.model import Fleet, Tier
from cells.placement import load_placement
from cells.tiers import TIERS
from components import outputs
from components.flink_platform import OPERATOR_VERSION
from offline import plan_stacks
from tests.helpers import EXAMPLE_FLEET, ROOT, PlannedStack, document

CRD = ROOT / "tests" / "vendor" / "flink-kubernetes-operator-1.15.0"
DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"


@cache
def _schema() -> dict[str, Any]:
    crd = yaml.safe_load((CRD / "flinkdeployments.flink.apache.org-v1.yml").read_text())
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta1"]
    return version["schema"]["openAPIV3Schema"]


def _validate(resource: dict[str, Any]) -> None:
    jsonschema.validate(resource, _schema(), cls=jsonschema.Draft4Validator)


def _deployments(plan: PlannedStack) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for resource in plan.of_type(DEPLOYMENT):
        metadata = resource["inputs"]["metadata"]
        found[(metadata["labels"]["flink-cells.io/tenant"], metadata["name"])] = resource
    return found


def _broker_max_ms(plan: PlannedStack) -> int:
    [configuration] = [
        c
        for c in plan.of_type("aws:msk/configuration:Configuration")
        if c["name"] == f"{plan.stack}-kafka-configuration"
    ]
    for line in configuration["inputs"]["serverProperties"].splitlines():
        if line.startswith("transaction.max.timeout.ms="):
            return int(line.split("=", 1)[1])
    raise AssertionError("no transaction.max.timeout.ms")


def _seconds(duration: str) -> int:
    value, unit = duration.split()
    return int(value) * {"s": 1, "min": 60, "h": 3600}[unit]


def test_every_job_runs_where_the_lock_placed_it(
    example_plans: dict[str, PlannedStack], example_fleet: Fleet
) -> None:
    placement = load_placement(example_fleet, EXAMPLE_FLEET)
    for (tenant, job), cell in placement.jobs.items():
        for stack, plan in example_plans.items():
            deployments = _deployments(plan)
            assert ((tenant, job) in deployments) == (stack == cell), (tenant, job, stack)
        resource = _deployments(example_plans[cell])[(tenant, job)]
        assert resource["inputs"]["metadata"]["namespace"] == f"tenant-{tenant}"


def test_every_deployment_keeps_the_durability_promises(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    bucket = cell_plan.outputs[outputs.CHECKPOINT_BUCKET]
    broker_max = _broker_max_ms(cell_plan)
    for (tenant_id, job_id), resource in _deployments(cell_plan).items():
        tenant = example_fleet.tenant(tenant_id)
        job = next(j for j in tenant.jobs if j.id == job_id)
        spec = resource["inputs"]["spec"]
        config = spec["flinkConfiguration"]
        where = f"{cell_plan.stack}/{tenant_id}/{job_id}"
        prefix = f"s3://{bucket}/tenants/{tenant_id}/{job_id}/"
        assert spec["job"]["upgradeMode"] in {"savepoint", "last-state"}, where
        assert spec["job"]["upgradeMode"] == job.upgrade_mode.value
        assert spec["job"]["state"] == "running"
        assert config["execution.checkpointing.mode"] == "EXACTLY_ONCE"
        assert _seconds(config["execution.checkpointing.interval"]) <= job.rpo_seconds / 2
        assert config["execution.checkpointing.externalized-checkpoint-retention"] == (
            "RETAIN_ON_CANCELLATION"
        )
        assert _seconds(config["execution.checkpointing.timeout"]) >= 60
        assert int(config["execution.checkpointing.tolerable-failed-checkpoints"]) >= 1
        assert config["execution.checkpointing.dir"] == prefix + "checkpoints"
        assert config["execution.checkpointing.savepoint-dir"] == prefix + "savepoints"
        assert config["high-availability.type"] == "kubernetes"
        assert config["high-availability.storageDir"] == prefix + "ha"
        # Savepoints follow the DR RPO: one interval plus the 15-minute replication budget.
        dr_rpo = example_fleet.dr_rpo_seconds(tenant, job)
        assert _seconds(config["kubernetes.operator.periodic.savepoint.interval"]) + 900 == (
            dr_rpo
        ), where
        assert resource["inputs"]["metadata"]["annotations"][
            "flink-cells.io/dr-rpo-seconds"
        ] == str(dr_rpo)
        assert config["flinkcells.kafka.sink.transactional-id-prefix"] == f"{tenant_id}.{job_id}"
        assert "initialSavepointPath" not in spec["job"]
        assert spec["job"]["allowNonRestoredState"] is False
        assert int(config["kubernetes.operator.savepoint.history.max.count"]) > 0
        assert config["kubernetes.operator.savepoint.history.max.age"]
        assert config["kubernetes.operator.savepoint.format.type"] == "NATIVE"
        assert config["kubernetes.operator.job.savepoint-on-deletion"] == "true"
        assert "s3.entropy.key" not in config
        assert not any("_entropy_" in v for v in config.values())
        assert config["restart-strategy.type"] == "fixed-delay"
        assert 0 < int(config["restart-strategy.fixed-delay.attempts"]) <= 100
        assert int(config["flinkcells.kafka.sink.transaction-timeout-ms"]) < broker_max
        expected_backend = "rocksdb" if job.state_size.value == "large" else "hashmap"
        assert config["state.backend.type"] == expected_backend
        assert spec["jobManager"]["replicas"] == TIERS[tenant.tier].jobmanager_replicas
        for component, pool in (("jobManager", "jobmanager"), ("taskManager", "taskmanager")):
            pod = spec[component]["podTemplate"]["spec"]
            assert pod["nodeSelector"] == {"flink-cells.io/pool": pool}, where
            assert pod["priorityClassName"] == f"flink-{tenant.tier.value}"
            [spread] = pod["topologySpreadConstraints"]
            assert spread["topologyKey"] == "topology.kubernetes.io/zone"
        assert spec["serviceAccount"] == "flink"


def test_every_deployment_validates_against_the_operator_crd(cell_plan: PlannedStack) -> None:
    for resource in cell_plan.of_type(DEPLOYMENT):
        inputs = resource["inputs"]
        _validate({k: inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")})


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "job", "upgradeMode"), "stateful"),
        (("spec", "flinkVersion"), "v3_0"),
        (("spec", "job", "parallelism"), "many"),
        (("spec", "taskManager", "resource", "cpu"), "two"),
    ],
)
def test_the_crd_schema_rejects_broken_deployments(
    example_plans: dict[str, PlannedStack], path: tuple[str, ...], value: Any
) -> None:
    inputs = example_plans["use1-a"].of_type(DEPLOYMENT)[0]["inputs"]
    broken = json.loads(
        json.dumps({k: inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")})
    )
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)


def test_namespace_quota_matches_the_jobs_in_the_cell(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    placement = load_placement(example_fleet, EXAMPLE_FLEET)
    for quota in cell_plan.of_type("kubernetes:core/v1:ResourceQuota"):
        tenant = example_fleet.tenant(
            quota["inputs"]["metadata"]["labels"]["flink-cells.io/tenant"]
        )
        jobs = [j for j in tenant.jobs if placement.jobs[(tenant.id, j.id)] == cell_plan.stack]
        jm = example_fleet.fleet.flink.jobmanager
        replicas = TIERS[tenant.tier].jobmanager_replicas
        cpu = sum(
            replicas * jm.cpu + -(-j.parallelism // j.taskmanager.slots) * j.taskmanager.cpu
            for j in jobs
        )
        memory = sum(
            replicas * jm.memory_mb
            + -(-j.parallelism // j.taskmanager.slots) * j.taskmanager.memory_mb
            for j in jobs
        )
        room = TIERS[tenant.tier].quota_headroom
        hard = quota["inputs"]["spec"]["hard"]
        assert hard["requests.cpu"] == hard["limits.cpu"] == f"{round(cpu * room * 1000)}m"
        assert hard["requests.memory"] == hard["limits.memory"] == f"{round(memory * room)}Mi"


def test_service_accounts_carry_their_own_tenants_role(cell_plan: PlannedStack) -> None:
    roles = cell_plan.outputs[outputs.TENANT_ROLE_ARNS]
    accounts = cell_plan.of_type("kubernetes:core/v1:ServiceAccount")
    assert len(accounts) == len(roles)
    for account in accounts:
        metadata = account["inputs"]["metadata"]
        tenant = metadata["labels"]["flink-cells.io/tenant"]
        assert metadata["namespace"] == f"tenant-{tenant}" and metadata["name"] == "flink"
        assert metadata["annotations"]["eks.amazonaws.com/role-arn"] == roles[tenant]
        role = cell_plan.named("aws:iam/role:Role", f"{cell_plan.stack}-tenant-{tenant}-role")
        [statement] = document(role, "assumeRolePolicy")["Statement"]
        subjects = [
            v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")
        ]
        assert subjects == [f"system:serviceaccount:tenant-{tenant}:flink"]


def test_kubernetes_resources_target_only_their_own_cells_cluster(cell_plan: PlannedStack) -> None:
    [provider] = cell_plan.of_type("pulumi:providers:kubernetes")
    kubeconfig = json.loads(provider["inputs"]["kubeconfig"])
    [cluster] = kubeconfig["clusters"]
    assert cluster["name"] == cell_plan.outputs[outputs.EKS_CLUSTER_NAME]
    assert cluster["cluster"]["server"] == cell_plan.outputs[outputs.EKS_CLUSTER_ENDPOINT]
    [user] = kubeconfig["users"]
    assert user["user"]["exec"]["args"][:4] == [
        "eks", "get-token", "--cluster-name", cell_plan.outputs[outputs.EKS_CLUSTER_NAME]
    ]  # fmt: skip
    for resource in cell_plan.resources:
        if resource["type"].startswith("kubernetes:"):
            assert resource["provider"] == provider["urn"], resource["urn"]


def test_operator_is_pinned_and_watches_only_tenant_namespaces(cell_plan: PlannedStack) -> None:
    [release] = cell_plan.of_type("kubernetes:helm.sh/v3:Release")
    inputs = release["inputs"]
    assert (inputs["chart"], inputs["version"]) == ("flink-kubernetes-operator", OPERATOR_VERSION)
    assert OPERATOR_VERSION in inputs["repositoryOpts"]["repo"]
    values = inputs["values"]
    assert values["webhook"] == {"create": False}
    namespaces = {
        n["inputs"]["metadata"]["name"]
        for n in cell_plan.of_type("kubernetes:core/v1:Namespace")
        if n["inputs"]["metadata"]["name"].startswith("tenant-")
    }
    assert set(values["watchNamespaces"]) == namespaces


def test_priority_classes_preempt_the_lowest_tier_first(cell_plan: PlannedStack) -> None:
    classes = {
        c["inputs"]["metadata"]["name"]: c["inputs"]["value"]
        for c in cell_plan.of_type("kubernetes:scheduling.k8s.io/v1:PriorityClass")
    }
    assert classes["flink-critical"] > classes["flink-standard"] > classes["flink-batch"] > 0
    assert set(classes) == {f"flink-{t.value}" for t in Tier}


def test_namespaces_deny_by_default_and_allow_only_what_jobs_need(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    cidr = str(example_fleet.region(cell.region).network.cidr)
    policies = cell_plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    by_namespace: dict[str, dict[str, dict]] = {}
    for policy in policies:
        metadata = policy["inputs"]["metadata"]
        named = by_namespace.setdefault(metadata["namespace"], {})
        named[metadata["name"]] = policy["inputs"]["spec"]
    for namespace, named in by_namespace.items():
        assert named["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        egress = named["flink-traffic"]["egress"]
        ports = {(p["protocol"], p["port"]) for rule in egress for p in rule.get("ports", [])}
        assert {("UDP", 53), ("TCP", 9098), ("TCP", 443)} <= ports, namespace
        msk = next(r for r in egress if {"protocol": "TCP", "port": 9098} in r.get("ports", []))
        assert msk["to"] == [{"ipBlock": {"cidr": cidr}}]
        https = next(r for r in egress if {"protocol": "TCP", "port": 443} in r.get("ports", []))
        assert https["to"][0]["ipBlock"]["except"] == ["169.254.169.254/32"]


def test_each_jobmanager_has_a_disruption_budget(cell_plan: PlannedStack) -> None:
    budgets = {
        b["inputs"]["metadata"]["name"]: b["inputs"]["spec"]
        for b in cell_plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    }
    for (_, job), resource in _deployments(cell_plan).items():
        budget = budgets[f"{job}-jobmanager"]
        assert budget["selector"] == {"matchLabels": {"app": job, "component": "jobmanager"}}
        replicas = resource["inputs"]["spec"]["jobManager"]["replicas"]
        assert budget == {
            **budget,
            **({"minAvailable": 1} if replicas > 1 else {"maxUnavailable": 1}),
        }


def test_a_moved_job_moves_its_deployment_and_nothing_else(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "cells", tmp_path / "cells", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    cells = ["use1-a", "use1-b"]

    def plan() -> dict[str, dict[str, dict]]:
        return {
            p["stack"]: {r["urn"]: r for r in p["resources"]}
            for p in plan_stacks(tmp_path, cells, jobs=1)
        }

    before = plan()
    lock_file = tmp_path / "cells" / "fleet.lock.yaml"
    lock = yaml.safe_load(lock_file.read_text())
    assert lock["tenants"]["ledger"]["jobs"]["balancer"] == "use1-a"
    lock["tenants"]["ledger"]["jobs"]["balancer"] = "use1-b"
    lock_file.write_text(yaml.safe_dump(lock))
    after = plan()

    removed = set(before["use1-a"]) - set(after["use1-a"])
    added = set(after["use1-b"]) - set(before["use1-b"])
    job_types = {
        "flinkcells:flink:FlinkJob",
        DEPLOYMENT,
        "kubernetes:policy/v1:PodDisruptionBudget",
    }
    for urns, cell in ((removed, "use1-a"), (added, "use1-b")):
        assert {u.rsplit("::", 1)[0].rsplit("$", 1)[-1] for u in urns} == job_types
        assert all(f"{cell}-flink-tenant-ledger-job-balancer" in u for u in urns)
    assert set(after["use1-a"]) <= set(before["use1-a"])
    assert set(before["use1-b"]) <= set(after["use1-b"])
    for cell in cells:
        changed = {
            urn.rsplit("::", 1)[1]
            for urn in set(before[cell]) & set(after[cell])
            if before[cell][urn]["inputs"] != after[cell][urn]["inputs"]
        }
        # The ledger namespace's quota and limits follow the jobs it holds, and the replica's
        # lifecycle the job's checkpoint prefixes; nothing else.
        assert changed <= {
            f"{cell}-flink-tenant-ledger-quota",
            f"{cell}-flink-tenant-ledger-limits",
            f"{cell}-checkpoints-replica-lifecycle",
        }
        assert f"{cell}-flink-tenant-ledger-quota" in changed
