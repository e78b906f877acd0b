"""Readers: turn every file under INPUT_DIR into RawDocs or Rejects.

Each reader yields, never raises for bad input: a file that cannot be read is
a ``Reject`` with a reason, so nothing is dropped silently.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from cleaners.config import ReadConfig
from cleaners.records import Fix, RawDoc, Reject, Source

HTML_EXTS = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_EXTS = {".txt", ".text"}
JSON_EXTS = {".json"}
JSONL_EXTS = {".jsonl", ".ndjson"}
WARC_EXTS = {".warc"}

# Field names accepted in JSON records, in order of preference.
URL_KEYS = ("url", "link", "uri", "canonical_url")
TITLE_KEYS = ("title", "headline")
HTML_KEYS = ("html", "raw_html", "content_html", "body_html")
TEXT_KEYS = ("text", "content", "body", "article", "maintext", "description")
OUTLET_KEYS = ("outlet", "source", "site", "site_name", "sitename", "publisher", "domain")
DATE_KEYS = ("published", "date", "published_at", "publishedAt", "pubdate",
             "date_published", "datePublished", "datetime", "timestamp")
LIST_KEYS = ("articles", "items", "data", "records", "results", "documents", "docs")

MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"RIFF", "riff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x1f\x8b", "gzip"),
)


@dataclass(frozen=True)
class InputFile:
    """A file found under INPUT_DIR (relative POSIX path) or why it is skipped."""

    path: str  # printable, JSON-safe relative path (non-UTF-8 bytes shown as \xNN)
    size: int
    problem: str | None = None  # reject reason found during discovery
    detail: str = ""
    # The real relative path as hex of its bytes, when it differs from ``path``
    # (names with bytes that are not UTF-8); used to open the file.
    raw_path_hex: str | None = None
    # A share of a large feed or WARC file (see feed_shares, warc_shares): (first byte,
    # end byte, number of its first record). None: the whole file.
    share: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.share is not None and not isinstance(self.share, tuple):  # a list, read back from JSON
            object.__setattr__(self, "share", tuple(self.share))

    def fs_path(self, root: Path) -> Path:
        if self.raw_path_hex is None:
            return root / self.path
        return root / os.fsdecode(bytes.fromhex(self.raw_path_hex))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def outlet_from_url(url: str | None) -> str | None:
    """The host of a URL without 'www.'/'amp.'/'m.' prefixes: a stable outlet name."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    for prefix in ("www.", "amp.", "m.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host or None


def discover(root: Path, cfg: ReadConfig, exclude: Path | None = None) -> Iterator[InputFile]:
    """Every file below root, sorted for a stable order; symlinks are reported, not followed.

    ``exclude`` (the output folder, when it sits inside INPUT_DIR) is skipped.
    """
    root = root.resolve()
    excluded = exclude.resolve() if exclude is not None else None
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: Path) -> Iterator[InputFile]:
        try:
            st = directory.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                yield InputFile(_rel(directory, root), 0, "symlink-loop", "directory visited twice")
                return
            seen_dirs.add(key)
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            yield InputFile(_rel(directory, root), 0, "unreadable-directory", str(exc))
            return
        for entry in entries:
            rel = _rel(Path(entry.path), root)
            try:
                if entry.is_symlink():
                    target = Path(os.path.realpath(entry.path))
                    if not cfg.follow_symlinks:
                        yield InputFile(rel, 0, "symlink-not-followed",
                                        "pass --follow-symlinks to read symlinked files")
                        continue
                    if not target.exists():
                        yield InputFile(rel, 0, "broken-symlink", str(target))
                        continue
                    if root not in target.parents and target != root:
                        yield InputFile(rel, 0, "symlink-outside-input", "target is outside INPUT_DIR")
                        continue
                if entry.is_dir(follow_symlinks=cfg.follow_symlinks):
                    if excluded is not None and Path(entry.path).resolve() == excluded:
                        continue
                    yield from walk(Path(entry.path))
                elif entry.is_file(follow_symlinks=cfg.follow_symlinks):
                    real = Path(entry.path).relative_to(root).as_posix()
                    yield InputFile(rel, entry.stat(follow_symlinks=cfg.follow_symlinks).st_size,
                                    raw_path_hex=None if real == rel else os.fsencode(real).hex())
                else:
                    yield InputFile(rel, 0, "not-a-regular-file", "device, socket or fifo")
            except OSError as exc:
                yield InputFile(rel, 0, "unreadable-file", str(exc))

    yield from walk(root)


