"""Batch-level helpers used by the flow: process a list of files, check the accounting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cleaners.config import Config
from cleaners.pipeline import clean_all
from cleaners.readers import InputFile, read_file
from cleaners.records import Document, Reject


def process_files(root: Path, items: Iterable[InputFile], cfg: Config) -> tuple[list[Document], list[Reject]]:
    """Read, decode, extract and clean every document in the given files."""
    docs: list[Document] = []
    rejects: list[Reject] = []
    for item in items:
        for result in clean_all(read_file(root, item, cfg.read), cfg):
            (docs if isinstance(result, Document) else rejects).append(result)
    return docs, rejects


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
