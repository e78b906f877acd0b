"""report.html (cleaners/store/report.py): built from a small run's real outputs (the seeds,
an edited reprint, one site's boilerplate, hostile titles and texts), read back with an HTML
parser. The headless-Chromium test skips when `chromium` is not installed."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from cleaners.config import Config, ReportConfig
from cleaners.match.articles import group_documents
from cleaners.store.output import reject_record, write_json_lines, write_text
from cleaners.store.report import paragraph_diff, passage_key, write_report
from tests.conftest import RAW
from tests.helpers import BODY, article_html, read_jsonl, run_folder

HOSTILE_TITLE = '<script>alert("title")</script> & "Council" <b>votes</b>'
HOSTILE_LINE = ("A reader wrote </td></table><img src=x onerror=alert(1)> and <script>alert(2)</script> "
                "in the comments, which the council discussed at length on Tuesday evening.")
FEED_TITLE = "<script>alert('feed')</script> Library budget passes"
EVIL_BODY = [  # a story of its own, so the hostile title is an article's title
    "The harbour authority said on Monday that the ferry timetable would change next month, adding two "
    "early crossings on weekdays and moving the last evening boat half an hour later.",
    "Commuters had asked for the change for years, a spokeswoman said, and the new boats bought last "
    "spring make it possible without cutting the service to the smaller islands.",
]
BOILERPLATE = ("Site A is an independent community publication owned by its readers and staff since 1952, "
               "serving the valley.")


def _inputs(root: Path) -> None:
    """The seeds; an edited reprint of seed 003 (one paragraph changed, one dropped, one added);
    three stories of one site ending in the same paragraph; hostile titles, texts and URLs;
    an empty file (a reject)."""
    seeds = sorted(RAW.glob("*.txt"))
    for f in seeds:
        shutil.copy(f, root / f.name)
    paras = seeds[3].read_text(encoding="utf-8").split("\n\n")
    k = next(i for i, p in enumerate(paras) if "honored" in p)
    paras[k] = paras[k].replace("honored", "delighted").replace("first time", "very first time")
    del paras[max(i for i, p in enumerate(paras) if len(p.split()) > 40)]
    paras.append("This report was edited by the Reprint Desk, which added this closing paragraph of its own.")
    (root / "reprints").mkdir()
    (root / "reprints" / "nakatani.txt").write_text("\n\n".join(paras), encoding="utf-8")
    (root / "sitea").mkdir()
    for i in (0, 1, 2):
        (root / "sitea" / f"story{i}.txt").write_text(
            seeds[i].read_text(encoding="utf-8").rstrip() + "\n\n" + BOILERPLATE + "\n", encoding="utf-8")
    (root / "hostile").mkdir()
    (root / "hostile" / "evil.txt").write_text(HOSTILE_TITLE + "\n\n" + "\n\n".join(EVIL_BODY) + "\n\n"
                                               + "\n", encoding="utf-8")
    (root / "library.html").write_text(article_html("Library budget approved", BODY), encoding="utf-8")
    (root / "feed.json").write_text(json.dumps([{
        "url": "javascript:alert(1)", "title": FEED_TITLE, "outlet": 'Evil "Outlet" <i>',
        "text": "\n\n".join(BODY + [HOSTILE_LINE])}]),  # the canonical: its paragraph is one the diff shows
        encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")


def _write_outputs(root: Path, out: Path) -> None:
    """documents/articles/rejects.jsonl as a run writes them (real cleaning and matching)."""
    docs, rejects = run_folder(root)
    g = group_documents(docs, Config())
    out.mkdir(parents=True)
    write_json_lines(out / "documents.jsonl", (json.dumps(d, ensure_ascii=False) for d in g.documents))
    write_json_lines(out / "articles.jsonl", (json.dumps(a, ensure_ascii=False) for a in g.articles))
    write_json_lines(out / "rejects.jsonl", (json.dumps(reject_record(r), ensure_ascii=False) for r in rejects))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("in")
    _inputs(root)
    out = tmp_path_factory.mktemp("run") / "out"
    _write_outputs(root, out)
    write_report(out)
    return out


class Page(HTMLParser):
    """What the tests read from the page: every tag with its attributes, the text of the
    article list's titles, and each highlighted span with the document it is in."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self.marks: list[dict[str, Any]] = []
        self.text: list[str] = []
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in ("br", "meta", "link"):
            self._stack.append((tag, a))
        if tag == "a" and any(x.get("id") == "article-list" for _, x in self._stack):
            self.titles.append("")
        if tag == "mark":
            doc = next((x.get("data-doc") for _, x in reversed(self._stack) if x.get("data-doc")), None)
            self.marks.append({"doc": doc, "start": a.get("data-start"), "end": a.get("data-end"), "text": ""})

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        names = [t for t, _ in self._stack]
        if "mark" in names:
            self.marks[-1]["text"] += data
        if "a" in names and any(x.get("id") == "article-list" for _, x in self._stack):
            self.titles[-1] += data


