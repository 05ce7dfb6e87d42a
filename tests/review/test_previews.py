"""`cellctl diff --from-previews`: real `pulumi preview --json` outputs, and outputs in the same
shape written from the offline diff, give the same comment and danger classes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cells.problems import FleetError
from review.present import markdown
from review.review import review_previews
from tests.review.conftest import classes

PREVIEWS = Path(__file__).parent / "previews"


def test_real_previews_render_without_dangers(tmp_path):
    for name in ("aws-cascading-deps.json", "tls-replace.json"):
        shutil.copy(PREVIEWS / name, tmp_path / name)
    review = review_previews(tmp_path)
    assert review.dangers == []
    counts = {s.stack: s.counts for s in review.stacks}
    assert counts["aws-cascading-deps"]["update"] == 2
    assert counts["aws-cascading-deps"]["same"] == 1
    assert counts["tls-replace"]["replace"] == 1
    assert counts["tls-replace"]["create"] == 1
    comment = markdown(review)
    assert "`tls-key-0`" in comment
    assert "replaced because of `algorithm`, `ecdsaCurve`" in comment


def test_a_protected_delete_in_a_real_preview_is_a_danger(tmp_path):
    """The real KMS-key step, turned into the delete a cell retirement would preview."""
    data = json.loads((PREVIEWS / "aws-cascading-deps.json").read_text())
    step = data["steps"][1]
    step["op"] = "delete"
    step["oldState"]["protect"] = True
    del step["newState"]
    (tmp_path / "use1-a.json").write_text(json.dumps(data))
    review = review_previews(tmp_path)
    assert classes(review) == {"stateful-resource"}
    assert "protected" in review.dangers[0].summary


def test_offline_diff_written_as_previews_gives_the_same_dangers(git_project, tmp_path):
    git_project.edit_fleet(
        lambda data: git_project.tenant(data, "fraud-signals")["topics"][0].update(partitions=24)
    )
    git_project.edit_fleet(lambda data: git_project.tenant(data, "fraud-signals")["topics"].pop(1))
    offline = git_project.review("use1-a")
    folder = tmp_path / "previews"
    folder.mkdir()
    for stack in offline.stacks:
        (folder / f"{stack.stack}.json").write_text(json.dumps({"steps": stack.steps}))
    previews = review_previews(folder)
    assert [d.id for d in previews.dangers] == [d.id for d in offline.dangers]
    assert classes(previews) == {"topic-data-loss", "stateful-resource"}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("{not json", "json-syntax"),
        ('{"steps": [{"urn": "x"}]}', "not-a-preview"),
        ("[]", "not-a-preview"),
    ],
)
def test_bad_previews_name_the_file(tmp_path, content, code):
    (tmp_path / "use1-a.json").write_text(content)
    with pytest.raises(FleetError) as raised:
        review_previews(tmp_path)
    assert raised.value.file == tmp_path / "use1-a.json"
    assert raised.value.problems[0].code == code


def test_empty_or_missing_preview_directory(tmp_path):
    with pytest.raises(FleetError):
        review_previews(tmp_path)
    with pytest.raises(FleetError):
        review_previews(tmp_path / "missing")
