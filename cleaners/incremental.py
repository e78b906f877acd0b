"""Recurring runs: decide what is new, regroup, keep article ids stable.

A run processes only files whose content it has not seen (by sha256; size and
mtime are a shortcut), then regroups all documents in the window, so the
clusters and canonical choices after N incremental runs equal those of one run
over the union of the inputs. Article ids are fixed when an article is first
created: a new member joins the existing article, and when a new document
bridges two articles the older id survives.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleaners.articles import Grouping, Matched, StageHook, article_records, document_records, match_store
from cleaners.config import Config
from cleaners.dedup import SketchCache
from cleaners.docstore import DocStore
from cleaners.readers import InputFile
from cleaners.records import Document
from cleaners.state import FileInfo, State, file_sha256


@dataclass
class Plan:
    process: list[InputFile] = field(default_factory=list)  # new or changed files
    files: list[FileInfo] = field(default_factory=list)  # what to record in the state
    renamed: dict[str, str] = field(default_factory=dict)  # old path -> new path
    replaced_paths: list[str] = field(default_factory=list)  # changed files: old documents go
    unchanged: int = 0
    touched: int = 0
    copies: int = 0


def plan_run(root: Path, items: list[InputFile], state: State) -> Plan:
    """Which discovered files need processing, given what the state has seen."""
    known = state.files()
    by_hash = state.known_hashes()
    present = {i.path for i in items}
    plan = Plan()
    for item in items:
        if item.problem:  # symlinks, unreadable entries: a reject, recorded once
            marker = f"problem:{item.problem}"
            if known.get(item.path) is None or known[item.path].sha256 != marker:
                plan.process.append(item)
                plan.files.append(FileInfo(item.path, 0, 0, marker))
                if item.path in known:
                    plan.replaced_paths.append(item.path)
            else:
                plan.unchanged += 1
            continue
        path = item.fs_path(root)
        try:
            st = os.stat(path)
        except OSError:
            plan.process.append(item)  # the reader will reject it as vanished/unreadable
            continue
        old = known.get(item.path)
        if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
            plan.unchanged += 1
            continue
        try:
            sha = file_sha256(path)
        except OSError:
            plan.process.append(item)
            continue
        info = FileInfo(item.path, st.st_size, st.st_mtime_ns, sha)
        if old and old.sha256 == sha:  # touched, not changed
            plan.files.append(info)
            plan.touched += 1
            continue
        other = by_hash.get(sha)
        if old is None and other is not None and other not in present:  # renamed
            plan.renamed[other] = item.path
            plan.files.append(info)
            plan.unchanged += 1
            continue
        if old is None and other is not None:
            plan.copies += 1
        if old is not None:
            plan.replaced_paths.append(item.path)
        plan.process.append(item)
        plan.files.append(info)
    return plan


@dataclass
class Regrouped:
    """A regrouping: the match result, the stable article ids, and the store the records are read from."""

    store: DocStore
    matched: Matched
    article_ids: list[str]  # per group of ``matched``: the id it keeps or gets
    created: dict[str, int]  # article id -> creation sequence
    new_articles: list[str]
    grown_articles: list[str]
    frozen_documents: int
    sketches: SketchCache

    @property
    def stats(self) -> dict[str, int]:
        return self.matched.stats

    def doc_records(self) -> Iterator[dict[str, Any]]:
        """documents.jsonl objects, in doc_id order, read from the store one chunk at a time."""
        return document_records(self.store, self.matched, self.article_ids)

    def article_records(self) -> Iterator[dict[str, Any]]:
        """articles.jsonl objects, a chunk of articles' texts read at a time."""
        return article_records(self.store, self.matched, self.article_ids)

    @property
    def grouping(self) -> Grouping:
        """Every record in memory (small inputs and tests)."""
        return Grouping(list(self.doc_records()),
                        sorted(self.article_records(), key=lambda a: a["article_id"]), self.stats)


def regroup(state: State, new_docs: DocStore | list[Document], replaced_paths: list[str], cfg: Config,
            window_days: float | None = None, now: float | None = None,
            on_stage: StageHook | None = None) -> Regrouped:
    """Group all documents (stored + new, minus frozen ones) and keep article ids stable.

    ``new_docs`` is a DocStore holding the run's new documents (the stored
    ones are added to it here) or, for small inputs, a list of them.
    """
    store = new_docs if isinstance(new_docs, DocStore) else DocStore()
    if not isinstance(new_docs, DocStore):
        store.add(new_docs)
    replaced = set(replaced_paths)
    new_ids = store.doc_ids()
    frozen: set[str] = set()
    if window_days:
        cutoff = (now if now is not None else time.time()) - window_days * 86400
        frozen = state.frozen_doc_ids(cutoff)
    store.add_json(data for doc_id, path, data in state.document_rows()
                   if path not in replaced and doc_id not in new_ids and doc_id not in frozen)
    sketches = SketchCache(cfg.dedup, state.sketches())
    m = match_store(store, cfg, sketches, on_stage)
    own = m.article_ids()

    assignments = state.assignments()
    created = state.article_created()
    sizes = state.article_sizes()
    next_seq = max(created.values(), default=0) + 1
    ids = list(own)
    new_articles, grown = [], []
    for g in sorted(range(len(own)), key=own.__getitem__):  # in article id order, as they are stored
        member_ids = [m.infos[i].doc_id for i in m.groups[g]]
        prior = {assignments[d] for d in member_ids if d in assignments}
        if prior:
            aid = min(prior, key=lambda a: (created.get(a, next_seq), a))
            if sizes.get(aid) != len(member_ids):
                grown.append(aid)
        else:
            aid = own[g]
            new_articles.append(aid)
        if aid not in created:
            created[aid] = next_seq
            next_seq += 1
        ids[g] = aid
    return Regrouped(store, m, ids, {aid: created[aid] for aid in ids}, new_articles, grown,
                     len(frozen), sketches)


def matching_fingerprint(cfg: Config) -> dict[str, Any]:
    """Settings that must not change under one state (signatures, thresholds)."""
    from dataclasses import asdict

    return {"dedup": asdict(cfg.dedup), "passages": asdict(cfg.passages)}


__all__ = ["Plan", "Regrouped", "plan_run", "regroup", "matching_fingerprint", "replace"]
