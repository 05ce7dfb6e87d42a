"""Checkpoint buckets: encrypted with a customer key, never public, TLS only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.core import Report, Stack, as_list, is_unknown, stack_rule, statements
from policies.rules.checkpoint_store import BUCKET

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
    for bucket in stack.of_type(BUCKET):
        defaults = [
            rule.get("applyServerSideEncryptionByDefault") or {}
            for sse in stack.dependents(bucket, ENCRYPTION)
            for rule in sse.get("rules") or []
        ]
        good = [
            d
            for d in defaults
            if d.get("sseAlgorithm") == "aws:kms"
            and (
                is_unknown(d.get("kmsMasterKeyId"))
                or str(d.get("kmsMasterKeyId", "")).startswith("arn:aws:kms:")
            )
        ]
        if not good:
            report(f"bucket {bucket.name} is not encrypted with a customer KMS key", bucket)


@stack_rule(
    "SEC-S3-2",
    "bucket-public-access-blocked",
    "All four S3 public-access blocks are on for every bucket.",
    "critical",
    "Add an aws.s3.BucketPublicAccessBlock with all four settings true.",
)
def public_access_blocked(stack: Stack, config: Mapping[str, Any], report: Report) -> None:
    for bucket in stack.of_type(BUCKET):
        blocks = stack.dependents(bucket, PUBLIC_ACCESS_BLOCK)
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
            for policy in stack.dependents(bucket, POLICY)
            for s in statements(policy.get("policy"))
            if s.get("Effect") == "Deny"
            and str((s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport"))
            == "false"
            and any(a in ("s3:*", "*") for a in as_list(s.get("Action")))
        ]
        if not denies:
            report(f"bucket {bucket.name} accepts requests without TLS", bucket)


SECURITY = [encrypted, public_access_blocked, tls_only]
