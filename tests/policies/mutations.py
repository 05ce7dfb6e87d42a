"""One or more ways to break each rule's property in a compliant plan, and the resource named."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.helpers import set_path

Plan = dict[str, Any]


def find(plan: Plan, type_suffix: str, name_suffix: str = "") -> dict[str, Any]:
    found = [
        r
        for r in plan["resources"]
        if r["type"].endswith(type_suffix) and r["name"].endswith(name_suffix)
    ]
    assert found, f"no {type_suffix} named *{name_suffix}"
    return found[0]


def _doc(resource: dict[str, Any], key: str, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(resource["inputs"][key])
    change(document)
    resource["inputs"][key] = json.dumps(document)


def _flink(plan: Plan) -> dict[str, str]:
    return find(plan, ":FlinkDeployment", "balancer-deployment")["inputs"]["spec"][
        "flinkConfiguration"
    ]


def _server_property(key: str, value: str) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        configuration = find(plan, ":Configuration", "kafka-configuration")
        lines = [
            f"{key}={value}" if line.startswith(f"{key}=") else line
            for line in configuration["inputs"]["serverProperties"].splitlines()
        ]
        configuration["inputs"]["serverProperties"] = "\n".join(lines)

    return mutate


def _set(type_suffix: str, name_suffix: str, path: str, value: Any) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        set_path(find(plan, type_suffix, name_suffix)["inputs"], path, value)

    return mutate


def _replication_rule(path: str, value: Any) -> Callable[[Plan], None]:
    return _set(":BucketReplicationConfig", "replication", f"rules.0.{path}", value)


def _drop_abort(plan: Plan) -> None:
    lifecycle = find(plan, ":BucketLifecycleConfiguration", "checkpoints-bucket-lifecycle")
    lifecycle["inputs"]["rules"] = [
        r for r in lifecycle["inputs"]["rules"] if "abortIncompleteMultipartUpload" not in r
    ]


def _replica_in_same_region(plan: Plan) -> None:
    find(plan, "s3/bucket:Bucket", "checkpoints-replica")["region"] = "us-east-1"


def _unprotect(plan: Plan) -> None:
    find(plan, "eks/cluster:Cluster", "compute-cluster")["protect"] = False


def _allow_plaintext(plan: Plan) -> None:
    _doc(
        find(plan, ":BucketPolicy", "checkpoints-bucket-policy"),
        "policy",
        lambda d: d.update(
            Statement=[s for s in d["Statement"] if s["Sid"] != "DenyInsecureTransport"]
        ),
    )


def _replication_statement(statement: dict[str, Any]) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        _doc(
            find(plan, ":RolePolicy", "replication-policy"),
            "policy",
            lambda d: d["Statement"].append(statement),
        )

    return mutate


def _trust_any_account(plan: Plan) -> None:
    def change(document: dict[str, Any]) -> None:
        equals = document["Statement"][0]["Condition"]["StringEquals"]
        for key in equals:
            if key.endswith(":sub"):
                equals[key] = "system:serviceaccount:tenant-ledger:default"

    _doc(find(plan, "iam/role:Role", "tenant-ledger-role"), "assumeRolePolicy", change)


def _reach_other_tenant(plan: Plan) -> None:
    def change(document: dict[str, Any]) -> None:
        for statement in document["Statement"]:
            if statement["Sid"] == "ReadWriteOwnPrefix":
                statement["Resource"] = [
                    r.replace("/tenants/ledger/", "/tenants/payouts/")
                    for r in statement["Resource"]
                ]

    _doc(find(plan, ":RolePolicy", "tenant-ledger-policy"), "policy", change)


def _drop_tag(plan: Plan) -> None:
    del find(plan, ":SecurityGroup", "kafka-brokers")["inputs"]["tags"]["cell"]


def _foreign_reference(plan: Plan) -> None:
    find(plan, ":LogGroup", "kafka-broker-logs")["inputs"]["name"] = (
        "/flink-cells/msk/payments-use1-b"
    )


# (rule name, case, mutation, name of the resource the finding must name)
MUTATIONS: list[tuple[str, str, Callable[[Plan], None], str]] = [
    ("checkpoint-bucket-versioned", "suspended",
     _set(":BucketVersioning", "bucket-versioning", "versioningConfiguration.status", "Suspended"),
     "use1-a-checkpoints-bucket"),
    ("checkpoint-bucket-aborts-multipart-uploads", "rule removed", _drop_abort,
     "use1-a-checkpoints-bucket"),
    ("checkpoint-bucket-keeps-noncurrent-versions", "one day",
     _set(":BucketLifecycleConfiguration", "bucket-lifecycle",
          "rules.1.noncurrentVersionExpiration.noncurrentDays", 1),
     "use1-a-checkpoints-bucket"),
    ("checkpoint-bucket-replicated-to-another-region", "replica in the same region",
     _replica_in_same_region, "use1-a-checkpoints-replication"),
    ("checkpoint-bucket-replicated-to-another-region", "rule disabled",
     _replication_rule("status", "Disabled"), "use1-a-checkpoints-bucket"),
    ("checkpoint-replication-time-control", "no RTC",
     _replication_rule("destination.replicationTime.status", "Disabled"),
     "use1-a-checkpoints-replication"),
    ("checkpoint-replication-time-control", "no metrics",
     _replication_rule("destination.metrics.status", "Disabled"),
     "use1-a-checkpoints-replication"),
    ("checkpoint-replication-includes-kms-objects", "KMS objects skipped",
     _replication_rule("sourceSelectionCriteria.sseKmsEncryptedObjects.status", "Disabled"),
     "use1-a-checkpoints-replication"),
    ("checkpoint-replication-includes-kms-objects", "no replica key",
     _replication_rule("destination.encryptionConfiguration", {}),
     "use1-a-checkpoints-replication"),
    ("checkpoint-replication-keeps-deletes-local", "delete markers replicated",
     _replication_rule("deleteMarkerReplication.status", "Enabled"),
     "use1-a-checkpoints-replication"),
    ("kms-key-rotation", "rotation off",
     _set("kms/key:Key", "checkpoints-replica-key", "enableKeyRotation", False),
     "use1-a-checkpoints-replica-key"),
    ("msk-brokers-span-azs", "two subnets",
     _set("msk/cluster:Cluster", "kafka-cluster", "brokerNodeGroupInfo.clientSubnets",
          ["subnet-0e1a000000000001a", "subnet-0e1a000000000001b"]),
     "use1-a-kafka-cluster"),
    ("msk-configuration-durable", "min ISR 1", _server_property("min.insync.replicas", "1"),
     "use1-a-kafka-configuration"),
    ("msk-configuration-durable", "RF 2", _server_property("default.replication.factor", "2"),
     "use1-a-kafka-configuration"),
    ("msk-configuration-durable", "unclean elections",
     _server_property("unclean.leader.election.enable", "true"), "use1-a-kafka-configuration"),
    ("msk-configuration-durable", "auto-created topics",
     _server_property("auto.create.topics.enable", "true"), "use1-a-kafka-configuration"),
    ("msk-topic-durable", "RF 2", _set(":Topic", "ledger.postings", "replicationFactor", 2),
     "use1-a-kafka-topic-ledger.postings"),
    ("msk-topic-durable", "ISR equals RF",
     _set(":Topic", "ledger.postings", "configs", json.dumps({"min.insync.replicas": "3"})),
     "use1-a-kafka-topic-ledger.postings"),
    ("flink-upgrade-mode-keeps-state", "stateless",
     _set(":FlinkDeployment", "balancer-deployment", "spec.job.upgradeMode", "stateless"),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-checkpointing-exactly-once", "at least once",
     lambda p: _flink(p).update({"execution.checkpointing.mode": "AT_LEAST_ONCE"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-checkpointing-exactly-once", "interval beyond RPO",
     lambda p: _flink(p).update({"execution.checkpointing.interval": "1 h"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-checkpointing-exactly-once", "deleted on cancel",
     lambda p: _flink(p).update(
         {"execution.checkpointing.externalized-checkpoint-retention": "DELETE_ON_CANCELLATION"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-periodic-savepoints", "none",
     lambda p: _flink(p).pop("kubernetes.operator.periodic.savepoint.interval"),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-no-entropy-injection", "entropy key",
     lambda p: _flink(p).update({"s3.entropy.key": "_entropy_"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-state-in-cell-bucket", "shared bucket",
     lambda p: _flink(p).update({"high-availability.storageDir": "s3://shared-ha-bucket/ha"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("flink-kafka-transaction-timeout", "above broker max",
     lambda p: _flink(p).update({"flinkcells.kafka.sink.transaction-timeout-ms": "86400000"}),
     "use1-a-flink-tenant-ledger-job-balancer-deployment"),
    ("stateful-resources-protected", "EKS unprotected", _unprotect, "use1-a-compute-cluster"),
    ("bucket-encrypted-with-customer-key", "AES256",
     _set(":BucketServerSideEncryptionConfiguration", "bucket-encryption",
          "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}),
     "use1-a-checkpoints-bucket"),
    ("bucket-public-access-blocked", "public policy allowed",
     _set(":BucketPublicAccessBlock", "replica-public-access-block", "blockPublicPolicy", False),
     "use1-a-checkpoints-replica"),
    ("bucket-tls-only", "plaintext allowed", _allow_plaintext, "use1-a-checkpoints-bucket"),
    ("msk-encrypted", "plaintext clients",
     _set("msk/cluster:Cluster", "kafka-cluster",
          "encryptionInfo.encryptionInTransit.clientBroker", "TLS_PLAINTEXT"),
     "use1-a-kafka-cluster"),
    ("msk-iam-auth", "unauthenticated",
     _set("msk/cluster:Cluster", "kafka-cluster", "clientAuthentication.unauthenticated", True),
     "use1-a-kafka-cluster"),
    ("eks-private-endpoint", "public endpoint",
     _set("eks/cluster:Cluster", "compute-cluster", "vpcConfig.endpointPublicAccess", True),
     "use1-a-compute-cluster"),
    ("eks-secrets-encrypted", "no secrets encryption",
     _set("eks/cluster:Cluster", "compute-cluster", "encryptionConfig.resources", []),
     "use1-a-compute-cluster"),
    ("eks-nodes-span-azs", "one subnet",
     _set(":NodeGroup", "taskmanager-nodes", "subnetIds", ["subnet-0e1a000000000001a"]),
     "use1-a-compute-taskmanager-nodes"),
    ("launch-template-imdsv2", "IMDSv1",
     _set(":LaunchTemplate", "jobmanager-launch-template", "metadataOptions.httpTokens",
          "optional"),
     "use1-a-compute-jobmanager-launch-template"),
    ("iam-no-wildcard-action", "Action *",
     _replication_statement({"Effect": "Allow", "Action": "*",
                             "Resource": "arn:aws:sqs:us-east-1:111122223333:queue"}),
     "use1-a-checkpoints-replication-policy"),
    ("iam-no-wildcard-resource-on-data", "GetObject on *",
     _replication_statement({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}),
     "use1-a-checkpoints-replication-policy"),
    ("tenant-role-trusts-only-its-service-account", "default service account", _trust_any_account,
     "use1-a-tenant-ledger-role"),
    ("tenant-role-reaches-only-its-own-data", "another tenant's prefix", _reach_other_tenant,
     "use1-a-tenant-ledger-role"),
    ("resources-tagged", "cell tag missing", _drop_tag, "use1-a-kafka-brokers"),
    ("cell-isolation", "another cell's log group", _foreign_reference, "use1-a-kafka-broker-logs"),
]  # fmt: skip
