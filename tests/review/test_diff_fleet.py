"""`cellctl diff` on real fleet changes: each danger class from a change that causes it alone,
harmless changes with none, and the day-to-day operations (add, drain, remove, rename)."""

from __future__ import annotations

from review.dangers import (
    DR_PARTNER,
    FLEET_RENAME,
    JOB_LEAVES,
    JOB_STATE,
    POLICY,
    STATEFUL,
    TOPIC_DATA,
)
from review.review import ADDED, CHANGED, REMOVED, UNCHANGED
from tests.review.conftest import classes

FRAUD = "fraud-signals"


def ops(review, stack):
    counts = next(s for s in review.stacks if s.stack == stack).counts
    return {op: n for op, n in counts.items() if n and op != "same"}


def test_unchanged_fleet_has_no_changes_and_plans_each_stack_once(git_project):
    review = git_project.review("use1-a", "usw2-a")
    assert review.dangers == []
    assert [s.status for s in review.stacks] == [UNCHANGED, UNCHANGED]
    assert all(s.inputs_unchanged for s in review.stacks)


def test_harmless_changes_have_no_danger(git_project):
    def change(data):
        next(c for c in data["cells"] if c["id"] == "use1-a")["wave"] = 3  # every tag value
        job = next(j for j in git_project.tenant(data, FRAUD)["jobs"] if j["id"] == "velocity")
        job["args"] = ["--window", "5m"]

    git_project.edit_fleet(change)
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    review = git_project.review("use1-a")
    assert review.dangers == []
    assert set(ops(review, "use1-a")) == {"update"}
    deployment = next(
        s
        for s in review.stacks[0].steps
        if s["urn"].endswith(
            "FlinkDeployment::use1-a-flink-tenant-fraud-signals-job-velocity-deployment"
        )
    )
    assert "spec.job.args" in " ".join(deployment["detailedDiff"])


def test_new_tenant_only_creates(git_project):
    def change(data):
        data["tenants"].append(
            {
                "id": "refunds",
                "home_region": "us-east-1",
                "tier": "standard",
                "shard_size": 2,
                "topics": [{"name": "issued", "partitions": 6, "retention_hours": 24}],
                "jobs": [
                    {
                        "id": "issuer",
                        "jar_uri": "local:///opt/flink/usrlib/i.jar",
                        "parallelism": 2,
                        "capacity_units": 1,
                        "rpo_seconds": 60,
                    }
                ],
            }
        )

    git_project.edit_fleet(change)
    assert git_project.cellctl("shard").exit_code == 0
    lock = (git_project.root / "cells" / "fleet.lock.yaml").read_text()
    cell = lock.split("refunds:")[1].split("cells: [")[1].split(",")[0].strip("] \n")
    review = git_project.review(cell)
    assert review.dangers == []
    assert set(ops(review, cell)) <= {"create", "update"}
    assert ops(review, cell)["create"] >= 5


def test_topic_removed_is_a_stateful_danger(git_project):
    git_project.edit_fleet(lambda data: git_project.tenant(data, FRAUD)["topics"].pop(0))
    review = git_project.review("use1-a")
    assert classes(review) == {STATEFUL}
    (danger,) = review.dangers
    assert "fraud-signals.card-auths" in danger.summary
    assert "protected" in danger.summary


def test_topic_partitions_shrink_is_data_loss_and_growth_is_an_update(git_project):
    git_project.edit_fleet(
        lambda data: git_project.tenant(data, FRAUD)["topics"][0].update(partitions=24)
    )
    shrink = git_project.review("use1-a")
    assert [d.danger_class for d in shrink.dangers] == [TOPIC_DATA]
    assert "48 → 24" in shrink.dangers[0].summary
    git_project.edit_fleet(
        lambda data: git_project.tenant(data, FRAUD)["topics"][0].update(partitions=96)
    )
    grow = git_project.review("use1-a")
    assert grow.dangers == []
    assert ops(grow, "use1-a") == {"update": 1}


def test_job_deleted_leaves_the_cell(git_project):
    git_project.edit_fleet(
        lambda data: git_project.tenant(data, FRAUD)["jobs"].pop(1)  # velocity, on use1-a
    )
    assert git_project.cellctl("shard").exit_code == 0
    review = git_project.review("use1-a")
    assert [d.danger_class for d in review.dangers] == [JOB_LEAVES]
    assert "fraud-signals/velocity" in review.dangers[0].summary


def test_state_backend_and_parallelism_beyond_max_cannot_restore(git_project):
    def change(data):
        job = next(j for j in git_project.tenant(data, FRAUD)["jobs"] if j["id"] == "velocity")
        job["state_size"] = "large" if job.get("state_size") != "large" else "small"
        job["parallelism"] = 136  # its max parallelism, from 24 at first start, is 128
        job["taskmanager"] = {"cpu": 1, "memory_mb": 2048, "slots": 8}

    git_project.edit_fleet(change)
    review = git_project.review("use1-a")
    assert [d.danger_class for d in review.dangers] == [JOB_STATE]
    assert "state backend" in review.dangers[0].summary
    assert "max parallelism 128" in review.dangers[0].summary


