"""Ordering, parallelism, bake, gates, halts, danger stops, Ctrl-C and resume, against an
executor that replays engine events (the Automation API's own event objects)."""

from __future__ import annotations

import json
import threading

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.automation import EngineEvent

from review import load_acks
from review.dangers import POLICY, make_danger
from rollout.dangers import policy_dangers
from rollout.plan import CellTarget, RolloutPlan, Wave
from rollout.record import CellStep, Outcome, RolloutRecord, WaveStep
from rollout.replay import ReplayExecutor, Script
from tests.rollout.events import bucket_replace, policy, tag_update
from tests.rollout.harness import FakeClock, ScriptedGates, example_plan, rollout

WAVES = {0: ["use1-a", "usw2-a", "euw1-a"], 1: ["use1-b", "usw2-b", "euw1-b"]}
WAVE_2 = ["use1-c", "use1-d", "euw1-c"]


def harmless() -> ReplayExecutor:
    return ReplayExecutor(default=Script(preview=tag_update("use1-a")))


def test_waves_in_order_canary_first_previews_before_updates(tmp_path):
    executor = harmless()
    outcome = rollout(tmp_path, executor).run()
    assert outcome == Outcome.COMPLETED
    expected = []
    for cells in [WAVES[0], WAVES[1], WAVE_2]:
        expected += [("preview", c) for c in cells] + [("up", c) for c in cells]
    assert executor.calls == expected


def test_parallel_cells_within_a_wave_never_exceed_k(tmp_path):
    executor = ReplayExecutor(default=Script(seconds=0.05))
    rollout(tmp_path, executor, parallel=2).run()
    assert executor.most_in_flight == 2


def test_bake_after_every_wave_from_the_fleet_then_gates_over_all_rolled_out_cells(tmp_path):
    clock, gates = FakeClock(), ScriptedGates()
    plan = example_plan(bake_seconds=None)
    rollout(tmp_path, harmless(), plan=plan, clock=clock, gates=gates).run()
    assert clock.waits == [w.bake_seconds for w in plan.waves] == [3600, 7200, 1800]
    assert gates.checked == [WAVES[0], WAVES[0] + WAVES[1], WAVES[0] + WAVES[1] + WAVE_2]


def test_zero_bake_never_sleeps(tmp_path):
    clock = FakeClock()
    rollout(tmp_path, harmless(), plan=example_plan(bake_seconds=0), clock=clock).run()
    assert clock.waits == []


def test_failed_update_halts_after_the_cells_in_flight(tmp_path):
    executor = ReplayExecutor(
        scripts={"usw2-a": Script(up_error="creating MSK cluster: quota exceeded")},
        default=Script(),
    )
    clock = FakeClock()
    run = rollout(tmp_path, executor, clock=clock)
    assert run.run() == Outcome.HALTED
    record = run.record
    assert record.cells["use1-a"].step == CellStep.SUCCEEDED
    assert record.cells["usw2-a"].step == CellStep.FAILED
    assert "quota exceeded" in (record.cells["usw2-a"].detail or "")
    assert record.cells["euw1-a"].step == CellStep.PREVIEWED, "never started after the failure"
    assert not any(c in WAVES[1] for _, c in executor.calls), "nothing further is touched"
    assert clock.waits == [], "no bake after a failed wave"
    assert "usw2-a" in (record.outcome_detail or "")


def test_failed_gate_halts_before_the_next_wave(tmp_path):
    executor = harmless()
    gates = ScriptedGates(failing={"usw2-a": "flinkcells-usw2-a-msk-offline-partitions in ALARM"})
    run = rollout(tmp_path, executor, gates=gates)
    assert run.run() == Outcome.HALTED
    assert run.record.waves[0].step == WaveStep.GATE_FAILED
    assert not any(c in WAVES[1] for _, c in executor.calls)
    assert "offline-partitions" in (run.record.outcome_detail or "")


def test_danger_in_a_wave_stops_before_anything_in_it_changes(tmp_path):
    executor = ReplayExecutor(
        scripts={"usw2-b": Script(preview=bucket_replace("usw2-b"))},
        default=Script(preview=tag_update("x")),
    )
    run = rollout(tmp_path, executor)
    assert run.run() == Outcome.HALTED
    assert all(run.record.cells[c].step == CellStep.SUCCEEDED for c in WAVES[0])
    assert not [c for op, c in executor.calls if op == "up" and c in WAVES[1]]
    assert run.record.cells["usw2-b"].step == CellStep.BLOCKED
    [blocker] = run.blockers["usw2-b"]
    assert blocker.danger_class == "stateful-resource" and blocker.ack is None
    assert "nothing in this wave was changed" in (run.record.outcome_detail or "")


