"""IAM and KMS policy documents, built as plain data so tests can read them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

Document = dict[str, Any]


def document(*statements: dict[str, Any]) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def service_trust(service: str) -> Document:
    return document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


@dataclass(frozen=True)
class Computed:
    """A document value computed from Inputs inside the document's one apply: it costs the
    runtime no Output (and no task) of its own, as `Output.concat` or `.apply` would, one per
    part, plain parts included."""

    sources: tuple[Any, ...]
    compute: Callable[..., Any]


def joined(*parts: pulumi.Input[str]) -> Computed | str:
    """`Output.concat` for document values; a plain string when every part is plain."""
    if not any(isinstance(part, pulumi.Output) for part in parts):
        return "".join(str(part) for part in parts)
    return Computed(parts, lambda *values: "".join(str(value) for value in values))


def to_json(doc: Document) -> pulumi.Input[str]:
    """Serialize a document holding Outputs with one apply over its distinct Outputs (not one
    Output per nested value, which costs the runtime a task each); keys sorted so plans are
    stable. A document without Outputs is a plain string."""
    leaves: list[pulumi.Output[Any]] = []
    positions: dict[int, _Leaf] = {}

    def template(value: Any) -> Any:
        if isinstance(value, pulumi.Output):
            if id(value) not in positions:
                positions[id(value)] = _Leaf(len(leaves))
                leaves.append(value)
            return positions[id(value)]
        if isinstance(value, Computed):
            return _Computed(tuple(template(source) for source in value.sources), value.compute)
        if isinstance(value, dict):
            return {key: template(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [template(item) for item in value]
        return value

    shape = template(doc)
    if not leaves:
        return _dumps(_fill(shape, []))
    if len(leaves) == 1:
        return leaves[0].apply(lambda value: _dumps(_fill(shape, [value])))
    return pulumi.Output.all(*leaves).apply(lambda values: _dumps(_fill(shape, values)))


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class _Leaf(int):
    """Marks where a resolved Output value goes in a document template."""


@dataclass(frozen=True)
class _Computed:
    sources: tuple[Any, ...]
    compute: Callable[..., Any]


def _fill(shape: Any, values: list[Any]) -> Any:
    if isinstance(shape, _Leaf):
        return values[shape]
    if isinstance(shape, _Computed):
        return shape.compute(*(_fill(source, values) for source in shape.sources))
    if isinstance(shape, dict):
        return {key: _fill(item, values) for key, item in shape.items()}
    if isinstance(shape, list):
        return [_fill(item, values) for item in shape]
    return shape


def cell_key_policy(account_id: pulumi.Input[str], region: str) -> Document:
    """Account-root administration (so IAM policies apply) plus CloudWatch Logs for broker logs."""
    root = joined("arn:aws:iam::", account_id, ":root")
    log_groups = joined("arn:aws:logs:", region, ":", account_id, ":log-group:*")
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
    objects = joined(bucket_arn, "/*")
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