def test_unprotected_production_is_a_new_policy_violation(git_project):
    git_project.edit_fleet(lambda data: data["fleet"].update(production=False))
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    review = git_project.review("use1-a")
    assert classes(review) == {POLICY}
    assert all("stateful-resources-protected" in d.summary for d in review.dangers)


def test_fleet_rename_names_the_rename_and_every_replaced_store(git_project):
    git_project.edit_fleet(lambda data: data["fleet"].update(name="payments2"))
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    review = git_project.review("use1-a")
    # The new EKS cluster is another Kubernetes target: pulumi-kubernetes replaces every object
    # of the cell, its jobs included.
    assert classes(review) == {FLEET_RENAME, STATEFUL, JOB_LEAVES}
    replaced = " ".join(d.summary for d in review.dangers if d.danger_class == STATEFUL)
    assert "payments-use1-a-checkpoints" in replaced
    assert all("replacing" in d.summary for d in review.dangers if d.danger_class == STATEFUL)
    jobs = [d for d in review.dangers if d.danger_class == JOB_LEAVES]
    assert jobs and all("`provider`" in d.summary for d in jobs)


def test_dr_partner_change_replaces_the_replicas(git_project):
    def change(data):
        next(r for r in data["regions"] if r["name"] == "us-east-1")["dr_partner"] = "eu-west-1"

    git_project.edit_fleet(change)
    review = git_project.review("use1-a")
    assert classes(review) == {DR_PARTNER, STATEFUL}
    stores = [d.summary for d in review.dangers if d.danger_class == STATEFUL]
    assert any("checkpoints-dr" in s and "`region`" in s for s in stores)


def test_removing_a_tenant_reports_everything_it_loses(git_project):
    git_project.edit_fleet(lambda data: data["tenants"].remove(git_project.tenant(data, FRAUD)))
    assert git_project.cellctl("shard").exit_code == 0
    review = git_project.review("use1-a")
    summaries = " ".join(d.summary for d in review.dangers)
    assert classes(review) == {STATEFUL, JOB_LEAVES}
    assert "tenant namespace `tenant-fraud-signals`" in summaries
    assert "fraud-signals.card-auths" in summaries
    assert "fraud-signals/velocity" in summaries


def suspended_jobs(review, stack):
    changes = next(s for s in review.stacks if s.stack == stack).changed_steps
    return [
        s["urn"].rsplit("::", 1)[-1]
        for s in changes
        if s["type"].endswith("FlinkDeployment") and "spec.job.state" in s.get("detailedDiff", {})
    ]


def test_adding_a_cell_with_rebalance_moves_jobs_through_a_savepoint(git_project):
    def change(data):
        data["cells"].append({"id": "use1-e", "region": "us-east-1", "size": "medium", "wave": 2})

    git_project.edit_fleet(change)
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    assert git_project.cellctl("shard", "--rebalance").exit_code == 0
    review = git_project.review()
    status = {s.stack: s.status for s in review.stacks}
    assert status["use1-e"] == ADDED
    assert ops(review, "use1-e").keys() == {"create"}
    # A job leaving a cell is first suspended there with a savepoint (`cellctl state move` copies
    # it on): nothing is deleted, so nothing is lost and nothing is a danger yet.
    losers = {s for s, st in status.items() if st == CHANGED}
    assert losers
    assert all(ops(review, s).keys() <= {"create", "update"} for s in losers)
    assert any(suspended_jobs(review, s) for s in losers)
    assert review.dangers == []
    assert all(s.inputs_unchanged for s in review.stacks if s.status == UNCHANGED)


def test_draining_a_cell_suspends_its_jobs(git_project):
    git_project.edit_fleet(
        lambda data: next(c for c in data["cells"] if c["id"] == "use1-d").update(state="draining")
    )
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    assert git_project.cellctl("shard", "--drain", "use1-d").exit_code == 0
    drained = git_project.review("use1-d")
    assert drained.dangers == []
    assert len(suspended_jobs(drained, "use1-d")) == 2


def test_a_cell_that_leaves_the_fleet_loses_every_store(git_project):
    def add(data):
        data["cells"].append({"id": "use1-e", "region": "us-east-1", "size": "medium", "wave": 2})

    git_project.edit_fleet(add)
    assert git_project.cellctl("stacks", "sync").exit_code == 0
    git_project.commit("empty cell")
    git_project.edit_fleet(
        lambda data: data["cells"].remove(next(c for c in data["cells"] if c["id"] == "use1-e"))
    )
    git_project.cellctl("stacks", "sync")  # exits 1: the orphaned stack file is kept
    removed = git_project.review("use1-e")
    assert [s.status for s in removed.stacks] == [REMOVED]
    assert ops(removed, "use1-e").keys() == {"delete"}
    assert classes(removed) == {STATEFUL}
    lost = " ".join(d.summary for d in removed.dangers)
    for store in ("bucket `payments-use1-e-checkpoints`", "MSK cluster", "EKS cluster", "KMS key"):
        assert store in lost
