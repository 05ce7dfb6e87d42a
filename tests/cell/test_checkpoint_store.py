"""The checkpoint store of every example cell: durable, encrypted, private, replicated to DR."""

from __future__ import annotations

from cells.model import Fleet
from components import outputs
from tests.helpers import PlannedStack, allowed, as_list, document

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"


def _buckets(plan: PlannedStack) -> tuple[dict, dict]:
    primary = plan.named(BUCKET, f"{plan.stack}-checkpoints-bucket")
    replica = plan.named(BUCKET, f"{plan.stack}-checkpoints-replica")
    return primary, replica


def test_buckets_are_named_protected_and_in_their_regions(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    dr_region = example_fleet.region(cell.region).dr_partner
    primary, replica = _buckets(cell_plan)
    assert primary["inputs"]["bucket"] == f"payments-{cell.id}-checkpoints"
    assert replica["inputs"]["bucket"] == f"payments-{cell.id}-checkpoints-dr"
    assert primary["region"] == cell.region
    assert replica["region"] == dr_region != cell.region
    for bucket in (primary, replica):
        assert bucket["protect"] and bucket["retainOnDelete"], bucket["urn"]
        assert bucket["inputs"]["forceDestroy"] is False, bucket["urn"]


def test_keys_rotate_and_the_replica_key_lives_in_the_dr_region(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    cell = example_fleet.cell(cell_plan.stack)
    keys = {k["name"]: k for k in cell_plan.of_type(KEY)}
    assert set(keys) == {f"{cell.id}-checkpoints-key", f"{cell.id}-checkpoints-replica-key"}
    assert keys[f"{cell.id}-checkpoints-key"]["region"] == cell.region
    assert (
        keys[f"{cell.id}-checkpoints-replica-key"]["region"]
        == example_fleet.region(cell.region).dr_partner
    )
    assert (
        cell_plan.outputs[outputs.REPLICA_KEY_ARN].split(":")[3]
        == cell_plan.outputs[outputs.DR_REGION]
    )
    for key in keys.values():
        assert key["inputs"]["enableKeyRotation"] is True, key["urn"]
        assert key["protect"], key["urn"]


def test_every_bucket_is_versioned_encrypted_private_and_tls_only(cell_plan: PlannedStack) -> None:
    key_arns = {
        f"{cell_plan.stack}-checkpoints-bucket": cell_plan.outputs[outputs.CELL_KEY_ARN],
        f"{cell_plan.stack}-checkpoints-replica": cell_plan.outputs[outputs.REPLICA_KEY_ARN],
    }
    for bucket in _buckets(cell_plan):
        urn = bucket["urn"]
        [versioning] = cell_plan.attached_to("aws:s3/bucketVersioning:BucketVersioning", urn)
        assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"

        [sse] = cell_plan.attached_to(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            urn,
        )
        [rule] = sse["inputs"]["rules"]
        assert rule["bucketKeyEnabled"] is True
        default = rule["applyServerSideEncryptionByDefault"]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arns[bucket["name"]]}

        [block] = cell_plan.attached_to(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", urn
        )
        for setting in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        ):
            assert block["inputs"][setting] is True, f"{urn}: {setting}"

        [ownership] = cell_plan.attached_to(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls", urn
        )
        assert ownership["inputs"]["rule"]["objectOwnership"] == "BucketOwnerEnforced"

        [policy] = cell_plan.attached_to("aws:s3/bucketPolicy:BucketPolicy", urn)
        statements = as_list(document(policy, "policy")["Statement"])
        insecure = [
            s
            for s in statements
            if s["Effect"] == "Deny"
            and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert insecure and insecure[0]["Principal"] == "*" and insecure[0]["Action"] == "s3:*"


def test_lifecycle_aborts_uploads_and_expires_noncurrent_versions(
    cell_plan: PlannedStack, example_fleet: Fleet
) -> None:
    for bucket in _buckets(cell_plan):
        [lifecycle] = cell_plan.attached_to(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket["urn"]
        )
        rules = {r["id"]: r for r in lifecycle["inputs"]["rules"]}
        abort = rules["abort-incomplete-multipart-uploads"]
        assert abort["status"] == "Enabled"
        assert abort["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
        expire = rules["expire-noncurrent-versions"]
        assert expire["noncurrentVersionExpiration"]["noncurrentDays"] == (
            example_fleet.fleet.noncurrent_version_days
        )
        markers = rules["remove-expired-delete-markers"]
        assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
        if bucket is _buckets(cell_plan)[0]:
            # The primary never expires current objects: checkpoints live as long as Flink
            # keeps them.
            assert [r for r in rules.values() if "days" in r.get("expiration", {})] == []
        versioning_urns = {
            v["urn"]
            for v in cell_plan.attached_to(
                "aws:s3/bucketVersioning:BucketVersioning", bucket["urn"]
            )
        }
        assert versioning_urns <= set(lifecycle["dependencies"])


def test_replication_is_rtc_kms_aware_and_keeps_deletes_local(cell_plan: PlannedStack) -> None:
    primary, replica = _buckets(cell_plan)
    [config] = cell_plan.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert primary["urn"] in config["dependencies"]
    versionings = cell_plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert {v["urn"] for v in versionings} <= set(config["dependencies"])

    role = cell_plan.named("aws:iam/role:Role", f"{cell_plan.stack}-checkpoints-replication-role")
    assert config["inputs"]["role"].endswith(f":role/{role['inputs']['name']}")
    [rule] = config["inputs"]["rules"]
    assert rule["status"] == "Enabled"
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"] == {"status": "Enabled"}
    destination = rule["destination"]
    assert destination["bucket"] == f"arn:aws:s3:::{replica['inputs']['bucket']}"
    assert (
        destination["encryptionConfiguration"]["replicaKmsKeyId"]
        == (cell_plan.outputs[outputs.REPLICA_KEY_ARN])
    )
    assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert destination["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}


def test_replication_role_has_only_what_replication_needs(cell_plan: PlannedStack) -> None:
    primary, replica = _buckets(cell_plan)
    source = f"arn:aws:s3:::{primary['inputs']['bucket']}"
    destination = f"arn:aws:s3:::{replica['inputs']['bucket']}"
    [policy] = [
        p
        for p in cell_plan.of_type("aws:iam/rolePolicy:RolePolicy")
        if p["name"] == f"{cell_plan.stack}-checkpoints-replication-policy"
    ]
    doc = document(policy, "policy")
    assert allowed(doc, "s3:GetObjectVersionForReplication", f"{source}/tenants/a/chk-1/_metadata")
    assert allowed(doc, "s3:ReplicateObject", f"{destination}/tenants/a/chk-1/_metadata")
    assert not allowed(doc, "s3:ReplicateDelete", f"{destination}/x")
    assert not allowed(doc, "s3:PutObject", f"{source}/x")
    assert not allowed(doc, "s3:DeleteObject", f"{destination}/x")
    assert not allowed(doc, "s3:ReplicateObject", f"{source}/x")
    actions = {a for s in as_list(doc["Statement"]) for a in as_list(s["Action"])}
    assert not any(a.endswith("*") for a in actions), actions


def test_the_replica_is_bounded(cell_plan: PlannedStack) -> None:
    """Delete markers are not replicated, so the replica's lifecycle bounds it: all replicated
    state after the savepoint history age plus a margin, each job's checkpoints and HA metadata
    (useless in the DR region) after a day."""
    _, replica = _buckets(cell_plan)
    [lifecycle] = cell_plan.attached_to(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", replica["urn"]
    )
    expiring = {
        r["filter"]["prefix"]: r["expiration"]["days"]
        for r in lifecycle["inputs"]["rules"]
        if "days" in r.get("expiration", {})
    }
    deployments = cell_plan.of_type("kubernetes:flink.apache.org/v1beta1:FlinkDeployment")
    assert expiring.pop("tenants/") == 14
    expected = {
        f"tenants/{d['inputs']['metadata']['labels']['flink-cells.io/tenant']}/"
        f"{d['inputs']['metadata']['name']}/{kind}/": 1
        for d in deployments
        for kind in ("checkpoints", "ha")
    }
    assert expiring == expected
    assert not any("/savepoints/" in prefix for prefix in expiring)
