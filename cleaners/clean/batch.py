"""Batch-level helpers used by the flow: process a list of files, check the accounting."""

from __future__ import annotations

import gzip
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from cleaners.config import Config, ReadConfig
from cleaners.clean.pipeline import clean_all
from cleaners.read.readers import InputFile, feed_shares, format_of, open_input, read_file, sniff_binary, warc_shares
from cleaners.records import Document, Reject


BATCHES_PER_WORKER = 4  # the last batch to finish leaves the other workers idle for at most 1/4 of a share
MIN_BATCH = 50  # below this the tens of ms a task run costs are over 1% of the work (HTML: ~1 s a batch)
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
    number of shares that is a multiple of the workers (277 MB of WARC on 2 workers: 10
    shares, not 9 with the last one cleaned alone). Fewer, bigger
    shares: each task run also costs the run's Prefect server work, which a 2-core machine
    pays during matching (a 125 MB feed on 2 workers, 2026-11-26: 8 shares matched in
    18.7-19.6 s, 30 in 22.0-22.1 s, 59 in 22.1-22.9 s; cleaning 13.1-15.9 s for 8-30)."""
    workers = max(1, workers)
    per = -(-size // (BATCHES_PER_WORKER * workers))
    if per > MAX_SHARE_BYTES:  # more shares: a multiple of the workers, so none is left alone at the end
        n = -(-size // MAX_SHARE_BYTES)
        per = -(-size // (-(-n // workers) * workers))
    return max(cfg.share_bytes, per)


def split_files(root: Path, items: Iterable[InputFile], cfg: ReadConfig, workers: int = 1) -> list[InputFile]:
    """The items, with each JSON Lines file over ``cfg.share_bytes`` and (for more than
    one worker) each such gzipped feed or WARC file replaced by its shares, in order:
    ranges of whole lines (``readers.feed_shares``; of the decompressed bytes for a .gz)
    or whole records (``readers.warc_shares``) of about share_bytes_for bytes. Reading
    the shares in order gives the records of reading the file whole.

    A feed over ``cfg.max_file_bytes`` is read in shares too (a share is at most
    MAX_SHARE_BYTES and a line), and then its records must each be under the limit (as
    when it is read whole: the reader streams a feed, bounding each record). Files the
    reader would reject whole (binary, unreadable, too large, a .gz over the gzip-bomb
    bound) stay whole, to be rejected once. Files are opened as the reader opens them
    (``readers.open_input``): one swapped for a symlink or a fifo is not cut. Cutting
    a WARC or a .gz reads it through once here, and a gzipped share decompresses what
    comes before it again (a .gz cannot be read from the middle), so those are only cut
    when several workers share the work.
    """
    out: list[InputFile] = []
    for item in items:
        shares = None if item.problem or item.share is not None or item.size <= cfg.share_bytes \
            else _shares(item.fs_path(root), item, cfg, workers)
        if shares is None:
            out.append(item)
        else:
            out.extend(replace(item, share=s) for s in shares)
    return out


def _shares(path: Path, item: InputFile, cfg: ReadConfig, workers: int) -> list[tuple[int, int, int]] | None:
    """The shares of one file, or None when it stays whole."""
    fmt, gz = format_of(item.path)
    try:
        size = share_bytes_for(_gunzipped_size(path, cfg) if gz else item.size, workers, cfg)
        if fmt == "jsonl" and (not gz or workers > 1):
            with open_input(path, cfg.follow_symlinks) as raw, \
                    (gzip.open(raw, "rb") if gz else nullcontext(raw)) as fh:
                if sniff_binary(fh.read(8192)):
                    return None
            shares = feed_shares(path, size, max_line=cfg.max_file_bytes, gz=gz,
                                 max_size=cfg.max_decompressed_bytes if gz else None,
                                 follow_symlinks=cfg.follow_symlinks)
        elif fmt == "warc" and workers > 1:
            shares = warc_shares(path, size, follow_symlinks=cfg.follow_symlinks)
        else:
            return None
        now = path.stat().st_size
    except Exception:  # noqa: BLE001 - whatever fails here, the file is read whole and the reader names it
        return None
    if shares is None or len(shares) < 2 or now != item.size or (not gz and now != shares[-1][1]):
        return None
    return shares


def _gunzipped_size(path: Path, cfg: ReadConfig) -> int:
    """About how many bytes a .gz decompresses to: its trailer's size (modulo 4 GiB, of
    the last member only), or the file's size when that is less."""
    with open_input(path, cfg.follow_symlinks) as fh:
        fh.seek(-4, 2)
        return max(int.from_bytes(fh.read(4), "little"), os.fstat(fh.fileno()).st_size)


def batches_of(items: list[InputFile], size: int) -> list[list[InputFile]]:
    """Consecutive batches of up to ``size`` files, in order; each share of a cut
    file is a batch of its own (a share is already about a batch of work)."""
    batches: list[list[InputFile]] = []
    current: list[InputFile] = []
    for item in items:
        if item.share is not None:
            if current:
                batches.append(current)
                current = []
            batches.append([item])
            continue
        current.append(item)
        if len(current) == size:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return batches


def files_in(items: Iterable[InputFile]) -> int:
    """How many input files the items are: a file cut into shares counts once (at its first)."""
    return sum(1 for i in items if i.share is None or i.share[0] == 0)


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
