"""numba kernels of the MinHash signatures (``cleaners.kernels.minhash.signatures``), of the
exact comparison of shingle sets (``cleaners.kernels.shingles``) and of the near-duplicate clusters
(``link_buckets``).

One fused pass per document: for each of its (pre-mixed) ids, every
permutation's value ``a * h + b`` is computed and min-reduced into the
document's row of ``out``, with no (num_perm x ids) temporary. The loop over
the permutations is the inner one (contiguous ``a``, ``b`` and output row), so
LLVM vectorises it; four ids are taken per pass over the row, so that the row
is loaded and stored once per four ids instead of once per id.

The arithmetic is datasketch's CPU path exactly:

* affine32: ``uint32(a * h + b)`` (a, b, h uint32; numba widens the product
  to 64 bits and the cast keeps the low 32, i.e. arithmetic mod 2**32);
* affine64: ``a * h + b`` in uint64 (wraps mod 2**64, as numpy does);
* legacy: ``((a * h + b) mod 2**64) mod (2**61 - 1)``, then the low 32 bits.
  The Mersenne remainder is taken as ``(x & M) + (x >> 61)`` and one
  conditional subtraction (x = q * 2**61 + r with q <= 7, and 2**61 = 1 mod M),
  which vectorises where a 64-bit division does not.

``out`` must hold datasketch's empty value (or an earlier minimum) in the rows
given; each document only writes its own row. The tests compare every scheme with
datasketch's ``MinHash.update_batch``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cleaners.kernels.numba_cache import say_if_compiling

say_if_compiling(__name__)

_M61 = np.uint64((1 << 61) - 1)
_S61 = np.uint64(61)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(inline="always")
def _min_reduce(hv, starts, ends, rows, a, b, out, value):  # pragma: no cover - compiled
    """Row rows[k] of out = its minimum with ``value(a[p], h, b[p])`` of every id h of
    hv[starts[k]:ends[k]], for each permutation p (``value``: one scheme's arithmetic)."""
    num_perm = a.shape[0]
    for k in range(rows.shape[0]):
        e = ends[k]
        o = out[rows[k]]
        i = starts[k]
        while i + 4 <= e:
            h0 = hv[i]
            h1 = hv[i + 1]
            h2 = hv[i + 2]
            h3 = hv[i + 3]
            for p in range(num_perm):
                ap = a[p]
                bp = b[p]
                v0 = min(value(ap, h0, bp), value(ap, h1, bp))
                v1 = min(value(ap, h2, bp), value(ap, h3, bp))
                o[p] = min(o[p], min(v0, v1))
            i += 4
        while i < e:
            h = hv[i]
            for p in range(num_perm):
                o[p] = min(o[p], value(a[p], h, b[p]))
            i += 1


@njit(inline="always")
def _affine32(ap, h, bp):  # pragma: no cover - compiled
    return np.uint32(ap * h + bp)


@njit(inline="always")
def _affine64(ap, h, bp):  # pragma: no cover - compiled
    return ap * h + bp


@njit(inline="always")
def _legacy(ap, h, bp):  # pragma: no cover - compiled
    x = ap * h + bp
    r = (x & _M61) + (x >> _S61)
    if r >= _M61:
        r -= _M61
    return r & _LOW32


# One compiled kernel per scheme, each a cached function of arrays only: numba's cache cannot
# key a kernel that takes the scheme's function as an argument (or closes over it).
@njit(cache=True, nogil=True)
def sig_affine32(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    _min_reduce(hv, starts, ends, rows, a, b, out, _affine32)


@njit(cache=True, nogil=True)
def sig_affine64(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    _min_reduce(hv, starts, ends, rows, a, b, out, _affine64)


@njit(cache=True, nogil=True)
def sig_legacy(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    _min_reduce(hv, starts, ends, rows, a, b, out, _legacy)


KERNELS = {"affine32": sig_affine32, "affine64": sig_affine64, "legacy": sig_legacy}


@njit(inline="always")
def _intersection(xs, i, ie, ys, j, je):  # pragma: no cover - compiled
    """|xs[i:ie] & ys[j:je]| (each slice sorted and unique): a merge of the two slices."""
    n = 0
    while i < ie and j < je:
        x = xs[i]
        y = ys[j]
        if x == y:
            n += 1
            i += 1
            j += 1
        elif x < y:
            i += 1
        else:
            j += 1
    return n


@njit(cache=True, nogil=True)
def intersection_sizes(ids, starts, ends, u, v, out):  # pragma: no cover - compiled
    """out[k] = |ids[starts[u[k]]:ends[u[k]]] & ids[starts[v[k]]:ends[v[k]]]|."""
    for k in range(u.shape[0]):
        out[k] = _intersection(ids, starts[u[k]], ends[u[k]], ids, starts[v[k]], ends[v[k]])


@njit(cache=True, nogil=True)
def intersection_size(a, b):  # pragma: no cover - compiled
    """|a & b| of two sorted unique arrays."""
    return _intersection(a, 0, a.shape[0], b, 0, b.shape[0])


# --------------------------------------------------------------------------- near-duplicate clusters
# ``link_buckets`` walks LSH buckets and joins, with a union-find, the pairs of documents that
# verify on their exact shingle sets (``cleaners.match.dedup.find_clusters``), comparing only the
# pairs whose documents are not yet connected. The tests check that the clusters are those of
# every candidate pair verified (tests/reference/dedup.py).

_EMPTY = -1  # a free slot of a failed-pair table (codes are >= 0)


def new_failed_set() -> np.ndarray:
    """A table of the pairs (codes a * n + b) compared and found not to be near-duplicates:
    open addressing in an int64 array (``link_buckets`` grows it; a numba typed dict would be
    compiled again in every process that clusters)."""
    return np.full(1024, _EMPTY, dtype=np.int64)


@njit(cache=True, nogil=True)
def _slot(table, code):  # pragma: no cover - compiled
    """The slot of the table holding ``code``, or the free slot where it goes (linear probing)."""
    mask = table.shape[0] - 1
    i = np.int64((np.uint64(code) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & mask
    while table[i] != _EMPTY and table[i] != code:
        i = (i + 1) & mask
    return i


@njit(cache=True, nogil=True)
def _grown(table):  # pragma: no cover - compiled
    out = np.full(table.shape[0] * 2, _EMPTY, dtype=np.int64)
    for x in table:
        if x != _EMPTY:
            out[_slot(out, x)] = x
    return out


@njit(inline="always")
def _find(parent, x):  # pragma: no cover - compiled
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def link_buckets(members, starts, ends, ids, id_start, id_end, parent, failed, n_failed,
                 jaccard_threshold, containment_threshold, min_containment,
                 links, n_links):  # pragma: no cover - compiled
    """Join the verified pairs of each bucket ``members[starts[t]:ends[t]]`` (ascending
    document indexes) in ``parent``; ``failed`` holds ``n_failed[0]`` refused pairs.
    Each pair that joins two clusters is written to row ``n_links[0]`` of ``links`` as
    (a, b, |a & b|, |a|, |b|), then ``n_links[0]`` is counted up: a spanning forest of the
    clusters (at most n - 1 rows), what ``newsclean explain`` shows.
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
                if failed[_slot(failed, code)] == code:
                    continue
                compared += 1
                inter = _intersection(ids, id_start[a], id_end[a], ids, id_start[b], id_end[b])
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
                    k = n_links[0]
                    links[k, 0] = a
                    links[k, 1] = b
                    links[k, 2] = inter
                    links[k, 3] = la
                    links[k, 4] = lb
                    n_links[0] = k + 1
                else:
                    if 2 * (n_failed[0] + 1) > failed.shape[0]:
                        failed = _grown(failed)
                    failed[_slot(failed, code)] = code
                    n_failed[0] += 1
    return compared, failed


@njit(cache=True, nogil=True)
def roots(parent):  # pragma: no cover - compiled
    """Each document's cluster root (the smallest index of its cluster)."""
    out = parent.copy()
    for x in range(out.shape[0]):
        out[x] = _find(parent, x)
    return out
