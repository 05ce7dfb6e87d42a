"""`cellctl dr drill`: lose a region on purpose, against moto on 127.0.0.1, and measure RPO.

End to end: the region's jobs write savepoints on their schedule (real Flink savepoints, re-keyed
under each job's savepoint prefix); the replication SIMULATOR (dr.replication_sim) carries them
to the replica buckets one by one, out of order, with lag, losing some in flight; the region is
lost; restore points are discovered in the replicas exactly as `cellctl dr plan` does; the
recovery stacks are planned offline and checked by both policy packs. Per job: the restore point,
the RPO achieved against the DR RPO, and the savepoints rejected as incomplete.

Times are on the drill's own clock (moto stamps objects with the wall clock and cannot backdate
them); which savepoint is chosen, and why others are rejected, is the real discovery's verdict.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cells.aws_names import cell_names
from cells.disaster import recovery_stack, savepoint_interval_seconds
from cells.loader import load_fleet
from cells.placement import load_placement, lock_path
from cells.problems import FleetError, Problem
from cells.recovery_lock import RecoveryLock
from cells.yaml_source import read_yaml
from dr.decide import RecoveryTarget, decide_recovery, discover, recovery_targets
from dr.replication_sim import ReplicationProfile, ReplicationSimulator, SourceObject
from dr.scratch import declare_lost, scratch_project, write_recovery_lock
from offline import PlanError, plan_stacks
from policies.offline import Finding, blocking, evaluate, load_config
from policies.waivers import Waivers
from state.restore_points import JobRestorePoint, SavepointVerdict, job_savepoint_prefix
from state.s3 import s3_client

DEFAULT_LOST_AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
METADATA = "_metadata"


@dataclass(frozen=True)
class DrillSettings:
    region: str
    seed: int = 0
    savepoints_per_job: int = 4
    lost_at: datetime = DEFAULT_LOST_AT
    profile: ReplicationProfile = field(default_factory=ReplicationProfile)
    plan_workers: int = 1
    discovery_workers: int = 16
    plan_recovery: bool = True  # plan the recovery stacks offline and run the policy packs


@dataclass(frozen=True)
class DrilledJob:
    cell: str
    tenant: str
    job: str
    restore_point: str | None
    written_at: datetime | None  # on the drill's clock
    rpo_achieved_seconds: int | None
    dr_rpo_seconds: int
    rejected: tuple[SavepointVerdict, ...]

    @property
    def ok(self) -> bool:
        return self.rpo_achieved_seconds is not None and (
            self.rpo_achieved_seconds <= self.dr_rpo_seconds
        )


@dataclass
class DrillReport:
    region: str
    partner: str
    seed: int
    lost_at: datetime
    jobs: list[DrilledJob]
    objects_written: int
    lost_in_flight: int
    stacks_planned: list[str]
    resources_planned: int
    unplanned: dict[str, str]  # recovery stack -> why it could not be planned
    findings: list[Finding]
    seconds: dict[str, float]
    plans: list[dict[str, Any]] = field(default_factory=list)  # the recovery stacks' plans
    lock: RecoveryLock | None = None

    @property
    def passed(self) -> bool:
        return all(j.ok for j in self.jobs) and not self.unplanned and not blocking(self.findings)


def savepoint_fixtures(folder: Path) -> list[Path]:
    """Real savepoints that name state files (so completeness is a real question)."""
    found = sorted(p.parent for p in folder.glob("**/savepoint-*/_metadata"))
    with_files = [p for p in found if len(list(p.iterdir())) > 1]
    if not with_files:
        raise FleetError(
            folder,
            [Problem("", "no-savepoints", "no real savepoint fixtures with state files here")],
        )
    return with_files


@contextmanager
def moto_s3() -> Iterator[tuple[str, Callable[[str], Any]]]:
    """A moto server on 127.0.0.1 (a free port) and boto3 clients per region on it."""
    import logging
    import os
    import socket

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    # moto accepts any credentials; these never leave 127.0.0.1.
    os.environ.update(AWS_ACCESS_KEY_ID="drill", AWS_SECRET_ACCESS_KEY="drill")
    try:
        clients: dict[str, Any] = {}

        def s3_for(region: str) -> Any:
            if region not in clients:
                clients[region] = s3_client(region, endpoint_url=endpoint)
            return clients[region]

        yield endpoint, s3_for
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def empty_and_remove(s3: Any, name: str) -> None:
    """moto keeps its state per process, not per server: a bucket of an earlier drill goes."""
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=name))
    except s3.exceptions.NoSuchBucket:
        return
    for page in pages:
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed})
    s3.delete_bucket(Bucket=name)


def _create_bucket(s3_for: Callable[[str], Any], name: str, region: str) -> None:
    s3 = s3_for(region)
    empty_and_remove(s3, name)
    extra = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **extra)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _prepare_cell(
    s3_for: Callable[[str], Any], fleet_name: str, cell: str, region: str, partner: str
) -> None:
    """The cell's checkpoint bucket and replica as its stack makes them (moto keeps the
    replication configuration; the simulator does the replicating)."""
    names = cell_names(fleet_name, cell)
    _create_bucket(s3_for, names.checkpoint_bucket, region)
    _create_bucket(s3_for, names.replica_bucket, partner)
    s3_for(region).put_bucket_replication(
        Bucket=names.checkpoint_bucket,
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::111122223333:role/{names.replication_role}",
            "Rules": [
                {
                    "ID": "checkpoints-to-dr-region",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {
                        "Bucket": f"arn:aws:s3:::{names.replica_bucket}",
                        "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                        "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                    },
                }
            ],
        },
    )


def _schedule(
    target: RecoveryTarget, fixtures: list[Path], settings: DrillSettings, rng: random.Random
) -> tuple[list[SourceObject], dict[str, float]]:
    """The job's last savepoints before the loss, re-keyed real fixtures; and each savepoint
    directory's write time (seconds before the loss are negative)."""
    interval = savepoint_interval_seconds(target.dr_rpo_seconds)
    phase = rng.uniform(0, interval)
    prefix = job_savepoint_prefix(target.tenant, target.job)
    job_id = hashlib.blake2b(f"{target.tenant}/{target.job}".encode(), digest_size=3).hexdigest()
    objects: list[SourceObject] = []
    written: dict[str, float] = {}
    for k in range(settings.savepoints_per_job):
        at = -phase - k * interval
        fixture = rng.choice(fixtures)
        directory = f"{prefix}savepoint-{job_id}-{rng.getrandbits(48):012x}"
        files = sorted(fixture.iterdir(), key=lambda p: (p.name == METADATA, p.name))
        for i, file in enumerate(files):
            is_metadata = file.name == METADATA
            objects.append(
                SourceObject(
                    key=f"{directory}/{file.name}",
                    body=file.read_bytes(),
                    # state files first; Flink writes `_metadata` last, when the savepoint completes
                    written_at=at + (1.0 if is_metadata else i * 0.01),
                    savepoint=directory,
                    is_metadata=is_metadata,
                    rank=k,
                )
            )
        written[directory] = at + 1.0
    return objects, written


