"""Change review: two plans → per-stack changes → dangers → one pull-request comment."""

from review.acks import Acks, load_acks
from review.dangers import DANGER_CLASSES, Danger, dangers_from_preview_steps

__all__ = ["DANGER_CLASSES", "Acks", "Danger", "dangers_from_preview_steps", "load_acks"]
