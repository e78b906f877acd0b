"""The links each pair of documents gave, kept in the state between runs.

A recurring run regroups every document, so its passage stage meets again the
sentence pairs it aligned last time. The links a pair of documents gives (aligned,
joined across sentence ends, long enough) depend only on the two texts and on which
of their sentence pairs reach alignment; which ones do is decided over the whole corpus
(stock lines, articles), and that part is rerun every time. Keyed by the two texts'
hashes and a hash of those sentence pairs, a pair's links are taken from the memo
instead of being aligned and joined again. A pair met with another set of sentence
pairs (one became a stock line, the two documents' articles merged or split) misses and
is aligned afresh: a run's passages equal those of one run over the union of its inputs.

The memo kept is the entries a run used, so it follows the documents grouped.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from cleaners.config import PassageConfig
from cleaners.kernels import expand_ranges

# Part of the fingerprint: a change to what a pair's links are (alignment, joining,
# minimums) bumps it, so an older memo is dropped, not reused.
MEMO_VERSION = 1

_U64 = np.uint64


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise on uint64 (wrapping): a well-spread 64-bit hash."""
    x = np.asarray(x, dtype=_U64)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def text_key(sha1_hex: str) -> int:
    """A text's key in the memo: the first 64 bits of its ``SketchCache.key`` (a sha1)."""
    return int(sha1_hex[:16], 16)


def fingerprint(cfg: PassageConfig) -> str:
    """What the memo's entries depend on besides the texts: a memo made under another is not used."""
    return json.dumps({"version": MEMO_VERSION, "passages": asdict(cfg)}, sort_keys=True)


# The columns of a memo row, in Links' order without the documents and the similarity.
INT_COLUMNS = ("start_a", "end_a", "start_b", "end_b", "words", "tokens_a", "tokens_b")


