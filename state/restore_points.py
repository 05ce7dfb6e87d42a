"""Restore points: the newest savepoint of a job that is provably complete.

A savepoint directory is complete when its `_metadata` parses and every file it names exists
beside it with the recorded size; inline state needs no file. Objects replicate one by one, in no
order, so a replica can hold `_metadata` before the files it names: existence is not enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from cells.aws_names import checkpoint_prefix
from state._binary import MetadataError
from state.s3 import s3_errors
from state.savepoint_metadata import SavepointManifest, parse_metadata

METADATA = "_metadata"
MAX_REASONS = 3


def job_savepoint_prefix(tenant: str, job: str) -> str:
    return f"{checkpoint_prefix(tenant)}{job}/savepoints/"


@dataclass(frozen=True)
class SavepointVerdict:
    uri: str  # s3://bucket/…/savepoint-…, no trailing slash
    written_at: datetime  # UTC; the `_metadata` object's LastModified
    complete: bool
    reason: str | None  # why it cannot be used; None when complete


@dataclass(frozen=True)
class JobRestorePoint:
    tenant: str
    job: str
    bucket: str
    newest: SavepointVerdict | None  # the newest complete savepoint
    skipped: tuple[SavepointVerdict, ...]  # newer savepoints that are not complete, with reasons


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    modified: datetime


def list_objects(s3: Any, bucket: str, prefix: str) -> dict[str, ObjectInfo]:
    """Every object under prefix (all pages), keyed relative to the prefix."""
    found: dict[str, ObjectInfo] = {}
    with s3_errors(f"listing s3://{bucket}/{prefix}"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                modified = item["LastModified"].astimezone(UTC)
                found[item["Key"][len(prefix) :]] = ObjectInfo(item["Size"], modified)
    return found


def read_manifest(s3: Any, bucket: str, directory: str) -> SavepointManifest:
    """The parsed `_metadata` of the savepoint at s3://bucket/directory/."""
    key = f"{directory}/{METADATA}"
    with s3_errors(f"reading s3://{bucket}/{key}"):
        try:
            data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchKey":
                raise
            # Listed a moment ago: Flink or a retention rule removed it since.
            raise MetadataError("deleted while being read") from None
    return parse_metadata(data)


def verify_savepoint(
    s3: Any,
    bucket: str,
    directory: str,
    objects: dict[str, ObjectInfo],
) -> str | None:
    """Why the savepoint at s3://bucket/directory (objects: keyed relative to it) is not
    complete, or None when `_metadata` proves it complete."""
    if METADATA not in objects:
        return "no _metadata: still being written, or not yet replicated"
    try:
        manifest = read_manifest(s3, bucket, directory)
    except MetadataError as error:
        return f"_metadata unusable: {error}"
    uri = f"s3://{bucket}/{directory}/"
    problems: list[str] = []
    expected = list(manifest.files)
    for handle in manifest.absolute_files:
        if handle.path.startswith(uri):
            expected.append(type(handle)(handle.path[len(uri) :], handle.size))
        else:
            problems.append(f"names a file outside the savepoint: {handle.path} (not relocatable)")
    for handle in expected:
        present = objects.get(handle.path)
        if present is None:
            problems.append(f"missing {handle.path} ({handle.size} bytes recorded)")
        elif present.size != handle.size:
            problems.append(
                f"{handle.path} is {present.size} bytes, _metadata records {handle.size}"
            )
    if not problems:
        return None
    more = f" (+{len(problems) - MAX_REASONS} more)" if len(problems) > MAX_REASONS else ""
    return "; ".join(problems[:MAX_REASONS]) + more


def savepoint_directories(objects: dict[str, ObjectInfo]) -> dict[str, dict[str, ObjectInfo]]:
    """Objects of a job's savepoint prefix grouped by savepoint directory."""
    directories: dict[str, dict[str, ObjectInfo]] = {}
    for key, info in objects.items():
        name, slash, rest = key.partition("/")
        if slash and rest:
            directories.setdefault(name, {})[rest] = info
    return directories


def _written_at(objects: dict[str, ObjectInfo]) -> datetime:
    meta = objects.get(METADATA)
    return meta.modified if meta else max(o.modified for o in objects.values())


def find_restore_point(s3: Any, bucket: str, tenant: str, job: str) -> JobRestorePoint:
    """The newest complete savepoint of a job in bucket, and the newer ones that are not."""
    prefix = job_savepoint_prefix(tenant, job)
    directories = savepoint_directories(list_objects(s3, bucket, prefix))
    newest_first = sorted(
        directories.items(), key=lambda item: (_written_at(item[1]), item[0]), reverse=True
    )
    skipped: list[SavepointVerdict] = []
    for name, objects in newest_first:
        directory = f"{prefix}{name}"
        reason = verify_savepoint(s3, bucket, directory, objects)
        verdict = SavepointVerdict(
            uri=f"s3://{bucket}/{directory}",
            written_at=_written_at(objects),
            complete=reason is None,
            reason=reason,
        )
        if reason is None:
            return JobRestorePoint(tenant, job, bucket, verdict, tuple(skipped))
        skipped.append(verdict)
    return JobRestorePoint(tenant, job, bucket, None, tuple(skipped))


def find_restore_points(
    s3: Any,
    targets: Iterable[tuple[str, str, str]],
    *,
    workers: int = 16,
) -> list[JobRestorePoint]:
    """find_restore_point for every (bucket, tenant, job), in parallel; results in target order."""
    targets = list(targets)
    if workers <= 1:
        return [find_restore_point(s3, *target) for target in targets]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda target: find_restore_point(s3, *target), targets))
