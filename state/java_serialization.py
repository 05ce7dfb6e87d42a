"""Just enough of Java object serialization to walk the CheckpointProperties that metadata format
versions 4 and later append, to find its end (a cut-off file must fail) and the savepoint's
format type (CANONICAL or NATIVE)."""

from __future__ import annotations

from dataclasses import dataclass, field

from state._binary import MetadataError, Reader

STREAM_MAGIC = b"\xac\xed\x00\x05"
TC_NULL, TC_REFERENCE, TC_CLASSDESC, TC_OBJECT, TC_STRING = 0x70, 0x71, 0x72, 0x73, 0x74
TC_ARRAY, TC_CLASS, TC_BLOCKDATA, TC_ENDBLOCKDATA = 0x75, 0x76, 0x77, 0x78
TC_LONGSTRING, TC_ENUM, TC_BLOCKDATALONG = 0x7C, 0x7E, 0x7A
BASE_HANDLE = 0x7E0000
SC_WRITE_METHOD, SC_SERIALIZABLE, SC_EXTERNALIZABLE = 0x01, 0x02, 0x04
PRIMITIVE_SIZES = {"B": 1, "C": 2, "D": 8, "F": 4, "I": 4, "J": 8, "S": 2, "Z": 1}
MAX_DEPTH = 64


@dataclass
class _ClassDesc:
    name: str
    flags: int
    fields: list[tuple[str, str]]  # (type code, name)
    parent: _ClassDesc | None = None


@dataclass
class JavaObjects:
    """What was read: enum constants by enum class name."""

    enums: dict[str, str] = field(default_factory=dict)


class _Walker:
    def __init__(self, reader: Reader) -> None:
        self.r = reader
        self.handles: list[object] = []
        self.found = JavaObjects()

    def content(self, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise MetadataError("checkpoint properties nest too deeply (corrupt)")
        tag = self.r.byte("a serialized object")
        if tag == TC_NULL:
            return None
        if tag == TC_REFERENCE:
            index = self.r.int("an object reference") - BASE_HANDLE
            if not 0 <= index < len(self.handles):
                raise MetadataError(f"dangling object reference {index} in checkpoint properties")
            return self.handles[index]
        if tag == TC_CLASSDESC:
            return self._class_desc(depth)
        if tag in (TC_STRING, TC_LONGSTRING):
            n = self.r.short("a string") if tag == TC_STRING else self.r.long("a long string")
            text = self.r.take(n, "a string").decode("utf-8", errors="replace")
            self.handles.append(text)
            return text
        if tag == TC_ENUM:
            desc = self._desc(depth)
            self.handles.append(None)
            constant = self.content(depth + 1)
            if desc is not None:
                self.found.enums[desc.name] = str(constant)
            return constant
        if tag == TC_OBJECT:
            desc = self._desc(depth)
            self.handles.append(desc)
            self._object_data(desc, depth)
            return desc
        if tag == TC_ARRAY:
            desc = self._desc(depth)
            self.handles.append(desc)
            size = self.r.count("an array length")
            component = desc.name[1:2] if desc else "L"
            for _ in range(size):
                self._value(component, depth)
            return desc
        if tag == TC_CLASS:
            desc = self._desc(depth)
            self.handles.append(desc)
            return desc
        raise MetadataError(f"unexpected tag 0x{tag:02x} in checkpoint properties")

    def _desc(self, depth: int) -> _ClassDesc | None:
        desc = self.content(depth + 1)
        if desc is not None and not isinstance(desc, _ClassDesc):
            raise MetadataError("checkpoint properties: expected a class descriptor")
        return desc

    def _class_desc(self, depth: int) -> _ClassDesc:
        name = self.r.utf("a class name")
        self.r.take(8, "a serialVersionUID")
        desc = _ClassDesc(name, self.r.byte("class flags"), [])
        self.handles.append(desc)
        for _ in range(self.r.short("a field count")):
            code = chr(self.r.byte("a field type"))
            field_name = self.r.utf("a field name")
            if code in "L[":
                self.content(depth + 1)  # the field's class name
            elif code not in PRIMITIVE_SIZES:
                raise MetadataError(f"unknown field type {code!r} in checkpoint properties")
            desc.fields.append((code, field_name))
        self._annotations(depth)
        desc.parent = self._desc(depth)
        return desc

    def _annotations(self, depth: int) -> None:
        while True:
            tag = self.r.data[self.r.pos] if self.r.remaining else None
            if tag is None:
                raise MetadataError("truncated: checkpoint properties end inside an annotation")
            if tag == TC_ENDBLOCKDATA:
                self.r.pos += 1
                return
            if tag == TC_BLOCKDATA:
                self.r.pos += 1
                self.r.take(self.r.byte("a block length"), "block data")
            elif tag == TC_BLOCKDATALONG:
                self.r.pos += 1
                self.r.take(self.r.count("a block length"), "block data")
            else:
                self.content(depth + 1)

    def _object_data(self, desc: _ClassDesc | None, depth: int) -> None:
        chain: list[_ClassDesc] = []
        while desc is not None:
            chain.append(desc)
            desc = desc.parent
        for cls in reversed(chain):
            if cls.flags & SC_EXTERNALIZABLE:
                self._annotations(depth)
                continue
            for code, _ in cls.fields:
                self._value(code, depth)
            if cls.flags & SC_WRITE_METHOD:
                self._annotations(depth)

    def _value(self, code: str, depth: int) -> None:
        if code in PRIMITIVE_SIZES:
            self.r.take(PRIMITIVE_SIZES[code], "a field value")
        else:
            self.content(depth + 1)


def read_java_object(reader: Reader) -> JavaObjects:
    """Reads one object stream (magic, version, one object) from the reader's position."""
    if reader.take(4, "the checkpoint properties header") != STREAM_MAGIC:
        raise MetadataError("checkpoint properties do not start with Java's stream header")
    walker = _Walker(reader)
    walker.content()
    return walker.found
