"""Feeds: JSON files (one record, or a list of them) and JSON Lines files (one record a line,
streamed, and cut into shares of whole lines when large). A record's HTML that is a fragment
of an article, not a page, is read as it is (``fragment_paragraphs``)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cleaners.config import ReadConfig
from cleaners.read.base import (Reader, Share, TooLarge, WholeFileReader, chunks, join_shares, outlet_from_url,
                                read_through, sha256, sniff_binary)
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


class JsonReader(WholeFileReader):
    """A JSON file, parsed whole: one record, a list of them, or a list under a key such as
    "articles". Bounded as a file, since its records cannot be bounded one by one (a feed too
    big for the file limit belongs in JSON Lines, whose records are)."""

    name = "json"
    suffixes = (".json",)

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        obj = _loads(data, src)
        if isinstance(obj, dict) and not any(k in obj for k in TEXT_KEYS + HTML_KEYS):
            obj = next((obj[k] for k in LIST_KEYS if isinstance(obj.get(k), list)), obj)  # a wrapped list
        if not isinstance(obj, list):
            yield obj if isinstance(obj, Reject) else _from_json_object(obj, src)
            return
        if not obj:
            yield Reject(src, "no-records", "the JSON holds an empty list of records")
        for i, item in enumerate(obj):
            # surrogatepass: a lone surrogate escape in the record must not stop its hashing
            raw = json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
            yield _from_json_object(item, Source(src.path, i, sha256(raw), src.format))


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
        checked = read_through(fh, gz, bare, cfg, self.name, hold=False)
        if isinstance(checked, Reject):
            yield checked
            return
        src, record = checked[0], 0
        try:
            fh.seek(0)
            for result in _feed_records(_lines(chunks(fh, gz, cfg), cfg.max_file_bytes), src, 0, cfg.max_file_bytes):
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
        """``feed_shares`` of the (decompressed) file; None for a binary file, rejected whole.
        Raises TooLarge for a .gz over the gzip-bomb bound (also rejected whole)."""
        stream = chunks(fh, gz, cfg)
        first = next(stream, b"")  # all that sniff_binary looks at (base.CHUNK)
        if sniff_binary(first):
            return None
        return feed_shares(itertools.chain([first], stream), share_bytes, cfg.max_file_bytes)

    def read_share(self, data: bytes, bare: Source, first_record: int, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        return _feed_records(_lines([data], cfg.max_file_bytes), bare, first_record, cfg.max_file_bytes)


@dataclass(frozen=True)
class _LongLine:
    """A line over the record bound, not held: its size, hash and whether it is blank."""

    size: int
    sha256: str
    blank: bool


def _lines(chunks: Iterable[bytes], max_line: int) -> Iterator[bytes | _LongLine]:
    """The lines of a stream of chunks, cut as ``bytes.splitlines`` cuts the joined bytes (at
    \\n, \\r\\n and \\r). A line over ``max_line`` bytes is given as a _LongLine, hashed as it
    streams past and never held whole: at most max_line bytes and a chunk are held."""
    held = b""  # the start of a line whose end is not read yet, while it is at most max_line bytes
    long: Any = None  # the hash of that line once it is over max_line
    size, blank = 0, True  # of the long line
    after_cr = False  # the last chunk ended with \r: a \n first in the next ends the same line
    for chunk in chunks:
        if after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]
        after_cr = chunk[-1:] == b"\r"
        for piece in chunk.splitlines(keepends=True):
            part = piece.rstrip(b"\r\n")
            if long is None and len(held) + len(part) <= max_line:
                held += part
            else:
                if long is None:
                    long, size, blank = hashlib.sha256(held), len(held), not held.strip()
                long.update(part)
                size, blank, held = size + len(part), blank and not part.strip(), b""
            if len(part) < len(piece):  # the line ends here
                yield held if long is None else _LongLine(size, long.hexdigest(), blank)
                held, long = b"", None
    if long is not None:
        yield _LongLine(size, long.hexdigest(), blank)
    elif held:
        yield held


def feed_shares(chunks: Iterable[bytes], share_bytes: int, max_line: int) -> list[Share] | None:
    """The bytes of a JSON Lines stream (a .gz's decompressed bytes) in chunks, read once front
    to back, cut into ranges of about ``share_bytes`` that end after a newline: (first byte,
    end byte, number of the range's first record), blank lines not counted, so reading the
    ranges one after another (``InputFile.share``) gives exactly the records of reading the
    file whole. Ranges without a record join their neighbour; a file too small to cut is one
    range. None when a line is longer than ``max_line`` bytes (it would have to be held to
    find its end).

    A range starts right after a ``\\n`` byte, where ``bytes.splitlines`` starts a line too
    (a ``\\r\\n`` is never cut), whatever the records' encoding.
    """
    if share_bytes < 1:
        raise ValueError(f"share_bytes must be >= 1, got {share_bytes!r}")
    starts: list[tuple[int, int]] = []  # (first byte, records before it) of the runs of lines with a record
    buf = bytearray()  # read, not yet in a run
    start = record = searched = 0  # searched: bytes of buf without the run's end in them
    for data in itertools.chain(chunks, [b""]):  # b"": the end of the stream
        buf += data
        while len(buf) >= share_bytes or (buf and not data):
            # a run ends after the first newline from its share_bytes-th byte on, or at the end
            end = buf.find(b"\n", max(min(share_bytes, len(buf)) - 1, searched)) + 1
            if (end or len(buf)) > share_bytes + max_line:
                return None  # a line over max_line began in the run
            if not end and data:  # its line goes on in the next chunk
                searched = len(buf)
                break
            end = end or len(buf)  # the end of the stream
            records = sum(1 for line in buf[:end].splitlines() if line.strip())
            if records:
                starts.append((start, record))
            start, record, searched = start + end, record + records, 0
            del buf[:end]
    return join_shares(starts, share_bytes, start) or [(0, start, 0)]


def _feed_records(lines: Iterable[bytes | _LongLine], src: Source, first_record: int,
                  max_line: int) -> Iterator[RawDoc | Reject]:
    """The records of the lines of a feed, numbered from first_record, blank lines not
    counted; a line over max_line bytes is a too-large reject of that record alone."""
    record = first_record
    for line in lines:
        if isinstance(line, _LongLine) and not line.blank:
            yield Reject(Source(src.path, record, line.sha256, src.format), "too-large", f"record of {line.size} "
                         f"bytes, over {max_line} (raise --max-file-mb); the other records are read")
        elif isinstance(line, bytes) and line.strip():
            rsrc = Source(src.path, record, sha256(line), src.format)
            obj = _loads(line, rsrc)
            yield obj if isinstance(obj, Reject) else _from_json_object(obj, rsrc)
        else:
            continue  # a blank line: no record
        record += 1


def _loads(data: bytes, src: Source) -> Any:
    """The JSON value of ``data``, or a Reject (of ``src``) saying why it has none."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Reject(src, "invalid-json", str(exc)[:200])
    except RecursionError:
        return Reject(src, "too-deeply-nested", "JSON nesting exceeded the parser's limit")


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
    n = sum(len(_LONE_SURROGATE.findall(value)) for value in fields.values() if isinstance(value, str))
    if not n:
        return fields, ()
    out = {key: _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value
           for key, value in fields.items()}
    return out, (Fix("json:lone-surrogates", f"{n} lone surrogate escape(s) replaced with U+FFFD"),)


def _from_json_object(obj: Any, src: Source) -> RawDoc | Reject:
    if not isinstance(obj, dict):
        return Reject(src, "invalid-record", f"expected a JSON object, got {type(obj).__name__}")
    url, outlet, title, published = (_first(obj, keys)
                                     for keys in (URL_KEYS, OUTLET_KEYS, TITLE_KEYS, DATE_KEYS))
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
    return Reject(src, "no-content", f"record has none of the fields {', '.join(HTML_KEYS + TEXT_KEYS)}")


def _html_record(src: Source, html: str, fixes: tuple[Fix, ...], common: dict[str, Any]) -> RawDoc | Reject:
    """A record's HTML: a page goes to main-text extraction; a fragment (an article's body
    or a snippet of it: is_fragment) has no page around it to extract from, so its
    text is taken paragraph by paragraph, and the record's fixes say so."""
    paragraphs = fragment_paragraphs(html) if is_fragment(html) else None
    if paragraphs is None:  # a page, or a fragment lxml cannot parse: extraction tries it
        return RawDoc(src, html.encode("utf-8"), "html", "utf-8", fixes=fixes, **common)
    if not paragraphs:
        return Reject(src, "no-main-text", "the record's HTML is a fragment without text")
    fix = Fix("json:html-fragment", f"{len(paragraphs)} paragraph(s) of an HTML fragment taken as "
                                    "they are (lxml), not through main-text extraction")
    return RawDoc(src, html.encode("utf-8"), "text", "utf-8", text="\n\n".join(paragraphs),
                  fixes=fixes + (fix,), **common)


# HTML fragments in feed records.
# An HTML value of a feed record without <html>, <head> or <body> and at most this long is a
# fragment of an article (its body, or a snippet of it), not a page: its text is taken as it
# is (fragment_paragraphs). Main-text extraction looks for the article inside a page and
# finds none in a fragment (trafilatura: none in any single-paragraph fragment, of 10 to
# 1,000 words). 20,000 characters hold a 2,000-word story's markup; a longer value without
# them is more likely a page's container with its menus and links, which extraction removes.
FRAGMENT_MAX_CHARS = 20_000
_PAGE_TAG = re.compile(r"<(?:!doctype|html|head|body)[\s>/]", re.IGNORECASE)
# Elements whose text is not the article's: trafilatura's own cleaning drops them too
# (trafilatura.settings.MANUALLY_CLEANED): scripts, embeds, forms, figures, menus.
_FRAGMENT_DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "applet",
                     "svg", "math", "canvas", "audio", "video", "picture", "map", "figure", "form",
                     "button", "select", "textarea", "input", "label", "nav", "aside", "menu", "footer")
# Elements that start a paragraph of their own.
_FRAGMENT_BLOCKS = frozenset(("address", "article", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset",
                              "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre",
                              "section", "summary", "table", "tr", "td", "th", "ul", "br"))


def is_fragment(html: str) -> bool:
    """Whether an HTML value is a fragment (no <html>, <head>, <body> or doctype; at most
    FRAGMENT_MAX_CHARS), whose text is taken as it is rather than extracted from a page.

    >>> is_fragment("<p>Body text.</p>"), is_fragment("<html><body><p>Body text.</p></body></html>")
    (True, False)
    """
    return len(html) <= FRAGMENT_MAX_CHARS and _PAGE_TAG.search(html) is None


def fragment_paragraphs(html: str) -> tuple[str, ...] | None:
    """The text of an HTML fragment, one paragraph per block element or <br> line, spaces
    collapsed; scripts, figures, menus and the like dropped. None when lxml cannot parse it.

    >>> fragment_paragraphs("<p>One <b>bold</b> line.<br>Two.</p><script>x()</script><p>Three.</p>")
    ('One bold line.', 'Two.', 'Three.')
    """
    import lxml.html  # loaded when a record holds a fragment
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.LxmlError, ValueError):  # e.g. an XML declaration with an encoding in a str
        return None
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_FRAGMENT_DROPPED,
                         with_tail=False)  # keeps the text after them
    runs: list[list[str]] = [[]]  # the text between one block element's start or end and the next
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if el.tag in _FRAGMENT_BLOCKS:
            runs.append([])
        if event == "start" and el.text:
            runs[-1].append(el.text)
        elif event == "end" and el.tail and el is not root:
            runs[-1].append(el.tail)
    paragraphs = (" ".join("".join(run).split()) for run in runs)
    return tuple(text for text in paragraphs if text)
