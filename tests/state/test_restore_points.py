"""Restore points against S3 (moto on 127.0.0.1): newest complete savepoint, corruptions skipped."""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from state.restore_points import find_restore_point, find_restore_points, job_savepoint_prefix
from state.s3 import S3AccessError, s3_client
from state.savepoint_metadata import parse_metadata
from tests.state.conftest import REAL_SAVEPOINTS, savepoint_id, upload_savepoint

TENANT, JOB = "fraud-signals", "scorer"
PREFIX = job_savepoint_prefix(TENANT, JOB)
WITH_FILES = [p for p in REAL_SAVEPOINTS if "-files-" in p.parent.name]
ROCKSDB_NATIVE = next(p for p in WITH_FILES if p.parent.name == "rocksdb-files-native")


def _largest_file(savepoint: Path) -> str:
    manifest = parse_metadata((savepoint / "_metadata").read_bytes())
    return max(manifest.files, key=lambda f: f.size).path


def test_prefix_is_the_jobs_savepoint_directory() -> None:
    assert job_savepoint_prefix("t1", "j1") == "tenants/t1/j1/savepoints/"


@pytest.mark.parametrize("savepoint", REAL_SAVEPOINTS, ids=savepoint_id)
def test_every_real_savepoint_is_complete(s3: Any, bucket: str, savepoint: Path) -> None:
    upload_savepoint(s3, bucket, f"{PREFIX}{savepoint.name}", savepoint)
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is not None, point.skipped
    assert point.newest.uri == f"s3://{bucket}/{PREFIX}{savepoint.name}"
    assert point.newest.complete and point.newest.reason is None
    assert point.newest.written_at.tzinfo is not None
    assert point.skipped == ()


def _older_complete_and_newer(s3: Any, bucket: str, source: Path) -> str:
    """An older complete savepoint, then a newer copy of `source` to be broken; returns its dir."""
    upload_savepoint(s3, bucket, f"{PREFIX}savepoint-a-older", ROCKSDB_NATIVE)
    newer = f"{PREFIX}savepoint-b-newer"
    upload_savepoint(s3, bucket, newer, source)
    return newer


@pytest.mark.parametrize("savepoint", WITH_FILES, ids=savepoint_id)
def test_missing_file_falls_back_to_older(s3: Any, bucket: str, savepoint: Path) -> None:
    newer = _older_complete_and_newer(s3, bucket, savepoint)
    lost = _largest_file(savepoint)
    s3.delete_object(Bucket=bucket, Key=f"{newer}/{lost}")
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is not None and point.newest.uri.endswith("savepoint-a-older")
    [skipped] = point.skipped
    assert skipped.uri.endswith("savepoint-b-newer") and not skipped.complete
    assert f"missing {lost}" in (skipped.reason or "")


@pytest.mark.parametrize("savepoint", WITH_FILES, ids=savepoint_id)
def test_short_file_is_rejected(s3: Any, bucket: str, savepoint: Path) -> None:
    newer = _older_complete_and_newer(s3, bucket, savepoint)
    short = _largest_file(savepoint)
    body = (savepoint / short).read_bytes()
    s3.put_object(Bucket=bucket, Key=f"{newer}/{short}", Body=body[: len(body) // 2])
    [skipped] = find_restore_point(s3, bucket, TENANT, JOB).skipped
    assert f"{short} is {len(body) // 2} bytes, _metadata records {len(body)}" in (
        skipped.reason or ""
    )


@pytest.mark.parametrize("savepoint", WITH_FILES, ids=savepoint_id)
def test_metadata_alone_is_rejected(s3: Any, bucket: str, savepoint: Path) -> None:
    """What a replica holds when `_metadata` replicated before its files."""
    upload_savepoint(s3, bucket, f"{PREFIX}savepoint-a-older", ROCKSDB_NATIVE)
    newer = f"{PREFIX}savepoint-b-newer"
    s3.put_object(
        Bucket=bucket, Key=f"{newer}/_metadata", Body=(savepoint / "_metadata").read_bytes()
    )
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is not None and point.newest.uri.endswith("savepoint-a-older")
    [skipped] = point.skipped
    assert (skipped.reason or "").startswith("missing ")


def test_truncated_metadata_is_rejected(s3: Any, bucket: str) -> None:
    newer = _older_complete_and_newer(s3, bucket, ROCKSDB_NATIVE)
    data = (ROCKSDB_NATIVE / "_metadata").read_bytes()
    s3.put_object(Bucket=bucket, Key=f"{newer}/_metadata", Body=data[: len(data) - 7])
    [skipped] = find_restore_point(s3, bucket, TENANT, JOB).skipped
    assert (skipped.reason or "").startswith("_metadata unusable: truncated")


def test_files_without_metadata_are_rejected(s3: Any, bucket: str) -> None:
    newer = _older_complete_and_newer(s3, bucket, ROCKSDB_NATIVE)
    s3.delete_object(Bucket=bucket, Key=f"{newer}/_metadata")
    [skipped] = find_restore_point(s3, bucket, TENANT, JOB).skipped
    assert (skipped.reason or "").startswith("no _metadata")


def test_no_savepoint_at_all(s3: Any, bucket: str) -> None:
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is None and point.skipped == ()


def test_all_broken_gives_no_restore_point(s3: Any, bucket: str) -> None:
    for name in ("savepoint-a", "savepoint-b"):
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}{name}/_metadata", Body=b"not flink")
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is None
    assert [v.uri.rsplit("/", 1)[1] for v in point.skipped] == ["savepoint-b", "savepoint-a"]


def test_pagination_over_more_than_1000_objects(s3: Any, bucket: str) -> None:
    """The complete savepoint's keys sort after 1,050 others: only a paginated listing sees it."""
    keys = [f"{PREFIX}savepoint-0-partial/{i:05d}" for i in range(1050)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))
    upload_savepoint(s3, bucket, f"{PREFIX}savepoint-z-complete", ROCKSDB_NATIVE)
    point = find_restore_point(s3, bucket, TENANT, JOB)
    assert point.newest is not None and point.newest.uri.endswith("savepoint-z-complete")