def _rel(path: Path, root: Path) -> str:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    return printable_path(rel)


def printable_path(rel: str) -> str:
    r"""A relative path as ``source.path`` shows it: printable, JSON-safe and unique.

    Bytes of a name that are not UTF-8 (surrogateescaped by the filesystem encoding) are
    shown as ``\xNN``; a literal backslash followed by ``x`` is shown as ``\x5c`` so that a
    file really named ``caf\xe9.txt`` cannot take the path of ``caf`` + byte 0xE9 + ``.txt``:
    in the result every ``\x`` is an escape.

    >>> printable_path(b"caf\xe9.txt".decode("utf-8", "surrogateescape"))
    'caf\\xe9.txt'
    >>> printable_path("caf\\xe9.txt")
    'caf\\x5cxe9.txt'
    """
    rel = rel.replace("\\x", "\\x5cx")
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def format_of(path: str) -> tuple[str | None, bool]:
    """(format, gzipped) from a file name; format None when unsupported."""
    name = path.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    ext = os.path.splitext(name)[1]
    for fmt, exts in (("html", HTML_EXTS), ("txt", TEXT_EXTS), ("json", JSON_EXTS),
                      ("jsonl", JSONL_EXTS), ("warc", WARC_EXTS)):
        if ext in exts:
            return fmt, gz
    return None, gz


def sniff_binary(data: bytes) -> str | None:
    """Name of a binary type when the bytes are clearly not text, else None."""
    head = data[:16]
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return None  # UTF-16/32 and UTF-8 BOMs: text with NULs is expected
    sample = data[:8192]
    if b"\x00" in sample:
        # UTF-16 without BOM has NULs in every other byte; accept it.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if max(even, odd) > 0.4 * (len(sample) / 2) and min(even, odd) < 0.05 * (len(sample) / 2):
            return None
        return "binary (NUL bytes)"
    return None