def test_acknowledged_danger_lets_the_rollout_through(tmp_path):
    script = {"usw2-b": Script(preview=bucket_replace("usw2-b"))}
    first = rollout(tmp_path, ReplayExecutor(scripts=script))
    first.run()
    [blocker] = first.blockers["usw2-b"]
    ack_file = tmp_path / "acks.yaml"
    ack_file.write_text(
        yaml.safe_dump(
            {"acknowledged": [{"id": blocker.id, "reason": "bucket renamed on purpose"}]}
        )
    )
    second = rollout(tmp_path, ReplayExecutor(scripts=script), acks=load_acks(ack_file))
    assert second.run() == Outcome.COMPLETED
    assert second.blockers["usw2-b"][0].ack == "bucket renamed on purpose"


def test_mandatory_policy_violation_in_the_preview_stops(tmp_path):
    violation = policy("bucket is not encrypted with a customer key", "bucket-encrypted")
    advisory = policy("missing tag", "resources-tagged", level="advisory")
    executor = ReplayExecutor(scripts={"use1-a": Script(preview=[violation, advisory])})
    run = rollout(tmp_path, executor, plan=example_plan(waves=[0]))
    assert run.run() == Outcome.HALTED
    [blocker] = run.blockers["use1-a"]
    assert blocker.danger_class == "new-policy-violation"
    assert "bucket-encrypted" in blocker.summary
    assert not [c for op, c in executor.calls if op == "up"]


def test_a_preview_failed_by_a_mandatory_violation_is_a_danger_not_a_bare_failure(tmp_path):
    violation = policy("bucket is not encrypted with a customer key", "bucket-encrypted")
    script = Script(preview=[violation], preview_error="preview failed: mandatory policy")
    run = rollout(
        tmp_path, ReplayExecutor(scripts={"use1-a": script}), plan=example_plan(waves=[0])
    )
    assert run.run() == Outcome.HALTED
    assert run.record.cells["use1-a"].step == CellStep.BLOCKED
    assert [b.danger_class for b in run.blockers["use1-a"]] == ["new-policy-violation"]


def test_preview_only_changes_nothing_and_reports_every_wave(tmp_path):
    executor = ReplayExecutor(
        scripts={
            "use1-a": Script(preview=bucket_replace("use1-a")),
            "euw1-c": Script(preview=bucket_replace("euw1-c")),
        }
    )
    run = rollout(tmp_path, executor, preview_only=True)
    assert run.run() == Outcome.HALTED
    assert {op for op, _ in executor.calls} == {"preview"}
    assert len(executor.calls) == 9
    assert set(run.blockers) == {"use1-a", "euw1-c"}


def test_resume_never_reapplies_a_finished_cell(tmp_path):
    failing = ReplayExecutor(scripts={"usw2-b": Script(up_error="throttled")}, default=Script())
    first = rollout(tmp_path, failing)
    assert first.run() == Outcome.HALTED
    done = set(first.record.cells_in(CellStep.SUCCEEDED))
    assert done >= set(WAVES[0])
    record = RolloutRecord.load(tmp_path, first.record.id)
    assert record.cells["usw2-b"].step == CellStep.FAILED
    fixed = ReplayExecutor(default=Script())
    assert rollout(tmp_path, fixed, record=record).run() == Outcome.COMPLETED
    assert not done & {c for op, c in fixed.calls if op == "up"}
    # usw2-b failed and euw1-b never started: both are applied now, then wave 2.
    assert {c for op, c in fixed.calls if op == "up"} == {"usw2-b", "euw1-b", *WAVE_2}