def test_parallel_results_keep_target_order(s3: Any, bucket: str) -> None:
    jobs = [f"job-{i}" for i in range(12)]
    for i, job in enumerate(jobs):
        if i % 3:
            directory = f"{job_savepoint_prefix(TENANT, job)}savepoint-{i}"
            upload_savepoint(s3, bucket, directory, WITH_FILES[i % len(WITH_FILES)])
    targets = [(bucket, TENANT, job) for job in jobs]
    parallel = find_restore_points(s3, targets, workers=8)
    assert [p.job for p in parallel] == jobs
    assert [p.newest is not None for p in parallel] == [bool(i % 3) for i in range(12)]
    assert parallel == find_restore_points(s3, targets, workers=1)


def test_missing_bucket_is_one_clear_error(s3: Any) -> None:
    with pytest.raises(S3AccessError, match="NoSuchBucket: the bucket does not exist"):
        find_restore_point(s3, "no-such-bucket-here", TENANT, JOB)


def test_missing_credentials_is_one_clear_error(
    aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(S3AccessError, match="no AWS credentials found"):
        find_restore_point(s3_client("us-east-1"), "any-bucket", TENANT, JOB)


def test_unreachable_endpoint_is_one_clear_error(aws_env: str) -> None:
    s3 = s3_client("us-east-1", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(S3AccessError, match="S3 unreachable"):
        find_restore_point(s3, "any-bucket", TENANT, JOB)


def _with_absolute_handle(savepoint: Path, name: str, absolute: str) -> bytes:
    """The real `_metadata` with its relative handle for `name` rewritten as an absolute one
    (handle type 6: path, size -> type 2: size, path), as a checkpoint's handles are."""
    data = (savepoint / "_metadata").read_bytes()
    path = name.encode()
    relative = b"\x06" + struct.pack(">H", len(path)) + path
    at = data.index(relative)
    size = data[at + len(relative) : at + len(relative) + 8]
    target = absolute.encode()
    handle = b"\x02" + size + struct.pack(">H", len(target)) + target
    return data[:at] + handle + data[at + len(relative) + 8 :]


def test_absolute_paths_outside_the_savepoint_are_not_relocatable(s3: Any, bucket: str) -> None:
    directory = f"{PREFIX}savepoint-abs"
    upload_savepoint(s3, bucket, directory, ROCKSDB_NATIVE)
    name = _largest_file(ROCKSDB_NATIVE)
    elsewhere = f"s3://other-bucket/{directory}/{name}"
    body = _with_absolute_handle(ROCKSDB_NATIVE, name, elsewhere)
    s3.put_object(Bucket=bucket, Key=f"{directory}/_metadata", Body=body)
    [skipped] = find_restore_point(s3, bucket, TENANT, JOB).skipped
    assert f"names a file outside the savepoint: {elsewhere} (not relocatable)" in (
        skipped.reason or ""
    )
    inside = _with_absolute_handle(ROCKSDB_NATIVE, name, f"s3://{bucket}/{directory}/{name}")
    s3.put_object(Bucket=bucket, Key=f"{directory}/_metadata", Body=inside)
    assert find_restore_point(s3, bucket, TENANT, JOB).newest is not None


class _DeletesMetadataOnRead:
    """The newest `_metadata` vanishes between the listing and the read (a retention rule)."""

    def __init__(self, real: Any, key: str) -> None:
        self.real, self.key = real, key

    def get_object(self, **kwargs: Any) -> Any:
        if kwargs["Key"] == self.key:
            self.real.delete_object(Bucket=kwargs["Bucket"], Key=self.key)
        return self.real.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_savepoint_deleted_while_being_read_is_skipped(s3: Any, bucket: str) -> None:
    newer = _older_complete_and_newer(s3, bucket, ROCKSDB_NATIVE)
    racing = _DeletesMetadataOnRead(s3, f"{newer}/_metadata")
    point = find_restore_point(racing, bucket, TENANT, JOB)
    assert point.newest is not None and point.newest.uri.endswith("savepoint-a-older")
    assert point.skipped[0].reason == "_metadata unusable: deleted while being read"
