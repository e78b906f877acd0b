"""Recurring runs: decide what is new, regroup, keep article ids stable.

A run processes only files whose content it has not seen (by sha256; size and
mtime are a shortcut), then regroups all documents in the window, so the
clusters and canonical choices after N incremental runs equal those of one run
over the union of the inputs. Article ids are fixed when an article is first
created: a new member joins the existing article, and when a new document
bridges two articles the older id survives.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cleaners.config import Config, ReadConfig
from cleaners.match.articles import Matched, StageHook, article_records, document_records, match_store
from cleaners.match.dedup import SketchCache
from cleaners.match.passage_memo import PassageMemo
from cleaners.match.passage_memo import fingerprint as memo_fingerprint
from cleaners.read.readers import InputFile, InputRefused, open_input
from cleaners.store.docstore import DocStore
from cleaners.store.state import FileInfo, State


# The sha256 of a files row that records a file not read as it is: "problem:REASON" (a reject
# of discovery: symlink, fifo, unreadable entry) or "unread:REASON" (it could not be opened or
# hashed, or the reader could not read it: vanished, unreadable, swapped). A later run never
# takes the size/mtime shortcut for such a row (making a file readable changes neither) and
# processes the file again only when it no longer gives the same marker: an unreadable file is
# one reject, not reprocessed on every run, and is read as soon as it can be.
PROBLEM = "problem:"
UNREAD = "unread:"
# Reject reasons that say the reader did not read the file as it is (rather than what it holds).
UNREAD_REASONS = frozenset({"vanished", "unreadable-file", "changed-during-read", "symlink-not-followed",
                            "symlink-outside-input", "not-a-regular-file"})


@dataclass
class Plan:
    process: list[InputFile] = field(default_factory=list)  # new or changed files
    files: list[FileInfo] = field(default_factory=list)  # what to record in the state
    renamed: dict[str, str] = field(default_factory=dict)  # old path -> new path
    replaced_paths: list[str] = field(default_factory=list)  # changed files: old documents go
    gone: list[str] = field(default_factory=list)  # rejected files no longer there: their rejects go
    unchanged: int = 0
    touched: int = 0
    copies: int = 0


def is_marker(sha: str) -> bool:
    """A files row's sha256 that is a PROBLEM or UNREAD marker, not a hash."""
    return sha.startswith((PROBLEM, UNREAD))


def content_hash(path: Path, root: Path, read: ReadConfig) -> str:
    """The file's sha256, or the UNREAD marker naming why it cannot be read as discovery
    found it. It is opened as the readers open it (``open_input``): a file swapped after
    discovery for a symlink (unless ``read.follow_symlinks``), a fifo, or a file outside
    ``root`` (INPUT_DIR) is refused, so the state never records the hash of a file outside
    INPUT_DIR."""
    try:
        with open_input(path, read.follow_symlinks, root) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except InputRefused as exc:
        return UNREAD + exc.reason
    except FileNotFoundError:
        return UNREAD + "vanished"
    except OSError:
        return UNREAD + "unreadable-file"


def plan_run(root: Path, items: list[InputFile], state: State, read: ReadConfig) -> Plan:
    """Which discovered files need processing, given what the state has seen.

    ``read.verify_content`` hashes every file; otherwise a file whose size and mtime
    match the state's is taken as unchanged without reading it.
    """
    known = state.files()
    by_hash = state.known_hashes()
    archived = state.document_paths()
    present = {i.path for i in items}
    plan = Plan()
    for item in items:
        old = known.get(item.path)
        if item.problem:  # symlinks, unreadable entries: a reject, recorded once
            _plan_file(plan, item, FileInfo(item.path, 0, 0, f"{PROBLEM}{item.problem}"), old, archived)
            continue
        path = item.fs_path(root)
        try:
            st = os.stat(path, follow_symlinks=read.follow_symlinks)
        except OSError as exc:  # the reader will reject it as vanished/unreadable
            reason = "vanished" if isinstance(exc, FileNotFoundError) else "unreadable-file"
            _plan_file(plan, item, FileInfo(item.path, 0, 0, UNREAD + reason), old, archived)
            continue
        if (old and not read.verify_content and not is_marker(old.sha256)
                and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns):
            plan.unchanged += 1
            continue
        info = FileInfo(item.path, st.st_size, st.st_mtime_ns, content_hash(path, root, read))
        if is_marker(info.sha256):
            _plan_file(plan, item, info, old, archived)
            continue
        if old and old == info:  # hashed by --verify-content: the same file
            plan.unchanged += 1
            continue
        if old and old.sha256 == info.sha256:  # touched, not changed
            plan.files.append(info)
            plan.touched += 1
            continue
        other = by_hash.get(info.sha256)
        if old is None and other is not None and other not in present:  # renamed
            plan.renamed[other] = item.path
            plan.files.append(info)
            plan.unchanged += 1
            continue
        if old is None and other is not None:
            plan.copies += 1
        _plan_file(plan, item, info, old, archived)
    renamed = set(plan.renamed)
    rejected = state.reject_paths()
    plan.gone = sorted(p for p in known if p not in present and p not in renamed and p in rejected)
    return plan


