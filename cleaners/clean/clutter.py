"""Clutter rules: what one page alone shows is not article text.

Every rule is small and named; ``strip_clutter`` applies them to a Document's
paragraphs and returns a new Document whose ``removed`` lists each removal
with its reason. Timestamps, datelines, bylines and repeated titles are not
lost: they move to metadata (reason ``...->metadata``).

Rules that look at one paragraph: ``PARAGRAPH_RULES``. Rules that need the
sequence: list sections (a heading such as "POPULAR ARTICLE" and the items
under it), a caption sitting just above a timestamp, the dateline of the first
body paragraph.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from cleaners.kernels.text import clutter_word_counts
from cleaners.records import Document, Removal
from cleaners.clean.timestamps import is_timestamp_line, parse_timestamp
from cleaners.kernels.chars import WORD
from cleaners.kernels.text import sentences

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


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Word tokens of a paragraph (cached: several rules ask for them)."""
    return tuple(WORD.findall(text))


_COUNTS: dict[str, int] = {}  # word_count of recent paragraphs (strip_clutter counts a document's at once)
_COUNTS_MAX = 4096


def word_count(text: str) -> int:
    """``len(_words(text))``: what most rules look at first (cached, without making the words)."""
    n = _COUNTS.get(text)
    if n is None:
        n = len(WORD.findall(text))
        _remember_counts([text], [n])
    return n


def _remember_counts(texts: list[str], counts: list[int]) -> None:
    if len(_COUNTS) + len(texts) > _COUNTS_MAX:
        _COUNTS.clear()
    _COUNTS.update(zip(texts, counts))


# Keyword pre-checks. Several rules search a paragraph with a long case-insensitive
# alternation, which the regex engine tries at every position. Each such search is now
# run only when the paragraph contains a word that every match of the regex's
# unanchored alternatives must contain (the ``^`` alternatives can only match at
# position 0: ``match`` checks them). The words are looked up in ``text.lower()``: under
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


@dataclass(frozen=True)
class Rule:
    """A paragraph rule that can fire only on paragraphs of ``min_words`` to ``max_words`` words
    (``word_count``; None: no upper bound). Called on a paragraph it checks the count, then
    asks ``test``; strip_clutter, which knows every paragraph's count, skips the rules whose
    range leaves a paragraph out and calls ``test`` directly on the rest (``rules_for``)."""

    test: Callable[[str], str | None]
    max_words: int | None = None
    min_words: int = 0

    def __call__(self, p: str) -> str | None:
        return self.test(p) if self.admits(word_count(p)) else None

    def admits(self, n: int) -> bool:
        return self.min_words <= n and (self.max_words is None or n <= self.max_words)

    @property
    def __name__(self) -> str:  # noqa: A003 - rules are named by their test in reports and tests
        return self.test.__name__


def word_range(max_words: int | None = None, min_words: int = 0) -> Callable[[Callable[[str], str | None]], Rule]:
    """Decorator: the rule's word range (see Rule)."""
    def wrap(test: Callable[[str], str | None]) -> Rule:
        return Rule(test, max_words, min_words)
    return wrap


def is_prose(text: str) -> bool:
    """A sentence-like paragraph: long enough and ending like a sentence."""
    return word_count(text) >= 15 and text.rstrip().endswith((".", "!", "?", "”", '"', "’", "'", "。", ")"))


@word_range(max_words=80)
def caption_prefix(p: str) -> str | None:
    return "caption" if CAPTION_PREFIX.match(p) else None


@word_range(max_words=40)
def credit(p: str) -> str | None:
    s = p.strip()
    # the one unanchored alternative ends in "\)$" (s is stripped: no final newline)
    return "caption-credit" if CREDIT.match(s) or (s.endswith(")") and CREDIT.search(s)) else None


@word_range(min_words=1, max_words=12)
def share_bar(p: str) -> str | None:
    words = [w.lower() for w in _words(p)]
    if all(w in SHARE_WORDS for w in words) and \
            any(w in ("share", "tweet", "facebook", "twitter", "linkedin", "whatsapp", "email", "print")
                for w in words):
        return "share-bar"
    return None


