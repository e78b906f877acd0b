"""Extraction from HTML (trafilatura) and text scrapes, through the whole per-document pipeline."""

from __future__ import annotations

from pathlib import Path

from cleaners.config import Config, ExtractConfig
from cleaners.clean.extract import extract_text, split_paragraphs
from cleaners.clean.pipeline import clean, doc_id_for
from cleaners.records import Document, RawDoc, Reject, Source
from tests.helpers import BODY, article_html, raw_text, run_folder


def test_html_main_text_and_metadata() -> None:
    html = article_html("Council approves library budget", BODY).encode("utf-8")
    doc = clean(RawDoc(Source("a.html", None, "x", "html"), html, "html"), Config())
    assert isinstance(doc, Document)
    assert doc.paragraphs == tuple(BODY)
    assert doc.title == "Council approves library budget"
    assert doc.published and doc.published.startswith("2024-10-17")
    assert doc.source.url == "https://news.example.com/library-budget"
    assert doc.source.outlet == "news.example.com"
    assert doc.language == "en"
    for junk in ("MOST READ", "Storm closes schools", "Tweet", "Copyright"):
        assert junk not in doc.text


def test_html_in_legacy_charset_with_mojibake_title(tmp_path: Path) -> None:
    body = ["Der Gemeinderat hat am Dienstag den Haushalt für die öffentlichen Bibliotheken "
            "beschlossen und damit einen monatelangen Streit über die Finanzierung beendet.",
            "Die Mitarbeiter begrüßten die Entscheidung, warnten aber vor zu wenig Personal "
            "in den Zweigstellen im Norden der Stadt."]
    (tmp_path / "de.html").write_bytes(article_html("Stadtrat beschließt Haushalt", body,
                                                    charset="iso-8859-1").encode("cp1252"))
    [doc], rejects = run_folder(tmp_path)
    assert not rejects
    assert doc.paragraphs == tuple(body)
    assert doc.language == "de"
    assert doc.fixes[0].name == "decode" and "cp1252" in doc.fixes[0].detail


def test_mojibake_text_is_repaired_and_explained() -> None:
    text = ("Nakatani\u00e2\u20ac\u2122s first overseas trip was to Brussels, where he met "
            "ministers from the alliance and its partners in the region on Thursday.")
    doc = clean(raw_text(text), Config())
    assert isinstance(doc, Document)
    assert "Nakatani\u2019s first" in doc.text
    assert any(f.name == "ftfy:decode" for f in doc.fixes)


def test_split_paragraphs_joins_hard_wrapped_blocks_only() -> None:
    text = "Title line\n\nNATO Defense Ministers'\nMeeting Partner Session\n\nOne sentence.\nTwo sentence.\n"
    assert split_paragraphs(text) == ["Title line", "NATO Defense Ministers' Meeting Partner Session",
                                      "One sentence.", "Two sentence."]


def test_text_title_is_first_short_line_but_not_a_caption() -> None:
    assert extract_text("A Headline Here\n" + BODY[0], ExtractConfig()).title == "A Headline Here"
    assert extract_text(BODY[0] + "\n" + BODY[1], ExtractConfig()).title is None
    ex = extract_text("Photo/Illustration A minister speaks. (Staff)\n" + BODY[0], ExtractConfig())
    assert ex.title is None


def test_page_without_main_text_is_rejected() -> None:
    html = b"<html><body><nav><a href='/'>Home</a></nav></body></html>"
    got = clean(RawDoc(Source("n.html", None, "x", "html"), html, "html"), Config())
    assert isinstance(got, Reject) and got.reason in ("no-main-text", "too-short")


def test_all_clutter_page_is_rejected_with_reason() -> None:
    got = clean(raw_text("POPULAR ARTICLE\n-\nStorm Closes Schools\n-\nTeam Wins Title"), Config())
    assert isinstance(got, Reject) and got.reason == "empty-after-cleaning"
    assert "list-item" in got.detail


def test_doc_id_is_stable_and_source_specific() -> None:
    a = Source("a.txt", None, "abc", "txt")
    assert doc_id_for(a) == doc_id_for(Source("a.txt", None, "abc", "txt"))
    assert doc_id_for(a) != doc_id_for(Source("b.txt", None, "abc", "txt"))
    assert doc_id_for(a) != doc_id_for(Source("a.txt", 0, "abc", "txt"))


