"""Validation against what AWS and Kubernetes accept: TaskManagers fit their pool, Kafka versions
MSK accepts, AMI types that run on the instance architecture."""

from __future__ import annotations

from pathlib import Path

import pytest

from cells.loader import load_fleet
from cells.msk import KAFKA_VERSIONS
from cells.placement import read_lock
from cells.stamping import cell_spec
from tests.helpers import example_fleet_data, set_path, write_fleet
from tests.inputs.conftest import changed, problem_line, run, snapshot

FLEET = Path("cells/fleet.yaml")


def _invalid(project: Path, changes: dict[str, object], field: str, code: str) -> str:
    data = example_fleet_data()
    for path, value in changes.items():
        set_path(data, path, value)
    write_fleet(project / FLEET, data)
    before = snapshot(project)
    result = run("validate")
    assert result.exit_code == 2, result.output
    assert "cells/fleet.yaml" in result.output
    row = problem_line(result.output, field, code)
    assert changed(before, snapshot(project)) == set()
    return row


def test_a_job_whose_taskmanagers_exceed_the_pool(project: Path) -> None:
    row = _invalid(
        project,
        {"tenants.0.jobs.0.parallelism": 1000},
        "tenants.0.jobs.0.parallelism",
        "job-exceeds-taskmanager-pool",
    )
    assert "250 TaskManagers: 500 CPU" in row and "96 vCPU" in row


def test_a_taskmanager_larger_than_a_node(project: Path) -> None:
    row = _invalid(
        project,
        {"tenants.0.jobs.0.taskmanager": {"cpu": 16, "memory_mb": 8192, "slots": 4}},
        "tenants.0.jobs.0.taskmanager",
        "taskmanager-exceeds-node",
    )
    assert "r7i.2xlarge" in row


def test_the_example_jobs_fit_their_pools(example_fleet) -> None:
    assert example_fleet.tenants  # load_fleet ran every check


@pytest.mark.parametrize(
    ("version", "hint"),
    [("3.5.1", "accepted: 3.6.0"), ("4.0.x", "4.0.x.kraft"), ("3.10.x", "3.9.x.kraft"),
     ("4.2.x.kraft", "4.1.x.kraft")],
)  # fmt: skip
def test_kafka_versions_msk_does_not_accept(project: Path, version: str, hint: str) -> None:
    row = _invalid(
        project, {"fleet.kafka.version": version}, "fleet.kafka.version", "kafka-version"
    )
    assert hint in row


@pytest.mark.parametrize("version", KAFKA_VERSIONS)
def test_kafka_versions_msk_accepts(tmp_path: Path, version: str) -> None:
    data = example_fleet_data()
    data["fleet"]["kafka"]["version"] = version
    assert load_fleet(write_fleet(tmp_path / "fleet.yaml", data)).fleet.kafka.version == version


def test_an_ami_type_for_another_architecture(project: Path) -> None:
    row = _invalid(
        project,
        {"sizes.medium.taskmanager.ami_type": "AL2023_ARM_64_STANDARD"},
        "sizes.medium.taskmanager.ami_type",
        "ami-architecture",
    )
    assert "AL2023_x86_64_STANDARD" in row


def test_an_instance_type_cellctl_cannot_size(project: Path) -> None:
    _invalid(
        project,
        {"sizes.small.taskmanager.instance_type": "z1d.large"},
        "sizes.small.taskmanager.instance_type",
        "unknown-instance-type",
    )


def test_graviton_pools_get_the_arm_ami(tmp_path: Path) -> None:
    data = example_fleet_data()
    data["sizes"]["medium"]["taskmanager"]["instance_type"] = "r7g.2xlarge"
    fleet_file = write_fleet(tmp_path / "fleet.yaml", data)
    fleet = load_fleet(fleet_file)
    from tests.helpers import ROOT

    spec = cell_spec(fleet, read_lock(ROOT / "cells" / "fleet.lock.yaml"), "use1-a", fleet_file)
    assert spec.taskmanager_pool.ami_type == "AL2023_ARM_64_STANDARD"
    assert spec.jobmanager_pool.ami_type == "AL2023_x86_64_STANDARD"


def test_node_groups_carry_the_ami_type(cell_plan) -> None:
    groups = cell_plan.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups
    for group in groups:
        assert group["inputs"]["amiType"] == "AL2023_x86_64_STANDARD", group["urn"]


@pytest.mark.parametrize(
    ("cidr", "says"),
    [
        (True, "as text"),  # YAML's `true`: pydantic read it as 0.0.0.1/32
        (167772160, "as text"),  # an integer: 10.0.0.0/32
        ("10.10.0.0/30", "not /30"),
        ("10.0.0.0/8", "not /8"),
    ],
)
def test_a_vpc_cidr_aws_would_not_have(project: Path, cidr: object, says: str) -> None:
    row = _invalid(
        project, {"regions.0.network.cidr": cidr}, "regions.0.network.cidr", "vpc-cidr"
    )
    assert says in row and "10.10.0.0/16" in row
