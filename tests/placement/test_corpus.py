"""Placement is byte-identical to the code that computed tests/placement/corpus.json, on every
case of the corpus (see tests/placement/corpus.py): the lock text and the moves, or the
problems, of each fleet placed afresh, onto a lock, rebalanced and drained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.placement.corpus import SEEDS, outcomes

EXPECTED = json.loads((Path(__file__).parent / "corpus.json").read_text())


def test_the_corpus_file_covers_every_seed() -> None:
    assert sorted(EXPECTED["cases"], key=int) == [str(seed) for seed in SEEDS]


@pytest.mark.parametrize("seed", SEEDS)
def test_placement_is_byte_identical_to_the_recorded_code(seed: int) -> None:
    assert outcomes(seed) == EXPECTED["cases"][str(seed)]
