"""MinHash signatures (exactly datasketch's), the keys and buckets of LSH bands, and the numpy
helpers that keep large pair sets in bounded memory.

``signatures``: for many documents' ids at once, exactly the ``hashvalues`` of
``datasketch.MinHash(num_perm, seed, scheme=scheme, hashfunc=identity).update_batch(ids)``
(schemes "affine32", "affine64" and "legacy"), one fused compiled pass per document (the numba
kernels of ``cleaners.kernels.minhash_jit``).

``band_key`` / ``band_buckets``: the buckets of one LSH band, those a ``MinHashLSH(params=(bands,
rows))`` holding every row keeps (documents sharing a band exactly).

datasketch is imported where it is used (for the permutation parameters), not with this module:
its package imports scipy.integrate (for MinHashLSH's parameter search), a large part of a
cleaning worker's start, and the cleaning step needs nothing from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

__all__ = ["UniqueCodes", "band_buckets", "band_key", "cost_runs", "decode_pairs", "signatures"]

_U64 = np.uint64
_DTYPE = {"affine32": np.uint32, "affine64": _U64, "legacy": _U64}
_EMPTY = {"affine32": (1 << 32) - 1, "affine64": (1 << 64) - 1, "legacy": (1 << 32) - 1}
FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(33), _U64(0xC4CEB9FE1A85EC53), _U64(33))
_FLAT_IDS_AT_A_TIME = 1 << 22  # ids premixed at a time by signatures (16 MB at affine32)


@lru_cache(maxsize=32)
def permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) exactly as datasketch draws them (taken from a datasketch MinHash), read-only."""
    from datasketch import MinHash  # here, not at import (see the module's docstring)

    drawn = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations  # type: ignore[arg-type]
    a, b = (np.ascontiguousarray(x, dtype=_DTYPE[scheme]) for x in drawn)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def fmix(hv: np.ndarray, constants: tuple[np.integer, ...]) -> np.ndarray:
    """MurmurHash3's finaliser (``FMIX32`` or ``FMIX64``, of hv's width) of every value, in place."""
    s1, m1, s2, m2, s3 = constants
    flat = hv.reshape(-1)
    step = 1 << 20  # a million values at a time: the shifts' temporaries stay small
    for lo in range(0, flat.size, step):
        part = flat[lo:lo + step]
        part ^= part >> s1
        part *= m1
        part ^= part >> s2
        part *= m2
        part ^= part >> s3
    return hv


def _premix(ids: np.ndarray, scheme: str) -> np.ndarray:
    """The input array as datasketch's CPU path sees it before the permutations (a copy)."""
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be an integer array, got dtype {ids.dtype}")
    if ids.size and ids.dtype.kind == "i" and int(ids.min()) < 0:
        raise ValueError("ids must be non-negative")
    if scheme == "affine32":
        if ids.size and ids.dtype.itemsize > 4 and int(ids.max()) > 0xFFFFFFFF:
            raise ValueError("id out of range for scheme 'affine32': use 32-bit ids or scheme='affine64'")
        return fmix(ids.astype(np.uint32), FMIX32)
    hv = ids.astype(_U64)
    return hv if scheme == "legacy" else fmix(hv, FMIX64)


def signatures(ids: np.ndarray, counts: np.ndarray, num_perm: int, seed: int, scheme: str = "affine32",
               perms: slice | None = None) -> np.ndarray:
    """Row i = ``MinHash(num_perm, seed=seed, scheme=scheme, hashfunc=identity)
    .update_batch(ids of document i).hashvalues`` (uint32 for affine32, else uint64), the ids of
    the documents concatenated in ``ids`` (``counts[i]`` ids for document i).

    A document with no ids gets datasketch's empty hashvalues (all max). ``perms`` selects some
    of the ``num_perm`` permutations: those columns of the full signatures.
    """
    if scheme not in _DTYPE:
        raise ValueError(f"scheme must be one of affine32, affine64, legacy; got {scheme!r}")
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    a, b = permutations(num_perm, seed, scheme)
    if perms is not None:
        a, b = a[perms], b[perms]
    out = np.full((n, len(a)), _EMPTY[scheme], dtype=_DTYPE[scheme])
    total = int(counts.sum())
    if total == 0:
        return out
    if len(ids) != total:
        raise ValueError(f"{len(ids)} ids but counts sum to {total}")
    ends = np.cumsum(counts)
    if total > _FLAT_IDS_AT_A_TIME and n > 1:
        # Premixing copies the ids: one copy of all of a large corpus's sentence shingles
        # would be the passage stage's largest array. A run of whole documents at a time
        # keeps that copy small.
        for d0, d1 in cost_runs(ends, _FLAT_IDS_AT_A_TIME):
            lo = int(ends[d0 - 1]) if d0 else 0
            out[d0:d1] = signatures(ids[lo:int(ends[d1 - 1])], counts[d0:d1], num_perm, seed, scheme, perms)
        return out
    from cleaners.kernels import minhash_jit

    rows = np.flatnonzero(counts > 0)  # the kernel writes each of these rows from its ids
    hv = _premix(np.asarray(ids), scheme)
    minhash_jit.KERNELS[scheme](hv, (ends - counts)[rows], ends[rows], rows, a, b, out)
    return out