class InputRefused(Exception):
    """An input file that is no longer what discovery found (swapped for a symlink, a fifo,
    or another file): never read; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_NONBLOCK", 0)  # a fifo swapped in must not block the open


def open_input(path: Path, follow_symlinks: bool, root: Path | None = None) -> BinaryIO:
    """An input file opened for reading bytes, when it is still what discovery found: a regular
    file, reached through no symlink unless ``follow_symlinks`` (O_NOFOLLOW on the file, its real
    path checked for its folders), inside ``root`` (INPUT_DIR) when given. The checks are made
    on the opened file, so a file swapped between discovery and reading (for a symlink to a file
    outside, a fifo, another file) is refused, never read. Raises InputRefused or OSError."""
    flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and os.path.islink(path):  # ELOOP on Linux, EMLINK on FreeBSD
            raise InputRefused("symlink-not-followed", "it became a symlink after it was found "
                               "(pass --follow-symlinks to read symlinked files)") from exc
        raise
    fh = os.fdopen(fd, "rb")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused("not-a-regular-file", "it became a folder, device, socket or fifo "
                               "after it was found")
        os.set_blocking(fd, True)
        if root is not None:
            _check_inside(path, root, st, follow_symlinks)
    except BaseException:
        fh.close()
        raise
    return fh


def _check_inside(path: Path, root: Path, opened: os.stat_result, follow_symlinks: bool) -> None:
    """Raise InputRefused unless the opened file is the one at ``path`` now, and ``path``
    reaches it inside ``root`` (through no symlinked folder unless follow_symlinks)."""
    base = os.path.realpath(root)
    real = os.path.realpath(path)
    if not follow_symlinks and real != os.path.join(base, os.path.relpath(path, root)):
        raise InputRefused("symlink-not-followed", "a folder on its path became a symlink after "
                           "it was found (pass --follow-symlinks to read symlinked files)")
    if os.path.commonpath([base, real]) != base:
        raise InputRefused("symlink-outside-input", "its target is outside INPUT_DIR "
                           "(changed after it was found)")
    try:
        now = os.stat(real)
    except OSError:
        now = None
    if now is None or not os.path.samestat(opened, now):
        raise InputRefused("changed-during-read", "the file at this path was replaced while it "
                           "was being opened")


def _read_bounded(fh: BinaryIO, gz: bool, cfg: ReadConfig) -> bytes:
    """The bytes of an opened file, decompressing .gz with a hard bound on the output size."""
    if not gz:
        data = fh.read(cfg.max_file_bytes + 1)
        if len(data) > cfg.max_file_bytes:
            raise _TooLarge(f"file is over {cfg.max_file_bytes} bytes (raise --max-file-mb)")
        return data
    with gzip.GzipFile(fileobj=fh, mode="rb") as gzfh:
        data = gzfh.read(cfg.max_decompressed_bytes + 1)
    if len(data) > cfg.max_decompressed_bytes:
        raise _TooLarge(f"decompresses to over {cfg.max_decompressed_bytes} bytes (gzip bomb guard)")
    if len(data) > cfg.max_file_bytes:
        raise _TooLarge(f"decompressed file is over {cfg.max_file_bytes} bytes (raise --max-file-mb)")
    return data


class _TooLarge(Exception):
    pass


def read_file(root: Path, item: InputFile, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
    """All documents in one input file, or Rejects saying why not."""
    fmt, gz = format_of(item.path)
    fmt_label = (fmt or "unknown") + ("+gz" if gz else "")
    bare = Source(path=item.path, record=None, sha256="", format=fmt_label)
    if item.problem:
        yield Reject(bare, item.problem, item.detail)
        return
    if fmt is None:
        yield Reject(bare, "unsupported-format",
                     "expected .html/.htm, .txt, .json, .jsonl, .warc (optionally .gz)")
        return
    if item.share is not None:  # a share of a feed (of its decompressed bytes) or of a WARC
        data = _read_share(root, item, cfg, gz and fmt == "jsonl")
        if data is not None:
            if fmt == "warc":
                yield from _warc_records(io.BytesIO(data), bare, cfg, item.share[2])
            else:
                yield from _read_jsonl(data, bare, item.share[2], max_line=cfg.max_file_bytes)
            return
        if item.share[0] > 0:  # the file changed since it was cut: its first share reads all of it
            return
    try:
        fh = open_input(item.fs_path(root), cfg.follow_symlinks, root)
    except InputRefused as exc:
        yield Reject(bare, exc.reason, exc.detail)
        return
    except FileNotFoundError as exc:
        yield Reject(bare, "vanished", f"file disappeared during the run: {exc}")
        return
    except OSError as exc:
        yield Reject(bare, "unreadable-file", f"{type(exc).__name__}: {exc}")
        return
    with fh:
        if fmt == "warc":
            yield from _read_warc(fh, bare, cfg)
        elif fmt == "jsonl":
            yield from _read_feed(fh, gz, bare, cfg)
        else:
            yield from _read_single(fh, gz, fmt, bare, cfg)


def _read_single(fh: BinaryIO, gz: bool, fmt: str, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
    """The document(s) of an HTML, text or JSON file, read whole and bounded as a file: a .json
    list is parsed whole, so its records cannot be bounded one by one (a feed too big for the
    file limit belongs in JSON Lines, whose records are)."""
    try:
        data = _read_bounded(fh, gz, cfg)
    except _TooLarge as exc:
        yield Reject(bare, "too-large", str(exc))
        return
    except (OSError, EOFError, zlib.error) as exc:
        reason = "bad-gzip" if gz else "unreadable-file"
        yield Reject(bare, reason, f"{type(exc).__name__}: {exc}")
        return
    src = Source(path=bare.path, record=None, sha256=sha256(data), format=bare.format)
    if not data.strip():
        yield Reject(src, "empty-file", f"{len(data)} bytes, no content")
        return
    binary = sniff_binary(data)
    if binary:
        yield Reject(src, "binary-content", f"looks like {binary}, not {fmt}")
        return
    if fmt == "html":
        yield RawDoc(src, data, "html")
    elif fmt == "txt":
        yield RawDoc(src, data, "text")
    else:
        yield from _read_json(data, src)


_CHUNK = 1 << 20  # bytes read at a time from a streamed feed


def _chunks(fh: BinaryIO, gz: bool, cfg: ReadConfig, chunk: int = _CHUNK) -> Iterator[bytes]:
    """The (decompressed) bytes of an opened file in chunks, none empty; a .gz stops with
    _TooLarge past the gzip-bomb bound."""
    total = 0
    with (gzip.GzipFile(fileobj=fh, mode="rb") if gz else contextlib.nullcontext(fh)) as src:
        while data := src.read(chunk):
            total += len(data)
            if gz and total > cfg.max_decompressed_bytes:
                raise _TooLarge(f"decompresses to over {cfg.max_decompressed_bytes} bytes (gzip bomb guard)")
            yield data


def _read_feed(fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
    """The records of a whole JSON Lines file, streamed: each record is bounded by
    max_file_bytes, not the file, so a record over it is rejected alone (too-large, with its
    number) and the records around it are read. A first pass checks the file as a whole,
    before any record: a .gz over the gzip-bomb bound, a bad .gz, a blank or binary file is
    one reject, as a file read whole; it also gives the file's hash for those rejects."""
    digest, size, head, blank = hashlib.sha256(), 0, b"", True
    try:
        for data in _chunks(fh, gz, cfg):
            digest.update(data)
            size += len(data)
            head += data[:8192 - len(head)]
            blank = blank and data.isspace()
    except _TooLarge as exc:
        yield Reject(bare, "too-large", str(exc))
        return
    except (OSError, EOFError, zlib.error) as exc:
        yield Reject(bare, "bad-gzip" if gz else "unreadable-file", f"{type(exc).__name__}: {exc}")
        return
    src = Source(bare.path, None, digest.hexdigest(), bare.format)
    if blank:
        yield Reject(src, "empty-file", f"{size} bytes, no content")
        return
    binary = sniff_binary(head)
    if binary:
        yield Reject(src, "binary-content", f"looks like {binary}, not jsonl")
        return
    record = 0
    try:
        fh.seek(0)
        for result in _feed_records(_lines(_chunks(fh, gz, cfg), cfg.max_file_bytes), src, 0,
                                    cfg.max_file_bytes):
            record = (result.source.record or 0) + 1
            yield result
    except (_TooLarge, OSError, EOFError, zlib.error) as exc:  # it read whole a moment ago
        yield Reject(Source(src.path, record, "", src.format), "changed-during-read",
                     f"{type(exc).__name__}: {str(exc)[:200]}; records from {record} on not read")


