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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cleaners.boilerplate import site_of, strip_site_boilerplate_keyed
from cleaners.config import Config
from cleaners.dedup import SketchCache, clusters, find_matches
from cleaners.minhash import similarities
from cleaners.passages import SharedPassage, find_shared_passages
from cleaners.records import Document
from cleaners.textutil import word_count


@dataclass
class Grouping:
    """Output of the matching stage, as JSON-ready records."""

    documents: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    stats: dict[str, int] = field(default_factory=dict)


def article_id_for(canonical_doc_id: str) -> str:
    return "a" + hashlib.sha256(f"article\0{canonical_doc_id}".encode()).hexdigest()[:16]


def canonical_key(doc: Document, n_words: int) -> tuple:
    return (-n_words, doc.published is None, doc.published or "", doc.source.url is None, doc.doc_id)


def _paragraph_diff(mset: set[str], cset: set[str]) -> dict[str, int]:
    """Paragraphs of the canonical missing from a member, and the member's own (normalised keys)."""
    return {"paragraphs_missing": len(cset - mset), "paragraphs_added": len(mset - cset)}


def _passages_by_doc(passages: list[SharedPassage]) -> dict[int, list[int]]:
    """document index -> indexes of the passages with a span in it (linear, not per article)."""
    out: dict[int, list[int]] = {}
    for n, p in enumerate(passages):
        for s in p.spans:
            out.setdefault(s.doc, []).append(n)
    return out


StageHook = Callable[[str, float], None]  # (what was done, seconds it took)


def group_documents(docs: list[Document], cfg: Config, sketches: SketchCache | None = None,
                    on_stage: StageHook | None = None) -> Grouping:
    """Cluster near-duplicates, pick canonicals, find shared passages.

    ``sketches`` carries shingles and signatures of texts seen before (from the
    state); a new cache is used when none is given. ``on_stage`` is told when
    each stage ends (the flow logs it: matching a large folder takes minutes).
    """
    cache = sketches or SketchCache(cfg.dedup)
    t = time.perf_counter()

    def stage(what: str) -> None:
        nonlocal t
        now = time.perf_counter()
        if on_stage is not None:
            on_stage(what, now - t)
        t = now

    docs = sorted(docs, key=lambda d: d.doc_id)
    first = cache.get_many([d.text for d in docs])
    stage(f"signed {len(docs)} documents")
    docs, pkeys = strip_site_boilerplate_keyed(docs, cfg.dedup, [sk[0] for sk in first],
                                               [cache.lean(sk) for sk in first])
    stage("learned and removed site boilerplate")
    texts = [d.text for d in docs]
    final = cache.get_many(texts)
    shingles: list[np.ndarray] = [sk[0] for sk in final]
    n_words = [word_count(t) for t in texts]
    matches = find_matches(shingles, cfg.dedup, [cache.lean(sk) for sk in final], cfg.lsh_redis_url)
    groups = clusters(len(docs), matches)
    stage(f"matched: {len(matches)} verified pairs, {len(groups)} articles")
    group_of = [0] * len(docs)
    for g, members in enumerate(groups):
        for i in members:
            group_of[i] = g
    passage_stats: dict[str, int] = {}
    passages = find_shared_passages(texts, group_of, cfg.passages, cfg.dedup, passage_stats)
    kept, dropped = _filter_passages(passages, docs)
    passages_of = _passages_by_doc(kept)
    stage(f"found {len(kept)} shared passages")

    doc_records: list[dict[str, Any]] = [dict() for _ in docs]
    articles: list[dict[str, Any]] = []
    for members in groups:
        canon = min(members, key=lambda i: canonical_key(docs[i], n_words[i]))
        cdoc = docs[canon]
        aid = article_id_for(cdoc.doc_id)
        canon_keys = set(pkeys[canon]) if len(members) > 1 else set()
        member_recs = []
        for i in sorted(members, key=lambda i: canonical_key(docs[i], n_words[i])):
            d = docs[i]
            jac, con = (1.0, 1.0) if i == canon else similarities(shingles[i], shingles[canon])
            sim = round(jac, 4)
            rec = {"doc_id": d.doc_id, "outlet": d.source.outlet, "url": d.source.url,
                   "path": d.source.path, "record": d.source.record, "similarity": sim}
            if i != canon:
                rec["containment"] = round(con, 4)
                rec.update(_paragraph_diff(set(pkeys[i]), canon_keys))
            member_recs.append(rec)
            doc_records[i] = document_record(d, aid, None if i == canon else cdoc.doc_id, sim, texts[i])
        shared = [passage_record(kept[n], docs, texts)
                  for n in sorted({n for i in members for n in passages_of.get(i, ())})]
        articles.append({
            "article_id": aid,
            "canonical_doc_id": cdoc.doc_id,
            "title": cdoc.title,
            "text": texts[canon],
            "published": min((docs[i].published for i in members if docs[i].published), default=None),
            "language": cdoc.language,
            "outlets": sorted({docs[i].source.outlet for i in members if docs[i].source.outlet}),
            "members": member_recs,
            "shared_passages": shared,
        })
    articles.sort(key=lambda a: a["article_id"])
    stage("built the article and document records")
    stats = {"documents": len(docs), "articles": len(articles),
             "duplicate_documents": len(docs) - len(articles), "verified_pairs": len(matches),
             "shared_passages": len(kept), "passages_dropped_as_boilerplate": dropped,
             "common_sentences_skipped": passage_stats.get("common_sentences_skipped", 0)}
    return Grouping(doc_records, articles, stats)


def _filter_passages(passages: list[SharedPassage], docs: list[Document]) -> tuple[list[SharedPassage], int]:
    """Drop passages that only one site repeats (its own boilerplate)."""
    kept, dropped = [], 0
    for p in passages:
        outlets = {site_of(docs[s.doc]) for s in p.spans}
        if len(outlets) == 1 and None not in outlets:
            dropped += 1
            continue
        kept.append(p)
    return kept, dropped


def passage_record(p: SharedPassage, docs: list[Document], texts: list[str]) -> dict[str, Any]:
    """One shared_passages entry; ``texts[i]`` is docs[i].text."""
    first = p.spans[0]
    return {
        "text": texts[first.doc][first.start:first.end],
        "words": p.words,
        "similarity": p.similarity,
        "occurrences": [
            {"doc_id": docs[s.doc].doc_id, "outlet": docs[s.doc].source.outlet,
             "start": s.start, "end": s.end, "text": texts[s.doc][s.start:s.end]}
            for s in p.spans
        ],
    }


def document_record(d: Document, article_id: str, duplicate_of: str | None,
                    similarity: float, text: str | None = None) -> dict[str, Any]:
    """One documents.jsonl object (the output contract); ``text`` is d.text when already built."""
    s = d.source
    return {
        "doc_id": d.doc_id,
        "source": {"path": s.path, "record": s.record, "sha256": s.sha256, "format": s.format,
                   "url": s.url, "outlet": s.outlet},
        "title": d.title,
        "published": d.published,
        "language": d.language,
        "text": d.text if text is None else text,
        "removed": [{"text": r.text, "reason": r.reason} for r in d.removed],
        "fixes": [{"name": f.name, "detail": f.detail} for f in d.fixes],
        "meta": dict(d.meta),
        "article_id": article_id,
        "duplicate_of": duplicate_of,
        "similarity": similarity,
    }
