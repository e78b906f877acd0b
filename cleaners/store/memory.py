"""The match step's memory: large temporary arrays go back to the OS when freed (glibc; elsewhere no-ops).

The match step makes many numpy arrays of tens of MB, one after another; these
helpers keep the process's resident size close to what it actually holds.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager

_MMAP_THRESHOLD = 1 << 20
# Container allocations between two collections of the youngest generation while matching
# (CPython's default is 700; see fewer_collections).
GC_YOUNG_THRESHOLD = 20_000


def map_large_arrays() -> None:
    """Make glibc give every allocation of 1 MB or more its own mapping (mallopt M_MMAP_THRESHOLD).

    glibc raises that threshold by itself (up to 32 MB) once large blocks are
    freed, after which the match step's many temporary arrays of a few MB come
    from the heap and stay in the process's resident size when freed. With a
    fixed threshold they go back to the OS at once, which lowers the match
    step's resident size and its peak (benchmarks/RESULTS.md). A no-op off glibc.
    """
    mallopt = getattr(_libc(), "mallopt", None)
    if mallopt is not None:
        mallopt(-3, _MMAP_THRESHOLD)  # M_MMAP_THRESHOLD


@functools.cache  # find_library runs ldconfig: once a process
def _libc():  # type: ignore[no-untyped-def]
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Give memory freed by the match step back to the OS (glibc's malloc_trim; elsewhere a no-op).

    Freed blocks in the middle of the heap otherwise stay in the process's
    resident size, and the next stage's large arrays are mapped afresh. No full
    collection first: the stages' temporaries hold no reference cycles and go with
    their last reference, and a full collection would walk every object the caller
    still holds, for the same peak resident size.
    """
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@contextmanager
def fewer_collections(young: int = GC_YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the block with the cyclic collector's first threshold at ``young`` (never lowered).

    The match step holds hundreds of MB of objects and makes millions of short-lived
    lists and dicts (tokens, records); at the default threshold the collector runs every
    700 of them and its older generations traverse what is held again and again
    (benchmarks/RESULTS.md). Nothing is left uncollected: the collector still runs, less
    often, and the thresholds are restored when the block ends.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(young, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


__all__ = ["fewer_collections", "map_large_arrays", "release_free_memory"]
