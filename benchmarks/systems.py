"""The systems compared, run on one page inside a worker process.

Every system gets the page's raw bytes (no URL, no declared charset) and decodes them its own way:

* ``newsclean``: the real pipeline code path, ``cleaners.clean.pipeline.clean`` on a
  RawDoc of the page's raw bytes (kind "html", no declared charset, as the
  folder reader builds it). A Reject counts as empty output.
* ``trafilatura``: plain ``trafilatura.extract`` with default options.
* ``trafilatura-nocomments``: ``trafilatura.extract(include_comments=False)``.
* ``readability``: readability-lxml's ``Document(html).summary()``; the summary HTML turned into
  text with a line for each block element (``block_text``), as the scorers expect plain text.
* ``justext``: jusText's own steps (``justext.justext`` split in two) with the stoplist of the page's
  language: the one it declares (``<html lang>``, mapped by trafilatura's table), else the one of
  jusText's 100 stoplists that covers most of its words (English on a tie); the paragraphs it does
  not call boilerplate, a line each. jusText with the English stoplist keeps nothing on a German page
  (trafilatura's eval set is mostly German); the vote alone picks lists that hold many English words
  (Marathi, Sundanese, Finnish) on some English and German pages.
* ``newspaper4k``: ``newspaper.Article`` given the page as ``input_html`` (decoded from the bytes by
  newspaper's own ``get_unicode_html``, as its downloader does), ``parse()``, ``.text``; images not
  fetched (no network).

Each system is timed the same way (``time.perf_counter`` around its call, decoding included). An
exception counts as empty output, its type and message kept as the ``reject`` reason. A system whose
package is not installed is not run (``split_available``) and the benchmark reports it skipped.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_CFG = None


@dataclass(frozen=True)
class System:
    name: str
    module: str        # the import that must be found for the system to run
    distribution: str  # the package whose version the benchmark prints
    # raw page -> (text, how it went or None); None for newsclean, which run_newsclean runs to keep
    # its removals, decode fix and reject reason
    extract: Callable[[bytes], tuple[str, str | None]] | None


def _init() -> None:
    global _CFG
    if _CFG is None:
        from cleaners.config import Config
        _CFG = Config()


def run_newsclean(data: bytes, name: str, kind: str = "html") -> dict[str, Any]:
    from cleaners.clean.pipeline import clean
    from cleaners.records import Document, RawDoc, Source
    _init()
    fmt = "html" if kind == "html" else "txt"
    raw = RawDoc(Source(path=name, record=None, sha256="", format=fmt), data, kind)
    t0 = time.perf_counter()
    res = clean(raw, _CFG)
    sec = time.perf_counter() - t0
    if isinstance(res, Document):
        return {"text": res.text, "sec": sec, "reject": None,
                "removed": [[r.text, r.reason] for r in res.removed],
                "decode": next((f.detail for f in res.fixes if f.name == "decode"), None)}
    return {"text": "", "sec": sec, "reject": f"{res.reason}: {res.detail}"[:300], "removed": [],
            "decode": None}


def _trafilatura(data: bytes) -> tuple[str, str | None]:
    import trafilatura
    return trafilatura.extract(data) or "", None


def _trafilatura_nocomments(data: bytes) -> tuple[str, str | None]:
    import trafilatura
    return trafilatura.extract(data, include_comments=False) or "", None


# Elements that start a new line of text. readability's summary keeps the page's own markup, so a
# paragraph is whatever block the page used; inline elements (a, span, em) stay inside a line.
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"})
SPACES = re.compile(r"\s+")


def block_text(fragment: str) -> str:
    """Text of an HTML fragment, one line per block element, whitespace inside a line collapsed
    (a line break in the source is a space on the rendered page).

    >>> block_text("<div><p>One <b>two</b></p><p>three\\nthree<br>four</p></div>")
    'One two\\nthree three\\nfour'
    """
    import lxml.html
    from lxml import etree

    if not fragment.strip():
        return ""
    root = lxml.html.fromstring(fragment)
    parts: list[str] = []
    # comments and processing instructions have one event each and no text of their own, only a tail
    for event, el in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        block = event in ("start", "end") and el.tag.lower() in BLOCK_TAGS
        if block:
            parts.append("\n")
        if event == "start":
            if el.text:
                parts.append(SPACES.sub(" ", el.text))
        elif el.tail and el is not root:
            parts.append(SPACES.sub(" ", el.tail))
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _readability(data: bytes) -> tuple[str, str | None]:
    from readability import Document
    return block_text(Document(data).summary()), None


_STOPLISTS: dict[str, frozenset[str]] = {}


def _stoplists() -> dict[str, frozenset[str]]:
    """jusText's stoplists, lower-cased as its classifier lowers them, English first (it wins ties)."""
    if not _STOPLISTS:
        import justext
        from justext.core import define_stoplist
        for lang in ["English"] + sorted(set(justext.get_stoplists()) - {"English"}):
            _STOPLISTS[lang] = define_stoplist(justext.get_stoplist(lang))
    return _STOPLISTS


