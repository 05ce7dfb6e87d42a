"""Random structural mutations of the example fleet: every command ends in a report or success,
never in "internal error" (exit 3)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ROOT, example_fleet_data
from tests.inputs.conftest import run

EXAMPLE = example_fleet_data()


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(EXAMPLE)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["use1-a", "us-east-1", "medium", "1.30", "3.9.x", "draining", "r7g.xlarge"]),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.sampled_from(["id", "cells", "x"]), st.integers(0, 2), max_size=2),
)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, tuple, Any]:
    kind = draw(st.sampled_from(["set", "delete", "duplicate", "rename"]))
    return kind, draw(st.sampled_from(PATHS)), draw(VALUES)


def _apply(data: Any, kind: str, path: tuple, value: Any) -> None:
    *parents, last = path
    node = data
    for part in parents:
        node = node[part]
    if kind == "set":
        node[last] = value
    elif kind == "delete":
        del node[last]
    elif kind == "duplicate" and isinstance(node, list):
        node.append(copy.deepcopy(node[last]))
    elif kind == "rename" and isinstance(node, dict):
        node[f"{last}x"] = node.pop(last)
    else:
        node[last] = copy.deepcopy(node[last])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("mutations")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "cells").mkdir()
    shutil.copytree(ROOT / "stacks", folder / "stacks")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        yield folder


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(changes=st.lists(mutations(), min_size=1, max_size=3))
def test_no_mutation_of_the_example_fleet_is_an_internal_error(
    workdir: Path, changes: list
) -> None:
    data = copy.deepcopy(EXAMPLE)
    for kind, path, value in changes:
        try:
            _apply(data, kind, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this path
    (workdir / "cells" / "fleet.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    shutil.copy(ROOT / "cells" / "fleet.lock.yaml", workdir / "cells" / "fleet.lock.yaml")
    for args in (["validate"], ["shard", "--check"], ["stacks", "sync", "--check"], ["shard"]):
        result = run(*args)
        assert result.exit_code != 3, (args, changes, result.output)
        assert "Traceback" not in result.output, (args, changes, result.output)
