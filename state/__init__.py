"""State operations over S3 (boto3 only): savepoint manifests, restore points, job moves."""

from state._binary import MetadataError
from state.savepoint_metadata import SavepointManifest, StateFile, parse_metadata

__all__ = ["MetadataError", "SavepointManifest", "StateFile", "parse_metadata"]
