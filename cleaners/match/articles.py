"""From cleaned documents to canonical articles: cluster, choose, link passages.

Canonical rule (documented in the README, deterministic):
1. the most complete text (most words) - a trimmed reprint never wins;
2. then the earliest publication time (documents without one come last);
3. then a document that has a URL (a traceable original);
4. then the smallest doc_id, so ties never depend on input order.
"""

from __future__ import annotations

import hashlib
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from cleaners.config import Config
from cleaners.kernels.shingles import similarities
from cleaners.kernels.text import word_count
from cleaners.match.boilerplate import (Key, boilerplate_hits, learn_boilerplate, paragraph_keys_and_lines, site_of,
                                        strip_boilerplate)
from cleaners.match.dedup import Sketch, SketchCache, find_clusters
from cleaners.match.passage_memo import PassageMemo, text_key
from cleaners.match.passages import SharedPassage, find_shared_passages
from cleaners.records import Document, flat_dict
from cleaners.store.docstore import Body, DocInfo, DocStore, paragraphs_of
from cleaners.store.memory import fewer_collections, map_large_arrays, release_free_memory


@dataclass
class Grouping:
    """Output of the matching stage, as JSON-ready records."""

    documents: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    stats: dict[str, int] = field(default_factory=dict)


def article_id_for(canonical_doc_id: str) -> str:
    return "a" + hashlib.sha256(f"article\0{canonical_doc_id}".encode()).hexdigest()[:16]


def canonical_key(doc: DocInfo, n_words: int) -> tuple:
    """The canonical rule as a sort key: the member with the smallest key is the canonical."""
    return (-n_words, doc.published is None, doc.published or "", doc.source.url is None, doc.doc_id)


# What each element of ``canonical_key`` decides, in order (the rule of the module docstring;
# its step 2 is two elements): ``newsclean explain`` names the first element that differs.
CANONICAL_STEPS = ("1. most words", "2. has a publication time", "2. earliest publication time",
                   "3. has a URL", "4. smallest doc_id")


def pair_scores(shared: int, size_a: int, size_b: int) -> tuple[float, float]:
    """(jaccard, containment in the smaller) of two shingle sets from their sizes and the size
    of their intersection, computed as the linking kernel computes them (0 for an empty set)."""
    small = min(size_a, size_b)
    if small <= 0:
        return 0.0, 0.0
    return shared / (size_a + size_b - shared), shared / small


def _passages_by_doc(passages: list[SharedPassage]) -> dict[int, list[int]]:
    """document index -> indexes of the passages with a span in it (linear, not per article)."""
    out: dict[int, list[int]] = {}
    for n, p in enumerate(passages):
        for s in p.spans:
            out.setdefault(s.doc, []).append(n)
    return out


StageHook = Callable[[str, float], None]  # (what was done, seconds it took)


class PackedKeys:
    """Every document's paragraph keys in one int64 array (None stored as -1).

    CPython's ``hash`` never returns -1, so -1 cannot be a real key. A list of
    Python ints per document costs about 1 KB a document; this costs 8 bytes a key.
    """

    def __init__(self) -> None:
        self._flat = array("q")
        self._ends = array("q")

    def append(self, keys: list[Key]) -> None:
        self._flat.extend(-1 if k is None else k for k in keys)
        self._ends.append(len(self._flat))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> list[Key]:
        lo = self._ends[i - 1] if i else 0
        return [None if k == -1 else k for k in self._flat[lo:self._ends[i]]]


class DocTexts:
    """The cleaned texts of a DocStore's documents: streamed in order (iteration), or a few
    documents at a time (``read_many``), so memory stays bounded."""

    CHUNK = 256

    def __init__(self, store: DocStore, final: Callable[[int, Body], str]) -> None:
        self.store = store
        self.final = final

    def __len__(self) -> int:
        return len(self.store)

    def __iter__(self) -> Iterator[str]:
        for i, b in enumerate(self.store.iter_bodies()):
            yield self.final(i, b)

    def read_many(self, indexes: list[int]) -> Iterator[dict[int, str]]:
        """The texts of these documents (ascending), CHUNK of them at a time: {index: text}."""
        for lo in range(0, len(indexes), self.CHUNK):
            bodies = self.store.get_bodies_many(indexes[lo:lo + self.CHUNK])
            yield {i: self.final(i, bodies[i]) for i in sorted(bodies)}


