"""One moto S3 server on 127.0.0.1 per test session, reached by the same boto3 code as real S3."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from state.s3 import s3_client

SAVEPOINTS = Path(__file__).parent / "savepoints"
REAL_SAVEPOINTS = sorted(p.parent for p in SAVEPOINTS.glob("flink-*/*/savepoint-*/_metadata"))
REGION = "us-east-1"


def savepoint_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Credentials and the endpoint as a user sets them: environment variables only."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture(scope="session")
def _session_s3(moto_endpoint: str) -> Any:
    """Creating a boto3 client costs ~1 s (service model); one per session, credentials bound."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
        return s3_client(REGION)


@pytest.fixture
def s3(aws_env: str, _session_s3: Any) -> Any:
    return _session_s3


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh bucket per test: the server is shared by the whole session."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


def upload_savepoint(s3: Any, bucket: str, directory: str, source: Path) -> list[str]:
    """Uploads a real savepoint's files under s3://bucket/directory/, `_metadata` last."""
    files = sorted(source.iterdir(), key=lambda p: p.name == "_metadata")
    for file in files:
        s3.put_object(Bucket=bucket, Key=f"{directory}/{file.name}", Body=file.read_bytes())
    return [f.name for f in files]


def fresh_bucket(s3: Any, name: str) -> str:
    """A bucket with a fixed (fleet-derived) name, emptied: earlier tests share the server."""
    s3.create_bucket(Bucket=name)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", ()):
            s3.delete_object(Bucket=name, Key=item["Key"])
    return name