@dataclass(frozen=True)
class _LongLine:
    """A line over the record bound, not held: its size, hash and whether it is blank."""

    size: int
    sha256: str
    blank: bool


def _lines(chunks: Iterable[bytes], max_line: int | None) -> Iterator[bytes | _LongLine]:
    """The lines of a stream of chunks, cut as ``bytes.splitlines`` cuts the joined bytes (at
    \\n, \\r\\n and \\r). A line growing past ``max_line`` bytes is not held: it is hashed as it
    streams past and given as a _LongLine, so at most max_line bytes and a chunk are held."""
    buf = bytearray()  # the start of a line whose end is not read yet
    long: Any = None  # the hash of a line over max_line, while its end is looked for
    long_size, long_blank = 0, True
    skip_lf = False  # the last chunk ended with \r: a \n first in the next ends the same line
    for chunk in chunks:
        if skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        skip_lf = False
        if long is not None:
            end = _line_break(chunk)
            if end < 0:
                long.update(chunk)
                long_size, long_blank = long_size + len(chunk), long_blank and (not chunk or chunk.isspace())
                continue
            piece = chunk[:end]
            long.update(piece)
            yield _LongLine(long_size + len(piece), long.hexdigest(),
                            long_blank and (not piece or piece.isspace()))
            long = None
            brk = 2 if chunk[end:end + 2] == b"\r\n" else 1
            skip_lf = chunk[end:end + brk] == b"\r" and end + 1 == len(chunk)
            chunk = chunk[end + brk:]
        last = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if last < 0:
            buf += chunk
        else:
            whole = bytes(buf) + chunk[:last + 1]
            buf = bytearray(chunk[last + 1:])
            skip_lf = last == len(chunk) - 1 and chunk[last] == 0x0D  # b"\r" last
            yield from whole.splitlines()
        if max_line is not None and len(buf) > max_line:
            long = hashlib.sha256(buf)
            long_size, long_blank = len(buf), buf.isspace()
            buf = bytearray()
    if long is not None:
        yield _LongLine(long_size, long.hexdigest(), long_blank)
    elif buf:
        yield bytes(buf)


