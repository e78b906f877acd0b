"""Shingles and MinHash signatures (datasketch, with the scheme set explicitly).

A shingle is k consecutive normalised tokens (words; single characters for
CJK text, see ``textutil.tokens``). Shingles are hashed once with datasketch's
sha1_hash32, so the integer ids serve both the signature and the exact
Jaccard/containment check that verifies every LSH candidate.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

HASH_NAME = "sha1_hash32 of the UTF-8 shingle, tokens joined by U+0020"


def _identity(x: int) -> int:
    return x


def shingle_ids(words: Sequence[str], k: int) -> np.ndarray:
    """Sorted unique 32-bit ids of the k-token shingles (one shingle if fewer tokens)."""
    if not words:
        return np.zeros(0, dtype=np.uint32)
    if len(words) < k:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
    ids = [struct.unpack("<I", hashlib.sha1(g.encode("utf-8")).digest()[:4])[0] for g in grams]
    return np.unique(np.asarray(ids, dtype=np.uint32))


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters, computed once (they cost more than hashing a sentence)."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations  # type: ignore[arg-type,return-value]


def signature(ids: np.ndarray, num_perm: int, scheme: str, seed: int) -> LeanMinHash:
    """A datasketch LeanMinHash of pre-hashed shingle ids."""
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=_identity,  # type: ignore[arg-type]
                permutations=_permutations(num_perm, seed, scheme))
    if len(ids):
        m.update_batch(ids.tolist())
    return LeanMinHash(m)


def intersection_size(a: np.ndarray, b: np.ndarray) -> int:
    """How many ids two sorted unique id arrays share (a binary search of the smaller in the larger)."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return 0
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = 0
    return int(np.count_nonzero(b[idx] == a))


def similarities(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(jaccard, containment) of two sorted unique id arrays, from one intersection."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    inter = intersection_size(a, b)
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique id arrays."""
    return similarities(a, b)[0]


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller set found in the larger one (sorted unique id arrays)."""
    return similarities(a, b)[1]
