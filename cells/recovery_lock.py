"""The recovery lock: per lost cell and job, the restore point `cellctl dr plan` decided.

`pulumi up` of a recovery stack reads it and never re-decides: the restore point a person
reviewed in the pull request is the one the job starts from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from cells.problems import FleetError, Problem
from cells.yaml_source import line_of, read_yaml

RECOVERY_LOCK_FILE = "cells/recovery.lock.yaml"
RECOVERY_LOCK_VERSION = 1
HEADER = (
    "# Recovery lock, written by `cellctl dr plan`: commit it with the recovery stack files and\n"
    "# review it in the recovery pull request. `pulumi up` restores each job from exactly the\n"
    "# savepoint named here; change it only through `cellctl dr plan`.\n"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RejectedSavepoint(_Strict):
    uri: str
    reason: str


class JobRecovery(_Strict):
    restore_point: str | None  # s3://<replica bucket>/tenants/<t>/<job>/savepoints/savepoint-…
    written_at: AwareDatetime | None
    age_at_loss_seconds: int | None
    dr_rpo_seconds: int
    rejected: list[RejectedSavepoint] = Field(default_factory=list)
    dropped_state: str  # what the restore gives up on purpose, said per job


class CellRecovery(_Strict):
    lost_region: str
    partner_region: str
    lost_at: AwareDatetime
    replica_bucket: str
    jobs: dict[str, JobRecovery]  # "<tenant>/<job>"

    def job(self, tenant: str, job: str) -> JobRecovery | None:
        return self.jobs.get(job_key(tenant, job))


class RecoveryLock(_Strict):
    version: int = RECOVERY_LOCK_VERSION
    fleet: str
    decided_at: AwareDatetime
    cells: dict[str, CellRecovery]


def job_key(tenant: str, job: str) -> str:
    return f"{tenant}/{job}"


def load_recovery_lock(path: Path) -> RecoveryLock:
    if not path.exists():
        raise FleetError(
            path,
            [
                Problem(
                    "",
                    "recovery-lock-missing",
                    "no recovery lock: run `cellctl dr plan` to decide each job's restore point",
                )
            ],
        )
    data, lines = read_yaml(path)
    try:
        return RecoveryLock.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(
                ".".join(str(p) for p in e["loc"]),
                e["type"].replace("_", "-"),
                f"{e['msg']}; rewrite it with `cellctl dr plan`",
            )
            for e in error.errors(include_url=False)
        ]
        raise FleetError(path, [p.at_line(line_of(lines, p.location)) for p in problems]) from None


def render_recovery_lock(lock: RecoveryLock) -> str:
    data = lock.model_dump(mode="json")
    return HEADER + yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=120)


def as_utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
