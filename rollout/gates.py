"""Health gates after a wave's bake: no health alarm of a rolled-out cell in ALARM, and the
fleet's job check passing for each of them. A gate that cannot look fails: never a silent pass."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cells.aws_names import cell_names
from cells.durations import parse_duration
from cells.model import Fleet
from cells.spec import HEALTH_GATE_TAG
from rollout.plan import CellTarget
from rollout.run import GateFailure, Gates

ALARM = "alarm"
JOB_CHECK = "job-check"


@dataclass
class AlarmGate:
    """CloudWatch alarms tagged `health-gate=true` with the cell's fleet and cell tags."""

    fleet: str
    client_for: Callable[[str], Any]  # region -> CloudWatch client

    def check(self, cells: Sequence[CellTarget]) -> list[GateFailure]:
        failures: list[GateFailure] = []
        by_region: dict[str, set[str]] = {}
        for cell in cells:
            by_region.setdefault(cell.region, set()).add(cell.id)
        for region, wanted in sorted(by_region.items()):
            try:
                failures += self._region(region, wanted)
            except (BotoCoreError, ClientError) as error:
                failures += [
                    GateFailure(c, ALARM, f"cannot read CloudWatch alarms in {region}: {error}")
                    for c in sorted(wanted)
                ]
        return failures

    def _region(self, region: str, wanted: set[str]) -> list[GateFailure]:
        client = self.client_for(region)
        failures = []
        # Only alarms in ALARM are fetched: their tags are read one by one, the rest never.
        pages = client.get_paginator("describe_alarms").paginate(
            StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                tags = {
                    t["Key"]: t["Value"]
                    for t in client.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
                }
                cell = tags.get("cell")
                if (
                    tags.get(HEALTH_GATE_TAG) == "true"
                    and tags.get("fleet") == self.fleet
                    and cell in wanted
                ):
                    reason = alarm.get("StateReason", "").strip()
                    failures.append(
                        GateFailure(
                            cell,
                            ALARM,
                            f"{alarm['AlarmName']} is in ALARM" + (f": {reason}" if reason else ""),
                        )
                    )
        return failures


@dataclass
class JobCheckGate:
    """The fleet's job check command, once per cell; exit 0 means every job is running."""

    fleet: str
    argv: Sequence[str]
    timeout_seconds: float
    cwd: Path
    workers: int = 8

    def command(self, cell: CellTarget) -> list[str]:
        fields = {
            "fleet": self.fleet,
            "cell": cell.id,
            "region": cell.region,
            "cluster": cell_names(self.fleet, cell.id).eks_cluster,
        }
        return [arg.format(**fields) for arg in self.argv]

    def _one(self, cell: CellTarget) -> GateFailure | None:
        argv = self.command(cell)
        try:
            done = subprocess.run(
                argv,
                cwd=self.cwd,
                capture_output=True,
                text=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except FileNotFoundError:
            return GateFailure(cell.id, JOB_CHECK, f"job check command not found: {argv[0]}")
        except subprocess.TimeoutExpired:
            return GateFailure(
                cell.id, JOB_CHECK, f"job check did not finish in {self.timeout_seconds:g}s"
            )
        if done.returncode == 0:
            return None
        said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        return GateFailure(
            cell.id,
            JOB_CHECK,
            f"`{' '.join(argv)}` exited {done.returncode}" + (f": {said[-1]}" if said else ""),
        )

    def check(self, cells: Sequence[CellTarget]) -> list[GateFailure]:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            return [f for f in pool.map(self._one, cells) if f is not None]


@dataclass
class HealthGates:
    gates: Sequence[Gates] = field(default_factory=list)

    def check(self, cells: Sequence[CellTarget]) -> list[GateFailure]:
        return [failure for gate in self.gates for failure in gate.check(cells)]


def cloudwatch_clients(endpoint_url: str | None = None) -> Callable[[str], Any]:
    """One CloudWatch client per region (boto3 also honours AWS_ENDPOINT_URL)."""
    clients: dict[str, Any] = {}

    def client_for(region: str) -> Any:
        if region not in clients:
            clients[region] = boto3.client(
                "cloudwatch", region_name=region, endpoint_url=endpoint_url
            )
        return clients[region]

    return client_for


def fleet_gates(fleet: Fleet, root: Path, *, endpoint_url: str | None = None) -> HealthGates:
    """The alarm gate, plus the job check when the fleet file sets one."""
    gates: list[Gates] = [AlarmGate(fleet.name, cloudwatch_clients(endpoint_url))]
    settings = fleet.fleet.rollout
    if settings.job_check:
        gates.append(
            JobCheckGate(
                fleet.name,
                settings.job_check,
                parse_duration(settings.job_check_timeout),
                root,
            )
        )
    return HealthGates(gates)
