"""Feeds: JSON files (one record, or a list of them) and JSON Lines files (one record a line,
streamed, and cut into shares of whole lines when large)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cleaners.config import ReadConfig
from cleaners.read.base import Reader, Share, TooLarge, WholeFileReader, outlet_from_url, sha256, sniff_binary
from cleaners.records import Fix, RawDoc, Reject, Source

# Field names accepted in JSON records, in order of preference.
URL_KEYS = ("url", "link", "uri", "canonical_url")
TITLE_KEYS = ("title", "headline")
HTML_KEYS = ("html", "raw_html", "content_html", "body_html")
TEXT_KEYS = ("text", "content", "body", "article", "maintext", "description")
OUTLET_KEYS = ("outlet", "source", "site", "site_name", "sitename", "publisher", "domain")
DATE_KEYS = ("published", "date", "published_at", "publishedAt", "pubdate",
             "date_published", "datePublished", "datetime", "timestamp")
LIST_KEYS = ("articles", "items", "data", "records", "results", "documents", "docs")

_TOO_DEEP = "JSON nesting exceeded the parser's limit"


class JsonReader(WholeFileReader):
    """A JSON file, parsed whole: one record, a list of them, or a list under a key such as
    "articles". Bounded as a file, since its records cannot be bounded one by one (a feed too
    big for the file limit belongs in JSON Lines, whose records are)."""

    name = "json"
    suffixes = (".json",)

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
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


class JsonLinesReader(Reader):
    """A JSON Lines feed, streamed: each record is bounded by max_file_bytes, not the file,
    so a record over it is rejected alone (too-large, with its number) and the records around
    it are read. A large feed is cut into shares of whole lines."""

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        """A first pass checks the file as a whole, before any record: a .gz over the
        gzip-bomb bound, a bad .gz, a blank or binary file is one reject, as a file read
        whole; it also gives the file's hash for those rejects."""
        digest, size, head, blank = hashlib.sha256(), 0, b"", True
        try:
            for data in _chunks(fh, gz, cfg):
                digest.update(data)
                size += len(data)
                head += data[:8192 - len(head)]
                blank = blank and data.isspace()
        except TooLarge as exc:
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
        except (TooLarge, OSError, EOFError, zlib.error) as exc:  # it read whole a moment ago
            yield Reject(Source(src.path, record, "", src.format), "changed-during-read",
                         f"{type(exc).__name__}: {str(exc)[:200]}; records from {record} on not read")

    def cuts(self, gz: bool, workers: int) -> bool:
        """A .gz is decompressed through once to cut it, and a share decompresses what comes
        before it again (a .gz cannot be read from the middle): cut only for several workers."""
        return not gz or workers > 1

    def shares(self, fh: BinaryIO, share_bytes: int, gz: bool, cfg: ReadConfig) -> list[Share] | None:
        """``feed_shares`` of the (decompressed) file; None for a binary file, rejected whole."""
        with (gzip.open(fh, "rb") if gz else contextlib.nullcontext(fh)) as src:
            if sniff_binary(src.read(8192)):
                return None
            src.seek(0)
            return feed_shares(src, share_bytes, max_line=cfg.max_file_bytes,
                               max_size=cfg.max_decompressed_bytes if gz else None)

    def read_share(self, data: bytes, bare: Source, first_record: int, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        return _feed_records(data.splitlines(), bare, first_record, cfg.max_file_bytes)


_CHUNK = 1 << 20  # bytes read at a time from a streamed feed


def _chunks(fh: BinaryIO, gz: bool, cfg: ReadConfig, chunk: int = _CHUNK) -> Iterator[bytes]:
    """The (decompressed) bytes of an opened file in chunks, none empty; a .gz stops with
    TooLarge past the gzip-bomb bound."""
    total = 0
    with (gzip.GzipFile(fileobj=fh, mode="rb") if gz else contextlib.nullcontext(fh)) as src:
        while data := src.read(chunk):
            total += len(data)
            if gz and total > cfg.max_decompressed_bytes:
                raise TooLarge(f"decompresses to over {cfg.max_decompressed_bytes} bytes (gzip bomb guard)")
            yield data


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


def feed_shares(fh: BinaryIO, share_bytes: int, max_line: int | None = None,
                max_size: int | None = None) -> list[Share] | None:
    """The bytes of a JSON Lines stream (a .gz's decompressed bytes), read once front to back,
    cut into ranges of about ``share_bytes`` that end after a newline: (first byte, end byte,
    number of the range's first record), blank lines not counted, so reading the ranges one
    after another (``InputFile.share``) gives exactly the records of reading the file whole.
    Ranges without a record join their neighbour; a file too small to cut is one range.

    None when a line is longer than ``max_line`` bytes (it would have to be held to find its
    end) or the stream is over ``max_size`` bytes.

    A range starts right after a ``\\n`` byte, where ``bytes.splitlines`` starts a line too
    (a ``\\r\\n`` is never cut), whatever the records' encoding.
    """
    if share_bytes < 1:
        raise ValueError(f"share_bytes must be >= 1, got {share_bytes!r}")
    shares: list[Share] = []
    record = start = 0
    buf = bytearray()  # read, not yet in a range
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
