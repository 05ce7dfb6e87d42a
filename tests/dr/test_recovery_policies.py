"""The rules only recovery stacks must hold, each proven by a mutation it catches; ordinary cell
stacks are not their business."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from dr.drill import DrillReport
from policies.offline import evaluate, load_config
from policies.waivers import Waivers

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
RECOVERY_RULES = {
    "recovery-restores-from-lost-cell-replica",
    "recovery-restore-never-claims",
    "recovery-adopts-never-manages",
}
Plan = dict[str, Any]


def _deployment(plan: Plan) -> dict[str, Any]:
    return next(r for r in plan["resources"] if r["type"] == DEPLOYMENT)["inputs"]


def _set_flink(key: str, value: str) -> Callable[[Plan], None]:
    return lambda plan: _deployment(plan)["spec"]["flinkConfiguration"].__setitem__(key, value)


def _restore_from(path: str | None) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        job = _deployment(plan)["spec"]["job"]
        if path is None:
            job.pop("initialSavepointPath")
        else:
            job["initialSavepointPath"] = path

    return mutate


def _own(type_: str, inputs: dict[str, Any], region: str | None = None) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        template = next(r for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket")
        resource = copy.deepcopy(template)
        resource.update(type=type_, name="adopted-by-mistake", urn=template["urn"] + "-mistake")
        resource["inputs"] = {**inputs, "tags": template["inputs"]["tags"]}
        if region:
            resource["region"] = region
        plan["resources"].append(resource)

    return mutate


MUTATIONS: list[tuple[str, Callable[[Plan], None], str]] = [
    ("starts with empty state", _restore_from(None), "recovery-restores-from-lost-cell-replica"),
    ("restores another tenant's savepoint",
     _restore_from("s3://payments-usw2-a-checkpoints-dr/tenants/other/job/savepoints/savepoint-1"),
     "recovery-restores-from-lost-cell-replica"),
    ("restores from another cell's replica",
     _restore_from("s3://payments-usw2-b-checkpoints-dr/tenants/kyc-events/enricher/savepoints/"
                   "savepoint-1"),
     "recovery-restores-from-lost-cell-replica"),
    ("claims the savepoint", _set_flink("execution.state-recovery.claim-mode", "CLAIM"),
     "recovery-restore-never-claims"),
    ("reuses the lost job's transactional ids",
     _set_flink("flinkcells.kafka.sink.transactional-id-prefix", "kyc-events.enricher"),
     "recovery-restore-never-claims"),
    ("creates the replica bucket",
     _own("aws:s3/bucket:Bucket", {"bucket": "payments-usw2-a-checkpoints-dr"}),
     "recovery-adopts-never-manages"),
    ("reconfigures the replica bucket",
     _own("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          {"bucket": "payments-usw2-a-checkpoints-dr"}),
     "recovery-adopts-never-manages"),
    ("manages the standby cluster",
     _own("aws:msk/cluster:Cluster", {"clusterName": "payments-usw2-a-standby"}),
     "recovery-adopts-never-manages"),
    ("creates something in the lost region",
     _own("aws:sqs/queue:Queue", {"name": "anything"}, region="us-west-2"),
     "recovery-adopts-never-manages"),
]  # fmt: skip


@pytest.fixture
def recovery_plan(in_order_drill: DrillReport) -> Plan:
    return copy.deepcopy(next(p for p in in_order_drill.plans if p["stack"] == "usw2-a-recovery"))


def _fired(plan: Plan) -> set[str]:
    return {f.rule.name for f in evaluate(plan, load_config(None), Waivers())}


@pytest.mark.parametrize("in_order_drill", ["us-west-2"], indirect=True)
@pytest.mark.parametrize(
    ("mutation", "rule"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_each_recovery_rule_catches_its_mutation(
    recovery_plan: Plan, mutation: Callable[[Plan], None], rule: str
) -> None:
    assert not _fired(recovery_plan)
    mutation(recovery_plan)
    assert rule in _fired(recovery_plan) & RECOVERY_RULES


def test_recovery_rules_leave_ordinary_cells_alone(example_plans: dict) -> None:
    plan = example_plans["usw2-a"]
    as_plan = {"stack": plan.stack, "resources": plan.resources}
    assert not _fired(as_plan) & RECOVERY_RULES
