"""Acknowledgements: a committed YAML file that names each accepted danger and says why."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cells.problems import FleetError, Problem
from cells.yaml_source import read_yaml
from review.dangers import Danger

ACK_EXAMPLE = "acknowledged: [{id: <danger id from cellctl diff>, reason: <why this is safe>}]"


class Ack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class AckFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acknowledged: list[Ack] = Field(default_factory=list)


class Acks:
    """The acknowledgements of one change, looked up by danger id."""

    def __init__(self, acks: list[Ack], source: Path | None = None) -> None:
        self.source = source
        self._reasons = {ack.id: ack.reason for ack in acks}

    def reason_for(self, danger: Danger) -> str | None:
        return self._reasons.get(danger.id)

    def unused(self, dangers: list[Danger]) -> list[str]:
        """Acknowledged ids that match no danger of this diff (stale, or mistyped)."""
        present = {d.id for d in dangers}
        return sorted(i for i in self._reasons if i not in present)

    def __len__(self) -> int:
        return len(self._reasons)


NO_ACKS = Acks([])


def load_acks(path: Path) -> Acks:
    """Read an ack file; any problem is a FleetError naming the file, the field and the fix."""
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise FleetError(path, [Problem("", "not-a-mapping", f"expected {ACK_EXAMPLE}")])
    try:
        parsed = AckFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            location = ".".join(str(part) for part in detail["loc"])
            problems.append(
                Problem(
                    location,
                    str(detail["type"]).replace("_", "-"),
                    f"{detail['msg']}; expected {ACK_EXAMPLE}",
                    lines.get(location),
                )
            )
        raise FleetError(path, problems) from None
    seen: set[str] = set()
    duplicates = []
    for index, ack in enumerate(parsed.acknowledged):
        if ack.id in seen:
            location = f"acknowledged.{index}.id"
            duplicates.append(
                Problem(
                    location,
                    "duplicate-id",
                    f"{ack.id} acknowledged twice; keep one",
                    lines.get(location),
                )
            )
        seen.add(ack.id)
    if duplicates:
        raise FleetError(path, duplicates)
    return Acks(parsed.acknowledged, path)
