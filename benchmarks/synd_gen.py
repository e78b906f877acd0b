"""Syndication corpus generator: real article bodies republished the way news is.

Bodies are real: the ground-truth article bodies of scrapinghub_aeb
(``articleBody``) and of the wcxb_test article pages (``main_content``), and
Japanese sentences taken from the Shift_JIS / EUC-JP / CP932 feeds of
chardet_legacy_encodings. What is synthetic is the publishing around them:
outlets with their own templates and IDENTICAL sidebars on every page, and the
ways one story is copied:

- original   the first outlet's page (.html, some .txt scrapes)
- wire       republished by 2-4 other outlets: new headline, dateline prefix
             ("WASHINGTON (AP) — "), small copy edits, last paragraphs cut
- print      print reprint abridged to ~half, paragraphs re-joined (.txt, often
             hard-wrapped, or .html)
- amp        the AMP copy of the original (same text, AMP template)
- updated    the original with one added paragraph
- feed       the story inside a JSON feed dump (.jsonl record, html or text field)
- mojibake   a copy whose UTF-8 went through cp1252 once (title, body, caption)
- ja-sjis    Japanese story, Shift_JIS, charset declared
- ja-eucjp   the same story on another site, EUC-JP, no charset declared anywhere

Some stories quote another story (planted shared passages), in four kinds: one
paragraph verbatim, a paragraph of short sentences, two paragraphs across a
paragraph break, and a paragraph with an elision ("… ") and one changed word.
Some .html/.txt files are gzipped. Everything is decided by ``random.Random(seed)``
over sorted inputs, so one seed gives byte-identical corpora.

truth.json (written next to, not inside, the corpus folder): one item per
file or JSON record with its cluster (story id), body text, clutter lines and
variant; the planted passages with their kind, the quoted text as the source
story has it (``source_text``) and as the quoting story has it (``quoting_text``),
and the items that contain them (``source_items``, ``quoting_items``).
"""

from __future__ import annotations

import glob
import gzip
import html
import json
import os
import random
import re
import shutil
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

CORPORA = Path("/work/shared/corpora")
WORD = re.compile(r"\w+")

# --------------------------------------------------------------------------- sources