@dataclass
class Matched:
    """The match step's result without texts: records are built from it and the store.

    Index i is the i-th document of the DocStore (doc_id order).
    """

    infos: list[DocInfo]
    learned: dict[str, set[Key]]  # site -> paragraph keys learned as its boilerplate
    keys: PackedKeys  # each document's paragraph keys before boilerplate was removed
    n_words: np.ndarray
    groups: list[list[int]]  # the articles' members
    canon: list[int]  # per group: its canonical document
    group_of: np.ndarray  # per document: its group
    jaccard: np.ndarray  # per document: similarity to its canonical (1.0 for the canonical)
    containment: np.ndarray
    passages: list[SharedPassage]
    passages_of: dict[int, list[int]]  # document -> indexes into passages
    stats: dict[str, int]
    # the verified pairs that joined the groups (``dedup.Linked.links``): rows (a, b, |a & b|, |a|, |b|)
    links: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), dtype=np.int64))

    def final(self, i: int, doc: Document) -> Document:
        """Document i as grouped: without its site's learned boilerplate."""
        return strip_boilerplate(doc, self.learned, self.keys[i]) if self.learned else doc

    def final_text(self, i: int, body: Body) -> str:
        """``final(i, doc).text`` from the document's body (``DocStore.iter_bodies``)."""
        hit = boilerplate_hits(self.infos[i], self.learned, self.keys[i]) if self.learned else None
        if hit is None:
            return body[0]
        return "\n\n".join(p for p, h in zip(paragraphs_of(body), hit) if not h)

    def final_keys(self, i: int) -> list[Key]:
        keys = self.keys[i]
        hit = boilerplate_hits(self.infos[i], self.learned, keys)
        return keys if hit is None else [k for k, h in zip(keys, hit) if not h]

    def link_rows(self) -> Iterator[tuple[str, str, float, float, int, int, int]]:
        """The verified pairs that joined the groups, as the state keeps them: (doc_id a, doc_id b,
        jaccard, containment, shared shingles, shingles of a, shingles of b)."""
        for a, b, inter, la, lb in self.links.tolist():
            yield (self.infos[a].doc_id, self.infos[b].doc_id, *pair_scores(inter, la, lb), inter, la, lb)

    def article_ids(self) -> list[str]:
        """The id each group gets on its own (regroup may keep older ids instead)."""
        return [article_id_for(self.infos[c].doc_id) for c in self.canon]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _rows(sketches: list[Sketch], cfg: Config) -> np.ndarray:
    """The sketches' MinHash hash values as one (n, num_perm) array."""
    if not sketches:
        return np.zeros((0, cfg.dedup.num_perm), dtype=np.uint32)
    return np.stack([sk[1] for sk in sketches])


