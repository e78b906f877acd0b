"""Issue 22, "Nothing lost, nothing let in": every input ends as documents or rejects with a
reason, and nothing outside INPUT_DIR is read. Real files, symlinks, gzip and WARC files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import threading
from dataclasses import replace
from pathlib import Path

from cleaners.clean.batch import split_files
from cleaners.config import Config, ReadConfig
from cleaners.read.readers import discover, read_file
from cleaners.read.warc import warc_shares
from cleaners.records import Document, RawDoc, Reject
from tests.helpers import BODY, article_html, make_warc
from tests.reference.batch import process_files

SECRET = "Classified memo from outside the input folder"
OUTSIDE_PAGE = article_html(SECRET, [f"{SECRET}: {p}" for p in BODY])


def _outcome(rejects: list[Reject]) -> dict[str, str]:
    return {r.source.path: r.reason for r in rejects}


def _no_secret(docs: list[Document], rejects: list[Reject]) -> None:
    text = json.dumps([[d.title, d.paragraphs, d.source.url] for d in docs] + [r.detail for r in rejects])
    assert SECRET not in text


# A. a file swapped for a symlink (or a fifo) between discovery and reading is never read


def _inputs(root: Path, page: str) -> None:
    """One file of each format, and one in a subfolder."""
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(page)
    (root / "b.html").write_text(page)
    with gzip.open(root / "c.html.gz", "wt") as fh:
        fh.write(page)
    (root / "d.jsonl").write_text("".join(json.dumps({"title": f"T{i}", "html": page}) + "\n" for i in range(40)))
    make_warc(root / "e.warc.gz", [("https://news.example.com/a", page.encode(), "text/html")])
    (root / "sub" / "f.txt").write_text(page)


def test_a_file_swapped_for_a_symlink_after_discovery_is_rejected_not_read(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "in"
    _inputs(outside, OUTSIDE_PAGE)
    _inputs(root, article_html("Library budget", BODY))
    cfg = Config(read=ReadConfig(share_bytes=4000))
    items = split_files(root, list(discover(root, cfg.read)), cfg.read)  # the feed is cut in shares
    assert sum(i.path == "d.jsonl" for i in items) > 2
    for name in ("a.txt", "b.html", "c.html.gz", "d.jsonl", "e.warc.gz"):
        (root / name).unlink()
        (root / name).symlink_to(outside / name)  # the race: swapped after discovery
    (root / "sub").rename(root / "sub-old")
    (root / "sub").symlink_to(outside / "sub")  # a folder on the path swapped
    docs, rejects = process_files(root, items, cfg)
    assert docs == []
    swapped = ("a.txt", "b.html", "c.html.gz", "d.jsonl", "e.warc.gz", "sub/f.txt")
    assert sorted((r.source.path, r.reason) for r in rejects) == [(name, "symlink-not-followed") for name in swapped]
    assert "after it was found" in rejects[0].detail
    _no_secret(docs, rejects)


def test_a_followed_symlink_retargeted_outside_after_discovery_is_rejected(tmp_path: Path) -> None:
    outside, root = tmp_path / "outside", tmp_path / "in"
    outside.mkdir()
    root.mkdir()
    (outside / "a.txt").write_text(OUTSIDE_PAGE)
    (root / "real.txt").write_text("\n\n".join(BODY))
    (root / "link.txt").symlink_to(root / "real.txt")
    cfg = Config(read=ReadConfig(follow_symlinks=True))
    items = list(discover(root, cfg.read))
    assert [i.problem for i in items] == [None, None]  # a symlink inside INPUT_DIR is read when followed
    (root / "link.txt").unlink()
    (root / "link.txt").symlink_to(outside / "a.txt")
    docs, rejects = process_files(root, items, cfg)
    assert [d.source.path for d in docs] == ["real.txt"]
    assert _outcome(rejects) == {"link.txt": "symlink-outside-input"}
    _no_secret(docs, rejects)


def test_a_file_swapped_for_a_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("\n\n".join(BODY))
    items = list(discover(tmp_path, ReadConfig()))
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")

    def feed() -> None:  # a writer waiting for a reader: were the fifo opened, it would be read
        try:
            with open(tmp_path / "a.txt", "w") as fh:
                fh.write(OUTSIDE_PAGE)
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        docs, rejects = process_files(tmp_path, items, Config())
    finally:
        os.close(os.open(tmp_path / "a.txt", os.O_RDONLY | os.O_NONBLOCK))  # frees the writer
        writer.join(5)
    assert docs == [] and _outcome(rejects) == {"a.txt": "not-a-regular-file"}
    _no_secret(docs, rejects)


def test_a_file_replaced_while_it_is_opened_is_rejected(tmp_path: Path) -> None:
    """The opened file must be the one at its path once opened (the race between the open and
    the check of the path): another file renamed over it in between is refused."""
    import pytest

    from cleaners.read.readers import InputRefused, _check_inside

    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "b.txt").write_text("two")
    with open(tmp_path / "a.txt", "rb") as fh:
        opened = os.fstat(fh.fileno())
        os.replace(tmp_path / "b.txt", tmp_path / "a.txt")
        with pytest.raises(InputRefused) as refused:
            _check_inside(tmp_path / "a.txt", tmp_path, opened, follow_symlinks=False)
    assert refused.value.reason == "changed-during-read"
    _check_inside(tmp_path / "a.txt", tmp_path, os.stat(tmp_path / "a.txt"), follow_symlinks=False)  # no error


# B. one record over the size limit is rejected alone; the rest of the feed is read


def _feed_with_a_big_record(big: str) -> bytes:
    good = [json.dumps({"url": f"https://a.example/{i}", "title": f"Story {i}",
                        "text": f"Story {i}. " + " ".join(BODY)}) for i in range(10)]
    return ("\n".join(good[:5] + [json.dumps({"title": "Dump", "text": big})] + good[5:]) + "\n").encode()


def test_one_oversize_record_is_rejected_alone_and_the_feed_is_read(tmp_path: Path) -> None:
    words = (" ".join(BODY) + " ") * (3_000_000 // len(" ".join(BODY)))
    feeds = {"string.jsonl": _feed_with_a_big_record("x" * 3_000_000),  # one JSON string of 3 MB
             "words.jsonl": _feed_with_a_big_record(words)}
    for name, data in feeds.items():
        (tmp_path / name).write_bytes(data)
        with gzip.open(tmp_path / (name + ".gz"), "wb") as fh:
            fh.write(data)
    cfg = Config(read=ReadConfig(max_file_bytes=1_000_000))
    items = list(discover(tmp_path, cfg.read))
    for workers in (1, 2):  # read whole, or in shares where the file can be cut
        docs, rejects = process_files(tmp_path, split_files(tmp_path, items, cfg.read, workers), cfg)
        for path in ("string.jsonl", "words.jsonl", "string.jsonl.gz", "words.jsonl.gz"):
            assert sorted(d.source.record for d in docs if d.source.path == path) == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]
            [big] = [r for r in rejects if r.source.path == path]
            assert (big.source.record, big.reason) == (5, "too-large"), big
            line = feeds[path.removesuffix(".gz")].splitlines()[5]
            assert big.source.sha256 == hashlib.sha256(line).hexdigest()
            assert f"record of {len(line)} bytes" in big.detail
    # a WARC's records are bounded one by one too
    pages = [(f"https://news.example.com/{i}", article_html(f"Story {i}", BODY).encode(), "text/html")
             for i in range(3)]
    big = ("https://news.example.com/big", b"<p>" + b"x" * 3_000_000, "text/html")
    make_warc(tmp_path / "crawl.warc.gz", pages[:1] + [big] + pages[1:])
    crawl = next(i for i in discover(tmp_path, cfg.read) if i.path == "crawl.warc.gz")
    assert [(r.source.record, getattr(r, "reason", "read")) for r in read_file(tmp_path, crawl, cfg.read)] == \
        [(0, "read"), (1, "too-large"), (2, "read"), (3, "read")]


def test_a_json_list_is_bounded_as_a_file(tmp_path: Path) -> None:
    """A .json file is parsed whole, so it stays bounded as a file: over the limit, one reject."""
    (tmp_path / "list.json").write_text(json.dumps([{"text": " ".join(BODY)}, {"text": "x" * 3_000_000}]))
    got = list(read_file(tmp_path, next(discover(tmp_path, ReadConfig())), ReadConfig(max_file_bytes=1_000_000)))
    assert [(r.source.record, r.reason) for r in got if isinstance(r, Reject)] == [(None, "too-large")]
    assert len(got) == 1


def test_the_streamed_lines_of_a_feed_are_those_of_splitlines() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from cleaners.read.feeds import _LongLine, _lines

    pieces = st.sampled_from([b"\n", b"\r", b"\r\n", b" ", b"ab", b"{}", b"\t"])

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(st.lists(pieces, max_size=40).map(b"".join), st.integers(1, 7), st.integers(1, 12))
    def check(data: bytes, chunk: int, max_line: int) -> None:
        chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        want = [line if len(line) <= max_line else
                _LongLine(len(line), hashlib.sha256(line).hexdigest(), not line.strip())
                for line in data.splitlines()]
        got = [line if isinstance(line, _LongLine) or len(line) <= max_line else
               _LongLine(len(line), hashlib.sha256(line).hexdigest(), not line.strip())
               for line in _lines(chunks, max_line)]
        assert got == want

    check()


# C. a WARC record cut short (a crawl stopped mid-write) is a reject, never a partial document


def _crawl(path: Path) -> tuple[bytes, int]:
    """A WARC of three pages; its bytes and where its last record starts."""
    from warcio.archiveiterator import ArchiveIterator

    make_warc(path, [(f"https://news.example.com/{i}", article_html(f"Story {i}", [f"Page {i}."] + BODY).encode(),
                      "text/html; charset=utf-8") for i in range(3)])
    data = path.read_bytes()
    it = ArchiveIterator(io.BytesIO(data))
    return data, [it.get_record_offset() for _ in it][-1]


def test_a_warc_record_cut_short_is_a_truncated_record_reject(tmp_path: Path) -> None:
    for name in ("crawl.warc", "crawl.warc.gz"):
        data, last = _crawl(tmp_path / name)
        gz = name.endswith(".gz")
        # in the payload (gzip: in the last compressed bytes), and (gzip) in the header block,
        # where warcio skips the record without a word
        cuts = {"payload": len(data) - (60 if gz else 500)} | ({"headers": last + 20} if gz else {})
        for where, cut in cuts.items():
            (tmp_path / name).write_bytes(data[:cut])
            item = next(discover(tmp_path, ReadConfig()))
            whole = list(read_file(tmp_path, item, ReadConfig()))
            assert [(r.source.record, getattr(r, "reason", "read")) for r in whole] == \
                [(0, "read"), (1, "read"), (2, "truncated-record")], (name, where)
            if where == "payload":
                assert " of its " in whole[-1].detail and "Content-Length" in whole[-1].detail
            # read in shares (as several workers read it), the same
            with open(tmp_path / name, "rb") as fh:
                shares = warc_shares(fh, 100)
            assert shares is not None and len(shares) >= 2  # a member cut in its headers: warcio sees 2 records
            assert [r for s in shares for r in read_file(tmp_path, replace(item, share=s), ReadConfig())] == whole
            docs, rejects = process_files(tmp_path, [item], Config())
            assert sorted(d.source.record for d in docs) == [0, 1]
            assert _outcome(rejects) == {name: "truncated-record"}
            assert not any("Page 2." in d.text for d in docs)
        # wherever the last record is cut, it is a reject (corrupt-warc where warcio names the
        # damage), never a partial document (a gzip member cut after its payload, in its
        # trailer, still holds the whole page); the records before it are read
        (tmp_path / name).write_bytes(data)
        full = list(read_file(tmp_path, next(discover(tmp_path, ReadConfig())), ReadConfig()))
        for cut in range(last + 1, len(data) - 4, 37):
            (tmp_path / name).write_bytes(data[:cut])
            got = list(read_file(tmp_path, next(discover(tmp_path, ReadConfig())), ReadConfig()))
            assert got[:2] == full[:2] and len(got) == 3, (name, cut - last)
            assert got[2] == full[2] if isinstance(got[2], RawDoc) else \
                got[2].reason in ("truncated-record", "corrupt-warc"), (name, cut - last, got[2])
        (tmp_path / name).unlink()


def test_an_uncut_warc_has_no_truncated_record(tmp_path: Path) -> None:
    for name in ("crawl.warc", "crawl.warc.gz"):
        _crawl(tmp_path / name)
        got = list(read_file(tmp_path, next(discover(tmp_path, ReadConfig())), ReadConfig()))
        assert [type(r) for r in got] == [RawDoc] * 3, name
        (tmp_path / name).unlink()


# D. an HTML fragment in a feed record is its text, not a page to extract from


def test_an_html_fragment_in_a_feed_record_is_taken_as_text(tmp_path: Path) -> None:
    records = [
        {"url": "https://a.example/1", "title": "Page", "html": article_html("Library budget", BODY)},
        {"url": "https://a.example/2", "title": "Short",
         "html": "<p>Second record body text that is long enough to keep.</p>"},
        {"url": "https://a.example/3", "title": "Body",
         "content_html": f"<p>{BODY[0]}<br>{BODY[1]}</p><figure><img src='x.jpg'><figcaption>A caption"
                         f"</figcaption></figure><script>track()</script><!-- ad -->\n<p>{BODY[2]}</p>"},
        {"url": "https://a.example/4", "title": "Text", "text": f"<p>{BODY[3]}</p>"},
        {"url": "https://a.example/5", "title": "Empty", "html": "<img src='x.jpg'>"},
    ]
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    docs, rejects = process_files(tmp_path, list(discover(tmp_path, ReadConfig())), Config())
    by_record = {d.source.record: d for d in docs}
    assert sorted(by_record) == [0, 1, 2, 3]
    assert by_record[1].paragraphs == ("Second record body text that is long enough to keep.",)
    assert by_record[2].paragraphs == tuple(BODY[:3])
    assert by_record[3].paragraphs == (BODY[3],)
    for record in (1, 2, 3):
        assert "json:html-fragment" in [f.name for f in by_record[record].fixes]
    # a page in a record still goes through main-text extraction: its sidebar is not text
    page = by_record[0]
    assert all(p in page.paragraphs for p in BODY) and "Storm closes schools" not in page.text
    assert "json:html-fragment" not in [f.name for f in page.fixes]
    assert [(r.source.record, r.reason) for r in rejects] == [(4, "no-main-text")]
    assert "fragment" in rejects[0].detail


def test_fragment_paragraphs() -> None:
    from cleaners.read.feeds import fragment_paragraphs, is_fragment

    assert fragment_paragraphs("Lead text <b>bold</b>\n  more<div>Block</div>tail<ul><li>One</li><li>Two</li></ul>") \
        == ("Lead text bold more", "Block", "tail", "One", "Two")
    assert fragment_paragraphs("<nav>Home | World</nav><p>Body &amp; soul.</p><style>p{}</style>") \
        == ("Body & soul.",)
    assert fragment_paragraphs("<!-- only a comment -->") == ()
    assert is_fragment("<div><p>x</p></div>") and not is_fragment("<!DOCTYPE html><p>x</p>")
    assert not is_fragment("<BODY><p>x</p></BODY>") and not is_fragment("<p>x</p>" * 5000)
