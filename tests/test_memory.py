"""The match step's collector setting is scoped: raised inside the block, restored after."""

from __future__ import annotations

import gc

import pytest

from cleaners.store.memory import fewer_collections


def test_fewer_collections_raises_the_young_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with fewer_collections(before[0] + 5000):
        assert gc.get_threshold() == (before[0] + 5000, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(before[0] + 1):
        raise RuntimeError("a failing match step")
    assert gc.get_threshold() == before
    with fewer_collections(1):  # never lowered
        assert gc.get_threshold() == before