def test_ctrl_c_lets_cells_in_flight_finish_and_is_recorded(tmp_path):
    executor = ReplayExecutor(default=Script(seconds=0.02))
    run = rollout(tmp_path, executor, parallel=2)
    original_up = executor.up
    second_started = threading.Event()

    def up_then_ctrl_c(cell, on_event):
        if cell == WAVES[0][0]:
            # Ctrl-C arrives while this cell and the next are both in flight.
            assert second_started.wait(5)
            run.stop()
        else:
            second_started.set()
        original_up(cell, on_event)

    executor.up = up_then_ctrl_c
    assert run.run() == Outcome.INTERRUPTED
    ups = [c for op, c in executor.calls if op == "up"]
    assert len(ups) == 2, "the two cells in flight finished; the third never started"
    assert all(run.record.cells[c].step == CellStep.SUCCEEDED for c in ups)
    entries = [json.loads(line) for line in run.record.path.read_text().splitlines()]
    assert entries[-1]["kind"] == "end" and entries[-1]["outcome"] == "interrupted"


def test_ctrl_c_during_bake_resumes_the_rest_of_the_bake(tmp_path):
    clock = FakeClock(stop_during_wait=1)
    first = rollout(tmp_path, harmless(), clock=clock)
    assert first.run() == Outcome.INTERRUPTED
    record = RolloutRecord.load(tmp_path, first.record.id)
    assert record.waves[0].step == WaveStep.BAKING
    executor = harmless()
    assert rollout(tmp_path, executor, record=record, clock=clock).run() == Outcome.COMPLETED
    assert clock.waits[:2] == [3600, 1800], "the second run bakes only what was left"
    assert not [c for _, c in executor.calls if c in WAVES[0]]


def test_torn_last_line_of_the_journal_is_dropped(tmp_path):
    run = rollout(tmp_path, harmless(), plan=example_plan(waves=[0]))
    run.run()
    with run.record.path.open("a") as journal:
        journal.write('{"kind": "cell", "cell": "use1-a", "st')
    record = RolloutRecord.load(tmp_path, run.record.id)
    assert record.outcome == Outcome.COMPLETED


CELL_IDS = [f"c{i:02d}" for i in range(12)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    waves=st.lists(st.integers(0, 3), min_size=12, max_size=12),
    parallel=st.integers(1, 4),
    failing=st.sampled_from([None, *CELL_IDS]),
)
def test_any_fleet_rolls_wave_by_wave_and_resumes_without_repeats(
    tmp_path, waves, parallel, failing
):
    numbers = sorted(set(waves))
    plan = RolloutPlan(
        waves=tuple(
            Wave(
                n,
                tuple(
                    CellTarget(c, "us-east-1", n)
                    for c, w in zip(CELL_IDS, waves, strict=True)
                    if w == n
                ),
                0,
            )
            for n in numbers
        ),
        skipped_standby=(),
    )
    scripts = {failing: Script(up_error="boom")} if failing else {}
    first = ReplayExecutor(scripts=scripts)
    run = rollout(tmp_path, first, plan=plan, parallel=parallel)
    outcome = run.run()
    wave_of = dict(zip(CELL_IDS, waves, strict=True))
    ups = [c for op, c in first.calls if op == "up"]
    assert [wave_of[c] for c in ups] == sorted(wave_of[c] for c in ups), "never a later wave first"
    if failing is None:
        assert outcome == Outcome.COMPLETED and sorted(ups) == CELL_IDS
        return
    assert outcome == Outcome.HALTED
    assert all(wave_of[c] <= wave_of[failing] for c in ups), "nothing after the failed wave"
    second = ReplayExecutor()
    resumed = rollout(tmp_path, second, record=RolloutRecord.load(tmp_path, run.record.id))
    assert resumed.run() == Outcome.COMPLETED
    again = [c for op, c in second.calls if op == "up"]
    succeeded_first = set(ups) - {failing}
    assert not succeeded_first & set(again)
    assert sorted(succeeded_first | set(again)) == CELL_IDS


def test_a_policy_danger_has_the_id_cellctl_diff_gives_the_same_finding():
    resource = "urn:pulumi:use1-a::flink-cells::aws:s3/bucket:Bucket::use1-a-checkpoints"
    event = EngineEvent.from_json(policy("not encrypted", "bucket-encrypted", resource=resource))
    [danger] = policy_dangers("use1-a", [event.policy_event])
    # review.fleet_dangers.policy_dangers: make_danger(POLICY, stack, f"{rule}|{urn}", ...)
    assert danger.id == make_danger(POLICY, "use1-a", f"bucket-encrypted|{resource}", "").id
