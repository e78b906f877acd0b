"""Near-duplicate documents: LSH candidates, exact verification, union-find clusters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch import MinHashLSH

from cleaners.config import DedupConfig
from cleaners.minhash import containment, jaccard, shingle_ids, signature
from cleaners.textutil import is_cjk, norm_words


@dataclass(frozen=True)
class Match:
    """A verified near-duplicate pair (indexes into the document list)."""

    a: int
    b: int
    jaccard: float
    containment: float


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def doc_shingles(text: str, cfg: DedupConfig) -> np.ndarray:
    """Word k-gram ids; CJK text uses character k-grams (its tokens are characters)."""
    words = norm_words(text)
    k = cfg.shingle_words
    return shingle_ids(words, k + 1 if is_cjk(text) else k)


def is_duplicate(a: np.ndarray, b: np.ndarray, cfg: DedupConfig) -> tuple[bool, float, float]:
    """Verify a candidate on the exact shingle sets: (merge?, jaccard, containment)."""
    j = jaccard(a, b)
    c = containment(a, b)
    if j >= cfg.jaccard_threshold:
        return True, j, c
    if c >= cfg.containment_threshold and min(len(a), len(b)) >= cfg.min_containment_shingles:
        return True, j, c
    return False, j, c


def find_matches(shingles: list[np.ndarray], cfg: DedupConfig) -> list[Match]:
    """All verified near-duplicate pairs among the documents."""
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.lsh_bands, cfg.lsh_rows))
    sigs = [signature(s, cfg.num_perm, cfg.scheme, cfg.seed) for s in shingles]
    for i, sig in enumerate(sigs):
        if len(shingles[i]):
            lsh.insert(i, sig, check_duplication=False)
    matches = []
    for i, sig in enumerate(sigs):
        if not len(shingles[i]):
            continue
        for j in lsh.query(sig):
            if j <= i:
                continue
            ok, jac, con = is_duplicate(shingles[i], shingles[j], cfg)
            if ok:
                matches.append(Match(i, j, jac, con))
    return sorted(matches, key=lambda m: (m.a, m.b))


def clusters(n: int, matches: list[Match]) -> list[list[int]]:
    """Connected components of the match graph, each sorted, in order of first member."""
    uf = UnionFind(n)
    for m in matches:
        uf.union(m.a, m.b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])
