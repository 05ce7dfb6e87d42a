"""A process keeps the last fleet (and lock) it loaded, one only, and never serves it once the
file has changed: not when an edit keeps the size and the modification time, and not on a file
system whose timestamps do not move at all."""

from __future__ import annotations

import gc
import os
import shutil
import time
import weakref
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells import last_read
from cells.loader import load_fleet
from cells.placement import load_placement, lock_path
from tests.helpers import EXAMPLE_FLEET


def _copy(folder: Path, name: str = "fleet.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fleet_file = folder / name
    shutil.copy(EXAMPLE_FLEET, fleet_file)
    shutil.copy(lock_path(EXAMPLE_FLEET), lock_path(fleet_file))
    return fleet_file


def _rename(fleet_file: Path, name: str, keep_mtime: bool = True) -> None:
    """The fleet renamed in place, the file's size (and, by default, mtime) kept."""
    assert len(name) == len("payments")
    stat = fleet_file.stat()
    text = fleet_file.read_text()
    current = next(line for line in text.splitlines(keepends=True) if line.startswith("  name: "))
    fleet_file.write_text(text.replace(current, f"  name: {name}\n", 1))
    if keep_mtime:
        os.utime(fleet_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert fleet_file.stat().st_size == stat.st_size


def test_an_unchanged_file_is_loaded_once(tmp_path: Path) -> None:
    fleet_file = _copy(tmp_path)
    assert load_fleet(fleet_file) is load_fleet(fleet_file)
    assert load_fleet(str(fleet_file)) is load_fleet(tmp_path / "." / "fleet.yaml")


def test_an_edit_that_keeps_size_and_mtime_is_read_again(tmp_path: Path) -> None:
    fleet_file = _copy(tmp_path)
    first = load_fleet(fleet_file)
    _rename(fleet_file, "paymentz")
    again = load_fleet(fleet_file)
    assert (first.name, again.name) == ("payments", "paymentz")


def test_an_edit_the_timestamps_do_not_show_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system whose clock did not tick between two writes: the stamp is the same, the
    file changed just now, so its content is compared."""
    fleet_file = _copy(tmp_path)
    now = time.time_ns()
    monkeypatch.setattr(last_read, "stamp_of", lambda file: (1, 2, 3, now, now))
    first = load_fleet(fleet_file)
    assert load_fleet(fleet_file) is first  # same content: kept
    _rename(fleet_file, "paymentz", keep_mtime=False)
    assert load_fleet(fleet_file).name == "paymentz"


def test_a_file_unchanged_for_a_while_is_not_even_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each of a plan's stacks pays to load the fleet does not grow with the fleet."""
    fleet_file = _copy(tmp_path)
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(fleet_file, ns=(hour_ago, hour_ago))
    stamp = last_read.stamp_of(fleet_file)
    monkeypatch.setattr(last_read, "stamp_of", lambda file: (*stamp[:4], hour_ago))
    first = load_fleet(fleet_file)
    reads: list[Path] = []
    monkeypatch.setattr(last_read, "read_bytes", lambda file: reads.append(file) or b"")
    assert load_fleet(fleet_file) is first
    assert reads == []


def test_only_the_last_fleet_and_lock_are_kept(tmp_path: Path) -> None:
    one, two = _copy(tmp_path / "one"), _copy(tmp_path / "two")
    fleet = load_fleet(one)
    load_placement(fleet, one)
    kept = weakref.ref(fleet)
    del fleet
    load_placement(load_fleet(two), two)
    gc.collect()
    assert kept() is None


def test_a_lock_is_checked_again_for_another_fleet(tmp_path: Path) -> None:
    one, two = _copy(tmp_path / "one"), _copy(tmp_path / "two")
    first = load_placement(load_fleet(one), one)
    assert load_placement(load_fleet(one), one) is first
    assert load_placement(load_fleet(two), two) is not first
    assert load_placement(load_fleet(one), one) is not first  # one kept at a time


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.text("abcdefghijklmnopqrstuvwxyz", min_size=8, max_size=8).map(
                lambda name: "p" + name[1:]
            ),
            st.booleans(),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    ),
    frozen=st.booleans(),
)
def test_a_load_always_sees_the_file_as_it_is(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[tuple[str, str, bool, bool]],
    frozen: bool,
) -> None:
    """Any sequence of same-size edits, with the mtime kept or not, on two files, on a file
    system whose timestamps move or stand still: each load gives the fleet the file holds."""
    folder = tmp_path / str(time.monotonic_ns())
    files = {key: _copy(folder / key) for key in "ab"}
    with monkeypatch.context() as patch:
        if frozen:
            now = time.time_ns()
            patch.setattr(last_read, "stamp_of", lambda file: (1, 2, 3, now, now))
        for key, name, edit, keep_mtime in steps:
            if edit:
                _rename(files[key], name, keep_mtime)
            written = files[key].read_text().split("  name: ", 1)[1].split("\n", 1)[0]
            assert load_fleet(files[key]).name == written
