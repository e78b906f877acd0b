"""Near-duplicate documents: LSH candidates, exact verification, union-find clusters."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from cleaners.config import DedupConfig
from cleaners.kernels.signatures import (backend, band_buckets, band_keys, intersection_sizes, intersection_sizes_flat,
                                  jit_module, lsh_pairs, shingle_ids_many, shingle_ids_many_joined, signatures)
from cleaners.kernels.text import norm_word_lines
from cleaners.kernels.shingles import shingle_ids, signature, similarities
from cleaners.kernels.text import is_cjk, norm_words


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


def doc_shingles_many(texts: list[str], cfg: DedupConfig,
                      lines: Sequence[str | None] | None = None) -> list[np.ndarray]:
    """``doc_shingles`` of many texts, hashed in bulk (cfg.shingle_hash names the hash).

    ``lines[i]``, when given and not None, is ``" ".join(norm_words(texts[i]))`` with no word
    holding a space (``boilerplate.paragraph_keys_and_lines`` makes them): not tokenised again.
    """
    joined = list(lines) if lines is not None else [None] * len(texts)
    missing = [i for i, line in enumerate(joined) if line is None]
    split: dict[int, list[str]] = {}  # texts with a word that holds a space: kept as word lists
    made, gaps, _ = norm_word_lines([texts[i] for i in missing])
    for i, line, whole in zip(missing, made, gaps.tolist()):
        if whole:
            joined[i] = line
        else:
            split[i] = norm_words(texts[i])
    k = cfg.shingle_words
    ks = [k + 1 if is_cjk(t) else k for t in texts]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.uint32)] * len(texts)
    for kk in sorted(set(ks)):
        idx = [i for i, x in enumerate(ks) if x == kk]
        if cfg.shingle_hash == "sha1_hash32":
            for i in idx:
                line = joined[i]
                out[i] = shingle_ids(split[i] if i in split else line.split(" ") if line else [], kk)
            continue
        whole = [i for i in idx if i not in split]
        for i, a in zip(whole, shingle_ids_many_joined([joined[i] for i in whole], kk)):
            out[i] = a
        parts = [i for i in idx if i in split]
        for i, a in zip(parts, shingle_ids_many([split[i] for i in parts], kk)):
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


@dataclass(frozen=True)
class Verified:
    """Verified near-duplicate pairs as arrays: (a[k], b[k]) with their similarities.

    Arrays, not Match objects: a large folder of re-spelt copies has millions
    of verified pairs (about 200 bytes each as objects, 24 here).
    """

    a: np.ndarray
    b: np.ndarray
    jaccard: np.ndarray
    containment: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def matches(self) -> list[Match]:
        return [Match(i, j, x, c) for i, j, x, c in zip(self.a.tolist(), self.b.tolist(),
                                                         self.jaccard.tolist(), self.containment.tolist())]


Signatures = list[LeanMinHash] | np.ndarray  # LeanMinHash objects, or their hash values as rows


def find_matches(shingles: list[np.ndarray], cfg: DedupConfig, sigs: Signatures | None = None,
                 redis_url: str | None = None) -> list[Match]:
    """All verified near-duplicate pairs among the documents (signatures computed unless given)."""
    return find_pairs(shingles, cfg, sigs, redis_url).matches()


def find_pairs(shingles: list[np.ndarray], cfg: DedupConfig, sigs: Signatures | None = None,
               redis_url: str | None = None) -> Verified:
    """``find_matches`` as arrays.

    Candidates are the pairs that share one LSH band; each is verified on the
    exact shingle sets. The band index is in memory (numpy) unless
    ``redis_url`` names a Redis server for datasketch's Redis storage; both
    give the same candidates.
    """
    sigs = _signed(shingles, cfg, sigs)
    nonempty = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles)) > 0
    if redis_url is None:
        cands = candidate_pairs(sigs, nonempty, cfg)
    else:
        cands = redis_candidate_pairs(sigs, nonempty, cfg, redis_url)
    return verify(shingles, cands, cfg)


def _signed(shingles: list[np.ndarray], cfg: DedupConfig, sigs: Signatures | None) -> Signatures:
    """``sigs``, or the documents' signatures when not given."""
    return sigs if sigs is not None else [signature(s, cfg.num_perm, cfg.scheme, cfg.seed) for s in shingles]