def _page(out: Path) -> Page:
    return Page((out / "report.html").read_text(encoding="utf-8"))


def _cells(out: Path, attr: str) -> dict[str, int]:
    return {a[attr]: int(_next_text(out, attr, a[attr]).replace(",", ""))
            for t, a in _page(out).tags if t == "td" and attr in a}


def _next_text(out: Path, attr: str, value: str) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    marker = f'{attr}="{escape(value, quote=True)}">'
    i = html.index(marker) + len(marker)
    return html[i:html.index("<", i)]


def test_the_report_lists_each_article_by_its_title(outputs: Path) -> None:
    articles = read_jsonl(outputs / "articles.jsonl")
    titles = _page(outputs).titles
    assert len(articles) == 7
    assert sorted(titles) == sorted(a["title"] or "(no title)" for a in articles)
    assert HOSTILE_TITLE in titles and FEED_TITLE in titles  # shown as the text they are


def test_the_counts_are_the_outputs_counts(outputs: Path) -> None:
    docs, articles = read_jsonl(outputs / "documents.jsonl"), read_jsonl(outputs / "articles.jsonl")
    rejects = read_jsonl(outputs / "rejects.jsonl")
    passages = {passage_key(p) for a in articles for p in a["shared_passages"]}
    assert _cells(outputs, "data-count") == {
        "documents": len(docs), "articles": len(articles), "rejects": len(rejects),
        "duplicate_documents": sum(d["duplicate_of"] is not None for d in docs),
        "articles_with_several_members": sum(len(a["members"]) > 1 for a in articles),
        "shared_passages": len(passages), "removals": sum(len(d["removed"]) for d in docs),
        "fixes": sum(len(d["fixes"]) for d in docs)}
    assert _cells(outputs, "data-rejects") == Counter(r["reason"] for r in rejects) == {"empty-file": 1}
    removals = Counter(r["reason"] for d in docs for r in d["removed"])
    assert _cells(outputs, "data-removals") == removals and removals["site-boilerplate"] == 3


def test_passage_spans_are_highlighted_at_their_offsets(outputs: Path) -> None:
    texts = {d["doc_id"]: d["text"] for d in read_jsonl(outputs / "documents.jsonl")}
    occurrences = {(o["doc_id"], o["start"], o["end"]): o["text"] for a in read_jsonl(outputs / "articles.jsonl")
                   for p in a["shared_passages"] for o in p["occurrences"]}
    marks = _page(outputs).marks
    assert len(marks) == len(occurrences) >= 2  # the seeds' quote, in each document that has it
    for m in marks:
        start, end = int(m["start"]), int(m["end"])
        assert m["text"] == texts[m["doc"]][start:end] == occurrences[(m["doc"], start, end)]


