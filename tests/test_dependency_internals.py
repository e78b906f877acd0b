"""What newsclean relies on in its dependencies beyond their documented API, each checked on
a small input. pyproject.toml pins these dependencies exactly (trafilatura==2.3.1,
ftfy==6.3.1, as constraints.txt does). When a test here fails after a version bump, its
message names the function of ours that depends on the behaviour and what to do."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from typing import Any

import ftfy
import ftfy.fixes
import pytest
import trafilatura
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import (META_URL, examine_meta, extract_meta_json, extract_sitename,
                                  extract_title, extract_url)
from trafilatura.settings import Document

from cleaners.clean import encoding
from cleaners.clean.extract import page_metadata

PAGE_METADATA = (
    "cleaners.clean.extract.page_metadata relies on this. On a trafilatura bump: compare page_metadata "
    "with trafilatura.extract_metadata (trafilatura/metadata.py) of the new version and follow its "
    "steps again; then update this test and the pins in pyproject.toml and constraints.txt.")
FAST_PATH = (
    "cleaners.clean.encoding's fast path relies on this (without it repair() stays exact, only slower). "
    "On an ftfy bump: read BADNESS_RE in ftfy/badness.py again (each alternative must need a character "
    "of _ANCHOR_CATEGORIES or _ANCHOR_LETTERS, and none may match more than _BADNESS_WIDTH characters) "
    "and fix_and_explain's steps against the comment above _PER_CHARACTER_FIXERS; then update "
    "_FTFY_FAST_VERSION, this test and the pins in pyproject.toml and constraints.txt.")

URL = "https://news.example/a"
CANONICAL = "https://www.harborgazette.example/news/harbour-reopens"
PAGE = f"""<!DOCTYPE html><html><head>
<title>Harbour reopens after storm | harborgazette.example</title>
<meta property="og:title" content="Harbour reopens after storm">
<meta name="author" content="Jane Doe">
<meta property="og:site_name" content="Harbor Gazette">
<meta name="description" content="  The port &amp; ferries run again.  ">
<link rel="canonical" href="{CANONICAL}">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Harbour reopens after the storm", "author": {{"@type": "Person", "name": "John Roe"}},
 "datePublished": "2024-10-17T08:00:00Z",
 "publisher": {{"@type": "Organization", "name": "Harbor Gazette"}}}}</script>
