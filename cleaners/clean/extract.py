"""Extraction: main text and metadata from HTML (trafilatura) or a plain-text scrape."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

import lxml.html
import trafilatura
from courlan import extract_domain
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
# trafilatura's metadata steps, not its public API: pyproject.toml pins trafilatura exactly and
# tests/test_dependency_internals.py checks each of them.
from trafilatura.metadata import (META_URL, examine_meta, extract_meta_json, extract_sitename,
                                  extract_title, extract_url)
from trafilatura.settings import Document as TrafilaturaDocument

from cleaners.clean.clutter import BULLET_ONLY, LIST_HEADING, caption_prefix, credit
from cleaners.config import ExtractConfig
from cleaners.clean.timestamps import MONTHS as TIMESTAMP_MONTHS, FOREIGN_MONTHS, is_timestamp_line, parse_timestamp
from cleaners.kernels.text import word_count

SENTENCE_END = (".", "!", "?", ":", ";", "”", '"', "’", ")", "。", "！", "？")


@dataclass(frozen=True)
class Extracted:
    title: str | None
    published: str | None
    paragraphs: tuple[str, ...]
    meta: tuple[tuple[str, str], ...] = ()
    url: str | None = None
    sitename: str | None = None
    language: str | None = None
    # How the text was obtained, when not the default way; a repair or fallback note starts
    # with its name ("html:wrapper-before-doctype: ...", "fallback:baseline: ...").
    notes: tuple[str, ...] = ()
    # The parsed page, for the dates of a page whose ``published`` is None and whose body has
    # no timestamp line (``late_dates``, run by the pipeline only then).
    tree: HtmlElement | None = field(default=None, compare=False, repr=False)


def extract_html(html: str, url: str | None, cfg: ExtractConfig) -> Extracted | None:
    """trafilatura's main text and metadata; None when it finds no main text.

    The page is first repaired where it does not start as a page (``repair_page_start``:
    a wrapper or junk before the doctype, a doctype without ``>``). When trafilatura then
    finds no main text, or fewer than ``cfg.min_words`` words (``too_short``: a repeated paragraph
    counted once; the pipeline would reject the
    page as too-short), on a page that has visible body text, its recall mode and then its
    baseline are tried (``fallback_paragraphs``). When the default
    extraction repeats a long paragraph ``cfg.reextract_repeats`` times or more,
    trafilatura took several renderings of the story (or a repeated block) as the body;
    its recall mode, which compares candidate extractions, is run once more and kept when
    it repeats less. Each repair, fallback and switch is recorded in ``Extracted.notes``.
    """
    html, notes = repair_page_start(html)
    tree = trafilatura.load_html(html)
    if tree is None:
        return None
    paragraphs = _main_text(tree, url, cfg)
    if not too_short(paragraphs, cfg):
        paragraphs, reextract_notes = _reextract_if_repeated(tree, url, cfg, paragraphs)
    else:
        paragraphs, reextract_notes = fallback_paragraphs(tree, url, cfg, paragraphs)
        if not paragraphs:
            return None
    notes += reextract_notes
    md = page_metadata(tree, url)
    meta = tuple((key, str(getattr(md, key))) for key in ("author", "sitename", "hostname", "description")
                 if getattr(md, key))
    return Extracted(title=md.title or None, published=md.date or None, paragraphs=paragraphs, meta=meta,
                     url=md.url or url, sitename=md.sitename or None, language=md.language or None, notes=notes,
                     tree=tree)


def _reextract_if_repeated(tree: HtmlElement, url: str | None, cfg: ExtractConfig,
                           paragraphs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """trafilatura's recall mode when its default output repeats a long paragraph
    ``cfg.reextract_repeats`` times or more, kept when it repeats less (with a note)."""
    repeats = max_repeats(paragraphs, cfg.repeat_min_words)
    if not cfg.reextract_repeats or repeats < cfg.reextract_repeats:
        return paragraphs, ()
    alt_paragraphs = _main_text(tree, url, cfg, favor_recall=True)
    if not alt_paragraphs or max_repeats(alt_paragraphs, cfg.repeat_min_words) >= repeats:
        return paragraphs, ()
    return alt_paragraphs, (f"favor_recall re-extraction: a paragraph was repeated {repeats}x "
                            f"({len(paragraphs)} -> {len(alt_paragraphs)} paragraphs)",)


def page_metadata(tree: HtmlElement, url: str | None, extensive_search: bool = False) -> TrafilaturaDocument:
    """Title, date, URL, site name, author and description of a page.

    ``trafilatura.extract_metadata`` step by step (meta tags, JSON-LD, title, URL,
    htmldate, site name), without the parts newsclean does not use, which are most of its
    cost: categories, tags, licence, and the author search in the page body (the author
    comes from meta tags and JSON-LD only). The date is htmldate's fast search (meta tags,
    JSON-LD, the URL, <time> and abbr elements, its patterns) unless ``extensive_search``:
    extract_metadata's default also searches the page's free text, which can take seconds a
    page in dateparser; the pipeline runs that search last (``late_dates``). Reads the tree,
    does not change it.
    """
    md = examine_meta(tree)
    if md.author and " " not in md.author:
        md.author = None
    with suppress(Exception):  # trafilatura's own guard: bugs in its JSON-LD parser
        md = extract_meta_json(tree, md)
    if not md.title:
        md.title = extract_title(tree)
    if not md.url:
        md.url = extract_url(tree, url)
    if md.url:
        md.hostname = extract_domain(md.url, fast=True)
    md.date = page_date(tree, md.url, extensive_search)
    if not md.sitename:
        md.sitename = extract_sitename(tree)
    if md.sitename:
        md.sitename = md.sitename.lstrip("@")
        if md.sitename and "." not in md.sitename and not md.sitename[0].isupper():
            md.sitename = md.sitename.title()
    elif md.url and (m := META_URL.match(md.url)):
        md.sitename = m[1]
    md.clean_and_trim()
    return md


def page_date(tree: HtmlElement, url: str | None, extensive_search: bool) -> str | None:
    """htmldate as extract_metadata calls it: the first publication date, not after today."""
    return find_date(tree, url=url, original_date=True, extensive_search=extensive_search,
                     max_date=datetime.now().astimezone().strftime("%Y-%m-%d"))


# A date htmldate's extensive search could read in the page's text: a year with a month name
# or number next to it, a day-month-year or year-month-day in digits, or a CJK date.
_MONTH_NAMES = "|".join(sorted(set(TIMESTAMP_MONTHS) | FOREIGN_MONTHS, key=len, reverse=True))
DATE_LIKE = re.compile(
    rf"\b(?:{_MONTH_NAMES})\.?\s*\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s*(?:de\s+)?(?:{_MONTH_NAMES})\.?,?\s*(?:de\s+)?(?:19|20)\d\d\b"
    r"|\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d\d\b|\b(?:19|20)\d\d[./-]\d{1,2}[./-]\d{1,2}\b"
    r"|(?:19|20)\d\d\s*年\s*\d{1,2}\s*月|(?:19|20)\d\d\s*년\s*\d{1,2}\s*월",
    re.IGNORECASE)


def time_element_date(tree: HtmlElement) -> str | None:
    """The date of the page's first <time> element whose text is a timestamp line
    (``parse_timestamp``): a visible date outside the extracted body."""
    for elem in tree.iter("time"):
        text = " ".join(" ".join(elem.itertext()).split())
        if is_timestamp_line(text) and (date := parse_timestamp(text)):
            return date
    return None


def late_dates(tree: HtmlElement, url: str | None) -> tuple[str, str | None]:
    """(where from, date) for a page with no date in its record, meta tags, JSON-LD, URL or
    timestamp lines: the text of its <time> elements, else htmldate's extensive search.

    The extensive search is bounded, deterministically (a wall-clock limit would make the
    output depend on the machine's load): it runs only when the page's visible text holds a
    date it could read (``DATE_LIKE``); without one it spends its time, seconds a page, in
    dateparser's language detection for nothing.
    """
    if date := time_element_date(tree):
        return "time-element", date
    text = " ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    if not DATE_LIKE.search(text):
        return "no-date-in-text", None
    return "htmldate-extensive", page_date(tree, url, extensive_search=True)


def _main_text(tree: HtmlElement, url: str | None, cfg: ExtractConfig,
               favor_recall: bool = False) -> tuple[str, ...]:
    """The paragraphs of trafilatura's main text (it works on a copy: the caller's tree stays intact)."""
    result = trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=cfg.include_comments, include_tables=cfg.include_tables,
        include_images=False, include_links=False, favor_recall=favor_recall)
    return _lines(result.text or "") if result is not None else ()


def _lines(text: str) -> tuple[str, ...]:
    """The lines of text that are not blank, stripped."""
    return tuple(line.strip() for line in text.split("\n") if line.strip())


def max_repeats(paragraphs: tuple[str, ...], min_words: int) -> int:
    """How often the most repeated paragraph of at least min_words words occurs (0 if none)."""
    counts = Counter(" ".join(p.lower().split()) for p in paragraphs if len(p.split()) >= min_words)
    return max(counts.values(), default=0)


# --- A page that does not start as a page (named repairs before parsing) ------------------
# A crawler, a proxy or a server can put something in front of the page: a wrapper element
# (<div class="x">, <pre>, an XML record such as <text id="URL">), PHP warnings, stray bytes.
# lxml then parses the whole page inside that element: no <html>, <head> or <body>, so the
# head's metadata (canonical URL, author, site name, og:title) is not found, and trafilatura's
# fallbacks that look for <body> find nothing. A doctype cut short ("<!DOCTYPE htm" without
# ">") swallows the next tag, usually <html ...>, and trafilatura takes a page whose first 50
# characters hold no "html" and whose root has a single child (a page without <head>) for
# something that is not HTML.
# How far into a page its doctype or <html> tag is looked for: a wrapper is a few hundred
# characters, but a server's debug output or a warning repeated in a loop can run to tens of
# kilobytes before the page (left in place, it became the text and the page was too-short or
# lost its precision). The bound only keeps a page without either tag (a fragment, a page
# that starts at <head> or <body>) from being scanned to the end of a very large file; the
# scan is linear, so a generous bound costs little.
PAGE_START_MAX_CHARS = 1 << 20
# Before the page start, comments, scripts and styles are skipped (a "<!DOCTYPE" or "<html>"
# in a commented-out line or in a script's string is not the page), unless one is not closed
# before the page's <head> or <body> tag: a parser would let it swallow the page, so it is
# part of the wrapper.
_PAGE_START_OPEN = re.compile(r"<!--|<(?P<raw>script|style)\b|(?P<start><!doctype\b|<html(?=[\s>/]))",
                              re.IGNORECASE)
_CLOSERS = {"comment": re.compile("-->"), "script": re.compile(r"</script\s*>", re.IGNORECASE),
            "style": re.compile(r"</style\s*>", re.IGNORECASE)}
_HEAD_OR_BODY_TAG = re.compile(r"<(?:head|body)[\s>/]", re.IGNORECASE)
# What may stand before a doctype without being a wrapper: whitespace, a byte-order mark,
# comments, an XML declaration or other processing instruction, and elements a parser puts
# in <head> anyway (a closed script, style or title; meta, link, base): with only these the
# page parses as if they were not there.
_HARMLESS_TOKEN = re.compile(r"""
    [\s\ufeff]+ | <!--.*?--> | <\?[^>]*> |
    <(?P<raw>script|style|title)\b[^>]*>.*?</(?P=raw)\s*> |
    <(?:meta|link|base)\b[^>]*>