# ---------------------------------------------------------------------------
# LSH banding


def cost_runs(ends: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive runs [lo, hi) of items whose costs add up to at most ``limit``
    (``ends``: the running total of the costs); an item costlier than ``limit``
    is a run of its own. How large work is cut into pieces of bounded memory."""
    n = len(ends)
    lo = 0
    while lo < n:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + limit, side="right")))
        yield lo, hi
        lo = hi


class UniqueCodes:
    """Sorted unique int64 codes gathered in parts.

    A pair sharing many bands is found once per band; the parts are merged
    (sorted, duplicates dropped) whenever they outgrow the merged set, so
    memory follows the number of distinct codes, not the number of finds.
    """

    MIN_MERGE = 1 << 22  # codes (32 MB) pending before a merge is worth its sort

    def __init__(self) -> None:
        self.merged = np.zeros(0, dtype=np.int64)
        self.parts: list[np.ndarray] = []
        self.pending = 0

    def add(self, codes: np.ndarray) -> None:
        self.parts.append(codes)
        self.pending += len(codes)
        if self.pending > max(len(self.merged), self.MIN_MERGE):
            self._merge()

    def _merge(self) -> None:
        if not self.parts:
            return
        new = np.concatenate(self.parts)
        self.parts, self.pending = [], 0
        new.sort()
        if len(new) > 1:
            new = new[np.r_[True, new[1:] != new[:-1]]]
        if len(self.merged):  # insert the codes not seen yet into the sorted set: no full re-sort
            pos = np.searchsorted(self.merged, new)
            fresh = self.merged[np.minimum(pos, len(self.merged) - 1)] != new
            new = np.insert(self.merged, pos[fresh], new[fresh])
        self.merged = new

    def result(self) -> np.ndarray:
        self._merge()
        return self.merged


def band_key(band: np.ndarray) -> np.ndarray:
    """One key per row of a band (an (n, rows) block of signature columns): equal keys <=> equal
    bands. The values packed into one uint64 when they fit, else the distinct bands numbered."""
    width = 8 * band.dtype.itemsize
    if band.shape[1] * width > 64:
        return np.unique(band, axis=0, return_inverse=True)[1].ravel()
    key = np.zeros(len(band), dtype=_U64)
    for r in range(band.shape[1]):
        key = (key << _U64(width)) | band[:, r].astype(_U64)
    return key


def band_buckets(keys: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One band's buckets of two or more rows: (members, starts, ends), bucket t being
    ``members[starts[t]:ends[t]]``, rows ``idx[...]`` in ascending order (``keys[i]``: the
    ``band_key`` of row ``idx[i]``)."""
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    return (idx[order], *bucket_bounds(ks[1:] != ks[:-1]))


def bucket_bounds(changed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the buckets of two or more entries of a sorted sequence, ``changed[i]``
    saying whether entry i + 1 differs from entry i: the one definition of a bucket."""
    bounds = np.flatnonzero(np.r_[True, changed, True])
    starts, ends = bounds[:-1], bounds[1:]
    keep = ends - starts >= 2
    return starts[keep], ends[keep]


def decode_pairs(codes: np.ndarray, n: int) -> np.ndarray:
    """(m, 2) int64 pairs from codes i * n + j, written in place (no full-size temporaries)."""
    pairs = np.empty((len(codes), 2), dtype=np.int64)
    np.floor_divide(codes, n, out=pairs[:, 0])
    np.remainder(codes, n, out=pairs[:, 1])
    return pairs
