"""Readers: every input file becomes documents or rejects with a reason."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from cleaners.config import Config, ReadConfig
from cleaners.read.base import Reader, WholeFileReader, chunks
from cleaners.read.feeds import feed_shares
from cleaners.read.readers import discover, read_file, reader_for
from cleaners.read.warc import warc_shares
from cleaners.records import RawDoc, Reject, Source
from tests.helpers import BODY, article_html, make_warc, write_record
from tests.reference.batch import process_files


def _read_all(root: Path, cfg: ReadConfig | None = None) -> list[RawDoc | Reject]:
    cfg = cfg or ReadConfig()
    out: list[RawDoc | Reject] = []
    for item in discover(root, cfg):
        out.extend(read_file(root, item, cfg))
    return out


def _feed_shares(path: Path, share_bytes: int, gz: bool = False) -> list[tuple[int, int, int]] | None:
    cfg = ReadConfig()
    with open(path, "rb") as fh:
        return feed_shares(chunks(fh, gz, cfg), share_bytes, cfg.max_file_bytes)


def _warc_shares(path: Path, share_bytes: int) -> list[tuple[int, int, int]] | None:
    with open(path, "rb") as fh:
        return warc_shares(fh, share_bytes)


def test_the_reader_of_a_file_is_found_by_its_suffix() -> None:
    def found(path: str) -> tuple[str | None, bool]:
        reader, gz = reader_for(path)
        return (reader.name if reader else None), gz

    assert found("a/b.HTML") == ("html", False)
    assert found("x.jsonl.gz") == ("jsonl", True)
    assert found("crawl.warc.gz") == ("warc", True)
    assert found("feed.ndjson") == ("jsonl", False)
    assert found("notes.docx") == (None, False)
    assert found("archive.gz") == (None, True)


def test_html_txt_and_gz_are_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "a.html").write_text(article_html("Budget", BODY))
    (tmp_path / "sub" / "deeper" / "b.txt").write_text("\n".join(BODY))
    with gzip.open(tmp_path / "c.html.gz", "wb") as fh:
        fh.write(article_html("Budget", BODY).encode())
    got = _read_all(tmp_path)
    assert all(isinstance(g, RawDoc) for g in got)
    assert sorted(g.source.path for g in got) == ["c.html.gz", "sub/a.html", "sub/deeper/b.txt"]
    kinds = {g.source.path: (g.kind, g.source.format) for g in got}
    assert kinds["c.html.gz"] == ("html", "html+gz")
    assert kinds["sub/deeper/b.txt"] == ("text", "txt")


def test_jsonl_bad_line_is_rejected_and_good_lines_kept(tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": "https://a.example/1", "title": "One", "text": BODY[0], "source": "A Times"}),
        "{not json",
        json.dumps({"link": "https://www.b.example/2", "headline": "Two", "content": BODY[1]}),
        json.dumps({"url": "https://c.example/3", "title": "no body"}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines))
    got = _read_all(tmp_path)
    docs = [g for g in got if isinstance(g, RawDoc)]
    rejects = [g for g in got if isinstance(g, Reject)]
    assert [d.source.record for d in docs] == [0, 2]
    assert docs[0].source.outlet == "A Times" and docs[0].title == "One"
    assert docs[1].source.outlet == "b.example"  # outlet from the URL host when no field names it
    assert {r.reason for r in rejects} == {"invalid-json", "no-content"}
    assert [r.source.record for r in rejects] == [1, 3]


def test_json_list_and_wrapped_list(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps([{"title": "A", "text": BODY[0]},
                                                 {"title": "B", "html": article_html("B", BODY)}]))
    (tmp_path / "b.json").write_text(json.dumps({"articles": [{"title": "C", "body": BODY[2]}]}))
    got = [g for g in _read_all(tmp_path) if isinstance(g, RawDoc)]
    assert [(g.source.path, g.source.record, g.kind) for g in got] == [
        ("a.json", 0, "text"), ("a.json", 1, "html"), ("b.json", 0, "text")]


def test_warc_response_records(tmp_path: Path) -> None:
    make_warc(tmp_path / "crawl.warc.gz", [
        ("https://news.example.com/a", article_html("A", BODY).encode("utf-8"), "text/html; charset=utf-8"),
        ("https://news.example.com/logo.png", b"\x89PNG\r\n", "image/png"),
    ])
    got = _read_all(tmp_path)
    assert isinstance(got[0], RawDoc)
    assert got[0].source.url == "https://news.example.com/a"
    assert got[0].source.outlet == "news.example.com"
    assert got[0].declared_charset == "utf-8"
    assert isinstance(got[1], Reject) and got[1].reason == "not-a-document"


def test_bad_files_are_rejected_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (tmp_path / "doc.pdf.txt").write_bytes(b"%PDF-1.4\n" + os.urandom(100))
    (tmp_path / "notes.docx").write_bytes(b"whatever")
    data = gzip.compress(article_html("A", BODY).encode())
    (tmp_path / "trunc.html.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "big.txt").write_text("x" * 5000)
    (tmp_path / "broken.warc").write_bytes(b"WARC/1.0\r\nnot really a warc\r\n\r\n")
    cfg = ReadConfig(max_file_bytes=4000)
    rejects = {g.source.path: g for g in _read_all(tmp_path, cfg) if isinstance(g, Reject)}
    reasons = {path: r.reason for path, r in rejects.items()}
    assert reasons == {
        "empty.html": "empty-file",
        "image.html": "binary-content",
        "doc.pdf.txt": "binary-content",
        "notes.docx": "unsupported-format",
        "trunc.html.gz": "bad-gzip",
        "big.txt": "too-large",
        "broken.warc": "corrupt-warc",
    }
    assert rejects["notes.docx"].detail == "expected .html/.htm, .txt, .json, .jsonl, .warc (optionally .gz)"
    assert rejects["notes.docx"].source.format == "unknown"


def test_gzip_bomb_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * 3_000_000))
    cfg = ReadConfig(max_file_bytes=10_000, max_decompressed_bytes=1_000_000)
    [got] = _read_all(tmp_path, cfg)
    assert isinstance(got, Reject) and got.reason == "too-large"
    assert "gzip bomb" in got.detail


def test_a_file_over_a_bound_is_named_by_the_bound_it_is_over(tmp_path: Path) -> None:
    """A file read whole is read once, up to its bound: a .gz past the gzip-bomb bound is a
    bomb even when its end is cut off (never bad-gzip), one under it but over the file
    limit says so, and a plain file over the limit says how to raise it."""
    packed = gzip.compress(b"a" * 3_000_000)
    (tmp_path / "cut.txt.gz").write_bytes(packed[:len(packed) // 2])  # decompresses to ~1.5 MB, then ends
    (tmp_path / "big.txt.gz").write_bytes(gzip.compress(b"b" * 20_000))
    (tmp_path / "big.txt").write_bytes(b"c" * 20_000)
    cfg = ReadConfig(max_file_bytes=10_000, max_decompressed_bytes=1_200_000)  # over a 1 MiB read, under 1.5 MB
    assert [(r.source.path, r.reason, r.detail) for r in _read_all(tmp_path, cfg)] == [
        ("big.txt", "too-large", "file is over 10000 bytes (raise --max-file-mb)"),
        ("big.txt.gz", "too-large", "decompressed file is over 10000 bytes (raise --max-file-mb)"),
        ("cut.txt.gz", "too-large", "decompresses to over 1200000 bytes (gzip bomb guard)")]
    # within the bounds, the cut .gz is what it is: a bad gzip
    assert [(r.source.path, getattr(r, "reason", "read")) for r in _read_all(tmp_path, ReadConfig())] == [
        ("big.txt", "read"), ("big.txt.gz", "read"), ("cut.txt.gz", "bad-gzip")]


def test_symlinks_not_followed_by_default(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("\n".join(BODY))
    root = tmp_path / "in"
    root.mkdir()
    (root / "link.txt").symlink_to(outside)
    (root / "loop").symlink_to(root)
    reasons = sorted((g.source.path, g.reason) for g in _read_all(root) if isinstance(g, Reject))
    assert reasons == [("link.txt", "symlink-not-followed"), ("loop", "symlink-not-followed")]
    followed = _read_all(root, ReadConfig(follow_symlinks=True))
    assert ("link.txt", "symlink-outside-input") in [(g.source.path, getattr(g, "reason", None))
                                                      for g in followed]


def test_output_folder_inside_input_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BODY[0])
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "documents.jsonl").write_text("{}\n")
    paths = [i.path for i in discover(tmp_path, Config().read, exclude=tmp_path / "clean")]
    assert paths == ["a.txt"]


def test_lone_surrogate_escapes_in_json_records_are_replaced_and_recorded(tmp_path: Path) -> None:
    """A JSON record may escape half of a surrogate pair (a cut emoji); json.loads keeps it as a
    character no UTF-8 writer accepts. Reading replaces it with U+FFFD in every field it uses
    and says so in the document's fixes; the document is cleaned and stored like any other
    (a whole pair stays the character it encodes)."""
    from cleaners.match.articles import group_documents

    story = " ".join(BODY)
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"title": "Cut \ud83d emoji", "url": "https://ex.com/a\udc00", "text": "Start \ud800 " + story})
        + "\n" + json.dumps({"title": "Whole 😀 pair", "text": "Pair \ud83d\ude00 " + story}) + "\n",
        encoding="ascii")  # json.dumps escapes every non-ASCII character: the file holds "\ud83d"
    page = article_html("Budget \udfff", BODY)
    (tmp_path / "list.json").write_text(json.dumps([{"html": page}]), encoding="ascii")
    got = _read_all(tmp_path)
    assert [type(g) for g in got] == [RawDoc, RawDoc, RawDoc]
    by_title = {g.title: g for g in got}
    cut = by_title["Cut \ufffd emoji"]
    assert cut.text.startswith("Start \ufffd ") and cut.source.url == "https://ex.com/a\ufffd"
    assert [(f.name, f.detail) for f in cut.fixes] == [
        ("json:lone-surrogates", "3 lone surrogate escape(s) replaced with U+FFFD")]
    assert by_title["Whole 😀 pair"].text.startswith("Pair 😀 ") and not by_title["Whole 😀 pair"].fixes
    docs, rejects = process_files(tmp_path, list(discover(tmp_path, ReadConfig())), Config())
    assert not rejects and len(docs) == 3
    assert all("json:lone-surrogates" in [f.name for f in d.fixes] for d in docs if "Whole" not in (d.title or ""))
    grouped = group_documents(docs, Config())  # stored (UTF-8) and grouped without an error
    assert len(grouped.documents) == 3


def test_a_json_file_with_an_empty_list_of_records_is_rejected(tmp_path: Path) -> None:
    """An empty list (bare or under a list key) is a reject with a reason, not a lost file."""
    (tmp_path / "bare.json").write_text("[]")
    (tmp_path / "wrapped.json").write_text('{"articles": [], "status": "ok"}')
    (tmp_path / "one.json").write_text(json.dumps({"items": [{"text": " ".join(BODY)}]}))
    got = {g.source.path: g for g in _read_all(tmp_path)}
    assert isinstance(got["one.json"], RawDoc)
    for path in ("bare.json", "wrapped.json"):
        assert isinstance(got[path], Reject) and got[path].reason == "no-records", got[path]


def test_json_nested_past_the_parsers_limit_is_rejected(tmp_path: Path) -> None:
    """json.loads raises RecursionError on deep nesting: a reject for that file or line, not a
    failed run; the other lines of the JSONL file are still read."""
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep)
    (tmp_path / "lines.jsonl").write_text(
        '{"text": ' + deep + "}\n" + json.dumps({"text": " ".join(BODY)}) + "\n")
    got = sorted(_read_all(tmp_path), key=lambda g: (g.source.path, g.source.record or 0))
    assert [(g.source.path, g.source.record, getattr(g, "reason", "read")) for g in got] == [
        ("deep.json", None, "too-deeply-nested"), ("lines.jsonl", 0, "too-deeply-nested"),
        ("lines.jsonl", 1, "read")]


def _feed_bytes() -> bytes:
    """A JSON Lines feed with what cutting it could break: a BOM, CRLF and lone CR line ends,
    runs of blank and whitespace-only lines, a bad line, a line longer than a share, a
    record with no body, and no newline at the end."""
    rec = [json.dumps({"url": f"https://a.example/{i}", "title": f"Story {i}", "text": BODY[i % len(BODY)]})
           for i in range(12)]
    return (b"\xef\xbb\xbf" + rec[0].encode() + b"\r\n" + rec[1].encode() + b"\n\n   \n\n"
            + b"{not json\n" + rec[2].encode() + b"\r" + rec[3].encode() + b"\n"
            + json.dumps({"url": "https://a.example/long", "title": "Long",
                          "text": " ".join(BODY) * 3}).encode() + b"\n"
            + json.dumps({"url": "https://a.example/empty", "title": "no body"}).encode() + b"\n"
            + b"\n".join(r.encode() for r in rec[4:]) + b"\n\n\n\t\n" + rec[0].encode())


def test_a_feed_read_in_shares_gives_the_records_of_reading_it_whole(tmp_path: Path) -> None:
    from cleaners.clean.batch import share_bytes_for, split_files
    from cleaners.read.readers import InputFile

    for data in (_feed_bytes(), b"\n \n\t\n" * 40 + _feed_bytes()):  # blank lines first: none of them a share
        (tmp_path / "feed.jsonl").write_bytes(data)
        whole_item = next(discover(tmp_path, ReadConfig()))
        whole = list(read_file(tmp_path, whole_item, ReadConfig()))
        assert len(whole) == 16 and {type(r) for r in whole} == {RawDoc, Reject}
        for share_bytes in (1, 7, 100, 333, 1000, 2500, len(data) - 1):
            shares = _feed_shares(tmp_path / "feed.jsonl", share_bytes)
            # the shares cover the file in order, each ends after a newline, each holds a record
            assert shares[0][0] == 0 and shares[-1][1] == len(data)
            assert all(a[1] == b[0] for a, b in zip(shares, shares[1:]))
            assert all(data[end - 1:end] == b"\n" for _, end, _ in shares[:-1])
            assert all(any(line.strip() for line in data[s:e].splitlines()) for s, e, _ in shares)
            items = [replace(whole_item, share=s) for s in shares]
            got = [r for item in items for r in read_file(tmp_path, item, ReadConfig())]
            assert got == whole, share_bytes
            # split_files cuts at share_bytes_for's size, when that gives two shares or more
            cfg = ReadConfig(share_bytes=share_bytes)
            size = share_bytes_for(len(data), 3, cfg)
            assert size == max(share_bytes, -(-len(data) // 12))
            want = _feed_shares(tmp_path / "feed.jsonl", size)
            assert [i.share for i in split_files(tmp_path, [whole_item], cfg, workers=3)] == \
                (want if len(want) > 1 else [None])
    assert len(_feed_shares(tmp_path / "feed.jsonl", 100)) > 5
    # a share whose file changed after it was cut: the first share reads the file whole,
    # the others nothing, so every record is still read exactly once
    items = split_files(tmp_path, [whole_item], ReadConfig(share_bytes=500))
    assert len(items) > 1
    (tmp_path / "feed.jsonl").write_bytes(data + b"\n" + data.splitlines()[-1])
    grown = list(read_file(tmp_path, InputFile("feed.jsonl", len(data) + 1 + len(data.splitlines()[-1])),
                            ReadConfig()))
    got = [r for item in items for r in read_file(tmp_path, item, ReadConfig())]
    assert got == grown and len(got) == len(whole) + 1


def test_only_a_large_readable_feed_is_cut(tmp_path: Path) -> None:
    from cleaners.clean.batch import batches_of, files_in, split_files
    from cleaners.read.readers import InputFile

    data = _feed_bytes()
    for name in ("feed.jsonl", "copy.ndjson", "small.jsonl", "big.json", "page.txt"):
        (tmp_path / name).write_bytes(data if name != "small.jsonl" else data[:300])
    with gzip.open(tmp_path / "zipped.jsonl.gz", "wb") as fh:
        fh.write(data)  # gzipped: cut only for more than one worker
    (tmp_path / "pdf.jsonl").write_bytes(b"%PDF-1.4\n" + data)  # rejected whole as binary
    cfg = ReadConfig(share_bytes=400)
    items = list(discover(tmp_path, cfg))
    split = split_files(tmp_path, items, cfg)
    cut = {i.path for i in split if i.share is not None}
    assert cut == {"feed.jsonl", "copy.ndjson"}
    assert files_in(split) == len(items) == 7
    assert [i.path for i in split if i.share is None] == [i.path for i in items if i.path not in cut]
    # a feed over the file size limit is still read, in shares, when its lines are under it
    whole_cfg = ReadConfig(max_file_bytes=10 * len(data))
    feed = next(i for i in items if i.path == "feed.jsonl")
    expected = list(read_file(tmp_path, feed, whole_cfg))
    over = ReadConfig(share_bytes=400, max_file_bytes=len(data) - 1)
    shares = [i for i in split_files(tmp_path, [feed], over) if i.share]
    assert len(shares) > 1 and [r for i in shares for r in read_file(tmp_path, i, over)] == expected
    assert list(read_file(tmp_path, feed, over)) == expected  # read whole: streamed, each record bounded
    # ... and then a record over the limit is rejected alone
    long_line = max(data.splitlines(), key=len)
    line_limit = ReadConfig(share_bytes=len(long_line) + 100, max_file_bytes=len(long_line) - 1)
    got = [r for i in split_files(tmp_path, [feed], line_limit) for r in read_file(tmp_path, i, line_limit)]
    assert [r.source.record for r in got] == [r.source.record for r in expected]
    assert [(r.source.record, r.reason) for r in got if isinstance(r, Reject) and r.reason == "too-large"] == \
        [(r.source.record, "too-large") for r in expected if r.source.sha256 == hashlib.sha256(long_line).hexdigest()]
    # a line too long to find its end within the limit: the file stays whole, and is read
    # whole, streamed: that record is a too-large reject alone, the others are read
    (tmp_path / "long-first.jsonl").write_bytes(long_line + b"\n" + data)
    first = InputFile("long-first.jsonl", len(long_line) + 1 + len(data))
    tight = ReadConfig(share_bytes=100, max_file_bytes=100)  # shares of 1,805 bytes: the line is 2,072
    assert split_files(tmp_path, [first], tight) == [first]
    got = list(read_file(tmp_path, first, tight))
    assert isinstance(got[0], Reject) and (got[0].source.record, got[0].reason) == (0, "too-large")
    assert got[0].source.sha256 == hashlib.sha256(long_line).hexdigest()
    assert [replace(r, source=replace(r.source, path="feed.jsonl", record=r.source.record - 1)) for r in got[1:]] \
        == list(read_file(tmp_path, feed, tight))
    # each share is a batch of its own; whole files are batched around them, in order
    batches = batches_of(split, 2)
    assert [i for b in batches for i in b] == split
    assert all(len(b) == 1 for b in batches if any(i.share for i in b))
    assert max(len(b) for b in batches) == 2


def _crawl(path: Path) -> None:
    """A WARC with what a crawl holds besides pages: request, metadata and warcinfo records,
    a 404, an image, an empty response and a plain-text resource."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        write_record(w, w.create_warcinfo_record(path.name, {"software": "test"}))
        for i in range(14):
            url = f"https://news{i % 3}.example/story-{i}"
            status, ctype, body = "200 OK", "text/html; charset=utf-8", article_html(f"Story {i}", BODY).encode()
            if i == 4:
                status = "404 Not Found"
            elif i == 7:
                ctype, body = "image/png", b"\x89PNG" + bytes(300)
            elif i == 9:
                body = b""
            write_record(w, w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.0\r\n\r\n"),
                                                http_headers=StatusAndHeaders("GET / HTTP/1.0", [],
                                                                              is_http_request=True)))
            write_record(w, w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=
                                                StatusAndHeaders(status, [("Content-Type", ctype)],
                                                                 protocol="HTTP/1.0")))
            if i % 5 == 0:
                write_record(w, w.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12")))
        write_record(w, w.create_warc_record("https://news0.example/notes.txt", "resource",
                                            payload=io.BytesIO(" ".join(BODY).encode()),
                                            warc_content_type="text/plain"))


def test_a_crawl_read_in_shares_gives_the_records_of_reading_it_whole(tmp_path: Path) -> None:
    from cleaners.clean.batch import split_files

    for name in ("crawl.warc.gz", "crawl.warc"):
        _crawl(tmp_path / name)
        item = next(i for i in discover(tmp_path, ReadConfig()) if i.path == name)
        whole = list(read_file(tmp_path, item, ReadConfig()))
        assert [type(r).__name__ for r in whole].count("RawDoc") == 12
        assert {r.reason for r in whole if isinstance(r, Reject)} == {"http-status", "not-a-document",
                                                                      "empty-record"}
        counts = set()
        for share_bytes in (1, 2000, 9000, item.size // 2):
            shares = _warc_shares(tmp_path / name, share_bytes)
            assert shares is not None and shares[0][0] == 0 and shares[-1][1] == item.size
            assert all(a[1] == b[0] for a, b in zip(shares, shares[1:]))
            got = [r for s in shares for r in read_file(tmp_path, replace(item, share=s), ReadConfig())]
            assert got == whole, (name, share_bytes)
            counts.add(len(shares))
        assert max(counts) == 15 and 2 in counts  # one share per page at most (a 404 or image is a page)
        # a WARC of any size is read (records are streamed); a record over the limit is rejected alone
        assert list(read_file(tmp_path, item, ReadConfig(max_decompressed_bytes=1000))) == whole
        small = list(read_file(tmp_path, item, ReadConfig(max_file_bytes=1000)))
        assert [r.source.record for r in small] == [r.source.record for r in whole]
        assert {r.reason for r in small if isinstance(r, Reject)} >= {"too-large"}
        assert all(len(r.data) <= 1000 for r in small if isinstance(r, RawDoc))
        # cut only for more than one worker: reading it through to cut it pays off only then
        cfg = ReadConfig(share_bytes=2000)
        assert split_files(tmp_path, [item], cfg, workers=1) == [item]
        cut = split_files(tmp_path, [item], cfg, workers=2)
        assert len(cut) > 1 and [r for i in cut for r in read_file(tmp_path, i, cfg)] == whole
        (tmp_path / name).unlink()
    # a file warcio cannot read through is not cut: it is rejected once, whole
    _crawl(tmp_path / "full.warc.gz")
    data = (tmp_path / "full.warc.gz").read_bytes()
    (tmp_path / "full.warc.gz").unlink()
    (tmp_path / "broken.warc.gz").write_bytes(data[:len(data) // 2] + b"\x00" * 50 + data[len(data) // 2 + 50:])
    broken = next(discover(tmp_path, ReadConfig()))
    assert "corrupt-warc" in {r.reason for r in read_file(tmp_path, broken, ReadConfig()) if isinstance(r, Reject)}
    assert _warc_shares(tmp_path / "broken.warc.gz", 100) is None
    assert split_files(tmp_path, [broken], ReadConfig(share_bytes=100), workers=2) == [broken]


def test_feed_shares_do_not_depend_on_how_the_stream_is_chunked() -> None:
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from([b"\n", b"\r", b"\r\n", b" ", b"{}", b"ab" * 7, b"x" * 40])

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(pieces, max_size=60).map(b"".join), st.integers(1, 9), st.integers(1, 60), st.integers(1, 80))
    def check(data: bytes, chunk: int, share_bytes: int, max_line: int) -> None:
        chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        assert feed_shares(chunks, share_bytes, max_line) == feed_shares([data], share_bytes, max_line)

    check()


def test_a_gzipped_feed_is_cut_for_several_workers_by_its_decompressed_bytes(tmp_path: Path) -> None:
    from cleaners.clean.batch import split_files

    data = b"\n".join([_feed_bytes()] * 6)
    with gzip.open(tmp_path / "feed.jsonl.gz", "wb") as fh:
        fh.write(data)
    (tmp_path / "feed.jsonl").write_bytes(data)
    item, plain = sorted(discover(tmp_path, ReadConfig()), key=lambda i: i.path, reverse=True)
    assert item.path == "feed.jsonl.gz"
    cfg = ReadConfig(share_bytes=item.size // 2)
    whole = list(read_file(tmp_path, item, cfg))
    # the same ranges as the plain file's, read from the decompressed bytes
    assert _feed_shares(tmp_path / "feed.jsonl.gz", 1000, gz=True) == _feed_shares(tmp_path / "feed.jsonl", 1000)
    assert split_files(tmp_path, [item], cfg, workers=1) == [item]  # one worker: read whole, once
    cut = split_files(tmp_path, [item], cfg, workers=2)
    assert len(cut) > 4 and all(i.size == item.size for i in cut)
    assert [r for i in cut for r in read_file(tmp_path, i, cfg)] == whole
    assert [(r.source.record, type(r)) for r in whole] == \
        [(r.source.record, type(r)) for r in read_file(tmp_path, plain, cfg)]
    # the gzip-bomb bound holds: a feed decompressing past it is not cut, and is rejected whole
    bomb = ReadConfig(share_bytes=item.size // 2, max_decompressed_bytes=len(data) - 1)
    assert split_files(tmp_path, [item], bomb, workers=2) == [item]
    assert [r.reason for r in read_file(tmp_path, item, bomb)] == ["too-large"]


def test_any_feed_read_in_shares_gives_the_records_of_reading_it_whole(tmp_path: Path) -> None:
    """Arbitrary bytes (line breaks of every kind, blank runs, broken and valid records),
    any share size, plain and gzipped: the shares give the whole file's records."""

    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from cleaners.clean.batch import split_files
    from cleaners.read.base import sniff_binary
    from cleaners.read.readers import InputFile

    record = st.builds(lambda t, u: json.dumps({"url": u, "title": t, "text": " ".join(BODY[:2]) + t}).encode(),
                       st.text(max_size=30), st.sampled_from(["https://a.example/1", "https://b.example/2"]))
    piece = st.one_of(record, st.sampled_from([b"\n", b"\r\n", b"\r", b"  \t", b"{bad", b"\xff\xfe", b"[]"]),
                      st.binary(max_size=20))

    many = b"\n".join(json.dumps({"title": f"t{i}", "text": " ".join(BODY[:2])}).encode() for i in range(6))

    @settings(max_examples=80, deadline=None, derandomize=True)
    @given(st.lists(piece, min_size=1, max_size=30).map(b"".join), st.integers(1, 400), st.booleans())
    @example(many, 100, False)  # files that are always cut into several shares, whatever is generated
    @example(many, 250, True)
    @example(b"\r\n{bad\r\n" + many + b"\r\r", 50, False)
    def check(data: bytes, share_bytes: int, gz: bool) -> None:
        name = "f.jsonl.gz" if gz else "f.jsonl"
        if gz:
            with gzip.open(tmp_path / name, "wb") as fh:
                fh.write(data)
        else:
            (tmp_path / name).write_bytes(data)
        item = InputFile(name, (tmp_path / name).stat().st_size)
        cfg = ReadConfig(share_bytes=share_bytes)
        whole = list(read_file(tmp_path, item, cfg))
        items = split_files(tmp_path, [item], cfg, workers=2)
        assert [r for i in items for r in read_file(tmp_path, i, cfg)] == whole
        # the ranges themselves, for any size (split_files has a least size, and keeps
        # whole the files rejected whole: binary or blank)
        shares = _feed_shares(tmp_path / name, share_bytes, gz=gz)
        assert shares is not None and shares[-1][1] == len(data)
        if len(shares) > 1 and data.strip() and not sniff_binary(data):
            seen["cut"] += 1
            assert [r for s in shares for r in read_file(tmp_path, replace(item, share=s), cfg)] == whole
        (tmp_path / name).unlink()

    seen = {"cut": 0}
    check()
    assert seen["cut"] >= 3, seen  # the explicit examples at least (generated ones vary)


def test_share_sizes_give_each_worker_the_same_number_of_shares() -> None:
    from cleaners.clean.batch import MAX_SHARE_BYTES, share_bytes_for

    cfg = ReadConfig()
    for size in (10 * 2**20, 125 * 2**20, 277 * 2**20, 3 * 2**30):
        for workers in (1, 2, 3, 8):
            per = share_bytes_for(size, workers, cfg)
            shares = -(-size // per)
            assert cfg.share_bytes <= per <= MAX_SHARE_BYTES
            if size > 4 * workers * MAX_SHARE_BYTES:  # capped: a multiple of the workers (none left alone)
                assert shares % workers == 0 and shares >= 4 * workers, (size, workers)
            elif per > cfg.share_bytes:  # about four a worker
                assert shares == 4 * workers, (size, workers)


def test_a_warc_response_without_target_uri_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    """warcio raises AttributeError on a response record without WARC-Target-URI (a damaged
    header): that used to stop the whole run; now the file ends there with corrupt-warc,
    after the records before it, and the file is not cut."""
    from cleaners.clean.batch import split_files

    _crawl(tmp_path / "base.warc")
    data = (tmp_path / "base.warc").read_bytes()
    (tmp_path / "base.warc").unlink()
    at = data.find(b"WARC-Target-URI", data.find(b"WARC-Type: response", len(data) // 2))
    (tmp_path / "damaged.warc").write_bytes(data[:at] + b"WARC-Target-URX" + data[at + 15:])
    item = next(discover(tmp_path, ReadConfig()))
    got = list(read_file(tmp_path, item, ReadConfig()))
    assert sum(isinstance(r, RawDoc) for r in got) >= 5
    assert isinstance(got[-1], Reject) and got[-1].reason == "corrupt-warc"
    assert "AttributeError" in got[-1].detail
    assert _warc_shares(tmp_path / "damaged.warc", 1000) is None
    assert split_files(tmp_path, [item], ReadConfig(share_bytes=1000), workers=2) == [item]


class _ToyReader(WholeFileReader):
    """A made-up format: sections of plain text separated by lines of '---', each a document."""

    name = "toy"
    suffixes = (".toy",)

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        for i, section in enumerate(data.split(b"\n---\n")):
            yield RawDoc(replace(src, record=i, sha256=hashlib.sha256(section).hexdigest()), section, "text")


class _ToyLinesReader(Reader):
    """A made-up format that is cut: one plain-text document a line, shares of whole lines."""

    name = "toylines"
    suffixes = (".toylines",)

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        return self.read_share((gzip.GzipFile(fileobj=fh) if gz else fh).read(), bare, 0, cfg)

    def cuts(self, gz: bool, workers: int) -> bool:
        return not gz

    def shares(self, fh: BinaryIO, share_bytes: int, gz: bool, cfg: ReadConfig) -> list[tuple[int, int, int]] | None:
        # ranges of whole lines, numbered by their non-blank lines
        return feed_shares(chunks(fh, gz, cfg), share_bytes, cfg.max_file_bytes)

    def read_share(self, data: bytes, bare: Source, first_record: int, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        for i, line in enumerate((line for line in data.splitlines() if line.strip()), first_record):
            yield RawDoc(replace(bare, record=i, sha256=hashlib.sha256(line).hexdigest()), line, "text")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The reader registry, as a copy the test may register readers in."""
    from cleaners.read import readers

    monkeypatch.setattr(readers, "READERS", dict(readers.READERS))
    return readers


def test_a_registered_format_is_read_like_the_others(tmp_path: Path, registry: Any) -> None:
    """Adding a format is one Reader class and one register line: its files (gzipped too) are
    read, cleaned and rejected through the normal path, and the unsupported-format reject names it."""
    assert registry.register(_ToyReader) is _ToyReader
    (tmp_path / "a.TOY").write_text(BODY[0] + "\n---\n" + BODY[1] + "\n" + BODY[2])
    (tmp_path / "b.toy.gz").write_bytes(gzip.compress(BODY[3].encode()))
    (tmp_path / "c.toy").write_bytes(b"%PDF-1.4\n" + bytes(100))
    (tmp_path / "d.docx").write_bytes(b"whatever")
    docs, rejects = process_files(tmp_path, list(discover(tmp_path, ReadConfig())), Config())
    assert [(d.source.path, d.source.record, d.source.format, d.text) for d in docs] == [
        ("a.TOY", 0, "toy", BODY[0]), ("a.TOY", 1, "toy", BODY[1] + "\n\n" + BODY[2]),
        ("b.toy.gz", 0, "toy+gz", BODY[3])]
    assert [(r.source.path, r.reason, r.detail) for r in rejects] == [
        ("c.toy", "binary-content", "looks like pdf, not toy"),
        ("d.docx", "unsupported-format", "expected .html/.htm, .txt, .json, .jsonl, .warc, .toy (optionally .gz)")]


def test_a_registered_format_that_cuts_its_files_is_read_in_shares(tmp_path: Path, registry: Any) -> None:
    from cleaners.clean.batch import split_files

    registry.register(_ToyLinesReader)
    (tmp_path / "notes.toylines").write_text("\n".join(BODY * 10) + "\n\n")
    item = next(discover(tmp_path, ReadConfig()))
    whole = list(read_file(tmp_path, item, ReadConfig()))
    assert [r.source.record for r in whole] == list(range(40)) and whole[5].data == BODY[1].encode()
    cfg = ReadConfig(share_bytes=1000)
    items = split_files(tmp_path, [item], cfg)
    assert len(items) == 4 and [i.share[2] for i in items] == sorted({i.share[2] for i in items})  # 4 a worker
    assert [r for i in items for r in read_file(tmp_path, i, cfg)] == whole


def test_a_suffix_is_read_by_one_reader() -> None:
    from cleaners.read.readers import register

    with pytest.raises(ValueError, match="'.html' is already read by HtmlReader"):
        register(type("Other", (_ToyReader,), {"suffixes": (".toy2", ".html")}))
    for bad in (".Toy", "toy", ".tar.toy", ".gz"):
        with pytest.raises(ValueError, match="lower case with one leading dot"):
            register(type("Bad", (_ToyReader,), {"suffixes": (bad,)}))
    assert reader_for("a.toy2") == (None, False)  # nothing registered by a refused class