def match_store(store: DocStore, cfg: Config, sketches: SketchCache | None = None,
                on_stage: StageHook | None = None, memo: PassageMemo | None = None) -> Matched:
    """Cluster near-duplicates, pick canonicals, find shared passages, reading texts from the store.

    ``sketches`` carries shingles and signatures of texts seen before (from the
    state); a new cache is used when none is given. ``memo`` carries the links pairs of
    documents gave before (``passage_memo``); it is updated. ``on_stage`` is told when
    each stage ends (the flow logs it: matching a large folder takes minutes).
    """
    cache = sketches if sketches is not None else SketchCache(cfg.dedup)
    map_large_arrays()
    t = time.perf_counter()

    def stage(what: str) -> None:
        nonlocal t
        now = time.perf_counter()
        if on_stage is not None:
            on_stage(what, now - t)
        t = now

    infos = store.infos
    n = len(infos)
    keys = PackedKeys()
    first: list[Sketch] = []
    first_words = np.zeros(n, dtype=np.int64)  # word count of each text as stored
    for lo, chunk in enumerate(_chunks(store.iter_bodies(), cache.CHUNK)):
        rows = paragraph_keys_and_lines([paragraphs_of(b) for b in chunk])
        for k, _, _ in rows:
            keys.append(k)
        first += cache.get_many([b[0] for b in chunk], [line for _, line, _ in rows])
        first_words[lo * cache.CHUNK:lo * cache.CHUNK + len(chunk)] = [n for _, _, n in rows]
        del rows
    stage(f"signed {n} documents")
    learned = (learn_boilerplate(infos, cfg, [sk[0] for sk in first], _rows(first, cfg), keys)
               if any(site_of(d) for d in infos) else {})
    del first
    m = Matched(infos, learned, keys, np.zeros(n, dtype=np.int64), [], [], np.zeros(n, dtype=np.int64),
                np.ones(n), np.ones(n), [], {}, {})
    final: list[Sketch] = []
    text_keys = np.zeros(n, dtype=np.uint64)  # per document: its final text's key in the passage memo
    for lo, chunk in enumerate(_chunks(store.iter_bodies(), cache.CHUNK)):
        texts = [m.final_text(lo * cache.CHUNK + k, b) for k, b in enumerate(chunk)]
        sha1s = [cache.key(x) for x in texts]
        final += cache.get_many(texts, keys=sha1s)
        at = lo * cache.CHUNK
        text_keys[at:at + len(texts)] = [text_key(k) for k in sha1s]
        # word_count(text) == len(norm_words(text)): counted in the first pass unless boilerplate went
        m.n_words[at:at + len(texts)] = [int(first_words[at + k]) if x is chunk[k][0] else word_count(x)
                                         for k, x in enumerate(texts)]
    stage("learned and removed site boilerplate")
    shingles = [sk[0] for sk in final]
    linked = find_clusters(shingles, cfg.dedup, _rows(final, cfg), cfg.index, cfg.index_url)
    del final
    m.groups, m.links = linked.groups, linked.links
    for g, members in enumerate(m.groups):
        m.group_of[members] = g
        canon = min(members, key=lambda i: canonical_key(infos[i], int(m.n_words[i])))
        m.canon.append(canon)
        for i in members:
            if i != canon:
                m.jaccard[i], m.containment[i] = similarities(shingles[i], shingles[canon])
    del shingles
    if store.path is not None:  # not needed again before the state is written
        cache.park(store)
        release_free_memory()
    stage(f"matched: {linked.compared} pairs compared, {len(m.groups)} articles")
    passage_stats: dict[str, int] = {}
    passages = find_shared_passages(DocTexts(store, m.final_text), m.group_of.tolist(), cfg.passages,
                                    cfg.dedup, passage_stats, memo, text_keys)
    m.passages, dropped = _filter_passages(passages, infos)
    m.passages_of = _passages_by_doc(m.passages)
    remembered = "" if memo is None else f"; {memo.hits} pairs of documents' links remembered, {memo.misses} aligned"
    stage(f"found {len(m.passages)} shared passages{remembered}")
    m.stats = {"documents": n, "articles": len(m.groups),
               "duplicate_documents": n - len(m.groups), "compared_pairs": linked.compared,
               "shared_passages": len(m.passages), "passages_dropped_as_boilerplate": dropped,
               "common_sentences_skipped": passage_stats.get("common_sentences_skipped", 0)}
    return m


def document_records(store: DocStore, m: Matched, article_ids: list[str]) -> Iterator[dict[str, Any]]:
    """documents.jsonl objects (the output contract), in doc_id order (``article_ids[g]``: group g's id)."""
    for i, doc in enumerate(store.iter_docs()):
        d = m.final(i, doc)
        g = int(m.group_of[i])
        canon = m.canon[g]
        yield {"doc_id": d.doc_id, "source": flat_dict(d.source), "title": d.title, "published": d.published,
               "language": d.language, "text": d.text,
               "removed": [{"text": r.text, "reason": r.reason} for r in d.removed],
               "fixes": [{"name": f.name, "detail": f.detail} for f in d.fixes], "meta": dict(d.meta),
               "article_id": article_ids[g], "duplicate_of": None if i == canon else m.infos[canon].doc_id,
               "similarity": round(float(m.jaccard[i]), 4)}


