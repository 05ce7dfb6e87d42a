"""Health gates: CloudWatch alarms through moto on 127.0.0.1, and the fleet's job check."""

from __future__ import annotations

import sys
import uuid

import boto3
import pytest

from cells.spec import HEALTH_GATE_TAG
from rollout.gates import AlarmGate, HealthGates, JobCheckGate, cloudwatch_clients
from rollout.plan import CellTarget

USE1_A = CellTarget("use1-a", "us-east-1", 0)
USE1_B = CellTarget("use1-b", "us-east-1", 1)
USW2_A = CellTarget("usw2-a", "us-west-2", 0)


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # Each test its own fleet name: the moto server is shared by the session.
    return moto_endpoint, f"fleet{uuid.uuid4().hex[:8]}"


def alarm(endpoint, region, name, tags, state):
    client = boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint)
    client.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Kafka",
        MetricName="OfflinePartitionsCount",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"test says {state}")


def gate_tags(fleet, cell):
    return {"fleet": fleet, "cell": cell, HEALTH_GATE_TAG: "true"}


def test_alarm_in_alarm_for_a_rolled_out_cell_fails_the_gate(aws):
    endpoint, fleet = aws
    alarm(endpoint, "us-west-2", f"{fleet}-usw2-a-offline", gate_tags(fleet, "usw2-a"), "ALARM")
    failures = AlarmGate(fleet, cloudwatch_clients(endpoint)).check([USE1_A, USW2_A])
    assert [(f.cell, f.gate) for f in failures] == [("usw2-a", "alarm")]
    assert f"{fleet}-usw2-a-offline is in ALARM: test says ALARM" == failures[0].detail


def test_alarms_that_are_ok_untagged_other_cells_or_other_fleets_pass(aws):
    endpoint, fleet = aws
    alarm(endpoint, "us-east-1", f"{fleet}-ok", gate_tags(fleet, "use1-a"), "OK")
    untagged = {"fleet": fleet, "cell": "use1-a"}  # e.g. an autoscaling alarm: not a gate
    alarm(endpoint, "us-east-1", f"{fleet}-scaling", untagged, "ALARM")
    alarm(endpoint, "us-east-1", f"{fleet}-other-cell", gate_tags(fleet, "use1-b"), "ALARM")
    alarm(endpoint, "us-east-1", f"{fleet}-x", gate_tags("otherfleet", "use1-a"), "ALARM")
    assert AlarmGate(fleet, cloudwatch_clients(endpoint)).check([USE1_A]) == []
    failures = AlarmGate(fleet, cloudwatch_clients(endpoint)).check([USE1_A, USE1_B])
    assert [f.cell for f in failures] == ["use1-b"]


def test_an_unreachable_cloudwatch_fails_closed(aws):
    _, fleet = aws
    failures = AlarmGate(fleet, cloudwatch_clients("http://127.0.0.1:9")).check([USE1_A])
    assert [(f.cell, f.gate) for f in failures] == [("use1-a", "alarm")]
    assert "cannot read CloudWatch alarms in us-east-1" in failures[0].detail


def script(tmp_path, body):
    path = tmp_path / "check.py"
    path.write_text(body)
    return [sys.executable, str(path)]


def test_job_check_runs_per_cell_with_its_names(tmp_path):
    argv = script(
        tmp_path,
        "import sys\nprint('checked', sys.argv[1:])\n"
        "sys.exit(0 if sys.argv[1] == 'use1-a' else 3)\n",
    )
    gate = JobCheckGate("payments", [*argv, "{cell}", "{region}", "{cluster}"], 10, tmp_path)
    assert gate.command(USW2_A)[-3:] == ["usw2-a", "us-west-2", "payments-usw2-a"]
    failures = gate.check([USE1_A, USW2_A])
    assert [(f.cell, f.gate) for f in failures] == [("usw2-a", "job-check")]
    assert "exited 3: checked ['usw2-a', 'us-west-2', 'payments-usw2-a']" in failures[0].detail


def test_job_check_that_hangs_or_is_missing_fails(tmp_path):
    hang = JobCheckGate("p", script(tmp_path, "import time\ntime.sleep(30)\n"), 0.5, tmp_path)
    assert "did not finish in 0.5s" in hang.check([USE1_A])[0].detail
    missing = JobCheckGate("p", ["no-such-check-command"], 5, tmp_path)
    assert "not found: no-such-check-command" in missing.check([USE1_A])[0].detail


def test_health_gates_report_every_failure(aws, tmp_path):
    endpoint, fleet = aws
    alarm(endpoint, "us-east-1", f"{fleet}-a", gate_tags(fleet, "use1-a"), "ALARM")
    jobs = JobCheckGate(fleet, script(tmp_path, "raise SystemExit(1)\n"), 10, tmp_path)
    gates = HealthGates([AlarmGate(fleet, cloudwatch_clients(endpoint)), jobs])
    assert sorted((f.cell, f.gate) for f in gates.check([USE1_A])) == [
        ("use1-a", "alarm"),
        ("use1-a", "job-check"),
    ]
