"""Drills that must fail, and one that must not be fooled: replication lagging past the DR RPO,
and a newest savepoint whose `_metadata` arrived before its state files."""

from __future__ import annotations

from dr.replication_sim import ReplicationProfile
from tests.dr.conftest import IN_ORDER, drill

REGION = "us-west-2"  # two cells, five jobs: the cheapest region to lose


def test_drill_where_replication_lags_past_the_rpo_fails() -> None:
    # Every object arrives 2000-2500 s after it is written: older than a critical DR RPO (1800).
    lagging = ReplicationProfile(slow_fraction=1.0, slow_lag_seconds=(2000.0, 2500.0),
                                 failed_fraction=0.0)  # fmt: skip
    report = drill(REGION, lagging, seed=11, plan_recovery=False)
    assert not report.passed
    aggregator = next(j for j in report.jobs if j.job == "aggregator")  # fx-rates: critical
    assert aggregator.dr_rpo_seconds == 1800
    assert aggregator.restore_point is None or aggregator.rpo_achieved_seconds > 1800
    missed = [j for j in report.jobs if not j.ok]
    assert aggregator in missed


def test_drill_with_metadata_before_state_files_picks_the_older_savepoint() -> None:
    profile = ReplicationProfile(**{**IN_ORDER.__dict__, "newest_metadata_first": True})
    report = drill(REGION, profile, seed=5, savepoints_per_job=2, plan_recovery=False)
    assert report.lock is not None
    for job in report.jobs:
        assert len(job.rejected) == 1, job
        [newest] = job.rejected
        assert "missing" in (newest.reason or ""), newest
        assert job.restore_point is not None and job.restore_point != newest.uri
        # the one chosen is the savepoint just before the rejected one
        assert job.written_at < newest.written_at
        decided = report.lock.cells[job.cell].jobs[f"{job.tenant}/{job.job}"]
        assert decided.restore_point == job.restore_point
        assert [r.uri for r in decided.rejected] == [newest.uri]


def test_a_drill_is_reproducible_from_its_seed() -> None:
    first = drill(REGION, ReplicationProfile(), seed=3, savepoints_per_job=2, plan_recovery=False)
    second = drill(REGION, ReplicationProfile(), seed=3, savepoints_per_job=2, plan_recovery=False)
    names = [(j.tenant, j.job, j.restore_point and j.restore_point.rsplit("/", 1)[1],
              j.rpo_achieved_seconds) for j in first.jobs]  # fmt: skip
    assert names == [(j.tenant, j.job, j.restore_point and j.restore_point.rsplit("/", 1)[1],
                      j.rpo_achieved_seconds) for j in second.jobs]  # fmt: skip
