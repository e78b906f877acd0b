"""Shingle ids of documents, and the exact comparisons of two documents' id sets.

A document comes as its normalised words (``text.norm_words``; single characters for CJK text)
joined by single spaces, or, when a word holds a space (NFKC of some ligatures), as its list of
words. A shingle is k consecutive words (all of them when there are fewer than k), spelt as
their UTF-8 bytes joined by U+0020: all documents of a batch are joined into one byte buffer,
and every shingle is a byte range of it. A shingle's 32-bit id is a hash of its range:

* "poly64-fmix64": ``sum (byte_i + 1) * R**i mod 2**64`` with ``R = 0x9E3779B97F4A7C15``, then
  MurmurHash3's fmix64, high 32 bits. Vectorised: prefix sums of ``(byte + 1) * R**pos`` give
  the hash of any range in two gathers and a multiply.
* "sha1_hash32": the first four bytes (little-endian) of the range's SHA-1, datasketch's
  ``sha1_hash32`` (the numba kernel ``sha1_jit``).

The ids are a pure function of the shingle's bytes (no Python ``hash()``), so they are the same
across processes, runs and batchings. Ids of the two hashes must never meet in one index or one
Jaccard (``DedupConfig.shingle_hash`` is recorded with the state).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cleaners.kernels.minhash import FMIX64, cost_runs, fmix

__all__ = ["HASHES", "ClusterLinker", "intersection_sizes", "shingle_ids", "similarities"]

HASHES = ("poly64-fmix64", "sha1_hash32")

Doc = str | Sequence[str]  # words joined by single spaces, or the list of words

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_R = 0x9E3779B97F4A7C15  # odd, so invertible mod 2^64
_R_INV = pow(_R, -1, 1 << 64)
_SEP = 0x20  # words are joined by one space
_CHUNK_BYTES = 1 << 20  # byte window per prefix-sum pass (powers table <= 16 MB)
_BATCH_TOKENS = 1 << 17  # words per batch: the temporaries stay in cache and are reused
_HASH_THREADS = min(4, os.cpu_count() or 1)  # threads hashing one batch's shingles with SHA-1
_MIN_THREAD_BYTES = 1 << 16  # bytes a SHA-1 thread gets at least (fewer: fewer threads)

_pow_lock = threading.Lock()
_pow: np.ndarray = np.ones(1, dtype=_U64)
_pow_inv: np.ndarray = np.ones(1, dtype=_U64)


def shingle_ids(docs: Sequence[Doc], k: int, hash: str = "poly64-fmix64") -> tuple[np.ndarray, np.ndarray]:
    """The sorted unique uint32 ids of each document's k-word shingles, concatenated, and how
    many each document has. No words, no ids."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    if hash not in HASHES:
        raise ValueError(f"hash must be one of {', '.join(HASHES)}; got {hash!r}")
    ntok = np.array([_word_count(d) for d in docs], dtype=np.int64)
    batches = [_unique_ids(*_raw_shingles(docs[lo:hi], ntok[lo:hi], k, hash))
               for lo, hi in cost_runs(np.cumsum(ntok), _BATCH_TOKENS)]  # about _BATCH_TOKENS words each
    if not batches:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
    return np.concatenate([ids for ids, _ in batches]), np.concatenate([counts for _, counts in batches])


def _word_count(doc: Doc) -> int:
    if isinstance(doc, str):
        return doc.count(" ") + 1 if doc else 0
    return len(doc)


