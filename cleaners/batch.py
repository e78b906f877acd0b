"""Batch-level helpers used by the flow: process a list of files, check the accounting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cleaners.config import Config
from cleaners.pipeline import clean_all
from cleaners.readers import InputFile, read_file
from cleaners.records import Document, Reject


BATCHES_PER_WORKER = 4  # the last batch to finish leaves the other workers idle for at most 1/4 of a share
MIN_BATCH = 50  # below this the tens of ms a task run costs are over 1% of the work (HTML: ~1 s a batch)
MAX_BATCH = 1000  # documents a worker holds at once; the progress bar moves at least every 1000 files


def batch_size_for(n_files: int, workers: int, size: int | None = None) -> int:
    """Files per clean-batch task: ``size`` when given, else about BATCHES_PER_WORKER
    batches per worker, within [MIN_BATCH, MAX_BATCH]."""
    if size is not None:
        if size < 1:
            raise ValueError(f"batch size must be >= 1, got {size!r}")
        return size
    per = -(-n_files // (BATCHES_PER_WORKER * max(1, workers)))
    return max(MIN_BATCH, min(MAX_BATCH, per))


def process_files(root: Path, items: Iterable[InputFile], cfg: Config) -> tuple[list[Document], list[Reject]]:
    """Read, decode, extract and clean every document in the given files."""
    docs: list[Document] = []
    rejects: list[Reject] = []
    for result in iter_processed(root, items, cfg):
        (docs if isinstance(result, Document) else rejects).append(result)
    return docs, rejects


def iter_processed(root: Path, items: Iterable[InputFile], cfg: Config) -> Iterator[Document | Reject]:
    """``process_files`` one result at a time, in file and record order (a feed dump of
    100,000 records is then never held as 100,000 documents)."""
    for item in items:
        yield from clean_all(read_file(root, item, cfg.read), cfg)


def accounting(files: Iterable[str], doc_paths: Iterable[str], reject_paths: Iterable[str]) -> dict[str, Any]:
    """Every input file must appear in documents or rejects (or both, for multi-record files)."""
    seen = set(files)
    in_docs = Counter(doc_paths)
    in_rejects = Counter(reject_paths)
    missing = sorted(p for p in seen if p not in in_docs and p not in in_rejects)
    return {
        "files_seen": len(seen),
        "files_with_documents": sum(1 for p in seen if p in in_docs),
        "files_only_rejected": sum(1 for p in seen if p not in in_docs and p in in_rejects),
        "documents": sum(in_docs.values()),
        "rejected": sum(in_rejects.values()),
        "unaccounted_files": missing,
        "ok": not missing,
    }
