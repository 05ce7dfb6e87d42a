"""The grammars rules read values with: Flink durations and IAM wildcards, over their whole
input space."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from policies.durations import seconds
from policies.iam_model import normalise, wildcard_match

# Flink's TimeUtils labels, in milliseconds.
LABELS = {
    "d": 86_400_000, "day": 86_400_000, "days": 86_400_000, "h": 3_600_000, "hour": 3_600_000,
    "hours": 3_600_000, "min": 60_000, "minute": 60_000, "minutes": 60_000, "s": 1000,
    "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000, "ms": 1, "milli": 1,
    "millis": 1, "millisecond": 1, "milliseconds": 1,
}  # fmt: skip
FINER = {"ns", "nano", "nanos", "nanosecond", "nanoseconds", "micro", "micros", "microsecond",
         "microseconds"}  # fmt: skip


@given(
    number=st.integers(min_value=0, max_value=10**9),
    label=st.sampled_from(sorted(LABELS)),
    gap=st.sampled_from(["", " ", "  "]),
    upper=st.booleans(),
)
def test_every_flink_duration_spelling_reads_as_flink_reads_it(
    number: int, label: str, gap: str, upper: bool
) -> None:
    text = f" {number}{gap}{label.upper() if upper else label} "
    assert seconds(text) == number * LABELS[label] / 1000


@given(number=st.integers(min_value=0, max_value=10**9))
def test_a_bare_number_is_milliseconds(number: int) -> None:
    assert seconds(str(number)) == number / 1000


@given(text=st.text(alphabet=string.ascii_letters + string.digits + " .:-", max_size=12))
def test_what_flink_refuses_is_never_a_duration(text: str) -> None:
    stripped = text.strip()
    digits = len(stripped) - len(stripped.lstrip(string.digits))
    label = stripped[digits:].strip().lower()
    accepted = digits > 0 and (label == "" or label in LABELS or label in FINER)
    assert (seconds(text) is not None) == accepted, text


ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt", "kafka-cluster:WriteData"]


@given(
    action=st.sampled_from(ACTIONS),
    flips=st.lists(st.booleans(), min_size=30, max_size=30),
    cut=st.integers(min_value=0, max_value=30),
)
def test_an_action_is_granted_in_any_case_and_by_any_wildcard_covering_it(
    action: str, flips: list[bool], cut: int
) -> None:
    cased = "".join(c.upper() if f else c.lower() for c, f in zip(action, flips, strict=False))
    assert wildcard_match(cased, action)
    prefix = action[: min(cut, len(action))]
    pattern = f"{prefix}*"
    assert normalise({"Effect": "Allow", "Action": [pattern], "Resource": "x"}).grants(action)
    assert not normalise({"Effect": "Allow", "NotAction": pattern, "Resource": "x"}).grants(action)
    other = next(a for a in ACTIONS if not a.lower().startswith(prefix.lower())) if prefix else None
    if other:
        assert not normalise({"Effect": "Allow", "Action": pattern, "Resource": "x"}).grants(other)
