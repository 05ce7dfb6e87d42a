"""Big-endian reads in Java's DataInput encoding; running out of bytes is a MetadataError."""

from __future__ import annotations

import struct


class MetadataError(ValueError):
    """A `_metadata` that cannot be used: truncated, corrupt, or of an unknown format version."""


class Reader:
    def __init__(self, data: bytes, start: int = 0) -> None:
        self.data = data
        self.pos = start

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0:
            raise MetadataError(f"negative length {n} for {what} at byte {self.pos}")
        if n > self.remaining:
            raise MetadataError(
                f"truncated: {what} needs {n} bytes at byte {self.pos}, "
                f"only {self.remaining} remain"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def signed_byte(self, what: str) -> int:
        return struct.unpack(">b", self.take(1, what))[0]

    def short(self, what: str) -> int:
        return struct.unpack(">H", self.take(2, what))[0]

    def int(self, what: str) -> int:
        return struct.unpack(">i", self.take(4, what))[0]

    def long(self, what: str) -> int:
        return struct.unpack(">q", self.take(8, what))[0]

    def utf(self, what: str) -> str:
        """Java's writeUTF: an unsigned 16-bit length, then modified UTF-8."""
        raw = self.take(self.short(what), what)
        return raw.decode("utf-8", errors="replace")

    def count(self, what: str, item_size: int = 1) -> int:
        """A non-negative element count that the remaining bytes can possibly hold."""
        at = self.pos
        n = self.int(what)
        if n < 0 or n * item_size > self.remaining:
            raise MetadataError(f"implausible {what} {n} at byte {at} (corrupt or truncated)")
        return n
