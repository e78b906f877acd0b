"""Readers: every input file becomes documents or rejects with a reason."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from cleaners.config import Config, ReadConfig
from cleaners.readers import discover, format_of, read_file
from cleaners.records import RawDoc, Reject
from tests.helpers import BODY, article_html, make_warc


def _read_all(root: Path, cfg: ReadConfig | None = None) -> list[RawDoc | Reject]:
    cfg = cfg or ReadConfig()
    out: list[RawDoc | Reject] = []
    for item in discover(root, cfg):
        out.extend(read_file(root, item, cfg))
    return out


def test_format_of_names() -> None:
    assert format_of("a/b.HTML") == ("html", False)
    assert format_of("x.jsonl.gz") == ("jsonl", True)
    assert format_of("crawl.warc.gz") == ("warc", True)
    assert format_of("notes.docx") == (None, False)


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
    reasons = {g.source.path: g.reason for g in _read_all(tmp_path, cfg) if isinstance(g, Reject)}
    assert reasons == {
        "empty.html": "empty-file",
        "image.html": "binary-content",
        "doc.pdf.txt": "binary-content",
        "notes.docx": "unsupported-format",
        "trunc.html.gz": "bad-gzip",
        "big.txt": "too-large",
        "broken.warc": "corrupt-warc",
    }


def test_gzip_bomb_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * 3_000_000))
    cfg = ReadConfig(max_file_bytes=10_000, max_decompressed_bytes=1_000_000)
    [got] = _read_all(tmp_path, cfg)
    assert isinstance(got, Reject) and got.reason == "too-large"
    assert "gzip bomb" in got.detail


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
    from cleaners.articles import group_documents
    from cleaners.batch import process_files

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