def test_the_page_has_a_diff_of_each_member_against_its_canonical_text(outputs: Path) -> None:
    article = next(a for a in read_jsonl(outputs / "articles.jsonl")
                   if any(m["path"] == "reprints/nakatani.txt" for m in a["members"]))
    member = next(m for m in article["members"] if m["path"] == "reprints/nakatani.txt")
    text = next(d["text"] for d in read_jsonl(outputs / "documents.jsonl") if d["doc_id"] == member["doc_id"])
    ops = Counter(kind for kind, _, _ in paragraph_diff(article["text"], text))
    # the edit: one paragraph changed, one dropped, one added; the record counts a changed
    # paragraph as one missing and one added
    assert (ops["changed"], ops["missing"], ops["added"]) == (1, 1, 1)
    assert (member["paragraphs_missing"], member["paragraphs_added"]) == (2, 2)
    html = (outputs / "report.html").read_text(encoding="utf-8")
    assert "1 missing, 1 added, 1 changed" in html
    assert "<del>honored</del>" in html and "<ins>delighted</ins>" in html
    assert "added this closing paragraph of its own." in html


def test_paragraph_diff() -> None:
    a = "One two three four.\n\nThe council voted on the budget today.\n\nA dropped paragraph.\n\nEnd."
    b = "One  two three FOUR.\n\nThe council voted on the new budget today.\n\nEnd.\n\nAn added one."
    assert paragraph_diff(a, b) == [
        ("same", 1, None), ("changed", "The council voted on the budget today.",
                            "The council voted on the new budget today."),
        ("missing", "A dropped paragraph.", None), ("same", 1, None), ("added", None, "An added one.")]


def test_boilerplate_is_grouped_by_site(outputs: Path) -> None:
    html = (outputs / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="boilerplate"'):]
    assert "<h3>folder:sitea</h3><p>3 paragraphs removed from 3 documents, 1 different." in section
    assert BOILERPLATE in section


def test_scraped_text_is_escaped(outputs: Path) -> None:
    page = _page(outputs)
    tags = Counter(t for t, _ in page.tags)
    assert tags["script"] == tags["img"] == tags["i"] == 0
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    text = "".join(page.text)
    assert HOSTILE_LINE in text and FEED_TITLE in text and 'Evil "Outlet" <i>' in text
    # the feed's javascript: URL is not a link; the page's https URL is
    hrefs = [a["href"] or "" for t, a in page.tags if t == "a"]
    assert not [h for h in hrefs if "javascript" in h.lower()]
    assert "https://news.example.com/library-budget" in hrefs


def test_the_page_loads_nothing_from_elsewhere(outputs: Path) -> None:
    page = _page(outputs)
    html = (outputs / "report.html").read_text(encoding="utf-8")
    assert not [a for t, a in page.tags if "src" in a or "srcset" in a]
    assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "img", "video", "audio")]
    assert [a["href"] for t, a in page.tags if t == "link"] == ["data:,"]  # no favicon request
    assert "url(" not in html and "@import" not in html
    for t, a in page.tags:  # links: in the page, or to an article's own http(s) page
        if t == "a":
            assert (a["href"] or "").startswith(("#", "http://", "https://")), a


def test_the_report_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("OLD")

    def parts():  # a build that fails half way
        yield "<!DOCTYPE html><html>"
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_text(path, parts())
    assert path.read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary file left


