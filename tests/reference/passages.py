"""``cleaners.match.passages.find_shared_passages`` before vectorisation (commit 09162eb): one
object and one datasketch signature per sentence, a datasketch MinHashLSH, difflib's alignment.

The tests check that both give the same passages, and benchmarks/bench_passages.py times old
against new. Also the per-sentence pieces the tests compare the kernels with (``doc_sentences``,
``align_tokens``, ``align``).

Each sentence with enough words gets a MinHash of its word 3-grams; LSH gives
candidate sentence pairs in different articles; each candidate is verified by
aligning the two token sequences (difflib), so the reported passage is the
aligned run itself, with character offsets in each document's cleaned text.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np
from datasketch import MinHashLSH

from cleaners.config import DedupConfig, PassageConfig
from cleaners.kernels.text import is_cjk, sentences
from cleaners.match.passages import (Links, SharedPassage, Span, join_adjacent, join_links,
                                     long_enough, min_cjk_sentence)
from tests.reference.minhash import shingle_ids, signature
from tests.reference.text import Token, tokens


@dataclass(frozen=True)
class PassageLink:
    a: Span
    b: Span
    similarity: float
    words: int


def _objects(links: Links) -> list[PassageLink]:
    """The product's ``Links`` arrays as one object a link."""
    cols = (links.doc_a, links.start_a, links.end_a, links.doc_b, links.start_b, links.end_b, links.words,
            links.similarity)
    return [PassageLink(Span(d, s, e), Span(d2, s2, e2), sm, w) for d, s, e, d2, s2, e2, w, sm in zip(
        *(c.tolist() for c in cols))]


@dataclass(frozen=True)
class Sentence:
    doc: int
    toks: tuple[Token, ...]


def doc_sentences(doc: int, text: str, min_words: int) -> list[Sentence]:
    toks = tokens(text)
    out = []
    ti = 0
    for start, end in sentences(text):
        while ti < len(toks) and toks[ti].start < start:
            ti += 1
        tj = ti
        while tj < len(toks) and toks[tj].end <= end:
            tj += 1
        if tj - ti >= min_words:
            out.append(Sentence(doc, tuple(toks[ti:tj])))
        ti = tj
    return out


Alignment = tuple[int, int, int, int, int, float]  # a0, a1, b0, b1 (token indexes), words, similarity


def align_tokens(wa: tuple[str, ...], wb: tuple[str, ...], cfg: PassageConfig) -> Alignment | None:
    """The longest aligned run of tokens (small gaps allowed), if long and close enough."""
    blocks = [blk for blk in SequenceMatcher(None, wa, wb, autojunk=False).get_matching_blocks()
              if blk.size]
    if not blocks:
        return None
    runs: list[list] = [[blocks[0]]]
    for blk in blocks[1:]:
        prev = runs[-1][-1]
        gap_a = blk.a - (prev.a + prev.size)
        gap_b = blk.b - (prev.b + prev.size)
        if gap_a <= cfg.max_gap_words and gap_b <= cfg.max_gap_words:
            runs[-1].append(blk)
        else:
            runs.append([blk])
    best = max(runs, key=lambda r: sum(x.size for x in r))
    matched = sum(x.size for x in best)
    if matched < cfg.min_sentence_words:
        return None
    if is_cjk("".join(wa)) and matched < min_cjk_sentence(cfg):
        return None
    a0, a1 = best[0].a, best[-1].a + best[-1].size
    b0, b1 = best[0].b, best[-1].b + best[-1].size
    sim = matched / max(a1 - a0, b1 - b0)
    if sim < cfg.min_link_similarity:
        return None
    return a0, a1, b0, b1, matched, sim


def _link(a: Sentence, b: Sentence, al: Alignment) -> PassageLink:
    a0, a1, b0, b1, matched, sim = al
    return PassageLink(Span(a.doc, a.toks[a0].start, a.toks[a1 - 1].end),
                       Span(b.doc, b.toks[b0].start, b.toks[b1 - 1].end), sim, matched)


def align(a: Sentence, b: Sentence, cfg: PassageConfig) -> PassageLink | None:
    """Align two sentences; a PassageLink with character offsets, or None."""
    al = align_tokens(tuple(t.norm for t in a.toks), tuple(t.norm for t in b.toks), cfg)
    return _link(a, b, al) if al else None


# An accepted run (>= min_sentence_words words, >= 80% of its span matched, so few gaps)
# shares at least 3 word 3-grams; pairs sharing fewer are not aligned at all.
MIN_SHARED_SHINGLES = 3