def _line_break(data: bytes) -> int:
    """Where the first line break (\\n or \\r) in data is, or -1."""
    n, r = data.find(b"\n"), data.find(b"\r")
    return n if r < 0 else r if n < 0 else min(n, r)


def feed_shares(path: Path, share_bytes: int, max_line: int | None = None, gz: bool = False,
                max_size: int | None = None, follow_symlinks: bool = False) -> list[tuple[int, int, int]] | None:
    """A JSON Lines file cut into ranges of about ``share_bytes`` that end after a
    newline: (first byte, end byte, number of the range's first record), blank
    lines not counted, so reading the ranges one after another (``InputFile.share``)
    gives exactly the records of reading the file whole. Ranges without a record
    join their neighbour; a file too small to cut is one range. With ``gz`` the
    bytes are those of the decompressed file, read once, front to back.

    None when a line is longer than ``max_line`` bytes (it would have to be held to
    find its end) or the (decompressed) file is over ``max_size`` bytes.

    A range starts right after a ``\\n`` byte, where ``bytes.splitlines`` starts a
    line too (a ``\\r\\n`` is never cut), whatever the records' encoding. The file is
    opened as the reader opens it (``open_input``).
    """
    if share_bytes < 1:
        raise ValueError(f"share_bytes must be >= 1, got {share_bytes!r}")
    shares: list[tuple[int, int, int]] = []
    record = start = 0
    buf = bytearray()  # read, not yet in a range
    with open_input(path, follow_symlinks) as raw, \
            (gzip.open(raw, "rb") if gz else contextlib.nullcontext(raw)) as fh:
        eof = False
        while True:
            while len(buf) < share_bytes and not eof:
                more = fh.read(max(share_bytes - len(buf), 64 * 1024))
                eof = not more
                buf += more
            if not buf:
                break
            end = buf.find(b"\n", min(share_bytes, len(buf)) - 1)  # the end of the line there
            while end < 0 and not eof:
                seen = len(buf)
                more = fh.read(64 * 1024)
                eof = not more
                buf += more
                end = buf.find(b"\n", seen)
                if end < 0 and max_line is not None and len(buf) > share_bytes + max_line:
                    return None  # that line began inside the first share_bytes
            end = end + 1 if end >= 0 else len(buf)
            if max_line is not None and end > share_bytes + max_line:
                return None
            chunk = bytes(buf[:end])
            del buf[:end]
            records = sum(1 for line in chunk.splitlines() if line.strip())
            if shares and (not records or shares[-1][2] == record):  # either side has no record
                shares[-1] = (shares[-1][0], start + len(chunk), shares[-1][2])
            else:
                shares.append((start, start + len(chunk), record))
            record += records
            start += len(chunk)
            if max_size is not None and start > max_size:
                return None
    return shares or [(0, 0, 0)]


def _read_share(root: Path, item: InputFile, cfg: ReadConfig, gz: bool = False) -> bytes | None:
    """The bytes of ``item.share`` (of the decompressed file with ``gz``: the bytes before
    it are decompressed and dropped); None when the file's size is no longer the one it
    was cut at (``item.size``): it changed since, and is read whole instead (as is a file
    that cannot be opened as discovery found it: the whole read names why)."""
    assert item.share is not None
    start, end, _ = item.share
    try:
        with open_input(item.fs_path(root), cfg.follow_symlinks, root) as raw:
            if os.fstat(raw.fileno()).st_size != item.size:
                return None
            if not gz:
                raw.seek(start)
                return raw.read(end - start)
            with gzip.open(raw, "rb") as fh:
                skip = start
                while skip > 0:
                    got = len(fh.read(min(skip, 1 << 20)))
                    if not got:
                        return None
                    skip -= got
                return fh.read(end - start)
    except (InputRefused, OSError, EOFError, zlib.error):
        return None  # the whole-file read names the error


