"""Every mistake a person can make in a fleet file: one clear message, its YAML path, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cellctl.main import app
from tests.helpers import EXAMPLE_FLEET, example_fleet_data, set_path, write_fleet

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    return lambda data: set_path(data, path, value)


def _tenant_named(tenant_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in data["tenants"] if t["id"] == tenant_id)


def _duplicate_cell(data: dict[str, Any]) -> None:
    data["cells"].append(dict(data["cells"][0]))


def _duplicate_tenant(data: dict[str, Any]) -> None:
    data["tenants"].append(dict(data["tenants"][2]))


def _two_azs(data: dict[str, Any]) -> None:
    data["regions"][0]["network"]["subnets"] = data["regions"][0]["network"]["subnets"][:2]


def _huge_shard(data: dict[str, Any]) -> None:
    _tenant_named("chargebacks", data)["shard_size"] = 5


def _home_without_cells(data: dict[str, Any]) -> None:
    _tenant_named("eu-reporting", data)["home_region"] = "eu-central-1"


def _drain_region(region: str, state: str = "draining") -> Mutation:
    def drain(data: dict[str, Any]) -> None:
        for cell in data["cells"]:
            if cell["region"] == region:
                cell["state"] = state

    return drain


def _pin_elsewhere(data: dict[str, Any]) -> None:
    _tenant_named("fraud-signals", data)["pinned_cells"] = ["use1-a", "euw1-a"]


def _long_cell_id(data: dict[str, Any]) -> None:
    data["fleet"]["name"] = "payments-platform-prod-x"
    data["cells"][0]["id"] = "use1-a-very-long-cell-id"


def _long_tenant(data: dict[str, Any]) -> None:
    # Buckets still fit (56 chars); the tenant role would not (73 > 64).
    data["fleet"]["name"] = "payments-platform-ab"
    data["cells"][2]["id"] = "use1-c-long-cell-abc"
    data["tenants"][2]["id"] = "chargebacks-and-disputes"


CASES: list[tuple[str, Mutation, str, str, str]] = [
    # (case, mutation, YAML path, code, phrase of the message)
    ("unknown top-level key", _set("owner", "team-a"), "owner", "extra-forbidden", "allowed here"),
    ("unknown nested key", _set("cells.1.zone", "a"), "cells.1.zone", "extra-forbidden",
     "allowed here: id, region, size, wave, state"),
    ("duplicate cell id", _duplicate_cell, "cells.9", "duplicate-id", "cell id 'use1-a'"),
    ("duplicate tenant id", _duplicate_tenant, "tenants.12", "duplicate-id", "'chargebacks'"),
    ("cell in undeclared region", _set("cells.2.region", "ap-south-1"), "cells.2.region",
     "unknown-region", "not declared under regions"),
    ("not a region at all", _set("cells.2.region", "mars-1"), "cells.2.region",
     "string-pattern-mismatch", "an AWS region such as us-east-1"),
    ("unknown size", _set("cells.3.size", "huge"), "cells.3.size", "unknown-size",
     "declared: medium, small"),
    ("DR partner is itself", _set("regions.1.dr_partner", "us-west-2"), "regions.1.dr_partner",
     "dr-partner-self", "choose a different region"),
    ("DR partner unknown", _set("regions.1.dr_partner", "us-west-9"), "regions.1.dr_partner",
     "unknown-region", "not a known AWS region"),
    ("fewer than 3 AZs", _two_azs, "regions.0.network.subnets", "too-few-azs", "at least 3 AZs"),
    ("subnet AZ in another region", _set("regions.0.network.subnets.2.az", "us-west-2c"),
     "regions.0.network.subnets.2.az", "az-outside-region", "not in region 'us-east-1'"),
    ("shard larger than region", _huge_shard, "tenants.2.shard_size", "shard-too-large",
     "4 active cell(s) of us-east-1"),
    ("home region without cells", _home_without_cells, "tenants.11.home_region",
     "region-without-active-cells", "region eu-central-1 has no cells"),
    ("home region with every cell drained", _drain_region("us-west-2"), "tenants.5.home_region",
     "region-without-active-cells", "2 draining, 0 standby) but is the home region of 3 tenant(s)"),
    ("pin in another region", _pin_elsewhere, "tenants.0.pinned_cells.1", "pin-other-region",
     "pin a cell of us-east-1"),
    ("pin of unknown cell", _set("tenants.0.pinned_cells", ["use1-a", "use1-z"]),
     "tenants.0.pinned_cells.1", "unknown-cell", "'use1-z'"),
    ("bucket name too long", _long_cell_id, "cells.0.id", "aws-name", "AWS allows 63"),
    ("IAM role name too long", _long_tenant, "tenants.2.id", "aws-name", "IAM role name"),
    ("bad identifier", _set("tenants.3.id", "Merchant_Analytics"), "tenants.3.id",
     "string-pattern-mismatch", "lower-case letters"),
    ("wrong type", _set("cells.0.wave", "first"), "cells.0.wave", "int-type", "integer"),
    ("missing field", _set("regions.0", {"name": "us-east-1", "dr_partner": "us-west-2"}),
     "regions.0.network", "missing", "required field is missing"),
    ("min ISR not below RF", _set("tenants.2.topics.0.min_insync_replicas", 3),
     "tenants.2.topics.0.min_insync_replicas", "topic-min-isr", "below replication_factor"),
    ("RF above broker count", _set("tenants.2.topics.0.replication_factor", 7),
     "tenants.2.topics.0.replication_factor", "topic-rf-exceeds-brokers", "6 brokers"),
    ("durability config overridden",
     _set("tenants.2.topics.0.configs", {"unclean.leader.election.enable": "true"}),
     "tenants.2.topics.0.configs.unclean.leader.election.enable", "topic-reserved-config",
     "loses acknowledged records"),
    ("broker transaction max below sink",
     _set("fleet.kafka", {"sink_transaction_timeout_minutes": 60,
                          "broker_transaction_max_timeout_minutes": 15}),
     "fleet.kafka.broker_transaction_max_timeout_minutes", "transaction-timeout", "exactly-once"),
    ("stateless upgrade mode", _set("tenants.2.jobs.0.upgrade_mode", "stateless"),
     "tenants.2.jobs.0.upgrade_mode", "enum", "'savepoint' or 'last-state'"),
    ("jar in an undeclared bucket",
     _set("tenants.2.jobs.0.jar_uri", "s3://someone-elses-bucket/matcher.jar"),
     "tenants.2.jobs.0.jar_uri", "jar-bucket-undeclared", "fleet.artifact_buckets"),
    ("a checkpoint bucket as the artifact bucket",
     _set("fleet.artifact_buckets", ["payments-flink-artifacts", "payments-use1-a-checkpoints"]),
     "fleet.artifact_buckets.1", "artifact-bucket-is-checkpoint-bucket", "every tenant role"),
    ("artifact bucket that is not a bucket name", _set("fleet.artifact_buckets", ["Artifacts!"]),
     "fleet.artifact_buckets.0", "string-pattern-mismatch", "an S3 bucket name"),
    ("jar that is not a jar URI", _set("tenants.2.jobs.0.jar_uri", "matcher.jar"),
     "tenants.2.jobs.0.jar_uri", "string-pattern-mismatch", "local:///opt/flink/usrlib/job.jar"),
    ("Flink version the operator cannot run", _set("tenants.2.flink_version", "1.17.2"),
     "tenants.2.flink_version", "string-pattern-mismatch", "1.20.x or 2.0.x-2.2.x"),
    ("unknown taskmanager key", _set("tenants.2.jobs.0.taskmanager", {"gpus": 1}),
     "tenants.2.jobs.0.taskmanager.gpus", "extra-forbidden", "allowed here: cpu, memory_mb, slots"),
    ("VPC CIDR that is not one", _set("regions.0.network.cidr", "10.0.0.0/33"),
     "regions.0.network.cidr", "ip-v4-network", "IPv4 network"),
    ("job larger than any cell", _set("tenants.2.jobs.0.capacity_units", 500),
     "tenants.2.jobs.0.capacity_units", "job-too-large", "largest cell of us-east-1 holds 100"),
]  # fmt: skip


def _validate(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", str(path)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("mutation", "location", "code", "phrase"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_mistake_is_named_with_its_path_and_fix(
    tmp_path: Path, mutation: Mutation, location: str, code: str, phrase: str
) -> None:
    data = example_fleet_data()
    mutation(data)
    fleet_file = write_fleet(tmp_path / "fleet.yaml", data)

    exit_code, stdout, stderr = _validate(fleet_file)

    assert exit_code == 2, stdout + stderr
    assert f"error: {fleet_file}:" in stderr
    rows = [line for line in stderr.splitlines() if f" {location} " in f" {line} "]
    assert rows, f"no problem reported at {location}:\n{stderr}"
    assert any(code in row and phrase in row for row in rows), stderr
    assert "Traceback" not in stdout + stderr


def test_problem_rows_carry_the_yaml_line(tmp_path: Path) -> None:
    original = EXAMPLE_FLEET.read_text()
    entry = "{id: use1-c, region: us-east-1, size: medium, wave: 2}"
    line = 1 + original.splitlines().index(f"  - {entry}")
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(original.replace(entry, entry.replace("medium", "jumbo")))
    exit_code, _, stderr = _validate(fleet_file)
    assert exit_code == 2
    row = next(r for r in stderr.splitlines() if "cells.2.size" in r)
    assert row.split()[0] == str(line)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = example_fleet_data()
    data["cells"][0]["size"] = "huge"
    data["regions"][1]["dr_partner"] = "us-west-2"
    exit_code, _, stderr = _validate(write_fleet(tmp_path / "fleet.yaml", data))
    assert exit_code == 2
    assert "2 problems" in stderr
    assert "unknown-size" in stderr and "dr-partner-self" in stderr


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("fleet: {name: x\ncells: [", "yaml-syntax"),
        ("fleet:\n  name: a\nfleet:\n  name: b\n", "duplicate-key"),
        ("- just\n- a list\n", "not-a-mapping"),
        ("", "empty"),
    ],
    ids=["malformed", "duplicate key", "not a mapping", "empty"],
)
def test_unreadable_yaml(tmp_path: Path, text: str, code: str) -> None:
    fleet_file = tmp_path / "fleet.yaml"
    fleet_file.write_text(text)
    exit_code, stdout, stderr = _validate(fleet_file)
    assert exit_code == 2
    assert code in stderr
    assert "Traceback" not in stdout + stderr


def test_missing_file(tmp_path: Path) -> None:
    exit_code, _, stderr = _validate(tmp_path / "absent.yaml")
    assert exit_code == 2
    assert "file-missing" in stderr and "absent.yaml" in stderr


def test_example_fleet_is_valid() -> None:
    exit_code, stdout, _ = _validate(EXAMPLE_FLEET)
    assert exit_code == 0
    assert "ok:" in stdout and "9 cells, 12 tenants" in stdout


@pytest.mark.parametrize("state", ["draining", "standby"])
def test_a_region_without_active_cells_is_one_problem(tmp_path: Path, state: str) -> None:
    data = example_fleet_data()
    _drain_region("us-west-2", state)(data)
    movable = [t for t in data["tenants"] if not t.get("pinned_cells")]
    for tenant in movable:
        tenant["home_region"] = "us-west-2"
    first = data["tenants"].index(movable[0])
    exit_code, stdout, stderr = _validate(write_fleet(tmp_path / "fleet.yaml", data))
    assert exit_code == 2, stdout + stderr
    rows = [r for r in stderr.splitlines() if "region-without-active-cells" in r]
    assert len(rows) == 1, stderr
    assert f"tenants.{first}.home_region" in rows[0]
    assert f"2 {state}" in rows[0] and f"{len(movable)} tenant(s)" in rows[0]
    assert f"and {len(movable) - 3} more" in rows[0]
    assert "un-drain a cell in us-west-2" in rows[0] and "(eu-west-1, us-east-1)" in rows[0]
    assert "shard-too-large" not in stderr


def test_shard_too_large_stays_where_active_cells_are_too_few(tmp_path: Path) -> None:
    data = example_fleet_data()
    data["cells"][4]["state"] = "draining"  # us-west-2 keeps one active cell
    _tenant_named("fx-rates", data)["shard_size"] = 2
    exit_code, _, stderr = _validate(write_fleet(tmp_path / "fleet.yaml", data))
    assert exit_code == 2
    assert "region-without-active-cells" not in stderr
    assert "shard-too-large" in stderr and "1 active cell(s) of us-west-2" in stderr
