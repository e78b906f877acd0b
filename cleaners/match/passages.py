"""Shared passages: near-identical sentences or runs of sentences across documents.

Each sentence with enough words gets a MinHash of its word 3-grams; LSH gives
candidate sentence pairs in different articles; each candidate is verified by
aligning the two token sequences (difflib's matching blocks, by the kernel
``cleaners.kernels.matching_blocks``), so the reported passage is the aligned run
itself, with character offsets in each document's cleaned text.

The work is done on arrays: sentences with equal words form one class
(shingled, signed and aligned once), signatures come from
``kernels.signatures`` (datasketch's values), LSH buckets are
found by sorting band keys (the buckets ``MinHashLSH`` would hold), and only
the pairs left after the stock-sentence and shared-shingle filters are
aligned. ``tests/reference/passages.py`` keeps the object-per-sentence
version it replaced; both give the same passages.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from hashlib import blake2b
from itertools import islice

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cleaners.config import DedupConfig, PassageConfig
from cleaners.kernels import (UniqueCodes, band_key, class_key, cost_runs, decode_pairs, expand_ranges,
                              intersection_sizes, is_cjk, key_words, matching_blocks, ragged_arange, sentence_rows,
                              shingle_ids, signatures)
from cleaners.kernels.align import Block
from cleaners.kernels.text import TOKEN
from cleaners.match.passage_memo import INT_COLUMNS, PassageMemo, SentenceMemo, mix64
from cleaners.store.memory import release_free_memory


@dataclass(frozen=True)
class Span:
    doc: int  # index into the document list
    start: int  # character offsets into the document's cleaned text
    end: int


@dataclass(frozen=True)
class Links:
    """Links between spans of two documents, as arrays: one row a link, side a in the lower
    document (a corpus where whole stories recur across articles has a link per sentence of
    each pair of copies: too many to be objects)."""

    doc_a: np.ndarray
    start_a: np.ndarray
    end_a: np.ndarray
    doc_b: np.ndarray
    start_b: np.ndarray
    end_b: np.ndarray
    words: np.ndarray  # aligned words (and the words of gaps bridged with the same words)
    similarity: np.ndarray  # words / the longer side's tokens
    tokens_a: np.ndarray  # tokens each side spans
    tokens_b: np.ndarray

    def __len__(self) -> int:
        return len(self.words)

    def take(self, rows: np.ndarray) -> Links:
        return Links(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class SharedPassage:
    spans: tuple[Span, ...]  # one per document, sorted by document index
    similarity: float  # the weakest verified link in the group
    words: int


Alignment = tuple[int, int, int, int, int, float]  # a0, a1, b0, b1 (token indexes), words, similarity


def best_run(blocks: Sequence[Block], cfg: PassageConfig, key_a: str) -> Alignment | None:
    """The aligned run of two token sequences wa and wb, from their matching blocks (sorted,
    non-empty): the run of blocks with gaps of at most max_gap_words holding the most matched
    tokens, if it is long and close enough. ``key_a``: the ``class_key`` of wa (whether its words
    are mostly CJK is asked only of a short run)."""
    if not blocks:
        return None
    runs: list[list[Block]] = [[blocks[0]]]
    for blk in blocks[1:]:
        prev = runs[-1][-1]
        gap_a = blk[0] - (prev[0] + prev[2])
        gap_b = blk[1] - (prev[1] + prev[2])
        if gap_a <= cfg.max_gap_words and gap_b <= cfg.max_gap_words:
            runs[-1].append(blk)
        else:
            runs.append([blk])
    best = max(runs, key=lambda r: sum(x[2] for x in r))
    matched = sum(x[2] for x in best)
    if matched < cfg.min_sentence_words:
        return None
    if matched < min_cjk_sentence(cfg) and is_cjk("".join(key_words(key_a))):
        return None
    a0, a1 = best[0][0], best[-1][0] + best[-1][2]
    b0, b1 = best[0][1], best[-1][1] + best[-1][2]
    sim = matched / max(a1 - a0, b1 - b0)
    if sim < cfg.min_link_similarity:
        return None
    return a0, a1, b0, b1, matched, sim


def min_cjk_sentence(cfg: PassageConfig) -> int:
    """The characters a CJK run needs to take part: ``min_sentence_words`` scaled as
    ``min_cjk_chars`` scales ``min_words`` (a CJK character carries less than a word)."""
    return -(-cfg.min_sentence_words * cfg.min_cjk_chars // cfg.min_words)


# An accepted run (>= min_sentence_words words, >= 80% of its span matched, so few gaps)
# shares at least 3 word 3-grams; pairs sharing fewer are not aligned at all.
MIN_SHARED_SHINGLES = 3


def find_shared_passages(texts: Sequence[str], groups: list[int], cfg: PassageConfig,
                         dcfg: DedupConfig, stats: dict[str, int] | None = None,
                         memo: PassageMemo | None = None, text_keys: np.ndarray | None = None
                         ) -> list[SharedPassage]:
    """Passages shared by documents of different groups (articles).

    ``groups[i]`` is the article of document i; passages within one article
    are not reported (its members are copies of one story). A sentence whose
    LSH candidates are more than ``20 * max_candidate_articles`` sentences, or
    whose verified candidates span more than ``max_candidate_articles`` other
    articles, is a stock line: it is skipped (``stats["common_sentences_skipped"]``).
    A pair of sentences is aligned from the side of its first sentence, so a
    skipped sentence can still be linked by an earlier one.

    Sentences with the same words are one *class*: shingled, signed, bucketed,
    checked and aligned once. Arrays, not objects, hold the sentences.

    ``memo`` with ``text_keys`` (a 64-bit key of each text, ``passage_memo.text_key``): the
    links of pairs of documents met before are taken from it (``remembered_links``).
    """
    stats = stats if stats is not None else {}
    table = sentence_table(texts, cfg.min_sentence_words, cfg.shingle_words,
                           memo.sentences if memo is not None else None, text_keys)
    release_free_memory()  # the keys of each chunk of sentences were small objects, now freed
    n_cls = len(table.counts)
    if not n_cls:
        stats["common_sentences_skipped"] = 0
        return []
    grp = np.asarray(groups, dtype=np.int64)[table.doc]  # article of each sentence
    mult = np.bincount(table.cls, minlength=n_cls)
    ids, counts = table.ids, table.counts

    def sigs(lo: int, hi: int) -> np.ndarray:  # columns lo:hi of the signatures, made when needed
        return signatures(ids, counts, cfg.num_perm, dcfg.seed, dcfg.scheme, perms=slice(lo, hi))

    limit = 20 * cfg.max_candidate_articles
    pairs, stock = band_pairs(sigs, cfg.lsh_bands, cfg.lsh_rows, mult, limit)
    release_free_memory()
    raw = mult + np.bincount(pairs[:, 0], mult[pairs[:, 1]], n_cls).astype(np.int64) \
        + np.bincount(pairs[:, 1], mult[pairs[:, 0]], n_cls).astype(np.int64)
    stock |= raw > limit  # rule 1, per class: every member has the same candidates
    pairs = pairs[~(stock[pairs[:, 0]] & stock[pairs[:, 1]])]
    shared = intersection_sizes(ids, counts, pairs[:, 0], pairs[:, 1])
    pairs = pairs[shared >= MIN_SHARED_SHINGLES]
    del shared, ids
    table = replace(table, ids=table.ids[:0])  # the shingles are not needed any more: free them
    self_ok = np.flatnonzero(counts >= MIN_SHARED_SHINGLES)  # a class shares all its shingles with itself
    # directed edges U -> V (V a verified candidate class of U's sentences), U not stock;
    # class numbers in 32 bits when they fit (the edges are the largest arrays held from here on)
    edge = np.int32 if n_cls < 2**31 else np.int64
    eu = np.concatenate([pairs[:, 0], pairs[:, 1], self_ok]).astype(edge, copy=False)
    ev = np.concatenate([pairs[:, 1], pairs[:, 0], self_ok]).astype(edge, copy=False)
    del pairs  # the edges hold them now
    keep = ~stock[eu]
    eu, ev = eu[keep], ev[keep]
    del keep
    members = Members.of(table.cls, n_cls)
    common = stock[table.cls] | too_many_articles(eu, ev, members, grp, table.cls,
                                                  cfg.max_candidate_articles)
    stats["common_sentences_skipped"] = int(common.sum())
    k, o = cross_article_pairs(eu, ev, members, ~common, grp)
    links = pair_links(k, o, table, texts, cfg) if memo is None or text_keys is None else \
        remembered_links(k, o, table, texts, cfg, memo, text_keys)
    return join_adjacent(_group(links), texts, cfg.min_words - 1)


def pair_links(k: np.ndarray, o: np.ndarray, table: SentenceTable, texts: Sequence[str], cfg: PassageConfig
               ) -> Links:
    """The links of these sentence pairs: aligned, joined per pair of documents, long enough.

    A link of short sentences counts once joined with its neighbours; one still short then
    goes before grouping, so it cannot tie two passages together by overlapping both.
    Every step works per pair of documents (``remembered_links`` relies on it)."""
    return long_enough(join_links(align_pairs(k, o, table, texts, cfg), texts, cfg.min_words - 1), texts, cfg)


def remembered_links(k: np.ndarray, o: np.ndarray, table: SentenceTable, texts: Sequence[str],
                     cfg: PassageConfig, memo: PassageMemo, text_keys: np.ndarray) -> Links:
    """``pair_links``, taken from ``memo`` for each pair of documents met before with the same
    texts (``text_keys``: per document) and the same sentence pairs; the others are aligned
    and added to it."""
    if not len(k):
        return pair_links(k, o, table, texts, cfg)
    n = len(text_keys)
    code = table.doc[k] * n + table.doc[o]  # the pair of documents (doc[k] < doc[o])
    order = np.argsort(code, kind="stable")
    code = code[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    count = np.diff(np.r_[starts, len(code)])
    pair = code[starts]  # one code per pair of documents, ascending
    del code  # a sentence pair's arrays are the largest here: one at a time
    pa, pb = pair // n, pair % n
    # the set of sentence pairs of each pair of documents, by their starts: a sum of hashes
    h = mix64((table.start[k[order]].astype(np.uint64) << np.uint64(32)) ^ table.start[o[order]].astype(np.uint64))
    keys = np.stack([text_keys[pa], text_keys[pb], np.add.reduceat(h, starts) ^ mix64(count)], axis=1)
    del h
    entry = memo.find(keys)
    hit = entry >= 0
    todo = order[np.flatnonzero(np.repeat(~hit, count))]  # the sentence pairs not remembered, by pair
    del order
    fresh = pair_links(k[todo], o[todo], table, texts, cfg)
    del todo
    miss = np.flatnonzero(~hit)
    where = np.searchsorted(pair[miss], fresh.doc_a * n + fresh.doc_b)  # fresh rows come sorted by pair
    memo.add(keys[miss], np.bincount(where, minlength=len(miss)),
             np.stack([getattr(fresh, c) for c in INT_COLUMNS], axis=1), fresh.similarity)
    at, ints, sim = memo.rows(entry[hit])
    old = Links(pa[hit][at], ints[:, 0], ints[:, 1], pb[hit][at], ints[:, 2], ints[:, 3], ints[:, 4], sim,
                ints[:, 5], ints[:, 6])
    return Links(*(np.concatenate([getattr(old, f), getattr(fresh, f)]) for f in Links.__dataclass_fields__))


# ---------------------------------------------------------------------------
# Sentences as arrays


@dataclass(frozen=True)
class SentenceTable:
    """Every sentence with at least ``min_words`` tokens, in document order.

    Sentences with the same normalised tokens share a class; each class's
    word shingles are kept (``ids``, ``counts``), its words are not: they are
    read again from the text (``sentence_words``) for the few sentences that
    get aligned, so the table does not hold a second copy of the corpus.
    """

    doc: np.ndarray  # per sentence: document index
    start: np.ndarray  # per sentence: character span in the document's text
    end: np.ndarray
    cls: np.ndarray  # per sentence: class index
    ids: np.ndarray  # per class, concatenated: sorted unique sha1_hash32 shingle ids
    counts: np.ndarray  # per class: how many ids


def class_hashes(keys: list[str]) -> np.ndarray:
    """A 64-bit hash of each ``class_key``, the same in every process (the passage memo keeps
    them between runs): a class is found by it (a collision would need two different
    sentences of the corpus to collide)."""
    return np.frombuffer(b"".join(blake2b(k.encode("utf-8", "surrogatepass"), digest_size=8).digest()
                                  for k in keys), dtype=np.int64)


def sentence_table(texts: Sequence[str], min_words: int, shingle_words: int, memo: SentenceMemo | None = None,
                   text_keys: np.ndarray | None = None) -> SentenceTable:
    """The sentences of all texts with at least ``min_words`` tokens (``kernels.sentence_rows``).

    A token never crosses a sentence boundary (sentences end after
    punctuation and are trimmed of whitespace, tokens are letters/digits),
    so the tokens inside a sentence's span are the document's tokens there.
    Classes are numbered in order of first appearance and found by the
    hash of their key (``class_hashes``); each class is shingled once.

    ``memo`` with ``text_keys``: the sentences of a text it holds, and the ids of a class it
    holds, are taken from it; only the other texts are read. The table is then kept in it.
    """
    keep = memo is not None and text_keys is not None
    if memo is None or text_keys is None:
        memo, known = SentenceMemo.empty(), np.full(len(texts), -1)
    else:
        known = memo.find(text_keys)
    parts: list[tuple[np.ndarray, ...]] = []
    made_hash: list[np.ndarray] = []  # classes shingled here (not in the memo): hash, ids, counts
    made_ids: list[np.ndarray] = []
    made_counts: list[np.ndarray] = []
    seen = np.zeros(0, dtype=np.int64)  # sorted hashes of the classes shingled so far (not a set: 100 bytes a class)
    for docs, chunk in _unknown_chunks(texts, np.flatnonzero(known < 0)):
        d, st, e, k = sentence_rows(chunk, min_words)
        h = class_hashes(k)
        parts.append((docs[d], st, e, h))
        _, first = np.unique(h, return_index=True)
        first = first[~memo.class_ids(h[first])[0]]
        if len(seen):
            first = first[seen[np.minimum(np.searchsorted(seen, h[first]), len(seen) - 1)] != h[first]]
        first = np.sort(first)
        v = np.sort(h[first])
        seen = np.insert(seen, np.searchsorted(seen, v), v)
        # a key whose words hold a space (NUL-joined) goes as its list of words
        i, n = shingle_ids([k[j] if not k[j].startswith("\0") else key_words(k[j]) for j in first.tolist()],
                           shingle_words, "sha1_hash32")
        made_hash.append(h[first].astype(np.int64))
        made_ids.append(i)
        made_counts.append(n)
        del k
    hit = np.flatnonzero(known >= 0)
    parts.append(memo.rows(hit, known[hit]))
    doc, start, end, h = (np.concatenate([p[c] for p in parts]).astype(np.int64, copy=False) for c in range(4))
    order = np.argsort(doc, kind="stable")  # document order (a document's rows come from one part, in order)
    doc, start, end, h = doc[order], start[order], end[order], h[order]
    uniq, first, inv = np.unique(h, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    by_first = np.argsort(first, kind="stable")
    rank[by_first] = np.arange(len(uniq))
    cls = rank[inv.reshape(-1)]  # classes in order of first appearance
    ids, counts = _class_ids(uniq[by_first], made_hash, made_ids, made_counts, memo)
    if keep:
        memo.keep(text_keys, doc, start, end, h, uniq[by_first], ids, counts)
    return SentenceTable(doc, start, end, cls, ids, counts)


def _class_ids(hashes: np.ndarray, made_hash: list[np.ndarray], made_ids: list[np.ndarray],
               made_counts: list[np.ndarray], memo: SentenceMemo) -> tuple[np.ndarray, np.ndarray]:
    """The ids and counts of these classes, in order, from those shingled here or the memo."""
    mh = np.concatenate(made_hash + [np.zeros(0, dtype=np.int64)])
    mc = np.concatenate(made_counts + [np.zeros(0, dtype=np.int64)])
    mi = np.concatenate(made_ids + [np.zeros(0, dtype=np.uint32)])
    srt = np.argsort(mh)
    pos = np.minimum(np.searchsorted(mh[srt], hashes), max(len(mh) - 1, 0))
    here = (mh[srt][pos] == hashes) if len(mh) else np.zeros(len(hashes), dtype=bool)
    src = srt[pos[here]]
    found, m_ids, m_counts = memo.class_ids(hashes[~here])
    if not found.all():
        raise RuntimeError("a sentence class has no shingle ids: the passage memo is inconsistent")
    counts = np.zeros(len(hashes), dtype=np.int64)
    counts[here], counts[~here] = mc[src], m_counts
    first = np.cumsum(counts) - counts
    ids = np.empty(int(counts.sum()), dtype=np.uint32)
    ids[expand_ranges(first, counts, np.flatnonzero(here))[1]] = mi[expand_ranges(np.cumsum(mc) - mc, mc, src)[1]]
    ids[expand_ranges(first, counts, np.flatnonzero(~here))[1]] = m_ids
    return ids, counts


def _unknown_chunks(texts: Sequence[str], docs: np.ndarray) -> Iterator[tuple[np.ndarray, list[str]]]:
    """(documents, their texts) of these documents (ascending), about ``_TEXT_CHUNK``
    characters at a time: every text streamed in order when all are wanted, else read."""
    wanted = texts if len(docs) == len(texts) else (t for got in _read(texts, docs.tolist()) for t in got.values())
    for first, chunk in _text_chunks(wanted):
        yield docs[first:first + len(chunk)], chunk


_TEXT_CHUNK = 1 << 19  # characters of texts split into sentences at a time


def _text_chunks(texts: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(index of the first text, texts) in chunks of about ``_TEXT_CHUNK`` characters."""
    chunk: list[str] = []
    first, chars = 0, 0
    for text in texts:
        chunk.append(text)
        chars += len(text)
        if chars >= _TEXT_CHUNK:
            yield first, chunk
            first += len(chunk)
            chunk, chars = [], 0
    if chunk:
        yield first, chunk


