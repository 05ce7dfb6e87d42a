"""The S3 client state operations use, and S3 failures said as one sentence a person can act on.

Credentials and region come from the standard AWS chain (environment, profile, SSO, instance
role); `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points every client at another endpoint,
which is how the tests reach moto on 127.0.0.1 with the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

MAX_POOL_CONNECTIONS = 64
RETRIES = {"max_attempts": 5, "mode": "standard"}


class S3AccessError(Exception):
    """S3 cannot be reached or refuses: missing credentials, no such bucket, access denied."""


def s3_client(region: str, *, endpoint_url: str | None = None) -> Any:
    """A thread-safe boto3 S3 client for one region, pooled for parallel reads."""
    config = Config(max_pool_connections=MAX_POOL_CONNECTIONS, retries=RETRIES)
    return boto3.session.Session().client(
        "s3", region_name=region, endpoint_url=endpoint_url, config=config
    )


@contextmanager
def s3_errors(what: str) -> Iterator[None]:
    """Turns boto3's failures into S3AccessError naming what was attempted and how to fix it."""
    try:
        yield
    except NoCredentialsError:
        raise S3AccessError(
            f"{what}: no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY (or run `aws sso login`)"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        hint = {
            "NoSuchBucket": "the bucket does not exist (is the cell deployed? right region?)",
            "AccessDenied": "access denied: your credentials may not read it",
            "403": "access denied: your credentials may not read it",
            "InvalidAccessKeyId": "the access key is not valid",
            "ExpiredToken": "the session token expired; log in again",
        }.get(code, error.response.get("Error", {}).get("Message", str(error)))
        raise S3AccessError(f"{what}: {code}: {hint}") from None
    except BotoCoreError as error:
        raise S3AccessError(f"{what}: S3 unreachable: {error}") from None