def _raw_shingles(docs: Sequence[Doc], ntok: np.ndarray, k: int, hash: str) -> tuple[np.ndarray, np.ndarray]:
    """The ids of the documents' shingles, not deduplicated: (ids, how many each document has)."""
    # One join per document: a single join over the batch is slower when any document is
    # non-ASCII (the whole string is widened).
    flat = np.frombuffer(b" ".join([(d if isinstance(d, str) else " ".join(d)).encode("utf-8", "surrogatepass")
                                    for d, n in zip(docs, ntok.tolist()) if n]), dtype=np.uint8)
    counts = np.where(ntok >= k, ntok - k + 1, (ntok > 0).astype(np.int64))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32), counts
    tstart, tend = _word_bounds(flat, docs, int(ntok.sum()))
    first_tok = np.cumsum(ntok) - ntok
    first_sh = np.cumsum(counts) - counts
    s_tok = np.repeat(first_tok - first_sh, counts) + np.arange(total, dtype=np.int64)
    e_tok = s_tok + np.repeat(np.minimum(ntok, k) - 1, counts)
    if hash == "sha1_hash32":
        return _sha1_heads(flat, tstart[s_tok], tend[e_tok]), counts
    return (_poly64(flat, tstart[s_tok], tend[e_tok]) >> _U64(32)).astype(np.uint32), counts


