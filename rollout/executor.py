"""What runs a cell's preview and update: the Automation API, or a replay of engine events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from pulumi.automation import EngineEvent

OnEvent = Callable[[EngineEvent], None]


class Executor(Protocol):
    def preflight(self, cells: Sequence[str]) -> None:
        """Raise RolloutError when any cell cannot be previewed or updated at all."""

    def preview(self, cell: str, on_event: OnEvent) -> None:
        """Preview the cell's stack with the policy packs; raise CellFailed when it fails."""

    def up(self, cell: str, on_event: OnEvent) -> None:
        """Update the cell's stack with the policy packs; raise CellFailed when it fails."""