def test_max_repeats_counts_long_paragraphs_only() -> None:
    from cleaners.clean.extract import max_repeats
    long_p = BODY[0]
    assert max_repeats((long_p, "Short line", long_p, "Short line", "Short line", long_p), 15) == 3
    assert max_repeats(("Short line",) * 5, 15) == 0


def test_repeated_story_triggers_one_recall_pass(monkeypatch) -> None:
    """Three copies of the story in the default extraction: recall mode is run once and
    kept because it repeats less; the switch is a recorded fix."""
    import trafilatura

    import cleaners.clean.extract as extract
    calls: list[bool] = []
    real = trafilatura.bare_extraction

    def fake(html, **kw):
        calls.append(bool(kw.get("favor_recall")))
        result = real(html, **kw)
        if not kw.get("favor_recall"):
            result.text = "\n".join(list(BODY) * 3)
        return result

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", fake)
    html = article_html("Council approves library budget", BODY).encode("utf-8")
    doc = clean(RawDoc(Source("a.html", None, "x", "html"), html, "html"), Config())
    assert isinstance(doc, Document)
    assert calls == [False, True]
    assert doc.paragraphs == tuple(BODY)
    assert any(f.name == "extract" and "favor_recall" in f.detail for f in doc.fixes)

    calls.clear()
    off = Config(extract=ExtractConfig(reextract_repeats=0))
    doc = clean(RawDoc(Source("a.html", None, "x", "html"), html, "html"), off)
    assert calls == [False]
    assert isinstance(doc, Document) and len(doc.paragraphs) == 3 * len(BODY)


def test_a_published_value_that_is_not_a_date_is_dropped_and_named() -> None:
    """A record's published value is kept as given when its date is real, read by
    parse_timestamp when it is another date form or as Unix time when it is a number of
    seconds or milliseconds, and otherwise dropped with a fix that names it ("2024-13-45" would sort before real dates and break pandas' to_datetime)."""
    body = " ".join(BODY)
    got = {}
    for value in ("2024-10-17T09:30:00Z", "2024-10-17 09:30 UTC", "October 17, 2024", "2024-13-45T99:99",
                  "2024-02-30", "0000-00-00", "1700000000", "1700000000123", "1700000000.5", "170000000",
                  "99999999999999", "soon"):
        doc = clean(RawDoc(Source("f.jsonl", 0, "x", "jsonl"), body.encode(), "text", "utf-8",
                           title="T", published=value, text=body), Config())
        assert isinstance(doc, Document), doc
        got[value] = (doc.published, [f.detail for f in doc.fixes if f.name == "published"])
    assert got["2024-10-17T09:30:00Z"] == ("2024-10-17T09:30:00Z", [])
    assert got["2024-10-17 09:30 UTC"] == ("2024-10-17 09:30 UTC", [])
    assert got["October 17, 2024"] == ("2024-10-17", [])
    for epoch in ("1700000000", "1700000000123", "1700000000.5"):  # Unix seconds or milliseconds
        assert got[epoch] == ("2023-11-14T22:13:20+00:00", []), got[epoch]
    for bad in ("2024-13-45T99:99", "2024-02-30", "0000-00-00", "170000000", "99999999999999", "soon"):
        assert got[bad] == (None, [f"not a date: {bad!r} (dropped)"]), got[bad]


def test_files_are_cleaned_one_result_at_a_time(tmp_path: Path) -> None:
    """iter_processed (what a clean-batch task writes from) reads a file only when its results
    are asked for: a batch is never held whole. Shown with a file removed after the first
    result was taken: it is then reported as vanished, not cleaned."""
    from cleaners.clean.batch import iter_processed
    from cleaners.config import ReadConfig
    from cleaners.read.readers import discover

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(" ".join(BODY))
    items = sorted(discover(tmp_path, ReadConfig()), key=lambda i: i.path)
    results = iter_processed(tmp_path, items, Config())
    first = next(results)
    assert isinstance(first, Document) and first.source.path == "a.txt"
    (tmp_path / "b.txt").unlink()
    rest = list(results)
    assert [(r.source.path, r.reason) for r in rest if isinstance(r, Reject)] == [("b.txt", "vanished")]
