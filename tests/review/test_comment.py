"""The pull-request comment: one marker, summary first, every danger, and never more than
65,536 characters however large the fleet: stack details are cut first, and it says so."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cells.synthetic import synthetic_fleet
from review.acks import Ack, Acks
from review.dangers import JOB_LEAVES, STATEFUL, TOPIC_DATA, make_danger, sort_dangers
from review.present import COMMENT_LIMIT, MARKER, json_text, markdown, text
from review.review import CHANGED, Review, StackChanges


def _step(stack: str, index: int, op: str) -> dict:
    urn = (
        f"urn:pulumi:{stack}::flink-cells::flinkcells:index:FlinkCell$flinkcells:kafka:Kafka"
        f"$aws:msk/topic:Topic::{stack}-kafka-topic-t{index:05d}.events"
    )
    step = {"op": op, "urn": urn, "type": "aws:msk/topic:Topic"}
    if op == "update":
        step["detailedDiff"] = {
            f"tags.k{i}": {"kind": "update", "inputDiff": True} for i in range(3)
        }
    return step


def fleet_review(cells: int, steps_per_cell: int, dangers_per_cell: int) -> Review:
    """Every cell of a generated fleet changes; a synthetic diff, rendered only."""
    ids = [c["id"] for c in synthetic_fleet(8, max(cells // 8, 1), 1)["cells"]][:cells]
    stacks, dangers = [], []
    for cell in ids:
        steps = [
            _step(cell, i, ("update", "create", "delete")[i % 3]) for i in range(steps_per_cell)
        ]
        stacks.append(StackChanges(cell, CHANGED, steps))
        for i in range(dangers_per_cell):
            danger_class = (STATEFUL, TOPIC_DATA, JOB_LEAVES)[i % 3]
            dangers.append(
                make_danger(
                    danger_class,
                    cell,
                    steps[i % len(steps)]["urn"] + str(i),
                    f"deleting topic `t{i:05d}.events` loses every record in the topic.",
                )
            )
    return Review("main (abc1234567)", "working tree", stacks, sort_dangers(dangers))


def test_comment_of_a_200_cell_fleet_where_every_cell_changes_fits():
    review = fleet_review(cells=200, steps_per_cell=60, dangers_per_cell=1)
    comment = markdown(review)
    assert len(comment) <= COMMENT_LIMIT
    assert comment.startswith(MARKER)
    assert comment.count("` | changed | ") == 200  # one summary row per cell
    for danger in review.dangers:
        assert danger.id in comment and danger.summary in comment
    assert "Details of " in comment and "cut to keep this comment within 65,536" in comment
    assert comment.index("#### Dangers") < comment.index("#### Changes per stack")


def test_small_review_keeps_every_detail():
    review = fleet_review(cells=3, steps_per_cell=4, dangers_per_cell=1)
    comment = markdown(review)
    assert "cut" not in comment
    assert comment.count("<details>") == 3
    assert "3 unacknowledged" in comment


@settings(max_examples=25, deadline=None)
@given(
    cells=st.integers(min_value=1, max_value=400),
    steps=st.integers(min_value=1, max_value=80),
    dangers=st.integers(min_value=0, max_value=12),
)
def test_comment_never_exceeds_the_limit_and_keeps_every_danger_id(cells, steps, dangers):
    review = fleet_review(cells, steps, min(dangers, steps))
    comment = markdown(review)
    assert len(comment) <= COMMENT_LIMIT
    assert f"{len(review.unacknowledged)} unacknowledged" in comment or not review.dangers
    listed = sum(d.id in comment for d in review.dangers)
    # Ids survive unless only the per-class counts fit: then the comment says where they are.
    assert listed == len(review.dangers) or "lists every one" in comment


def test_acknowledged_dangers_still_show_with_their_reason():
    review = fleet_review(cells=2, steps_per_cell=3, dangers_per_cell=1)
    first = review.dangers[0]
    review.acks = Acks([Ack(id=first.id, reason="cell retired in CHG-1234")])
    comment = markdown(review)
    assert "acknowledged: cell retired in CHG-1234" in comment
    assert "1 unacknowledged" in comment
    assert first.summary in comment


def test_json_has_the_preview_step_shape_and_every_danger():
    review = fleet_review(cells=2, steps_per_cell=3, dangers_per_cell=2)
    data = json.loads(json_text(review))
    assert {d["id"] for d in data["dangers"]} == {d.id for d in review.dangers}
    step = data["stacks"][0]["steps"][0]
    assert {"op", "urn"} <= set(step)
    assert data["stacks"][0]["changeSummary"]["update"] == 1
    assert data["unacknowledged"] == 4


def test_table_lists_changed_stacks_and_dangers():
    output = text(fleet_review(cells=2, steps_per_cell=3, dangers_per_cell=1))
    assert "dangers: 2, unacknowledged: 2" in output
    assert "UNACKNOWLEDGED" in output
