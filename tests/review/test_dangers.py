"""Danger classes read from preview steps: each change produces exactly its danger, or none."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review import Danger, dangers_from_preview_steps
from review.dangers import (
    FLINK_DEPLOYMENT,
    JOB_LEAVES,
    JOB_STATE,
    MSK_TOPIC,
    NAMESPACE,
    PROTECTED,
    STATEFUL,
    TOPIC_DATA,
    max_parallelism,
)
from tests.review.steps import STACK, flink, step

BUCKET = "aws:s3/bucket:Bucket"
TOPIC = {"name": "fraud.events", "partitionCount": 12, "replicationFactor": 3}


def classes(dangers: list[Danger]) -> list[str]:
    return [d.danger_class for d in dangers]


def test_deleted_bucket_is_a_stateful_danger_naming_the_bucket_and_protection():
    steps = [step("delete", BUCKET, "ckpt", old={"bucket": "pay-use1-a-checkpoints"}, protect=True)]
    (danger,) = dangers_from_preview_steps(STACK, steps)
    assert danger.danger_class == STATEFUL
    assert danger.stack == STACK
    assert "pay-use1-a-checkpoints" in danger.summary
    assert "protected" in danger.summary
    assert danger.urn == steps[0]["urn"]


def test_replacement_steps_of_one_resource_give_one_danger_with_its_reasons():
    old, new = {"bucket": "a"}, {"bucket": "b"}
    steps = [
        step("create-replacement", BUCKET, "ckpt", old=old, new=new),
        step("replace", BUCKET, "ckpt", old=old, new=new, replaceReasons=["bucket"]),
        step("delete-replaced", BUCKET, "ckpt", old=old),
    ]
    (danger,) = dangers_from_preview_steps(STACK, steps)
    assert danger.danger_class == STATEFUL
    assert "`bucket`" in danger.summary


@pytest.mark.parametrize(
    ("type_", "inputs"),
    [
        ("aws:kms/key:Key", {}),
        ("aws:msk/cluster:Cluster", {"clusterName": "pay-use1-a"}),
        (MSK_TOPIC, TOPIC),
        ("aws:eks/cluster:Cluster", {"name": "pay-use1-a"}),
        (NAMESPACE, {"metadata": {"name": "tenant-fraud"}}),
    ],
)
def test_every_stateful_type_deleted_is_a_danger(type_, inputs):
    assert classes(dangers_from_preview_steps(STACK, [step("delete", type_, "x", old=inputs)])) == [
        STATEFUL
    ]


def test_operator_namespace_is_not_tenant_state():
    steps = [step("delete", NAMESPACE, "op", old={"metadata": {"name": "flink-operator"}})]
    assert dangers_from_preview_steps(STACK, steps) == []


def test_protected_stateless_resource_deleted_is_a_protected_danger():
    steps = [step("delete", "aws:iam/role:Role", "role", old={"name": "r"}, protect=True)]
    assert classes(dangers_from_preview_steps(STACK, steps)) == [PROTECTED]


@pytest.mark.parametrize("op", ["create", "update", "same"])
def test_harmless_ops_on_stateful_resources_are_no_danger(op):
    steps = [step(op, BUCKET, "ckpt", old={"bucket": "a"}, new={"bucket": "a", "tags": {"x": "1"}})]
    assert dangers_from_preview_steps(STACK, steps) == []


def test_job_deleted_leaves_the_cell():
    steps = [step("delete", FLINK_DEPLOYMENT, "scorer", old=flink())]
    (danger,) = dangers_from_preview_steps(STACK, steps)
    assert danger.danger_class == JOB_LEAVES
    assert "tenant-fraud/scorer" in danger.summary


@pytest.mark.parametrize(
    ("new", "phrase"),
    [
        (flink(upgrade_mode="stateless"), "upgrade mode"),
        (flink(backend="rocksdb"), "state backend"),
        (flink(parallelism=129), "max parallelism 128"),
        (flink(parallelism=40, **{"pipeline.max-parallelism": "32"}), "max parallelism 32"),
    ],
)
def test_job_changes_that_cannot_restore_state(new, phrase):
    old = flink(
        **{
            k: v
            for k, v in new["spec"]["flinkConfiguration"].items()
            if k == "pipeline.max-parallelism"
        }
    )
    steps = [step("update", FLINK_DEPLOYMENT, "scorer", old=old, new=new)]
    (danger,) = dangers_from_preview_steps(STACK, steps)
    assert danger.danger_class == JOB_STATE
    assert phrase in danger.summary


@pytest.mark.parametrize(
    "new",
    [flink(upgrade_mode="last-state"), flink(parallelism=128), flink(parallelism=2)],
)
def test_job_changes_that_keep_state_are_no_danger(new):
    steps = [step("update", FLINK_DEPLOYMENT, "scorer", old=flink(), new=new)]
    assert dangers_from_preview_steps(STACK, steps) == []


@pytest.mark.parametrize(
    ("change", "danger"),
    [
        ({"partitionCount": 6}, [TOPIC_DATA]),
        ({"replicationFactor": 4}, [TOPIC_DATA]),
        ({"partitionCount": 24}, []),
        ({"configs": '{"retention.ms": "1"}'}, []),
    ],
)
def test_topic_changes(change, danger):
    for op in ("update", "replace"):
        steps = [step(op, MSK_TOPIC, "t", old=TOPIC, new={**TOPIC, **change})]
        found = classes(dangers_from_preview_steps(STACK, steps))
        # A replacement for any other reason still deletes the topic's records.
        assert found == (danger or ([STATEFUL] if op == "replace" else []))


@given(parallelism=st.integers(min_value=1, max_value=100_000))
def test_default_max_parallelism_matches_flink(parallelism):
    limit = max_parallelism({"parallelism": parallelism}, {})
    assert limit is not None
    assert 128 <= limit <= 32768
    assert limit & (limit - 1) == 0  # a power of two
    if 128 < limit < 32768:
        # Flink: roundUpToPowerOfTwo(p + p / 2) in integer arithmetic (p = 171 gives 256).
        assert limit >= parallelism + parallelism // 2 > limit / 2


def test_ids_are_stable_and_distinct_per_stack_and_resource():
    def ids(stack: str, name: str) -> list[str]:
        steps = [step("delete", BUCKET, name, old={"bucket": name})]
        return [d.id for d in dangers_from_preview_steps(stack, steps)]

    assert ids("use1-a", "a") == ids("use1-a", "a")
    assert ids("use1-a", "a") != ids("use1-b", "a")
    assert ids("use1-a", "a") != ids("use1-a", "b")
    assert ids("use1-a", "a")[0].startswith(f"{STATEFUL}/use1-a/")


def test_a_job_deleted_in_one_cell_and_created_in_another_is_a_move():
    from review.fleet_dangers import job_moves

    leaving = [step("delete", FLINK_DEPLOYMENT, "scorer", old=flink())]
    arriving = [step("create", FLINK_DEPLOYMENT, "scorer", new=flink())]
    dangers = dangers_from_preview_steps(STACK, leaving)
    (moved,) = job_moves(dangers, {STACK: leaving, "use1-b": arriving})
    assert moved.id == dangers[0].id
    assert "moves from cell use1-a to use1-b" in moved.summary
    (stays,) = job_moves(dangers, {STACK: leaving})
    assert "leaves cell use1-a" in stays.summary
