"""The fleet file's DR fields: DR RPOs the design can meet, Kafka continuity, lost regions; and
what they stamp (savepoint intervals, recovery stacks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cellctl.main import app
from cells.disaster import (
    REPLICATION_LAG_BUDGET_SECONDS,
    dr_rpo_met_by_design,
    savepoint_interval_seconds,
    smallest_dr_rpo_seconds,
)
from cells.loader import load_fleet
from cells.stamping import stack_config, stack_names
from tests.helpers import EXAMPLE_FLEET, example_fleet_data, set_path, write_fleet

Mutation = Callable[[dict[str, Any]], None]
LOST_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _set(path: str, value: Any) -> Mutation:
    return lambda data: set_path(data, path, value)


def _lose(index: int, at: datetime | None = LOST_AT) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["regions"][index]["status"] = "lost"
        if at is not None:
            data["regions"][index]["lost_at"] = at

    return mutate


def _both(*mutations: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    return mutate


def _drop_partner(data: dict[str, Any]) -> None:
    data["regions"] = [r for r in data["regions"] if r["name"] != "eu-central-1"]


CASES: list[tuple[str, Mutation, str, str, str]] = [
    ("job DR RPO below savepoint + replication budget",
     _set("tenants.0.jobs.0.dr_rpo_seconds", 600),
     "tenants.0.jobs.0.dr_rpo_seconds", "dr-rpo-unmeetable", "15-minute replication lag budget"),
    ("tier DR RPO the design cannot meet", _set("fleet.dr_rpo_seconds.critical", 900),
     "fleet.dr_rpo_seconds.critical", "dr-rpo-unmeetable", "use at least 960"),
    ("DR RPO that is not a number", _set("tenants.0.jobs.0.dr_rpo_seconds", "1h"),
     "tenants.0.jobs.0.dr_rpo_seconds", "int-type", "valid integer"),
    ("Kafka continuity that does not exist", _set("regions.0.kafka_continuity", "mirror"),
     "regions.0.kafka_continuity", "enum", "'replicate' or 'none'"),
    ("region lost without its time", _lose(1, None),
     "regions.1.lost_at", "lost-without-time", "add the time it was lost"),
    ("lost_at on an active region", _set("regions.1.lost_at", LOST_AT),
     "regions.1.lost_at", "lost-at-while-active", "set status: lost"),
    ("lost_at without a time zone",
     _both(_lose(1, None), _set("regions.1.lost_at", "2026-11-24T09:30:00")),
     "regions.1.lost_at", "timezone-aware", "timezone"),
    ("lost region whose partner is not declared", _both(_drop_partner, _lose(2)),
     "regions.2.dr_partner", "dr-partner-undeclared", "declare it with its network"),
    ("replicated Kafka to an undeclared partner",
     _both(_drop_partner, _set("regions.2.kafka_continuity", "replicate")),
     "regions.2.dr_partner", "dr-partner-undeclared", "standby MSK clusters"),
    ("a region and its partner both lost", _both(_lose(0), _lose(1)),
     "regions.0.status", "dr-partner-lost", "nothing is left to recover into"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "location", "code", "phrase"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_dr_mistake_is_named_with_its_path_and_fix(
    tmp_path: Path, mutation: Mutation, location: str, code: str, phrase: str
) -> None:
    data = example_fleet_data()
    mutation(data)
    fleet_file = write_fleet(tmp_path / "fleet.yaml", data)
    result = CliRunner().invoke(app, ["validate", str(fleet_file)])
    assert result.exit_code == 2, result.stdout + result.stderr
    rows = [line for line in result.stderr.splitlines() if f" {location} " in f" {line} "]
    assert any(code in row and phrase in row for row in rows), result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@given(st.integers(min_value=60, max_value=604800))
def test_savepoints_leave_the_replication_budget_inside_the_dr_rpo(dr_rpo: int) -> None:
    interval = savepoint_interval_seconds(dr_rpo)
    assert interval >= 60
    if dr_rpo_met_by_design(dr_rpo):
        assert interval + REPLICATION_LAG_BUDGET_SECONDS == dr_rpo
    else:
        assert dr_rpo < smallest_dr_rpo_seconds() == 960


def test_tier_dr_rpo_applies_unless_the_job_names_its_own() -> None:
    fleet = load_fleet(EXAMPLE_FLEET)
    fraud = fleet.tenant("fraud-signals")
    scorer, velocity = fraud.jobs
    assert fleet.dr_rpo_seconds(fraud, scorer) == 1200  # its own
    assert fleet.dr_rpo_seconds(fraud, velocity) == 1800  # critical tier's
    batch = fleet.tenant("merchant-analytics")
    assert fleet.dr_rpo_seconds(batch, batch.jobs[0]) == 14400


def test_a_lost_region_adds_one_recovery_stack_per_cell(tmp_path: Path) -> None:
    data = example_fleet_data()
    _lose(1)(data)
    fleet = load_fleet(write_fleet(tmp_path / "fleet.yaml", data))
    stacks = stack_names(fleet)
    assert {s for s in stacks if s.endswith("-recovery")} == {
        "usw2-a-recovery",
        "usw2-b-recovery",
    }
    assert len(stacks) == len(fleet.cells) + 2  # the lost cells' own stacks stay
    config = stack_config(fleet, "usw2-a-recovery", "cells/fleet.yaml")
    assert config["aws:region"] == "us-east-1"  # the DR partner
    assert config["flink-cells:recovers"] == "usw2-a"
    assert config["flink-cells:recoveryLock"] == "cells/recovery.lock.yaml"
    assert "flink-cells:recovers" not in stack_config(fleet, "usw2-a", "cells/fleet.yaml")