</head><body><article><h1>Harbour reopens after storm</h1>
<p>The harbour reopened on Thursday after the storm damaged two piers and closed the ferry terminal.</p>
<p>Ferries run on the winter timetable until the second pier is repaired.</p></article></body></html>"""
# No meta tags: the date is in the text, the author only in a byline
BARE_PAGE = """<html><head><title>T</title></head><body><article><h1>Harbour news</h1>
<p class="byline">By Kenji Sato</p><p>Posted on 12 March 2021 by the harbour office.</p>
<p>The harbour reopened on Thursday after the storm damaged two piers.</p></article></body></html>"""


def tree_of(html: str) -> HtmlElement:
    tree = trafilatura.load_html(html)
    assert tree is not None
    return tree


# --- trafilatura: the metadata steps page_metadata calls ---------------------------------

def test_examine_meta_reads_the_meta_tags() -> None:
    md = examine_meta(tree_of(PAGE))
    assert isinstance(md, Document), PAGE_METADATA
    assert (md.title, md.author, md.sitename, md.description, md.url) == (
        "Harbour reopens after storm", "Jane Doe", "Harbor Gazette", "The port & ferries run again.",
        None), PAGE_METADATA


def test_extract_meta_json_adds_json_ld_to_what_it_is_given() -> None:
    tree = tree_of(PAGE)
    md = extract_meta_json(tree, examine_meta(tree))
    assert isinstance(md, Document), PAGE_METADATA
    assert (md.title, md.author, md.sitename) == (
        "Harbour reopens after storm", "Jane Doe; John Roe", "Harbor Gazette"), PAGE_METADATA
    alone = extract_meta_json(tree, Document())
    assert (alone.title, alone.author) == ("Harbour reopens after the storm", "John Roe"), PAGE_METADATA


def test_extract_title_takes_a_single_h1() -> None:
    assert extract_title(tree_of(PAGE)) == "Harbour reopens after storm", PAGE_METADATA


def test_extract_url_takes_the_canonical_link_else_the_default() -> None:
    assert extract_url(tree_of(PAGE)) == CANONICAL, PAGE_METADATA
    assert extract_url(tree_of(BARE_PAGE), URL) == URL, PAGE_METADATA


def test_extract_sitename_takes_the_title_part_with_a_dot() -> None:
    assert extract_sitename(tree_of(PAGE)) == "harborgazette.example", PAGE_METADATA
    assert extract_sitename(tree_of(BARE_PAGE)) is None, PAGE_METADATA


def test_meta_url_captures_the_host_without_www() -> None:
    assert META_URL.match(CANONICAL)[1] == "harborgazette.example", PAGE_METADATA
    assert META_URL.match("http://w3.example.org/")[1] == "example.org", PAGE_METADATA


def test_document_fields_and_clean_and_trim() -> None:
    md = Document()
    fields = ("title", "author", "url", "hostname", "description", "sitename", "date", "language")
    assert all(getattr(md, name) is None for name in fields), PAGE_METADATA
    md.title, md.description = "  A  &amp;  B \n", "x" * 10_005
    md.clean_and_trim()
    assert (md.title, md.description) == ("A & B", "x" * 9_999 + "…"), PAGE_METADATA


@pytest.mark.parametrize(("html", "date", "authors"), [
    (PAGE, "2024-10-17", ("Jane Doe; John Roe", "Jane Doe; John Roe")),
    (BARE_PAGE, "2021-03-12", (None, "Kenji Sato")),
], ids=["meta-tags", "bare"])
def test_page_metadata_is_extract_metadata_without_the_body_author(
        html: str, date: str, authors: tuple[str | None, str | None]) -> None:
    """trafilatura's public extract_metadata gives the same fields (the bare page's date is
    found by htmldate's extensive search, which page_metadata runs only when asked: by
    default the date is htmldate's fast search's) and also looks for an author in the page body."""
    tree = tree_of(html)
    ours, theirs = page_metadata(tree, URL, extensive_search=True), trafilatura.extract_metadata(tree, URL)
    for name in ("title", "url", "hostname", "sitename", "date", "description", "language"):
        assert getattr(ours, name) == getattr(theirs, name), f"{name}: {PAGE_METADATA}"
    assert ours.date == date, PAGE_METADATA
    assert page_metadata(tree, URL).date == (date if html == PAGE else None), PAGE_METADATA
    assert (ours.author, theirs.author) == authors, PAGE_METADATA


def _bare(tree: HtmlElement) -> Any:
    return trafilatura.bare_extraction(tree, with_metadata=False)


def _bare_recall(tree: HtmlElement) -> Any:
    return trafilatura.bare_extraction(tree, with_metadata=False, favor_recall=True)


@pytest.mark.parametrize("extract", [_bare, _bare_recall, trafilatura.baseline])
def test_extraction_leaves_the_callers_tree_intact(extract: Callable[[HtmlElement], Any]) -> None:
    tree = tree_of(PAGE)
    before = etree.tostring(tree)
    assert extract(tree)
    assert etree.tostring(tree) == before, (
        "cleaners.clean.extract.extract_html extracts up to three times from one tree, then "
        "page_metadata reads it: it relies on trafilatura working on a copy. If it no longer does, "
        "pass copy.deepcopy(tree) in _main_text and fallback_paragraphs.")


# --- ftfy: what repair()'s fast path was read from ---------------------------------------

# sha256 of ftfy 6.3.1's BADNESS_RE.pattern, from which encoding's anchor table was read
BADNESS_SHA256 = "9dcc0f2ac90d9ae3c85eb7b9b2c0b8a8e8126153847c2b30c91a0bb263f3b8c4"


def test_badness_pattern_is_the_one_the_anchor_table_was_read_from() -> None:
    assert ftfy.__version__ == encoding._FTFY_FAST_VERSION and encoding._BAD_ANCHORS is not None, FAST_PATH
    assert hashlib.sha256(BADNESS_RE.pattern.encode()).hexdigest() == BADNESS_SHA256, FAST_PATH


def test_mojibake_categories_hold_the_anchor_categories() -> None:
    for name in encoding._ANCHOR_CATEGORIES:
        assert isinstance(MOJIBAKE_CATEGORIES.get(name), str) and MOJIBAKE_CATEGORIES[name], f"{name}: {FAST_PATH}"
    anchors = encoding._BAD_ANCHORS
    assert anchors is not None and anchors.fullmatch("€") and not anchors.search("“curly” — text"), FAST_PATH


def test_every_badness_match_holds_an_anchor() -> None:
    """No text without an anchor character is bad: every pair of the other characters that
    matter to BADNESS_RE (those of its categories, and ASCII, other letters, symbols and
    spaces), then a long random string of them; and no match is longer than the width."""
    anchors = encoding._BAD_ANCHORS
    assert anchors is not None, FAST_PATH
    categories = re.compile("[" + "".join(MOJIBAKE_CATEGORIES.values()) + "]")
    relevant = [c for c in map(chr, range(0x10000)) if categories.match(c)]
    relevant += list("aZ \t\n0_.,?!-'\"\u05e9\u2192\u3000")
    others = [c for c in relevant if not anchors.match(c)]
    rng = random.Random(23)
    pairs = "".join(a + b for a in others for b in others)
    noise = "".join(rng.choice(others) for _ in range(300_000))
    for text in (pairs, noise):
        m = BADNESS_RE.search(text)
        assert m is None, f"{m.group()!r} has no anchor: {FAST_PATH}"
    mixed = "".join(rng.choice(relevant) for _ in range(300_000))
    assert max(len(m.group()) for m in BADNESS_RE.finditer(mixed)) <= encoding._BADNESS_WIDTH, FAST_PATH
    assert len(BADNESS_RE.search("xГўВЂВњx").group()) == encoding._BADNESS_WIDTH, FAST_PATH


def test_fix_and_explain_has_the_steps_the_fast_path_knows() -> None:
    assert ftfy.TextFixerConfig._fields == (
        "unescape_html", "remove_terminal_escapes", "fix_encoding", "restore_byte_a0",
        "replace_lossy_sequences", "decode_inconsistent_utf8", "fix_c1_controls", "fix_latin_ligatures",
        "fix_character_width", "uncurl_quotes", "fix_line_breaks", "fix_surrogates",
        "remove_control_chars", "normalization", "max_decode_length", "explain"), FAST_PATH


@pytest.mark.parametrize("name", encoding._PER_CHARACTER_FIXERS)
def test_fixers_act_character_by_character_within_the_bmp(name: str) -> None:
    """encoding._fixer_chars_re tries each fixer on the BMP a block at a time: what it finds
    is what the fixer changes one character at a time, text without those characters is
    left alone, and nothing beyond the BMP is changed."""
    fixer = getattr(ftfy.fixes, name)
    bmp = "".join(map(chr, range(0x10000)))
    changed = encoding._changed_chars(fixer, bmp)
    assert changed and changed == {c for c in bmp if fixer(c) != c}, FAST_PATH
    kept = [c for c in bmp if c not in changed]
    rng = random.Random(name)
    for _ in range(200):
        text = "".join(rng.choice(kept) for _ in range(40))
        assert fixer(text) == text, f"{text!r}: {FAST_PATH}"
    beyond = "".join(map(chr, range(0x10000, 0x110000)))
    assert fixer(beyond) == beyond, FAST_PATH
