"""The last value built from a file, reused while the file provably has not changed.

A process that plans many stacks runs the Pulumi program once per stack, and each run reads the
fleet file and the lock itself, as `pulumi up` does; parsing and checking them again per stack
would make every stack's cost grow with the fleet. One value is kept per use: a fleet of
100,000 tenants holds about 70 MB."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cells.files import read_bytes

T = TypeVar("T")

# A file's timestamps come from a coarse clock, and some file systems keep whole seconds: a file
# changed within this long of being read may keep its stamp, so its content is compared instead.
RACY_NS = 2_000_000_000

Stamp = tuple[int, int, int, int, int]


def stamp_of(file: Path) -> Stamp:
    """What changes when the file does: a write sets ctime (which no tool can set back), a
    replacement brings a new inode."""
    stat = os.stat(file)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class _Kept(Generic[T]):
    key: Hashable
    stamp: Stamp
    # The digest of the bytes the value was built from, when the stamp alone cannot prove
    # a later read unchanged (the file had changed just before it was read).
    digest: bytes | None
    value: T


class LastRead(Generic[T]):
    """Keeps one value, built from one file, with what proves the file unchanged."""

    def __init__(self) -> None:
        self._kept: _Kept[T] | None = None

    def get(self, key: Hashable, file: Path, build: Callable[[], T]) -> T:
        """The value for `key`, built by `build` (which reads the file) unless the file is
        unchanged since it was last built for the same key."""
        started = time.time_ns()
        stamp = stamp_of(file)
        kept = self._kept
        if (
            kept is not None
            and (kept.key, kept.stamp) == (key, stamp)
            and (kept.digest is None or _digest(read_bytes(file)) == kept.digest)
        ):
            return kept.value
        self._kept = None  # the old value is not held while the new one is built
        # Taken before `build` reads the file: a change in between makes the digest differ
        # from the file's later content, and the value is built again, never served stale.
        racy = started - max(stamp[3], stamp[4]) < RACY_NS
        digest = _digest(read_bytes(file)) if racy else None
        value = build()
        self._kept = _Kept(key, stamp, digest, value)
        return value

    def forget(self) -> None:
        self._kept = None
