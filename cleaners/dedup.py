"""Near-duplicate documents: LSH candidates, exact verification, union-find clusters."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from cleaners.config import DedupConfig
from cleaners.fastminhash import intersection_sizes, lsh_pairs, shingle_ids_many, signatures
from cleaners.minhash import shingle_ids, signature, similarities
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
    return doc_shingles_many([text], cfg)[0]


def doc_shingles_many(texts: list[str], cfg: DedupConfig) -> list[np.ndarray]:
    """``doc_shingles`` of many texts, hashed in bulk (cfg.shingle_hash names the hash)."""
    words = [norm_words(t) for t in texts]
    k = cfg.shingle_words
    ks = [k + 1 if is_cjk(t) else k for t in texts]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.uint32)] * len(texts)
    for kk in sorted(set(ks)):
        idx = [i for i, x in enumerate(ks) if x == kk]
        if cfg.shingle_hash == "sha1_hash32":
            ids = [shingle_ids(words[i], kk) for i in idx]
        else:
            ids = shingle_ids_many([words[i] for i in idx], kk)
        for i, a in zip(idx, ids):
            out[i] = a
    return out


def is_duplicate(a: np.ndarray, b: np.ndarray, cfg: DedupConfig) -> tuple[bool, float, float]:
    """Verify a candidate on the exact shingle sets: (merge?, jaccard, containment)."""
    j, c = similarities(a, b)
    if j >= cfg.jaccard_threshold:
        return True, j, c
    if c >= cfg.containment_threshold and min(len(a), len(b)) >= cfg.min_containment_shingles:
        return True, j, c
    return False, j, c


def find_matches(shingles: list[np.ndarray], cfg: DedupConfig,
                 sigs: list[LeanMinHash] | None = None,
                 redis_url: str | None = None) -> list[Match]:
    """All verified near-duplicate pairs among the documents (signatures computed unless given).

    Candidates are the pairs that share one LSH band; each is verified on the
    exact shingle sets. The band index is in memory (numpy) unless
    ``redis_url`` names a Redis server for datasketch's Redis storage; both
    give the same candidates.
    """
    if sigs is None:
        sigs = [signature(s, cfg.num_perm, cfg.scheme, cfg.seed) for s in shingles]
    nonempty = np.fromiter((len(s) > 0 for s in shingles), dtype=bool, count=len(shingles))
    if redis_url is None:
        cands = candidate_pairs(sigs, nonempty, cfg)
    else:
        cands = redis_candidate_pairs(sigs, nonempty, cfg, redis_url)
    return verify_pairs(shingles, cands, cfg)


def verify_pairs(shingles: list[np.ndarray], cands: np.ndarray | list[tuple[int, int]],
                 cfg: DedupConfig) -> list[Match]:
    """The candidate pairs that ``is_duplicate`` accepts, verified in bulk (same arithmetic)."""
    pairs = np.asarray(cands, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return []
    u, v = pairs[:, 0], pairs[:, 1]
    inter = intersection_sizes(shingles, u, v)
    sizes = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles))
    la, lb = sizes[u], sizes[v]
    small = np.minimum(la, lb)
    ok_sizes = small > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(ok_sizes, inter / np.where(ok_sizes, la + lb - inter, 1), 0.0)
        con = np.where(ok_sizes, inter / np.where(ok_sizes, small, 1), 0.0)
    ok = (jac >= cfg.jaccard_threshold) | (
        (con >= cfg.containment_threshold) & (small >= cfg.min_containment_shingles))
    return [Match(int(i), int(j), float(a), float(c))
            for i, j, a, c in zip(u[ok].tolist(), v[ok].tolist(), jac[ok].tolist(), con[ok].tolist())]


def candidate_pairs(sigs: list[LeanMinHash], nonempty: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Pairs (i < j, sorted; an (n, 2) array) sharing a band: what MinHashLSH(params=(bands, rows)).query gives."""
    if len(sigs) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    hv = np.stack([s.hashvalues for s in sigs])
    return np.asarray(lsh_pairs(hv, cfg.lsh_bands, cfg.lsh_rows, nonempty), dtype=np.int64).reshape(-1, 2)


def redis_candidate_pairs(sigs: list[LeanMinHash], nonempty: np.ndarray, cfg: DedupConfig,
                          redis_url: str) -> list[tuple[int, int]]:
    """The same pairs from a datasketch MinHashLSH kept in Redis (one key prefix per call, removed after)."""
    import redis  # optional dependency: only needed with --lsh-redis
    from redis.connection import parse_url

    params = parse_url(redis_url)
    basename = f"newsclean:lsh:{uuid.uuid4().hex}:".encode()
    client = redis.Redis(**params)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        raise ConnectionError(f"cannot reach the Redis server for the LSH index at {redis_url!r}: {exc}; "
                              "start redis-server or drop --lsh-redis") from exc
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.lsh_bands, cfg.lsh_rows),
                     storage_config={"type": "redis", "basename": basename, "redis": params})
    try:
        with lsh.insertion_session(buffer_size=10000) as session:
            for i in np.flatnonzero(nonempty).tolist():
                session.insert(i, sigs[i], check_duplication=False)
        pairs = set()
        for i in np.flatnonzero(nonempty).tolist():
            pairs.update((i, j) for j in lsh.query(sigs[i]) if j > i)
        return sorted(pairs)
    finally:
        for key in client.scan_iter(match=basename + b"*", count=1000):
            client.delete(key)
        client.close()


def clusters(n: int, matches: list[Match]) -> list[list[int]]:
    """Connected components of the match graph, each sorted, in order of first member."""
    uf = UnionFind(n)
    for m in matches:
        uf.union(m.a, m.b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


Sketch = tuple[np.ndarray, np.ndarray]  # (shingle ids, MinHash hash values)


class SketchCache:
    """Shingle ids and MinHash hash values by text hash, so a text is signed once across runs.

    The state stores the sketches of the texts of the last grouping and hands
    them back to the next run (cleaners/state.py).
    """

    CHUNK = 1000  # texts shingled and signed at a time: bounds the token lists held at once

    def __init__(self, cfg: DedupConfig, stored: dict[str, Sketch] | None = None) -> None:
        self.cfg = cfg
        self.stored = stored or {}
        self.used: dict[str, Sketch] = {}
        self.hits = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, text: str) -> Sketch:
        return self.get_many([text])[0]

    def get_many(self, texts: list[str]) -> list[Sketch]:
        """Sketches of the texts; those not seen before are shingled and signed in bulk."""
        keys = [self.key(t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key in self.used or key in self.stored or key in missing:
                self.hits += 1
            else:
                missing.setdefault(key, text)
        todo = list(missing.items())
        for c in range(0, len(todo), self.CHUNK):  # chunks: token lists are the transient peak
            chunk = todo[c:c + self.CHUNK]
            ids = doc_shingles_many([text for _, text in chunk], self.cfg)
            hv = signatures(ids, self.cfg.num_perm, self.cfg.seed, self.cfg.scheme)
            for n, (key, _) in enumerate(chunk):
                self.used[key] = (ids[n], hv[n].copy())
        out = []
        for key in keys:
            found = self.used.get(key)
            if found is None:
                found = self.stored[key]
                self.used[key] = found
            out.append(found)
        return out

    def lean(self, sketch: Sketch) -> LeanMinHash:
        return LeanMinHash(seed=self.cfg.seed, hashvalues=sketch[1], scheme=self.cfg.scheme)
