"""Pages that do not start as pages, and pages where trafilatura finds no main text.

Something in front of the doctype (a wrapper element, an XML record, PHP warnings) is
removed and a doctype without ">" is closed, each as a named repair; when trafilatura still
finds no main text on a page that shows text, its recall mode and then its baseline are
tried, named too. Pages go through the pipeline's own path (files read, then clean_all)
with real trafilatura.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.clean.extract import PAGE_START_MAX_CHARS, has_visible_text, repair_page_start
from cleaners.records import Document, Reject
from tests.helpers import BODY, article_html, run_folder

TITLE = "Council approves library budget"
URL = "https://news.example.com/library-budget"
PHP_WARNINGS = (
    "<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by "
    "(output started at /var/www/html/wp-config.php:1) in <b>/var/www/html/wp-includes/"
    "pluggable.php</b> on line <b>1171</b><br />\n<br />\n<b>Deprecated</b>:  Function "
    "create_function() is deprecated in <b>/var/www/html/wp-content/plugins/gallery.php</b> "
    "on line <b>42</b><br />\n")


def clean_page(tmp_path: Path, html: str) -> Document | Reject:
    """One .html file through reading and clean_all, as `newsclean run` does."""
    (tmp_path / "page.html").write_bytes(html.encode("utf-8"))
    docs, rejects = run_folder(tmp_path)
    [got] = docs + rejects
    return got


def repairs(doc: Document) -> list[str]:
    """Names of the repairs and fallbacks of extraction ("html:...", "fallback:...")."""
    return [f.detail.split(": ")[0] for f in doc.fixes if f.name == "extract"]


def print_view(doctype: str) -> str:
    """A newspaper's print view: no <head>, the story in one element straight in <body>."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    return f"""{doctype}
<body onload="window.print()">
<div class="print-article">
<h1>{TITLE}</h1>
<p class="byline">By Jane Reporter</p>
{paragraphs}
<div class="print-footer">Printed from news.example.com</div>
</div>
</body>
</html>"""


# --- 1. something in front of the doctype --------------------------------------------------

WRAPPED = [
    pytest.param('<div class="x">', "</div>", id="div-wrapper"),
    pytest.param("<pre>\n", "\n</pre>", id="pre-wrapper"),
    pytest.param(f'<?xml version="1.0" encoding="utf-8"?>\n<text id="{URL}" title="">\n', "\n</text>",
                 id="xml-record-wrapper"),
    pytest.param(PHP_WARNINGS, "", id="php-warnings"),
    pytest.param("HTTP/1.1 200 OK\r\nX-Cache: MISS from proxy-7\r\n\r\n2f3a\r\n", "", id="junk-text"),
]


@pytest.mark.parametrize(("before", "after"), WRAPPED)
def test_what_stands_before_the_doctype_is_removed(tmp_path: Path, before: str, after: str) -> None:
    """Parsed inside the wrapper, the page has no <head>: its canonical URL, author and site
    name were lost (and PHP warnings were text of the page)."""
    doc = clean_page(tmp_path, before + article_html(TITLE, BODY) + after)
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY)
    assert doc.title == TITLE
    assert doc.source.url == URL and doc.source.outlet == "news.example.com"
    assert ("author", "Jane Reporter") in doc.meta and ("sitename", "Example News") in doc.meta
    assert "html:wrapper-before-doctype" in repairs(doc)
    for junk in ("Warning", "Deprecated", "X-Cache", "proxy"):
        assert junk not in doc.text


def test_wrapper_before_a_page_without_head_no_longer_rejected(tmp_path: Path) -> None:
    """A wrapper longer than 50 characters before a page without <head>: trafilatura took it
    for something that is not HTML (no "html" in its first 50 characters, one child)."""
    wrapper = '<div class="archived-page-container" data-captured="2024-10-17T09:30:00Z">'
    doc = clean_page(tmp_path, wrapper + print_view("<!DOCTYPE html>") + "</div>")
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY)
    assert repairs(doc) == ["html:wrapper-before-doctype"]


def test_a_long_debug_dump_before_the_doctype_is_removed(tmp_path: Path) -> None:
    """Tens of kilobytes of server output before the page: left in place, the dump became the
    text, or the page was rejected too-short."""
    dump = "<pre>" + "[debug] cache miss for key 0123456789abcdef\n" * 1700 + "</pre>\n"
    assert len(dump) > 65_536
    doc = clean_page(tmp_path, dump + article_html(TITLE, BODY))
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY) and doc.source.url == URL
    assert repairs(doc) == ["html:wrapper-before-doctype"]


# --- 2. a doctype cut short ------------------------------------------------------------------


def test_truncated_doctype_on_a_print_view_is_closed(tmp_path: Path) -> None:
    """'<!DOCTYPE htm' without '>': rejected no-main-text before (no "html" in the first 50
    characters, a root with one child)."""
    doc = clean_page(tmp_path, print_view("<!DOCTYPE htm"))
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY)
    assert doc.title == TITLE
    assert repairs(doc) == ["html:truncated-doctype"]


def test_truncated_doctype_that_swallowed_the_html_tag(tmp_path: Path) -> None:
    page = article_html(TITLE, BODY).replace("<!DOCTYPE html>", "<!DOCTYPE htm", 1)
    doc = clean_page(tmp_path, '<div class="x">' + page)
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY) and doc.source.url == URL
    assert repairs(doc) == ["html:wrapper-before-doctype", "html:truncated-doctype"]


# --- 3. no main text found: recall mode, then baseline ---------------------------------------


def test_page_with_visible_text_gets_a_fallback(tmp_path: Path) -> None:
    """An opinion piece from a paper's "Comment" section, all its text in one container:
    trafilatura prunes containers whose class starts with "comment" as reader comments,
    found nothing, and the page was rejected no-main-text."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE} | Example News</title>
