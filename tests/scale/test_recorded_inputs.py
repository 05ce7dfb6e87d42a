"""The recorder's one-walk conversion of a resource's inputs is the general one, value for value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from offline.recorder import (
    _RESOURCE_SIG,
    _SECRET_SIG,
    _SIG_KEY,
    _UNKNOWN_VALUE,
    SECRET,
    UNKNOWN,
    plain,
    plain_struct,
)

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.just(_UNKNOWN_VALUE),
)
_KEYS = st.one_of(st.text(max_size=6), st.sampled_from([_SIG_KEY, "urn", "value"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_KEYS, inner, max_size=4),
        st.builds(lambda urn: {_SIG_KEY: _RESOURCE_SIG, "urn": urn}, inner),
        st.builds(lambda value: {_SIG_KEY: _SECRET_SIG, "value": value}, inner),
        st.just({_SIG_KEY: _RESOURCE_SIG}),
    ),
    max_leaves=20,
)


def _outcome(convert: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "value", convert()
    except ValueError as error:  # json_format refuses NaN and infinities: so does the one walk
        return "refused", str(error)


def _struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(inputs)
    return struct


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_one_walk_is_plain_of_message_to_dict(inputs: dict[str, Any]) -> None:
    struct = _struct(inputs)
    general = _outcome(lambda: plain(json_format.MessageToDict(struct)))
    if general[0] == "value":
        assert _outcome(lambda: plain_struct(struct)) == general
    else:
        # Non-finite numbers: refused as json_format refuses them, unless a secret hides them.
        assert _outcome(lambda: plain_struct(struct))[0] == "refused" or SECRET in str(
            plain_struct(struct)
        )


def test_secrets_references_and_unknowns_as_the_plan_shows_them() -> None:
    struct = _struct(
        {
            "password": {_SIG_KEY: _SECRET_SIG, "value": "hunter2"},
            "role": {_SIG_KEY: _RESOURCE_SIG, "urn": "urn:pulumi:s::p::aws:iam/role:Role::r"},
            "arn": _UNKNOWN_VALUE,
            "count": 3.0,
            "ratio": 0.5,
            "b": [1.0, {"a": True}],
        }
    )
    assert plain_struct(struct) == {
        "arn": UNKNOWN,
        "b": [1, {"a": True}],
        "count": 3,
        "password": SECRET,
        "ratio": 0.5,
        "role": "urn:pulumi:s::p::aws:iam/role:Role::r",
    }
