"""`cellctl diff` exit codes: 0 no unacknowledged danger, 1 some, 2 invalid input."""

from __future__ import annotations

import json

from tests.review.conftest import git


def shrink_topic(git_project):
    git_project.edit_fleet(
        lambda data: git_project.tenant(data, "fraud-signals")["topics"][0].update(partitions=24)
    )


def test_no_change_exits_0(git_project):
    result = git_project.cellctl("diff", "--base", "HEAD", "--cell", "use1-a")
    assert result.exit_code == 0, result.output
    assert "0 stacks changed, 1 unchanged" in result.output


def test_unacknowledged_danger_exits_1_and_an_ack_makes_it_0(git_project, tmp_path):
    shrink_topic(git_project)
    out = tmp_path / "review.json"
    result = git_project.cellctl(
        "diff", "--base", "HEAD", "--cell", "use1-a", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 1, result.output
    (danger,) = json.loads(out.read_text())["dangers"]
    assert danger["class"] == "topic-data-loss"
    acks = tmp_path / "acks.yaml"
    acks.write_text(
        f"acknowledged:\n  - id: {danger['id']}\n    reason: topic is re-created empty\n"
    )
    comment = tmp_path / "comment.md"
    result = git_project.cellctl(
        "diff",
        "--base",
        "HEAD",
        "--cell",
        "use1-a",
        "--ack",
        str(acks),
        "--format",
        "markdown",
        "--out",
        str(comment),
    )
    assert result.exit_code == 0, result.output
    assert "acknowledged: topic is re-created empty" in comment.read_text()


def test_bad_ack_file_exits_2(git_project, tmp_path):
    acks = tmp_path / "acks.yaml"
    acks.write_text("acknowledged:\n  - id: x\n")
    result = git_project.cellctl("diff", "--ack", str(acks))
    assert result.exit_code == 2
    assert "acknowledged.0.reason" in result.output
    assert "Traceback" not in result.output


def test_unknown_base_ref_exits_2(git_project):
    result = git_project.cellctl("diff", "--base", "no-such-ref")
    assert result.exit_code == 2
    assert "no-such-ref" in result.output


def test_unknown_cell_exits_2(git_project):
    result = git_project.cellctl("diff", "--base", "HEAD", "--cell", "nope-z")
    assert result.exit_code == 2
    assert "--cell nope-z" in result.output


def test_an_output_in_a_missing_folder_exits_2_before_planning(git_project, tmp_path):
    for option in ("--out", "--json-out"):
        result = git_project.cellctl(
            "diff", "--base", "HEAD", "--cell", "use1-a", option, str(tmp_path / "no" / "x")
        )
        assert result.exit_code == 2, result.output
        assert "no-folder" in result.output and "internal error" not in result.output
        assert "planning" not in result.output, "refused before any plan ran"


def test_stale_stack_files_exit_2(git_project):
    git_project.edit_fleet(
        lambda data: data["cells"].append(
            {"id": "use1-e", "region": "us-east-1", "size": "medium", "wave": 2}
        )
    )
    result = git_project.cellctl("diff", "--base", "HEAD", "--cell", "use1-a")
    assert result.exit_code == 2
    assert "cellctl stacks sync" in result.output


def test_default_base_is_head_without_origin_main(git_project):
    shrink_topic(git_project)
    git(git_project.root, "stash")
    result = git_project.cellctl("diff", "--cell", "use1-a")
    assert result.exit_code == 0, result.output
    assert "base (" in result.output
