"""The `_metadata` parser on real savepoints of Flink 1.20 and 2.x, and on broken ones."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from state import MetadataError, parse_metadata
from tests.state.conftest import REAL_SAVEPOINTS, savepoint_id

# Which metadata format each Flink release writes (MetadataV4/V5/V6Serializer).
FORMAT_VERSIONS = {"1.20": 4, "2.0": 5, "2.3": 6}
SMALLEST = min(REAL_SAVEPOINTS, key=lambda p: (p / "_metadata").stat().st_size)


def _metadata(savepoint: Path) -> bytes:
    return (savepoint / "_metadata").read_bytes()


def test_fixtures_cover_every_combination() -> None:
    """CANONICAL and NATIVE, hashmap and RocksDB, files and inline, on 1.20 and 2.x."""
    combos = {(p.parent.parent.name.split(".")[0], p.parent.name) for p in REAL_SAVEPOINTS}
    for version in ("flink-1", "flink-2"):
        for backend in ("hashmap", "rocksdb"):
            for storage in ("files", "inline"):
                for fmt in ("canonical", "native"):
                    assert (version, f"{backend}-{storage}-{fmt}") in combos


@pytest.mark.parametrize("savepoint", REAL_SAVEPOINTS, ids=savepoint_id)
def test_real_savepoint_manifest_matches_its_directory(savepoint: Path) -> None:
    manifest = parse_metadata(_metadata(savepoint))
    on_disk = {p.name: p.stat().st_size for p in savepoint.iterdir() if p.name != "_metadata"}
    assert {f.path: f.size for f in manifest.files} == on_disk
    assert manifest.absolute_files == ()
    assert manifest.operators >= 2
    fmt = savepoint.parent.name.rsplit("-", 1)[1].upper()
    assert manifest.savepoint_format == fmt
    release = savepoint.parent.parent.name.removeprefix("flink-").rsplit(".", 1)[0]
    assert manifest.format_version == FORMAT_VERSIONS[release]
    if "-inline-" in savepoint.parent.name:
        assert manifest.inline_handles >= 2 and manifest.inline_bytes > 0
    else:
        assert manifest.files


@pytest.mark.parametrize("savepoint", REAL_SAVEPOINTS, ids=savepoint_id)
def test_every_truncation_is_rejected(savepoint: Path) -> None:
    data = _metadata(savepoint)
    step = max(1, len(data) // 300)  # every byte of the small ones, ~300 cuts of the large
    for cut in [*range(0, len(data), step), len(data) - 1]:
        with pytest.raises(MetadataError):
            parse_metadata(data[:cut])


def test_unknown_format_version_is_rejected() -> None:
    data = bytearray(_metadata(SMALLEST))
    data[4:8] = struct.pack(">i", 99)
    with pytest.raises(MetadataError, match="unknown metadata format version 99"):
        parse_metadata(bytes(data))


def test_not_a_metadata_file() -> None:
    with pytest.raises(MetadataError, match="magic number"):
        parse_metadata(b"PK\x03\x04" + bytes(100))


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(MetadataError, match="trailing bytes"):
        parse_metadata(_metadata(SMALLEST) + b"\x00")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_escape_as_another_error(data: bytes) -> None:
    header = struct.pack(">Ii", 0x4960672D, 4)
    for candidate in (data, header + data):
        with contextlib.suppress(MetadataError):
            parse_metadata(candidate)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_real_metadata_is_parsed_or_rejected_never_crashes(data: st.DataObject) -> None:
    original = _metadata(SMALLEST)
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255))
    corrupted = original[:position] + bytes([value]) + original[position + 1 :]
    try:
        manifest = parse_metadata(corrupted)
    except MetadataError:
        return
    assert manifest.format_version in range(3, 8)


def test_format_3_is_format_4_without_checkpoint_properties() -> None:
    """Flink 1.11-1.15 wrote format 3: the same layout, no trailing CheckpointProperties."""
    v4 = next(p for p in REAL_SAVEPOINTS if p.parent.parent.name.startswith("flink-1.20"))
    data = _metadata(v4)
    v3 = data[:4] + struct.pack(">i", 3) + data[8 : data.index(b"\xac\xed\x00\x05")]
    manifest = parse_metadata(v3)
    assert manifest.format_version == 3 and manifest.savepoint_format is None
    assert manifest.files == parse_metadata(data).files