""", re.IGNORECASE | re.DOTALL | re.VERBOSE)
_DOCTYPE = re.compile(r"<!doctype\b[^<>]*", re.IGNORECASE)  # closed when followed by ">"
CLOSED_DOCTYPE = "<!DOCTYPE html>"


class _NextMatch:
    """The first match of a pattern at or after a position, for positions that only grow:
    each part of the text is searched once (a scan stays linear on any input)."""

    def __init__(self, pattern: re.Pattern[str], text: str, limit: int) -> None:
        self.pattern, self.text, self.limit = pattern, text, limit
        self.searched_from = len(text) + 1  # nothing searched yet
        self.match: re.Match[str] | None = None

    def after(self, pos: int) -> re.Match[str] | None:
        cached = self.searched_from <= pos and (self.match is None or self.match.start() >= pos)
        if not cached:
            self.match = self.pattern.search(self.text, pos, self.limit)
            self.searched_from = pos
        return self.match


def page_start(html: str) -> int | None:
    """Where the page's doctype or <html> tag is (comments, scripts and styles before it
    skipped), within the first PAGE_START_MAX_CHARS characters; None when there is none.

    >>> page_start('<div class="x"><!DOCTYPE html><html>'), page_start("<p>No page tag</p>")
    (15, None)
    """
    limit = min(len(html), PAGE_START_MAX_CHARS)
    closers = {kind: _NextMatch(rx, html, limit) for kind, rx in _CLOSERS.items()}
    head_or_body = _NextMatch(_HEAD_OR_BODY_TAG, html, limit)
    pos = 0
    while (m := _PAGE_START_OPEN.search(html, pos, limit)) is not None:
        if m.group("start"):
            return m.start()
        close = closers[(m.group("raw") or "comment").lower()].after(m.end())
        barrier = head_or_body.after(m.end())
        if close is None or (barrier is not None and barrier.start() < close.start()):
            pos = m.end()  # not closed before the page's <head>/<body>: part of a wrapper
        else:
            pos = close.end()
    return None


def is_harmless_prefix(prefix: str) -> bool:
    """Whether what stands before a page's doctype is only what may (see _HARMLESS_TOKEN).

    >>> is_harmless_prefix("<?xml version='1.0'?> <!-- saved --> <meta charset='utf-8'>")
    True
    >>> is_harmless_prefix('<div class="x">')
    False
    """
    pos = 0
    while pos < len(prefix):
        m = _HARMLESS_TOKEN.match(prefix, pos)
        if m is None:
            return False
        pos = m.end()
    return True


def repair_page_start(html: str) -> tuple[str, tuple[str, ...]]:
    """The page without what stands before its doctype or <html> tag
    (``html:wrapper-before-doctype``) and with a doctype cut short closed
    (``html:truncated-doctype``), and a note for each repair made.

    A prefix that holds a <head> or <body> tag is the page itself (the doctype or <html>
    after it belongs to an embedded document) and is kept.

    >>> html, notes = repair_page_start('<div class="x"><!DOCTYPE htm<html><body><p>Text.</p>')
    >>> html, [note.split(": ")[0] for note in notes]
    ('<!DOCTYPE html><html><body><p>Text.</p>', ['html:wrapper-before-doctype', 'html:truncated-doctype'])
    """
    start = page_start(html)
    if start is None:
        return html, ()
    notes: tuple[str, ...] = ()
    prefix = html[:start]
    if not is_harmless_prefix(prefix) and _HEAD_OR_BODY_TAG.search(prefix) is None:
        what = "doctype" if html[start + 1] == "!" else "<html> tag"
        notes += (f"html:wrapper-before-doctype: removed {start} characters before the {what}: "
                  f"{_shorten(prefix)!r}",)
        html, start = html[start:], 0
    doctype = _DOCTYPE.match(html, start)
    if doctype and not html.startswith(">", doctype.end()):
        broken = doctype.group().rstrip()
        html = html[:start] + CLOSED_DOCTYPE + html[start + len(broken):]
        notes += (f"html:truncated-doctype: {_shorten(broken)!r} without '>' closed as "
                  f"{CLOSED_DOCTYPE!r}",)
    return html, notes


def _shorten(text: str, limit: int = 80) -> str:
    """text with runs of whitespace as one space, cut to limit characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- When trafilatura finds no main text -----------------------------------------------