@dataclass
class PassageMemo:
    """Entries (text key a, text key b, sentence-pair hash) -> a pair's link rows.

    ``codes`` (sorted) is one 64-bit hash of each entry's ``keys`` row; a code found is
    checked against the whole key. Entry e's rows are ``first[e]:first[e + 1]`` of
    ``ints`` (``INT_COLUMNS``) and ``sim``.
    """

    fingerprint: str
    keys: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=_U64))
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=_U64))
    first: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    ints: np.ndarray = field(default_factory=lambda: np.zeros((0, len(INT_COLUMNS)), dtype=np.int64))
    sim: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    used: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    added: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    sentences: SentenceMemo = field(default_factory=lambda: SentenceMemo.empty())

    @classmethod
    def from_arrays(cls, fp: str, arrays: dict[str, np.ndarray] | None) -> PassageMemo:
        """The memo a state kept (``to_arrays``), or an empty one when it kept none or a malformed one."""
        if not arrays:
            return cls(fp)
        try:
            keys, first, ints, sim = (arrays[k] for k in ("keys", "first", "ints", "sim"))
            ok = (keys.ndim == 2 and keys.shape[1] == 3 and first.shape == (len(keys) + 1,)
                  and ints.shape == (int(first[-1]), len(INT_COLUMNS)) and sim.shape == (len(ints),))
        except (KeyError, AttributeError, IndexError):
            ok = False
        if not ok:
            return cls(fp)
        keys = keys.astype(_U64, copy=False)
        return cls(fp, keys, _codes(keys), first.astype(np.int64, copy=False),
                   ints.astype(np.int64, copy=False), sim.astype(np.float64, copy=False),
                   np.zeros(len(keys), dtype=bool), sentences=SentenceMemo.of(arrays))

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Per key row: its entry, or -1."""
        c = _codes(keys)
        if not len(self.codes):
            self.misses += len(keys)
            return np.full(len(keys), -1, dtype=np.int64)
        order = np.argsort(c)  # sorted queries walk the table in order (a random walk misses the cache)
        pos = np.empty(len(c), dtype=np.int64)
        pos[order] = np.minimum(np.searchsorted(self.codes, c[order]), len(self.codes) - 1)
        found = (self.codes[pos] == c) & (self.keys[pos] == keys).all(axis=1)
        out = np.where(found, pos, -1).astype(np.int64)
        self.used[out[found]] = True
        self.hits += int(found.sum())
        self.misses += int((~found).sum())
        return out

    def rows(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry of each row, INT_COLUMNS, similarity) of these entries' rows, entry by entry."""
        which, at = _csr_rows(self.first, entries)
        return which, self.ints[at], self.sim[at]

    def add(self, keys: np.ndarray, counts: np.ndarray, ints: np.ndarray, sim: np.ndarray) -> None:
        """New entries: ``counts[i]`` rows each, in order (an entry of no rows is kept too:
        that a pair gives no passage is worth remembering)."""
        self.added.append((keys.astype(_U64, copy=False), counts.astype(np.int64, copy=False), ints, sim))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The entries used or added by this run, as the state keeps them."""
        old = np.flatnonzero(self.used)
        _, ints, sim = self.rows(old)
        keys = np.concatenate([self.keys[old]] + [a[0] for a in self.added])
        counts = np.concatenate([np.diff(self.first)[old]] + [a[1] for a in self.added])
        ints = np.concatenate([ints] + [a[2] for a in self.added])
        sim = np.concatenate([sim] + [a[3] for a in self.added])
        # one entry a code (a pair met twice in one run adds the same entry twice), sorted by code
        _, keep = np.unique(_codes(keys), return_index=True)
        _, at = _csr_rows(np.r_[0, np.cumsum(counts)], keep)
        return {"keys": keys[keep], "first": np.r_[0, np.cumsum(counts[keep])].astype(np.int64),
                "ints": ints[at], "sim": sim[at], **self.sentences.kept}


@dataclass
class SentenceMemo:
    """Each text's sentences (start, end, class hash) by text key, and each class's shingle
    ids by class hash, as the last run's sentence table had them: a text met again is not
    split into sentences, nor its classes shingled, again. ``kept`` is what this run's
    table gives the next run (``keep``)."""

    text_keys: np.ndarray  # sorted uint64
    first: np.ndarray  # CSR into the rows, per text
    start: np.ndarray
    end: np.ndarray
    cls: np.ndarray  # int64 class hash of each sentence
    class_hashes: np.ndarray  # sorted int64
    class_first: np.ndarray  # CSR into ids, per class
    ids: np.ndarray  # uint32 shingle ids
    kept: dict[str, np.ndarray] = field(default_factory=dict)

    NAMES = ("s_texts", "s_first", "s_start", "s_end", "s_cls", "c_hashes", "c_first", "c_ids")

    @classmethod
    def empty(cls) -> SentenceMemo:
        z = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(0, dtype=_U64), np.zeros(1, dtype=np.int64), z, z, z, z, np.zeros(1, dtype=np.int64),
                   np.zeros(0, dtype=np.uint32))

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray]) -> SentenceMemo:
        """The stored sentence memo, or an empty one when it is absent or inconsistent (every
        sentence's class must have its ids)."""
        try:
            m = cls(*(arrays[k] for k in cls.NAMES))
        except KeyError:
            return cls.empty()
        n, c = len(m.start), len(m.class_hashes)
        ok = (m.first.shape == (len(m.text_keys) + 1,) and int(m.first[-1]) == n and len(m.end) == n
              and len(m.cls) == n and m.class_first.shape == (c + 1,) and int(m.class_first[-1]) == len(m.ids))
        if ok and n:
            pos = np.minimum(np.searchsorted(m.class_hashes, m.cls), max(c - 1, 0))
            ok = c > 0 and bool((m.class_hashes[pos] == m.cls).all())
        return m if ok else cls.empty()

    def find(self, text_keys: np.ndarray) -> np.ndarray:
        """Per text key: its entry, or -1."""
        if not len(self.text_keys):
            return np.full(len(text_keys), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.text_keys, text_keys), len(self.text_keys) - 1)
        return np.where(self.text_keys[pos] == text_keys, pos, -1).astype(np.int64)

    def rows(self, docs: np.ndarray, entries: np.ndarray) -> tuple[np.ndarray, ...]:
        """(doc, start, end, class hash) of the sentences of these entries, the document of
        entry ``entries[i]`` being ``docs[i]``."""
        which, at = _csr_rows(self.first, entries)
        return docs[which], self.start[at], self.end[at], self.cls[at]

    def class_ids(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(found, ids, counts): which classes it has, and their ids and counts (in order)."""
        if not len(self.class_hashes):
            return np.zeros(len(hashes), dtype=bool), np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.class_hashes, hashes), len(self.class_hashes) - 1)
        found = self.class_hashes[pos] == hashes
        e = pos[found]
        return found, self.ids[_csr_rows(self.class_first, e)[1]], np.diff(self.class_first)[e]

    def keep(self, text_keys: np.ndarray, doc: np.ndarray, start: np.ndarray, end: np.ndarray,
             cls_hash: np.ndarray, class_hashes: np.ndarray, ids: np.ndarray, counts: np.ndarray) -> None:
        """Remember a sentence table (``doc``, ``start``, ``end``, ``cls_hash`` per sentence, in
        document order; per class its hash, ids and counts) for the next run."""
        keys, first_doc = np.unique(text_keys, return_index=True)  # a text held twice: its first document
        per_doc = np.bincount(doc, minlength=len(text_keys))
        _, at = _csr_rows(np.r_[0, np.cumsum(per_doc)], first_doc)
        order = np.argsort(class_hashes)
        _, cat = _csr_rows(np.r_[0, np.cumsum(counts)], order)
        self.kept = dict(zip(self.NAMES, (keys, np.r_[0, np.cumsum(per_doc[first_doc])].astype(np.int64),
                                          start[at], end[at], cls_hash[at], class_hashes[order],
                                          np.r_[0, np.cumsum(counts[order])].astype(np.int64), ids[cat])))


def _csr_rows(first: np.ndarray, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(which entry, position) of every row of these entries of a CSR table (``first``: n + 1 offsets)."""
    return expand_ranges(first[:-1], np.diff(first), entries)


def _codes(keys: np.ndarray) -> np.ndarray:
    keys = np.asarray(keys, dtype=_U64).reshape(-1, 3)
    return mix64(keys[:, 0] ^ mix64(keys[:, 1] ^ mix64(keys[:, 2])))


__all__ = ["MEMO_VERSION", "INT_COLUMNS", "PassageMemo", "SentenceMemo", "fingerprint", "mix64", "text_key"]
