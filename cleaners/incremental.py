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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleaners.articles import Grouping, StageHook, group_documents
from cleaners.config import Config
from cleaners.dedup import SketchCache
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
    grouping: Grouping
    created: dict[str, int]  # article id -> creation sequence
    new_articles: list[str]
    grown_articles: list[str]
    frozen_documents: int
    sketches: SketchCache


def regroup(state: State, new_docs: list[Document], replaced_paths: list[str], cfg: Config,
            window_days: float | None = None, now: float | None = None,
            on_stage: StageHook | None = None) -> Regrouped:
    """Group all documents (stored + new, minus frozen ones) and keep article ids stable."""
    replaced = set(replaced_paths)
    new_ids = {d.doc_id for d in new_docs}
    docs = [d for d in state.documents() if d.source.path not in replaced and d.doc_id not in new_ids]
    frozen: set[str] = set()
    if window_days:
        cutoff = (now if now is not None else time.time()) - window_days * 86400
        frozen = state.frozen_doc_ids(cutoff)
        docs = [d for d in docs if d.doc_id not in frozen]
    sketches = SketchCache(cfg.dedup, state.sketches())
    grouping = group_documents(docs + new_docs, cfg, sketches, on_stage)

    assignments = state.assignments()
    created = state.article_created()
    sizes = state.article_sizes()
    next_seq = max(created.values(), default=0) + 1
    remap: dict[str, str] = {}
    new_articles, grown = [], []
    for art in grouping.articles:
        member_ids = [m["doc_id"] for m in art["members"]]
        prior = {assignments[d] for d in member_ids if d in assignments}
        if prior:
            aid = min(prior, key=lambda a: (created.get(a, next_seq), a))
            if sizes.get(aid) != len(member_ids):
                grown.append(aid)
        else:
            aid = art["article_id"]
            new_articles.append(aid)
        if aid not in created:
            created[aid] = next_seq
            next_seq += 1
        remap[art["article_id"]] = aid
    articles = [{**a, "article_id": remap[a["article_id"]]} for a in grouping.articles]
    articles.sort(key=lambda a: a["article_id"])
    documents = [{**d, "article_id": remap[d["article_id"]]} for d in grouping.documents]
    out = Grouping(documents, articles, grouping.stats)
    return Regrouped(out, {a["article_id"]: created[a["article_id"]] for a in articles},
                     new_articles, grown, len(frozen), sketches)


def matching_fingerprint(cfg: Config) -> dict[str, Any]:
    """Settings that must not change under one state (signatures, thresholds)."""
    from dataclasses import asdict

    return {"dedup": asdict(cfg.dedup), "passages": asdict(cfg.passages)}


__all__ = ["Plan", "Regrouped", "plan_run", "regroup", "matching_fingerprint", "replace"]
