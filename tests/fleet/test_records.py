"""What the fleet keeps per tenant: slotted records that fail exactly as models would, and
repeated text held once."""

from __future__ import annotations

import copy
import pickle
import sys
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter, ValidationError, create_model

from cells.model import (
    Cell,
    Fleet,
    Job,
    TaskManagerResources,
    Tenant,
    Topic,
    _kept_texts,
    fields_of,
)
from cells.synthetic import as_parsed, synthetic_fleet

RECORDS = (Tenant, Job, Topic, TaskManagerResources, Cell)


def _twin(record: type) -> type:
    """The same fields as a frozen, extra-forbidding BaseModel: how the record must fail."""
    fields = fields_of(record) or {}
    return create_model(  # type: ignore[call-overload, no-any-return]
        record.__name__,
        __config__=ConfigDict(extra="forbid", frozen=True),
        **{name: (info.annotation, info) for name, info in fields.items()},
    )


TWINS = {record: TypeAdapter(list[_twin(record)]) for record in RECORDS}  # type: ignore[misc]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**5), max_value=10**5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
    st.sampled_from(
        ["us-east-1", "ingest", "standard", "local:///opt/flink/usrlib/job.jar", "1.20.1", 4, 60]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=5,
)


def _inputs(record: type) -> st.SearchStrategy[Any]:
    """Mappings of the record's own keys (and stray ones) to anything, or no mapping at all."""
    keys = st.sampled_from([*(fields_of(record) or {}), "zone", "extra_key"])
    return st.dictionaries(keys, values, max_size=8) | scalars | st.lists(scalars, max_size=2)


def _outcome(adapter: TypeAdapter[Any], data: Any) -> list[dict[str, Any]] | dict[str, Any]:
    try:
        (item,) = adapter.validate_python([data])
    except ValidationError as error:
        return [
            {**e, "ctx": {k: str(v) for k, v in (e.get("ctx") or {}).items()}}
            for e in error.errors(include_url=False)
        ]
    return {name: getattr(item, name) for name in fields_of(type(item)) or {}}


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_record_fails_as_a_model_would(record: type, data: st.DataObject) -> None:
    """Every error kind, location, message and input is the one a Strict model gives: the
    loader turns them into the problems users read (and tests pin)."""
    value = data.draw(_inputs(record))
    assert _outcome(TypeAdapter(list[record]), value) == _outcome(TWINS[record], value)


def test_a_record_reports_a_stray_key_and_a_non_mapping_as_a_model() -> None:
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(list[Cell]).validate_python(
            [{"id": "use1-a", "region": "us-east-1", "size": "m", "wave": 0, "zone": "a"}, "x"]
        )
    assert [(e["type"], e["loc"], e["msg"]) for e in raised.value.errors()] == [
        ("extra_forbidden", (0, "zone"), "Extra inputs are not permitted"),
        ("model_type", (1,), "Input should be a valid dictionary or instance of Cell"),
    ]


def _parsed_fleet(tenants: int) -> Fleet:
    return Fleet.model_validate(as_parsed(synthetic_fleet(1, 10, tenants)))


def test_a_loaded_fleet_keeps_no_dict_per_tenant_job_topic_or_cell() -> None:
    fleet = _parsed_fleet(3)
    tenant = fleet.tenants[0]
    for kept in (
        tenant,
        tenant.jobs[0],
        tenant.topics[0],
        tenant.jobs[0].taskmanager,
        fleet.cells[0],
    ):
        assert not hasattr(kept, "__dict__"), type(kept).__name__


def test_repeated_text_and_default_resources_are_held_once() -> None:
    fleet = _parsed_fleet(2)
    first, second = fleet.tenants
    assert first.home_region is second.home_region is fleet.cells[0].region
    assert first.jobs[0].id is second.jobs[0].id
    assert first.jobs[0].jar_uri is second.jobs[1].jar_uri
    assert first.topics[0].name is second.topics[0].name
    assert first.jobs[0].taskmanager is second.jobs[1].taskmanager
    assert first.id == "r0-t00000" and second.id == "r0-t00001"


def test_the_table_of_kept_texts_lives_only_while_a_fleet_is_validated() -> None:
    """Text that never repeats (a jar URI per job) must not cost a table entry for as long as
    the fleet lives, as `sys.intern` would; a failed validation drops its table too."""
    data = as_parsed(synthetic_fleet(1, 2, 2))
    data["tenants"][1]["jobs"][1]["jar_uri"] = "".join(["local:///opt/", "only-once.jar"])
    fleet = Fleet.model_validate(data)
    assert _kept_texts.get() is None
    only_once = fleet.tenants[1].jobs[1].jar_uri
    assert sys.getrefcount(only_once) == 4  # the data, the job, this name, getrefcount's argument
    assert sys.intern(as_parsed([only_once])[0]) is not only_once  # never interned
    data["tenants"][0]["tier"] = "gold"
    with pytest.raises(ValidationError):
        Fleet.model_validate(data)
    assert _kept_texts.get() is None


def test_a_validated_fleet_holds_under_1_kb_per_tenant() -> None:
    """A regression bound, not a speed figure: tracemalloc counts bytes exactly, here what the
    fleet keeps once its input is gone. A model per tenant, job and topic kept 5.5 KB per
    synthetic tenant; slotted records keep about 0.75 KB."""
    tracemalloc.start()
    try:
        data = as_parsed(synthetic_fleet(1, 20, 2_000))
        fleet = Fleet.model_validate(data)
        del data
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(fleet.tenants) == 2_000
    assert held / 2_000 < 1024, f"{held / 2_000:.0f} bytes per tenant"


def test_a_fleet_survives_pickling_copying_and_a_dump_validated_again() -> None:
    """Plans may hand a fleet to worker processes, and tools copy it: records behave as models."""
    fleet = _parsed_fleet(4)
    assert pickle.loads(pickle.dumps(fleet)) == fleet
    assert copy.deepcopy(fleet) == fleet
    again = Fleet.model_validate(fleet.model_dump())
    assert again == fleet and again.tenant("r0-t00003") == fleet.tenants[3]
    assert again.tenants[0] != fleet.tenants[1]
