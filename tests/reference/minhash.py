"""Readable versions of the shingle ids, signatures, set comparisons and LSH candidates of
``cleaners.kernels``: one document or one pair at a time, in plain Python or datasketch."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

_M64 = (1 << 64) - 1
_R = 0x9E3779B97F4A7C15


def grams(words: Sequence[str], k: int) -> list[str]:
    """The k-word shingles of a document, words joined by one space (all words when fewer than k)."""
    if not words:
        return []
    if len(words) < k:
        return [" ".join(words)]
    return [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]


def sha1_id(shingle: str) -> int:
    """datasketch's sha1_hash32: the first four bytes of the SHA-1, little-endian."""
    return struct.unpack("<I", hashlib.sha1(shingle.encode("utf-8")).digest()[:4])[0]


def poly64_id(shingle: str) -> int:
    """The poly64-fmix64 id: sum (byte + 1) * R**i mod 2**64, MurmurHash3's fmix64, high 32 bits."""
    h, p = 0, 1
    for byte in shingle.encode("utf-8", "surrogatepass"):
        h = (h + (byte + 1) * p) & _M64
        p = (p * _R) & _M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    h ^= h >> 33
    return h >> 32


def shingle_ids(words: Sequence[str], k: int, hash: str = "sha1_hash32") -> np.ndarray:
    """Sorted unique 32-bit ids of the k-word shingles of one document."""
    hashed = sha1_id if hash == "sha1_hash32" else poly64_id
    return np.unique(np.asarray([hashed(g) for g in grams(words, k)], dtype=np.uint32))


def _identity(x: int) -> int:
    return x


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations  # type: ignore[arg-type,return-value]


def signature(ids: np.ndarray, num_perm: int, scheme: str, seed: int) -> LeanMinHash:
    """A datasketch LeanMinHash of pre-hashed shingle ids (``update_batch``, identity hash)."""
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=_identity,  # type: ignore[arg-type]
                permutations=_permutations(num_perm, seed, scheme))
    if len(ids):
        m.update_batch(ids.tolist())
    return LeanMinHash(m)


def hashvalues(ids: np.ndarray, num_perm: int, seed: int, scheme: str) -> np.ndarray:
    """``signature(...).hashvalues``."""
    return signature(ids, num_perm, scheme, seed).hashvalues


def kernel_signatures(arrays: Sequence[np.ndarray], num_perm: int, seed: int, scheme: str = "affine32") -> np.ndarray:
    """``cleaners.kernels.signatures`` of documents given one id array each."""
    from cleaners.kernels import signatures

    ids = np.concatenate(arrays) if len(arrays) else np.zeros(0, dtype=np.uint32)
    return signatures(ids, [len(a) for a in arrays], num_perm, seed, scheme)


def intersection_size(a: Iterable[int], b: Iterable[int]) -> int:
    return len(set(np.asarray(a).tolist()) & set(np.asarray(b).tolist()))


def similarities(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(jaccard, containment in the smaller) of two id sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    inter = intersection_size(a, b)
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return similarities(a, b)[0]


def lsh_pairs(hashvalues: np.ndarray, bands: int, rows: int, keep: Iterable[int] | None = None) -> np.ndarray:
    """Pairs (i < j), sorted, of the rows that agree on every value of at least one band: what
    ``MinHashLSH(params=(bands, rows))`` holding the rows ``keep`` (all by default) returns."""
    keep = range(len(hashvalues)) if keep is None else list(keep)
    pairs: set[tuple[int, int]] = set()
    for b in range(bands):
        buckets: dict[bytes, list[int]] = {}
        for i in keep:
            buckets.setdefault(hashvalues[i, b * rows:(b + 1) * rows].tobytes(), []).append(i)
        for members in buckets.values():
            pairs.update((x, y) for x in members for y in members if x < y)
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