def _on_drill_clock(
    point: JobRestorePoint, bucket: str, written: dict[str, float], lost_at: datetime
) -> JobRestorePoint:
    def clocked(verdict: SavepointVerdict) -> SavepointVerdict:
        directory = verdict.uri.removeprefix(f"s3://{bucket}/")
        return replace(verdict, written_at=lost_at + timedelta(seconds=written[directory]))

    return replace(
        point,
        newest=clocked(point.newest) if point.newest else None,
        skipped=tuple(clocked(s) for s in point.skipped),
    )


def run_drill(
    project_root: Path, fleet_file: Path, settings: DrillSettings, fixtures_dir: Path
) -> DrillReport:
    fleet = load_fleet(fleet_file)
    placement = load_placement(fleet, fleet_file)
    region = fleet.declared_region(settings.region)
    if region is None or not fleet.cells_in(settings.region):
        known = ", ".join(sorted({c.region for c in fleet.cells}))
        raise FleetError(
            fleet_file,
            [
                Problem(
                    "regions",
                    "unknown-region",
                    f"--region {settings.region}: no cells there (regions with cells: {known})",
                )
            ],
        )
    fixtures = savepoint_fixtures(fixtures_dir)
    rng = random.Random(settings.seed)
    seconds: dict[str, float] = {}
    data, _ = read_yaml(fleet_file)
    with tempfile.TemporaryDirectory(prefix="flink-cells-drill-") as tmp:
        folder = Path(tmp)
        _, lost_fleet = scratch_project(
            project_root,
            folder,
            declare_lost(data, region.name, settings.lost_at),
            lock_path(fleet_file),
        )
        lost_region = lost_fleet.region(region.name)
        targets = recovery_targets(lost_fleet, placement, lost_region)
        with moto_s3() as (_endpoint, s3_for):
            s3, replica_s3 = s3_for(region.name), s3_for(region.dr_partner)
            started = time.perf_counter()
            for cell in fleet.cells_in(region.name):
                _prepare_cell(s3_for, fleet.name, cell.id, region.name, region.dr_partner)
            written: dict[str, float] = {}
            by_cell: dict[str, list[SourceObject]] = {}
            for target in targets:
                objects, times = _schedule(target, fixtures, settings, rng)
                by_cell.setdefault(target.cell, []).extend(objects)
                written.update(times)
            objects_written = sum(len(o) for o in by_cell.values())
            replica_of = {
                o.key: cell_names(fleet.name, cell).replica_bucket
                for cell, objects in by_cell.items()
                for o in objects
            }
            with ThreadPoolExecutor(max_workers=16) as pool:
                for cell, objects in by_cell.items():
                    bucket = cell_names(fleet.name, cell).checkpoint_bucket
                    list(
                        pool.map(
                            lambda o, b=bucket: s3.put_object(Bucket=b, Key=o.key, Body=o.body),
                            sorted(objects, key=lambda o: o.written_at),
                        )
                    )
            simulator = ReplicationSimulator(settings.profile, settings.seed)
            arrivals = simulator.arrivals(
                sorted((o for objs in by_cell.values() for o in objs), key=lambda o: o.written_at),
                0.0,
            )
            lost_in_flight = simulator.replicate(replica_s3, replica_of, arrivals, 0.0)
            seconds["savepoints and replication (simulated)"] = time.perf_counter() - started
            started = time.perf_counter()
            discovered = discover(s3_for, targets, workers=settings.discovery_workers)
            seconds["discovery"] = time.perf_counter() - started
            # moto's state lives as long as the process, beyond this server: leave none behind.
            for cell in fleet.cells_in(region.name):
                names = cell_names(fleet.name, cell.id)
                empty_and_remove(s3, names.checkpoint_bucket)
                empty_and_remove(replica_s3, names.replica_bucket)
        clocked = [
            (t, _on_drill_clock(p, t.replica_bucket, written, settings.lost_at))
            for t, p in discovered
        ]
        lock = decide_recovery(lost_fleet, clocked, decided_at=settings.lost_at)
        write_recovery_lock(folder, lock)
        jobs = [
            DrilledJob(
                cell=t.cell,
                tenant=t.tenant,
                job=t.job,
                restore_point=p.newest.uri if p.newest else None,
                written_at=p.newest.written_at if p.newest else None,
                rpo_achieved_seconds=round((settings.lost_at - p.newest.written_at).total_seconds())
                if p.newest
                else None,
                dr_rpo_seconds=t.dr_rpo_seconds,
                rejected=p.skipped,
            )
            for t, p in clocked
        ]
        missing = {j.cell for j in jobs if j.restore_point is None}
        stacks = [recovery_stack(c.id) for c in fleet.cells_in(region.name) if c.id not in missing]
        if not settings.plan_recovery:
            stacks = []
        unplanned = {
            recovery_stack(cell): "a job has no restorable savepoint: the program refuses to "
            "start it without state"
            for cell in sorted(missing)
        }
        started = time.perf_counter()
        plans = []
        try:
            plans = list(plan_stacks(folder, stacks, settings.plan_workers))
        except PlanError as error:
            unplanned["(planning)"] = str(error)
        seconds["recovery plans"] = time.perf_counter() - started
        started = time.perf_counter()
        config = load_config(None)
        waivers = Waivers.load()
        findings = [f for p in plans for f in evaluate(p, config, waivers)]
        seconds["policies"] = time.perf_counter() - started
    return DrillReport(
        region=region.name,
        partner=region.dr_partner,
        seed=settings.seed,
        lost_at=settings.lost_at,
        jobs=jobs,
        objects_written=objects_written,
        lost_in_flight=lost_in_flight,
        stacks_planned=sorted(p["stack"] for p in plans),
        resources_planned=sum(len(p["resources"]) for p in plans),
        unplanned=unplanned,
        findings=findings,
        seconds=seconds,
        plans=plans,
        lock=lock,
    )