<link rel="canonical" href="{URL}"></head>
<body><header><a href="/"><img src="/logo.svg" alt=""></a></header>
<div class="comment-piece"><h1>{TITLE}</h1>
<p class="standfirst">The library deal shows what patient negotiation can achieve.</p>
{paragraphs}
</div>
<script>track("comment-piece")</script></body></html>"""
    doc = clean_page(tmp_path, page)
    assert isinstance(doc, Document)
    assert all(p in doc.paragraphs for p in BODY)
    assert "track(" not in doc.text
    [fallback] = repairs(doc)
    assert fallback in ("fallback:favor-recall", "fallback:baseline")


def test_too_short_extraction_gets_a_fallback(tmp_path: Path) -> None:
    """The story in a "comment-" container, a kicker outside it: trafilatura found only the
    six words of the site name and the kicker, and the page was rejected too-short. Recall
    mode finds the same; the baseline finds the story."""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><header><a href="/">Example News</a></header><p class="kicker">Opinion: the library deal</p>
<div class="comment-piece"><h1>{TITLE}</h1>{paragraphs}</div></body></html>"""
    doc = clean_page(tmp_path, page)
    assert isinstance(doc, Document)
    assert all(p in doc.paragraphs for p in BODY)
    assert repairs(doc) == ["fallback:baseline"]
    [note] = [f.detail for f in doc.fixes if f.name == "extract"]
    assert "trafilatura found only 6 words" in note


def test_a_repeated_slogan_is_too_short_and_gets_a_fallback(tmp_path: Path) -> None:
    """trafilatura found only the site's slogan, twice (16 words, over the 10-word minimum);
    the repeat is dropped as clutter, so the page was rejected too-short with the story
    unread (a real page of trafilatura's evaluation set did this). A repeated paragraph counts
    once when deciding whether to try the fallbacks."""
    slogan = "Your most important touchpoint for the digital trade."
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title></head>
<body><p class="kicker">{slogan}</p><p class="kicker">{slogan}</p>
<div class="comment-piece"><h1>{TITLE}</h1>{paragraphs}</div></body></html>"""
    doc = clean_page(tmp_path, page)
    assert isinstance(doc, Document)
    assert all(p in doc.paragraphs for p in BODY)
    [note] = [f.detail for f in doc.fixes if f.name == "extract"]
    assert "trafilatura found only 8 words" in note


FEW_WORDS = [
    pytest.param("<!DOCTYPE html><html><head><title>Not found</title></head><body><header>Example News"
                 "</header><main><h1>Page not found</h1><p>Try the search.</p></main></body></html>",
                 id="found-by-trafilatura"),
    pytest.param("<!DOCTYPE html><html><head><title>T</title></head><body><div class='comment-piece'>"
                 "<p>Closed for the holidays.</p></div></body></html>", id="found-by-a-fallback-only"),
]


@pytest.mark.parametrize("page", FEW_WORDS)
def test_page_with_a_few_words_only_is_rejected_too_short(tmp_path: Path, page: str) -> None:
    """Visible text too short to be an article: too-short, not no-main-text (it has text)."""
    got = clean_page(tmp_path, page)
    assert isinstance(got, Reject) and got.reason == "too-short"


NO_VISIBLE_TEXT = [
    pytest.param(f"""<!DOCTYPE html><html><head><title>{TITLE} | Example News</title>
