"""Every file cellctl reads or writes goes through here: the operating system's refusals become
one problem naming the file and what to do, and writes replace a file whole or not at all."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cells import interrupts
from cells.problems import FleetError, Problem


def _refusal(file: Path, code: str, message: str, line: int | None = None) -> FleetError:
    return FleetError(file, [Problem("", code, message, line)])


def _os_problem(file: Path, error: OSError, doing: str) -> FleetError:
    reason = error.strerror or str(error)
    if error.errno == errno.ENOENT:
        return _refusal(file, "file-missing", "file not found; check the path")
    if error.errno == errno.EISDIR:
        return _refusal(file, "not-a-file", "is a directory, not a file; give the file's path")
    if error.errno == errno.ENOTDIR:
        return _refusal(
            file, "not-a-directory", "a part of this path is a file, not a folder; fix the path"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return _refusal(
            file,
            f"file-{'unreadable' if doing == 'read' else 'unwritable'}",
            f"permission denied to {doing} it; fix its permissions or run as its owner",
        )
    if error.errno == errno.ELOOP:
        return _refusal(file, "symlink-loop", "symbolic links loop; fix or remove the link")
    return _refusal(
        file,
        f"file-{'unreadable' if doing == 'read' else 'unwritable'}",
        f"cannot {doing} it: {reason}",
    )


def read_bytes(file: Path) -> bytes:
    try:
        if file.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(file))
        return file.read_bytes()
    except OSError as error:
        raise _os_problem(file, error, "read") from None


def read_text(file: Path) -> str:
    """The file as UTF-8 text; anything else is a problem that names the file (and line)."""
    data = read_bytes(file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _refusal(
            file,
            "not-utf8",
            f"byte {data[error.start]:#04x} at line {line} is not UTF-8; save the file as UTF-8",
            line,
        ) from None


def read_text_if_exists(file: Path) -> str | None:
    """The file's text, or None when nothing is at that path (a dangling link is a problem)."""
    try:
        file.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _os_problem(file, error, "read") from None
    return read_text(file)


def exists(file: Path) -> bool:
    """Whether anything (a file, a folder, a link) is at this path."""
    try:
        file.lstat()
    except FileNotFoundError:
        return False
    except OSError as error:
        if error.errno == errno.ENOTDIR:
            return False
        raise _os_problem(file, error, "read") from None
    return True


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_target(
    file: Path, *, inputs: Iterable[Path] = (), make_parents: bool = False
) -> os.stat_result | None:
    """Refuse, before any work is done, a target that write_text would refuse."""
    for source in inputs:
        if same_file(file, source):
            raise _refusal(
                file,
                "output-is-input",
                f"is an input of this command ({source}); write the output somewhere else",
            )
    try:
        info = file.lstat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise _os_problem(file, error, "write") from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise _refusal(
            file,
            "symlink",
            f"is a symbolic link (to {os.readlink(file)}); cellctl replaces files whole and "
            "never writes through a link: replace the link with a plain file",
        )
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise _refusal(file, "not-a-file", "is a directory; give a file path to write")
    if not make_parents and not file.parent.is_dir():
        what = "is not a folder" if file.parent.exists() else "does not exist"
        raise _refusal(file, "no-folder", f"folder {file.parent} {what}; create it first")
    return info


def write_text(
    file: Path, text: str, *, inputs: Iterable[Path] = (), make_parents: bool = False
) -> None:
    """Replace `file` with `text` atomically (a temporary file in the same folder, then a
    rename): an interrupted run leaves the old file whole. Refuses to write onto one of
    `inputs` or through a symbolic link."""
    info = check_target(file, inputs=inputs, make_parents=make_parents)
    folder = file.parent
    try:
        if make_parents:
            folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{file.name}.", suffix=".tmp")
    except FileExistsError as error:
        raise _refusal(
            file, "not-a-directory", f"{error.filename} is a file, not a folder; fix the path"
        ) from None
    except OSError as error:
        raise _os_problem(file, error, "write") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
        os.chmod(temporary, mode)
        interrupts.raise_if_swallowed()  # a Ctrl-C pressed is a file not written
        os.replace(temporary, file)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _os_problem(file, error, "write") from None
        raise


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
