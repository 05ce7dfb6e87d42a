"""IAM and KMS policy documents, built as plain data so tests can read them."""

from __future__ import annotations

import json
from typing import Any

import pulumi

Document = dict[str, Any]


def document(*statements: dict[str, Any]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def service_trust(service: str) -> Document:
    return document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def to_json(doc: Document) -> pulumi.Output[str]:
    """Serialize a document holding Outputs with one Output.all over its leaves (not one Output
    per nested value, which costs the runtime a task each); keys sorted so plans are stable."""
    leaves: list[pulumi.Output[Any]] = []

    def template(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            leaves.append(value)
            return _Leaf(len(leaves) - 1)
        if isinstance(value, dict):
            return {key: template(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [template(item) for item in value]
        return value

    shape = template(doc)
    return pulumi.Output.all(*leaves).apply(lambda values: _dumps(_fill(shape, values)))


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class _Leaf(int):
    """Marks where a resolved Output value goes in a document template."""


def _fill(shape: Any, values: list[Any]) -> Any:
    if isinstance(shape, _Leaf):
        return values[shape]
    if isinstance(shape, dict):
        return {key: _fill(item, values) for key, item in shape.items()}
    if isinstance(shape, list):
        return [_fill(item, values) for item in shape]
    return shape


def cell_key_policy(account_id: pulumi.Input[str], region: str) -> Document:
    """Account-root administration (so IAM policies apply) plus CloudWatch Logs for broker logs."""
    root = pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
    log_groups = pulumi.Output.concat("arn:aws:logs:", region, ":", account_id, ":log-group:*")
    return document(
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryptsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": [
                "kms:Decrypt*",
                "kms:Encrypt*",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
            # Only for this account's log groups in this region.
            "Condition": {"StringLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        },
        {
            # DescribeKey carries no encryption context, so it cannot share that condition.
            "Sid": "CloudWatchLogsDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
    )


def tls_only_bucket_policy(bucket_arn: pulumi.Input[str]) -> Document:
    objects = pulumi.Output.concat(bucket_arn, "/*")
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    )
