"""What goes wrong with a fleet file, said so a person can fix it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One mistake: where (dotted YAML path), a short code, what is wrong and what is expected."""

    location: str
    code: str
    message: str
    line: int | None = None

    def at_line(self, line: int | None) -> Problem:
        return replace(self, line=line)


class FleetError(Exception):
    """A fleet (or lock, or stack) file that cannot be used, with every problem found in it."""

    def __init__(self, file: Path | str, problems: list[Problem]) -> None:
        self.file = Path(file)
        self.problems = problems
        first = problems[0] if problems else Problem("", "unknown", "unknown problem")
        where = f"{self.file}:{first.location}" if first.location else str(self.file)
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}: {first.message}{more}")
