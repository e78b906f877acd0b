"""WARC files (web crawls, warcio): a document for each response or resource record, each
bounded by max_file_bytes; a large crawl is cut into shares of whole records."""

from __future__ import annotations

import io
import os
from collections.abc import Generator, Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from cleaners.config import ReadConfig
from cleaners.read.base import Reader, Share, join_shares, outlet_from_url, sha256
from cleaners.records import RawDoc, Reject, Source


class WarcReader(Reader):
    """No bound on the file: its records are streamed (warcio reads a .warc.gz itself)."""

    name = "warc"
    suffixes = (".warc",)
    shares_decompressed = False  # each gzip member of a .warc.gz is a record, readable alone

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        size = os.fstat(fh.fileno()).st_size
        produced, records = yield from _warc_records(fh, bare, cfg, 0)
        if not produced and records == 0 and size > 0:
            yield Reject(bare, "corrupt-warc", "no readable WARC record")
        elif not produced:
            yield Reject(bare, "empty-warc", f"{records} records, none of them a response")

    def cuts(self, gz: bool, workers: int) -> bool:
        """Cutting reads the whole file once: it pays off only when several workers share it."""
        return workers > 1

    def shares(self, fh: BinaryIO, share_bytes: int, gz: bool, cfg: ReadConfig) -> list[Share] | None:
        return warc_shares(fh, share_bytes)

    def read_share(self, data: bytes, bare: Source, first_record: int, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        return _warc_records(io.BytesIO(data), bare, cfg, first_record)


def _warc_records(fh: Any, bare: Source, cfg: ReadConfig,
                  index: int) -> Generator[RawDoc | Reject, None, tuple[bool, int]]:
    """The documents of the WARC records in ``fh`` (a file, or a share of one: a run of
    whole records), numbered from ``index``. Returns whether anything was yielded (a
    corrupt-warc reject when warcio fails ends it) and how many valid records were read.

    A crawl stopped while writing leaves its last record cut short, which warcio reads
    without a word: a payload shorter than its Content-Length, or (gzipped) a member cut
    inside its headers, which it skips. Both are truncated-record rejects, never a partial
    document nor a lost record."""
    from warcio.archiveiterator import ArchiveIterator

    first, records, end = index, 0, 0  # end: where the last whole record ends in fh
    try:
        it = ArchiveIterator(fh)
        for rec in it:
            src = Source(bare.path, index, "", bare.format)
            if _invalid_warc_record(rec):
                yield Reject(src, "corrupt-warc", "record without WARC-Type or WARC-Record-ID")
            else:
                records += 1
                if rec.rec_type in ("response", "resource"):
                    yield _warc_document(rec, src, cfg)
            index += _numbered_warc_record(rec)
            end = it.get_record_offset() + it.get_record_length()
        tail = _unread_tail(fh, end)
    except Exception as exc:  # noqa: BLE001 - warcio fails on damaged files in many ways
        # (ArchiveLoadFailed, zlib.error, EOFError, ValueError; AttributeError on a response
        # without WARC-Target-URI): the file ends here, named, and the run goes on
        yield Reject(Source(bare.path, index, "", bare.format), "corrupt-warc",
                     f"{type(exc).__name__}: {str(exc)[:200]}")
        return True, records
    if tail > 0 and (records or index > first):  # bytes after the last whole record: one cut in its headers
        yield Reject(Source(bare.path, index, "", bare.format), "truncated-record",
                     f"the file ends inside a record: its last {tail} bytes are a record cut short "
                     "in its headers (a crawl stopped while writing it?)")
        return True, records
    return index > first, records


def _unread_tail(fh: Any, end: int) -> int:
    """How many bytes follow ``end`` (where the last whole record ends) in a WARC read to its
    end, unless they are blank (the two line ends after an uncompressed record)."""
    size = fh.tell()
    if size <= end:
        return 0
    fh.seek(end)
    return 0 if fh.read(64 * 1024).isspace() and size - end <= 64 * 1024 else size - end


def _warc_document(rec: Any, src: Source, cfg: ReadConfig) -> RawDoc | Reject:
    """The document of one response or resource record (``src`` gives its number), or why not."""
    url = rec.rec_headers.get_header("WARC-Target-URI")
    src = replace(src, url=url, outlet=outlet_from_url(url))
    headers = rec.http_headers if rec.http_headers is not None else rec.rec_headers
    ctype = headers.get_header("Content-Type") or ""
    if rec.length is None:  # the header block ended before its Content-Length: cut short
        return Reject(src, "truncated-record", "record without Content-Length: its header block is cut short "
                      "(a crawl stopped while writing it?) or damaged")
    body = rec.content_stream().read(cfg.max_file_bytes + 1)
    src = replace(src, sha256=sha256(body))
    if len(body) <= cfg.max_file_bytes:  # read to its end: was it all there?
        held = _block_bytes_held(rec)
        if held is not None and held < rec.length:
            return Reject(src, "truncated-record", f"record cut short: the file holds {held} of its {rec.length} "
                          "bytes (Content-Length; a crawl stopped while writing it?)")
    status = rec.http_headers.get_statuscode() if rec.http_headers is not None else None
    if status and not status.startswith("2"):
        return Reject(src, "http-status", f"HTTP {status} for {url}")
    if len(body) > cfg.max_file_bytes:
        return Reject(src, "too-large", f"record over {cfg.max_file_bytes} bytes")
    main_type = ctype.split(";")[0].strip().lower()
    if main_type and "html" not in main_type and main_type != "text/plain":
        return Reject(src, "not-a-document", f"content type {main_type}")
    if not body.strip():
        return Reject(src, "empty-record", "response with no body")
    lower = ctype.lower()
    charset = lower.split("charset=")[1].split(";")[0].strip(" '\"") if "charset=" in lower else None
    return RawDoc(src, body, "text" if main_type == "text/plain" else "html", charset)


def _block_bytes_held(rec: Any) -> int | None:
    """How many bytes of a record's block (Content-Length of them) the file holds, reading
    what is left of it; None when warcio does not bound the block (no Content-Length)."""
    from warcio.limitreader import LimitReader

    stream = rec.raw_stream
    if not isinstance(stream, LimitReader) or not isinstance(rec.length, int):
        return None
    while stream.read(1 << 16):
        pass
    return stream.tell()  # bytes read through the LimitReader: the block's bytes in the file


def _invalid_warc_record(rec: Any) -> bool:
    return rec.rec_type is None or rec.rec_headers.get_header("WARC-Record-ID") is None


def _numbered_warc_record(rec: Any) -> bool:
    """Whether a WARC record takes a record number in the output: a response or
    resource (a document or a reject), or an invalid record (a corrupt-warc reject)."""
    return _invalid_warc_record(rec) or rec.rec_type in ("response", "resource")


def warc_shares(fh: BinaryIO, share_bytes: int) -> list[Share] | None:
    """An opened WARC file cut at record boundaries into ranges of about ``share_bytes`` (of
    the file, compressed or not): (first byte, end byte, number of the range's first
    record), so reading the ranges one after another gives the records of reading
    the file whole. Reads (and decompresses) the whole file once. None when the file
    cannot be cut: warcio fails on it, or it has no record that becomes a document
    or a reject. Ranges without such a record join their neighbour."""
    from warcio.archiveiterator import ArchiveIterator

    if share_bytes < 1:
        raise ValueError(f"share_bytes must be >= 1, got {share_bytes!r}")
    starts: list[tuple[int, int]] = []  # (offset, numbered records before it)
    numbered = 0
    try:
        size = os.fstat(fh.fileno()).st_size
        it = ArchiveIterator(fh)  # parsing HTTP headers as the reader does: it fails where it fails
        for rec in it:
            starts.append((it.get_record_offset(), numbered))
            numbered += _numbered_warc_record(rec)
    except Exception:  # noqa: BLE001 - as the reader: a file warcio fails on is not cut
        return None
    return join_shares(starts, share_bytes, size) if numbered else None