<script>window.__STATE__ = {{"story": "{BODY[0]}"}};</script></head>
<body><div id="app"></div><script src="/bundle.js"></script></body></html>""", id="script-rendered"),
    pytest.param(f'<div class="x"><!DOCTYPE html><html><head><title>{TITLE}</title></head>'
                 '<body></body></html></div>', id="wrapped-empty-page"),
]


@pytest.mark.parametrize("page", NO_VISIBLE_TEXT)
def test_page_without_visible_text_is_still_rejected(tmp_path: Path, page: str) -> None:
    got = clean_page(tmp_path, page)
    assert isinstance(got, Reject) and got.reason == "no-main-text"


VISIBLE = [
    ("body text", "<html><body><p>Text.</p></body></html>", True),
    ("text of a wrapper without body", "<div><meta charset='utf-8'><p>Text.</p></div>", True),
    ("title only", "<html><head><title>T</title></head><body> </body></html>", False),
    ("title that lxml put in the body", "<div><title>T</title><div></div></div>", False),
    ("script, style, noscript and template", "<html><body><script>a()</script><style>p{}</style>"
     "<noscript>Enable JavaScript</noscript><template><p>T</p></template></body></html>", False),
    ("hidden elements", "<html><body><div hidden><p>T</p></div><p style='display: none'>T</p></body></html>",
     False),
]


@pytest.mark.parametrize(("label", "page", "visible"), VISIBLE, ids=[c[0] for c in VISIBLE])
def test_has_visible_text(label: str, page: str, visible: bool) -> None:
    assert has_visible_text(lxml.html.fromstring(page)) is visible


def test_a_page_that_starts_as_a_page_is_not_repaired(tmp_path: Path) -> None:
    doc = clean_page(tmp_path, article_html(TITLE, BODY))
    assert isinstance(doc, Document) and repairs(doc) == []


# --- repair_page_start, case by case ---------------------------------------------------------

PAGE = "<!DOCTYPE html><html><body><p>Text.</p></body></html>"
WRAPPER, TRUNCATED = "html:wrapper-before-doctype", "html:truncated-doctype"
CASES = [
    # (label, page, repaired page, repairs)
    ("starts with its doctype", PAGE, PAGE, []),
    ("byte-order mark, XML declaration and comment", "\ufeff<?xml version='1.0'?>\n<!-- saved -->\n" + PAGE,
     "\ufeff<?xml version='1.0'?>\n<!-- saved -->\n" + PAGE, []),
    ("head elements before the doctype", "<meta charset='utf-8'><style>p{}</style><script>a=1</script>" + PAGE,
     "<meta charset='utf-8'><style>p{}</style><script>a=1</script>" + PAGE, []),
    ("commented-out doctype", '<!--<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">-->\n' + PAGE,
     '<!--<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">-->\n' + PAGE, []),
    ("div wrapper", '<div class="x">' + PAGE + "</div>", PAGE + "</div>", [WRAPPER]),
    ("xml record wrapper", '<?xml version="1.0"?>\n<text id="https://a.example/1">\n' + PAGE,
     PAGE, [WRAPPER]),
    ("junk bytes", "\x1f\ufffd\x08\ufffdjunk\r\n" + PAGE, PAGE, [WRAPPER]),
    ("unclosed comment wrapper", "<!-- saved page " + PAGE + "<!-- ad -->", PAGE + "<!-- ad -->", [WRAPPER]),
    ("unclosed textarea wrapper", "<textarea>" + PAGE, PAGE, [WRAPPER]),
    ("unclosed script wrapper", "<script>" + PAGE.replace("<body>", "<head></head><body>"),
     PAGE.replace("<body>", "<head></head><body>"), [WRAPPER]),
    ("<html> tag after warnings and a script writing '<html>'",
     "<script>document.write('<html>')</script><b>Warning</b>: x\n<html><body><p>Text.</p>",
     "<html><body><p>Text.</p>", [WRAPPER]),
    ("the page's own head before a stray doctype", "<head><title>T</title></head><body>" + PAGE,
     "<head><title>T</title></head><body>" + PAGE, []),
    ("no page tag at all", "<p>Only a fragment.</p>", "<p>Only a fragment.</p>", []),
    ("doctype beyond the scan limit", "x" * PAGE_START_MAX_CHARS + PAGE, "x" * PAGE_START_MAX_CHARS + PAGE, []),
    ("truncated doctype", "<!DOCTYPE htm\n<html lang='en'><body>", "<!DOCTYPE html>\n<html lang='en'><body>",
     [TRUNCATED]),
    ("truncated public identifier", '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"<html>',
     "<!DOCTYPE html><html>", [TRUNCATED]),
    ("truncated doctype at the end", "<!DOCTYPE htm", "<!DOCTYPE html>", [TRUNCATED]),
    ("wrapper and truncated doctype", "<pre><!DOCTYPE htm<html>", "<!DOCTYPE html><html>", [WRAPPER, TRUNCATED]),
]


@pytest.mark.parametrize(("label", "page", "expected", "names"), CASES, ids=[c[0] for c in CASES])
def test_repair_page_start(label: str, page: str, expected: str, names: list[str]) -> None:
    repaired, notes = repair_page_start(page)
    assert repaired == expected
    assert [n.split(": ")[0] for n in notes] == names


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<!DOCTYPE html>", "<!DOCTYPE htm", "<html>", "<head>", "<body>",
                                  "<div>", "<!--", "-->", "<script>", "</script>", "<?xml?>",
                                  "\ufeff", " ", "\n", "x", "<", ">", "<p>Text.</p>"])).map("".join))
def test_repair_page_start_never_raises_and_is_idempotent(page: str) -> None:
    repaired, _ = repair_page_start(page)
    assert repair_page_start(repaired) == (repaired, ())
