"""The per-document pipeline: RawDoc -> Document | Reject, as one pure function.

decode -> extract -> repair (ftfy) -> strip clutter -> language. Each step adds
what it changed to ``fixes`` or ``removed``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime, timezone

from cleaners.clean.clutter import strip_clutter
from cleaners.config import Config
from cleaners.clean.encoding import decode, repair
from cleaners.clean.extract import Extracted, extract_html, extract_text, late_dates
from cleaners.read.base import outlet_from_url
from cleaners.records import Document, Fix, RawDoc, Reject, Removal, Source
from cleaners.clean.timestamps import parse_timestamp
from cleaners.kernels.text import TOKEN, detect_language


C1_CONTROLS = re.compile("[\u0080-\u009f]")


def doc_id_for(source: Source) -> str:
    """Stable id from where the document came from and its bytes."""
    key = f"{source.path}\0{source.record}\0{source.sha256}".encode("utf-8", "surrogateescape")
    return "d" + hashlib.sha256(key).hexdigest()[:16]


def clean(raw: RawDoc, cfg: Config) -> Document | Reject:
    """One raw document through every cleaning step."""
    try:
        return _clean(raw, cfg)
    except RecursionError:
        return Reject(raw.source, "too-deeply-nested", "HTML nesting exceeded the parser's limit")
    except Exception as exc:  # a bug or a parser failure on one page must not stop the run
        return Reject(raw.source, "processing-error", f"{type(exc).__name__}: {str(exc)[:300]}")


def _clean(raw: RawDoc, cfg: Config) -> Document | Reject:
    if raw.text is not None:
        text, fixes = raw.text, (Fix("decode", "text field of a JSON record"),)
    else:
        text, fixes = decode(raw.data, raw.declared_charset)
    fixes += raw.fixes
    removed: tuple[Removal, ...] = ()
    source = raw.source
    if raw.kind == "html":
        if C1_CONTROLS.search(text):
            # cp1252 mojibake of some characters leaves C1 controls that the
            # HTML parser drops; repair the page before extraction.
            text, page_fixes = repair(text, cfg.encoding)
            fixes += tuple(Fix(f.name, f"page: {f.detail}") for f in page_fixes)
        ex = extract_html(text, raw.source.url, cfg.extract)
        if ex is None:
            return Reject(source, "no-main-text", "no main text found (trafilatura, then its recall and "
                                                  "baseline fallbacks when the page has visible text)")
        fixes += tuple(Fix("extract", note) for note in ex.notes)
        if source.url is None and ex.url:
            source = replace(source, url=ex.url)
        if source.outlet is None:
            source = replace(source, outlet=outlet_from_url(source.url) or ex.sitename)
    else:
        ex = extract_text(text, cfg.extract)
        removed = (Removal(ex.title, "title->metadata"),) if ex.title else ()

    title = raw.title or ex.title
    if title:
        title, title_fixes = repair(title, cfg.encoding)
        fixes += tuple(Fix(f.name, f"title: {f.detail}") for f in title_fixes)
    repaired = [repair(p, cfg.encoding) for p in ex.paragraphs]
    fixes += tuple(fix for _, pfixes in repaired for fix in pfixes)
    paragraphs = tuple(filter(None, (p.strip() for p, _ in repaired)))
    published = _iso_date(raw.published) or _epoch_date(raw.published)
    if raw.published and published is None:
        fixes += (Fix("published", f"not a date: {raw.published.strip()[:80]!r} (dropped)"),)
    published = published or _iso_date(ex.published)
    doc = Document(doc_id=doc_id_for(raw.source), source=source, title=title, published=published, language=None,
                   paragraphs=paragraphs, fixes=_dedupe_fixes(fixes),
                   removed=removed, meta=tuple(sorted(dict(ex.meta).items())))
    doc = strip_clutter(doc, cfg.clutter)
    if not doc.paragraphs:
        return Reject(source, "empty-after-cleaning",
                      f"all {len(doc.removed)} paragraphs were clutter: "
                      + "; ".join(sorted({r.reason for r in doc.removed}))[:200])
    body = doc.text  # joins the paragraphs: once, not per use
    if (n_words := _word_count_below(body, cfg.extract.min_words)) is not None:
        return Reject(source, "too-short", f"{n_words} words after cleaning (minimum {cfg.extract.min_words})")
    if published is None:  # after the rejects: the late searches cost most on pages without a date
        doc = _late_date(doc, ex)
    return replace(doc, language=ex.language or detect_language(body))


def _late_date(doc: Document, ex: Extracted) -> Document:
    """The date of a document whose record and page metadata (htmldate's fast search) gave
    none: from a timestamp line of its body (the clutter rules moved it), else, on a page,
    from its <time> elements' text, else from htmldate's extensive search (``late_dates``);
    where it came from is named in a "published" fix."""
    if doc.published is not None:
        return replace(doc, fixes=doc.fixes + (Fix("published", "from a timestamp line"),))
    if ex.tree is None:
        return doc
    source, date = late_dates(ex.tree, ex.url)
    if (published := _iso_date(date)) is None:
        return doc
    return replace(doc, published=published, fixes=doc.fixes + (Fix("published", f"from {source}"),))


def _word_count_below(text: str, limit: int) -> int | None:
    """len(norm_words(text)) when it is below limit, else None (stops counting at limit)."""
    if limit <= 0:
        return None
    n = 0
    for n, _ in enumerate(TOKEN.finditer(text), 1):  # the tokens norm_words normalises
        if n >= limit:
            return None
    return n


def _iso_date(value: str | None) -> str | None:
    """An ISO 8601 value as given when its date is a real one ("2024-13-45" is not: it would
    sort before real dates and break pandas' to_datetime), else what parse_timestamp reads."""
    if not value:
        return None
    value = value.strip()
    if len(value) >= 10 and value[4] == "-" and value[7] == "-" and _real_date(value[:10]):
        return value
    return parse_timestamp(value)


_EPOCH = re.compile(r"\d{10}(?:\d{3})?(?:\.\d+)?")  # Unix seconds or milliseconds, 2001-09-09 to 2286


def _epoch_date(value: str | None) -> str | None:
    """A record's published value given as Unix time (feeds often do): ISO 8601 in UTC."""
    if not value or not _EPOCH.fullmatch(value.strip()):
        return None
    seconds = float(value)
    if seconds >= 1e12:
        seconds /= 1000
    return datetime.fromtimestamp(int(seconds), timezone.utc).isoformat()


def _real_date(ymd: str) -> bool:
    try:
        return date.fromisoformat(ymd).year >= 1000
    except ValueError:
        return False


def _dedupe_fixes(fixes: tuple[Fix, ...]) -> tuple[Fix, ...]:
    """Same fix on many paragraphs is reported once, with a count."""
    counts = Counter(fixes)  # in first-seen order
    return tuple(f if n == 1 else Fix(f.name, f"{f.detail} (x{n})") for f, n in counts.items())


def clean_all(raws: Iterable[RawDoc | Reject], cfg: Config) -> Iterator[Document | Reject]:
    for item in raws:
        yield item if isinstance(item, Reject) else clean(item, cfg)