def _plan_file(plan: Plan, item: InputFile, info: FileInfo, old: FileInfo | None, archived: set[str]) -> None:
    """Process ``item`` unless the state recorded the same marker for it; its earlier documents
    and rejects are replaced, except when it vanished (the state is an archive)."""
    if old is not None and old.sha256 == info.sha256:  # the same reject as last time
        plan.unchanged += 1
        return
    plan.process.append(item)
    plan.files.append(info)
    vanished = info.sha256 == UNREAD + "vanished"
    # a path with archived documents and no files row: a file that was gone and came back
    if not vanished and (old is not None or item.path in archived):
        plan.replaced_paths.append(item.path)


def unread_marked(files: Iterable[FileInfo], rejects: Iterable[dict[str, Any]]) -> list[FileInfo]:
    """The files to record after a run: a file the reader could not read as it is (a reject
    of an UNREAD_REASONS reason) is recorded with that UNREAD marker instead of the hash the
    plan took, so the next run reads it again when it can."""
    unread = {r["source"]["path"]: r["reason"] for r in rejects if r["reason"] in UNREAD_REASONS}
    return [replace(f, sha256=UNREAD + unread[f.path]) if f.path in unread and not is_marker(f.sha256) else f
            for f in files]


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
    passage_memo: PassageMemo

    def memo_to_keep(self) -> tuple[str, dict[str, np.ndarray]]:
        """The passage memo for the state: the entries this run used or added (``commit_run``)."""
        return self.passage_memo.fingerprint, self.passage_memo.to_arrays()

    def doc_records(self) -> Iterator[dict[str, Any]]:
        """documents.jsonl objects, in doc_id order, read from the store one chunk at a time."""
        return document_records(self.store, self.matched, self.article_ids)

    def article_records(self) -> Iterator[dict[str, Any]]:
        """articles.jsonl objects, a chunk of articles' texts read at a time."""
        return article_records(self.store, self.matched, self.article_ids)

    def link_rows(self) -> Iterator[tuple[str, str, float, float, int, int, int]]:
        """The verified pairs that joined the articles (``Matched.link_rows``), for the state."""
        return self.matched.link_rows()


def regroup(state: State, store: DocStore, replaced_paths: list[str], cfg: Config,
            window_days: float | None = None, now: float | None = None,
            on_stage: StageHook | None = None) -> Regrouped:
    """Group all documents (stored + new, minus frozen ones) and keep article ids stable.

    ``store`` holds the run's new documents; the stored ones are added to it here.
    """
    replaced = set(replaced_paths)
    new_ids = store.doc_ids()
    frozen: set[str] = set()
    if window_days:
        cutoff = (now if now is not None else time.time()) - window_days * 86400
        frozen = state.frozen_doc_ids(cutoff)
    store.add_json((data, json.loads(data)) for doc_id, path, data in state.document_rows()
                   if path not in replaced and doc_id not in new_ids and doc_id not in frozen)
    sketches = SketchCache(cfg.dedup, state.sketches())
    memo_fp = memo_fingerprint(cfg.passages)
    memo = PassageMemo.from_arrays(memo_fp, state.passage_memo(memo_fp))
    m = match_store(store, cfg, sketches, on_stage, memo)
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
                     len(frozen), sketches, memo)


def matching_fingerprint(cfg: Config) -> dict[str, Any]:
    """Settings that must not change under one state (signatures, thresholds)."""
    return {"dedup": asdict(cfg.dedup), "passages": asdict(cfg.passages)}


__all__ = ["Plan", "Regrouped", "plan_run", "unread_marked", "regroup", "matching_fingerprint"]
