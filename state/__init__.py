"""State operations over S3 (boto3 only): savepoint manifests, restore points, job moves."""

from state._binary import MetadataError
from state.restore_points import (
    JobRestorePoint,
    SavepointVerdict,
    find_restore_point,
    find_restore_points,
    job_savepoint_prefix,
)
from state.s3 import S3AccessError, s3_client
from state.savepoint_metadata import SavepointManifest, StateFile, parse_metadata

__all__ = [
    "JobRestorePoint",
    "MetadataError",
    "S3AccessError",
    "SavepointManifest",
    "SavepointVerdict",
    "StateFile",
    "find_restore_point",
    "find_restore_points",
    "job_savepoint_prefix",
    "parse_metadata",
    "s3_client",
]
