"""The near-duplicate decision one pair at a time, and the clusters of every candidate pair
verified: what ``cleaners.match.dedup.find_clusters`` must give without verifying them all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaners.config import DedupConfig
from tests.reference.passages import UnionFind
from tests.reference.minhash import lsh_pairs, similarities


@dataclass(frozen=True)
class Match:
    """A verified near-duplicate pair (indexes into the document list)."""

    a: int
    b: int
    jaccard: float
    containment: float


def is_duplicate(a: np.ndarray, b: np.ndarray, cfg: DedupConfig) -> tuple[bool, float, float]:
    """Verify a candidate on the exact shingle sets: (merge?, jaccard, containment)."""
    j, c = similarities(a, b)
    if j >= cfg.jaccard_threshold:
        return True, j, c
    if c >= cfg.containment_threshold and min(len(a), len(b)) >= cfg.min_containment_shingles:
        return True, j, c
    return False, j, c


def verify_pairs(shingles: list[np.ndarray], cands: list[tuple[int, int]] | np.ndarray,
                 cfg: DedupConfig) -> list[Match]:
    """The candidate pairs that ``is_duplicate`` accepts."""
    out = []
    for i, j in np.asarray(cands, dtype=np.int64).reshape(-1, 2).tolist():
        ok, jac, con = is_duplicate(shingles[i], shingles[j], cfg)
        if ok:
            out.append(Match(i, j, jac, con))
    return out


def find_pairs(shingles: list[np.ndarray], cfg: DedupConfig, sigs: np.ndarray) -> list[Match]:
    """Every candidate pair (sharing an LSH band; empty documents left out), verified."""
    keep = [i for i, a in enumerate(shingles) if len(a)]
    return verify_pairs(shingles, lsh_pairs(sigs, cfg.lsh_bands, cfg.lsh_rows, keep), cfg)


def clusters(n: int, matches: list[Match]) -> list[list[int]]:
    """Connected components of the match graph, each sorted, in order of first member."""
    uf = UnionFind(n)
    for m in matches:
        uf.union(m.a, m.b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
