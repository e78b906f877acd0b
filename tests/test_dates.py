"""Page dates: the record's, then htmldate's fast search (meta tags, JSON-LD, URL, <time>
attributes), then the body's timestamp lines, then the page's <time> text, and htmldate's
extensive search last, only on pages whose text holds a date it could read."""

from __future__ import annotations

from typing import Any

import pytest

from cleaners.clean import extract
from cleaners.config import Config
from cleaners.clean.pipeline import clean
from cleaners.records import Document, RawDoc, Source
from tests.helpers import BODY, article_html

BODY_HTML = "".join(f"<p>{p}</p>" for p in BODY)


def page(body: str, head: str = "", header: str = "") -> bytes:
    return (f"<!DOCTYPE html><html lang='en'><head><title>Council approves library budget</title>{head}</head>"
            f"<body>{header}<article><h1>Council approves library budget</h1>{body}</article></body></html>"
            ).encode("utf-8")


@pytest.fixture
def extensive_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The pages htmldate's extensive search ran on (find_date is still called)."""
    calls: list[Any] = []
    real = extract.find_date

    def counting(tree: Any, **kwargs: Any) -> Any:
        if kwargs.get("extensive_search"):
            calls.append(tree)
        return real(tree, **kwargs)

    monkeypatch.setattr(extract, "find_date", counting)
    return calls


def run(data: bytes, published: str | None = None) -> Document:
    doc = clean(RawDoc(Source("a.html", None, "x", "html"), data, "html", published=published), Config())
    assert isinstance(doc, Document)
    return doc


def date_fixes(doc: Document) -> list[str]:
    return [f.detail for f in doc.fixes if f.name == "published"]


def test_a_visible_timestamp_line_gives_the_date_without_the_extensive_search(extensive_calls: list[Any]) -> None:
    # the extensive search would read the other date of the text
    doc = run(page("<p>Updated 13:53 JST, October 17, 2024</p>" + BODY_HTML
                   + "<p>The library first opened on 12 March 2021, the council said in a statement.</p>"))
    assert doc.published == "2024-10-17T13:53:00+09:00"
    assert date_fixes(doc) == ["from a timestamp line"]
    assert ("timestamp", "Updated 13:53 JST, October 17, 2024") in doc.meta
    assert not extensive_calls


def test_a_meta_date_is_kept_before_a_timestamp_line(extensive_calls: list[Any]) -> None:
    body = ["Updated 13:53 JST, October 18, 2024", *BODY]
    doc = run(article_html("Council approves library budget", body).encode("utf-8"))
    assert doc.published and doc.published.startswith("2024-10-17")
    assert date_fixes(doc) == [] and not extensive_calls


def test_the_records_date_comes_first(extensive_calls: list[Any]) -> None:
    doc = run(article_html("Council approves library budget", BODY).encode("utf-8"), published="2024-09-01")
    assert doc.published == "2024-09-01" and date_fixes(doc) == [] and not extensive_calls


def test_time_element_text_outside_the_body_comes_after_timestamp_lines(extensive_calls: list[Any]) -> None:
    header = "<header><time>13:53 JST, October 17, 2024</time></header>"
    doc = run(page(BODY_HTML, header=header))
    assert (doc.published, date_fixes(doc)) == ("2024-10-17T13:53:00+09:00", ["from time-element"])
    doc = run(page("<p>Posted October 18, 2024</p>" + BODY_HTML, header=header))
    assert (doc.published, date_fixes(doc)) == ("2024-10-18", ["from a timestamp line"])
    assert not extensive_calls


def test_the_extensive_search_is_the_last_resort(extensive_calls: list[Any]) -> None:
    doc = run(page(BODY_HTML + "<p>Posted on 12 March 2021 by the harbour office of the city council.</p>"))
    assert (doc.published, date_fixes(doc)) == ("2021-03-12", ["from htmldate-extensive"])
    assert len(extensive_calls) == 1


def test_a_page_with_no_date_anywhere_gets_none_without_the_extensive_search(extensive_calls: list[Any]) -> None:
    doc = run(page(BODY_HTML))
    assert doc.published is None and date_fixes(doc) == [] and not extensive_calls


@pytest.mark.parametrize(("text", "dated"), [
    ("Oct. 17, 2024 at 1:53 p.m.", True), ("17 October 2024", True), ("12. März 2021", True),
    ("17/10/2024 13:53", True), ("2024-10-17", True), ("2024年10月17日", True), ("22 de outubro de 2010", True),
    ("In 2024 the council met 17 times.", False), ("Call 555-1234 before 5 p.m.", False),
])
def test_date_like_is_the_extensive_searchs_precheck(text: str, dated: bool) -> None:
    assert bool(extract.DATE_LIKE.search(text)) is dated
