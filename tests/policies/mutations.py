"""Changes to a compliant plan and the exact set of rules each must fire.

For every rule: the plain break, then the bypasses a careful reviewer would try (other spellings,
other partners, the right kind of thing at the wrong place). Benign changes fire nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.helpers import set_path

Plan = dict[str, Any]
Mutation = Callable[[Plan], None]
ACCOUNT = "111122223333"
FOREIGN_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-1111-2222-3333-444444444444"
OTHER_CELL_BUCKET = "payments-use1-b-checkpoints"


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Mutation
    fires: frozenset[str]
    resource: str | None = None  # a resource some finding must name


def case(name: str, mutate: Mutation, *fires: str, resource: str | None = None) -> Case:
    return Case(name, mutate, frozenset(fires), resource)


def find(plan: Plan, type_suffix: str, name_suffix: str = "") -> dict[str, Any]:
    found = [
        r
        for r in plan["resources"]
        if r["type"].endswith(type_suffix) and r["name"].endswith(name_suffix)
    ]
    assert found, f"no {type_suffix} named *{name_suffix}"
    return found[0]


def _set(type_suffix: str, name_suffix: str, path: str, value: Any) -> Mutation:
    def mutate(plan: Plan) -> None:
        set_path(find(plan, type_suffix, name_suffix)["inputs"], path, value)

    return mutate


def _del(type_suffix: str, name_suffix: str, path: str) -> Mutation:
    def mutate(plan: Plan) -> None:
        *parents, last = path.split(".")
        node = find(plan, type_suffix, name_suffix)["inputs"]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return mutate


def _drop(type_suffix: str, name_suffix: str) -> Mutation:
    def mutate(plan: Plan) -> None:
        plan["resources"].remove(find(plan, type_suffix, name_suffix))

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(plan: Plan) -> None:
        for mutation in mutations:
            mutation(plan)

    return mutate


def _doc(type_suffix: str, name_suffix: str, key: str, change: Callable[[dict], None]) -> Mutation:
    def mutate(plan: Plan) -> None:
        resource = find(plan, type_suffix, name_suffix)
        document = json.loads(resource["inputs"][key])
        change(document)
        resource["inputs"][key] = json.dumps(document)

    return mutate


def _statement(name_suffix: str, sid: str, **changes: Any) -> Mutation:
    """Change one statement (by Sid) of a role policy; None removes a key."""

    def change(document: dict) -> None:
        [statement] = [s for s in document["Statement"] if s.get("Sid") == sid]
        for key, value in changes.items():
            if value is None:
                statement.pop(key, None)
            else:
                statement[key] = value

    return _doc(":RolePolicy", name_suffix, "policy", change)


def _add_statement(type_suffix: str, name_suffix: str, key: str, statement: dict) -> Mutation:
    return _doc(type_suffix, name_suffix, key, lambda d: d["Statement"].append(statement))


def _trust(name_suffix: str, change: Callable[[dict], None]) -> Mutation:
    return _doc(
        "iam/role:Role", name_suffix, "assumeRolePolicy", lambda d: change(d["Statement"][0])
    )


def _flink(job: str, **settings: str | None) -> Mutation:
    def mutate(plan: Plan) -> None:
        config = find(plan, ":FlinkDeployment", f"{job}-deployment")["inputs"]["spec"][
            "flinkConfiguration"
        ]
        for key, value in settings.items():
            key = key.replace("__", "-").replace("_", ".")
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value

    return mutate


def _flink_key(job: str, key: str, value: str | None) -> Mutation:
    def mutate(plan: Plan) -> None:
        config = find(plan, ":FlinkDeployment", f"{job}-deployment")["inputs"]["spec"][
            "flinkConfiguration"
        ]
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value

    return mutate


def _server_property(key: str, value: str | None) -> Mutation:
    def mutate(plan: Plan) -> None:
        configuration = find(plan, ":Configuration", "kafka-configuration")
        lines = [
            line
            for line in configuration["inputs"]["serverProperties"].splitlines()
            if not line.startswith(f"{key}=")
        ]
        if value is not None:
            lines.append(f"{key}={value}")
        configuration["inputs"]["serverProperties"] = "\n".join(lines)

    return mutate


def _lifecycle(bucket: str, rule: dict) -> Mutation:
    def mutate(plan: Plan) -> None:
        find(plan, ":BucketLifecycleConfiguration", f"{bucket}-lifecycle")["inputs"][
            "rules"
        ].append({"status": "Enabled", **rule})

    return mutate


def _replication_rule(path: str, value: Any) -> Mutation:
    return _set(":BucketReplicationConfig", "replication", f"rules.0.{path}", value)


def _deployment(job: str, path: str, value: Any) -> Mutation:
    return _set(":FlinkDeployment", f"{job}-deployment", path, value)


def _netpol(name: str, direction: str, rule: dict) -> Mutation:
    def mutate(plan: Plan) -> None:
        spec = find(plan, ":NetworkPolicy", name)["inputs"]["spec"]
        spec.setdefault(direction, []).append(rule)

    return mutate


def _detach_configuration(plan: Plan) -> None:
    cluster = find(plan, "msk/cluster:Cluster", "kafka-cluster")
    del cluster["inputs"]["configurationInfo"]
    cluster["propertyDependencies"].pop("configurationInfo", None)


def _other_configuration(plan: Plan) -> None:
    """A second, permissive configuration that the cluster is switched to."""
    durable = find(plan, ":Configuration", "kafka-configuration")
    loose = json.loads(json.dumps(durable))
    loose["urn"] = durable["urn"] + "-loose"
    loose["name"] = durable["name"] + "-loose"
    loose["inputs"]["name"] = "payments-use1-a-loose"
    loose["inputs"]["serverProperties"] = "auto.create.topics.enable=false\n"
    plan["resources"].append(loose)
    cluster = find(plan, "msk/cluster:Cluster", "kafka-cluster")
    cluster["propertyDependencies"]["configurationInfo"] = [loose["urn"]]
    cluster["dependencies"] = [*cluster["dependencies"], loose["urn"]]


def _untag_tenant_role(plan: Plan) -> None:
    del find(plan, "iam/role:Role", "tenant-ledger-role")["inputs"]["tags"]["tenant"]


def _ledger_reaches(resource: str, sid: str = "ReadWriteOwnPrefix") -> Mutation:
    return _statement("tenant-ledger-policy", sid, Resource=[resource])


def _attach_to(role: str, arn: str) -> Mutation:
    def mutate(plan: Plan) -> None:
        owner = find(plan, "iam/role:Role", role)
        plan["resources"].append(
            {
                "urn": owner["urn"] + "-extra-attachment",
                "type": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "name": owner["name"] + "-extra",
                "parent": owner["parent"],
                "provider": "",
                "region": owner["region"],
                "custom": True,
                "protect": False,
                "retainOnDelete": False,
                "dependencies": [owner["urn"]],
                "propertyDependencies": {"role": [owner["urn"]]},
                "inputs": {"role": owner["inputs"]["name"], "policyArn": arn},
            }
        )

    return mutate


def _customer_policy(role: str, statement: dict) -> Mutation:
    """A customer-managed policy of this stack attached to a role."""

    def mutate(plan: Plan) -> None:
        owner = find(plan, "iam/role:Role", role)
        policy_urn = owner["urn"] + "-managed"
        plan["resources"].append(
            {
                "urn": policy_urn, "type": "aws:iam/policy:Policy", "name": owner["name"] + "-mp",
                "parent": owner["parent"], "provider": "", "region": owner["region"],
                "custom": True, "protect": False, "retainOnDelete": False,
                "dependencies": [], "propertyDependencies": {},
                "inputs": {"name": "extra-permissions", "policy": json.dumps(
                    {"Version": "2012-10-17", "Statement": [statement]})},
            }
        )  # fmt: skip
        _attach_to(role, f"arn:aws:iam::{ACCOUNT}:policy/extra-permissions")(plan)
        plan["resources"][-1]["dependencies"].append(policy_urn)
        plan["resources"][-1]["propertyDependencies"]["policyArn"] = [policy_urn]

    return mutate


def _open_brokers(plan: Plan) -> None:
    group = find(plan, ":SecurityGroup", "kafka-brokers")
    group["inputs"]["ingress"].append(
        {"protocol": "tcp", "fromPort": 9098, "toPort": 9098, "cidrBlocks": ["0.0.0.0/0"]}
    )


def _pod_security(job: str, component: str, path: str, value: Any) -> Mutation:
    """Set a field in a component's pod template (jobManager / taskManager / top level)."""

    def mutate(plan: Plan) -> None:
        spec = find(plan, ":FlinkDeployment", f"{job}-deployment")["inputs"]["spec"]
        template = spec if component == "" else spec[component]
        node = template.setdefault("podTemplate", {}).setdefault("spec", {})
        set_path_create(node, path, value)

    return mutate


