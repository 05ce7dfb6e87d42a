"""Checkpoint buckets: encrypted with a customer key, never public, TLS only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Stack, stack_rule
from policies.iam_model import read
from policies.identity import Identities
from policies.rules.checkpoint_store import BUCKET, attached, customer_key_problem

ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_rule(
    "SEC-S3-1",
    "bucket-encrypted-with-customer-key",
    "Every bucket defaults to SSE-KMS with a customer-managed key.",
    "high",
    "Add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the "
    "cell's key as kmsMasterKeyId.",
)
def encrypted(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    ids = Identities.of(stack)
    for bucket in stack.of_type(BUCKET):
        keys = [
            (rule.get("applyServerSideEncryptionByDefault") or {})
            for sse in attached(stack, bucket, ENCRYPTION)
            for rule in sse.get("rules") or []
        ]
        if not keys:
            report(f"bucket {bucket.name} has no default encryption", bucket)
        for default in keys:
            if default.get("sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                report(
                    f"bucket {bucket.name} is encrypted with {default.get('sseAlgorithm')}, "
                    "not a customer KMS key",
                    bucket,
                )
                continue
            problem = customer_key_problem(ids, default.get("kmsMasterKeyId"), bucket.region)
            if problem:
                report(f"bucket {bucket.name}: its key {problem}", bucket)


@stack_rule(
    "SEC-S3-2",
    "bucket-public-access-blocked",
    "All four S3 public-access blocks are on for every bucket.",
    "critical",
    "Add an aws.s3.BucketPublicAccessBlock with all four settings true.",
)
def public_access_blocked(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        blocks = attached(stack, bucket, PUBLIC_ACCESS_BLOCK)
        missing = [b for b in BLOCKS if not any(block.get(b) is True for block in blocks)]
        if missing:
            report(f"bucket {bucket.name} allows public access: {', '.join(missing)} off", bucket)


@stack_rule(
    "SEC-S3-3",
    "bucket-tls-only",
    "Every bucket policy denies requests that do not use TLS.",
    "high",
    'Add a Deny statement for s3:* when "aws:SecureTransport" is "false".',
)
def tls_only(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        denies = [
            s
            for policy in attached(stack, bucket, POLICY)
            for s in read(policy.get("policy"))
            if not s.allows
            and s.principal in ("*", {"AWS": "*"}, {"AWS": ["*"]})
            and [v.lower() for v in s.condition("Bool", "aws:SecureTransport") or ()] == ["false"]
            and all(s.grants(a) for a in ("s3:GetObject", "s3:PutObject", "s3:ListBucket"))
            and s.reaches(f"arn:aws:s3:::{bucket.props.get('bucket')}/any")
        ]
        if not denies:
            report(f"bucket {bucket.name} accepts requests without TLS", bucket)


SECURITY = [encrypted, public_access_blocked, tls_only]