_TOO_DEEP = "JSON nesting exceeded the parser's limit"


def _read_jsonl(data: bytes, src: Source, first_record: int = 0,
                max_line: int | None = None) -> Iterator[RawDoc | Reject]:
    """The records of JSON Lines bytes (a share of a feed), numbered from first_record; a line
    over max_line bytes is rejected as too large."""
    return _feed_records(data.splitlines(), src, first_record, max_line)


def _feed_records(lines: Iterable[bytes | _LongLine], src: Source, first_record: int,
                  max_line: int | None) -> Iterator[RawDoc | Reject]:
    """The records of the lines of a feed, numbered from first_record, blank lines not
    counted; a line over max_line bytes is a too-large reject of that record alone."""
    record = first_record
    for line in lines:
        if isinstance(line, _LongLine):
            if line.blank:
                continue
            yield Reject(Source(src.path, record, line.sha256, src.format), "too-large",
                         _record_too_large(line.size, max_line))
            record += 1
            continue
        if not line.strip():
            continue
        rsrc = Source(src.path, record, sha256(line), src.format)
        record += 1
        if max_line is not None and len(line) > max_line:
            yield Reject(rsrc, "too-large", _record_too_large(len(line), max_line))
            continue
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            yield Reject(rsrc, "invalid-json", str(exc)[:200])
            continue
        except RecursionError:
            yield Reject(rsrc, "too-deeply-nested", _TOO_DEEP)
            continue
        yield _from_json_object(obj, rsrc, line)


def _record_too_large(size: int, max_line: int | None) -> str:
    return f"record of {size} bytes, over {max_line} (raise --max-file-mb); the other records are read"


def _read_json(data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        yield Reject(src, "invalid-json", str(exc)[:200])
        return
    except RecursionError:
        yield Reject(src, "too-deeply-nested", _TOO_DEEP)
        return
    items: list[Any]
    if isinstance(obj, list):
        items = obj
    elif isinstance(obj, dict) and any(isinstance(obj.get(k), list) for k in LIST_KEYS) \
            and not any(k in obj for k in TEXT_KEYS + HTML_KEYS):
        key = next(k for k in LIST_KEYS if isinstance(obj.get(k), list))
        items = obj[key]
    else:
        yield _from_json_object(obj, src, data)
        return
    if not items:
        yield Reject(src, "no-records", "the JSON holds an empty list of records")
        return
    for i, item in enumerate(items):
        # surrogatepass: a lone surrogate escape in the record must not stop its hashing
        raw = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
        yield _from_json_object(item, Source(src.path, i, sha256(raw), src.format), raw)


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, dict):  # e.g. NewsAPI's source: {id, name}
            value = value.get("name") or value.get("id")
        if value not in (None, "", [], {}):
            return value
    return None


# JSON can escape half of a surrogate pair ("\ud83d" without its "\ude00": a cut emoji from
# a JavaScript serializer); json.loads keeps it as a lone surrogate, which no UTF-8 writer
# accepts. Such characters become U+FFFD (as ftfy's fix_surrogates does), and the document
# says so in its fixes.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(fields: dict[str, Any]) -> tuple[dict[str, Any], tuple[Fix, ...]]:
    """The string fields with lone surrogates replaced, and the fix that says how many."""
    out, n = dict(fields), 0
    for key, value in fields.items():
        if isinstance(value, str):
            out[key], k = _LONE_SURROGATE.subn("\ufffd", value)
            n += k
    if not n:
        return fields, ()
    return out, (Fix("json:lone-surrogates", f"{n} lone surrogate escape(s) replaced with U+FFFD"),)