def _word_bounds(flat: np.ndarray, docs: Sequence[Doc], ntok: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte start and end of every word in the space-joined buffer: the spaces are the gaps
    unless a word holds one; then the bounds come from the words' lengths."""
    seps = np.flatnonzero(flat == _SEP)
    if len(seps) == ntok - 1:
        return np.r_[0, seps + 1], np.r_[seps, len(flat)]
    words = (w for d in docs for w in ((d.split(" ") if d else []) if isinstance(d, str) else d))
    lens = np.fromiter((len(w.encode("utf-8", "surrogatepass")) for w in words), dtype=np.int64, count=ntok)
    ends = np.cumsum(lens + 1) - 1
    return ends - lens, ends


def _unique_ids(ids: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each document's ids sorted and unique, concatenated, and how many each has: one sort of
    (document, id) codes."""
    owner = np.repeat(np.arange(len(counts), dtype=_U64), counts)
    codes = (owner << _U64(32)) | ids.astype(_U64)
    codes.sort()  # (not np.unique: several times slower here)
    if len(codes) > 1:
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    counts = np.bincount((codes >> _U64(32)).astype(np.int64), minlength=len(counts))
    return (codes & _U64(0xFFFFFFFF)).astype(np.uint32), counts


def _sha1_heads(flat: np.ndarray, sb: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """The sha1_hash32 of each range flat[sb[i]:eb[i]], by the kernel; a large batch in up to
    ``_HASH_THREADS`` parts at once (the kernel releases the GIL)."""
    from cleaners.kernels import sha1_jit

    out = np.empty(len(sb), dtype=np.uint32)
    parts = max(1, min(_HASH_THREADS, len(flat) // _MIN_THREAD_BYTES, len(sb)))
    cuts = np.linspace(0, len(sb), parts + 1).astype(np.int64).tolist()

    def run(a: int, b: int) -> None:
        sha1_jit.heads(flat, sb[a:b], eb[a:b], out[a:b])

    with ThreadPoolExecutor(max_workers=parts) as pool:
        list(pool.map(run, cuts[:-1], cuts[1:]))
    return out


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """R**i and R**-i (mod 2^64) for i < n; cached, grown by doubling."""
    global _pow, _pow_inv
    p, pi = _pow, _pow_inv
    if len(p) >= n:
        return p, pi
    with _pow_lock:
        if len(_pow) < n:
            size = max(n, 2 * len(_pow), 4096)
            p = np.empty(size, dtype=_U64)
            pi = np.empty(size, dtype=_U64)
            p[0] = pi[0] = 1
            np.cumprod(np.full(size - 1, _R, dtype=_U64), out=p[1:])
            np.cumprod(np.full(size - 1, _R_INV, dtype=_U64), out=pi[1:])
            _pow, _pow_inv = p, pi
        return _pow, _pow_inv


def _long_span(flat: np.ndarray, s: int, e: int) -> int:
    """The polynomial of one byte range longer than the window, window by window
    (so the powers table never grows past the window)."""
    pw, _ = _powers(_CHUNK_BYTES + 1)
    h = 0
    for w0 in range(s, e, _CHUNK_BYTES):
        w1 = min(w0 + _CHUNK_BYTES, e)
        vals = flat[w0:w1].astype(_U64)
        vals += _U64(1)
        vals *= pw[:w1 - w0]
        part = int(np.add.reduce(vals, dtype=_U64))  # wraps mod 2^64
        h = (h + part * pow(_R, w0 - s, 1 << 64)) & _MASK64
    return h


def _poly64(flat: np.ndarray, sb: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """64-bit poly64-fmix64 hash of each byte range flat[sb[i]:eb[i]] (sb, eb non-decreasing)."""
    out = np.empty(len(sb), dtype=_U64)
    i, n = 0, len(sb)
    while i < n:
        c0 = int(sb[i])
        j = int(np.searchsorted(eb, c0 + _CHUNK_BYTES, side="right"))
        if j <= i:  # one shingle longer than the window
            out[i] = _long_span(flat, c0, int(eb[i]))
            i += 1
            continue
        c1 = int(eb[j - 1])
        pw, pwi = _powers(c1 - c0 + 1)
        vals = flat[c0:c1].astype(_U64)
        vals += _U64(1)
        vals *= pw[:c1 - c0]
        prefix = np.empty(c1 - c0 + 1, dtype=_U64)
        prefix[0] = 0
        np.cumsum(vals, out=prefix[1:])
        s = sb[i:j] - c0
        e = eb[i:j] - c0
        h = prefix[e] - prefix[s]
        h *= pwi[s]
        out[i:j] = h
        i = j
    return fmix(out, FMIX64)


# ---------------------------------------------------------------------------
# Comparing id sets (sorted and unique): a merge in the numba kernel ``minhash_jit``


def intersection_sizes(ids: np.ndarray, counts: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``|set u[k] & set v[k]|`` for every pair k, of sets given concatenated in ``ids``
    (``counts[i]`` ids for set i), with no copy of them."""
    from cleaners.kernels import minhash_jit

    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    out = np.zeros(len(u), dtype=np.int64)
    if len(u):
        ends = np.cumsum(counts, dtype=np.int64)
        minhash_jit.intersection_sizes(ids, ends - counts, ends, u, v, out)
    return out


def similarities(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(jaccard, containment in the smaller) of two sets, from one intersection."""
    from cleaners.kernels import minhash_jit

    if not len(a) or not len(b):
        return 0.0, 0.0
    inter = int(minhash_jit.intersection_size(a, b))
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def ragged_arange(lens: np.ndarray) -> np.ndarray:
    """Concatenated arange(k) for every k in lens."""
    return np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)


def expand_ranges(first: np.ndarray, count: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, x) for every x in ``first[which[i]]`` .. ``first[which[i]] + count[which[i]] - 1``:
    the positions of ranges (CSR rows) taken in the order of ``which``."""
    lens = count[which]
    i = np.repeat(np.arange(len(which)), lens)
    return i, first[which][i] + ragged_arange(lens)


class ClusterLinker:
    """A union-find of documents joined bucket by bucket (``link``) where a pair verifies on the
    exact id sets: Jaccard >= ``jaccard``, or containment >= ``containment`` with the smaller set
    at least ``min_containment`` ids. A pair already connected is not compared, nor a pair
    compared once and refused (``minhash_jit.link_buckets``). The pairs that joined two
    clusters are kept (``links``): why each document is in its cluster."""

    def __init__(self, shingles: list[np.ndarray], jaccard: float, containment: float,
                 min_containment: int) -> None:
        from cleaners.kernels import minhash_jit

        self.kernels = minhash_jit
        self.thresholds = (jaccard, containment, min_containment)
        counts = np.fromiter(map(len, shingles), dtype=np.int64, count=len(shingles))
        nonempty = [a for a in shingles if len(a)]
        self.ids = np.concatenate(nonempty) if nonempty else np.zeros(0, dtype=np.uint32)
        self.ends = np.cumsum(counts, dtype=np.int64)
        self.starts = self.ends - counts
        self.parent = np.arange(len(shingles), dtype=np.int64)
        self.failed = minhash_jit.new_failed_set()
        self.n_failed = np.zeros(1, dtype=np.int64)
        self.compared = 0  # pairs compared so far
        # the pairs that joined two clusters: each union is one row, so n - 1 rows at most
        self._links = np.zeros((max(len(shingles) - 1, 0), 5), dtype=np.int64)
        self._n_links = np.zeros(1, dtype=np.int64)

    def link(self, members: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        """Join the verified pairs of each bucket ``members[starts[t]:ends[t]]`` (ascending)."""
        if not len(starts):
            return
        compared, self.failed = self.kernels.link_buckets(
            members, starts, ends, self.ids, self.starts, self.ends, self.parent, self.failed,
            self.n_failed, *self.thresholds, self._links, self._n_links)
        self.compared += compared

    def join_short_copies(self, min_ids: int) -> int:
        """Join each document still alone (at least ``min_ids`` ids) that is wholly contained in
        other documents, when those documents are all in one cluster: an abridged copy (a lead
        paragraph reprinted) joins its story, a stock paragraph that several stories hold stays
        alone. This reaches the texts too short for the containment rule (under
        ``min_containment`` ids), and the copies the LSH buckets missed: a short text has a low
        Jaccard with a long one, so it is seldom their candidate. The containers are found
        exactly: every document holding the alone one's smallest id is checked. Returns how
        many joined."""
        n = len(self.parent)
        size = self.ends - self.starts
        if not n:
            return 0
        root = self.kernels.roots(self.parent)
        alone = np.bincount(root, minlength=n)[root] == 1
        short = np.flatnonzero(alone & (size >= max(min_ids, 1)))
        if not len(short):
            return 0
        probe = self.ids[self.starts[short]]  # each short document's smallest id
        order = np.argsort(probe, kind="stable")
        probe, short = probe[order], short[order]
        # every occurrence of a probe id (a binary search into the few probes, not np.isin,
        # which sorts all the ids)
        pos = np.minimum(np.searchsorted(probe, self.ids), len(probe) - 1)
        at = np.flatnonzero(probe[pos] == self.ids)
        holder = np.searchsorted(self.ends, at, side="right")  # the document of each occurrence
        lo = np.searchsorted(probe, self.ids[at], side="left")
        hi = np.searchsorted(probe, self.ids[at], side="right")
        s = short[np.repeat(lo, hi - lo) + ragged_arange(hi - lo)]
        o = np.repeat(holder, hi - lo)
        keep = s != o
        s, o = s[keep], o[keep]
        whole = intersection_sizes(self.ids, size, s, o) == size[s]
        containers: dict[int, dict[int, int]] = {}  # alone document -> {cluster root: first container}
        for x, y in zip(s[whole].tolist(), o[whole].tolist()):
            first = containers.setdefault(x, {})
            first[int(root[y])] = min(y, first.get(int(root[y]), y))
        joined = 0
        for x in sorted(containers):
            if len(containers[x]) == 1:  # roots now: an earlier join may have moved either
                (y,) = containers[x].values()
                rx, r = self._root(x), self._root(y)
                self.parent[max(rx, r)] = min(rx, r)
                self._links[self._n_links[0]] = (min(x, y), max(x, y), size[x], size[min(x, y)], size[max(x, y)])
                self._n_links[0] += 1
                joined += 1
        return joined

    def _root(self, x: int) -> int:
        while self.parent[x] != x:
            x = int(self.parent[x])
        return x
    def links(self) -> np.ndarray:
        """The verified pairs that joined two clusters, in the order they did: rows (a, b,
        |a & b|, |a|, |b|) with a < b document indexes; a spanning forest of the clusters."""
        return self._links[:int(self._n_links[0])]

    def roots(self) -> list[int]:
        """Each document's cluster root (the smallest index of its cluster)."""
        return self.kernels.roots(self.parent).tolist()
