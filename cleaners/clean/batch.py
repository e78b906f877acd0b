"""Batch-level helpers used by the flow: cut large files into shares, batch the files, clean
them one result at a time, check the accounting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from cleaners.config import Config, ReadConfig
from cleaners.clean.pipeline import clean_all
from cleaners.read.readers import InputFile, open_input, read_file, reader_for
from cleaners.records import Document, Reject


BATCHES_PER_WORKER = 4  # the last batch to finish leaves the other workers idle for at most 1/4 of a share
MIN_BATCH = 50  # below this a task run's own cost becomes a noticeable part of the batch's work
MAX_BATCH = 1000  # documents a worker holds at once; the progress bar moves at least every 1000 files
# A share of a cut file is at most this big (and a line or record): the bytes, their lines and
# the documents a worker holds for one share stay around 100 MB.
MAX_SHARE_BYTES = 32 * 1024 * 1024


def batch_size_for(n_files: int, workers: int, size: int | None = None) -> int:
    """Files per clean-batch task: ``size`` when given, else about BATCHES_PER_WORKER
    batches per worker, within [MIN_BATCH, MAX_BATCH]."""
    if size is not None:
        if size < 1:
            raise ValueError(f"batch size must be >= 1, got {size!r}")
        return size
    per = -(-n_files // (BATCHES_PER_WORKER * max(1, workers)))
    return max(MIN_BATCH, min(MAX_BATCH, per))


def share_bytes_for(size: int, workers: int, cfg: ReadConfig) -> int:
    """How big the shares of a file of ``size`` bytes are: about BATCHES_PER_WORKER per
    worker, like batches of files, at least cfg.share_bytes; at most MAX_SHARE_BYTES, in a
    number of shares that is a multiple of the workers (so none is cleaned alone at the end).
    Fewer, bigger shares: each task run also costs the run's Prefect server work, which a
    2-core machine pays during matching (benchmarks/RESULTS.md)."""
    workers = max(1, workers)
    per = -(-size // (BATCHES_PER_WORKER * workers))
    if per > MAX_SHARE_BYTES:  # more shares: a multiple of the workers, so none is left alone at the end
        n = -(-size // MAX_SHARE_BYTES)
        per = -(-size // (-(-n // workers) * workers))
    return max(cfg.share_bytes, per)


def split_files(root: Path, items: Iterable[InputFile], cfg: ReadConfig, workers: int = 1) -> list[InputFile]:
    """The items, with each file over ``cfg.share_bytes`` that its reader cuts
    (``Reader.cuts``: a JSON Lines file; for more than one worker, a gzipped feed or a WARC
    file) replaced by its shares, in order: ranges of whole lines (of the decompressed bytes
    for a .gz) or whole records of about share_bytes_for bytes (``Reader.shares``). Reading
    the shares in order gives the records of reading the file whole.

    A feed over ``cfg.max_file_bytes`` is read in shares too (a share is at most
    MAX_SHARE_BYTES and a line), and then its records must each be under the limit (as
    when it is read whole: the reader streams a feed, bounding each record). Files the
    reader would reject whole (binary, unreadable, too large, a .gz over the gzip-bomb
    bound) stay whole, to be rejected once. Files are opened as the reader opens them
    (``readers.open_input``): one swapped for a symlink or a fifo is not cut.
    """
    return [part for item in items for part in _cut(root, item, cfg, workers)]


def _cut(root: Path, item: InputFile, cfg: ReadConfig, workers: int) -> list[InputFile]:
    """The shares of one file, or [item] when it stays whole."""
    reader, gz = reader_for(item.path)
    if item.problem or item.share is not None or item.size <= cfg.share_bytes or reader is None \
            or not reader.cuts(gz, workers):
        return [item]
    path = item.fs_path(root)
    try:
        with open_input(path, cfg.follow_symlinks) as fh:
            size = share_bytes_for(_gunzipped_size(fh) if gz else item.size, workers, cfg)
            shares = reader.shares(fh, size, gz, cfg)
        now = path.stat().st_size
    except Exception:  # noqa: BLE001 - whatever fails here, the file is read whole and the reader names it
        return [item]
    if shares is None or len(shares) < 2 or now != item.size or (not gz and now != shares[-1][1]):
        return [item]
    return [replace(item, share=s) for s in shares]


def _gunzipped_size(fh: BinaryIO) -> int:
    """About how many bytes an opened .gz decompresses to: its trailer's size (modulo 4 GiB,
    of the last member only), or the file's size when that is less; leaves fh at its start."""
    fh.seek(-4, 2)
    size = max(int.from_bytes(fh.read(4), "little"), fh.tell())
    fh.seek(0)
    return size


def batches_of(items: list[InputFile], size: int) -> list[list[InputFile]]:
    """Consecutive batches of up to ``size`` files, in order; each share of a cut
    file is a batch of its own (a share is already about a batch of work)."""
    batches: list[list[InputFile]] = []
    for item in items:
        last = batches[-1] if batches else None
        if item.share is None and last and last[0].share is None and len(last) < size:
            last.append(item)
        else:
            batches.append([item])
    return batches


def files_in(items: Iterable[InputFile]) -> int:
    """How many input files the items are: a file cut into shares counts once (at its first)."""
    return sum(1 for i in items if i.share is None or i.share[0] == 0)


def iter_processed(root: Path, items: Iterable[InputFile], cfg: Config) -> Iterator[Document | Reject]:
    """Read, decode, extract and clean every document in the given files, one result at a
    time, in file and record order (a feed dump of 100,000 records is then never held as
    100,000 documents)."""
    for item in items:
        yield from clean_all(read_file(root, item, cfg.read), cfg)


def accounting(files: Iterable[str], doc_paths: Iterable[str], reject_paths: Iterable[str]) -> dict[str, Any]:
    """Every input file must appear in documents or rejects (or both, for multi-record files)."""
    seen, in_docs, in_rejects = set(files), Counter(doc_paths), Counter(reject_paths)
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
