"""numba kernel of the near-duplicate clustering (imported lazily by ``cleaners.dedup``).

``link_buckets`` walks LSH buckets and joins, with a union-find, the pairs of
documents that verify on their exact shingle sets, comparing only the pairs
whose documents are not yet connected. ``cleaners.dedup._link_buckets_py`` is
the same walk in Python (the path without numba); the tests check that both
give the same clusters and the same number of comparisons, and that the
clusters are those of every candidate pair verified.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EMPTY = -1  # a free slot of a failed-pair table (codes are >= 0)


def new_failed_set() -> np.ndarray:
    """A table of the pairs (codes a * n + b) compared and found not to be near-duplicates:
    open addressing in an int64 array (``link_buckets`` grows it; a numba typed dict would
    cost 0.09 s of compiling in every process that clusters)."""
    return np.full(1024, _EMPTY, dtype=np.int64)


@njit(inline="always")
def _slot(code, mask):  # pragma: no cover - compiled
    return np.int64((np.uint64(code) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask


@njit(cache=True, nogil=True)
def _holds(table, code):  # pragma: no cover - compiled
    mask = table.shape[0] - 1
    i = _slot(code, mask)
    while table[i] != _EMPTY:
        if table[i] == code:
            return True
        i = (i + 1) & mask
    return False


@njit(cache=True, nogil=True)
def _put(table, code):  # pragma: no cover - compiled
    mask = table.shape[0] - 1
    i = _slot(code, mask)
    while table[i] != _EMPTY:
        i = (i + 1) & mask
    table[i] = code


@njit(cache=True, nogil=True)
def _grown(table):  # pragma: no cover - compiled
    out = np.full(table.shape[0] * 2, _EMPTY, dtype=np.int64)
    for x in table:
        if x != _EMPTY:
            _put(out, x)
    return out


@njit(inline="always")
def _find(parent, x):  # pragma: no cover - compiled
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def link_buckets(members, starts, ends, ids, id_start, id_end, parent, failed, n_failed,
                 jaccard_threshold, containment_threshold, min_containment):  # pragma: no cover - compiled
    """Join the verified pairs of each bucket ``members[starts[t]:ends[t]]`` (ascending
    document indexes) in ``parent``; ``failed`` holds ``n_failed[0]`` refused pairs.
    Returns the number of pairs compared and the failed table (a new one when it grew)."""
    n = parent.shape[0]
    compared = 0
    for t in range(starts.shape[0]):
        s = starts[t]
        e = ends[t]
        r0 = _find(parent, members[s])
        connected = True
        for q in range(s + 1, e):
            if _find(parent, members[q]) != r0:
                connected = False
                break
        if connected:
            continue
        for q in range(s + 1, e):
            b = members[q]
            for p in range(s, q):
                a = members[p]
                ra = _find(parent, a)
                rb = _find(parent, b)
                if ra == rb:
                    continue
                code = a * n + b
                if _holds(failed, code):
                    continue
                compared += 1
                i = id_start[a]
                ie = id_end[a]
                j = id_start[b]
                je = id_end[b]
                inter = 0
                while i < ie and j < je:
                    x = ids[i]
                    y = ids[j]
                    if x == y:
                        inter += 1
                        i += 1
                        j += 1
                    elif x < y:
                        i += 1
                    else:
                        j += 1
                la = id_end[a] - id_start[a]
                lb = id_end[b] - id_start[b]
                small = min(la, lb)
                jac = 0.0
                con = 0.0
                if small > 0:
                    jac = inter / (la + lb - inter)
                    con = inter / small
                if jac >= jaccard_threshold or (con >= containment_threshold and small >= min_containment):
                    parent[max(ra, rb)] = min(ra, rb)
                else:
                    if 2 * (n_failed[0] + 1) > failed.shape[0]:
                        failed = _grown(failed)
                    _put(failed, code)
                    n_failed[0] += 1
    return compared, failed


@njit(cache=True, nogil=True)
def roots(parent):  # pragma: no cover - compiled
    """Each document's cluster root (the smallest index of its cluster)."""
    out = parent.copy()
    for x in range(out.shape[0]):
        out[x] = _find(parent, x)
    return out
