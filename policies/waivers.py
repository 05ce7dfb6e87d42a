"""Waivers: a rule silenced for one cell (optionally one tenant), always with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies.core import Resource, Rule

WAIVERS_FILE = Path(__file__).with_name("waivers.yaml")


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: str
    cell: str
    tenant: str | None = None
    reason: str = Field(min_length=10)

    def covers(self, rule: Rule, resource: Resource) -> bool:
        tags = resource.tags
        return (
            self.rule in (rule.id, rule.name)
            and str(tags.get("cell", "")) == self.cell
            and (self.tenant is None or str(tags.get("tenant", "")) == self.tenant)
        )


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class Waivers:
    entries: tuple[Waiver, ...] = ()

    def covers(self, rule: Rule, resource: Resource) -> bool:
        return self.find(rule, resource) is not None

    def find(self, rule: Rule, resource: Resource) -> Waiver | None:
        return next((w for w in self.entries if w.covers(rule, resource)), None)

    @classmethod
    def load(cls, file: Path = WAIVERS_FILE) -> Waivers:
        """The waivers file; a broken one raises ValueError naming the file and field."""
        if not file.exists():
            return cls()
        try:
            data = _WaiverFile.model_validate(yaml.safe_load(file.read_text()) or {})
        except (ValidationError, yaml.YAMLError) as error:
            raise ValueError(f"{file}: {error}") from None
        return cls(tuple(data.waivers))