def set_path_create(node: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = value


MOVED_FROM = (
    f"s3://{OTHER_CELL_BUCKET}/tenants/ledger/balancer/savepoints/savepoint-1a2b3c-0123456789ab"
)
LOST_REPLICA = "payments-usw2-a-checkpoints-dr"
LOST_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/99999999-8888-7777-6666-555555555555"


def _moved_in(
    claim: str | None = "NO_CLAIM", key: str = "execution.state-recovery.claim-mode"
) -> Mutation:
    """The balancer job started from a savepoint another cell wrote (a job move)."""
    return _both(
        _deployment("balancer", "spec.job.initialSavepointPath", MOVED_FROM),
        _flink_key("balancer", key, claim),
    )


def _recovered(write: bool = False) -> Mutation:
    """A DR recovery: the ledger job restores from the lost cell's replica, its role reads its
    own prefix there and decrypts through S3 with the replica's key."""
    actions = ["s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
    return _both(
        _deployment(
            "balancer",
            "spec.job.initialSavepointPath",
            f"s3://{LOST_REPLICA}/tenants/ledger/balancer/savepoints/savepoint-1",
        ),
        _add_statement(
            ":RolePolicy",
            "tenant-ledger-policy",
            "policy",
            {
                "Sid": "ListOwnReplicaPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{LOST_REPLICA}"],
                "Condition": {"StringLike": {"s3:prefix": ["tenants/ledger/", "tenants/ledger/*"]}},
            },
        ),
        _add_statement(
            ":RolePolicy",
            "tenant-ledger-policy",
            "policy",
            {
                "Sid": "ReadOwnRestorePoints",
                "Effect": "Allow",
                "Action": actions,
                "Resource": [f"arn:aws:s3:::{LOST_REPLICA}/tenants/ledger/*"],
            },
        ),
        _add_statement(
            ":RolePolicy",
            "tenant-ledger-policy",
            "policy",
            {
                "Sid": "DecryptReplicaThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [LOST_KEY],
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
            },
        ),
    )


# Rule names, so the table reads as data.
VERSIONED = "checkpoint-bucket-versioned"
ABORTS = "checkpoint-bucket-aborts-multipart-uploads"
NONCURRENT = "checkpoint-bucket-keeps-noncurrent-versions"
REPLICATED = "checkpoint-bucket-replicated-to-another-region"
RTC = "checkpoint-replication-time-control"
REPL_KMS = "checkpoint-replication-includes-kms-objects"
DELETES = "checkpoint-replication-keeps-deletes-local"
ROTATION = "kms-key-rotation"
ARCHIVE = "checkpoint-objects-never-archived"
MSK_AZS = "msk-brokers-span-azs"
MSK_CONF = "msk-configuration-durable"
TOPIC = "msk-topic-durable"
UPGRADE = "flink-upgrade-mode-keeps-state"
CHECKPOINTS = "flink-checkpointing-exactly-once"
SAVEPOINTS = "flink-periodic-savepoints"
ENTROPY = "flink-no-entropy-injection"
STATE_DIR = "flink-state-in-cell-bucket"
TXN = "flink-kafka-transaction-timeout"
RESTORE = "flink-restores-all-state"
HA = "flink-high-availability"
PDB = "jobmanager-disruption-budget"
PROTECTED = "stateful-resources-protected"
SSE = "bucket-encrypted-with-customer-key"
PUBLIC = "bucket-public-access-blocked"
TLS = "bucket-tls-only"
MSK_ENC = "msk-encrypted"
MSK_IAM = "msk-iam-auth"
MSK_PRIVATE = "msk-brokers-private"
EKS_PRIVATE = "eks-private-endpoint"
EKS_SECRETS = "eks-secrets-encrypted"
EKS_AZS = "eks-nodes-span-azs"
IMDS = "nodes-imdsv2-hop-limit-one"
EBS = "node-volumes-encrypted"
AUDIT = "eks-audit-logs"
WILD_ACTION = "iam-no-wildcard-action"
WILD_DATA = "iam-no-wildcard-resource-on-data"
TRUST = "role-trust-is-narrow"
REACH = "tenant-role-reaches-only-its-own-data"
RESOURCE_POLICY = "resource-policies-stay-in-the-account"
NAMESPACE = "tenant-namespace-guarded"
TRAFFIC = "tenant-traffic-bounded"
IN_NAMESPACE = "flink-deployment-in-its-tenant-namespace"
RESTRICTED = "flink-pods-restricted"
TAGGED = "resources-tagged"
ISOLATION = "cell-isolation"

LEDGER_ROLE = "use1-a-tenant-ledger-role"
BALANCER = "use1-a-flink-tenant-ledger-job-balancer-deployment"
BUCKET = "use1-a-checkpoints-bucket"
REPLICA = "use1-a-checkpoints-replica"
REPLICATION = "use1-a-checkpoints-replication"
CLUSTER = "use1-a-kafka-cluster"
CONFIGURATION = "use1-a-kafka-configuration"
EVERY_KEY = "arn:aws:kms:us-east-1:111122223333:key/*"
CELL_KAFKA = "arn:aws:kafka:us-east-1:111122223333:{kind}/payments-use1-a/34923b47-4c28-11de-1bb5-3f792c8c8c07-3"

CASES: list[Case] = [
    # --- checkpoint store ----------------------------------------------------------------------
    case("versioning suspended", _set(":BucketVersioning", "bucket-versioning", "versioningConfiguration.status", "Suspended"), VERSIONED, resource=BUCKET),
    case("replica versioning removed", _drop(":BucketVersioning", "replica-versioning"), VERSIONED, REPLICATED, resource=REPLICA),
    case("versioning joined to the other bucket", _both(
        _set(":BucketVersioning", "bucket-versioning", "bucket", "payments-use1-a-checkpoints-dr"),
        lambda p: find(p, ":BucketVersioning", "bucket-versioning")["propertyDependencies"].update(bucket=[find(p, "s3/bucket:Bucket", "checkpoints-replica")["urn"]])),
        VERSIONED, resource=BUCKET),
    case("abort rule removed", lambda p: find(p, ":BucketLifecycleConfiguration", "bucket-lifecycle")["inputs"].update(rules=[r for r in find(p, ":BucketLifecycleConfiguration", "bucket-lifecycle")["inputs"]["rules"] if "abortIncompleteMultipartUpload" not in r]), ABORTS, resource=BUCKET),
    case("abort after 90 days", _set(":BucketLifecycleConfiguration", "replica-lifecycle", "rules.0.abortIncompleteMultipartUpload.daysAfterInitiation", 90), ABORTS, resource=REPLICA),
    case("noncurrent kept one day", _set(":BucketLifecycleConfiguration", "bucket-lifecycle", "rules.1.noncurrentVersionExpiration.noncurrentDays", 1), NONCURRENT, resource=BUCKET),
    case("primary expires current objects", _lifecycle("bucket", {"id": "x", "filter": {"prefix": ""}, "expiration": {"days": 30}}), NONCURRENT, resource=BUCKET),
    case("primary expires a job's checkpoints", _lifecycle("bucket", {"id": "x", "filter": {"prefix": "tenants/ledger/balancer/checkpoints/"}, "expiration": {"days": 1}}), NONCURRENT, resource=BUCKET),
    case("primary expires by date under an and-filter", _lifecycle("bucket", {"id": "x", "filter": {"and": {"prefix": "tenants/", "tags": {"a": "b"}}}, "expiration": {"date": "2027-01-01T00:00:00Z"}}), NONCURRENT, resource=BUCKET),
    case("replica expires savepoints after a day", _lifecycle("replica", {"id": "x", "filter": {"prefix": "tenants/ledger/balancer/savepoints/"}, "expiration": {"days": 1}}), NONCURRENT, resource=REPLICA),
    case("replica expires all state within the history age", _set(":BucketLifecycleConfiguration", "replica-lifecycle", "rules.3.expiration.days", 7), NONCURRENT, resource=REPLICA),
    case("replica expires the whole bucket", _lifecycle("replica", {"id": "x", "filter": {"prefix": ""}, "expiration": {"days": 400}}), NONCURRENT, resource=REPLICA),
    case("archived to Glacier", _lifecycle("bucket", {"id": "x", "filter": {"prefix": ""}, "transitions": [{"days": 30, "storageClass": "GLACIER"}]}), ARCHIVE, resource=BUCKET),
    case("noncurrent versions to Deep Archive", _lifecycle("replica", {"id": "x", "filter": {"prefix": ""}, "noncurrentVersionTransitions": [{"noncurrentDays": 1, "storageClass": "DEEP_ARCHIVE"}]}), ARCHIVE, resource=REPLICA),
    case("replica in the same region", lambda p: find(p, "s3/bucket:Bucket", "checkpoints-replica").update(region="us-east-1"), REPLICATED, SSE, REPL_KMS, resource=REPLICATION),
    case("replication rule disabled", _replication_rule("status", "Disabled"), REPLICATED, resource=BUCKET),
    case("replication covers one tenant only", _replication_rule("filter", {"prefix": "tenants/ledger/"}), REPLICATED, resource=BUCKET),
    case("replication covers tagged objects only", _replication_rule("filter", {"tag": {"key": "dr", "value": "yes"}}), REPLICATED, resource=BUCKET),
    case("replication to another cell's replica", _replication_rule("destination.bucket", f"arn:aws:s3:::{OTHER_CELL_BUCKET}-dr"), REPLICATED, ISOLATION, resource=REPLICATION),
    case("replication removed", _drop(":BucketReplicationConfig", "replication"), REPLICATED, NONCURRENT, resource=REPLICA),
    case("no replication time control", _replication_rule("destination.replicationTime.status", "Disabled"), RTC, resource=REPLICATION),
    case("no replication metrics", _replication_rule("destination.metrics.status", "Disabled"), RTC, resource=REPLICATION),
    case("KMS objects not selected", _replication_rule("sourceSelectionCriteria.sseKmsEncryptedObjects.status", "Disabled"), REPL_KMS, resource=REPLICATION),
    case("no replica key", _replication_rule("destination.encryptionConfiguration", {}), REPL_KMS, resource=REPLICATION),
    case("replica key in the primary region", _replication_rule("destination.encryptionConfiguration.replicaKmsKeyId", "arn:aws:kms:us-east-1:111122223333:key/d9965a0f-a328-68ab-0ea0-34e2c4a9ebfa"), REPL_KMS, resource=REPLICATION),
    case("replica key an AWS managed alias", _replication_rule("destination.encryptionConfiguration.replicaKmsKeyId", "arn:aws:kms:us-west-2:111122223333:alias/aws/s3"), REPL_KMS, resource=REPLICATION),
    case("delete markers replicated", _replication_rule("deleteMarkerReplication.status", "Enabled"), DELETES, resource=REPLICATION),
    case("delete marker replication unset", _del(":BucketReplicationConfig", "replication", "rules.0.deleteMarkerReplication"), DELETES, resource=REPLICATION),
    case("replica key does not rotate", _set("kms/key:Key", "checkpoints-replica-key", "enableKeyRotation", False), ROTATION, resource="use1-a-checkpoints-replica-key"),
    case("bucket force-destroy", _set("s3/bucket:Bucket", "checkpoints-bucket", "forceDestroy", True), PROTECTED, resource=BUCKET),
    # --- bucket security --------------------------------------------------------------------------
    case("AES256 encryption", _set(":BucketServerSideEncryptionConfiguration", "bucket-encryption", "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}), SSE, resource=BUCKET),
    case("AWS managed key alias as the customer key", _set(":BucketServerSideEncryptionConfiguration", "bucket-encryption", "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", "alias/aws/s3"), SSE, resource=BUCKET),
    case("key in the wrong region", _set(":BucketServerSideEncryptionConfiguration", "replica-encryption", "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", "arn:aws:kms:us-east-1:111122223333:key/d9965a0f-a328-68ab-0ea0-34e2c4a9ebfa"), SSE, resource=REPLICA),
    case("another cell's key by ARN", _set(":BucketServerSideEncryptionConfiguration", "bucket-encryption", "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", FOREIGN_KEY), SSE, ISOLATION, resource=BUCKET),
    case("encryption removed", _drop(":BucketServerSideEncryptionConfiguration", "replica-encryption"), SSE, resource=REPLICA),
    case("public policy allowed", _set(":BucketPublicAccessBlock", "replica-public-access-block", "blockPublicPolicy", False), PUBLIC, resource=REPLICA),
    case("plaintext allowed", _doc(":BucketPolicy", "checkpoints-bucket-policy", "policy", lambda d: d.update(Statement=[s for s in d["Statement"] if s["Sid"] != "DenyInsecureTransport"])), TLS, resource=BUCKET),
    case("TLS deny only for GetObject", _doc(":BucketPolicy", "checkpoints-bucket-policy", "policy", lambda d: d["Statement"][0].update(Action="s3:GetObject")), TLS, resource=BUCKET),
    case("bucket policy opens reads to anyone", _add_statement(":BucketPolicy", "checkpoints-bucket-policy", "policy", {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payments-use1-a-checkpoints/*"}), RESOURCE_POLICY, resource="use1-a-checkpoints-bucket-policy"),
    case("bucket policy trusts another account", _add_statement(":BucketPolicy", "checkpoints-bucket-policy", "policy", {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payments-use1-a-checkpoints/*"}), RESOURCE_POLICY, ISOLATION, resource="use1-a-checkpoints-bucket-policy"),
    case("key policy open to anyone", _add_statement("kms/key:Key", "checkpoints-key", "policy", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}), RESOURCE_POLICY, resource="use1-a-checkpoints-key"),
    # --- kafka ---------------------------------------------------------------------------------
    case("two subnets", _set("msk/cluster:Cluster", "kafka-cluster", "brokerNodeGroupInfo.clientSubnets", ["subnet-0e1a000000000001a", "subnet-0e1a000000000001b"]), MSK_AZS, resource=CLUSTER),
    case("min ISR 1", _server_property("min.insync.replicas", "1"), MSK_CONF, resource=CONFIGURATION),
    case("RF 2", _server_property("default.replication.factor", "2"), MSK_CONF, resource=CONFIGURATION),
    case("unclean elections", _server_property("unclean.leader.election.enable", "true"), MSK_CONF, resource=CONFIGURATION),
    case("unclean elections in upper case", _server_property("unclean.leader.election.enable", "TRUE"), MSK_CONF, resource=CONFIGURATION),
    case("auto-created topics", _server_property("auto.create.topics.enable", "true"), MSK_CONF, resource=CONFIGURATION),
    case("transaction log RF 1", _server_property("transaction.state.log.replication.factor", "1"), MSK_CONF, resource=CONFIGURATION),
    case("offsets topic RF unset", _server_property("offsets.topic.replication.factor", None), MSK_CONF, resource=CONFIGURATION),
    case("cluster detached from its configuration", _detach_configuration, MSK_CONF, TXN, resource=CLUSTER),
    case("cluster on another, permissive configuration", _other_configuration, MSK_CONF, TXN, resource="use1-a-kafka-configuration-loose"),
    case("topic RF 2", _set(":Topic", "ledger.postings", "replicationFactor", 2), TOPIC, resource="use1-a-kafka-topic-ledger.postings"),
    case("topic ISR equals RF", _set(":Topic", "ledger.postings", "configs", json.dumps({"min.insync.replicas": "3"})), TOPIC, resource="use1-a-kafka-topic-ledger.postings"),
    case("topic unprotected", lambda p: find(p, ":Topic", "ledger.postings").update(protect=False), PROTECTED, resource="use1-a-kafka-topic-ledger.postings"),
    case("plaintext clients", _set("msk/cluster:Cluster", "kafka-cluster", "encryptionInfo.encryptionInTransit.clientBroker", "TLS_PLAINTEXT"), MSK_ENC, resource=CLUSTER),
    case("AWS managed key at rest", _set("msk/cluster:Cluster", "kafka-cluster", "encryptionInfo.encryptionAtRestKmsKeyArn", "arn:aws:kms:us-east-1:111122223333:alias/aws/kafka"), MSK_ENC, resource=CLUSTER),
    case("unauthenticated clients", _set("msk/cluster:Cluster", "kafka-cluster", "clientAuthentication.unauthenticated", True), MSK_IAM, resource=CLUSTER),
    case("public brokers", _set("msk/cluster:Cluster", "kafka-cluster", "brokerNodeGroupInfo.connectivityInfo", {"publicAccess": {"type": "SERVICE_PROVIDED_EIPS"}}), MSK_PRIVATE, resource=CLUSTER),
    case("broker security group open to the world", _open_brokers, MSK_PRIVATE, resource="use1-a-kafka-brokers"),
    # --- compute ---------------------------------------------------------------------------------
    case("cluster unprotected", lambda p: find(p, "eks/cluster:Cluster", "compute-cluster").update(protect=False), PROTECTED, resource="use1-a-compute-cluster"),
    case("public endpoint", _set("eks/cluster:Cluster", "compute-cluster", "vpcConfig.endpointPublicAccess", True), EKS_PRIVATE, resource="use1-a-compute-cluster"),
    case("no secrets encryption", _set("eks/cluster:Cluster", "compute-cluster", "encryptionConfig.resources", []), EKS_SECRETS, resource="use1-a-compute-cluster"),
    case("secrets encrypted with an AWS managed key", _set("eks/cluster:Cluster", "compute-cluster", "encryptionConfig.provider.keyArn", "arn:aws:kms:us-east-1:111122223333:alias/aws/eks"), EKS_SECRETS, resource="use1-a-compute-cluster"),
    case("secrets encrypted with the DR key", _set("eks/cluster:Cluster", "compute-cluster", "encryptionConfig.provider.keyArn", "arn:aws:kms:us-west-2:111122223333:key/75a1065f-0d56-c9f0-db2e-b906154dcb9e"), EKS_SECRETS, resource="use1-a-compute-cluster"),
    case("nodes in one subnet", _set(":NodeGroup", "taskmanager-nodes", "subnetIds", ["subnet-0e1a000000000001a"]), EKS_AZS, resource="use1-a-compute-taskmanager-nodes"),
    case("IMDSv1", _set(":LaunchTemplate", "jobmanager-launch-template", "metadataOptions.httpTokens", "optional"), IMDS, resource="use1-a-compute-jobmanager-launch-template"),
    case("hop limit 2", _set(":LaunchTemplate", "taskmanager-launch-template", "metadataOptions.httpPutResponseHopLimit", 2), IMDS, resource="use1-a-compute-taskmanager-launch-template"),
    case("node group without a launch template", _both(_del(":NodeGroup", "taskmanager-nodes", "launchTemplate"), lambda p: find(p, ":NodeGroup", "taskmanager-nodes")["propertyDependencies"].pop("launchTemplate")), IMDS, resource="use1-a-compute-taskmanager-nodes"),
    case("unencrypted volume", _set(":LaunchTemplate", "taskmanager-launch-template", "blockDeviceMappings.0.ebs.encrypted", "false"), EBS, resource="use1-a-compute-taskmanager-launch-template"),
    case("audit logs off", _set("eks/cluster:Cluster", "compute-cluster", "enabledClusterLogTypes", ["api", "authenticator"]), AUDIT, resource="use1-a-compute-cluster"),
    # --- IAM -------------------------------------------------------------------------------------
    case("Action *", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:sqs:us-east-1:111122223333:queue"}), WILD_ACTION, resource="use1-a-checkpoints-replication-policy"),
    case("NotAction", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:sqs:us-east-1:111122223333:queue"}), WILD_ACTION, resource="use1-a-checkpoints-replication-policy"),
    case("GetObject on *", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}), WILD_DATA, resource="use1-a-checkpoints-replication-policy"),
    case("lower-case action on *", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "Action": "S3:getobject", "Resource": "*"}), WILD_DATA, resource="use1-a-checkpoints-replication-policy"),
    case("s3:*Object on *", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "Action": "s3:*Object", "Resource": ["*"]}), WILD_DATA, resource="use1-a-checkpoints-replication-policy"),
    case("kms:Decrypt under NotResource", _add_statement(":RolePolicy", "replication-policy", "policy", {"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:us-east-1:111122223333:key/d9965a0f-a328-68ab-0ea0-34e2c4a9ebfa"}), WILD_DATA, resource="use1-a-checkpoints-replication-policy"),
    case("node role gets AdministratorAccess", _attach_to("compute-nodes-role", "arn:aws:iam::aws:policy/AdministratorAccess"), WILD_ACTION, resource="use1-a-compute-nodes-role-extra"),
    case("customer policy with * on the cluster role", _customer_policy("compute-cluster-role", {"Effect": "Allow", "Action": "*", "Resource": "*"}), WILD_ACTION, WILD_DATA, resource="use1-a-compute-cluster-role-mp"),
    case("tenant trusts the default service account", _trust("tenant-ledger-role", lambda s: s["Condition"]["StringEquals"].update({k: "system:serviceaccount:tenant-ledger:default" for k in s["Condition"]["StringEquals"] if k.endswith(":sub")})), TRUST, resource=LEDGER_ROLE),
    case("tenant trust by StringLike", _trust("tenant-ledger-role", lambda s: s["Condition"].update(StringLike={k: "system:serviceaccount:*" for k in s["Condition"]["StringEquals"] if k.endswith(":sub")})), TRUST, resource=LEDGER_ROLE),
    case("untagged tenant role trusts any service account", _both(_untag_tenant_role, _trust("tenant-ledger-role", lambda s: s["Condition"]["StringEquals"].update({k: "system:serviceaccount:tenant-ledger:*" for k in s["Condition"]["StringEquals"] if k.endswith(":sub")}))), TRUST, resource=LEDGER_ROLE),
    case("tenant trusts another cell's OIDC provider", _trust("tenant-ledger-role", lambda s: s["Principal"].update(Federated="arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0000000000000000000000000000FFFF")), TRUST, ISOLATION, resource=LEDGER_ROLE),
    case("tenant trust adds an AWS principal", _trust("tenant-ledger-role", lambda s: s["Principal"].update(AWS="arn:aws:iam::111122223333:root")), TRUST, resource=LEDGER_ROLE),
    case("service role trusts the account root", _trust("compute-nodes-role", lambda s: s.update(Principal={"AWS": "arn:aws:iam::111122223333:root"})), TRUST, resource="use1-a-compute-nodes-role"),
    case("service role trusts anyone", _trust("checkpoints-replication-role", lambda s: s.update(Principal="*")), TRUST, resource="use1-a-checkpoints-replication-role"),
    case("tenant reaches another tenant's prefix", _ledger_reaches("arn:aws:s3:::payments-use1-a-checkpoints/tenants/payouts/*"), REACH, resource=LEDGER_ROLE),
    case("untagged tenant reaches another tenant's prefix", _both(_untag_tenant_role, _ledger_reaches("arn:aws:s3:::payments-use1-a-checkpoints/tenants/*")), REACH, resource=LEDGER_ROLE),
    case("tenant reaches the whole bucket", _ledger_reaches("arn:aws:s3:::payments-use1-a-checkpoints/*"), REACH, resource=LEDGER_ROLE),
    case("tenant reaches the replica", _ledger_reaches("arn:aws:s3:::payments-use1-a-checkpoints-dr/tenants/ledger/*"), REACH, resource=LEDGER_ROLE),
    case("tenant reaches another cell's bucket", _ledger_reaches(f"arn:aws:s3:::{OTHER_CELL_BUCKET}/tenants/ledger/*"), REACH, ISOLATION, resource=LEDGER_ROLE),
    case("tenant lists beyond its prefix", _statement("tenant-ledger-policy", "ListOwnPrefix", Condition=None), REACH, resource=LEDGER_ROLE),
    case("tenant writes the artifact bucket", _statement("tenant-ledger-policy", "ReadSharedArtifacts", Action=["s3:GetObject", "s3:PutObject"]), REACH, resource=LEDGER_ROLE),
    case("tenant uses every key", _statement("tenant-ledger-policy", "UseCellKeyThroughS3", Resource=[EVERY_KEY]), REACH, ISOLATION, resource=LEDGER_ROLE),
    case("tenant uses the key outside S3", _statement("tenant-ledger-policy", "UseCellKeyThroughS3", Condition=None), REACH, resource=LEDGER_ROLE),
    case("tenant uses another cell's key", _statement("tenant-ledger-policy", "UseCellKeyThroughS3", Resource=[FOREIGN_KEY]), REACH, ISOLATION, resource=LEDGER_ROLE),
    case("kafka-cluster:* on the cluster", _statement("tenant-ledger-policy", "ConnectToCellKafka", Action="kafka-cluster:*"), REACH, resource=LEDGER_ROLE),
    case("another tenant's topics", _statement("tenant-ledger-policy", "OwnTopics", Resource=[CELL_KAFKA.format(kind="topic") + "/payouts.*"]), REACH, resource=LEDGER_ROLE),
    case("every topic", _statement("tenant-ledger-policy", "OwnTopics", Resource=[CELL_KAFKA.format(kind="topic") + "/*"]), REACH, resource=LEDGER_ROLE),
    case("tenant gets an AWS managed policy", _attach_to("tenant-ledger-role", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), WILD_ACTION, REACH, resource=LEDGER_ROLE),
    case("tenant gets a customer policy reaching another prefix", _customer_policy("tenant-ledger-role", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payments-use1-a-checkpoints/tenants/payouts/*"}), REACH, resource=LEDGER_ROLE),
    case("tenant passes roles", _add_statement(":RolePolicy", "tenant-ledger-policy", "policy", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/payments-use1-a-eks-nodes"}), REACH, resource=LEDGER_ROLE),
    # --- flink ---------------------------------------------------------------------------------
    case("stateless", _deployment("balancer", "spec.job.upgradeMode", "stateless"), UPGRADE, resource=BALANCER),
    case("upgrade mode unset", _del(":FlinkDeployment", "balancer-deployment", "spec.job.upgradeMode"), UPGRADE, resource=BALANCER),
    case("at least once", _flink_key("balancer", "execution.checkpointing.mode", "AT_LEAST_ONCE"), CHECKPOINTS, resource=BALANCER),
    case("interval beyond the RPO", _flink_key("balancer", "execution.checkpointing.interval", "1 h"), CHECKPOINTS, resource=BALANCER),
    case("interval beyond the RPO in milliseconds", _flink_key("balancer", "execution.checkpointing.interval", "60000"), CHECKPOINTS, resource=BALANCER),
    case("interval in ISO-8601 (Flink refuses it)", _flink_key("balancer", "execution.checkpointing.interval", "PT10S"), CHECKPOINTS, resource=BALANCER),
    case("checkpointing off", _flink_key("balancer", "execution.checkpointing.interval", None), CHECKPOINTS, resource=BALANCER),
    case("deleted on cancel", _flink_key("balancer", "execution.checkpointing.externalized-checkpoint-retention", "DELETE_ON_CANCELLATION"), CHECKPOINTS, resource=BALANCER),
    case("unbounded tolerated failures", _flink_key("balancer", "execution.checkpointing.tolerable-failed-checkpoints", "2147483647"), CHECKPOINTS, resource=BALANCER),
    case("RPO annotation removed", _set(":FlinkDeployment", "balancer-deployment", "metadata.annotations", {}), CHECKPOINTS, SAVEPOINTS, resource=BALANCER),
    case("no periodic savepoints", _flink_key("balancer", "kubernetes.operator.periodic.savepoint.interval", None), SAVEPOINTS, resource=BALANCER),
    case("savepoints beyond the RPO", _flink_key("balancer", "kubernetes.operator.periodic.savepoint.interval", "2 h"), SAVEPOINTS, resource=BALANCER),
    case("entropy key", _flink_key("balancer", "s3.entropy.key", "_entropy_"), ENTROPY, resource=BALANCER),
    case("HA in a shared bucket", _flink_key("balancer", "high-availability.storageDir", "s3://shared-ha-bucket/ha"), STATE_DIR, ISOLATION, resource=BALANCER),
    case("checkpoints in another tenant's prefix", _flink_key("balancer", "execution.checkpointing.dir", "s3://payments-use1-a-checkpoints/tenants/payouts/balancer/checkpoints"), STATE_DIR, resource=BALANCER),
    case("savepoints in the replica", _flink_key("balancer", "execution.checkpointing.savepoint-dir", "s3://payments-use1-a-checkpoints-dr/tenants/ledger/balancer/savepoints"), STATE_DIR, resource=BALANCER),
    case("deprecated key points elsewhere", _flink_key("balancer", "state.checkpoints.dir", f"s3://{OTHER_CELL_BUCKET}/tenants/ledger/balancer/checkpoints"), STATE_DIR, ISOLATION, resource=BALANCER),
    case("sink timeout above the broker max", _flink_key("balancer", "flinkcells.kafka.sink.transaction-timeout-ms", "86400000"), TXN, resource=BALANCER),
    case("broker max lowered below the sink", _server_property("transaction.max.timeout.ms", "600000"), TXN, resource=BALANCER),
    case("allowNonRestoredState", _deployment("balancer", "spec.job.allowNonRestoredState", True), RESTORE, resource=BALANCER),
    case("no savepoint on deletion", _flink_key("balancer", "kubernetes.operator.job.savepoint-on-deletion", "false"), RESTORE, resource=BALANCER),
    case("a moved job claims another cell's savepoint", _moved_in("CLAIM"), RESTORE, resource=BALANCER),
    case("claim mode under Flink 1.x's key", _moved_in("LEGACY", "execution.savepoint-restore-mode"), RESTORE, resource=BALANCER),
    case("a recovery writes the bucket it restores from", _recovered(write=True), REACH, resource=LEDGER_ROLE),
    case("HA off on a one-JobManager job", _both(_deployment("balancer", "spec.jobManager.replicas", 1), _flink_key("balancer", "high-availability.type", "NONE")), HA, resource=BALANCER),
    case("HA type removed", _flink_key("balancer", "high-availability.type", None), HA, resource=BALANCER),
    # --- kubernetes ------------------------------------------------------------------------------
    case("quota removed", _drop(":ResourceQuota", "tenant-ledger-quota"), NAMESPACE, resource="use1-a-flink-tenant-ledger-namespace"),
    case("default-deny removed", _drop(":NetworkPolicy", "tenant-ledger-default-deny"), NAMESPACE, resource="use1-a-flink-tenant-ledger-namespace"),
    case("default-deny admits everything", _netpol("tenant-ledger-default-deny", "ingress", {}), NAMESPACE, TRAFFIC, resource="use1-a-flink-tenant-ledger-default-deny"),
    case("pod security relaxed to baseline", lambda p: find(p, ":Namespace", "tenant-ledger-namespace")["inputs"]["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "baseline"}), NAMESPACE, resource="use1-a-flink-tenant-ledger-namespace"),
    case("egress to the internet on all ports", _netpol("tenant-ledger-flink-traffic", "egress", {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}), TRAFFIC, resource="use1-a-flink-tenant-ledger-flink-traffic"),
    case("egress to every namespace", _netpol("tenant-ledger-flink-traffic", "egress", {"to": [{"namespaceSelector": {}}]}), TRAFFIC, resource="use1-a-flink-tenant-ledger-flink-traffic"),
    case("HTTPS egress reaching instance metadata", _set(":NetworkPolicy", "tenant-ledger-flink-traffic", "spec.egress.3.to.0.ipBlock.except", []), TRAFFIC, resource="use1-a-flink-tenant-ledger-flink-traffic"),
    case("ingress from the internet", _netpol("tenant-fraud-signals-flink-traffic", "ingress", {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}), TRAFFIC, resource="use1-a-flink-tenant-fraud-signals-flink-traffic"),
    case("deployment in another tenant's namespace", _deployment("balancer", "metadata.namespace", "tenant-fraud-signals"), IN_NAMESPACE, STATE_DIR, PDB, resource=BALANCER),
    case("deployment runs as the default account", _deployment("balancer", "spec.serviceAccount", "default"), IN_NAMESPACE, resource=BALANCER),
    case("JobManager budget removed", _drop(":PodDisruptionBudget", "balancer-jobmanager-budget"), PDB, resource=BALANCER),
    case("JobManager budget allows both down", _set(":PodDisruptionBudget", "balancer-jobmanager-budget", "spec", {"maxUnavailable": 2, "selector": {"matchLabels": {"app": "balancer", "component": "jobmanager"}}}), PDB, resource=BALANCER),
    case("TaskManager pods may run as root", _both(_pod_security("balancer", "taskManager", "securityContext.runAsNonRoot", False), _pod_security("balancer", "", "containers.0.securityContext.runAsNonRoot", False)), RESTRICTED, resource=BALANCER),
    case("TaskManager pods run as user 0", _pod_security("balancer", "taskManager", "securityContext.runAsUser", 0), RESTRICTED, resource=BALANCER),
    case("privilege escalation", _pod_security("balancer", "", "containers.0.securityContext.allowPrivilegeEscalation", True), RESTRICTED, resource=BALANCER),
    case("seccomp unconfined in the JobManager container", _pod_security("balancer", "jobManager", "containers", [{"name": "flink-main-container", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]), RESTRICTED, resource=BALANCER),
    # --- cells ---------------------------------------------------------------------------------
    case("cell tag missing", lambda p: find(p, ":SecurityGroup", "kafka-brokers")["inputs"]["tags"].pop("cell"), TAGGED, resource="use1-a-kafka-brokers"),
    case("node group of another cell's cluster", _set(":NodeGroup", "taskmanager-nodes", "clusterName", "payments-use1-b"), ISOLATION, resource="use1-a-compute-taskmanager-nodes"),
    case("log group encrypted with another cell's key", _set(":LogGroup", "kafka-broker-logs", "kmsKeyId", FOREIGN_KEY), ISOLATION, resource="use1-a-kafka-broker-logs"),
    case("a reference to another account's bucket", _set(":FlinkDeployment", "balancer-deployment", "spec.job.jarURI", "s3://someone-elses-bucket/job.jar"), ISOLATION, resource=BALANCER),
]  # fmt: skip

BENIGN: list[Case] = [
    case("interval spelled `30 seconds`", _flink_key("balancer", "execution.checkpointing.interval", "15 seconds")),
    case("interval spelled `1 min` against a 60 s RPO", _flink_key("velocity", "execution.checkpointing.interval", "1 min")),
    case("interval in milliseconds", _flink_key("balancer", "execution.checkpointing.interval", "15000")),
    case("interval with upper-case unit", _flink_key("balancer", "execution.checkpointing.interval", "10 S")),
    case("savepoints spelled `30 secs`", _flink_key("balancer", "kubernetes.operator.periodic.savepoint.interval", "30 secs")),
    case("mode in lower case", _flink_key("balancer", "execution.checkpointing.mode", "exactly_once")),
    case("delete-marker-only rule on the primary", _lifecycle("bucket", {"id": "markers", "filter": {"prefix": "tenants/"}, "expiration": {"expiredObjectDeleteMarker": True}})),
    case("replica expires a job's HA prefix", _lifecycle("replica", {"id": "x", "filter": {"prefix": "tenants/payouts/scheduler/ha/"}, "expiration": {"days": 1}})),
    case("replica keeps savepoints longer", _set(":BucketLifecycleConfiguration", "replica-lifecycle", "rules.3.expiration.days", 30)),
    case("Glacier Instant Retrieval for old noncurrent versions", _lifecycle("bucket", {"id": "x", "filter": {"prefix": ""}, "noncurrentVersionTransitions": [{"noncurrentDays": 7, "storageClass": "GLACIER_IR"}]})),
    case("image in a repository named like the fleet", _deployment("balancer", "spec.image", "111122223333.dkr.ecr.us-east-1.amazonaws.com/payments-flink/job:1.0")),
    case("jar in the shared artifacts bucket", _deployment("velocity", "spec.job.jarURI", "s3://payments-flink-artifacts/fraud/velocity-2.jar")),
    case("one-element condition lists in a tenant trust", _trust("tenant-ledger-role", lambda s: s["Condition"].update(StringEquals={k: [v] for k, v in s["Condition"]["StringEquals"].items()}))),
    case("Action as a one-element list in a trust", _trust("compute-nodes-role", lambda s: s.update(Action=["sts:AssumeRole"]))),
    case("tenant role loses its tenant tag", _untag_tenant_role),
    case("actions spelled in another case", _statement("tenant-ledger-policy", "ReadWriteOwnPrefix", Action=["s3:getobject", "S3:PutObject"])),
    case("explicit Deny with a wildcard", _add_statement(":RolePolicy", "tenant-ledger-policy", "policy", {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})),
    case("deprecated state directory key in the right place", _flink_key("balancer", "state.savepoints.dir", "s3://payments-use1-a-checkpoints/tenants/ledger/balancer/savepoints")),
    case("a stricter egress policy", _set(":NetworkPolicy", "tenant-ledger-flink-traffic", "spec.egress.3.ports", [{"protocol": "TCP", "port": 443}])),
    case("HA spelled with the deprecated key", _both(_flink_key("balancer", "high-availability.type", None), _flink_key("balancer", "high-availability", "kubernetes"))),
    case("pod-level seccomp overridden by the container's", _pod_security("balancer", "jobManager", "securityContext.seccompProfile", {"type": "Unconfined"})),
    case("a job moved in from another cell's savepoint, NO_CLAIM", _moved_in()),
    case("a job moved in with the default claim mode", _moved_in(None)),
    case("a DR recovery reads its restore points", _recovered()),
    case("fewer tolerated checkpoint failures", _flink_key("balancer", "execution.checkpointing.tolerable-failed-checkpoints", "0")),
]  # fmt: skip
