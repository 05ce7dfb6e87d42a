"""Recovery stacks of each lost region of the example fleet, planned offline from a drill's lock:
the partner region only, adopted resources read and never created, jobs at their restore points,
tenant roles confined to their own replica prefix, both policy packs clean."""

from __future__ import annotations

import json

from cells.aws_names import cell_names
from cells.disaster import recovery_stack
from cells.loader import load_fleet
from cells.model import KafkaContinuity
from components import outputs
from dr.drill import DrillReport
from policies.offline import blocking
from tests.helpers import EXAMPLE_FLEET, PlannedStack

DEPLOYMENT = "kubernetes:flink.apache.org/v1beta1:FlinkDeployment"
FLEET = load_fleet(EXAMPLE_FLEET)


def _plans(report: DrillReport) -> list[PlannedStack]:
    return [PlannedStack(p["stack"], p["outputs"], p["resources"]) for p in report.plans]


def test_everything_in_order_passes_and_plans_every_cell(in_order_drill: DrillReport) -> None:
    region = FLEET.region(in_order_drill.region)
    assert in_order_drill.passed, in_order_drill.unplanned or in_order_drill.findings
    assert in_order_drill.stacks_planned == sorted(
        recovery_stack(c.id) for c in FLEET.cells_in(region.name)
    )
    assert not blocking(in_order_drill.findings)
    assert in_order_drill.lost_in_flight == 0
    for job in in_order_drill.jobs:
        assert job.restore_point is not None and not job.rejected, job
        assert 0 <= job.rpo_achieved_seconds <= job.dr_rpo_seconds, job


def test_recovery_stacks_live_in_the_partner_region_only(in_order_drill: DrillReport) -> None:
    region = FLEET.region(in_order_drill.region)
    for plan in _plans(in_order_drill):
        providers = plan.of_type("pulumi:providers:aws")
        assert {p["inputs"]["region"] for p in providers} == {region.dr_partner}, plan.stack
        for resource in plan.resources:
            if resource["type"].startswith("aws:"):
                assert resource["region"] == region.dr_partner, resource["urn"]
                if "tags" in resource["inputs"]:
                    assert resource["inputs"]["tags"]["recovers"] == plan.outputs["recovers"]


def test_adopted_resources_are_read_never_created(in_order_drill: DrillReport) -> None:
    region = FLEET.region(in_order_drill.region)
    replicate = region.kafka_continuity == KafkaContinuity.REPLICATE
    for plan in _plans(in_order_drill):
        cell = plan.outputs[outputs.RECOVERS]
        names = cell_names(FLEET.name, cell)
        buckets = {b["inputs"]["bucket"] for b in plan.of_type("aws:s3/bucket:Bucket")}
        assert buckets == {f"{FLEET.name}-{cell}-recovery-checkpoints"}, plan.stack
        assert not plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
        aliases = {a["inputs"]["name"] for a in plan.of_type("aws:kms/alias:Alias")}
        assert names.replica_kms_alias not in aliases
        clusters = {c["inputs"]["clusterName"] for c in plan.of_type("aws:msk/cluster:Cluster")}
        assert names.standby_msk_cluster not in clusters
        # Kafka continuity: adopt the standby, or (pilot light) build a new cluster.
        assert clusters == (set() if replicate else {f"{FLEET.name}-{cell}-recovery"})
        assert not plan.of_type("aws:msk/replicator:Replicator")
        adopted = plan.outputs[outputs.ADOPTED]
        assert adopted["replicaBucketArn"] == f"arn:aws:s3:::{names.replica_bucket}"
        assert f":{region.dr_partner}:" in adopted["replicaKeyArn"]
        assert (adopted["standbyMskClusterArn"] is not None) == replicate
        if replicate:
            assert f":cluster/{names.standby_msk_cluster}/" in adopted["standbyMskClusterArn"]


def test_every_job_starts_at_its_locked_restore_point(in_order_drill: DrillReport) -> None:
    lock = in_order_drill.lock
    assert lock is not None
    region = FLEET.region(in_order_drill.region)
    replicate = region.kafka_continuity == KafkaContinuity.REPLICATE
    for plan in _plans(in_order_drill):
        cell = plan.outputs[outputs.RECOVERS]
        decided = lock.cells[cell]
        deployments = plan.of_type(DEPLOYMENT)
        assert len(deployments) == len(decided.jobs) > 0
        bucket = f"{FLEET.name}-{cell}-recovery-checkpoints"
        for deployment in deployments:
            inputs = deployment["inputs"]
            tenant = inputs["metadata"]["labels"]["flink-cells.io/tenant"]
            job_id = inputs["metadata"]["name"]
            spec, config = inputs["spec"], inputs["spec"]["flinkConfiguration"]
            expected = decided.jobs[f"{tenant}/{job_id}"].restore_point
            assert spec["job"]["initialSavepointPath"] == expected
            assert expected.startswith(
                f"s3://{decided.replica_bucket}/tenants/{tenant}/{job_id}/savepoints/savepoint-"
            )
            assert config["execution.state-recovery.claim-mode"] == "NO_CLAIM"
            assert spec["job"]["allowNonRestoredState"] is True  # Kafka source state, on purpose
            annotations = inputs["metadata"]["annotations"]
            assert "Kafka source operators" in annotations["flink-cells.io/dropped-state"]
            prefix = config["flinkcells.kafka.sink.transactional-id-prefix"]
            assert prefix.startswith(f"{tenant}.{job_id}.recovered-")
            for key in ("execution.checkpointing.dir", "high-availability.storageDir"):
                assert config[key].startswith(f"s3://{bucket}/tenants/{tenant}/{job_id}/")
            servers = config["flinkcells.kafka.bootstrap-servers"]
            assert ("-standby." in servers) == replicate, servers
            assert config["flinkcells.kafka.source.starting-offsets"] == (
                "committed-group-offsets" if replicate else "earliest"
            )


def test_tenant_roles_read_only_their_own_replica_prefix(in_order_drill: DrillReport) -> None:
    for plan in _plans(in_order_drill):
        cell = plan.outputs[outputs.RECOVERS]
        replica = cell_names(FLEET.name, cell).replica_bucket
        for policy in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
            if "-tenant-" not in policy["name"]:
                continue
            tenant = policy["name"].split("-tenant-", 1)[1].removesuffix("-policy")
            statements = json.loads(policy["inputs"]["policy"])["Statement"]
            on_replica = [
                s for s in statements if any(replica in str(r) for r in s["Resource"])
            ]
            assert on_replica, f"{policy['name']} cannot read its restore points"
            for statement in on_replica:
                assert set(statement["Action"]) <= {"s3:GetObject", "s3:ListBucket"}
                for arn in statement["Resource"]:
                    assert arn == f"arn:aws:s3:::{replica}" or arn.startswith(
                        f"arn:aws:s3:::{replica}/tenants/{tenant}/"
                    ), arn
                prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                if prefixes:
                    assert all(p.startswith(f"tenants/{tenant}/") for p in prefixes)
