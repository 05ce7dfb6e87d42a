"""A savepoint's `_metadata` as a manifest: which files it names, with which sizes.

The layout follows Flink's MetadataV2V3SerializerBase and MetadataV3..V7Serializer (format 4 is
what Flink 1.20 writes, 5 and later what 2.x writes): a magic number and format version, the
checkpoint id, master states, then per operator (name and uid from version 5 on) its coordinator
state and per subtask its operator and keyed state handles. Handles are either files (relative to
the savepoint directory in a relocatable savepoint, absolute otherwise) or inline byte streams that
need no file. Version 4 and later append the CheckpointProperties as a Java serialized object.
Anything cut short, corrupt or of an unknown version raises MetadataError with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from state._binary import MetadataError, Reader
from state.java_serialization import read_java_object

MAGIC = 0x4960672D
MASTER_STATE_MAGIC = 0xC96B1696 - (1 << 32)  # read as a signed int
SUPPORTED_VERSIONS = range(3, 8)
FORMAT_TYPE_CLASS = "org.apache.flink.core.execution.SavepointFormatType"
POST_ACTION_CLASS = "org.apache.flink.runtime.checkpoint.SavepointType$PostCheckpointAction"
# What the job did after the savepoint: NONE (kept running), SUSPEND or TERMINATE (stopped).
STOPPED_ACTIONS = frozenset({"SUSPEND", "TERMINATE"})

# Stream state handles (MetadataV2V3SerializerBase).
NULL_HANDLE = 0
BYTE_STREAM = 1
FILE_STREAM = 2
KEY_GROUPS = 3
PARTITIONABLE_OPERATOR_STATE = 4
INCREMENTAL_KEY_GROUPS = 5
RELATIVE_STREAM = 6
SAVEPOINT_KEY_GROUPS = 7
CHANGELOG = 8
CHANGELOG_BYTE_INCREMENT = 9
CHANGELOG_FILE_INCREMENT = 10
INCREMENTAL_KEY_GROUPS_V2 = 11
KEY_GROUPS_V2 = 12
CHANGELOG_FILE_INCREMENT_V2 = 13
CHANGELOG_V2 = 14


@dataclass(frozen=True)
class StateFile:
    path: str  # relative to the savepoint directory, or absolute for a non-relocatable handle
    size: int


@dataclass(frozen=True)
class SavepointManifest:
    format_version: int
    checkpoint_id: int
    operators: int
    files: tuple[StateFile, ...]  # relative to the savepoint directory, sorted, unique
    absolute_files: tuple[StateFile, ...]  # handles naming a full path (not relocatable)
    inline_handles: int  # byte streams held inside `_metadata` itself
    inline_bytes: int
    savepoint_format: str | None  # CANONICAL or NATIVE (format 4 and later), else None
    post_checkpoint_action: str | None  # NONE, SUSPEND, TERMINATE (format 4 and later)

    @property
    def job_stopped(self) -> bool:
        """The job stopped with this savepoint (stop-with-savepoint, as a suspend does)."""
        return self.post_checkpoint_action in STOPPED_ACTIONS


@dataclass
class _Collected:
    files: dict[str, int] = field(default_factory=dict)
    absolute: dict[str, int] = field(default_factory=dict)
    inline_handles: int = 0
    inline_bytes: int = 0

    def add(self, table: dict[str, int], path: str, size: int) -> None:
        if size < 0:
            raise MetadataError(f"negative size {size} recorded for {path}")
        if table.setdefault(path, size) != size:
            raise MetadataError(f"{path} is recorded with two sizes: {table[path]} and {size}")


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.r = Reader(data)
        self.out = _Collected()
        self.version = 0

    def parse(self) -> SavepointManifest:
        r = self.r
        if len(r.data) < 8:
            raise MetadataError(f"truncated: {len(r.data)} bytes, not even a header")
        magic = r.int("the magic number") & 0xFFFFFFFF
        if magic != MAGIC:
            raise MetadataError(f"not a Flink _metadata file (magic number 0x{magic:08x})")
        self.version = r.int("the format version")
        if self.version not in SUPPORTED_VERSIONS:
            raise MetadataError(
                f"unknown metadata format version {self.version} (this tool reads "
                f"{SUPPORTED_VERSIONS.start}-{SUPPORTED_VERSIONS.stop - 1})"
            )
        checkpoint_id = r.long("the checkpoint id")
        if checkpoint_id < 0:
            raise MetadataError(f"invalid checkpoint id {checkpoint_id}")
        for _ in range(r.count("master state count", 8)):
            self._master_state()
        operators = r.count("operator count", 24)
        for _ in range(operators):
            self._operator()
        enums: dict[str, str] = {}
        if self.version >= 4:
            enums = read_java_object(r).enums
        if r.remaining:
            raise MetadataError(f"{r.remaining} unexpected trailing bytes at byte {r.pos}")
        out = self.out
        return SavepointManifest(
            format_version=self.version,
            checkpoint_id=checkpoint_id,
            operators=operators,
            files=tuple(StateFile(p, s) for p, s in sorted(out.files.items())),
            absolute_files=tuple(StateFile(p, s) for p, s in sorted(out.absolute.items())),
            inline_handles=out.inline_handles,
            inline_bytes=out.inline_bytes,
            savepoint_format=enums.get(FORMAT_TYPE_CLASS),
            post_checkpoint_action=enums.get(POST_ACTION_CLASS),
        )

    def _master_state(self) -> None:
        if self.r.int("a master state magic number") != MASTER_STATE_MAGIC:
            raise MetadataError("corrupt master state (wrong magic number)")
        size = self.r.count("master state size")
        if size == 0:
            raise MetadataError("empty master state")
        self.r.take(size, "a master state")

    def _operator(self) -> None:
        r = self.r
        if self.version >= 5:
            r.utf("an operator name")
            r.utf("an operator uid")
        r.take(16, "an operator id")
        r.int("operator parallelism")
        r.int("operator max parallelism")
        coordinator = r.byte("a coordinator state handle")
        if coordinator not in (NULL_HANDLE, BYTE_STREAM):
            raise MetadataError(f"coordinator state must be inline, found handle {coordinator}")
        self._stream_handle_body(coordinator)
        subtasks = r.int("subtask count")
        if subtasks < 0:
            return  # a fully finished operator
        if subtasks * 4 > r.remaining:
            raise MetadataError(f"implausible subtask count {subtasks} (corrupt or truncated)")
        for _ in range(subtasks):
            if r.int("a subtask index") >= 0:  # negative: a finished subtask, no state
                self._subtask()

    def _subtask(self) -> None:
        r = self.r
        for kind in ("managed", "raw"):
            if r.int(f"{kind} operator state flag") != 0:
                self._operator_handle()
        self._keyed_handle()
        self._keyed_handle()
        for what in ("input channel state", "result subpartition state"):
            if r.count(f"{what} count"):
                raise MetadataError(f"{what} present: an unaligned checkpoint, not a savepoint")
        if self.version >= 7 and r.byte("a reference checkpoint marker") == 1:
            r.long("a reference checkpoint id")

    def _operator_handle(self) -> None:
        r = self.r
        kind = r.signed_byte("an operator state handle")
        if kind == NULL_HANDLE:
            return
        if kind != PARTITIONABLE_OPERATOR_STATE:
            raise MetadataError(f"unknown operator state handle type {kind}")
        for _ in range(r.count("operator state entries", 7)):
            r.utf("an operator state name")
            r.byte("a distribution mode")
            r.take(8 * r.count("offset count", 8), "partition offsets")
        self._stream_handle()

    def _keyed_handle(self) -> None:
        r = self.r
        kind = r.signed_byte("a keyed state handle")
        if kind == NULL_HANDLE:
            return
        if kind in (KEY_GROUPS, KEY_GROUPS_V2, SAVEPOINT_KEY_GROUPS):
            self._key_group_offsets()
            self._stream_handle()
            if kind == KEY_GROUPS_V2:
                r.utf("a state handle id")
        elif kind in (INCREMENTAL_KEY_GROUPS, INCREMENTAL_KEY_GROUPS_V2):
            r.long("a checkpoint id")
            r.utf("a backend id")
            r.take(8, "a key group range")
            if kind == INCREMENTAL_KEY_GROUPS_V2:
                r.long("a checkpointed size")
            self._stream_handle()  # the backend's meta data
            for what in ("shared", "private"):
                for _ in range(r.count(f"{what} state count", 3)):
                    r.utf("a local path")
                    self._stream_handle()
            if kind == INCREMENTAL_KEY_GROUPS_V2:
                r.utf("a state handle id")
        elif kind in (CHANGELOG, CHANGELOG_V2):
            r.take(16, "a key group range and checkpointed size")
            for what in ("materialized", "non-materialized"):
                for _ in range(r.count(f"{what} handle count")):
                    self._keyed_handle()
            r.long("a materialization id")
            if kind == CHANGELOG_V2:
                r.long("a checkpoint id")
            r.utf("a state handle id")
        elif kind == CHANGELOG_BYTE_INCREMENT:
            r.take(24, "a key group range and sequence numbers")
            for _ in range(r.count("change count", 8)):
                r.int("a key group")
                size = r.count("change size")
                r.take(size, "a state change")
                self.out.inline_handles += 1
                self.out.inline_bytes += size
            r.utf("a state handle id")
        elif kind in (CHANGELOG_FILE_INCREMENT, CHANGELOG_FILE_INCREMENT_V2):
            r.take(8, "a key group range")
            for _ in range(r.count("changelog handle count", 9)):
                r.long("an offset")
                self._stream_handle()
            r.take(16, "state and checkpointed size")
            r.utf("a state handle id")
            if kind == CHANGELOG_FILE_INCREMENT_V2:
                r.utf("a storage identifier")
        else:
            raise MetadataError(f"unknown keyed state handle type {kind}")

    def _key_group_offsets(self) -> None:
        self.r.int("the first key group")
        groups = self.r.count("key group count", 8)
        self.r.take(8 * groups, "key group offsets")

    def _stream_handle(self) -> None:
        self._stream_handle_body(self.r.byte("a stream state handle"))

    def _stream_handle_body(self, kind: int) -> None:
        r = self.r
        if kind == NULL_HANDLE:
            return
        if kind == BYTE_STREAM:
            r.utf("an inline handle name")
            size = r.count("inline state size")
            r.take(size, "inline state")
            self.out.inline_handles += 1
            self.out.inline_bytes += size
        elif kind == RELATIVE_STREAM:
            path = r.utf("a relative file path")
            self._check_relative(path)
            self.out.add(self.out.files, path, r.long("a file size"))
        elif kind == FILE_STREAM:
            size = r.long("a file size")
            self.out.add(self.out.absolute, r.utf("a file path"), size)
        elif kind == KEY_GROUPS:
            self._key_group_offsets()
            self._stream_handle()
        else:
            raise MetadataError(f"unknown stream state handle type {kind}")

    @staticmethod
    def _check_relative(path: str) -> None:
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise MetadataError(f"relative file path {path!r} leaves the savepoint directory")


def parse_metadata(data: bytes) -> SavepointManifest:
    """The manifest of one `_metadata` file; MetadataError (with a reason) if it is unusable."""
    try:
        return _Parser(data).parse()
    except RecursionError:
        raise MetadataError("state handles nest too deeply (corrupt)") from None