def stoplist_language(words: dict[str, int]) -> str:
    """The stoplist covering most of the page's words (counted with repeats); English on a tie."""
    stop = _stoplists()
    return max(stop, key=lambda lang: sum(n for w, n in words.items() if w in stop[lang]))


def declared_stoplist(root: Any) -> str | None:
    """The stoplist of the language the page declares (``<html lang="de-AT">``), if jusText has one.
    ``root`` is the page's parsed root element (jusText's ``html_to_dom``)."""
    from trafilatura.settings import JUSTEXT_LANGUAGES  # ISO 639-1 -> jusText's stoplist names

    code = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    name = JUSTEXT_LANGUAGES.get(code.split("-")[0].split("_")[0].lower())
    return name if name in _stoplists() else None


def _justext(data: bytes) -> tuple[str, str | None]:
    from collections import Counter

    from justext.core import (ParagraphMaker, classify_paragraphs, html_to_dom, preprocessor,
                              revise_paragraph_classification)
    # justext.justext(data, stoplist) with the stoplist picked between its two steps, so the page
    # is parsed once; every other argument is jusText's default.
    dom = html_to_dom(data)
    lang = declared_stoplist(dom)
    paragraphs = ParagraphMaker.make_paragraphs(preprocessor(dom))
    how = f"stoplist {lang} (declared)"
    if lang is None:
        lang = stoplist_language(Counter(w.lower() for p in paragraphs for w in p.text.split()))
        how = f"stoplist {lang} (most words)"
    classify_paragraphs(paragraphs, _stoplists()[lang])
    revise_paragraph_classification(paragraphs)
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate), how


def _newspaper4k(data: bytes) -> tuple[str, str | None]:
    import newspaper
    from newspaper.parsers import get_unicode_html
    article = newspaper.Article("", fetch_images=False)
    article.download(input_html=get_unicode_html(data))
    article.parse()
    return article.text or "", None


SYSTEMS: dict[str, System] = {s.name: s for s in (
    System("newsclean", "cleaners", "newsclean", None),
    System("trafilatura", "trafilatura", "trafilatura", _trafilatura),
    System("trafilatura-nocomments", "trafilatura", "trafilatura", _trafilatura_nocomments),
    System("readability", "readability", "readability-lxml", _readability),
    System("justext", "justext", "jusText", _justext),
    System("newspaper4k", "newspaper", "newspaper4k", _newspaper4k),
)}
ALL_SYSTEMS = tuple(SYSTEMS)


def installed(name: str) -> bool:
    return importlib.util.find_spec(SYSTEMS[name].module) is not None


def split_available(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the systems that can run, the systems whose package is not installed), in the given order."""
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system(s) {unknown}: choose from {', '.join(ALL_SYSTEMS)}")
    ok = tuple(n for n in names if installed(n))
    return ok, tuple(n for n in names if n not in ok)


def run_system(name: str, data: bytes) -> dict[str, Any]:
    """One system on one page: text, seconds, and why the text is empty (None when it is not)."""
    extract = SYSTEMS[name].extract
    if extract is None:
        raise ValueError(f"{name} has no plain extractor: run it with run_newsclean")
    t0 = time.perf_counter()
    try:
        text, how = extract(data)
        err = None
    except Exception as exc:  # count as empty output, say why
        text, how, err = "", None, f"{type(exc).__name__}: {exc}"[:300]
    sec = time.perf_counter() - t0
    out: dict[str, Any] = {"text": text, "sec": sec,
                           "reject": err if err else (None if text.strip() else "empty output")}
    if how:
        out["how"] = how
    return out


WARM_UP_PAGE = (b"<html><head><title>t</title></head><body><article><p>"
                + b"Warm up sentence for the extractor. " * 20 + b"</p></article></body></html>")


def warm_up(systems: tuple[str, ...] = ("newsclean", "trafilatura")) -> None:
    """First calls load each library's lazy state (trafilatura's and htmldate's, jusText's
    stoplists, newspaper's language data): keep that out of timings."""
    import logging
    import warnings

    # newspaper4k warns at import that nltk (needed only for its .nlp()) is missing; readability
    # logs each candidate it scores: neither is a result.
    warnings.filterwarnings("ignore", message="nltk is not installed")
    logging.getLogger("readability").setLevel(logging.ERROR)
    _init()
    for s in systems:
        if s == "newsclean":
            run_newsclean(WARM_UP_PAGE, "warmup.html")
        else:
            if s == "justext":
                _stoplists()
            run_system(s, WARM_UP_PAGE)


def run_page(task: tuple[str, str, str, tuple[str, ...]]) -> tuple[str, str, dict[str, Any]]:
    """(corpus, key, path, systems) -> (corpus, key, {system: result})."""
    corpus, key, path, systems = task
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    out: dict[str, Any] = {}
    for s in systems:
        if s == "newsclean":
            out[s] = run_newsclean(data, path.rsplit("/", 1)[-1])
        else:
            out[s] = run_system(s, data)
    return corpus, key, out
