"""Bulk shingle ids and MinHash signatures in numpy (datasketch-exact signatures).

Two independent pieces:

* ``shingle_ids_fast`` / ``shingle_ids_many``: sorted unique ids of the
  k-token shingles. A shingle is hashed from the UTF-8 bytes of its tokens
  joined by U+0020 (the same string ``cleaners.kernels.shingles.shingle_ids`` gives to
  sha1), but with a vectorised polynomial hash instead of one sha1 call per
  shingle: all documents of a batch are joined into one byte buffer, prefix
  sums of ``(byte + 1) * R**pos`` (mod 2**64) give the hash of any byte range
  in two gathers and a multiply, and the MurmurHash3 64-bit finaliser mixes
  it. The ids are a pure function of the shingle's bytes (no Python
  ``hash()``), so they are identical across processes, runs and batchings.
  They are NOT the sha1 ids of ``cleaners.kernels.shingles`` (never mix the two in one
  index or one Jaccard).

* ``signatures``: for many id arrays at once, exactly the ``hashvalues`` of
  ``datasketch.MinHash(num_perm, seed, scheme=scheme, hashfunc=identity)
  .update_batch(ids)`` (schemes "affine32", "affine64" and "legacy"). With
  numba importable, one fused compiled pass per document
  (``cleaners.kernels.minhash_jit``); otherwise (or with ``BACKEND = "numpy"``) one
  (num_perm x chunk) numpy array per chunk of ids, reduced per document with
  ``np.minimum.reduceat``. Both give the same values. ``to_lean`` wraps a row
  as a ``datasketch.LeanMinHash`` for ``MinHashLSH``.

* ``lsh_pairs``: the candidate pairs a ``MinHashLSH(params=(bands, rows))``
  holding every row would return (documents sharing at least one band
  exactly), from the signature matrix in one vectorised pass.

numpy plus datasketch (for the permutation parameters and LeanMinHash), and
numba for the signature kernel when it is installed. datasketch is imported
where it is used, not with this module: its package imports scipy.integrate
(for MinHashLSH's parameter search), 0.47 s of every cleaning worker's start,
and the cleaning step needs only ``jit_module`` from here.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import chain, pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from datasketch import LeanMinHash

__all__ = [
    "HASH_NAME", "cost_runs", "empty_hashvalues", "intersection_sizes", "intersection_sizes_flat", "lsh_pairs", "permutations", "shingle_ids_fast",
    "shingle_ids_many", "signatures", "signatures_flat", "to_lean", "to_leans",
]

HASH_NAME = ("poly64: sum (byte_i + 1) * R^i mod 2^64, R=0x9E3779B97F4A7C15, over the UTF-8 "
             "shingle (tokens joined by U+0020), then MurmurHash3 fmix64; high 32 bits")

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
_R = 0x9E3779B97F4A7C15  # odd, so invertible mod 2^64
_R_INV = pow(_R, -1, 1 << 64)
_SEP = 0x20  # tokens are joined by one space, as in cleaners.kernels.shingles
_CHUNK_BYTES = 1 << 20  # byte window per prefix-sum pass (powers table <= 16 MB)
_SORT_BUDGET = 1 << 20  # padded elements per 2-D sort
_SORT_GROUP = 512  # documents per 2-D sort
_BATCH_TOKENS = 1 << 17  # tokens per vectorised batch in shingle_ids_many (measured best)

_pow_lock = threading.Lock()
_pow: np.ndarray = np.ones(1, dtype=_U64)
_pow_inv: np.ndarray = np.ones(1, dtype=_U64)


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


def _fmix64(h: np.ndarray) -> np.ndarray:
    h ^= h >> _U64(33)
    h *= _U64(0xFF51AFD7ED558CCD)
    h ^= h >> _U64(33)
    h *= _U64(0xC4CEB9FE1A85EC53)
    h ^= h >> _U64(33)
    return h


def _token_bounds(flat: np.ndarray, word_lists: Sequence[Sequence[str]] | None, ntok: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Byte start/end of every token in the space-joined buffer (``word_lists`` may be None
    when no token holds a space: the spaces are then exactly the gaps)."""
    seps = np.flatnonzero(flat == _SEP)
    if len(seps) == ntok - 1:
        starts = np.empty(ntok, dtype=np.int64)
        starts[0] = 0
        starts[1:] = seps + 1
        ends = np.empty(ntok, dtype=np.int64)
        ends[:-1] = seps
        ends[-1] = len(flat)
        return starts, ends
    # A token contains a space: take the boundaries from the token lengths.
    lens = np.fromiter((len(w.encode("utf-8", "surrogatepass"))
                        for w in chain.from_iterable(word_lists)), dtype=np.int64, count=ntok)
    ends = np.cumsum(lens + 1) - 1
    return ends - lens, ends


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


