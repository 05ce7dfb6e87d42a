"""Files and YAML: every way reading or writing can go wrong is one report, exit 2, and no file
changes that should not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cells import files
from tests.helpers import example_fleet_data, write_fleet
from tests.inputs.conftest import changed, problem_line, run, snapshot

FLEET = Path("cells/fleet.yaml")


def _fleet_text(project: Path, text: str) -> None:
    (project / FLEET).write_text(text, encoding="utf-8")


def test_missing_fleet_file_is_named(project: Path) -> None:
    before = snapshot(project)
    result = run("validate", "cells/nope.yaml")
    assert result.exit_code == 2
    assert "cells/nope.yaml" in result.output
    problem_line(result.output, "(file)", "file-missing")
    assert changed(before, snapshot(project)) == set()


def test_a_directory_where_the_fleet_file_belongs(project: Path) -> None:
    result = run("shard", "--fleet", "cells")
    assert result.exit_code == 2
    problem_line(result.output, "(file)", "not-a-file")


def test_a_file_where_a_folder_belongs(project: Path) -> None:
    result = run("validate", "cells/fleet.yaml/inner.yaml")
    assert result.exit_code == 2
    problem_line(result.output, "(file)", "not-a-directory")


def test_unreadable_lock_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "fleet.lock.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    before = snapshot(project)
    result = run("shard")
    assert result.exit_code == 2
    assert "fleet.lock.yaml" in result.output
    assert "permission denied" in problem_line(result.output, "(file)", "file-unreadable")
    assert changed(before, snapshot(project)) == set()


def test_not_utf8_names_the_line(project: Path) -> None:
    text = (project / FLEET).read_text()
    (project / FLEET).write_bytes(text.encode().replace(b"payments", b"pay\xe9ments", 1))
    result = run("validate")
    assert result.exit_code == 2
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "payments" in row)
    row = problem_line(result.output, "(file)", "not-utf8")
    assert row.split()[0] == str(line) and f"line {line}" in row


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("fleet: &a {name: x, inner: *a}\n", "yaml-recursive-alias"),
        ("a: &x [1, *x]\n", "yaml-recursive-alias"),
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n"
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            ),
            "yaml-alias-expansion",
        ),
        ("a: " + "[" * 200 + "]" * 200 + "\n", "yaml-too-deep"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "yaml-too-deep"),
        ("a: " + "9" * 5000 + "\n", "number-too-large"),
    ],
    ids=["recursive-mapping", "recursive-list", "billion-laughs", "deep", "very-deep", "digits"],
)
def test_hostile_yaml_is_refused_clearly(project: Path, text: str, code: str) -> None:
    _fleet_text(project, text)
    result = run("validate")
    assert result.exit_code == 2, result.output
    problem_line(result.output, "", code)
    assert "cells/fleet.yaml" in result.output


@pytest.mark.parametrize(
    ("path", "value", "code", "hint"),
    [
        ("fleet.kubernetes_version", 1.30, "string-type", 'quote it: "1.3"'),
        ("sizes.small.capacity_units", True, "int-type", "boolean"),
        ("tenants.0.jobs.0.parallelism", False, "int-type", "boolean"),
        ("sizes.small.capacity_units", 10**30, "less-than-equal", "1000000"),
        ("cells.0.wave", 10**20, "less-than-equal", "1000"),
    ],
)
def test_numbers_that_yaml_reads_differently(
    project: Path, path: str, value: object, code: str, hint: str
) -> None:
    from tests.helpers import set_path

    data = example_fleet_data()
    set_path(data, path, value)
    write_fleet(project / FLEET, data)
    result = run("validate")
    assert result.exit_code == 2
    assert hint in problem_line(result.output, path, code)


def test_a_float_version_is_quoted_back_as_written(project: Path) -> None:
    text = (project / FLEET).read_text()
    _fleet_text(
        project,
        text.replace("  name: payments\n", "  name: payments\n  kubernetes_version: 1.30\n"),
    )
    result = run("validate")
    assert result.exit_code == 2
    row = problem_line(result.output, "fleet.kubernetes_version", "string-type")
    assert 'quote it: "1.30"' in row


@pytest.mark.parametrize(
    "target", ["cells/fleet.yaml", "cells/fleet.lock.yaml", "stacks/Pulumi.use1-a.yaml"]
)
def test_plan_out_never_overwrites_an_input(project: Path, target: str) -> None:
    assert run("stacks", "sync").exit_code == 0
    before = snapshot(project)
    result = run("plan", "--cell", "use1-a", "-j", "1", "--out", target)
    assert result.exit_code == 2
    problem_line(result.output, "(file)", "output-is-input")
    assert changed(before, snapshot(project)) == set()


def test_an_interrupted_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")

    def fail(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(KeyboardInterrupt):
        files.write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_out_into_a_missing_folder_is_named(project: Path) -> None:
    result = run("plan", "--cell", "use1-a", "--out", "nowhere/plan.json")
    assert result.exit_code == 2
    assert "does not exist" in problem_line(result.output, "(file)", "no-folder")
