"""Clutter rules: what one page alone shows is not article text.

Every rule is registered here with a name (the removal reason it records; list-section
records "list-heading (KIND)" and "list-item (KIND)"), an order and a kind: a
``ParagraphRule`` judges one paragraph alone; a ``PageRule`` sees the paragraph sequence
(list sections, the title, a caption above a timestamp, repeated lines, the dateline of
the first body paragraph). ``strip_clutter`` runs the rules that ``ClutterConfig`` leaves
on, in order, and returns a new Document whose ``removed`` lists each removal with its
reason. Timestamps, datelines, bylines and repeated titles are not lost: they move to
metadata (reason ``...->metadata``).

Adding a rule is one decorated function here and its test in tests/test_clutter.py::

    @paragraph_rule("podcast-promo", order=295, max_words=30)
    def podcast_promo(p: str) -> bool:
        return "podcast" in p.lower() and bool(PODCAST_PROMO.search(p))

or, for a rule that is one pattern matched from the paragraph's start, one line::

    podcast_promo = line_rule("podcast-promo", order=295, pattern=PODCAST_PROMO, max_words=30)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple

from cleaners.config import ClutterConfig
from cleaners.kernels.chars import WORD
from cleaners.kernels.text import clutter_word_counts, sentences
from cleaners.records import Document, Removal
from cleaners.clean.timestamps import is_timestamp_line, parse_timestamp

# Headings of sidebar lists. Matched against a whole line only, so an article
# sentence that mentions "most read" is never taken.
LIST_HEADING = re.compile(
    r"""^(?:["“'‘][^"”'’]{1,40}["”'’]\s*)?(?:[A-Z]{1,6}\s+)?
    (?P<kind>POPULAR\s+ARTICLES?|ACCESS\s+RANKING|MOST\s+(?:READ|POPULAR|VIEWED|SHARED|COMMENTED)
    |RELATED\s+(?:ARTICLES?|STORIES|NEWS|CONTENT|COVERAGE|LINKS|POSTS)|READ\s+(?:MORE|NEXT|ALSO)
    |TRENDING(?:\s+NOW|\s+STORIES|\s+ARTICLES)?|RECOMMENDED(?:\s+FOR\s+YOU|\s+STORIES|\s+ARTICLES|\s+READING)?
    |YOU\s+MAY\s+ALSO\s+LIKE|YOU\s+MIGHT\s+ALSO\s+LIKE|TOP\s+STORIES|LATEST\s+(?:NEWS|STORIES|ARTICLES)
    |EDITOR'?S\s+PICKS|MORE\s+(?:STORIES|NEWS|ARTICLES)(?:\s+FROM\s+.{1,30})?|RANKING|POPULAR\s+NOW
    |IN\s+CASE\s+YOU\s+MISSED\s+IT|WHAT\s+TO\s+READ\s+NEXT
    |(?:MOST\s+(?:READ|POPULAR|VIEWED)\s+IN|POPULAR\s+ON)\s+\S.{0,30}|EXPLORE\s+FURTHER
    |FOOTNOTES|FURTHER\s+READING|ABOUT\s+THE\s+(?:AUTHORS?|REVIEWERS?)|DON'?T\s+MISS)\s*(?::|\.\.\.|…)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
BULLET_ONLY = re.compile(r"^[-–—•*·|>»]+$")
BULLET_ITEM = re.compile(r"^(?:[-–—•*·»]|\d{1,2}[.)])\s+\S")

CAPTION_PREFIX = re.compile(
    r"^(?:photo|photos|photograph|picture|image|images|video|file\s+photo|graphic|illustration)"
    r"(?:\s*/\s*illu\w*)?\s*[:/|]", re.IGNORECASE)
CREDIT = re.compile(
    r"^\(?(?:photo|image|picture|video)s?\s*(?:credit|courtesy|by)\b.{0,80}$"
    r"|^(?:credit|courtesy)\s*:\s*.{0,80}$|^courtesy\s+of\s+[^.]{0,60}$"
    # agency names are matched case-sensitively: "(ePA)" ends many German sentences
    r"|\((?-i:AP|AFP|Reuters|Getty|EPA|Kyodo|Jiji|Xinhua|Bloomberg|Yonhap)(?:\s+Photo)?[^)]{0,80}\)$"
    r"|^(?-i:AP|AFP|Reuters|Getty Images|EPA)(?:\s+Photo)?\s*/\s*\S.{0,60}$"
    r"|^\((?:photo|image|picture)s?\b[^)]{0,120}\)$", re.IGNORECASE)
SHARE_WORDS = {"share", "tweet", "email", "e-mail", "mail", "print", "facebook", "twitter", "x",
               "linkedin", "whatsapp", "pinterest", "reddit", "copy", "link", "save", "comment",
               "comments", "on", "this", "article", "story", "telegram", "messenger", "flipboard",
               "line", "via", "gift", "bookmark", "url", "copied"}
# What a sign-up prompt offers: the site's newsletters, updates or alerts, its e-mails ("our
# free weekly email", "a daily email", "emails", "the email list", the news "by email") or the
# news "in your inbox". A bare "email" or "inbox" is no such offer: in "Sign up for the Disney+
# bundle using the same email as your Hulu account" (a how-to step, issue 21) or "... then check
# your inbox" the thing signed up for is something else and the address is only a means.
NEWSLETTER_OFFER = (r"(?:newsletters?|updates|alerts|e-?mails"
                    r"|(?:our|daily|weekly|morning|evening)\s+(?:[\w-]+\s+){0,2}e-?mail(?!\s+address)"
                    r"|e-?mail\s+(?:list|digest|briefing|edition)s?|(?:by|via)\s+e-?mail|(?:in|to|into)\s+your\s+inbox)")
NEWSLETTER = re.compile(
    r"\b(?:sign(?:ing)?\s+up|subscrib(?:e|ing)|register)\b.{0,80}\b" + NEWSLETTER_OFFER + r"\b"
    r"|^get\s+(?:our|the)\b.{0,60}\bnewsletters?\b|\bnewsletters?\b.{0,40}\bsign\s+up\b", re.IGNORECASE)
COOKIE = re.compile(
    r"\bwe\s+use\s+cookies\b|\b(?:this|our)\s+(?:web)?site\s+uses\s+cookies\b"
    r"|\baccept\s+(?:all\s+)?cookies\b|\bcookie\s+(?:policy|settings|preferences|consent)\b",
    re.IGNORECASE)
ADVERT = re.compile(
    r"^(?:advertisement|advertising|sponsored(?:\s+content)?|ad|story\s+continues\s+below"
    r"(?:\s+advertisement)?|continue\s+reading\s+(?:below|the\s+main\s+story)|skip\s+advertisement)$",
    re.IGNORECASE)
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\-]{2,}(?:[ ,]+[A-Z][A-Za-z.'\-]+){0,3})\s*"
    r"(?P<agency>\((?:AP|AFP|Reuters|Kyodo|Jiji|Xinhua|Yonhap|dpa|UPI|[A-Z][A-Za-z .]{1,20})\)\s*)?"
    r"(?:—|–|--|-)\s*(?=\S)")
# "5:45 AM PST 11/19/2019 by Patrick Shanley", "Last updated on August 2, 2025 by Shannon"
TIMESTAMP_BY = re.compile(r"^(?P<ts>.{4,80}?)\s+by\s+(?P<who>[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,3})$")
BYLINE = re.compile(r"^(?:By|BY|Von|Par|Por)\s+[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,4}"
                    r"(?:\s*(?:,|and|&|\|)\s*[A-Z][\w.'\-]+(?:\s+[A-Z][\w.'\-]+){0,4})*\s*$")


# --- words of a paragraph: pure functions of its text, so cached by text alone ---


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Word tokens of a paragraph (cached: several rules ask for them)."""
    return tuple(WORD.findall(text))


_COUNTS: dict[str, int] = {}  # word_count of recent paragraphs (strip_clutter counts a document's at once)
_COUNTS_MAX = 4096


def word_count(text: str) -> int:
    """``len(_words(text))``: what most rules look at first (cached, without making the words)."""
    if (n := _COUNTS.get(text)) is None:
        n = len(WORD.findall(text))
        _remember_counts([text], [n])
    return n


def _remember_counts(texts: list[str], counts: list[int]) -> None:
    if len(_COUNTS) + len(texts) > _COUNTS_MAX:
        _COUNTS.clear()
    _COUNTS.update(zip(texts, counts))


# Keyword pre-checks. Several rules search a paragraph with a long case-insensitive
# alternation, which the regex engine tries at every position. Each such search is run
# only when the paragraph contains a word that every match of the regex's unanchored
# alternatives must contain (the ``^`` alternatives can only match at position 0:
# ``match`` checks them). The words are looked up in ``text.lower()``: under
# re.IGNORECASE an ASCII letter matches exactly the characters whose lower() is that
# letter, except U+0130, U+0131 and U+017F (tests/test_clutter.py checks this against
# the regex engine), so a paragraph holding one of those three always takes the search.
_IGNORECASE_ODD = re.compile("[\u0130\u0131\u017f]")


@lru_cache(maxsize=4096)
def _lower(text: str) -> str | None:
    """text.lower() for keyword pre-checks; None when a keyword check would be unsafe."""
    return None if _IGNORECASE_ODD.search(text) else text.lower()


def _may_contain(text: str, keywords: tuple[str, ...]) -> bool:
    """False only when no case-insensitive match of any of the ASCII keywords is in text."""
    low = _lower(text)
    return low is None or any(map(low.__contains__, keywords))


def is_prose(text: str) -> bool:
    """A sentence-like paragraph: long enough and ending like a sentence."""
    return word_count(text) >= 15 and text.rstrip().endswith((".", "!", "?", "”", '"', "’", "'", "。", ")"))


def _norm(text: str) -> str:
    # == " ".join(w.lower() for w in words): lower() is per character but for the final
    # sigma, whose context (letters around it) a space ends, as it ends a word
    return " ".join(_words(text)).lower()


# --- the registry ---


class Metadata(NamedTuple):
    """What a paragraph rule moves to the Document instead of dropping it."""

    items: tuple[tuple[str, str], ...]  # (meta key, value); the first value found for a key is kept
    published: str | None = None  # the date it gives a Document that has none


@dataclass
class Page:
    """What the rules of one Document work on: its paragraphs and, for each, the reason it is
    removed for so far (None: kept). A rule marks only paragraphs no earlier rule removed."""

    title: str | None
    paras: list[str]
    reasons: list[str | None]
    meta: dict[str, str]
    published: str | None
    cut: list[Removal] = field(default_factory=list)  # parts cut from kept paragraphs (a dateline)


# A paragraph rule's test: true (or the Metadata it moves) when the paragraph is clutter.
Test = Callable[[str], bool | Metadata | None]


@dataclass(frozen=True)
class ParagraphRule:
    """A rule that judges one paragraph alone, and only paragraphs of ``min_words`` to
    ``max_words`` words (``word_count``; None: no upper bound). Called on a paragraph it
    checks the count, then asks ``test``; strip_clutter, which counts every paragraph's
    words at once, calls ``test`` directly on the paragraphs the range admits. Its verdicts
    are remembered by paragraph text, so ``test`` must depend on nothing else."""

    name: str
    order: int
    test: Test
    max_words: int | None = None
    min_words: int = 0

    def __call__(self, p: str) -> bool | Metadata | None:
        return self.test(p) if self.admits(word_count(p)) else None

    def admits(self, n: int) -> bool:
        return self.min_words <= n and (self.max_words is None or n <= self.max_words)


@dataclass(frozen=True)
class PageRule:
    """A rule that sees the paragraph sequence: ``run`` marks ``Page.reasons`` (for rules that
    depend on a paragraph's neighbours, its place or the title)."""

    name: str
    order: int
    run: Callable[[Page], None]


Rule = ParagraphRule | PageRule
_RULES: list[Rule] = []  # every registered rule, by order


def register(rule: Rule) -> Rule:
    """Add a rule to the registry (the decorators below call this); return it. A name may be
    registered twice only for the same rule run again at another order."""
    for other in _RULES:
        if other.order == rule.order:
            raise ValueError(f"clutter rule {rule.name!r}: order {rule.order} is taken by {other.name!r}; "
                             "pick a free order")
        if other.name == rule.name and replace(other, order=rule.order) != rule:
            raise ValueError(f"a clutter rule named {rule.name!r} is registered already; pick another name")
    _RULES.append(rule)
    _RULES.sort(key=lambda r: r.order)
    _steps.cache_clear()
    return rule


def paragraph_rule(name: str, order: int, *, max_words: int | None = None,
                   min_words: int = 0) -> Callable[[Test], ParagraphRule]:
    """Decorator: register ``test(paragraph)`` as the paragraph rule ``name`` (see ParagraphRule)."""
    return lambda test: register(ParagraphRule(name, order, test, max_words, min_words))


def page_rule(name: str, order: int) -> Callable[[Callable[[Page], None]], PageRule]:
    """Decorator: register ``run(page)`` as the page rule ``name`` (see PageRule)."""
    return lambda run: register(PageRule(name, order, run))


def line_rule(name: str, order: int, pattern: re.Pattern[str], *, max_words: int | None = None) -> ParagraphRule:
    """Register the paragraph rule ``name`` that fires when ``pattern`` matches at the start of
    the stripped paragraph (``$`` in the pattern: at its end)."""
    return paragraph_rule(name, order, max_words=max_words)(lambda p: bool(pattern.match(p.strip())))


def enabled_rules(cfg: ClutterConfig) -> tuple[Rule, ...]:
    """The registered rules cfg leaves on, in order; ValueError when cfg names no rule."""
    names = {r.name for r in _RULES}
    unknown = sorted(cfg.disabled - names)
    if unknown:
        raise ValueError(f"clutter.disabled names no clutter rule: {', '.join(map(repr, unknown))}; "
                         f"the rules are: {', '.join(sorted(names))}")
    return tuple(r for r in _RULES if r.name not in cfg.disabled)


# --- running the rules ---


_VERDICTS_MAX = 1 << 15
_KEEP: tuple[None, None] = (None, None)


class ParagraphStep:
    """Consecutive paragraph rules run as one step: a paragraph no earlier rule removed gets
    the reason of the first of them that fires on it. Verdicts are remembered by paragraph
    text, as the same paragraphs come again and again in a news folder (wire copies,
    reprints, a site's footer on every page); each step has its own memory and each
    configuration its own steps, so a verdict is never shared between rule sets."""

    def __init__(self, rules: tuple[ParagraphRule, ...]) -> None:
        self.rules = rules
        # Beyond this many words every paragraph is admitted by the same rules.
        self._longest = max(max(r.min_words, r.max_words or 0) for r in rules)
        # The (name, test) of the rules a paragraph of n words may fire on, in order (the first
        # reason found is the one kept): row n, or the last row for longer paragraphs.
        self._by_words = tuple(tuple((r.name, r.test) for r in rules if r.admits(n))
                               for n in range(self._longest + 2))
        self._verdicts: dict[str, tuple[str, Metadata | None] | tuple[None, None]] = {}  # emptied when full

    def rules_for(self, n: int) -> tuple[tuple[str, Test], ...]:
        """The (name, test) of the rules that can fire on a paragraph of n words."""
        return self._by_words[min(n, self._longest + 1)]

    def verdict(self, p: str) -> tuple[str, Metadata | None] | tuple[None, None]:
        """(reason, what moves to the metadata) of p; (None, None) when p is kept."""
        if (got := self._verdicts.get(p)) is None:
            got = _KEEP
            for name, test in self.rules_for(word_count(p)):
                found = test(p)
                if found:
                    got = (name, found if isinstance(found, Metadata) else None)
                    break
            if len(self._verdicts) >= _VERDICTS_MAX:
                self._verdicts.clear()
            self._verdicts[p] = got
        return got

    def __call__(self, page: Page) -> None:
        reasons = page.reasons
        for i, p in enumerate(page.paras):
            if reasons[i] is None:
                reason, moved = self.verdict(p)
                if reason:
                    reasons[i] = reason
                    if moved:
                        for key, value in moved.items:
                            page.meta.setdefault(key, value)
                        page.published = page.published or moved.published


@lru_cache(maxsize=16)
def _steps(cfg: ClutterConfig) -> tuple[Callable[[Page], None], ...]:
    """What strip_clutter runs under cfg: the enabled page rules, and each run of enabled
    paragraph rules between them as one ParagraphStep (register() drops these)."""
    steps: list[Callable[[Page], None]] = []
    for is_page_rule, rules in groupby(enabled_rules(cfg), key=lambda r: isinstance(r, PageRule)):
        if is_page_rule:
            steps.extend(r.run for r in rules)
        else:
            steps.append(ParagraphStep(tuple(rules)))
    return tuple(steps)


def strip_clutter(doc: Document, cfg: ClutterConfig = ClutterConfig()) -> Document:
    """Run the rules cfg leaves on, in order: remove clutter paragraphs, each with its reason,
    and move timestamps, datelines, bylines to metadata. ValueError when cfg names no rule."""
    paras = list(doc.paragraphs)
    _remember_counts(paras, clutter_word_counts(paras))  # every paragraph's, in one call
    page = Page(doc.title, paras, [None] * len(paras), dict(doc.meta), doc.published)
    for step in _steps(cfg):
        step(page)
    removed = [*doc.removed, *(Removal(p, r) for p, r in zip(paras, page.reasons) if r), *page.cut]
    return replace(doc, paragraphs=tuple(p for p, r in zip(paras, page.reasons) if not r),
                   removed=tuple(removed), published=page.published, meta=tuple(sorted(page.meta.items())))


# --- the rules, in their order ---


@page_rule("list-section", order=10)
def list_sections(page: Page) -> None:
    """A list heading and the headline-like items under it, up to the next prose paragraph:
    reasons "list-heading (KIND)" and "list-item (KIND)". First, so an item that looks like
    something else (a timestamp, a caption) is removed as the list's."""
    kind: str | None = None  # of the list section the paragraph is in
    for i, para in enumerate(page.paras):
        p = para.strip()
        if m := LIST_HEADING.match(p):
            kind = re.sub(r"\s+", " ", m.group("kind").strip().upper())
            page.reasons[i] = f"list-heading ({kind})"
        elif kind is not None and (not is_prose(p) or BULLET_ITEM.match(p)):
            page.reasons[i] = f"list-item ({kind})"
        else:
            kind = None


@page_rule("title->metadata", order=20)
def title_copy(page: Page) -> None:
    """The title again, word for word: the Document holds it already."""
    if not (title_norm := _norm(page.title or "")):
        return
    title_words = word_count(page.title)
    for i, p in enumerate(page.paras):
        # equal norms have as many words: a norm is computed only when they match
        if page.reasons[i] is None and word_count(p) == title_words and _norm(p) == title_norm:
            page.reasons[i] = "title->metadata"


TITLE_SEPARATORS = re.compile(r"\s+[-|–—·:»]\s+|\s*\|\s*")
# Headline copies sit at the top of the extracted text; further down a line
# that shares the title's words is more likely a subheading or a sentence.
TITLE_VARIANT_SCOPE = 3


@page_rule("title-variant", order=30)
def title_variants(page: Page) -> None:
    """A variant of the title among the first lines (is_title_variant)."""
    if not page.title:
        return
    for i in range(min(len(page.paras), TITLE_VARIANT_SCOPE)):
        if page.reasons[i] is None and is_title_variant(page.paras[i], page.title):
            page.reasons[i] = "title-variant"


def is_title_variant(p: str, title: str) -> bool:
    """The headline again, as the page shows it: the <title> without the site name
    ("X - Digg", "Opinion | X"), or with a word or two changed (>= 80 % shared words
    both ways)."""
    if not 0 < word_count(p) <= 40:
        return False
    words = [w.lower() for w in _words(p)]
    part_norms, title_words, title_total = _title_parts(title)
    if " ".join(words) in part_norms:
        return True
    # shared <= both counts: the two 80 % conditions need each count >= 0.8 times the other
    # (the same float products as below)
    if 0.8 * title_total > len(words) or 0.8 * len(words) > title_total:
        return False
    shared = sum(min(n, title_words[w]) for w, n in Counter(words).items() if w in title_words)
    return shared >= 0.8 * len(words) and shared >= 0.8 * title_total


@lru_cache(maxsize=256)
def _title_parts(title: str) -> tuple[frozenset[str], Counter[str], int]:
    """What is_title_variant compares a line with (cached: asked for each of the first lines):
    the normalised runs of title segments other than the whole title, the title's word
    counts (a Counter: read, never changed) and their total."""
    segments = [seg for seg in TITLE_SEPARATORS.split(title) if seg.strip()]
    part_norms = frozenset(_norm(" ".join(segments[a:b])) for a in range(len(segments))
                           for b in range(a + 1, len(segments) + 1) if (a, b) != (0, len(segments)))
    title_words = Counter(w.lower() for w in _words(title))
    return part_norms, title_words, sum(title_words.values())


@paragraph_rule("timestamp->metadata", order=40)
def timestamp(p: str) -> Metadata | None:
    """A line made only of a date and time, or of one and the author ("... by Patrick Shanley")."""
    if is_timestamp_line(p):
        return Metadata((("timestamp", p.strip()),), parse_timestamp(p.strip()))
    m = TIMESTAMP_BY.match(p.strip()) if "by" in p else None  # case-sensitive "\s+by\s+"
    if m and is_timestamp_line(m.group("ts")):
        return Metadata((("timestamp", m.group("ts")), ("byline", m.group("who"))), parse_timestamp(m.group("ts")))
    return None


@paragraph_rule("byline->metadata", order=50)
def byline(p: str) -> Metadata | None:
    return Metadata((("byline", p.strip()),)) if BYLINE.match(p.strip()) else None


@paragraph_rule("caption", order=100, max_words=80)
def caption_prefix(p: str) -> bool:
    return bool(CAPTION_PREFIX.match(p))


@paragraph_rule("caption-credit", order=110, max_words=40)
def credit(p: str) -> bool:
    s = p.strip()
    # the one unanchored alternative ends in "\)$" (s is stripped: no final newline)
    return bool(CREDIT.match(s) or (s.endswith(")") and CREDIT.search(s)))


@paragraph_rule("share-bar", order=120, min_words=1, max_words=12)
def share_bar(p: str) -> bool:
    words = [w.lower() for w in _words(p)]
    return all(w in SHARE_WORDS for w in words) and \
        any(w in ("share", "tweet", "facebook", "twitter", "linkedin", "whatsapp", "email", "print") for w in words)


NEWSLETTER_WORDS = ("sign", "subscrib", "register", "newsletter")  # one is in every NEWSLETTER match
NEWSLETTER_OBJECTS = ("newsletter", "update", "alert", "mail", "inbox")  # and one (NEWSLETTER_OFFER holds one)
COOKIE_WORDS = ("cookie",)  # in every COOKIE match


@paragraph_rule("newsletter-prompt", order=130, max_words=40)
def newsletter(p: str) -> bool:
    return _may_contain(p, NEWSLETTER_WORDS) and _may_contain(p, NEWSLETTER_OBJECTS) and bool(NEWSLETTER.search(p))


@paragraph_rule("cookie-prompt", order=140, max_words=60)
def cookie(p: str) -> bool:
    return _may_contain(p, COOKIE_WORDS) and bool(COOKIE.search(p))


advert = line_rule("advertisement", 150, ADVERT)


@paragraph_rule("repeated-caption", order=160, min_words=4, max_words=60)
def repeated_caption(p: str) -> bool:
    """A short phrase written twice in a row: an image's alt text plus its caption."""
    n = word_count(p)
    if n % 2 or is_prose(p):
        return False
    words = _words(p)
    return words[: n // 2] == words[n // 2:]


# max_words=0: BULLET_ONLY's characters are no WORD characters (tests/test_clutter.py)
bullet_only = line_rule("list-marker", 170, BULLET_ONLY, max_words=0)


# RSS/feed footers: "The post X appeared first on Y."
FEED_TAIL = re.compile(r"^(?:the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,100}"
                       r"|read\s+the\s+(?:full|original)\s+(?:story|article)\s+(?:at|on)\s+.{1,100}"
                       r"|this\s+(?:article|story)\s+(?:was\s+)?(?:originally\s+)?(?:appeared|published)\s+"
                       r"(?:first\s+)?(?:in|on|at)\s+.{1,100})$", re.IGNORECASE)

feed_tail = line_rule("feed-footer", 180, FEED_TAIL, max_words=60)


# Copyright and reuse notices, in the languages of the corpora seen so far.
COPYRIGHT = re.compile(
    r"^\s*(?:copyright\b|©|ⓒ|\(c\)\s*\d{4})|\ball\s+rights\s+reserved\b|\balle\s+rechte\s+vorbehalten\b"
    r"|\btous\s+droits\s+réservés\b|\btodos\s+los\s+derechos\s+reservados\b"
    r"|\btodos\s+os\s+direitos\s+reservados\b|\btutti\s+i\s+diritti\s+riservati\b"
    r"|無断転載|무단\s*전재|저작권자|版权所有|版權所有"
    r"|^this\s+copy\s+is\s+for\s+your\s+personal,?\s+non-?commercial\s+use\s+only|^-?\s*order\s+reprints$",
    re.IGNORECASE)


# Every match of an unanchored COPYRIGHT alternative holds one of these.
COPYRIGHT_WORDS = ("rights", "rechte", "droits", "derechos", "direitos", "diritti")
COPYRIGHT_CJK = re.compile("無断転載|무단|저작권자|版权所有|版權所有")


@paragraph_rule("copyright-notice", order=190, max_words=60)
def copyright_notice(p: str) -> bool:
    """A short copyright or reuse notice ("Copyright © 2019 X. All rights reserved.").

    60 words: reuse notices add a sentence or two ("Distribution and use of this
    material are governed by our Subscriber Agreement and by copyright law...").
    """
    return bool(COPYRIGHT.match(p) or (
        (_may_contain(p, COPYRIGHT_WORDS) or COPYRIGHT_CJK.search(p)) and COPYRIGHT.search(p)))


CALL_TO_ACTION = re.compile(r"\b(?:click|tap)(?:ing)?\s+here\b", re.IGNORECASE)


@paragraph_rule("call-to-action", order=200, max_words=20)
def call_to_action(p: str) -> bool:
    """A short 'CLICK HERE TO GET THE APP' line: a link prompt, not a sentence of the story.

    Only lines that do not end like a sentence: "To learn more, click here." is
    often part of a how-to text.
    """
    return bool(CALL_TO_ACTION.search(p)) and not p.rstrip().endswith((".", "!", "?", ":", ")", "。"))


# What a sign-up or share widget says after (or instead of) its form.
WIDGET_MESSAGE = re.compile(
    r"^(?:thanks?(?:\s+you)?\s+for\s+(?:signing\s+up|subscribing)|keep\s+an\s+eye\s+on\s+your\s+inbox"
    r"|check\s+your\s+inbox|there\s+was\s+an\s+error\s+processing\s+your\b"
    r"|an\s+error\s+(?:has\s+)?occurred\b.{0,40}try\s+again"
    r"|(?:like|liked|enjoy|enjoyed|love|loved)\s+this\s+(?:story|article|post)\?\s*share\b)",
    re.IGNORECASE)

widget_message = line_rule("widget-message", 210, WIDGET_MESSAGE, max_words=20)


# "Write to Al Root at allen.root@dowjones.com": the author's address, not the story.
AUTHOR_CONTACT = re.compile(
    r"^(?:write\s+to|contact|e-?mail)\s+.{1,80}?\s(?:at|via|:)\s+\S+@\S+\.\w+\.?$", re.IGNORECASE)

author_contact = line_rule("author-contact", 220, AUTHOR_CONTACT, max_words=40)


# "Read more: <headline>", "Related: <headline>", "Also on rt.com <headline>":
# a link to another story set inside the body.
RELATED_LINK = re.compile(
    r"^\[?(?:related(?:\s+(?:posts?|articles?|story|stories|content|reading|links?|coverage))?"
    r"|read\s+(?:more|also|next)|see\s+(?:more|also)|also\s+read|also|more\s+on\s+this(?:\s+story)?)"
    r"\s*:\s*\S|^also\s+on\s+\w+\.\w+\s+\S", re.IGNORECASE)

related_link = line_rule("related-link", 230, RELATED_LINK, max_words=25)


# "5 min read", "Reading time: 3 minutes", "Tempo de leitura: 2 minutos", "Lesezeit: 4 Min."
READING_TIME = re.compile(
    r"^(?:(?:estimated\s+)?reading\s+time|read\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura"
    r"|temps\s+de\s+lecture|lesezeit|tempo\s+di\s+lettura|leestijd)\s*:?\s*(?:about\s+|ca\.?\s+)?"
    r"\d{1,3}\s*(?:-\s*\d{1,3}\s*)?(?:min\w*|mins?\.?)\.?$"
    r"|^\d{1,3}\s*(?:min|minute|minutes|mins?)\.?\s+(?:read|reading|de\s+lectura|de\s+leitura|lesezeit)$",
    re.IGNORECASE)

reading_time = line_rule("reading-time", 240, READING_TIME)


# A WordPress widget shortcode the site did not render: "[button link=...]Send us YOUR
# review[/button]". Only widget tags: [sourcecode]...[/sourcecode] and the like hold content.
SHORTCODE = re.compile(
    r"^\[(?P<tag>button|caption|embed|gallery|video|audio|playlist|contact-form(?:-7)?|vc_\w+|et_pb_\w+|su_\w+)"
    r"(?:\s[^\]]*)?\].*\[/(?P=tag)\]$", re.IGNORECASE)

shortcode = line_rule("shortcode", 250, SHORTCODE)


# The comment-section link or prompt left under a story ("Comments", "12 comments",
# "Leave a comment", "Tell us what YOU think..."); the comments themselves are not extracted.
COMMENTS_LINK = re.compile(
    r"^(?:\d+\s+)?comments?(?:\s*\(\d+\))?$|^(?:leave|add|post|write)\s+a\s+(?:comment|reply)$"
    r"|^(?:view|show|read)\s+(?:all\s+)?(?:\d+\s+)?comments$|^tell\s+us\s+what\s+you\s+think(?:\.{3}|…|!)?$",
    re.IGNORECASE)

comments_link = line_rule("comments-link", 260, COMMENTS_LINK)


# The staff credit line under a story: "Keith Bradsher contributed reporting from Hong Kong.",
# "Associated Press writers X and Y contributed to this report." ("Reporting by X; Editing by Y"
# lines are left: trafilatura's evaluation set counts "Additional reporting by" as article text.)
CONTRIBUTOR_CREDIT = re.compile(
    r"^[^.!?]{1,300}\bcontributed\s+(?:reporting|research|to\s+this\s+(?:report|story|article))"
    r"(?:\s+(?:from|in)\s+[^.!?]{1,60})?\.?$")


@paragraph_rule("contributor-credit", order=270, max_words=60)
def contributor_credit(p: str) -> bool:
    # CONTRIBUTOR_CREDIT is case-sensitive: no match without the word itself
    return "contributed" in p and bool(CONTRIBUTOR_CREDIT.match(p.strip()))


SOCIAL = r"(?:twitter|facebook|instagram|youtube|linkedin|tiktok|snapchat|pinterest|threads|bluesky|mastodon)"
SOCIAL_NAME = re.compile(r"\b" + SOCIAL + r"\b", re.IGNORECASE)
ON_SOCIAL = re.compile(r"\b(?:on|via)\s+" + SOCIAL + r"\b", re.IGNORECASE)
ADDRESS = re.compile(r"@\w{2,}|https?://|\S@\S+\.\w")
# The sentences of an author's or outlet's contact line: "Follow AP's coverage at https://...",
# "Subscribe to 9to5Mac on YouTube", "Email Tariq Malik at tmalik@space.com"
FOLLOW_SENTENCE = re.compile(r"^follow\s+\S.{0,200}$", re.IGNORECASE)
CONTACT_SENTENCE = re.compile(
    r"^(?:subscribe\s+to|like)\s+.{0,60}?\b(?:on\s+)?" + SOCIAL + r"\b.{0,80}$"
    r"|^(?:e-?mail|contact|reach|write\s+to)\s+.{0,80}?(?:\S@\S|\bat\s+https?://|\bon\s+" + SOCIAL
    + r"\b).{0,120}$",
    re.IGNORECASE)


# How FOLLOW_SENTENCE and CONTACT_SENTENCE matches begin.
CONTACT_START = re.compile(r"follow|subscribe|like|e-?mail|contact|reach|write", re.IGNORECASE)


def _contact_sentence(s: str) -> bool:
    """A "Follow ..." sentence counts only when it gives an address (a handle, a URL, an
    e-mail) or is "on" a list of networks: "Follow me on Instagram for new recipes!" is the
    post's own voice; "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube." is the
    outlet's; "Follow X on social media: Instagram, ..." entries of a listicle are content."""
    if FOLLOW_SENTENCE.match(s):
        return bool(ADDRESS.search(s)) or bool(ON_SOCIAL.search(s)) and len(SOCIAL_NAME.findall(s)) >= 2
    return bool(CONTACT_SENTENCE.match(s))


@paragraph_rule("contact-line", order=280, max_words=50)
def contact_line(p: str) -> bool:
    """A short paragraph made only of follow-us / contact-the-author sentences.

    "Follow us to stay up to date on industry trends." names no network or address
    and is kept; so is a line starting in lower case (the tail of a sentence).
    """
    # p[0] is a letter, so the first sentence starts at 0 and must begin as a contact sentence
    if not p[:1].isupper() or not CONTACT_START.match(p):
        return False
    spans = sentences(p)
    return bool(spans) and all(_contact_sentence(p[a:b].strip()) for a, b in spans)


# The affiliate-link disclosure of review and deal pages: "This post may contain affiliate
# links", "As an Amazon Associate, I earn from qualifying purchases", "If you buy something
# through this post, IGN may get a share of the sale", "Die ... Links sind Affiliate-Links".
AFFILIATE = re.compile(
    r"\baffiliate[- ]links?\b|\bas\s+an\s+amazon\s+associate\b|\bqualifying\s+purchases\b"
    r"|\b(?:may|might)\s+(?:earn|get|receive)\s+(?:a\s+)?(?:small\s+)?(?:affiliate\s+)?"
    r"(?:commission|share\s+of\s+the\s+sale)\b",
    re.IGNORECASE)


AFFILIATE_WORDS = ("affiliate", "amazon", "qualifying", "commission", "sale")  # one is in every match
AFFILIATE_PARTNERS = ("link", "associate", "purchase", "may", "might")  # and one of these


@paragraph_rule("affiliate-disclosure", order=290, max_words=80)
def affiliate_disclosure(p: str) -> bool:
    return _may_contain(p, AFFILIATE_WORDS) and _may_contain(p, AFFILIATE_PARTNERS) and bool(AFFILIATE.search(p))


@page_rule("repeated-line", order=300)
def repeated_lines(page: Page) -> None:
    """The same short line twice in a row among the lines kept so far (an image alt text, then
    its caption); lines that repeat further apart are often content (recipes, interview questions)."""
    previous: str | None = None  # the last paragraph kept so far
    for i, p in enumerate(page.paras):
        if page.reasons[i]:
            continue
        n = word_count(p)
        if n and previous is not None and n == word_count(previous) and not is_prose(p) \
                and _norm(p) == _norm(previous):
            page.reasons[i] = "repeated-line"
        else:
            previous = p


@page_rule("caption (above timestamp)", order=310)
def header_captions(page: Page) -> None:
    """In the first lines, a line right above a timestamp is the lead photo's caption."""
    paras, reasons = page.paras, page.reasons
    for i in range(min(len(paras) - 1, 4)):
        if reasons[i] is None and reasons[i + 1] == "timestamp->metadata" \
                and word_count(paras[i]) <= 60 and len(sentences(paras[i])) <= 1:
            reasons[i] = "caption (above timestamp)"


# Again after the header captions: lines a removed caption kept apart are now in a row (and
# strip_clutter stays idempotent).
register(replace(repeated_lines, order=320))


# The lead: the first paragraph kept with this many words. A dateline opens it; the short
# paragraphs a page may keep above it (a subhead, a kicker, "This is a guest post by ...")
# do not move it (wire copies with and without them then have the same text).
LEAD_MIN_WORDS = 12


@page_rule("dateline->metadata", order=400)
def dateline(page: Page) -> None:
    """The place (and agency) heading the lead: "BRUSSELS — Defense Minister ...", in the first
    paragraph kept, else in the first of ``LEAD_MIN_WORDS`` words (the shorter ones kept above
    it are a subhead or a kicker)."""
    kept = [i for i, reason in enumerate(page.reasons) if reason is None]
    lead = next((i for i in kept if len(page.paras[i].split()) >= LEAD_MIN_WORDS), None)
    for i in dict.fromkeys(kept[:1] + ([] if lead is None else [lead])):
        p = page.paras[i]
        m = DATELINE.match(p)
        if m and len(p) - m.end() > 40:
            page.meta.setdefault("dateline", m.group("place").strip(" ,-"))
            page.cut.append(Removal(p[: m.end()], "dateline->metadata"))
            page.paras[i] = p[m.end():]
            return