def _hash_spans(flat: np.ndarray, sb: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """64-bit hash of each byte range flat[sb[i]:eb[i]] (sb, eb non-decreasing)."""
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
    return _fmix64(out)


def _raw_shingles(word_lists: Sequence[Sequence[str]], k: int, bits: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Shingle ids of all documents, not deduplicated: (ids, counts per document)."""
    ntok = np.fromiter(map(len, word_lists), dtype=np.int64, count=len(word_lists))
    # One join per document: a single join over the batch is ~2x slower when
    # any document is non-ASCII (the whole string is widened).
    flat = np.frombuffer(b" ".join([" ".join(ws).encode("utf-8", "surrogatepass")
                                    for ws in word_lists if len(ws)]), dtype=np.uint8)
    return _flat_shingles(flat, ntok, k, bits, lambda: _token_bounds(flat, word_lists, int(ntok.sum())))


def _raw_shingles_joined(lines: Sequence[str], k: int, bits: int, words: Sequence[int]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``_raw_shingles`` of documents whose words come joined by single spaces, no word holding
    one (``words[i]``: how many words lines[i] has)."""
    ntok = np.asarray(words, dtype=np.int64)
    flat = np.frombuffer(b" ".join([line.encode("utf-8", "surrogatepass") for line in lines if line]),
                         dtype=np.uint8)
    return _flat_shingles(flat, ntok, k, bits, lambda: _token_bounds(flat, None, int(ntok.sum())))


def _flat_shingles(flat: np.ndarray, ntok: np.ndarray, k: int, bits: int,
                   bounds: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Shingle ids from the documents' words space-joined in ``flat`` (``ntok`` words each;
    ``bounds()`` gives each word's byte start and end)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    if bits not in (32, 64):
        raise ValueError(f"bits must be 32 or 64, got {bits!r}")
    dtype = np.uint32 if bits == 32 else _U64
    counts = np.where(ntok >= k, ntok - k + 1, (ntok > 0).astype(np.int64))
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=dtype), counts
    tstart, tend = bounds()
    first_tok = np.cumsum(ntok) - ntok
    first_sh = np.cumsum(counts) - counts
    s_tok = np.repeat(first_tok - first_sh, counts) + np.arange(total, dtype=np.int64)
    e_tok = s_tok + np.repeat(np.minimum(ntok, k) - 1, counts)
    h = _hash_spans(flat, tstart[s_tok], tend[e_tok])
    if bits == 32:
        return (h >> _U64(32)).astype(np.uint32), counts
    return h, counts


def _sort_unique(ids: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Per-document sorted unique ids, with documents of similar length sorted
    together as rows of a padded 2-D array (much faster than one long sort)."""
    n = len(counts)
    out: list[np.ndarray] = [ids[:0]] * n
    if not n:
        return out
    offsets = np.cumsum(counts) - counts
    order = np.argsort(counts, kind="stable")
    order = order[counts[order] > 0]
    pad_value = np.iinfo(ids.dtype).max
    i = 0
    while i < len(order):
        # grow the group while the padded size stays within budget
        j = min(i + _SORT_GROUP, len(order))
        width = int(counts[order[j - 1]])
        if (j - i) * width > _SORT_BUDGET:
            j = i + max(1, _SORT_BUDGET // max(width, 1))
            width = int(counts[order[j - 1]])
        docs = order[i:j]
        cnt = counts[docs]
        g = len(docs)
        tot = int(cnt.sum())
        rows = np.repeat(np.arange(g), cnt)
        cols = np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pad = np.full((g, width), pad_value, dtype=ids.dtype)
        pad[rows, cols] = ids[np.repeat(offsets[docs], cnt) + cols]
        pad.sort(axis=1)
        keep = np.empty((g, width), dtype=bool)
        keep[:, 0] = True
        np.not_equal(pad[:, 1:], pad[:, :-1], out=keep[:, 1:])
        keep &= np.arange(width) < cnt[:, None]
        uniq = pad[keep]
        pieces = np.split(uniq, np.cumsum(keep.sum(axis=1))[:-1])
        for d, piece in zip(docs.tolist(), pieces):
            out[d] = piece
        i = j
    return out


def shingle_ids_many(word_lists: Sequence[Sequence[str]], k: int, bits: int = 32
                     ) -> list[np.ndarray]:
    """``shingle_ids_fast`` for many documents, vectorised over batches of
    documents (about ``_BATCH_TOKENS`` tokens each, so that the temporaries
    stay in cache and are reused instead of being page-faulted in)."""
    return _batched([len(w) for w in word_lists], lambda i, j: _raw_shingles(word_lists[i:j], k, bits))


def shingle_ids_many_joined(lines: Sequence[str], k: int, bits: int = 32) -> list[np.ndarray]:
    """``shingle_ids_many([line.split(" ") if line else [] for line in lines], k, bits)``, without
    the word lists: each line is a document's words joined by single spaces, and no word holds a
    space (``textutil.norm_words`` words can: NFKC of some ligatures)."""
    words = [line.count(" ") + 1 if line else 0 for line in lines]
    return _batched(words, lambda i, j: _raw_shingles_joined(lines[i:j], k, bits, words[i:j]))


def _batched(ntok: list[int], raw: Callable[[int, int], tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """Per-document sorted unique ids, ``raw(i, j)`` giving documents i:j's, in batches of
    about ``_BATCH_TOKENS`` tokens (``ntok``: each document's tokens)."""
    out: list[np.ndarray] = []
    i, n = 0, len(ntok)
    while i < n:
        j, tok = i, 0
        while j < n and (j == i or tok + ntok[j] <= _BATCH_TOKENS):
            tok += ntok[j]
            j += 1
        ids, counts = raw(i, j)
        out.extend(_sort_unique(ids, counts))
        i = j
    return out


def shingle_ids_fast(words: Sequence[str], k: int, bits: int = 32) -> np.ndarray:
    """Sorted unique ids (uint32, or uint64 with bits=64) of the k-token shingles.

    Fewer than k tokens give one shingle of all tokens; no tokens, no ids.
    """
    ids, _ = _raw_shingles([words], k, bits)
    return np.unique(ids)


# ---------------------------------------------------------------------------
# Signatures

_WIDTH = {"affine32": 32, "affine64": 64, "legacy": 64}
_DTYPE = {"affine32": np.uint32, "affine64": _U64, "legacy": _U64}
_EMPTY = {"affine32": (1 << 32) - 1, "affine64": (1 << 64) - 1, "legacy": (1 << 32) - 1}
_MERSENNE = _U64((1 << 61) - 1)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35),
           np.uint32(16))
_FMIX64 = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(33), _U64(0xC4CEB9FE1A85EC53), _U64(33))
_ELEMS_PER_CHUNK = 1 << 21  # num_perm x ids per block (8 MB at uint32, within L3; measured best)
_MIN_CHUNK_IDS = 8192
_MIN_ELEMS_PER_THREAD = 1 << 22
_FLAT_IDS_AT_A_TIME = 1 << 22  # ids premixed at a time by signatures_flat (16 MB at affine32)

def kernel_cache_dir() -> str:
    """Where numba keeps the compiled kernels: NUMBA_CACHE_DIR when set, else the user's cache
    folder (~/.cache/newsclean/numba). Not the package's __pycache__: an installed package's
    folder may not be writable, and a cache there is lost with every reinstall."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(base, "newsclean", "numba")


# numba reads its cache folder once, when it is imported: set before any kernel module imports it
os.environ.setdefault("NUMBA_CACHE_DIR", kernel_cache_dir())


def kernels_cached(name: str) -> bool:
    """Whether numba's cache holds compiled kernels of ``cleaners.<name>`` (an index file)."""
    for _root, _dirs, files in os.walk(os.environ["NUMBA_CACHE_DIR"]):
        if any(f.startswith(f"{name}.") and f.endswith(".nbi") for f in files):
            return True
    return False


def _say_if_compiling(name: str) -> None:
    if not kernels_cached(name):
        log.warning("compiling the numba kernels of cleaners.%s on first use (once per install, "
                    "about 5-30 s; cached in %s)", name, os.environ["NUMBA_CACHE_DIR"])


# Signature kernel: "auto" (numba when it imports, else numpy), "numba" or
# "numpy". Both are exact; the tests run each against datasketch.
BACKEND: str = os.environ.get("NEWSCLEAN_MINHASH_BACKEND", "auto")
_jit_module: object = None  # cleaners.kernels.minhash_jit once imported; False if it cannot be
_jit_lock = threading.Lock()
log = logging.getLogger(__name__)


def _jit_kernels() -> dict | None:
    """The numba kernels by scheme, or None when numba is not importable
    (imported on first use: importing numba takes a few hundred ms)."""
    global _jit_module
    if _jit_module is None:
        with _jit_lock:
            if _jit_module is None:
                try:
                    _say_if_compiling("minhash_jit")
                    import cleaners.kernels.minhash_jit as _minhash_jit
                    _jit_module = _minhash_jit
                except Exception as exc:  # ImportError, or numba refusing this numpy
                    log.info("numba unavailable (%s): numpy signature kernel", exc)
                    _jit_module = False
    return _jit_module.KERNELS if _jit_module else None  # type: ignore[attr-defined]


def jit_module(name: str) -> Any:
    """The numba kernel module ``cleaners.<name>`` (imported on first use), or None when the
    backend is numpy or the module does not import (numba refusing this numpy): its callers
    then take their numpy or regex path, which gives the same values."""
    return _import_kernels(name) if backend() == "numba" else None


@lru_cache(maxsize=None)
def _import_kernels(name: str) -> Any:
    try:
        if name != "minhash_jit":
            _say_if_compiling(name)
        return importlib.import_module(f"cleaners.kernels.{name}")
    except Exception as exc:  # ImportError, or numba refusing this numpy
        log.info("cleaners.%s unavailable (%s): the numpy/regex path is used", name, exc)
        return None


def backend() -> str:
    """The signature kernel ``signatures_flat`` uses now: "numba" or "numpy"."""
    if BACKEND == "numpy":
        return "numpy"
    if BACKEND not in ("auto", "numba"):
        raise ValueError(f"BACKEND must be auto, numba or numpy; got {BACKEND!r}")
    if _jit_kernels() is not None:
        return "numba"
    if BACKEND == "numba":
        raise RuntimeError("BACKEND is 'numba' but numba cannot be imported")
    return "numpy"


def _check_scheme(scheme: str) -> None:
    if scheme not in _WIDTH:
        raise ValueError(f"scheme must be one of affine32, affine64, legacy; got {scheme!r}")


@lru_cache(maxsize=32)
def permutations(num_perm: int, seed: int, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) exactly as datasketch draws them (taken from a datasketch MinHash)."""
    _check_scheme(scheme)
    from datasketch import MinHash  # here, not at import (see the module's docstring)

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations  # type: ignore[arg-type]
    dtype = _DTYPE[scheme]
    a = np.ascontiguousarray(a, dtype=dtype)
    b = np.ascontiguousarray(b, dtype=dtype)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def empty_hashvalues(num_perm: int, scheme: str) -> np.ndarray:
    """datasketch's hashvalues of a MinHash that saw no value."""
    _check_scheme(scheme)
    return np.full(num_perm, _EMPTY[scheme], dtype=_DTYPE[scheme])


def _premix(ids: np.ndarray, scheme: str) -> np.ndarray:
    """The input array as datasketch's CPU path sees it before the permutations."""
    if ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be an integer array, got dtype {ids.dtype}")
    if ids.size and ids.dtype.kind == "i" and int(ids.min()) < 0:
        raise ValueError("ids must be non-negative")
    if scheme == "affine32":
        if ids.size and ids.dtype.itemsize > 4 and int(ids.max()) > 0xFFFFFFFF:
            raise ValueError("id out of range for scheme 'affine32': use 32-bit ids "
                             "(bits=32) or scheme='affine64'")
        hv = ids.astype(np.uint32)  # always a copy: mixed in place below
        s1, m1, s2, m2, s3 = _FMIX32
    else:
        hv = ids.astype(_U64)
        if scheme == "legacy":
            return hv
        s1, m1, s2, m2, s3 = _FMIX64
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


def _sig_range(hv: np.ndarray, starts: np.ndarray, rows: np.ndarray, lo: int, hi: int,
               a: np.ndarray, b: np.ndarray, scheme: str, out: np.ndarray) -> None:
    """Min-reduce hv[lo:hi] (documents starting at ``starts``) into out[rows]."""
    num_perm = len(a)
    # numpy's broadcast multiply/add run ~3x slower per element on rows
    # shorter than ~8k (measured), so blocks are never narrower than that.
    chunk = max(_MIN_CHUNK_IDS, _ELEMS_PER_CHUNK // num_perm)
    a2 = a[:, None]
    b2 = b[:, None]
    buf = np.empty((num_perm, min(chunk, hi - lo)), dtype=out.dtype)
    s = lo
    while s < hi:
        e = min(s + chunk, hi)
        i0 = int(np.searchsorted(starts, s, side="right")) - 1
        i1 = int(np.searchsorted(starts, e, side="left"))
        seg = starts[i0:i1] - s
        seg[0] = 0
        blk = buf[:, :e - s]
        np.multiply(a2, hv[None, s:e], out=blk)
        np.add(blk, b2, out=blk)
        if scheme == "legacy":
            np.remainder(blk, _MERSENNE, out=blk)
            np.bitwise_and(blk, _U64(0xFFFFFFFF), out=blk)
        mins = np.minimum.reduceat(blk, seg, axis=1).T
        r = rows[i0:i1]
        if starts[i0] < s:  # the first document began in an earlier chunk
            np.minimum(out[r[0]], mins[0], out=mins[0])
        out[r] = mins
        s = e


def _jit_range(hv: np.ndarray, starts: np.ndarray, rows: np.ndarray, lo: int, hi: int,
               a: np.ndarray, b: np.ndarray, scheme: str, out: np.ndarray) -> None:
    """``_sig_range`` with the numba kernel."""
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = hi
    _jit_kernels()[scheme](hv, starts, ends, rows, a, b, out)  # type: ignore[index]


def signatures_flat(ids: np.ndarray, counts: np.ndarray, num_perm: int, seed: int,
                    scheme: str = "affine32", threads: int = 1, perms: slice | None = None) -> np.ndarray:
    """``signatures`` of the documents whose ids are concatenated in ``ids``
    (``counts[i]`` ids for document i). ``perms`` selects some of the
    ``num_perm`` permutations: those columns of the full signatures."""
    _check_scheme(scheme)
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
    if total > _FLAT_IDS_AT_A_TIME and n > 1:
        # Premixing copies the ids: at 40 million sentence shingles (100,000
        # documents) one copy of all of them was the passage stage's peak.
        # A run of whole documents at a time keeps that copy small.
        ends = np.cumsum(counts)
        for d0, d1 in cost_runs(ends, _FLAT_IDS_AT_A_TIME):
            lo = int(ends[d0 - 1]) if d0 else 0
            out[d0:d1] = signatures_flat(ids[lo:int(ends[d1 - 1])], counts[d0:d1], num_perm, seed,
                                         scheme, threads, perms)
        return out
    hv = _premix(np.asarray(ids), scheme)
    rows = np.flatnonzero(counts > 0)
    starts = (np.cumsum(counts) - counts)[rows]
    sig_range = _jit_range if backend() == "numba" else _sig_range
    nthreads = max(1, min(int(threads), total * num_perm // _MIN_ELEMS_PER_THREAD))
    if nthreads == 1:
        sig_range(hv, starts, rows, 0, total, a, b, scheme, out)
        return out
    # Split at document boundaries into parts of similar size; numpy's ufunc
    # loops and the numba kernel (nogil) release the GIL, and each part writes
    # its own rows.
    cuts = np.searchsorted(starts, np.linspace(0, total, nthreads + 1)[1:-1])
    bounds = [0, *sorted({int(c) for c in cuts if 0 < c < len(starts)}), len(starts)]
    with ThreadPoolExecutor(max_workers=nthreads) as pool:
        futs = []
        for d0, d1 in pairwise(bounds):
            lo = int(starts[d0])
            hi = int(starts[d1]) if d1 < len(starts) else total
            futs.append(pool.submit(sig_range, hv, starts[d0:d1], rows[d0:d1], lo, hi,
                                    a, b, scheme, out))
        for f in futs:
            f.result()
    return out


def intersection_sizes(id_arrays: Sequence[np.ndarray], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``|id_arrays[u[k]] & id_arrays[v[k]]|`` for every pair k (arrays sorted and unique).

    With numba, one compiled merge per pair over the concatenated arrays;
    otherwise a binary search of the smaller array in the larger, per pair.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    out = np.zeros(len(u), dtype=np.int64)
    if not len(u):
        return out
    if backend() == "numba":
        counts = np.fromiter(map(len, id_arrays), dtype=np.int64, count=len(id_arrays))
        nonempty = [np.asarray(a) for a in id_arrays if len(a)]
        flat = np.concatenate(nonempty) if nonempty else np.zeros(0, dtype=np.uint32)
        return intersection_sizes_flat(flat, counts, u, v)
    from cleaners.kernels.shingles import intersection_size

    for k, (i, j) in enumerate(zip(u.tolist(), v.tolist())):
        out[k] = intersection_size(id_arrays[i], id_arrays[j])
    return out


def intersection_sizes_flat(ids: np.ndarray, counts: np.ndarray, u: np.ndarray, v: np.ndarray
                            ) -> np.ndarray | None:
    """``intersection_sizes`` of arrays given concatenated (``counts[i]`` ids for array i),
    with no copy of them; None when numba is not available (the caller has its own path)."""
    if backend() != "numba":
        return None
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    out = np.zeros(len(u), dtype=np.int64)
    if len(u):
        ends = np.cumsum(counts, dtype=np.int64)
        _jit_module.intersection_sizes(ids, ends - counts, ends, u, v, out)  # type: ignore[union-attr]
    return out


def signatures(id_arrays: Sequence[np.ndarray], num_perm: int, seed: int,
               scheme: str = "affine32", threads: int = 1) -> np.ndarray:
    """Row i = ``MinHash(num_perm, seed=seed, scheme=scheme, hashfunc=identity)
    .update_batch(id_arrays[i]).hashvalues`` (uint32 for affine32, else uint64).

    An empty array gives datasketch's empty hashvalues (all max). ``threads``
    > 1 splits large batches over threads (no threads otherwise, on either
    backend).
    """
    counts = np.fromiter(map(len, id_arrays), dtype=np.int64, count=len(id_arrays))
    if counts.sum():
        ids = np.concatenate([np.asarray(x).ravel() for x in id_arrays if len(x)])
    else:
        ids = np.zeros(0, dtype=_DTYPE.get(scheme, np.uint32))
    return signatures_flat(ids, counts, num_perm, seed, scheme, threads)


def to_lean(hashvalues_row: np.ndarray, seed: int, scheme: str = "affine32") -> LeanMinHash:
    """A datasketch LeanMinHash holding these hash values (usable in MinHashLSH).

    Equivalent to ``LeanMinHash(seed=seed, hashvalues=row, scheme=scheme)``
    without its per-object range check and copy (the row is validated here
    and kept as a view).
    """
    from datasketch import LeanMinHash

    _check_scheme(scheme)
    row = np.asarray(hashvalues_row)
    if row.ndim != 1 or not len(row):
        raise ValueError("hashvalues_row must be a non-empty 1-D array")
    if row.dtype != _DTYPE[scheme]:
        return LeanMinHash(seed=seed, hashvalues=row, scheme=scheme)
    lean = object.__new__(LeanMinHash)
    lean.seed = seed
    lean.scheme = scheme
    lean.hashvalues = np.ascontiguousarray(row)
    return lean


def to_leans(hashvalues: np.ndarray, seed: int, scheme: str = "affine32") -> list[LeanMinHash]:
    """``to_lean`` of every row of a signatures matrix."""
    hashvalues = np.ascontiguousarray(hashvalues)
    return [to_lean(row, seed, scheme) for row in hashvalues]


# ---------------------------------------------------------------------------
# LSH banding


_BIG_BUCKET = 32  # buckets larger than this get their pairs one bucket at a time


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


def _bucket_pair_codes(order: np.ndarray, same: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """Pair codes (min * n + max) of one band's buckets: ``order`` sorts its keys,
    ``same[p]`` says sorted positions p and p + 1 share a bucket."""
    flat_same = np.r_[same, False]
    run_start = np.flatnonzero(np.r_[True, ~flat_same[:-1]])
    run_len = np.diff(np.r_[run_start, flat_same.size])
    big = run_len > _BIG_BUCKET
    if big.any():
        for st, ln in zip(run_start[big].tolist(), run_len[big].tolist()):
            members = np.sort(order[st:st + ln])
            i, j = np.triu_indices(ln, 1)
            yield members[i] * n + members[j]
        in_big = np.repeat(big, run_len)
        same = same & ~in_big[1:]
    d, run = 1, same
    while run.any():  # pairs at distance d inside a bucket
        p = np.flatnonzero(run)
        x, y = order[p], order[p + d]
        yield np.minimum(x, y) * n + np.maximum(x, y)
        d += 1
        run = run[:-1] & same[d - 1:]


def band_keys(hashvalues: np.ndarray, bands: int, rows: int,
              mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(keys, idx): ``keys[b, k]`` identifies band b of row ``idx[k]`` (equal bands, equal
    keys), for the rows ``mask`` keeps (all when None)."""
    hv = np.asarray(hashvalues)
    n = len(hv)
    if hv.ndim != 2 or bands * rows > hv.shape[1] or bands < 1 or rows < 1:
        raise ValueError(f"need an (n, >= {bands * rows}) signature matrix, got shape {hv.shape}")
    idx = np.arange(n) if mask is None else np.flatnonzero(mask)
    sub = hv[idx, : bands * rows].reshape(len(idx), bands, rows)
    if rows * sub.dtype.itemsize <= 8:  # pack each band into one uint64 key
        keys = np.zeros((len(idx), bands), dtype=_U64)
        width = 8 * sub.dtype.itemsize
        for r in range(rows):
            keys = (keys << _U64(width)) | sub[:, :, r].astype(_U64)
    else:  # wide bands: number the distinct bands
        keys = np.empty((len(idx), bands), dtype=np.int64)
        for b in range(bands):
            keys[:, b] = np.unique(sub[:, b, :], axis=0, return_inverse=True)[1].ravel()
    return np.ascontiguousarray(keys.T), idx


def band_buckets(keys: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One band's buckets of two or more rows: (members, starts, ends), bucket t being
    ``members[starts[t]:ends[t]]``, rows ``idx[...]`` in ascending order (``keys`` as
    ``band_keys`` gives one band's)."""
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    bounds = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1], True])
    starts, ends = bounds[:-1], bounds[1:]
    keep = ends - starts >= 2
    return idx[order], starts[keep], ends[keep]


def lsh_pairs(hashvalues: np.ndarray, bands: int, rows: int,
              mask: np.ndarray | None = None) -> np.ndarray:
    """All pairs (i, j), i < j, of rows that agree on every value of at least
    one band ``[b * rows, (b + 1) * rows)``: the candidates that
    ``MinHashLSH(num_perm, params=(bands, rows))`` with every row inserted
    returns to ``query`` (its buckets are exact band equality).

    ``mask`` (bool per row) leaves rows out, e.g. empty documents. Returns an
    (m, 2) int64 array sorted by (i, j).
    """
    n = len(hashvalues)
    keys_t, idx = band_keys(hashvalues, bands, rows, mask)
    if len(idx) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    found = UniqueCodes()
    for b in range(bands):  # one band at a time: pair codes are merged as they come
        order = np.argsort(keys_t[b], kind="stable")
        ks = keys_t[b][order]
        for codes in _bucket_pair_codes(order, ks[1:] == ks[:-1], n):
            found.add(codes)
    codes = found.result()
    del found
    return decode_pairs(codes, n, None if mask is None else idx)


def decode_pairs(codes: np.ndarray, n: int, idx: np.ndarray | None, chunk: int = 1 << 20) -> np.ndarray:
    """(m, 2) int64 pairs from codes i * n + j, written in place (no full-size temporaries);
    ``idx`` maps positions back to rows when some rows were left out."""
    pairs = np.empty((len(codes), 2), dtype=np.int64)
    np.floor_divide(codes, n, out=pairs[:, 0])
    np.remainder(codes, n, out=pairs[:, 1])
    if idx is not None:
        for lo in range(0, len(pairs), chunk):
            part = pairs[lo:lo + chunk]
            part[:] = idx[part]
    return pairs
