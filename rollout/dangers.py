"""Which previews stop a rollout: the dangers of `cellctl diff` (the `review` package), read from
the engine's own preview steps, plus the mandatory policy violations the packs report."""

from __future__ import annotations

from typing import Any

from pulumi.automation import PolicyEvent

from review import Acks, Danger, dangers_from_preview_steps
from review.dangers import POLICY, make_danger
from rollout.run import Blocker, Screen


def policy_dangers(stack: str, events: list[PolicyEvent]) -> list[Danger]:
    """A mandatory violation the packs report in a real preview: `pulumi up` would refuse it."""
    dangers = {}
    for event in events:
        message = event.message.strip().splitlines()[0] if event.message.strip() else "violation"
        # The subject `cellctl diff` uses for the same finding: an ack made there holds here.
        subject = f"{event.policy_name}|{event.resource_urn or f'{event.policy_name}:{message}'}"
        dangers[subject] = make_danger(
            POLICY,
            stack,
            subject,
            f"{event.policy_pack_name} rule {event.policy_name} (mandatory) fails: {message}",
        )
    return list(dangers.values())


def screen_with(acks: Acks | None) -> Screen:
    """Classify a cell's preview; each danger carries its acknowledgement's reason, if any."""

    def screen(stack: str, steps: list[dict[str, Any]], policy: list[PolicyEvent]) -> list[Blocker]:
        dangers = [*dangers_from_preview_steps(stack, steps), *policy_dangers(stack, policy)]
        return [
            Blocker(
                d.id,
                d.danger_class,
                d.urn,
                d.summary,
                acks.reason_for(d) if acks is not None else None,
            )
            for d in dangers
        ]

    return screen
