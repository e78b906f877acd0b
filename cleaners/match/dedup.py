"""Near-duplicate documents: shingles, LSH buckets, exact verification, clusters (the kernels'
``ClusterLinker``); the sketches of texts signed once across runs (``SketchCache``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from cleaners.config import DedupConfig
from cleaners.kernels import ClusterLinker, is_cjk, norm_word_lines, norm_words, shingle_ids, signatures
from cleaners.match.index import open_index

Signatures = np.ndarray  # MinHash hash values, one row a document


def doc_shingles_many(texts: list[str], cfg: DedupConfig,
                      lines: Sequence[str | None] | None = None) -> list[np.ndarray]:
    """The shingle ids of each text: its word k-grams, character (k + 1)-grams for CJK text (its
    tokens are characters), hashed in bulk (cfg.shingle_hash names the hash).

    ``lines[i]``, when given and not None, is ``" ".join(norm_words(texts[i]))`` with no word
    holding a space (``boilerplate.paragraph_keys_and_lines`` makes them): not tokenised again.
    """
    given = list(lines) if lines is not None else [None] * len(texts)
    missing = [i for i, line in enumerate(given) if line is None]
    docs: list[str | list[str]] = [line or "" for line in given]
    made, gaps, _ = norm_word_lines([texts[i] for i in missing])
    for i, line, whole in zip(missing, made, gaps.tolist()):
        docs[i] = line if whole else norm_words(texts[i])  # a word holds a space: the word list
    k = cfg.shingle_words
    ks = [k + 1 if is_cjk(t) else k for t in texts]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.uint32)] * len(texts)
    for kk in sorted(set(ks)):
        idx = [i for i, x in enumerate(ks) if x == kk]
        ids, counts = shingle_ids([docs[i] for i in idx], kk, cfg.shingle_hash)
        for i, a in zip(idx, np.split(ids, np.cumsum(counts)[:-1])):
            out[i] = a
    return out


@dataclass(frozen=True)
class Linked:
    """Near-duplicate clusters (each sorted, in order of first member), the exact comparisons
    made to find them, and the verified pairs that joined them (``ClusterLinker.links``: rows
    (a, b, |a & b|, |a|, |b|), a spanning forest of the clusters)."""

    groups: list[list[int]]
    compared: int
    links: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), dtype=np.int64))


def find_clusters(shingles: list[np.ndarray], cfg: DedupConfig, sigs: Signatures, index: str = "memory",
                  where: str | None = None) -> Linked:
    """The connected components of the candidate pairs (documents sharing an LSH band) that
    verify on the exact shingle sets, without verifying every candidate pair.

    Candidates are met bucket by bucket (band after band) from the document index ``index``
    (at ``where``: cleaners/match/index.py); a pair whose documents are already connected is
    not compared, nor is a pair compared once and refused: the components are those of every
    candidate verified, but the comparisons grow with the documents instead of with the
    square of the cluster sizes (a story reprinted by 500 outlets is 124,750 candidate pairs
    and 499 links). ``sigs[i]``: the MinHash values of ``shingles[i]``.
    """
    linker = ClusterLinker(shingles, cfg.jaccard_threshold, cfg.containment_threshold,
                           cfg.min_containment_shingles)
    with open_index(index, where, cfg.lsh_bands, cfg.lsh_rows) as lsh:
        lsh.add(sigs, linker.ends > linker.starts)  # empty documents take no bucket
        for buckets in lsh.buckets():
            linker.link(*buckets)
    linker.join_short_copies(cfg.min_short_copy_shingles)
    return Linked(_components(linker.roots()), linker.compared, linker.links())


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


class SketchCache:
    """Shingle ids and MinHash hash values by text hash, so a text is signed once across runs.

    The state stores the sketches of the texts of the last grouping and hands
    them back to the next run (cleaners/store/state.py). Sketches made here are held
    in blocks, one per CHUNK texts (one array of ids, one of hash values), not
    as two small arrays a text: many small long-lived arrays fragment the heap,
    which then never shrinks. Once matching is done, the sketches used can be
    parked on disk (``park``) until the state is written.
    """

    CHUNK = 1000  # texts shingled and signed at a time: bounds the token lists held at once

    def __init__(self, cfg: DedupConfig, stored: dict[str, Sketch] | None = None) -> None:
        self.cfg = cfg
        self.stored = stored or {}
        self._reused: set[str] = set()  # stored sketches (of earlier runs) used by this run
        self._signed: set[str] = set()  # texts signed by this run (not stored before)
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (ids, ends, hash values)
        self._made: dict[str, tuple[int, int]] = {}  # key -> (block, row) of sketches made here
        self._spill: SketchSpill | None = None
        self._parked: set[str] = set()

    # Part of every text's key: a change to what a token or a shingle is bumps it, so the
    # sketches a state kept from before are not reused (they are signed again, once).
    # 2: a run of letters/digits stops before a CJK character.
    TOKENS_VERSION = 2

    @classmethod
    def key(cls, text: str) -> str:
        return hashlib.sha1(f"{cls.TOKENS_VERSION}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def _sketch(self, block: int, row: int) -> Sketch:
        ids, ends, hv = self._blocks[block]
        return ids[ends[row - 1] if row else 0:ends[row]], hv[row]

    @property
    def reused(self) -> int:
        """How many stored signatures of earlier runs this run used instead of signing again."""
        return len(self._reused)

    def get_many(self, texts: list[str], lines: Sequence[str | None] | None = None,
                 keys: list[str] | None = None) -> list[Sketch]:
        """Sketches of the texts; those not seen before are shingled and signed in bulk.

        ``lines[i]``, when given, is what ``doc_shingles_many`` takes (saves tokenising again);
        ``keys``, when given, are the texts' ``key``s (saves hashing them again).
        """
        keys = keys if keys is not None else [self.key(t) for t in texts]
        missing: dict[str, int] = {}  # key -> index of its text
        for n, key in enumerate(keys):
            if key in self.stored:
                self._reused.add(key)
            elif key not in self._made and key not in self._parked and key not in missing:
                missing[key] = n
        todo = list(missing.items())
        for c in range(0, len(todo), self.CHUNK):  # chunks: token lists are the transient peak
            chunk = todo[c:c + self.CHUNK]
            ids = doc_shingles_many([texts[n] for _, n in chunk], self.cfg,
                                    None if lines is None else [lines[n] for _, n in chunk])
            counts = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.concatenate(ids)
            del ids
            hv = signatures(flat, counts, self.cfg.num_perm, self.cfg.seed, self.cfg.scheme)
            self._blocks.append((flat, np.cumsum(counts), hv))
            for n, (key, _) in enumerate(chunk):
                self._made[key] = (len(self._blocks) - 1, n)
                self._signed.add(key)
        parked: dict[str, Sketch] = {}
        if self._spill is not None:
            parked = self._spill.get_sketches([k for k in keys if k in self._parked])
        out = []
        for key in keys:
            where = self._made.get(key)
            if where is not None:
                out.append(self._sketch(*where))
            elif key in parked:
                out.append(parked[key])
            else:
                out.append(self.stored[key])
        return out

    def _in_memory_items(self) -> Iterator[tuple[str, Sketch]]:
        for key, where in self._made.items():
            yield key, self._sketch(*where)
        for key in self._reused - self._parked:  # stored sketches used and not parked yet
            yield key, self.stored[key]

    def park(self, spill: SketchSpill) -> None:
        """Move the sketches used so far out of memory, into ``spill``."""
        if self._spill is not None and self._spill is not spill:
            raise ValueError("this SketchCache already parks its sketches elsewhere")
        self._spill = spill
        spill.put_sketches(self._in_memory_items())
        self._parked.update(self._made)
        self._parked.update(self._reused)
        self._blocks, self._made = [], {}

    def used_keys(self) -> set[str]:
        """The keys of every text used: the sketches the state keeps for the next run."""
        return self._signed | self._reused

    def new_items(self) -> Iterator[tuple[str, Sketch]]:
        """(text key, sketch) of the texts signed by this run: the ones the state lacks (the
        parked ones read back a chunk at a time, not every parked sketch)."""
        parked = sorted(k for k in self._signed if k in self._parked)
        for lo in range(0, len(parked), self.CHUNK):
            assert self._spill is not None  # parked keys have a spill
            yield from self._spill.get_sketches(parked[lo:lo + self.CHUNK]).items()
        for key, where in self._made.items():
            yield key, self._sketch(*where)