def find_shared_passages(texts: list[str], groups: list[int], cfg: PassageConfig,
                         dcfg: DedupConfig, stats: dict[str, int] | None = None) -> list[SharedPassage]:
    """Passages shared by documents of different groups (articles).

    ``groups[i]`` is the article of document i; passages within one article
    are not reported (its members are copies of one story). Identical sentence
    pairs (copies of copies) are aligned once.
    """
    stats = stats if stats is not None else {}
    sents: list[Sentence] = []
    for i, text in enumerate(texts):
        sents.extend(doc_sentences(i, text, cfg.min_sentence_words))
    words = [tuple(t.norm for t in s.toks) for s in sents]
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.lsh_bands, cfg.lsh_rows))
    sigs = []
    shingles: list[frozenset[int]] = []
    for k, w in enumerate(words):
        ids = shingle_ids(list(w), cfg.shingle_words)
        shingles.append(frozenset(ids.tolist()))
        sig = signature(ids, cfg.num_perm, dcfg.scheme, dcfg.seed)
        sigs.append(sig)
        lsh.insert(k, sig, check_duplication=False)
    cache: dict[tuple[tuple[str, ...], tuple[str, ...]], Alignment | None] = {}
    links: list[PassageLink] = []
    tokens: list[tuple[int, int]] = []  # the tokens each side of a link spans
    common: set[int] = set()
    for k, sig in enumerate(sigs):
        raw = lsh.query(sig)
        if len(raw) > 20 * cfg.max_candidate_articles:  # stock line everywhere: skip before any work
            common.add(k)
            continue
        cands = [o for o in raw if groups[sents[o].doc] != groups[sents[k].doc]
                 and len(shingles[k] & shingles[o]) >= MIN_SHARED_SHINGLES]
        if len({groups[sents[o].doc] for o in cands}) > cfg.max_candidate_articles:
            common.add(k)
            continue
        for other in cands:
            if other <= k or other in common:
                continue
            a, b = sents[k], sents[other]
            if a.doc == b.doc:
                continue
            key = (words[k], words[other])
            if key not in cache:
                cache[key] = align_tokens(words[k], words[other], cfg)
            if cache[key]:
                links.append(_link(a, b, cache[key]))
                a0, a1, b0, b1 = cache[key][:4]
                tokens.append((a1 - a0, b1 - b0))
    stats["common_sentences_skipped"] = len(common)
    # the product's joining and length rule, over the reference's sentences
    joined = long_enough(join_links(_table(links, tokens), texts, cfg.min_words - 1), texts, cfg)
    return join_adjacent(_group(_objects(joined)), texts, cfg.min_words - 1)


def _table(links: list[PassageLink], tokens: list[tuple[int, int]]) -> Links:
    """The product's ``Links`` arrays from PassageLinks and the tokens each side spans."""
    rows = [(x.a.doc, x.a.start, x.a.end, x.b.doc, x.b.start, x.b.end, ta, tb) if x.a.doc < x.b.doc else
            (x.b.doc, x.b.start, x.b.end, x.a.doc, x.a.start, x.a.end, tb, ta) for x, (ta, tb) in zip(links, tokens)]
    cols = np.array(rows, dtype=np.int64).reshape(len(rows), 8).T.copy()
    return Links(*cols[:6], np.array([x.words for x in links], dtype=np.int64),
                 np.array([x.similarity for x in links], dtype=np.float64), cols[6], cols[7])


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


def _group(links: list[PassageLink]) -> list[SharedPassage]:
    """Join links into passages: spans that overlap in one document are one passage."""
    nodes: dict[Span, int] = {}
    for link in links:
        for span in (link.a, link.b):
            nodes.setdefault(span, len(nodes))
    uf = UnionFind(len(nodes))
    for link in links:
        uf.union(nodes[link.a], nodes[link.b])
    by_doc: dict[int, list[Span]] = {}
    for span in nodes:
        by_doc.setdefault(span.doc, []).append(span)
    for spans in by_doc.values():  # overlapping spans in one document: same passage
        spans.sort(key=lambda s: s.start)
        for i, y in enumerate(spans):  # every earlier span that reaches past y's start
            for x in spans[:i]:
                if y.start < x.end:
                    uf.union(nodes[x], nodes[y])
    members: dict[int, list[Span]] = {}
    for span, idx in nodes.items():
        members.setdefault(uf.find(idx), []).append(span)
    weakest: dict[int, float] = {}
    words: dict[int, int] = {}
    for link in links:
        root = uf.find(nodes[link.a])
        weakest[root] = min(weakest.get(root, 1.0), link.similarity)
        words[root] = max(words.get(root, 0), link.words)
    out = []
    for root, spans in members.items():
        merged: dict[int, Span] = {}
        for s in spans:
            m = merged.get(s.doc)
            merged[s.doc] = s if m is None else Span(s.doc, min(m.start, s.start), max(m.end, s.end))
        out.append(SharedPassage(tuple(sorted(merged.values(), key=lambda s: (s.doc, s.start))),
                                 round(weakest[root], 4), words[root]))
    return sorted(out, key=lambda p: (p.spans[0].doc, p.spans[0].start))