def test_a_damaged_output_is_named_and_the_old_report_kept(outputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(outputs, out)
    before = (out / "report.html").read_bytes()
    with open(out / "articles.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"article_id": "cut\n')
    n = len((out / "articles.jsonl").read_text().splitlines())
    with pytest.raises(ValueError, match=rf"articles.jsonl line {n} is not JSON.*newsclean export"):
        write_report(out)
    assert (out / "report.html").read_bytes() == before


def _hostile_outputs(out: Path) -> None:
    """Outputs made to overflow every section: long titles and texts of characters that escaping
    makes six bytes each, many members, long passages in many documents, many sites and reasons."""
    out.mkdir()
    bad = '"<&>' * 100
    docs, articles = [], []
    for g in range(60):
        members = [f"d{g:03d}{i:03d}" for i in range(45)]
        paras = [f"{bad} {g} {j}" for j in range(12)]
        for i, doc_id in enumerate(members):
            text = "\n\n".join(paras[i % 3:] + [f"{bad} added {i}"])
            docs.append({"doc_id": doc_id, "source": {"path": f"s{i % 60}/{doc_id}.txt", "outlet": None,
                                                      "url": f"https://x.example/{bad}"},
                         "title": bad, "text": text, "duplicate_of": None if i == 0 else members[0],
                         "removed": [{"text": f"{bad} {g}", "reason": f"list-heading ({bad[:40]} {g})"},
                                     {"text": f"{bad} {g} {i}", "reason": "site-boilerplate"}],
                         "fixes": []})
        occ = [{"doc_id": m, "outlet": bad, "start": 0, "end": 1500, "text": bad} for m in members[:10]]
        articles.append({"article_id": f"a{g:03d}", "canonical_doc_id": members[0], "title": bad,
                         "text": "\n\n".join(paras), "members": [
                             {"doc_id": m, "outlet": bad, "url": "https://x.example/", "path": f"{m}.txt",
                              "similarity": 0.8, "containment": 0.9, "paragraphs_missing": 3,
                              "paragraphs_added": 1} for m in members],
                         "shared_passages": [{"text": bad, "words": 300, "similarity": 0.9, "occurrences": occ}]})
    write_json_lines(out / "documents.jsonl", (json.dumps(d) for d in sorted(docs, key=lambda d: d["doc_id"])))
    write_json_lines(out / "articles.jsonl", (json.dumps(a) for a in articles))
    write_json_lines(out / "rejects.jsonl", (json.dumps({"source": {"path": f"{bad}{i}"}, "reason": f"r{i % 150}",
                                                         "detail": bad}) for i in range(900)))


def test_every_section_keeps_to_its_size_bound(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _hostile_outputs(out)
    written = write_report(out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert written.bytes < 5_000_000
    for what in ("articles", "passages", "sites", "reasons"):
        assert f"more {what} not shown: the section reached its size bound" in html, what
    # a smaller bound gives a smaller page: the bounds, not the data, decide the size
    small = write_report(out, cfg=ReportConfig(articles_bytes=100_000, passages_bytes=100_000,
                                               boilerplate_bytes=50_000, reasons_bytes=50_000))
    assert small.bytes < 400_000


# ---------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LINK_BLUE = (0x16, 0x46, 0xB4)  # #article-list a{color:#1646b4} in the page's CSS


def _png_pixels(png: bytes) -> tuple[int, int, list[bytearray]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG (the standard's filters)."""
    pos, idat = 8, b""
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(idat), w * bpp, []
    prev = bytearray(stride)
    for r in range(h):
        f, line = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package chromium)")
def test_the_report_renders_in_headless_chromium(outputs: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--window-size=900,900", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", (outputs / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the page's console: a script error, a blocked load or a bad resource would be logged here
    assert [line for line in proc.stderr.splitlines() if ":CONSOLE" in line] == []
    w, h, rows = _png_pixels(shot.read_bytes())
    bpp = len(rows[0]) // w
    blue = [y for y, row in enumerate(rows) if any(
        abs(row[x] - LINK_BLUE[0]) + abs(row[x + 1] - LINK_BLUE[1]) + abs(row[x + 2] - LINK_BLUE[2]) < 40
        for x in range(0, len(row), bpp))]
    # the article list's links (one colour of their own) are on the first screen, over several rows
    assert len(blue) > 40 and blue[-1] - blue[0] > 100, (len(blue), blue[:3], blue[-3:])
