"""numba kernels of ``cleaners.fastminhash.signatures_flat`` (imported lazily).

One fused pass per document: for each of its (pre-mixed) ids, every
permutation's value ``a * h + b`` is computed and min-reduced into the
document's row of ``out``, with no (num_perm x ids) temporary. The loop over
the permutations is the inner one (contiguous ``a``, ``b`` and output row), so
LLVM vectorises it; four ids are taken per pass over the row, so that the row
is loaded and stored once per four ids instead of once per id (measured ~2x
on 128 permutations).

The arithmetic is datasketch's CPU path exactly:

* affine32: ``uint32(a * h + b)`` (a, b, h uint32; numba widens the product
  to 64 bits and the cast keeps the low 32, i.e. arithmetic mod 2**32);
* affine64: ``a * h + b`` in uint64 (wraps mod 2**64, as numpy does);
* legacy: ``((a * h + b) mod 2**64) mod (2**61 - 1)``, then the low 32 bits.
  The Mersenne remainder is taken as ``(x & M) + (x >> 61)`` and one
  conditional subtraction (x = q * 2**61 + r with q <= 7, and 2**61 = 1 mod M),
  which vectorises where a 64-bit division does not.

``out`` must hold datasketch's empty value (or an earlier minimum) in the rows
given; each document only writes its own row, so disjoint ranges of documents
can run in parallel threads (``nogil``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_M61 = np.uint64((1 << 61) - 1)
_S61 = np.uint64(61)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True)
def sig_affine32(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    num_perm = a.shape[0]
    for k in range(rows.shape[0]):
        s = starts[k]
        e = ends[k]
        o = out[rows[k]]
        i = s
        while i + 4 <= e:
            h0 = hv[i]
            h1 = hv[i + 1]
            h2 = hv[i + 2]
            h3 = hv[i + 3]
            for p in range(num_perm):
                ap = a[p]
                bp = b[p]
                v0 = min(np.uint32(ap * h0 + bp), np.uint32(ap * h1 + bp))
                v1 = min(np.uint32(ap * h2 + bp), np.uint32(ap * h3 + bp))
                o[p] = min(o[p], min(v0, v1))
            i += 4
        while i < e:
            h = hv[i]
            for p in range(num_perm):
                o[p] = min(o[p], np.uint32(a[p] * h + b[p]))
            i += 1


@njit(cache=True, nogil=True)
def sig_affine64(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    num_perm = a.shape[0]
    for k in range(rows.shape[0]):
        s = starts[k]
        e = ends[k]
        o = out[rows[k]]
        i = s
        while i + 4 <= e:
            h0 = hv[i]
            h1 = hv[i + 1]
            h2 = hv[i + 2]
            h3 = hv[i + 3]
            for p in range(num_perm):
                ap = a[p]
                bp = b[p]
                v0 = min(ap * h0 + bp, ap * h1 + bp)
                v1 = min(ap * h2 + bp, ap * h3 + bp)
                o[p] = min(o[p], min(v0, v1))
            i += 4
        while i < e:
            h = hv[i]
            for p in range(num_perm):
                o[p] = min(o[p], a[p] * h + b[p])
            i += 1


@njit(inline="always")
def _legacy(ap, h, bp):  # pragma: no cover - compiled
    x = ap * h + bp
    r = (x & _M61) + (x >> _S61)
    if r >= _M61:
        r -= _M61
    return r & _LOW32


@njit(cache=True, nogil=True)
def sig_legacy(hv, starts, ends, rows, a, b, out):  # pragma: no cover - compiled
    num_perm = a.shape[0]
    for k in range(rows.shape[0]):
        s = starts[k]
        e = ends[k]
        o = out[rows[k]]
        i = s
        while i + 4 <= e:
            h0 = hv[i]
            h1 = hv[i + 1]
            h2 = hv[i + 2]
            h3 = hv[i + 3]
            for p in range(num_perm):
                ap = a[p]
                bp = b[p]
                v0 = min(_legacy(ap, h0, bp), _legacy(ap, h1, bp))
                v1 = min(_legacy(ap, h2, bp), _legacy(ap, h3, bp))
                o[p] = min(o[p], min(v0, v1))
            i += 4
        while i < e:
            h = hv[i]
            for p in range(num_perm):
                o[p] = min(o[p], _legacy(a[p], h, b[p]))
            i += 1


KERNELS = {"affine32": sig_affine32, "affine64": sig_affine64, "legacy": sig_legacy}


@njit(cache=True, nogil=True)
def intersection_sizes(ids, starts, ends, u, v, out):  # pragma: no cover - compiled
    """out[k] = |ids[starts[u[k]]:ends[u[k]]] & ids[starts[v[k]]:ends[v[k]]]|
    (each slice sorted and unique): a merge of the two slices."""
    for k in range(u.shape[0]):
        i = starts[u[k]]
        ie = ends[u[k]]
        j = starts[v[k]]
        je = ends[v[k]]
        n = 0
        while i < ie and j < je:
            x = ids[i]
            y = ids[j]
            if x == y:
                n += 1
                i += 1
                j += 1
            elif x < y:
                i += 1
            else:
                j += 1
        out[k] = n