def _from_json_object(obj: Any, src: Source, raw: bytes) -> RawDoc | Reject:
    if not isinstance(obj, dict):
        return Reject(src, "invalid-record", f"expected a JSON object, got {type(obj).__name__}")
    url = _first(obj, URL_KEYS)
    outlet = _first(obj, OUTLET_KEYS)
    title = _first(obj, TITLE_KEYS)
    published = _first(obj, DATE_KEYS)
    fields, fixes = _without_surrogates({
        "url": str(url) if url is not None else None, "outlet": str(outlet) if outlet is not None else None,
        "title": str(title) if title else None, "published": str(published) if published is not None else None,
        "html": _first(obj, HTML_KEYS), "text": _first(obj, TEXT_KEYS)})
    url, html, text = fields["url"], fields["html"], fields["text"]
    outlet = fields["outlet"] if fields["outlet"] is not None else outlet_from_url(url)
    src = Source(src.path, src.record, src.sha256, src.format, url, outlet)
    common = dict(title=fields["title"], published=fields["published"])
    if isinstance(html, str) and html.strip():
        return _html_record(src, html, fixes, common)
    if isinstance(text, str) and text.strip():
        if "<p" in text[:5000].lower() or "<div" in text[:5000].lower():
            return _html_record(src, text, fixes, common)
        return RawDoc(src, text.encode("utf-8"), "text", "utf-8", text=text, fixes=fixes, **common)
    return Reject(src, "no-content",
                  f"record has none of the fields {', '.join(HTML_KEYS + TEXT_KEYS)}")


def _html_record(src: Source, html: str, fixes: tuple[Fix, ...], common: dict[str, Any]) -> RawDoc | Reject:
    """A record's HTML: a page goes to main-text extraction; a fragment (an article's body
    or a snippet of it: fragments.is_fragment) has no page around it to extract from, so its
    text is taken paragraph by paragraph, and the record's fixes say so."""
    from cleaners.read.fragments import fragment_paragraphs, is_fragment  # lxml: loaded when used

    paragraphs = fragment_paragraphs(html) if is_fragment(html) else None
    if paragraphs is None:  # a page, or a fragment lxml cannot parse: extraction tries it
        return RawDoc(src, html.encode("utf-8"), "html", "utf-8", fixes=fixes, **common)
    if not paragraphs:
        return Reject(src, "no-main-text", "the record's HTML is a fragment without text")
    fix = Fix("json:html-fragment", f"{len(paragraphs)} paragraph(s) of an HTML fragment taken as "
                                    "they are (lxml), not through main-text extraction")
    return RawDoc(src, html.encode("utf-8"), "text", "utf-8", text="\n\n".join(paragraphs),
                  fixes=fixes + (fix,), **common)


