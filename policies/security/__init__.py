"""The security pack: encryption, private endpoints, least privilege, isolated cells."""

from policies.packs import ADVISORY, MANDATORY, Pack
from policies.rules import bucket_security, cells, compute, iam, kafka, kubernetes

PACK = Pack(
    name="flinkcells-security",
    version="0.1.0",
    description="flink-cells security: encryption, network exposure, IAM, cell isolation.",
    levels={
        # buckets
        "bucket-encrypted-with-customer-key": MANDATORY,
        "bucket-public-access-blocked": MANDATORY,
        "bucket-tls-only": MANDATORY,
        # kafka
        "msk-encrypted": MANDATORY,
        "msk-iam-auth": MANDATORY,
        "msk-brokers-private": MANDATORY,
        # compute
        "eks-private-endpoint": MANDATORY,
        "eks-secrets-encrypted": MANDATORY,
        "eks-nodes-span-azs": MANDATORY,
        "nodes-imdsv2-hop-limit-one": MANDATORY,
        "node-volumes-encrypted": MANDATORY,
        "eks-audit-logs": MANDATORY,
        # iam
        "iam-no-wildcard-action": MANDATORY,
        "iam-no-wildcard-resource-on-data": MANDATORY,
        "role-trust-is-narrow": MANDATORY,
        "tenant-role-reaches-only-its-own-data": MANDATORY,
        "resource-policies-stay-in-the-account": MANDATORY,
        # kubernetes
        "tenant-namespace-guarded": MANDATORY,
        "tenant-traffic-bounded": MANDATORY,
        "flink-deployment-in-its-tenant-namespace": MANDATORY,
        "flink-pods-restricted": MANDATORY,
        # cells; a missing tag misleads cost and ownership reports but exposes nothing
        "resources-tagged": ADVISORY,
        "cell-isolation": MANDATORY,
    },
    rules=[
        *bucket_security.SECURITY,
        *kafka.SECURITY,
        *compute.SECURITY,
        *iam.SECURITY,
        *kubernetes.SECURITY,
        *cells.SECURITY,
    ],
)