def verify_pairs(shingles: list[np.ndarray], cands: np.ndarray | list[tuple[int, int]],
                 cfg: DedupConfig) -> list[Match]:
    """The candidate pairs that ``is_duplicate`` accepts, verified in bulk (same arithmetic)."""
    return verify(shingles, cands, cfg).matches()


def verify(shingles: list[np.ndarray], cands: np.ndarray | list[tuple[int, int]],
           cfg: DedupConfig) -> Verified:
    """``verify_pairs`` as arrays, VERIFY_CHUNK candidates at a time (bounds the temporaries)."""
    pairs = np.asarray(cands, dtype=np.int64).reshape(-1, 2)
    sizes = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles))
    flat = None
    if len(pairs) and backend() == "numba":  # the ids concatenated once, not once a chunk
        nonempty = [a for a in shingles if len(a)]
        flat = np.concatenate(nonempty) if nonempty else np.zeros(0, dtype=np.uint32)

    def inter(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        got = None if flat is None else intersection_sizes_flat(flat, sizes, u, v)
        return got if got is not None else intersection_sizes(shingles, u, v)

    parts = [_verify_chunk(inter, sizes, pairs[lo:lo + VERIFY_CHUNK], cfg)
             for lo in range(0, len(pairs), VERIFY_CHUNK)]
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Verified(empty, empty, np.zeros(0), np.zeros(0))
    return Verified(*(np.concatenate([p[k] for p in parts]) for k in range(4)))


VERIFY_CHUNK = 1 << 20


def _verify_chunk(intersect: Callable[[np.ndarray, np.ndarray], np.ndarray], sizes: np.ndarray,
                  pairs: np.ndarray, cfg: DedupConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    u, v = pairs[:, 0], pairs[:, 1]
    inter = intersect(u, v)
    la, lb = sizes[u], sizes[v]
    small = np.minimum(la, lb)
    ok_sizes = small > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(ok_sizes, inter / np.where(ok_sizes, la + lb - inter, 1), 0.0)
        con = np.where(ok_sizes, inter / np.where(ok_sizes, small, 1), 0.0)
    ok = (jac >= cfg.jaccard_threshold) | (
        (con >= cfg.containment_threshold) & (small >= cfg.min_containment_shingles))
    return u[ok], v[ok], jac[ok], con[ok]


def candidate_pairs(sigs: Signatures, nonempty: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Pairs (i < j, sorted; an (n, 2) array) sharing a band: what MinHashLSH(params=(bands, rows)).query gives."""
    if len(sigs) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    hv = sigs if isinstance(sigs, np.ndarray) else np.stack([s.hashvalues for s in sigs])
    return np.asarray(lsh_pairs(hv, cfg.lsh_bands, cfg.lsh_rows, nonempty), dtype=np.int64).reshape(-1, 2)


def redis_candidate_pairs(sigs: Signatures, nonempty: np.ndarray, cfg: DedupConfig,
                          redis_url: str) -> list[tuple[int, int]]:
    """The same pairs from a datasketch MinHashLSH kept in Redis (one key prefix per call, removed after)."""
    import redis  # optional dependency: only needed with --lsh-redis
    from redis.connection import parse_url

    if isinstance(sigs, np.ndarray):
        sigs = [LeanMinHash(seed=cfg.seed, hashvalues=hv, scheme=cfg.scheme) for hv in sigs]

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


@dataclass(frozen=True)
class Linked:
    """Near-duplicate clusters (``clusters``' order) and the exact comparisons made to find them."""

    groups: list[list[int]]
    compared: int


def find_clusters(shingles: list[np.ndarray], cfg: DedupConfig, sigs: Signatures | None = None,
                  redis_url: str | None = None) -> Linked:
    """``clusters(n, find_pairs(...))`` without verifying every candidate pair.

    Candidates are met bucket by bucket (band after band); a pair whose documents are
    already connected is not compared, nor is a pair compared once and refused: the
    components are those of every candidate verified, but the comparisons grow with the
    documents instead of with the square of the cluster sizes (a story reprinted by 500
    outlets is 124,750 candidate pairs and 499 links). With ``redis_url`` the candidates
    come from datasketch's MinHashLSH in Redis, each pair a bucket of two.
    """
    n = len(shingles)
    sigs = _signed(shingles, cfg, sigs)
    counts = np.fromiter(map(len, shingles), dtype=np.int64, count=n)
    nonempty = counts > 0
    linker = _Linker(shingles, counts, cfg)
    if redis_url is not None:
        pairs = np.asarray(redis_candidate_pairs(sigs, nonempty, cfg, redis_url), dtype=np.int64).reshape(-1, 2)
        starts = np.arange(0, 2 * len(pairs), 2, dtype=np.int64)
        linker.link(pairs.ravel(), starts, starts + 2)
    elif n >= 2:
        hv = sigs if isinstance(sigs, np.ndarray) else np.stack([s.hashvalues for s in sigs])
        r = cfg.lsh_rows
        for b in range(cfg.lsh_bands):  # one band's keys at a time (all of them: 51 MB at 100k)
            keys, idx = band_keys(hv[:, b * r:(b + 1) * r], 1, r, nonempty)
            linker.link(*band_buckets(keys[0], idx))
    return Linked(linker.groups(), linker.compared)


class _Linker:
    """The union-find of ``find_clusters``: the numba kernel (``_minhash_jit.link_buckets``)
    or the same walk in Python."""

    def __init__(self, shingles: list[np.ndarray], counts: np.ndarray, cfg: DedupConfig) -> None:
        self.shingles, self.cfg, self.compared = shingles, cfg, 0
        self.kernels = jit_module("minhash_jit")
        n = len(shingles)
        if self.kernels is not None:
            nonempty = [a for a in shingles if len(a)]
            self.ids = np.concatenate(nonempty) if nonempty else np.zeros(0, dtype=np.uint32)
            self.ends = np.cumsum(counts, dtype=np.int64)
            self.starts = self.ends - counts
            self.parent = np.arange(n, dtype=np.int64)
            self.failed = self.kernels.new_failed_set()
            self.n_failed = np.zeros(1, dtype=np.int64)
        else:
            self.uf = UnionFind(n)
            self.refused: set[tuple[int, int]] = set()

    def link(self, members: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """Join the verified pairs of each bucket ``members[starts[t]:ends[t]]``."""
        if not len(starts):
            return
        c = self.cfg
        if self.kernels is not None:
            compared, self.failed = self.kernels.link_buckets(
                members, starts, ends, self.ids, self.starts, self.ends, self.parent, self.failed,
                self.n_failed, c.jaccard_threshold, c.containment_threshold, c.min_containment_shingles)
            self.compared += compared
            return
        uf, refused, shingles = self.uf, self.refused, self.shingles
        for s, e in zip(starts.tolist(), ends.tolist()):
            bucket = members[s:e].tolist()
            if len({uf.find(x) for x in bucket}) == 1:
                continue
            for q in range(1, len(bucket)):
                b = bucket[q]
                for a in bucket[:q]:
                    if uf.find(a) == uf.find(b) or (a, b) in refused:
                        continue
                    self.compared += 1
                    if is_duplicate(shingles[a], shingles[b], c)[0]:
                        uf.union(a, b)
                    else:
                        refused.add((a, b))

    def groups(self) -> list[list[int]]:
        if self.kernels is None:
            return _components(self.uf.find(i) for i in range(len(self.shingles)))
        return _components(self.kernels.roots(self.parent).tolist())


def clusters(n: int, matches: list[Match] | Verified) -> list[list[int]]:
    """Connected components of the match graph, each sorted, in order of first member."""
    uf = UnionFind(n)
    if isinstance(matches, Verified):
        step = 1 << 16  # a slice at a time: no list of every pair
        for lo in range(0, len(matches), step):
            for a, b in zip(matches.a[lo:lo + step].tolist(), matches.b[lo:lo + step].tolist()):
                uf.union(a, b)
    else:
        for m in matches:
            uf.union(m.a, m.b)
    return _components(uf.find(i) for i in range(n))


def _components(roots: Iterable[int]) -> list[list[int]]:
    """The members of each root (``roots[i]``: item i's), each list sorted, in order of first member."""
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(roots):
        groups.setdefault(r, []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


Sketch = tuple[np.ndarray, np.ndarray]  # (shingle ids, MinHash hash values)


class SketchSpill(Protocol):
    """Where a SketchCache can park its sketches (a DocStore's scratch file)."""

    def put_sketches(self, items: Iterable[tuple[str, Sketch]]) -> None: ...

    def get_sketches(self, keys: list[str]) -> dict[str, Sketch]: ...

    def iter_sketches(self) -> Iterator[tuple[str, Sketch]]: ...


class SketchCache:
    """Shingle ids and MinHash hash values by text hash, so a text is signed once across runs.

    The state stores the sketches of the texts of the last grouping and hands
    them back to the next run (cleaners/state.py). Sketches made here are held
    in blocks, one per CHUNK texts (one array of ids, one of hash values), not
    as two small arrays a text: many small long-lived arrays fragment the heap,
    which then never shrinks. Once matching is done, the sketches used can be
    parked on disk (``park``) until the state is written.
    """

    CHUNK = 1000  # texts shingled and signed at a time: bounds the token lists held at once

    def __init__(self, cfg: DedupConfig, stored: dict[str, Sketch] | None = None) -> None:
        self.cfg = cfg
        self.stored = stored or {}
        self.hits = 0  # sketches asked for again (repeats within the run included)
        self._reused: set[str] = set()  # stored sketches (of earlier runs) used by this run
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (ids, ends, hash values)
        self._made: dict[str, tuple[int, int]] = {}  # key -> (block, row) of sketches made here
        self._from_stored: set[str] = set()  # stored sketches used by this run
        self._spill: SketchSpill | None = None
        self._parked: set[str] = set()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, text: str) -> Sketch:
        return self.get_many([text])[0]

    def _sketch(self, where: tuple[int, int]) -> Sketch:
        ids, ends, hv = self._blocks[where[0]]
        row = where[1]
        return ids[ends[row - 1] if row else 0:ends[row]], hv[row]

    def __len__(self) -> int:
        """How many sketches this run has used, in memory or parked."""
        return len(self._made) + len(self._from_stored) + len(self._parked)

    @property
    def reused(self) -> int:
        """How many stored signatures of earlier runs this run used instead of signing again."""
        return len(self._reused)

    def in_memory(self) -> int:
        return len(self._made) + len(self._from_stored)

    def get_many(self, texts: list[str], lines: Sequence[str | None] | None = None) -> list[Sketch]:
        """Sketches of the texts; those not seen before are shingled and signed in bulk.

        ``lines[i]``, when given, is what ``doc_shingles_many`` takes (saves tokenising again).
        """
        keys = [self.key(t) for t in texts]
        missing: dict[str, int] = {}  # key -> index of its text
        for n, key in enumerate(keys):
            if (key in self._made or key in self._from_stored or key in self._parked
                    or key in self.stored or key in missing):
                self.hits += 1
                if key in self.stored:
                    self._reused.add(key)
            else:
                missing[key] = n
        todo = list(missing.items())
        for c in range(0, len(todo), self.CHUNK):  # chunks: token lists are the transient peak
            chunk = todo[c:c + self.CHUNK]
            ids = doc_shingles_many([texts[n] for _, n in chunk], self.cfg,
                                    None if lines is None else [lines[n] for _, n in chunk])
            hv = signatures(ids, self.cfg.num_perm, self.cfg.seed, self.cfg.scheme)
            ends = np.cumsum([len(a) for a in ids], dtype=np.int64)
            flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.uint32)
            del ids
            self._blocks.append((flat, ends, hv))
            for n, (key, _) in enumerate(chunk):
                self._made[key] = (len(self._blocks) - 1, n)
        parked: dict[str, Sketch] = {}
        if self._spill is not None:
            parked = self._spill.get_sketches([k for k in keys if k in self._parked])
        out = []
        for key in keys:
            where = self._made.get(key)
            if where is not None:
                out.append(self._sketch(where))
            elif key in parked:
                out.append(parked[key])
            else:
                out.append(self.stored[key])
                self._from_stored.add(key)
        return out

    def _in_memory_items(self) -> Iterator[tuple[str, Sketch]]:
        for key, where in self._made.items():
            yield key, self._sketch(where)
        for key in self._from_stored:
            yield key, self.stored[key]

    def park(self, spill: SketchSpill) -> None:
        """Move the sketches used so far out of memory, into ``spill``."""
        if self._spill is not None and self._spill is not spill:
            raise ValueError("this SketchCache already parks its sketches elsewhere")
        self._spill = spill
        spill.put_sketches(self._in_memory_items())
        self._parked.update(self._made)
        self._parked.update(self._from_stored)
        self._blocks, self._made, self._from_stored = [], {}, set()

    def items(self) -> Iterator[tuple[str, Sketch]]:
        """(text key, sketch) of every text used: what the state keeps for the next run."""
        if self._spill is not None:
            yield from self._spill.iter_sketches()
        yield from self._in_memory_items()

    def lean(self, sketch: Sketch) -> LeanMinHash:
        return LeanMinHash(seed=self.cfg.seed, hashvalues=sketch[1], scheme=self.cfg.scheme)
