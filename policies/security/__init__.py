"""The security pack: encryption, private endpoints, least privilege, isolated cells."""

from policies.packs import ADVISORY, MANDATORY, Pack
from policies.rules import bucket_security, cells, compute, iam, kafka

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
        # compute
        "eks-private-endpoint": MANDATORY,
        "eks-secrets-encrypted": MANDATORY,
        "eks-nodes-span-azs": MANDATORY,
        "launch-template-imdsv2": MANDATORY,
        # iam
        "iam-no-wildcard-action": MANDATORY,
        "iam-no-wildcard-resource-on-data": MANDATORY,
        "tenant-role-trusts-only-its-service-account": MANDATORY,
        "tenant-role-reaches-only-its-own-data": MANDATORY,
        # cells; a missing tag misleads cost and ownership reports but exposes nothing
        "resources-tagged": ADVISORY,
        "cell-isolation": MANDATORY,
    },
    rules=[
        *bucket_security.SECURITY,
        *kafka.SECURITY,
        *compute.SECURITY,
        *iam.SECURITY,
        *cells.SECURITY,
    ],
)