@dataclass
class Story:
    sid: str
    source: str
    lang: str
    title: str
    paras: list[str]
    protected: list[int] = field(default_factory=list)  # paragraph indexes edits/cuts must keep
    origin: str = ""
    place: str = ""
    agency: str = ""
    date: datetime = datetime(2024, 1, 1)
    quote_of: str | None = None  # sid whose paragraph this story quotes


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _paras(body: str) -> list[str]:
    return [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n+", body or "") if p.strip()]


def _is_prose(p: str) -> bool:
    return len(p.split()) >= 15 and p.rstrip().endswith((".", "!", "?", "”", '"', "’", ")"))


ENGLISH_STOP = {"the", "and", "of", "to", "a", "in", "is", "that", "for", "it", "on", "was", "with"}


def _good_english(paras: list[str]) -> bool:
    words = [w for p in paras for w in p.split()]
    if not 120 <= len(words) <= 3000:
        return False
    prose = [p for p in paras if _is_prose(p)]
    if len(prose) < 3 or sum(len(p.split()) for p in prose) < 0.7 * len(words):
        return False
    low = _words(" ".join(paras))
    return sum(1 for w in low if w in ENGLISH_STOP) >= 0.12 * len(low)


def _html_title(path: Path) -> str | None:
    try:
        raw = gzip.open(path, "rb").read(300_000).decode("utf-8", "replace")
    except OSError:
        return None
    m = re.search(r'property=["\']og:title["\'][^>]*content=["\']([^"\']+)', raw) or \
        re.search(r"<title[^>]*>([^<]+)", raw, re.I)
    if not m:
        return None
    t = html.unescape(m.group(1)).strip()
    t = re.split(r"\s+[|–—-]\s+[^|–—-]{2,40}$", t)[0].strip()
    return t or None


def load_english(corpora: Path) -> list[tuple[str, str, list[str]]]:
    """(source id, title, paragraphs) of usable English article bodies, sorted by id."""
    out = []
    aeb = json.loads((corpora / "scrapinghub_aeb/ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(aeb):
        paras = _paras(aeb[key].get("articleBody", ""))
        if not _good_english(paras):
            continue
        title = _html_title(corpora / "scrapinghub_aeb/html" / f"{key}.html.gz")
        if title:
            out.append((f"aeb:{key[:16]}", title, paras))
    meta = json.loads((corpora / "wcxb_test/metadata.json").read_text(encoding="utf-8"))["files"]
    for f in sorted(glob.glob(str(corpora / "wcxb_test/ground-truth/*.json"))):
        g = json.loads(Path(f).read_text(encoding="utf-8"))
        if meta.get(g.get("file_id"), {}).get("page_type") != "article":
            continue
        gt = g.get("ground_truth", {})
        paras = _paras(gt.get("main_content") or "")
        title = (gt.get("title") or "").strip()
        if title and _good_english(paras):
            out.append((f"wcxb:{g['file_id']}", title, paras))
    return out


def all_titles(corpora: Path) -> list[str]:
    """Real page titles (for sidebar headline lists)."""
    out = []
    for f in sorted(glob.glob(str(corpora / "wcxb_test/ground-truth/*.json"))):
        g = json.loads(Path(f).read_text(encoding="utf-8"))
        t = (g.get("ground_truth", {}).get("title") or "").strip()
        if 4 <= len(t.split()) <= 14:
            out.append(re.sub(r"\s+", " ", t))
    return out


JA_FEEDS = (("SHIFT_JIS", "cp932"), ("EUC-JP", "euc_jp"), ("CP932", "cp932"))


def _ja_ok(s: str) -> bool:
    try:
        s.encode("shift_jis")
        s.encode("euc_jp")
        return True
    except UnicodeEncodeError:
        return False


def _feed_item_texts(data: str) -> list[str]:
    out = []
    for m in re.finditer(r"<(description|content:encoded|content|summary)\b[^>]*>(.*?)</\1>", data, re.S):
        s = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", m.group(2), flags=re.S)
        s = html.unescape(s)
        s = re.sub(r"<[^>]+>", "\n", s)
        out.append(html.unescape(s))
    return out


def load_japanese(corpora: Path) -> list[tuple[str, list[str]]]:
    """(feed id, sentences) per legacy-encoded Japanese feed; sentences unique across feeds."""
    seen: set[str] = set()
    out = []
    for folder, codec in JA_FEEDS:
        for f in sorted(glob.glob(str(corpora / "chardet_legacy_encodings" / folder / "*.xml"))):
            data = Path(f).read_bytes().decode(codec, "replace")
            sents = []
            for text in _feed_item_texts(data):
                for line in text.replace("\u3000", " ").split("\n"):
                    for s in re.findall(r"[^。！？]*[。！？]", line.strip()):
                        s = s.strip()
                        if (15 <= len(s) <= 120 and re.search(r"[\u3040-\u30ff]", s)
                                and not re.search(r"https?:|[<>{}\[\]]|\ufffd|\.\.\.|…", s)
                                and _ja_ok(s) and s not in seen):
                            seen.add(s)
                            sents.append(s)
            if len(sents) >= 12:
                out.append((f"ja:{folder}/{os.path.basename(f)}", sents))
    return out


# --------------------------------------------------------------------------- outlets


@dataclass
class Outlet:
    name: str
    domain: str
    template: str  # semantic | divsoup | inline | amp | ja
    txt_sep: str  # blank-line or single-newline separated .txt scrapes
    list_heading: str
    list_items: list[str]
    side_heading: str
    side_items: list[str]
    share: str
    newsletter: str
    blurb: str
    copyright: str
    follow: str
    lang: str = "en"
    charset: str = "utf-8"
    declare_charset: bool = True


EN_OUTLETS = [
    ("Harbor Gazette", "harborgazette.com"), ("The Midland Courier", "midlandcourier.com"),
    ("Northern Ledger", "northernledger.co.uk"), ("Pacific Wire Daily", "pacificwiredaily.com"),
    ("Capital Tribune", "capitaltribune.com"), ("Riverside Post", "riversidepost.net"),
    ("The Evening Standard-Times", "eveningstandardtimes.com"), ("Lakeshore Herald", "lakeshoreherald.com"),
    ("Metro Observer", "metro-observer.com"), ("The Valley Sentinel", "valleysentinel.org"),
    ("Coastal Chronicle", "coastalchronicle.com"), ("Granite State Review", "granitestatereview.com"),
    ("Summit Daily Record", "summitdailyrecord.com"), ("Prairie Dispatch", "prairiedispatch.com"),
]
PRINT_OUTLETS = [("The Weekend Review (print edition)", "weekendreview-print.com"),
                 ("Sunday Digest e-Paper", "sundaydigest-epaper.com")]
BROKEN_OUTLETS = [("NewsNow Aggregator", "newsnow-aggregator.com"), ("Daily Briefing Hub", "dailybriefinghub.net")]
JA_OUTLETS = [("港新報", "www.minato-shimpo.jp", "shift_jis", True, "ACCESS RANKING"),
              ("北日本ニュース", "www.kita-nippon-news.jp", "euc_jp", False, "アクセスランキング")]
TEMPLATES = ["semantic", "divsoup", "inline"]
LIST_HEADINGS = ["MOST READ", "POPULAR ARTICLE", "Most Popular", "Trending Now", "Top Stories",
                 "What others are reading", "Don't miss", "MOST VIEWED"]
SIDE_HEADINGS = ["Related Stories", "READ MORE", "Recommended for you", "More from {name}",
                 "Latest News", "Editor's Picks"]
SHARES = ["Share Tweet Email Print", "Share on Facebook Share on Twitter Email this article",
          "Facebook X LinkedIn WhatsApp Copy link", "Share this article", "Share | Tweet | Email",
          "Gift this article Share Save"]
NEWSLETTERS = [
    "Sign up for our morning newsletter to get the day's top stories in your inbox.",
    "Get the {name} newsletter: the news you need, every weekday morning.",
    "Subscribe to breaking news alerts from {name}.",
    "Don't miss a story. Join 200,000 readers who get our briefing every morning.",
    "Want more stories like this? Sign up for our free weekly email.",
    "Enjoying this story? Register now for unlimited access and our daily updates.",
]
# Four blurb texts for sixteen outlets: outlets of one chain carry the same blurb
# with their own name in it (as chains do), so blurbs also recur across outlets.
BLURBS = [
    "{name} is an independent, reader-funded newsroom covering the region since 1891. "
    "Support local journalism by becoming a member today.",
    "Journalism like this takes time and money. {name} relies on readers like you to keep "
    "reporting the stories that matter; please consider a contribution of any size.",
    "{name} has been the trusted source for news, sports and weather in the valley for over a "
    "century, and our reporters remain committed to covering your community.",
    "About us: {name} delivers award-winning local and national reporting to more than two "
    "million readers every month across print, web and mobile.",
]
FOLLOWS = ["Follow {name} on Facebook and Instagram for more stories.", "Listen to this article",
           "Reading time: 4 minutes", "Comments (12)", "Story continues below advertisement"]
REPORTERS = ["Jane Whitfield", "Tom Okafor", "Maria Delgado", "Kenji Sato", "Priya Raman",
             "Lucas Meyer", "Hannah Berg", "Samuel Adeyemi", "Olivia Chen", "David Novak"]
PHOTOGRAPHERS = ["Nen Satomi", "Carlos Ruiz", "Anna Kowalski", "Jae Kim", "Marco Rossi", "Evan Vucci"]
PLACES = ["WASHINGTON", "NEW YORK", "LONDON", "BRUSSELS", "TOKYO", "PARIS", "SAN FRANCISCO",
          "BERLIN", "CHICAGO", "LOS ANGELES", "SEOUL", "SYDNEY"]
AGENCIES = ["AP", "Reuters", "AFP"]
JA_SHARE = "ツイート シェア はてなブックマーク LINEで送る"
JA_NEWSLETTER = "ニュースレターの登録はこちら（無料）"
JA_BLURB = "記事・写真の無断転載を禁じます。著作権は{name}またはその情報提供者に属します。"


def make_outlets(rng: random.Random, headlines: list[str], ja_headlines: list[str]) -> dict[str, Outlet]:
    """Every outlet with its fixed sidebars: identical on every page of that outlet."""
    pool = list(headlines)
    rng.shuffle(pool)

    def take(n: int) -> list[str]:
        return [pool.pop() for _ in range(n)]

    outlets: dict[str, Outlet] = {}
    specs = [(n, d, TEMPLATES[i % 3]) for i, (n, d) in enumerate(EN_OUTLETS)]
    specs += [(n, d, "divsoup") for n, d in PRINT_OUTLETS]
    specs += [(n, d, TEMPLATES[i % 3]) for i, (n, d) in enumerate(BROKEN_OUTLETS)]
    for i, (name, domain, template) in enumerate(specs):
        outlets[name] = Outlet(
            name=name, domain=domain, template=template,
            txt_sep="\n\n" if i % 2 == 0 else "\n",
            list_heading=LIST_HEADINGS[i % len(LIST_HEADINGS)], list_items=take(rng.randint(5, 8)),
            side_heading=SIDE_HEADINGS[i % len(SIDE_HEADINGS)].format(name=name),
            side_items=take(rng.randint(3, 5)),
            share=SHARES[i % len(SHARES)],
            newsletter=NEWSLETTERS[i % len(NEWSLETTERS)].format(name=re.sub(r"^The ", "", name)),
            blurb=BLURBS[i % len(BLURBS)].format(name=name),
            copyright=f"© 2024 {name}. All rights reserved.",
            follow=FOLLOWS[i % len(FOLLOWS)].format(name=name),
        )
    jpool = list(ja_headlines)
    rng.shuffle(jpool)
    for name, domain, charset, declare, heading in JA_OUTLETS:
        outlets[name] = Outlet(
            name=name, domain=domain, template="ja", txt_sep="\n", list_heading=heading,
            list_items=[jpool.pop() for _ in range(6)], side_heading="関連記事",
            side_items=[jpool.pop() for _ in range(3)], share=JA_SHARE, newsletter=JA_NEWSLETTER,
            blurb=JA_BLURB.format(name=name), copyright=f"Copyright (C) 2024 {name} All rights reserved.",
            follow="この記事をシェアする", lang="ja", charset=charset, declare_charset=declare)
    return outlets


# --------------------------------------------------------------------------- text edits

EDITS = [
    (r"\bpercent\b", "per cent"), (r"\bper cent\b", "percent"), (r"\bsaid\b", "says"),
    (r"\bU\.S\.", "US"), (r"\bMr\. ", "Mr "), (r"\bDr\. ", "Dr "),
    (r"\bon (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", r"\1"),
    (r", and\b", " and"), (r"\b(\d+),(\d{3})\b", r"\1\2"), (r"’", "'"), (r"“|”", '"'),
    (r"\bthat (?=[a-z])", ""), (r"\bapproximately\b", "about"), (r"\bhowever\b", "though"),
    (r"\bwill not\b", "won't"), (r"\bdo not\b", "don't"), (r"\bthe company\b", "the firm"),
]
SENT_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’]))\s+(?=[A-Z“\"])")


def copy_edit(paras: list[str], protected: set[int], rng: random.Random, n_edits: int,
              drop_sentence: float) -> list[str]:
    """A copy desk's small edits: style substitutions and, sometimes, one sentence cut."""
    paras = list(paras)
    free = [i for i in range(len(paras)) if i not in protected]
    for _ in range(n_edits):
        for _attempt in range(12):
            pattern, repl = EDITS[rng.randrange(len(EDITS))]
            if not free:
                break
            i = free[rng.randrange(len(free))]
            if re.search(pattern, paras[i]):
                paras[i] = re.sub(pattern, repl, paras[i], count=1)
                break
    if rng.random() < drop_sentence and free:
        multi = [i for i in free if i > 0 and len(SENT_SPLIT.split(paras[i])) >= 3]
        if multi:
            i = multi[rng.randrange(len(multi))]
            sents = SENT_SPLIT.split(paras[i])
            del sents[rng.randrange(1, len(sents))]
            paras[i] = " ".join(sents)
    return paras


def cut_end(paras: list[str], protected: set[int], rng: random.Random) -> tuple[list[str], set[int]]:
    """Drop the last 1-3 paragraphs (a syndicated copy cut to fit), never a protected one."""
    n = len(paras)
    total = sum(len(p.split()) for p in paras)
    want = rng.choice([1, 1, 2, 2, 3])
    keep = n
    # never below 60% of the paragraphs or 70% of the words: a cut, not a new brief
    while (keep > 1 and n - keep < want and keep - 1 >= max(2, round(0.6 * n))
           and (keep - 1) not in protected
           and sum(len(p.split()) for p in paras[:keep - 1]) >= 0.7 * total):
        keep -= 1
    return paras[:keep], {i for i in protected if i < keep}


def abridge(paras: list[str], protected: set[int], rng: random.Random) -> list[str]:
    """A print reprint: about half the words, sentences trimmed, paragraphs re-joined."""
    total = sum(len(p.split()) for p in paras)
    keep = list(range(len(paras)))
    order = [i for i in range(1, len(paras)) if i not in protected]
    rng.shuffle(order)
    words = total
    for i in order:
        if words <= 0.5 * total:
            break
        keep.remove(i)
        words -= len(paras[i].split())
    kept = []
    for i in keep:
        p = paras[i]
        if i not in protected and i > 0 and rng.random() < 0.3:
            sents = SENT_SPLIT.split(p)
            if len(sents) >= 3:
                p = " ".join(sents[:-1])
        kept.append(p)
    out, j = [], 0
    while j < len(kept):
        size = rng.choice([1, 2, 2, 3])
        out.append(" ".join(kept[j:j + size]))
        j += size
    return out


def new_headline(title: str, rng: random.Random) -> str:
    short = re.split(r"\s+[|–—]\s+|:\s+|\s+-\s+", title)[0].strip() or title
    forms = [short, f"UPDATE 1-{short}", f"Analysis: {short}", f"{short} - report",
             short.upper() if len(short) < 60 else short, f"{short}, officials say"]
    return forms[rng.randrange(len(forms))]


_CP1252 = []
for _b in range(256):
    try:
        _CP1252.append(bytes([_b]).decode("cp1252"))
    except UnicodeDecodeError:
        _CP1252.append(chr(_b))  # WHATWG: undefined cp1252 bytes map to C1 controls


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (browser flavour): 'café' -> 'cafÃ©'."""
    return "".join(_CP1252[b] for b in text.encode("utf-8"))


# --------------------------------------------------------------------------- rendering


@dataclass
class Page:
    """One document to write: body paragraphs plus the clutter the template adds."""

    story: Story
    variant: str
    outlet: Outlet
    url: str | None
    title: str
    body: list[str]  # truth body paragraphs (no dateline)
    dateline: str = ""
    caption: str = ""
    byline: str = ""
    timestamp: str = ""
    fmt: str = "html"  # html | txt | feed
    gz: bool = False
    moji: bool = False
    wrap: bool = False
    canonical: str | None = None
    clutter: list[tuple[str, str]] = field(default_factory=list)  # (kind, line)


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _entity(story: Story, rng: random.Random) -> str:
    text = " ".join(story.paras[:4])
    cands = re.findall(r"(?<=[a-z,] )((?:[A-Z][a-z]+ ){1,2}[A-Z][a-z]+)", text)
    cands = [c for c in cands if c.split()[0] not in ("The", "In", "But", "And", "On", "It")]
    return cands[rng.randrange(len(cands))] if cands else "The scene"


def make_caption(story: Story, outlet: Outlet, rng: random.Random) -> str:
    ent = _entity(story, rng)
    ph = PHOTOGRAPHERS[rng.randrange(len(PHOTOGRAPHERS))]
    day = story.date.strftime("%A")
    forms = [
        f"Photo: {ent} on {day}. ({outlet.name} staff)",
        f"{ent} is seen in this file photo taken on {story.date.strftime('%B %d, %Y')}. (Reuters/{ph})",
        f"FILE - {ent} during an event on {day}. (AP Photo/{ph}, File)",
        f"Photo/Illutration {ent} at the venue on {day}. ({ph})",
        f"{ent}, pictured earlier this week, has drawn wide attention.",
        f"Image credit: {ph}/Getty Images",
    ]
    return forms[rng.randrange(len(forms))]


def make_timestamp(d: datetime, rng: random.Random) -> str:
    forms = [d.strftime("%H:%M JST, %B %d, %Y"), d.strftime("Updated %I:%M p.m. EDT, %B %d, %Y"),
             d.strftime("%B %d, %Y at %I:%M am"), d.strftime("Published %Y-%m-%d %H:%M")]
    return forms[rng.randrange(len(forms))]


def first_para(page: Page) -> list[str]:
    """Body paragraphs as shown: the dateline opens the lead (first paragraph of 12+ words)."""
    body = list(page.body)
    if page.dateline and body:
        lead = next((i for i, p in enumerate(body) if len(p.split()) >= 12), 0)
        body[lead] = page.dateline + body[lead]
    return body


def _with_inserts(body: list[str], inserts: list[tuple[int, str]]) -> list[str]:
    """Body paragraphs (as HTML) with clutter blocks after given paragraph numbers."""
    out = []
    for i, p in enumerate(body):
        out.append(p)
        for at, block in inserts:
            if at == i:
                out.append(block)
    return out


def _page_texts(page: Page) -> tuple[list[str], str, str]:
    """Body paragraphs, title and caption, through mojibake when the page is a mojibake copy."""
    body = first_para(page)
    title, caption = page.title, page.caption
    if page.moji:
        body = [mojibake(p) for p in body]
        title, caption = mojibake(title), mojibake(caption)
    return body, title, caption


def render_html(page: Page, rng: random.Random) -> str:
    o = page.outlet
    body, title, caption = _page_texts(page)
    c: list[tuple[str, str]] = []

    def add(kind: str, text: str) -> str:
        """Record a clutter line that this page really shows; return it escaped."""
        if text:
            c.append((kind, text))
        return _e(text)

    def add_moji(kind: str, clean: str, shown: str) -> str:
        if clean:
            c.append((kind, clean))
        return _e(shown)

    pub = page.story.date.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    canonical = page.canonical or page.url
    if o.charset == "utf-8":
        head = '<meta charset="utf-8">'
    elif o.declare_charset:
        label = "Shift_JIS" if o.charset == "shift_jis" else o.charset.upper().replace("_", "-")
        head = f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'
    else:
        head = ""
    head += f"\n<title>{_e(title)} | {_e(o.name)}</title>"
    if canonical:
        head += (f'\n<link rel="canonical" href="{_e(canonical)}">'
                 f'\n<meta property="og:url" content="{_e(page.url or canonical)}">')
    head += f'\n<meta property="og:site_name" content="{_e(o.name)}">\n<meta property="og:title" content="{_e(title)}">'
    head += f'\n<meta property="article:published_time" content="{pub}">'
    n = len(body)
    mid = max(1, min(n - 1, 2 + rng.randrange(2)))
    t = "ja" if o.template == "ja" else ("amp" if page.variant == "amp" else o.template)

    def items_li(kind: str, items: list[str]) -> str:
        return "".join(f'<li><a href="/{k}">{add(kind, x)}</a></li>' for k, x in enumerate(items))

    if t == "semantic":
        ps = _with_inserts([f"<p>{_e(p)}</p>" for p in body], [
            (mid, f'<div class="newsletter-signup"><p>{add("newsletter", o.newsletter)}</p><form><input type="email" '
                  'placeholder="Email address"><button>Sign up</button></form></div>'),
            (min(n - 1, mid + 2), f'<div class="ad-slot"><span>{add("advert", "Advertisement")}</span></div>')])
        byline = f'<p class="byline">{add("byline", page.byline)}</p>' if page.byline else ""
        stamp = f'<time datetime="{pub}">{add("timestamp", page.timestamp)}</time>' if page.timestamp else ""
        share = " ".join(f'<a href="#">{_e(w)}</a>' for w in o.share.split(" "))
        c.append(("share", o.share))
        fig = (f'<figure class="lead"><img src="/img/{page.story.sid}.jpg" alt="">'
               f'<figcaption>{add_moji("caption", page.caption, caption)}</figcaption></figure>') if page.caption else ""
        most = f'<section class="most-read"><h2>{add("list-heading", o.list_heading)}</h2><ol>{items_li("list-item", o.list_items)}</ol></section>'
        side = f'<aside class="sidebar"><h3>{add("side-heading", o.side_heading)}</h3><ul>{items_li("side-item", o.side_items)}</ul></aside>'
        foot = f'<footer><p class="about">{add("blurb", o.blurb)}</p><p>{add("copyright", o.copyright)}</p></footer>'
        doc = f"""<!DOCTYPE html>
<html lang="en"><head>{head}
</head><body>
<header class="site-header"><a class="logo" href="/">{_e(o.name)}</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/world">World</a></li><li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav></header>
<main><article class="story">
<h1 class="headline">{_e(title)}</h1>
{byline}
{stamp}
<div class="share-tools">{share}</div>
{fig}
<div class="story-body">
{chr(10).join(ps)}
</div>
{most}
</article>
{side}
</main>
{foot}
</body></html>
"""
    elif t == "divsoup":
        ps = _with_inserts([f"<p>{_e(p)}</p>" for p in body], [
            (mid, f'<div class="inline-box"><p><b>{add("newsletter", o.newsletter)}</b></p></div>')])
        meta = " ".join(x for x in (add("byline", page.byline), add("timestamp", page.timestamp)) if x)
        photo = (f'<div class="photo"><img src="/p/{page.story.sid}.jpg"><div class="caption">'
                 f'{add_moji("caption", page.caption, caption)}</div></div>') if page.caption else ""
        rank = "".join(f'<p class="rank"><a href="/{k}">{add("list-item", x)}</a></p>' for k, x in enumerate(o.list_items))
        doc = f"""<html><head>{head}
</head><body><div id="wrapper"><div class="topbar"><a href="/">{_e(o.name)}</a> | <a href="/login">Log in</a> | <a href="/subscribe">Subscribe</a></div>
<div class="col-main"><div class="entry">
<div class="entry-title">{_e(title)}</div>
<div class="meta">{meta}</div>
<div class="social">{add("share", o.share)}</div>
{photo}
<div class="entry-content">
{chr(10).join(ps)}
<p class="follow">{add("follow", o.follow)}</p>
</div>
<div class="box-ranking"><p class="box-title">{add("list-heading", o.list_heading)}</p>{rank}</div>
</div></div>
<div class="col-side"><div class="box"><p class="box-title">{add("side-heading", o.side_heading)}</p><ul>{items_li("side-item", o.side_items)}</ul></div>
<div class="box"><p>{add("blurb", o.blurb)}</p></div></div>
<div class="foot">{add("copyright", o.copyright)}</div></div></body></html>
"""
    elif t == "inline":
        # Everything in one text column, as some CMSs print it: caption, share labels,
        # the ranking list and the outlet blurb are paragraphs among the body paragraphs.
        pre = []
        if page.caption:
            pre.append(f"<p>{add_moji('caption', page.caption, caption)}</p>")
        if page.timestamp:
            pre.append(f"<p>{add('timestamp', page.timestamp)}</p>")
        ps = _with_inserts([f"<p>{_e(p)}</p>" for p in body], [(mid, f"<p>{add('newsletter', o.newsletter)}</p>")])
        post = [f"<p>{add('share', o.share)}</p>", f"<p>{add('list-heading', o.list_heading)}</p>"]
        post += [f"<p>{add('list-item', x)}</p>" for x in o.list_items]
        post += [f"<p>{add('blurb', o.blurb)}</p>"]
        doc = f"""<!DOCTYPE html>
<html lang="en"><head>{head}
</head><body>
<div class="Header"><a href="/">{_e(o.name)}</a></div>
<div class="Title"><h1>{_e(title)}</h1></div>
<div id="MainInner"><div class="ArticleText">
{chr(10).join(pre + ps + post)}
</div></div>
<div class="Side"><p>{add("side-heading", o.side_heading)}</p><ul>{items_li("side-item", o.side_items)}</ul></div>
<div class="Footer"><p>{add("copyright", o.copyright)}</p></div>
</body></html>
"""
    elif t == "amp":
        ps = [f"<p>{_e(p)}</p>" for p in body]
        byline = f'<p class="byline">{add("byline", page.byline)}</p>' if page.byline else ""
        fig = (f'<figure><amp-img src="/img/{page.story.sid}.jpg" width="640" height="360" layout="responsive">'
               f'</amp-img><figcaption>{add_moji("caption", page.caption, caption)}</figcaption></figure>') if page.caption else ""
        doc = f"""<!doctype html>
<html amp lang="en"><head>{head}
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<style amp-boilerplate>body{{visibility:hidden}}</style>
</head><body>
<header class="amp-header"><a href="/">{_e(o.name)}</a></header>
<article>
<h1>{_e(title)}</h1>
{byline}
<div class="amp-share"><amp-social-share type="facebook"></amp-social-share><amp-social-share type="twitter"></amp-social-share><span>{add("share", o.share)}</span></div>
{fig}
{chr(10).join(ps)}
<div class="amp-related"><h2>{add("list-heading", o.list_heading)}</h2><ul>{items_li("list-item", o.list_items)}</ul></div>
</article>
<footer><p>{add("blurb", o.blurb)}</p><p>{add("copyright", o.copyright)}</p></footer>
</body></html>
"""
    else:  # ja
        ps = _with_inserts([f"<p>{_e(p)}</p>" for p in body], [(mid, f"<p>{add('newsletter', o.newsletter)}</p>")])
        photo = (f'<div class="photo"><img src="/p/{page.story.sid}.jpg"><p class="caption">'
                 f'{add("caption", page.caption)}</p></div>') if page.caption else ""
        doc = f"""<html lang="ja"><head>{head}
</head><body>
<div id="header"><a href="/">{_e(o.name)}</a> <a href="/news">ニュース</a> <a href="/keizai">経済</a> <a href="/sports">スポーツ</a></div>
<div id="main"><div class="article">
<h1>{_e(title)}</h1>
<p class="date">{add("timestamp", page.timestamp)}</p>
<div class="sns">{add("share", o.share)}</div>
{photo}
<div class="text">
{chr(10).join(ps)}
</div>
<div class="ranking"><p class="ttl">{add("list-heading", o.list_heading)}</p><ol>{items_li("list-item", o.list_items)}</ol></div>
</div></div>
<div id="side"><p>{add("side-heading", o.side_heading)}</p><ul>{items_li("side-item", o.side_items)}</ul></div>
<div id="footer"><p>{add("blurb", o.blurb)}</p><p>{add("copyright", o.copyright)}</p></div>
</body></html>
"""
    page.clutter = _uniq(c)
    return doc


def render_txt(page: Page, rng: random.Random) -> str:
    """A plain-text scrape: title, caption, timestamp, body and the page's clutter lines."""
    o = page.outlet
    body, title, caption = _page_texts(page)
    c: list[tuple[str, str]] = []
    lines = [title]
    if page.caption:
        lines.append(caption)
        c.append(("caption", page.caption))
    if page.timestamp:
        lines.append(page.timestamp)
        c.append(("timestamp", page.timestamp))
    if page.byline and rng.random() < 0.5:
        lines.append(page.byline)
        c.append(("byline", page.byline))
    if page.wrap:
        paras = [textwrap.fill(p, width=68) for p in body]
        text = "\n\n".join(lines + paras) + "\n"
        if page.variant == "print":
            note = f"This article was reprinted with permission from {page.story.origin}."
            text += "\n" + note + "\n"
            c.append(("reprint-note", note))
        page.clutter = _uniq(c)
        return text
    mid = max(1, min(len(body) - 1, 2 + rng.randrange(2)))
    lines.append(o.share)
    c.append(("share", o.share))
    for i, p in enumerate(body):
        lines.append(p)
        if i == mid:
            lines.append(o.newsletter)
            c.append(("newsletter", o.newsletter))
        if i == min(len(body) - 1, mid + 2) and o.lang == "en":
            lines.append("Advertisement")
            c.append(("advert", "Advertisement"))
    lines.append(o.list_heading)
    c.append(("list-heading", o.list_heading))
    lines += o.list_items
    c += [("list-item", x) for x in o.list_items]
    lines.append(o.blurb)
    c.append(("blurb", o.blurb))
    lines.append(o.copyright)
    c.append(("copyright", o.copyright))
    page.clutter = _uniq(c)
    return o.txt_sep.join(lines) + "\n"


def render_feed(page: Page, rng: random.Random, use_html: bool) -> dict[str, Any]:
    """One JSON feed-dump record (the aggregator's copy of the story)."""
    o = page.outlet
    body = first_para(page)
    c: list[tuple[str, str]] = []
    pub = page.story.date.strftime("%Y-%m-%dT%H:%M:%SZ")
    if use_html:
        tail = f"The post {page.title} appeared first on {o.name}."
        parts = []
        if page.caption:
            parts.append(f'<figure><img src="https://{o.domain}/img/{page.story.sid}.jpg">'
                         f"<figcaption>{_e(page.caption)}</figcaption></figure>")
            c.append(("caption", page.caption))
        parts += [f"<p>{_e(p)}</p>" for p in body]
        parts.append(f'<p>{_e(tail)}</p>')
        c.append(("feed-tail", tail))
        rec = {"url": page.url, "title": page.title, "published": pub, "source": o.name,
               "content_html": "\n".join(parts)}
    else:
        tail = f"Read the full story at {o.domain}"
        parts = list(body) + ([o.share] if rng.random() < 0.5 else []) + [tail]
        if o.share in parts:
            c.append(("share", o.share))
        c.append(("feed-tail", tail))
        rec = {"link": page.url, "headline": page.title, "date": pub, "site_name": o.name,
               "text": "\n\n".join(parts)}
    page.clutter = _uniq(c)
    return rec


def _uniq(c: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen, out = set(), []
    for kind, line in c:
        if line and line not in seen:
            seen.add(line)
            out.append((kind, line))
    return out


def _slug(title: str) -> str:
    s = "-".join(_words(title)[:7]) or "story"
    return re.sub(r"[^a-z0-9-]", "", s.encode("ascii", "ignore").decode())[:60] or "story"


# --------------------------------------------------------------------------- corpus


def _ngrams(words: list[str], k: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def pick_stories(rng: random.Random, english: list[tuple[str, str, list[str]]], n_en: int,
                 ja: list[tuple[str, list[str]]], n_ja: int) -> tuple[list[Story], list[list[str]]]:
    """Stories with no 10-word run in common (so every shared passage is a planted one)."""
    order = list(range(len(english)))
    rng.shuffle(order)
    chosen: list[Story] = []
    spare: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for idx in order:
        src, title, paras = english[idx]
        grams = _ngrams(_words(" ".join(paras)), 10)
        if grams & seen:
            continue
        seen |= grams
        if len(chosen) < n_en:
            paras = list(paras)
            if rng.random() < 0.15:  # a news brief: the first few paragraphs
                k, words = 0, 0
                while k < len(paras) and words < 90:
                    words += len(paras[k].split())
                    k += 1
                paras = paras[:max(k, 2)]
            else:
                k, words = 0, 0
                while k < len(paras) and words < 1100:
                    words += len(paras[k].split())
                    k += 1
                paras = paras[:k]
            chosen.append(Story(sid="", source=src, lang="en", title=title, paras=paras))
        else:
            spare.append([p for p in paras if _is_prose(p)])
    ja_order = list(range(len(ja)))
    rng.shuffle(ja_order)
    for idx in ja_order[:n_ja]:
        src, sents = ja[idx]
        sents = sents[:rng.randint(16, 28)]
        paras, j = [], 0
        while j < len(sents):
            size = rng.choice([2, 2, 3])
            paras.append("".join(sents[j:j + size]))
            j += size
        title = sents[0][:24].rstrip("。！？")
        chosen.append(Story(sid="", source=src, lang="ja", title=title, paras=paras[1:] or paras))
    return chosen, spare


QUOTE_KINDS = ("paragraph", "short-sentences", "paragraph-break", "elision-edit")
# one changed word in an edited quote: a copy desk's or a translator's choice
WORD_SWAPS = {"said": "stated", "says": "states", "big": "large", "large": "big", "small": "little",
              "also": "further", "many": "numerous", "new": "fresh", "people": "residents",
              "because": "as", "about": "around", "very": "highly", "help": "assist", "began": "started",
              "start": "begin", "show": "reveal", "shows": "reveals", "important": "crucial",
              "major": "key", "recent": "latest", "more": "additional", "often": "frequently"}
SWAP_FALLBACK = ["certain", "several", "notable", "various", "particular", "further"]
SHORT_MAX = 11  # words in a "short" sentence (under 12)


_ABBREV_END = re.compile(r"(?:\b[A-Z][a-z]{0,3}|\b[A-Z]|\.[A-Z])\.$")


def _is_short(sent: str) -> bool:
    """A whole short sentence: 4-11 words, capitalised, not cut after an abbreviation."""
    sent = sent.strip()
    return (4 <= len(sent.split()) <= SHORT_MAX and sent[:1].isupper()
            and sent.endswith((".", "?", "!")) and not _ABBREV_END.search(sent))


def _short_sentences(paras: list[str]) -> list[str]:
    """Runs of consecutive short real sentences (4-11 words) of one article, longest first."""
    runs: list[list[str]] = []
    for p in paras:
        cur: list[str] = []
        for sent in SENT_SPLIT.split(p):
            sent = sent.strip()
            if _is_short(sent):
                cur.append(sent)
            else:
                if len(cur) >= 3:
                    runs.append(cur)
                cur = []
        if len(cur) >= 3:
            runs.append(cur)
    flat = [s for p in paras for s in SENT_SPLIT.split(p) if _is_short(s)]
    return max(runs, key=len) if runs else ([s.strip() for s in flat] if len(flat) >= 3 else [])


def _elide_and_change(text: str, rng: random.Random) -> str | None:
    """The quoting copy: 2-4 words replaced by "… " and one other word changed."""
    toks = text.split(" ")
    n = len(toks)
    if n < 24:
        return None
    k = rng.randint(2, 4)
    # elide inside the text, words only (no sentence end inside the cut)
    starts = [i for i in range(5, n - k - 5)
              if all(re.fullmatch(r"[A-Za-z][a-z'’-]*", toks[j]) for j in range(i, i + k))]
    if not starts:
        return None
    e = starts[rng.randrange(len(starts))]
    far = [j for j in range(2, n - 2) if (j < e - 4 or j >= e + k + 4)
           and re.fullmatch(r"[a-z]{3,}", toks[j])]
    swaps = [j for j in far if toks[j] in WORD_SWAPS]
    if swaps:
        c = swaps[rng.randrange(len(swaps))]
        new = WORD_SWAPS[toks[c]]
    else:
        far = [j for j in far if len(toks[j]) >= 5]
        if not far:
            return None
        c = far[rng.randrange(len(far))]
        new = SWAP_FALLBACK[rng.randrange(len(SWAP_FALLBACK))]
        if new == toks[c]:
            new = "given"
    toks = list(toks)
    toks[c] = new
    return " ".join(toks[:e] + ["…"] + toks[e + k:])


def plant_passages(stories: list[Story], rng: random.Random, n: int,
                   spare: list[list[str]] | None = None) -> list[dict[str, Any]]:
    """Story B quotes story A, in four kinds (``n`` English quotes of each kind):

    - paragraph        one paragraph of A, verbatim
    - short-sentences  a paragraph of 3-5 short real sentences (each under 12 words,
                       from an article not otherwise used) that A carries and B quotes
    - paragraph-break  two consecutive paragraphs of A, quoted as two paragraphs
    - elision-edit     one paragraph of A; in B 2-4 words are replaced by "… " and one
                       other word is changed

    Plus one Japanese paragraph quote. Each record keeps the quoted text as A has it
    (``source_text``, also ``text``) and as B has it (``quoting_text``)."""
    planted = []
    by_lang: dict[str, list[int]] = {}
    for i, s in enumerate(stories):
        by_lang.setdefault(s.lang, []).append(i)
    used: set[int] = set()
    spare = spare if spare is not None else []
    short_pool = [i for i, paras in enumerate(spare) if _short_sentences(paras)]
    rng.shuffle(short_pool)
    used_spare: list[int] = []
    plan = [("en", k) for _ in range(n) for k in QUOTE_KINDS]
    if len(by_lang.get("ja", [])) >= 4:
        plan.append(("ja", "paragraph"))
    order = {lang: list(idxs) for lang, idxs in by_lang.items()}
    for lang in sorted(order):
        rng.shuffle(order[lang])

    def prose(p: str, lo: int, hi: int) -> bool:
        return lo <= len(p.split()) <= hi and _is_prose(p)

    for lang, kind in plan:
        idxs = order.get(lang, [])
        for a in idxs:
            if a in used:
                continue
            A = stories[a]
            b = next((x for x in idxs if x not in used and x != a and len(stories[x].paras) >= 3), None)
            if b is None:
                break
            lim = max(2, int(0.6 * len(A.paras)))
            src_paras: list[str] = []
            if kind == "short-sentences":
                if not short_pool:
                    break
                if len(A.paras) < 3:
                    continue
                sents = _short_sentences(spare[short_pool[-1]])
                m = min(len(sents), rng.randint(3, 5))
                j = rng.randrange(len(sents) - m + 1)
                src_paras = [" ".join(sents[j:j + m])]
                if len(src_paras[0].split()) < 14:
                    short_pool.pop()
                    continue
                pi = rng.randint(1, max(1, min(3, len(A.paras) - 1)))
                A.protected = [i + 1 if i >= pi else i for i in A.protected]
                A.paras.insert(pi, src_paras[0])
                used_spare.append(short_pool.pop())
                pis = [pi]
            elif kind == "paragraph-break":
                cands = [i for i in range(1, min(lim, len(A.paras) - 2))
                         if prose(A.paras[i], 15, 70) and prose(A.paras[i + 1], 15, 70)]
                if not cands:
                    continue
                pi = cands[rng.randrange(len(cands))]
                pis = [pi, pi + 1]
                src_paras = A.paras[pi:pi + 2]
            else:
                cands = [i for i in range(1, min(lim, len(A.paras) - 1))
                         if (lang == "ja" and len(A.paras[i]) >= 50) or
                         (lang == "en" and prose(A.paras[i], 25 if kind == "paragraph" else 30, 90))]
                if not cands:
                    continue
                pi = cands[rng.randrange(len(cands))]
                pis = [pi]
                src_paras = [A.paras[pi]]
            quo_paras = list(src_paras)
            if kind == "elision-edit":
                edited = _elide_and_change(src_paras[0], rng)
                if edited is None:
                    continue
                quo_paras = [edited]
            B = stories[b]
            at = rng.randint(1, max(1, min(3, len(B.paras) - 1)))
            for j, qp in enumerate(quo_paras):
                B.paras.insert(at + j, qp)
            m = len(quo_paras)
            B.protected = [i + m if i >= at else i for i in B.protected] + list(range(at, at + m))
            A.protected += pis
            B.quote_of = A.sid
            used |= {a, b}
            sep = "\n\n"
            planted.append({"kind": kind, "text": sep.join(src_paras), "source_text": sep.join(src_paras),
                            "quoting_text": sep.join(quo_paras), "source_story": A.sid,
                            "quoting_story": B.sid, "lang": lang})
            break
    for i in sorted(used_spare, reverse=True):  # never reused as an "updated" paragraph
        del spare[i]
    return planted


def build(out: Path, stories_n: int = 150, seed: int = 1, corpora: Path = CORPORA,
          ja_share: float = 0.05) -> dict[str, Any]:
    """Write out/corpus/** and out/truth.json; return the truth."""
    rng = random.Random(seed)
    english = load_english(corpora)
    ja = load_japanese(corpora)
    n_ja = min(len(ja) - 4, max(2, round(stories_n * ja_share)))
    n_en = stories_n - n_ja
    stories, spare = pick_stories(rng, english, n_en, ja, n_ja)
    if len(stories) < stories_n:
        raise SystemExit(f"only {len(stories)} usable stories (asked for {stories_n})")
    used_titles = {s.title for s in stories}
    headlines = [t for t in all_titles(corpora) if t not in used_titles]
    headlines = list(dict.fromkeys(headlines))
    ja_used = {s.source for s in stories if s.lang == "ja"}
    ja_heads = [sents[k][:22].rstrip("。！？") for src, sents in ja if src not in ja_used
                for k in range(0, min(len(sents), 8), 2)]
    ja_heads = list(dict.fromkeys(ja_heads))
    outlets = make_outlets(rng, headlines, ja_heads)
    en_names = [n for n, _ in EN_OUTLETS]
    base = datetime(2024, 3, 1, 6, 0)
    for i, s in enumerate(stories):
        s.sid = f"s{i:03d}"
        s.date = base + timedelta(hours=rng.randrange(24 * 200), minutes=rng.randrange(60))
        s.place = PLACES[rng.randrange(len(PLACES))]
        s.agency = AGENCIES[rng.randrange(len(AGENCIES))]
        s.origin = en_names[rng.randrange(len(en_names))] if s.lang == "en" else JA_OUTLETS[0][0]
    planted = plant_passages(stories, rng, max(3, stories_n // 30), spare)

    pages: list[Page] = []
    for s in stories:
        pages += story_pages(s, outlets, rng, spare)

    corpus = out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    items: list[dict[str, Any]] = []
    feeds: dict[str, list[tuple[Page, dict[str, Any]]]] = {}
    used_paths: set[str] = set()
    for page in pages:
        if page.fmt == "feed":
            use_html = rng.random() < 0.5
            rec = render_feed(page, rng, use_html)
            feeds.setdefault("feeds/wire-aggregator" if page.outlet.lang == "en" else "feeds/ja-aggregator",
                             []).append((page, rec))
            continue
        ext = ".html" if page.fmt == "html" else ".txt"
        folder = page.outlet.domain.replace("www.", "").split(".")[0]
        day = page.story.date.strftime("%Y-%m-%d")
        stem = f"{folder}/{day}-{_slug(page.story.title if page.outlet.lang == 'en' else page.story.sid)}-{page.variant}"
        path = stem + ext
        k = 2
        while path in used_paths or path + ".gz" in used_paths:
            path = f"{stem}-{k}{ext}"
            k += 1
        if page.fmt == "html":
            doc = render_html(page, rng)
            enc = page.outlet.charset
            data = doc.encode(enc)
        else:
            data = render_txt(page, rng).encode("utf-8")
            enc = "utf-8"
        if page.gz:
            path += ".gz"
            data = gzip.compress(data, mtime=0)
        used_paths.add(path)
        (corpus / path).parent.mkdir(parents=True, exist_ok=True)
        (corpus / path).write_bytes(data)
        items.append(_item(page, path, None, enc))
    for name in sorted(feeds):
        recs = feeds[name]
        for chunk in range(0, len(recs), 25):
            path = f"{name}-{chunk // 25:03d}.jsonl"
            lines = []
            for r, (page, rec) in enumerate(recs[chunk:chunk + 25]):
                lines.append(json.dumps(rec, ensure_ascii=False))
                items.append(_item(page, path, r, "utf-8"))
            (corpus / path).parent.mkdir(parents=True, exist_ok=True)
            (corpus / path).write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

    for p in planted:
        p["source_items"] = [it["key"] for it in items if it["cluster"] == p["source_story"]
                             and _contains(it["body"], p["source_text"], it["lang"])]
        p["quoting_items"] = [it["key"] for it in items if it["cluster"] == p["quoting_story"]
                              and _contains(it["body"], p["quoting_text"], it["lang"])]
        p["items"] = p["source_items"] + p["quoting_items"]
    truth = {
        "generator": "benchmarks/synd_gen.py", "seed": seed, "stories": stories_n,
        "counts": {"items": len(items), "files": len({it["path"] for it in items}),
                   "stories": len(stories), "japanese_stories": sum(1 for s in stories if s.lang == "ja"),
                   "planted_passages": len(planted)},
        "story_sources": {s.sid: {"source": s.source, "lang": s.lang, "title": s.title,
                                  "origin": s.origin, "quotes": s.quote_of} for s in stories},
        "items": items,
        "passages": planted,
    }
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return truth


def _cluster(items: list[dict[str, Any]], key: str) -> str:
    return next(it["cluster"] for it in items if it["key"] == key)


def _contains(body: str, text: str, lang: str) -> bool:
    if lang == "ja":
        return re.sub(r"\s", "", text) in re.sub(r"\s", "", body)
    return " " + " ".join(_words(text)) + " " in " " + " ".join(_words(body)) + " "


def _item(page: Page, path: str, record: int | None, encoding: str) -> dict[str, Any]:
    return {
        "key": path if record is None else f"{path}#{record}",
        "path": path, "record": record, "cluster": page.story.sid, "variant": page.variant,
        "outlet": page.outlet.name, "lang": page.story.lang, "format": page.fmt,
        "encoding": encoding + (" (declared)" if page.outlet.declare_charset else " (undeclared)"),
        "gz": page.gz, "mojibake": page.moji, "title": page.title, "dateline": page.dateline,
        "body": "\n\n".join(page.body),
        "clutter": [{"kind": k, "text": t} for k, t in page.clutter],
    }


def story_pages(s: Story, outlets: dict[str, Outlet], rng: random.Random,
                spare: list[list[str]]) -> list[Page]:
    """All copies of one story, each with its outlet, format and body."""
    prot = set(s.protected)
    o = outlets[s.origin]
    day = s.date.strftime("%Y/%m/%d")
    url = f"https://www.{o.domain}/news/{day}/{_slug(s.title) if s.lang == 'en' else s.sid}/" \
        if not o.domain.startswith("www.") else f"https://{o.domain}/articles/{s.date:%Y%m%d}/{s.sid}.html"
    by = f"By {REPORTERS[rng.randrange(len(REPORTERS))]}"
    pages: list[Page] = []

    def mk(variant: str, outlet: Outlet, url: str | None, title: str, body: list[str], **kw: Any) -> Page:
        p = Page(story=s, variant=variant, outlet=outlet, url=url, title=title, body=body, **kw)
        pages.append(p)
        return p

    if s.lang == "ja":
        a, b = outlets[JA_OUTLETS[0][0]], outlets[JA_OUTLETS[1][0]]
        ts = s.date.strftime("%Y年%m月%d日 %H時%M分")
        cap = f"写真：{s.title[:12]}（{a.name}）"
        mk("ja-sjis", a, url, s.title, list(s.paras), caption=cap, timestamp=ts, gz=rng.random() < 0.3)
        body_b, _ = cut_end(list(s.paras), prot, rng) if len(s.paras) > 4 else (list(s.paras), prot)
        mk("ja-eucjp", b, f"https://{b.domain}/news/{s.date:%Y%m%d}-{s.sid}.html", s.title + "　続報",
           body_b, caption=f"写真：{s.title[:10]}", timestamp=ts)
        if rng.random() < 0.4:
            mk("feed", a, url, s.title, list(s.paras), fmt="feed")
        return pages

    single = rng.random() < 0.1
    orig_txt = rng.random() < 0.2
    mk("original", o, url, s.title, list(s.paras), caption=make_caption(s, o, rng), byline=by,
       timestamp=make_timestamp(s.date, rng), fmt="txt" if orig_txt else "html", gz=rng.random() < 0.2)
    if single:
        return pages
    others = [n for n, _ in EN_OUTLETS if n != s.origin]
    rng.shuffle(others)
    wire_caption = make_caption(s, o, rng)
    if rng.random() < 0.65:
        reuters = s.agency == "Reuters" and rng.random() < 0.5
        for name in others[:rng.randint(2, 4)]:
            w = outlets[name]
            body, _p = cut_end(list(s.paras), prot, rng)
            body = copy_edit(body, prot, rng, rng.randint(1, 4), 0.3)
            dl = (f"{s.place}, {s.date:%B} {s.date.day} ({s.agency}) - " if reuters
                  else f"{s.place} ({s.agency}) — ")
            fmt = "txt" if rng.random() < 0.3 else "html"
            mk("wire", w, None if fmt == "txt" else f"https://www.{w.domain}/{s.date:%Y/%m}/{_slug(s.title)}-{s.sid}",
               new_headline(s.title, rng), body, dateline=dl, caption=wire_caption if rng.random() < 0.6 else "",
               timestamp=make_timestamp(s.date + timedelta(hours=rng.randint(1, 9)), rng), fmt=fmt,
               gz=rng.random() < 0.2)
    if rng.random() < 0.3 and len(s.paras) >= 5 and sum(len(p.split()) for p in s.paras) >= 250:
        pname = PRINT_OUTLETS[rng.randrange(len(PRINT_OUTLETS))][0]
        body = abridge(list(s.paras), prot, rng)
        as_txt = rng.random() < 0.7
        mk("print", outlets[pname], None if as_txt else f"https://www.{outlets[pname].domain}/edition/{s.sid}",
           s.title, body, fmt="txt" if as_txt else "html", wrap=as_txt and rng.random() < 0.6,
           gz=rng.random() < 0.2)
    if rng.random() < 0.3:
        amp_url = (url.replace("https://www.", "https://amp.") if rng.random() < 0.5 else url.rstrip("/") + "/amp/")
        mk("amp", o, amp_url, s.title, list(s.paras), canonical=url, byline=by,
           caption=make_caption(s, o, rng) if rng.random() < 0.5 else "")
    if rng.random() < 0.2 and spare:
        extra = spare[rng.randrange(len(spare))]
        if extra:
            add = extra[rng.randrange(len(extra))]
            body = list(s.paras)
            at = rng.randint(max(1, len(body) // 2), len(body))
            while at in prot and at - 1 in prot:  # never inside a quote spanning paragraphs
                at += 1
            body.insert(at, add)
            mk("updated", o, url.rstrip("/") + "-updated/", s.title, body, byline=by,
               timestamp=make_timestamp(s.date + timedelta(hours=5), rng), caption=make_caption(s, o, rng))
    if rng.random() < 0.4:
        mk("feed", o, url, s.title, list(s.paras), caption=make_caption(s, o, rng) if rng.random() < 0.5 else "",
           fmt="feed")
    if rng.random() < 0.15 or (s.sid.endswith("7") and any(ord(ch) > 127 for ch in " ".join(s.paras))):
        bname = BROKEN_OUTLETS[rng.randrange(len(BROKEN_OUTLETS))][0]
        body, _p = cut_end(list(s.paras), prot, rng)
        fmt = "txt" if rng.random() < 0.3 else "html"
        mk("mojibake", outlets[bname], None if fmt == "txt" else f"https://www.{outlets[bname].domain}/a/{s.sid}",
           s.title, body, dateline=f"{s.place} ({s.agency}) — ", caption=make_caption(s, o, rng), moji=True,
           fmt=fmt, gz=rng.random() < 0.2)
    return pages