def article_records(store: DocStore, m: Matched, article_ids: list[str],
                    chunk: int = 500) -> Iterator[dict[str, Any]]:
    """articles.jsonl objects, in group order; texts read for ``chunk`` groups at a time."""
    for lo in range(0, len(m.groups), chunk):
        groups = range(lo, min(lo + chunk, len(m.groups)))
        shared_of = {g: sorted({n for i in m.groups[g] for n in m.passages_of.get(i, ())}) for g in groups}
        need = {m.canon[g] for g in groups}
        need.update(s.doc for ns in shared_of.values() for n in ns for s in m.passages[n].spans)
        texts = {i: m.final_text(i, b) for i, b in store.get_bodies_many(need).items()}
        for g in groups:
            yield _article_record(m, g, article_ids[g], texts, shared_of[g])


def _article_record(m: Matched, g: int, aid: str, texts: dict[int, str], shared: list[int]) -> dict[str, Any]:
    infos, members, canon = m.infos, m.groups[g], m.canon[g]
    cdoc = infos[canon]
    canon_keys = set(m.final_keys(canon)) if len(members) > 1 else set()
    member_recs = []
    for i in sorted(members, key=lambda i: canonical_key(infos[i], int(m.n_words[i]))):
        d = infos[i]
        rec = {"doc_id": d.doc_id, "outlet": d.source.outlet, "url": d.source.url,
               "path": d.source.path, "record": d.source.record, "similarity": round(float(m.jaccard[i]), 4)}
        if i != canon:  # paragraphs of the canonical it lacks, and its own (normalised keys)
            mine = set(m.final_keys(i))
            rec.update(containment=round(float(m.containment[i]), 4),
                       paragraphs_missing=len(canon_keys - mine), paragraphs_added=len(mine - canon_keys))
        member_recs.append(rec)
    return {"article_id": aid, "canonical_doc_id": cdoc.doc_id, "title": cdoc.title, "text": texts[canon],
            "published": min((infos[i].published for i in members if infos[i].published), default=None),
            "language": cdoc.language,
            "outlets": sorted({infos[i].source.outlet for i in members if infos[i].source.outlet}),
            "members": member_recs,
            "shared_passages": [passage_record(m.passages[n], infos, texts) for n in shared]}


def group_documents(docs: list[Document], cfg: Config, sketches: SketchCache | None = None,
                    on_stage: StageHook | None = None) -> Grouping:
    """``match_store`` over documents held in memory, with every record built (small inputs, tests).

    Documents come back in doc_id order, articles in article_id order.
    """
    with DocStore() as store, fewer_collections():
        store.add(docs)
        m = match_store(store, cfg, sketches, on_stage)
        ids = m.article_ids()
        documents = list(document_records(store, m, ids))
        articles = sorted(article_records(store, m, ids), key=lambda a: a["article_id"])
        if on_stage is not None:
            on_stage("built the article and document records", 0.0)
    return Grouping(documents, articles, m.stats)


def _filter_passages(passages: list[SharedPassage], docs: list[DocInfo]) -> tuple[list[SharedPassage], int]:
    """Drop passages that only one site repeats (its own boilerplate)."""
    def one_site(p: SharedPassage) -> bool:
        sites = {site_of(docs[s.doc]) for s in p.spans}
        return len(sites) == 1 and None not in sites

    kept = [p for p in passages if not one_site(p)]
    return kept, len(passages) - len(kept)


def passage_record(p: SharedPassage, docs: list[DocInfo], texts: Mapping[int, str]) -> dict[str, Any]:
    """One shared_passages entry; ``texts[i]`` is document i's cleaned text."""
    first = p.spans[0]
    return {"text": texts[first.doc][first.start:first.end], "words": p.words, "similarity": p.similarity,
            "occurrences": [{"doc_id": docs[s.doc].doc_id, "outlet": docs[s.doc].source.outlet,
                             "start": s.start, "end": s.end, "text": texts[s.doc][s.start:s.end]}
                            for s in p.spans]}