# Text a reader does not see: the head, scripts and styles, templates, noscript content
# (shown only without JavaScript), and elements hidden by the hidden attribute or an
# inline display:none. A <title> counts as not visible wherever lxml put it.
_VISIBLE_TEXT = etree.XPath(
    "//text()[normalize-space()][not(ancestor::head or ancestor::title or ancestor::script"
    " or ancestor::style or ancestor::noscript or ancestor::template"
    " or ancestor::*[@hidden]"
    " or ancestor::*[contains(translate(@style, ' ', ''), 'display:none')])]")


def has_visible_text(tree: HtmlElement) -> bool:
    """Whether the page shows any text in its body (see _VISIBLE_TEXT).

    >>> has_visible_text(lxml.html.fromstring("<html><head><title>T</title></head><body></body></html>"))
    False
    """
    return bool(_VISIBLE_TEXT(tree))


def distinct_words(paragraphs: tuple[str, ...]) -> int:
    """The words of the paragraphs, each distinct paragraph counted once: what is left after
    the clutter rules drop repeated paragraphs (a site slogan found twice is 5 words, not 10)."""
    return word_count("\n".join(dict.fromkeys(paragraphs)))


def too_short(paragraphs: tuple[str, ...], cfg: ExtractConfig) -> bool:
    """Whether an extraction is too short to keep without trying the fallbacks."""
    return distinct_words(paragraphs) < cfg.min_words