def _read_warc(fh: BinaryIO, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
    """The documents of a whole WARC file. No bound on the file: its records are streamed,
    each bounded by max_file_bytes."""
    size = os.fstat(fh.fileno()).st_size
    read = yield from _warc_records(fh, bare, cfg, 0)
    if read is None:  # corrupt-warc, said
        return
    produced, records = read
    if not produced and records == 0 and size > 0:
        yield Reject(bare, "corrupt-warc", "no readable WARC record")
    elif not produced:
        yield Reject(bare, "empty-warc", f"{records} records, none of them a response")


def _warc_records(fh: Any, bare: Source, cfg: ReadConfig,
                  index: int) -> Generator[RawDoc | Reject, None, tuple[bool, int] | None]:
    """The documents of the WARC records in ``fh`` (a file, or a share of one: a run of
    whole records), numbered from ``index``. Returns whether any record was numbered and
    how many records were read, or None when warcio failed (a corrupt-warc reject ends it).

    A crawl stopped while writing leaves its last record cut short, which warcio reads
    without a word: a payload shorter than its Content-Length, or (gzipped) a member cut
    inside its headers, which it skips. Both are truncated-record rejects, never a partial
    document nor a lost record."""
    from warcio.archiveiterator import ArchiveIterator

    produced = False
    records = 0
    end = 0  # where the last whole record ends in fh
    try:
        it = ArchiveIterator(fh)
        for rec in it:
            src = Source(bare.path, index, "", bare.format)
            if _invalid_warc_record(rec):
                yield Reject(src, "corrupt-warc", "record without WARC-Type or WARC-Record-ID")
                index += 1
                produced = True
            else:
                records += 1
                if rec.rec_type in ("response", "resource"):
                    yield _warc_document(rec, src, cfg)
                    index += 1
                    produced = True
            end = it.get_record_offset() + it.get_record_length()
        tail = _unread_tail(fh, end)
    except Exception as exc:  # noqa: BLE001 - warcio fails on damaged files in many ways
        # (ArchiveLoadFailed, zlib.error, EOFError, ValueError; AttributeError on a response
        # without WARC-Target-URI): the file ends here, named, and the run goes on
        yield Reject(Source(bare.path, index, "", bare.format), "corrupt-warc",
                     f"{type(exc).__name__}: {str(exc)[:200]}")
        return None
    if tail > 0 and (records or produced):  # bytes after the last whole record: one cut in its headers
        yield Reject(Source(bare.path, index, "", bare.format), "truncated-record",
                     f"the file ends inside a record: its last {tail} bytes are a record cut short "
                     "in its headers (a crawl stopped while writing it?)")
        produced = True
    return produced, records


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
    headers = rec.http_headers if rec.http_headers is not None else rec.rec_headers
    ctype = headers.get_header("Content-Type") or ""
    if rec.length is None:  # the header block ended before its Content-Length: cut short
        return Reject(replace(src, url=url, outlet=outlet_from_url(url)), "truncated-record",
                      "record without Content-Length: its header block is cut short (a crawl "
                      "stopped while writing it?) or damaged")
    body = rec.content_stream().read(cfg.max_file_bytes + 1)
    src = Source(src.path, src.record, sha256(body), src.format, url, outlet_from_url(url))
    if len(body) <= cfg.max_file_bytes:  # read to its end: was it all there?
        held = _block_bytes_held(rec)
        if held is not None and held < rec.length:
            return Reject(src, "truncated-record",
                          f"record cut short: the file holds {held} of its {rec.length} bytes "
                          "(Content-Length; a crawl stopped while writing it?)")
    if rec.http_headers is not None:
        status = rec.http_headers.get_statuscode()
        if status and not status.startswith("2"):
            return Reject(src, "http-status", f"HTTP {status} for {url}")
    if len(body) > cfg.max_file_bytes:
        return Reject(src, "too-large", f"record over {cfg.max_file_bytes} bytes")
    main_type = ctype.split(";")[0].strip().lower()
    if main_type and "html" not in main_type and main_type != "text/plain":
        return Reject(src, "not-a-document", f"content type {main_type}")
    if not body.strip():
        return Reject(src, "empty-record", "response with no body")
    charset = None
    if "charset=" in ctype.lower():
        charset = ctype.lower().split("charset=")[1].split(";")[0].strip(" '\"")
    kind = "text" if main_type == "text/plain" else "html"
    return RawDoc(src, body, kind, charset)


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


def warc_shares(path: Path, share_bytes: int, follow_symlinks: bool = False) -> list[tuple[int, int, int]] | None:
    """A WARC file cut at record boundaries into ranges of about ``share_bytes`` (of the
    file, compressed or not): (first byte, end byte, number of the range's first
    record), so reading the ranges one after another gives the records of reading
    the file whole. Reads (and decompresses) the whole file once. None when the file
    cannot be cut: warcio fails on it, or it has no record that becomes a document
    or a reject. Ranges without such a record join their neighbour. The file is opened as
    the reader opens it (``open_input``)."""
    from warcio.archiveiterator import ArchiveIterator

    if share_bytes < 1:
        raise ValueError(f"share_bytes must be >= 1, got {share_bytes!r}")
    starts: list[tuple[int, int]] = []  # (offset, numbered records before it)
    numbered = 0
    try:
        with open_input(path, follow_symlinks) as fh:
            size = os.fstat(fh.fileno()).st_size
            it = ArchiveIterator(fh)  # parsing HTTP headers as the reader does: it fails where it fails
            for rec in it:
                starts.append((it.get_record_offset(), numbered))
                numbered += _numbered_warc_record(rec)
    except Exception:  # noqa: BLE001 - as the reader: a file warcio fails on is not cut
        return None
    if not numbered:
        return None
    shares: list[tuple[int, int, int]] = []
    for offset, before in starts:
        if not shares or (offset - shares[-1][0] >= share_bytes and before > shares[-1][2]):
            shares.append((offset, size, before))
    shares = [(a[0], b[0], a[2]) for a, b in zip(shares, shares[1:])] + shares[-1:]
    if shares[0][0] != 0:  # bytes before the first record (none in a valid file) stay with it
        shares[0] = (0, shares[0][1], shares[0][2])
    return shares


