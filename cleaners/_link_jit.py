"""numba kernel of the near-duplicate clustering (imported lazily by ``cleaners.dedup``).

``link_buckets`` walks LSH buckets and joins, with a union-find, the pairs of
documents that verify on their exact shingle sets, comparing only the pairs
whose documents are not yet connected. ``cleaners.dedup._link_buckets_py`` is
the same walk in Python (the path without numba); the tests check that both
give the same clusters and the same number of comparisons, and that the
clusters are those of every candidate pair verified.
"""

from __future__ import annotations

from numba import njit, types
from numba.typed import Dict


def new_failed_set() -> Dict:
    """The pairs (codes a * n + b) compared and found not to be near-duplicates."""
    return Dict.empty(key_type=types.int64, value_type=types.boolean)


@njit(inline="always")
def _find(parent, x):  # pragma: no cover - compiled
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def link_buckets(members, starts, ends, ids, id_start, id_end, parent, failed,
                 jaccard_threshold, containment_threshold, min_containment):  # pragma: no cover - compiled
    """Join the verified pairs of each bucket ``members[starts[t]:ends[t]]`` (ascending
    document indexes) in ``parent``; returns the number of pairs compared."""
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
                if code in failed:
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
                    failed[code] = True
    return compared


@njit(cache=True, nogil=True)
def roots(parent):  # pragma: no cover - compiled
    """Each document's cluster root (the smallest index of its cluster)."""
    out = parent.copy()
    for x in range(out.shape[0]):
        out[x] = _find(parent, x)
    return out