def fallback_paragraphs(tree: HtmlElement, url: str | None, cfg: ExtractConfig,
                        found: tuple[str, ...] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The text of a page where trafilatura's default extraction found none, or ``found``
    with fewer than ``cfg.min_words`` words, and a note naming the fallback that found more:
    its recall mode (``fallback:favor-recall``), then its baseline (``fallback:baseline``:
    JSON-LD articleBody, <article>, paragraphs, else every text node of the body as a line).
    The first fallback that finds ``cfg.min_words`` words is taken; when none does, the one
    that found most, if more than ``found`` (the pipeline then rejects the page as too-short,
    not as no-main-text: it has text). Nothing is tried on a page without visible body text,
    which stays rejected.
    """
    if not has_visible_text(tree):
        return found, ()
    best, best_words, best_note = found, distinct_words(found), ""
    what = f"only {best_words} words" if found else "no main text"
    for name, attempt in (("favor-recall", lambda: _main_text(tree, url, cfg, favor_recall=True)),
                          # [1]: the baseline's text (it works on a copy of the tree too)
                          ("baseline", lambda: _lines(trafilatura.baseline(tree)[1]))):
        got = attempt()
        if (n := distinct_words(got)) > best_words:
            by = "in recall mode it" if name == "favor-recall" else "its baseline"
            best, best_words = got, n
            best_note = f"fallback:{name}: trafilatura found {what}; {by} found {len(got)} paragraphs, {n} words"
            if n >= cfg.min_words:
                break
    return best, (best_note,) if best_note else ()


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a plain-text scrape.

    Blocks are separated by blank lines. Inside a block each line is a
    paragraph, unless the block is hard-wrapped (no line but the last ends like
    a sentence and all lines are short), in which case its lines are joined.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for block in re.split(r"\n[ \t\u3000]*\n", text):
        lines = _lines(block)
        wrapped = len(lines) >= 2 and all(len(ln) <= 100 for ln in lines) and \
            not any(ln.endswith(SENTENCE_END) for ln in lines[:-1]) and \
            not any(is_timestamp_line(ln) or BULLET_ONLY.match(ln) or LIST_HEADING.match(ln)
                    for ln in lines)
        if wrapped:
            out.append(" ".join(lines))
        else:
            out.extend(lines)
    return out


def looks_like_title(line: str, cfg: ExtractConfig) -> bool:
    """The first line of a text scrape is a title when short and not a sentence."""
    words = line.split()
    return (2 <= len(words) and not caption_prefix(line) and not credit(line)
            and not LIST_HEADING.match(line) and len(line) <= cfg.max_title_chars
            and not line.rstrip().endswith((".", "!", "。"))
            and not is_timestamp_line(line))


def extract_text(text: str, cfg: ExtractConfig) -> Extracted:
    """Title (first line when it looks like one) and paragraphs of a plain-text scrape."""
    paragraphs = split_paragraphs(text)
    if len(paragraphs) > 1 and looks_like_title(paragraphs[0], cfg):
        return Extracted(title=paragraphs[0], published=None, paragraphs=tuple(paragraphs[1:]))
    return Extracted(title=None, published=None, paragraphs=tuple(paragraphs))