NEWSLETTER_WORDS = ("sign", "subscrib", "register", "newsletter")  # one is in every NEWSLETTER match
NEWSLETTER_OBJECTS = ("newsletter", "update", "alert", "mail", "inbox")  # and one (NEWSLETTER_OFFER holds one)
COOKIE_WORDS = ("cookie",)  # in every COOKIE match


@word_range(max_words=40)
def newsletter(p: str) -> str | None:
    return "newsletter-prompt" if _may_contain(p, NEWSLETTER_WORDS) and _may_contain(p, NEWSLETTER_OBJECTS) \
        and NEWSLETTER.search(p) else None


@word_range(max_words=60)
def cookie(p: str) -> str | None:
    return "cookie-prompt" if _may_contain(p, COOKIE_WORDS) and COOKIE.search(p) else None


def advert(p: str) -> str | None:
    return "advertisement" if ADVERT.match(p.strip()) else None


@word_range(min_words=4, max_words=60)
def repeated_caption(p: str) -> str | None:
    """A short phrase written twice in a row: an image's alt text plus its caption."""
    n = word_count(p)
    if n % 2 == 0 and not is_prose(p):
        words = _words(p)
        if words[: n // 2] == words[n // 2:]:
            return "repeated-caption"
    return None


@word_range(max_words=0)  # BULLET_ONLY's characters are no WORD characters (tests/test_clutter.py)
def bullet_only(p: str) -> str | None:
    return "list-marker" if BULLET_ONLY.match(p.strip()) else None


FEED_TAIL = re.compile(r"^(?:the\s+post\s+.{1,300}\s+appeared\s+first\s+on\s+.{1,100}"
                       r"|read\s+the\s+(?:full|original)\s+(?:story|article)\s+(?:at|on)\s+.{1,100}"
                       r"|this\s+(?:article|story)\s+(?:was\s+)?(?:originally\s+)?(?:appeared|published)\s+"
                       r"(?:first\s+)?(?:in|on|at)\s+.{1,100})$", re.IGNORECASE)


@word_range(max_words=60)
def feed_tail(p: str) -> str | None:
    """RSS/feed footers: 'The post X appeared first on Y.'"""
    return "feed-footer" if FEED_TAIL.match(p.strip()) else None


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


@word_range(max_words=60)
def copyright_notice(p: str) -> str | None:
    """A short copyright or reuse notice ("Copyright © 2019 X. All rights reserved.").

    60 words: reuse notices add a sentence or two ("Distribution and use of this
    material are governed by our Subscriber Agreement and by copyright law...").
    """
    found = COPYRIGHT.match(p) or (
        (_may_contain(p, COPYRIGHT_WORDS) or COPYRIGHT_CJK.search(p)) and COPYRIGHT.search(p))
    return "copyright-notice" if found else None


CALL_TO_ACTION = re.compile(r"\b(?:click|tap)(?:ing)?\s+here\b", re.IGNORECASE)


@word_range(max_words=20)
def call_to_action(p: str) -> str | None:
    """A short 'CLICK HERE TO GET THE APP' line: a link prompt, not a sentence of the story.

    Only lines that do not end like a sentence: "To learn more, click here." is
    often part of a how-to text.
    """
    if CALL_TO_ACTION.search(p) and not p.rstrip().endswith((".", "!", "?", ":", ")", "。")):
        return "call-to-action"
    return None


# "Read more: <headline>", "Related: <headline>", "Also on rt.com <headline>":
# a link to another story set inside the body.
RELATED_LINK = re.compile(
    r"^\[?(?:related(?:\s+(?:posts?|articles?|story|stories|content|reading|links?|coverage))?"
    r"|read\s+(?:more|also|next)|see\s+(?:more|also)|also\s+read|also|more\s+on\s+this(?:\s+story)?)"
    r"\s*:\s*\S|^also\s+on\s+\w+\.\w+\s+\S", re.IGNORECASE)


@word_range(max_words=25)
def related_link(p: str) -> str | None:
    return "related-link" if RELATED_LINK.match(p.strip()) else None


# What a sign-up or share widget says after (or instead of) its form.
WIDGET_MESSAGE = re.compile(
    r"^(?:thanks?(?:\s+you)?\s+for\s+(?:signing\s+up|subscribing)|keep\s+an\s+eye\s+on\s+your\s+inbox"
    r"|check\s+your\s+inbox|there\s+was\s+an\s+error\s+processing\s+your\b"
    r"|an\s+error\s+(?:has\s+)?occurred\b.{0,40}try\s+again"
    r"|(?:like|liked|enjoy|enjoyed|love|loved)\s+this\s+(?:story|article|post)\?\s*share\b)",
    re.IGNORECASE)


@word_range(max_words=20)
def widget_message(p: str) -> str | None:
    return "widget-message" if WIDGET_MESSAGE.match(p.strip()) else None


# "Write to Al Root at allen.root@dowjones.com": the author's address, not the story.
AUTHOR_CONTACT = re.compile(
    r"^(?:write\s+to|contact|e-?mail)\s+.{1,80}?\s(?:at|via|:)\s+\S+@\S+\.\w+\.?$", re.IGNORECASE)


@word_range(max_words=40)
def author_contact(p: str) -> str | None:
    return "author-contact" if AUTHOR_CONTACT.match(p.strip()) else None


# "5 min read", "Reading time: 3 minutes", "Tempo de leitura: 2 minutos", "Lesezeit: 4 Min."
READING_TIME = re.compile(
    r"^(?:(?:estimated\s+)?reading\s+time|read\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura"
    r"|temps\s+de\s+lecture|lesezeit|tempo\s+di\s+lettura|leestijd)\s*:?\s*(?:about\s+|ca\.?\s+)?"
    r"\d{1,3}\s*(?:-\s*\d{1,3}\s*)?(?:min\w*|mins?\.?)\.?$"
    r"|^\d{1,3}\s*(?:min|minute|minutes|mins?)\.?\s+(?:read|reading|de\s+lectura|de\s+leitura|lesezeit)$",
    re.IGNORECASE)


def reading_time(p: str) -> str | None:
    return "reading-time" if READING_TIME.match(p.strip()) else None


# The comment-section link or prompt left under a story ("Comments", "12 comments",
# "Leave a comment", "Tell us what YOU think..."); the comments themselves are not extracted.
COMMENTS_LINK = re.compile(
    r"^(?:\d+\s+)?comments?(?:\s*\(\d+\))?$|^(?:leave|add|post|write)\s+a\s+(?:comment|reply)$"
    r"|^(?:view|show|read)\s+(?:all\s+)?(?:\d+\s+)?comments$|^tell\s+us\s+what\s+you\s+think(?:\.{3}|…|!)?$",
    re.IGNORECASE)


def comments_link(p: str) -> str | None:
    return "comments-link" if COMMENTS_LINK.match(p.strip()) else None


# A WordPress widget shortcode the site did not render: "[button link=...]Send us YOUR
# review[/button]". Only widget tags: [sourcecode]...[/sourcecode] and the like hold content.
SHORTCODE = re.compile(
    r"^\[(?P<tag>button|caption|embed|gallery|video|audio|playlist|contact-form(?:-7)?|vc_\w+|et_pb_\w+|su_\w+)"
    r"(?:\s[^\]]*)?\].*\[/(?P=tag)\]$", re.IGNORECASE)


def shortcode(p: str) -> str | None:
    return "shortcode" if SHORTCODE.match(p.strip()) else None


# The staff credit line under a story: "Keith Bradsher contributed reporting from Hong Kong.",
# "Associated Press writers X and Y contributed to this report." ("Reporting by X; Editing by Y"
# lines are left: trafilatura's evaluation set counts "Additional reporting by" as article text.)
CONTRIBUTOR_CREDIT = re.compile(
    r"^[^.!?]{1,300}\bcontributed\s+(?:reporting|research|to\s+this\s+(?:report|story|article))"
    r"(?:\s+(?:from|in)\s+[^.!?]{1,60})?\.?$")


@word_range(max_words=60)
def contributor_credit(p: str) -> str | None:
    # CONTRIBUTOR_CREDIT is case-sensitive: no match without the word itself
    return "contributor-credit" if "contributed" in p and CONTRIBUTOR_CREDIT.match(p.strip()) else None


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


@word_range(max_words=50)
def contact_line(p: str) -> str | None:
    """A short paragraph made only of follow-us / contact-the-author sentences.

    "Follow us to stay up to date on industry trends." names no network or address
    and is kept; so is a line starting in lower case (the tail of a sentence).
    """
    if not p[:1].isupper():
        return None
    # p[0] is a letter, so the first sentence starts at 0 and must begin as a contact sentence
    if not CONTACT_START.match(p):
        return None
    spans = sentences(p)
    if spans and all(_contact_sentence(p[a:b].strip()) for a, b in spans):
        return "contact-line"
    return None


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


@word_range(max_words=80)
def affiliate_disclosure(p: str) -> str | None:
    return "affiliate-disclosure" if _may_contain(p, AFFILIATE_WORDS) and _may_contain(p, AFFILIATE_PARTNERS) \
        and AFFILIATE.search(p) else None


PARAGRAPH_RULES: tuple[Rule, ...] = tuple(r if isinstance(r, Rule) else Rule(r) for r in (
    caption_prefix, credit, share_bar, newsletter, cookie, advert, repeated_caption, bullet_only,
    feed_tail, copyright_notice, call_to_action, widget_message, author_contact, related_link,
    reading_time, shortcode, comments_link, contributor_credit, contact_line, affiliate_disclosure,
))
# Beyond this many words every paragraph is admitted by the same rules.
_LONGEST_BOUND = max(max(r.min_words, r.max_words or 0) for r in PARAGRAPH_RULES)
# The tests of the rules a paragraph of n words may fire on, in PARAGRAPH_RULES' order (the
# first reason found is the one kept): row n, or the last row for longer paragraphs.
_RULES_BY_WORDS: tuple[tuple[Callable[[str], str | None], ...], ...] = tuple(
    tuple(r.test for r in PARAGRAPH_RULES if r.admits(n)) for n in range(_LONGEST_BOUND + 2))


def rules_for(n: int) -> tuple[Callable[[str], str | None], ...]:
    """The tests of PARAGRAPH_RULES that can fire on a paragraph of n words."""
    return _RULES_BY_WORDS[min(n, _LONGEST_BOUND + 1)]


def _norm(text: str) -> str:
    # == " ".join(w.lower() for w in words): lower() is per character but for the final
    # sigma, whose context (letters around it) a space ends, as it ends a word
    return " ".join(_words(text)).lower()


TITLE_SEPARATORS = re.compile(r"\s+[-|–—·:»]\s+|\s*\|\s*")
# Headline copies sit at the top of the extracted text; further down a line
# that shares the title's words is more likely a subheading or a sentence.
TITLE_VARIANT_SCOPE = 3


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


# What paragraph_verdict found, by paragraph text: a pure function of the text, and the same
# paragraphs come again and again in a news folder (wire copies, reprints, a site's footer
# on every page: 38 % of the paragraphs of the benchmark corpus). Emptied when full.
_VERDICTS: dict[str, tuple[str | None, str | None, str | None]] = {}
_VERDICTS_MAX = 1 << 15
_KEEP: tuple[None, None, None] = (None, None, None)


def paragraph_verdict(p: str, n: int) -> tuple[str | None, str | None, str | None]:
    """What the one-paragraph checks say of p (n: its word_count): (reason, timestamp, byline),
    all None when p is kept. A timestamp or byline is what goes to the metadata."""
    got = _VERDICTS.get(p)
    if got is None:
        got = _paragraph_verdict(p, n)
        if len(_VERDICTS) >= _VERDICTS_MAX:
            _VERDICTS.clear()
        _VERDICTS[p] = got
    return got


def _paragraph_verdict(p: str, n: int) -> tuple[str | None, str | None, str | None]:
    if is_timestamp_line(p):
        return "timestamp->metadata", p.strip(), None
    m = TIMESTAMP_BY.match(p.strip()) if "by" in p else None  # case-sensitive "\s+by\s+"
    if m and is_timestamp_line(m.group("ts")):
        return "timestamp->metadata", m.group("ts"), m.group("who")
    if BYLINE.match(p.strip()):
        return "byline->metadata", None, p.strip()
    for test in rules_for(n):
        reason = test(p)
        if reason:
            return reason, None, None
    return _KEEP


def strip_clutter(doc: Document) -> Document:
    """Remove clutter paragraphs; move timestamps, datelines, bylines to metadata."""
    paras = list(doc.paragraphs)
    reasons: list[str | None] = [None] * len(paras)
    meta = dict(doc.meta)
    published = doc.published
    title_norm = _norm(doc.title) if doc.title else None
    title_words = word_count(doc.title) if doc.title else 0
    _remember_counts(paras, clutter_word_counts(paras))  # every paragraph's, in one call

    _mark_lists(paras, reasons)
    for i, p in enumerate(paras):
        if reasons[i]:
            continue
        n = word_count(p)  # equal norms have as many words: a norm is computed only when they match
        if title_norm and n == title_words and _norm(p) == title_norm:
            reasons[i] = "title->metadata"
            continue
        if doc.title and i < TITLE_VARIANT_SCOPE and is_title_variant(p, doc.title):
            reasons[i] = "title-variant"
            continue
        reason, timestamp, byline = paragraph_verdict(p, n)
        if reason:
            reasons[i] = reason
            if timestamp is not None:
                published = published or parse_timestamp(timestamp)
                meta.setdefault("timestamp", timestamp)
            if byline is not None:
                meta.setdefault("byline", byline)
            continue
    _mark_repeated_lines(paras, reasons)
    _mark_header_captions(paras, reasons)
    _mark_repeated_lines(paras, reasons)  # lines a removed caption kept apart are now in a row

    kept: list[str] = []
    removed = list(doc.removed)
    for p, reason in zip(paras, reasons):
        if reason:
            removed.append(Removal(p, reason))
        else:
            kept.append(p)
    if kept:
        m = DATELINE.match(kept[0])
        if m and len(kept[0]) - m.end() > 40:
            meta.setdefault("dateline", m.group("place").strip(" ,-"))
            removed.append(Removal(kept[0][: m.end()], "dateline->metadata"))
            kept[0] = kept[0][m.end():]
    return replace(doc, paragraphs=tuple(kept), removed=tuple(removed), published=published,
                   meta=tuple(sorted(meta.items())))


def _mark_lists(paras: list[str], reasons: list[str | None]) -> None:
    """A list heading and the headline-like items under it, up to the next prose paragraph."""
    i = 0
    while i < len(paras):
        m = LIST_HEADING.match(paras[i].strip())
        if not m:
            i += 1
            continue
        kind = re.sub(r"\s+", " ", m.group("kind").strip().upper())
        reasons[i] = f"list-heading ({kind})"
        j = i + 1
        while j < len(paras):
            p = paras[j].strip()
            if LIST_HEADING.match(p):
                break
            if is_prose(p) and not BULLET_ITEM.match(p):
                break
            reasons[j] = f"list-item ({kind})"
            j += 1
        i = j


def _mark_repeated_lines(paras: list[str], reasons: list[str | None]) -> None:
    """The same short line twice in a row among the lines kept so far (an image alt text, then
    its caption); lines that repeat further apart are often content (recipes, interview questions)."""
    previous: str | None = None  # the last paragraph kept so far
    for i, p in enumerate(paras):
        if reasons[i]:
            continue
        n = word_count(p)
        if n and previous is not None and n == word_count(previous) and not is_prose(p) \
                and _norm(p) == _norm(previous):
            reasons[i] = "repeated-line"
        else:
            previous = p


def _mark_header_captions(paras: list[str], reasons: list[str | None]) -> None:
    """In the first lines, a line right above a timestamp is the lead photo's caption."""
    for i in range(min(len(paras) - 1, 4)):
        if reasons[i] is None and reasons[i + 1] == "timestamp->metadata" \
                and word_count(paras[i]) <= 60 and len(sentences(paras[i])) <= 1:
            reasons[i] = "caption (above timestamp)"
