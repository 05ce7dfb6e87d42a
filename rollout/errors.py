"""What stops a rollout from starting, and what fails one cell."""

from __future__ import annotations


class RolloutError(Exception):
    """A rollout that cannot start or resume (no Pulumi CLI, no credentials, a stack that does
    not exist, an unknown or mismatched record): one message that says what to do."""


class CellFailed(Exception):
    """A preview or update of one cell that did not succeed; the message says why."""
