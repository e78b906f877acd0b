"""Every result of a list of files, held: what the flow's clean-batch task streams
(``cleaners.clean.batch.iter_processed``), gathered for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cleaners.clean.batch import iter_processed
from cleaners.config import Config
from cleaners.read.readers import InputFile
from cleaners.records import Document, Reject


def process_files(root: Path, items: Iterable[InputFile], cfg: Config) -> tuple[list[Document], list[Reject]]:
    """Read, decode, extract and clean every document in the given files: (documents, rejects)."""
    docs: list[Document] = []
    rejects: list[Reject] = []
    for result in iter_processed(root, items, cfg):
        (docs if isinstance(result, Document) else rejects).append(result)
    return docs, rejects