# ---------------------------------------------------------------------------
# Candidates


BandSignatures = Callable[[int, int], np.ndarray]  # columns lo:hi of the (n, bands * rows) signatures
_BAND_BLOCK_VALUES = 1 << 24  # signature values made at a time (64 MB at uint32)


def _band_keys(sigs: BandSignatures, n: int, bands: int, rows: int) -> Iterator[np.ndarray]:
    """Per band, one key per row: equal keys <=> equal band values (MinHashLSH's
    buckets). One band at a time, so no (n, bands) key matrix is held; the columns
    of a few bands are made at a time."""
    step = max(1, _BAND_BLOCK_VALUES // max(1, n * rows))
    for b0 in range(0, bands, step):
        block = sigs(b0 * rows, min(b0 + step, bands) * rows)
        for b in range(block.shape[1] // rows):
            yield band_key(block[:, b * rows:(b + 1) * rows])


def _maybe_shared(keys: np.ndarray) -> np.ndarray:
    """The indexes of the keys whose low bits another key has too: every key equal to another
    is among them, found by counting, not sorting. Of n distinct keys about a quarter to
    a third are (2n to 4n possible low values), so sorting them is 3-4x less work."""
    bits = max(8, len(keys).bit_length() + 1)
    low = (keys & keys.dtype.type((1 << bits) - 1)).astype(np.intp)
    return np.flatnonzero(np.bincount(low, minlength=1 << bits)[low] > 1)


def band_pairs(sigs: BandSignatures, bands: int, rows: int, weights: np.ndarray, limit: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Classes sharing a band: ((m, 2) pairs u < v, sorted; stock flag per class).

    A bucket whose classes hold more than ``limit`` sentences (``weights``)
    makes each of them a stock class (more than ``limit`` candidates); its
    pairs are not listed, so pairs are never materialised for huge buckets.
    """
    n = len(weights)
    stock = weights > limit  # a class alone can fill a bucket
    codes = UniqueCodes()  # merged as they come: a pair is found once per band it shares
    for kb in _band_keys(sigs, n, bands, rows):
        maybe = _maybe_shared(kb)  # only these can be in a bucket of two or more: sort them alone
        order = maybe[np.argsort(kb[maybe])]  # the order inside a bucket does not matter
        ks = kb[order]
        dup = np.flatnonzero(ks[1:] == ks[:-1])  # sorted position i is in the bucket of i + 1
        if not len(dup):
            continue
        brk = np.flatnonzero(dup[1:] != dup[:-1] + 1)
        first = dup[np.r_[0, brk + 1]]  # buckets of two or more: first and last sorted position
        last = dup[np.r_[brk, len(dup) - 1]] + 1
        lens = last - first + 1
        pos = np.repeat(first, lens) + ragged_arange(lens)
        weight = np.add.reduceat(weights[order[pos]], np.cumsum(lens) - lens)
        big = weight > limit
        stock[order[pos[np.repeat(big, lens)]]] = True
        keep = ~big
        if not keep.any():
            continue
        first, lens = first[keep], lens[keep]
        pos = np.repeat(first, lens) + ragged_arange(lens)
        later = np.repeat(lens, lens) - 1 - ragged_arange(lens)  # partners after pos in its bucket
        x = np.repeat(pos, later)
        y = x + 1 + ragged_arange(later)
        u, v = order[x], order[y]
        codes.add(np.minimum(u, v) * n + np.maximum(u, v))
    return decode_pairs(codes.result(), n), stock


@dataclass(frozen=True)
class Members:
    """Sentences of each class (CSR: ``sent[start[c]:start[c] + count[c]]``)."""

    sent: np.ndarray
    start: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray, n: int) -> "Members":
        count = np.bincount(labels, minlength=n)
        return cls(np.argsort(labels, kind="stable"), np.cumsum(count) - count, count)


_EDGE_CHUNK = 1 << 18  # class edges taken at a time (to their articles; to their sentence pairs' cost)
_REACH_CODES = 1 << 21  # (class, article) codes gathered at a time by too_many_articles (16 MB)


def too_many_articles(eu: np.ndarray, ev: np.ndarray, members: Members, grp: np.ndarray,
                      cls: np.ndarray, max_articles: int) -> np.ndarray:
    """Per sentence: do its candidates (members of its classes' edges ``eu -> ev``)
    span more than ``max_articles`` articles other than its own?

    The (class, article) pairs reached are gathered for a range of classes at
    a time (about ``_REACH_CODES`` of them before duplicates are dropped): the set
    for all classes at once would be the passage stage's largest array.
    """
    n_cls = len(members.count)
    n_grp = int(grp.max()) + 1
    cg = np.unique(cls.astype(np.int64) * n_grp + grp)  # (class, article) present
    cg_cls = cg // n_grp
    cg_start = np.searchsorted(cg_cls, np.arange(n_cls))
    cg_len = np.bincount(cg_cls, minlength=n_cls)
    cg_art = cg % n_grp
    del cg, cg_cls
    weight = np.zeros(n_cls, dtype=np.int64)  # per class U: (class, article) codes its edges expand to
    for lo in range(0, len(ev), _EDGE_CHUNK):
        weight += np.bincount(eu[lo:lo + _EDGE_CHUNK], cg_len[ev[lo:lo + _EDGE_CHUNK]],
                              n_cls).astype(np.int64)
    over = np.zeros(len(cls), dtype=bool)
    for a, b in cost_runs(np.cumsum(weight), _REACH_CODES):
        reach = _reach(eu, ev, np.flatnonzero((eu >= a) & (eu < b)), cg_start, cg_len, cg_art, n_grp)
        n_reach = np.bincount(reach // n_grp - a, minlength=b - a)
        sent = members.sent[members.start[a]:members.start[b - 1] + members.count[b - 1]]
        c = cls[sent]
        own = c.astype(np.int64) * n_grp + grp[sent]
        pos = np.minimum(np.searchsorted(reach, own), max(len(reach) - 1, 0))
        has_own = (reach[pos] == own) if len(reach) else np.zeros(len(sent), dtype=bool)
        over[sent] = n_reach[c - a] - has_own > max_articles
        del reach, n_reach, sent, c, own, pos, has_own  # before the next range's arrays
    return over


def _reach(eu: np.ndarray, ev: np.ndarray, edges: np.ndarray, cg_start: np.ndarray, cg_len: np.ndarray,
           cg_art: np.ndarray, n_grp: int) -> np.ndarray:
    """Sorted unique codes class * n_grp + article: for each listed edge U -> V, U with every
    article V's sentences are in (``cg_*``: the articles of each class, CSR), a slice at a time."""
    found = UniqueCodes()
    for lo in range(0, len(edges), _EDGE_CHUNK):
        e = edges[lo:lo + _EDGE_CHUNK]
        u, v = eu[e], ev[e]
        lens = cg_len[v]
        where = np.repeat(np.arange(len(v)), lens)
        found.add(u[where].astype(np.int64) * n_grp + cg_art[cg_start[v][where] + ragged_arange(lens)])
    return found.result()


_PAIRS_PER_CHUNK = 1 << 20  # sentence pairs expanded at a time (before the filter; 8 MB an array)


def cross_article_pairs(eu: np.ndarray, ev: np.ndarray, members: Members, active: np.ndarray,
                        grp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, o): every active sentence k of class eu[i] with every sentence o of class ev[i]
    such that k < o and k, o are in different articles, ordered by edge, then k, then o.

    A class's sentences are split into blocks by article, and only blocks of different
    articles are paired before their sentences are: a sentence that 500 copies of one
    story share is one class of 500 sentences, 250,000 sentence pairs, but one block and no
    block pair (expanding every sentence pair first would make millions of pairs of which few
    survive). Block pairs are expanded a bounded number of sentence pairs at a time.
    """
    blocks = _ArticleBlocks.of(members, grp)
    es, ks, os_ = [], [], []
    for e0 in range(0, len(eu), _EDGE_CHUNK):
        su, sv = eu[e0:e0 + _EDGE_CHUNK], ev[e0:e0 + _EDGE_CHUNK]
        # block pairs of a bounded number of edges at a time, then their sentence pairs
        for a, b in cost_runs(np.cumsum(blocks.count[su].astype(np.int64) * blocks.count[sv]), _PAIRS_PER_CHUNK):
            e, bu, bv = blocks.cross_pairs(su[a:b], sv[a:b])
            cost = blocks.size[bu].astype(np.int64) * blocks.size[bv]
            for lo, hi in cost_runs(np.cumsum(cost), _PAIRS_PER_CHUNK):
                w, k, o = blocks.sentence_pairs(bu[lo:hi], bv[lo:hi])
                keep = active[k] & (o > k)
                es.append(e[lo:hi][w[keep]] + e0 + a)
                ks.append(k[keep])
                os_.append(o[keep])
    if not ks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    k, o = np.concatenate(ks), np.concatenate(os_)
    order = np.lexsort((o, k, np.concatenate(es)))
    return k[order], o[order]


@dataclass(frozen=True)
class _ArticleBlocks:
    """The sentences of each class split by article: block b is ``sent[start[b]:start[b] +
    size[b]]`` (ascending), of article ``art[b]``; class c's blocks are ``first[c]`` to
    ``first[c] + count[c] - 1``."""

    sent: np.ndarray
    start: np.ndarray
    size: np.ndarray
    art: np.ndarray
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, members: Members, grp: np.ndarray) -> "_ArticleBlocks":
        n_cls = len(members.count)
        owner = np.repeat(np.arange(n_cls), members.count)  # class of each members.sent entry
        sent = members.sent[np.lexsort((members.sent, grp[members.sent], owner))]
        key_cls, key_art = owner, grp[sent]
        new = np.r_[True, (key_cls[1:] != key_cls[:-1]) | (key_art[1:] != key_art[:-1])] if len(sent) else \
            np.zeros(0, dtype=bool)
        start = np.flatnonzero(new)
        size = np.diff(np.r_[start, len(sent)])
        count = np.bincount(key_cls[start], minlength=n_cls)
        return cls(sent, start, size, key_art[start], np.cumsum(count) - count, count)

    def cross_pairs(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(edge, block of u, block of v) for every pair of blocks of different articles."""
        e1, bu = expand_ranges(self.first, self.count, u)
        w, bv = expand_ranges(self.first, self.count, v[e1])
        bu = bu[w]
        keep = self.art[bu] != self.art[bv]
        return e1[w][keep], bu[keep], bv[keep]

    def sentence_pairs(self, bu: np.ndarray, bv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(block pair, k, o) for every sentence k of bu[i] and o of bv[i]."""
        w1, k = expand_ranges(self.start, self.size, bu)
        w2, o = expand_ranges(self.start, self.size, bv[w1])
        return w1[w2], self.sent[k[w2]], self.sent[o]


# ---------------------------------------------------------------------------
# Alignment of the surviving pairs


def align_pairs(k: np.ndarray, o: np.ndarray, table: SentenceTable, texts: Sequence[str],
                cfg: PassageConfig) -> Links:
    """Align every pair (k[i] < o[i]); equal word pairs are aligned once.

    The character offsets of the aligned tokens are found afterwards, reading
    the texts in document order (``texts`` may be read from disk).
    """
    cls = table.cls
    used = np.unique(np.concatenate([k, o]))
    first = np.sort(used[np.unique(cls[used], return_index=True)[1]])  # each class's first sentence
    keys: dict[int, str] = {}  # class -> its class_key, read from that sentence
    for s, tokens in _sentence_tokens(texts, table, first.tolist()):
        keys[int(cls[s])] = class_key([m.group() for m in tokens])
    codes, pair_of = np.unique(cls[k].astype(np.int64) * len(table.counts) + cls[o], return_inverse=True)
    class_pairs = list(zip((codes // len(table.counts)).tolist(), (codes % len(table.counts)).tolist()))
    cache = _align_classes(class_pairs, keys, cfg)
    found = [cache[p] is not None for p in class_pairs]
    al = np.array([cache[p] if ok else (0, 1, 0, 1, 0, 0.0) for p, ok in zip(class_pairs, found)],
                  dtype=np.float64).reshape(len(class_pairs), 6)
    sel = np.flatnonzero(np.asarray(found, dtype=bool)[pair_of])  # the pairs whose classes aligned
    a, b, row = k[sel], o[sel], al[pair_of[sel]]
    tok = row[:, :4].astype(np.int64)  # a0, a1, b0, b1: token indexes in each sentence
    # character offsets of the first and last aligned token of each side, each (sentence, token) read once
    sent = np.concatenate([a, a, b, b])
    want = np.concatenate([tok[:, 0], tok[:, 1] - 1, tok[:, 2], tok[:, 3] - 1])
    width = int(want.max()) + 1 if len(want) else 1
    uniq, where = np.unique(sent * width + want, return_inverse=True)
    spans = np.empty((len(uniq), 2), dtype=np.int64)
    u_sent, u_tok = (uniq // width).tolist(), (uniq % width).tolist()
    at = 0
    for s, tokens in _sentence_tokens(texts, table, sorted(set(u_sent))):
        while at < len(uniq) and u_sent[at] == s:
            spans[at] = tokens[u_tok[at]].span()
            at += 1
    m = len(a)
    off = spans[where]
    doc = table.doc
    return Links(doc[a], off[:m, 0], off[m:2 * m, 1], doc[b], off[2 * m:3 * m, 0], off[3 * m:, 1],
                 row[:, 4].astype(np.int64), row[:, 5], tok[:, 1] - tok[:, 0], tok[:, 3] - tok[:, 2])


def _sentence_tokens(texts: Sequence[str], table: SentenceTable, sentences: list[int]
                     ) -> Iterator[tuple[int, list[re.Match[str]]]]:
    """(sentence, the ``TOKEN`` matches of its span) for these sentences (ascending: document
    order). Only their documents are read, a chunk at a time, when ``texts`` can read many at
    once (the store-backed ``articles.DocTexts``); else by indexing."""
    docs = table.doc[sentences].tolist()
    at = 0
    for chunk in _read(texts, list(dict.fromkeys(docs))):  # {document: text}, ascending
        while at < len(sentences) and docs[at] in chunk:
            s = sentences[at]
            yield s, list(TOKEN.finditer(chunk[docs[at]], int(table.start[s]), int(table.end[s])))
            at += 1
    if at != len(sentences):
        raise RuntimeError(f"document {docs[at]} was not read: the passage offsets would be incomplete")


def _read(texts: Sequence[str], docs: list[int]) -> Iterator[dict[int, str]]:
    """The texts of these documents (ascending), as {document: text} chunks: a chunk at a time
    when ``texts`` can read many at once (the store-backed ``articles.DocTexts``), else by indexing."""
    read_many = getattr(texts, "read_many", None)
    return ({d: texts[d]} for d in docs) if read_many is None else read_many(docs)


_ALIGN_PAIRS = 1 << 16  # class pairs aligned per kernel call (bounds the block arrays)


def _align_classes(pairs: list[tuple[int, int]], keys: dict[int, str], cfg: PassageConfig
                   ) -> dict[tuple[int, int], Alignment | None]:
    """The ``best_run`` of the words of each pair of classes, from their matching blocks
    (``_ALIGN_PAIRS`` pairs a kernel call). The classes' words are held as integer ids only (one
    string a distinct word)."""
    ids: dict[str, int] = {}
    local: dict[int, int] = {}
    flat = array("q")
    ends = array("q", [0])
    for c, key in keys.items():
        local[c] = len(local)
        flat.extend([ids.setdefault(w, len(ids)) for w in key_words(key)])
        ends.append(len(flat))
    del ids
    seq = np.frombuffer(flat, dtype=np.int64) if flat else np.zeros(0, dtype=np.int64)
    off = np.frombuffer(ends, dtype=np.int64)
    out: dict[tuple[int, int], Alignment | None] = {}
    for lo in range(0, len(pairs), _ALIGN_PAIRS):
        chunk = pairs[lo:lo + _ALIGN_PAIRS]
        pa = np.array([local[x] for x, _ in chunk], dtype=np.int64)
        pb = np.array([local[y] for _, y in chunk], dtype=np.int64)
        for (x, y), blocks in zip(chunk, matching_blocks(seq, off, pa, pb)):
            out[x, y] = best_run(blocks, cfg, keys[x])
    return out


def _group(links: Links) -> list[SharedPassage]:
    """Join links into passages: spans that overlap in one document are one passage.

    Spans are the nodes of a graph whose edges are the links and, in each document, each
    span with the one before it (in start order) when it starts before the furthest end
    reached so far there; a passage is a connected component, with one span per document
    (the union of its spans there), the weakest of its links' similarities, and its
    longest link's words."""
    n = len(links)
    if not n:
        return []
    doc = np.concatenate([links.doc_a, links.doc_b])
    start = np.concatenate([links.start_a, links.start_b])
    end = np.concatenate([links.end_a, links.end_b])
    order = np.lexsort((end, start, doc))
    d, s, e = doc[order], start[order], end[order]
    new = np.r_[True, (d[1:] != d[:-1]) | (s[1:] != s[:-1]) | (e[1:] != e[:-1])]
    node = np.empty(2 * n, dtype=np.int64)
    node[order] = np.cumsum(new) - 1  # each side of each link: its span, numbered in (doc, start, end) order
    d, s, e = d[new], s[new], e[new]
    width = int(e.max()) + 1
    reach = np.maximum.accumulate(d * width + e)  # per span: the furthest end so far in its document
    prev = np.r_[-1, reach[:-1]]
    overlap = np.flatnonzero((prev // width == d) & (s < prev % width))
    rows = np.concatenate([node[:n], overlap - 1])
    cols = np.concatenate([node[n:], overlap])
    m = len(d)
    _, label = connected_components(coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(m, m)),
                                    directed=False)
    weakest = np.ones(label.max() + 1)
    np.minimum.at(weakest, label[node[:n]], links.similarity)
    words = np.zeros(label.max() + 1, dtype=np.int64)
    np.maximum.at(words, label[node[:n]], links.words)
    # one span per (passage, document): the union of its spans there
    by = np.lexsort((d, label))
    lab, dd = label[by], d[by]
    first = np.flatnonzero(np.r_[True, (lab[1:] != lab[:-1]) | (dd[1:] != dd[:-1])])
    lo, hi = np.minimum.reduceat(s[by], first), np.maximum.reduceat(e[by], first)
    spans: dict[int, list[Span]] = {}
    for g, x, a, b in zip(lab[first].tolist(), dd[first].tolist(), lo.tolist(), hi.tolist()):
        spans.setdefault(g, []).append(Span(x, a, b))
    out = [SharedPassage(tuple(sp), round(float(weakest[g]), 4), int(words[g])) for g, sp in spans.items()]
    return sorted(out, key=lambda p: (p.spans[0].doc, p.spans[0].start))


# ---------------------------------------------------------------------------
# Passages as whole spans


SMALL_GAP_WORDS = 3  # gaps this short may differ between the documents: an elision, a changed word


def bridges(gaps: list[list[str]], max_gap_words: int) -> bool:
    """Whether passages that follow one another are one across these gaps (the words between
    them in each document): the same words, at most ``max_gap_words`` of them (a paragraph
    break, a sentence too short to count), or at most ``SMALL_GAP_WORDS`` in each (an elision,
    a changed word)."""
    return (max(map(len, gaps)) <= SMALL_GAP_WORDS
            or (len(gaps[0]) <= max_gap_words and all(w == gaps[0] for w in gaps)))


def join_adjacent(passages: list[SharedPassage], texts: Sequence[str], max_gap_words: int) -> list[SharedPassage]:
    """Passages of the same documents that follow one another in every one of them are one
    passage: a quoted paragraph is reported once, not sentence by sentence. Between two of
    them each document may hold a gap (a paragraph break; a sentence too short to be a
    passage of its own; an elision or a changed word): the gaps must have the same words
    and at most ``max_gap_words`` of them, or at most ``SMALL_GAP_WORDS`` words each.
    The joined passage spans both and the gap; its similarity is the weaker one."""
    runs: dict[tuple[int, ...], list[SharedPassage]] = {}
    for p in passages:
        runs.setdefault(tuple(sp.doc for sp in p.spans), []).append(p)
    follows = [(a, b) for run in runs.values() for a, b in zip(run, run[1:])
               if all(x.end <= y.start for x, y in zip(a.spans, b.spans))]
    if not follows:
        return passages
    gaps = _words_between([(x.doc, x.end, y.start) for a, b in follows for x, y in zip(a.spans, b.spans)],
                          texts, max(max_gap_words, SMALL_GAP_WORDS))
    out = []
    for run in runs.values():
        cur = run[0]
        for a, b in zip(run, run[1:]):
            words = [gaps.get((x.doc, x.end, y.start)) for x, y in zip(a.spans, b.spans)]
            if None in words or not bridges(words, max_gap_words):  # type: ignore[arg-type]
                out.append(cur)
                cur = b
                continue
            cur = SharedPassage(tuple(Span(x.doc, x.start, y.end) for x, y in zip(cur.spans, b.spans)),
                                min(cur.similarity, b.similarity), cur.words + b.words + len(words[0]))
        out.append(cur)
    return sorted(out, key=lambda p: (p.spans[0].doc, p.spans[0].start))


def join_links(links: Links, texts: Sequence[str], max_gap_words: int) -> Links:
    """``join_adjacent`` for each pair of documents, before the links are grouped: one copy that
    breaks a quote differently (a paragraph break inside a sentence) cannot keep the other
    pairs' sentences apart."""
    n = len(links)
    if not n:
        return links
    x = links.take(np.lexsort((links.tokens_b, links.tokens_a, links.similarity, links.words, links.end_b,
                               links.end_a, links.start_b, links.start_a, links.doc_b, links.doc_a)))
    nxt = np.flatnonzero((x.doc_a[1:] == x.doc_a[:-1]) & (x.doc_b[1:] == x.doc_b[:-1])
                         & (x.end_a[:-1] <= x.start_a[1:]) & (x.end_b[:-1] <= x.start_b[1:]))
    gap_a = list(zip(x.doc_a[nxt].tolist(), x.end_a[nxt].tolist(), x.start_a[nxt + 1].tolist()))
    gap_b = list(zip(x.doc_b[nxt].tolist(), x.end_b[nxt].tolist(), x.start_b[nxt + 1].tolist()))
    gaps = _words_between(gap_a + gap_b, texts, max(max_gap_words, SMALL_GAP_WORDS))
    # per link i joined to i + 1: the gap's words counted as matched (the same words on both
    # sides) and the tokens each side's gap adds to the joined span
    same, gap_a_tokens, gap_b_tokens = (np.zeros(n, dtype=np.int64) for _ in range(3))
    join = np.zeros(n, dtype=bool)
    for i, ga, gb in zip(nxt.tolist(), gap_a, gap_b):
        wa, wb = gaps[ga], gaps[gb]
        if bridges([wa, wb], max_gap_words):
            join[i], gap_a_tokens[i], gap_b_tokens[i] = True, len(wa), len(wb)
            same[i] = len(wa) if wa == wb else 0
    first = np.flatnonzero(np.r_[True, ~join[:-1]])
    last = np.r_[first[1:], n] - 1

    def total(v: np.ndarray, gap: np.ndarray) -> np.ndarray:  # over each run of joined links
        return np.add.reduceat(v + gap, first) - gap[last]

    words = total(x.words, same)
    tokens_a, tokens_b = total(x.tokens_a, gap_a_tokens), total(x.tokens_b, gap_b_tokens)
    return Links(x.doc_a[first], x.start_a[first], x.end_a[last], x.doc_b[first], x.start_b[first], x.end_b[last],
                 words, words / np.maximum(np.maximum(tokens_a, tokens_b), 1), tokens_a, tokens_b)


def _words_between(stretches: list[tuple[int, int, int]], texts: Sequence[str], limit: int
                   ) -> dict[tuple[int, int, int], list[str]]:
    """(document, start, end) -> the normalised words of that stretch of the document, at most
    ``limit`` + 1 of them (a longer gap is never bridged, and two passages far apart in a long
    document are common), reading only the documents involved (a chunk at a time when
    ``texts`` can)."""
    wanted: dict[int, set[tuple[int, int]]] = {}
    for d, lo, hi in stretches:
        wanted.setdefault(d, set()).add((lo, hi))
    return {(d, lo, hi): [m.group().casefold() for m in islice(TOKEN.finditer(text, lo, hi), limit + 1)]
            for chunk in _read(texts, sorted(wanted)) for d, text in chunk.items() for lo, hi in wanted[d]}


def long_enough(links: Links, texts: Sequence[str], cfg: PassageConfig) -> Links:
    """The links of at least ``cfg.min_words`` words, and of ``cfg.min_cjk_chars`` when their
    text is mostly CJK (a CJK character is a word), matching ``cfg.min_similarity`` of their
    span: the minimums hold over a joined span (a quote of short sentences, a quote with an
    elision), not over each sentence."""
    x = links.take(np.flatnonzero((links.words >= cfg.min_words) & (links.similarity >= cfg.min_similarity)))
    doubt = np.flatnonzero(x.words < cfg.min_cjk_chars)
    text_of = {d: t for chunk in _read(texts, sorted(set(x.doc_a[doubt].tolist()))) for d, t in chunk.items()}
    cjk = [i for i, d, s, e in zip(doubt.tolist(), x.doc_a[doubt].tolist(), x.start_a[doubt].tolist(),
                                   x.end_a[doubt].tolist()) if is_cjk(text_of[d][s:e])]
    keep = np.ones(len(x), dtype=bool)
    keep[cjk] = False
    return x.take(np.flatnonzero(keep))
