"""Broken variants of real pages: what reaches newsclean when a crawler, a proxy or a decoder
has damaged a page, and how much of the text it still finds.

Usage (from the repo root)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/broken_pages.py [CORPUS_ROOT] [--half report|tune]
        [--repairs on|off] [--variant NAME ...] [--limit N] [--jobs 1] [--save FILE]
    PYTHONPATH=$PWD .venv/bin/python benchmarks/broken_pages.py --compare BEFORE.json AFTER.json

Pages: scrapinghub_aeb and wcxb_test (gold: the article body, the main content). Each page
belongs to one half, fixed by its id: the first byte of sha256("corpus/key") even is the
tuning half, odd the reporting half. Tune on ``--half tune``, report ``--half report``.

Each page is run as it is ("original") and as each variant of ``VARIANTS`` (a variant that
does not apply to a page, such as mojibake of a page that is not UTF-8, is skipped for it),
through ``cleaners.clean.pipeline.clean`` as the folder reader builds a RawDoc. A reject
counts as empty output. Per variant: pages, rejects by reason, mean word F1 against the gold
(benchmarks/scoring.word_prf), outputs still holding a lossy-mojibake remnant ("â€" not
followed by a continuation character, or "ï¸"), and how often each extraction repair,
fallback and lossy-mojibake fix fired. Variants named "empty-*" have no body text: there a
reject is the right answer.

``--repairs off`` runs the same code with the page-start repair, the extraction fallbacks
and the lossy-mojibake step switched off (the functions replaced by what the code did
before them), so before and after differ only by those steps. ``--save`` writes the
summary and per-page results as JSON; ``--compare`` prints two saved runs side by side.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import multiprocessing as mp
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.corpora import load_pages  # noqa: E402
from benchmarks.scoring import word_prf  # noqa: E402

CORPORA = ("scrapinghub_aeb", "wcxb_test")
UNDEFINED_IN_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
# A remnant of a UTF-8 sequence that lost its cp1252-undefined byte, as the pipeline leaves it
# when unrepaired: "â€" (E2 80) or "ï¸" (EF B8) not followed by a byte that completes it.
_CONT = re.escape(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore"))
REMNANT = re.compile(f"(?:\u00e2\u20ac|\u00ef\u00b8)(?![{_CONT}])")

DOCTYPE = re.compile(rb"<!doctype[^>]*>", re.IGNORECASE)
BODY = re.compile(rb"(<body\b[^>]*>).*(</body\s*>)", re.IGNORECASE | re.DOTALL)
PHP_WARNINGS = (b"<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by "
                b"(output started at /var/www/html/wp-config.php:1) in <b>/var/www/html/wp-includes/"
                b"pluggable.php</b> on line <b>1171</b><br />\n")
ARCHIVE_VIEWER = (b'<html><head><title>Archived page</title></head><body>'
                  b'<div id="toolbar">Archived copy captured 17 Oct 2024 09:30 UTC. Back to the archive</div>\n')


def half_of(corpus: str, key: str) -> str:
    """'tune' or 'report', fixed by the page's id."""
    return "tune" if hashlib.sha256(f"{corpus}/{key}".encode()).digest()[0] % 2 == 0 else "report"


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def lossy(text: str) -> str:
    """UTF-8 text read as cp1252 by a decoder that drops the bytes cp1252 leaves undefined."""
    return text.encode("utf-8").decode("cp1252", errors="ignore")


def truncate_doctype(data: bytes, cut: bytes) -> bytes:
    """The page's doctype replaced by ``cut`` (no ">"), or ``cut`` put in front when it has none."""
    m = DOCTYPE.search(data, 0, 4096)
    return data[:m.start()] + cut + data[m.end():] if m else cut + data


def _lossy_page(data: bytes) -> bytes | None:
    text = _utf8(data)
    return lossy(text).encode("utf-8") if text is not None else None


def _dropped_bytes(data: bytes) -> bytes | None:
    """The page's bytes without the cp1252-undefined ones (a byte filter, not a decoder): UTF-8
    with sequences a byte short, which the decoder reads as stray cp1252 bytes or detects."""
    if _utf8(data) is None or not UNDEFINED_IN_CP1252 & set(data):
        return None
    return bytes(b for b in data if b not in UNDEFINED_IN_CP1252)


def _empty_body(data: bytes) -> bytes | None:
    return BODY.sub(rb"\1\2", data, count=1) if BODY.search(data) else None


WRAPPER = b'<div class="archived-page" data-captured="2024-10-17T09:30:00Z">'
# name -> page bytes -> broken page bytes (None: does not apply to this page)
VARIANTS: dict[str, Callable[[bytes], bytes | None]] = {
    "original": lambda d: d,
    "div-wrapper": lambda d: WRAPPER + d + b"</div>",
    "pre-wrapper": lambda d: b"<pre>\n" + d + b"\n</pre>",
    "http-headers": lambda d: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Cache: MISS\r\n\r\n" + d,
    "bom-garbage-line": lambda d: b"\xef\xbb\xbf\x1f\x8b\x08 garbage 2f3a\r\n" + d,
    "php-warnings": lambda d: PHP_WARNINGS + d,
    "unclosed-comment": lambda d: b"<!-- saved from url=(0042)https://example.com/ " + d,
    # a prefix longer than the repair's scan limit (65,536 characters)
    "long-prefix": lambda d: b"<pre>" + b"[debug] cache miss for key 0123456789abcdef\n" * 1700 + b"</pre>\n" + d,
    # the page inside an archive viewer's page: the prefix holds <head> and <body>
    "archive-viewer": lambda d: ARCHIVE_VIEWER + d + b"</body></html>",
    "truncated-doctype": lambda d: truncate_doctype(d, b"<!DOCTYPE htm"),
    "doctype-cut-short": lambda d: truncate_doctype(d, b"<!DOCTYP"),
    "wrapper+truncated-doctype": lambda d: WRAPPER + truncate_doctype(d, b"<!DOCTYPE htm") + b"</div>",
    "lossy-mojibake": _lossy_page,
    "lossy-mojibake+wrapper": lambda d: (WRAPPER + p + b"</div>") if (p := _lossy_page(d)) else None,
    "dropped-bytes": _dropped_bytes,
    "empty-body": _empty_body,
    "empty-body+wrapper": lambda d: (WRAPPER + p + b"</div>") if (p := _empty_body(d)) else None,
}

_STATE: dict[str, Any] = {}


def _init(repairs: bool) -> None:
    from cleaners.config import Config
    _STATE["cfg"] = Config()
    if not repairs:
        switch_off_repairs()


def switch_off_repairs() -> None:
    """The code as it was before the page-start repair, the extraction fallbacks and the
    lossy-mojibake step: each replaced by what stood in its place."""
    import cleaners.clean.encoding as encoding
    import cleaners.clean.extract as extract
    extract.repair_page_start = lambda html: (html, ())
    extract.fallback_paragraphs = lambda tree, url, cfg, found=(): (found, ())
    encoding._repair_lossy = encoding._ftfy_repair


def _run(data: bytes, gold: str) -> dict[str, Any]:
    from cleaners.clean.pipeline import clean
    from cleaners.records import Document, RawDoc, Source
    raw = RawDoc(Source(path="page.html", record=None, sha256="", format="html"), data, "html")
    res = clean(raw, _STATE["cfg"])
    if isinstance(res, Document):
        text = res.text
        fixes = sorted({f.detail.split(": ")[0] if f.name == "extract" else f.name
                        for f in res.fixes if f.name == "extract" or f.name.startswith("lossy-mojibake:")})
        return {"reject": None, "f1": word_prf(text, gold)[2], "remnant": bool(REMNANT.search(text)),
                "fixes": fixes, "words": len(text.split()), "text": text}
    return {"reject": res.reason, "f1": word_prf("", gold)[2], "remnant": False, "fixes": [], "words": 0,
            "text": ""}


def run_page(task: tuple[str, str, str, str, tuple[str, ...]]) -> tuple[str, str, dict[str, Any]]:
    corpus, key, path, gold, variants = task
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    out: dict[str, Any] = {}
    for name in variants:
        broken = VARIANTS[name](data)
        if broken is None:
            continue
        text = _utf8(broken)
        out[name] = _run(broken, gold)
        out[name]["input_remnant"] = bool(text is not None and REMNANT.search(text)) or (
            name == "dropped-bytes")
    return corpus, key, out


def summarise(results: dict[str, dict[str, dict]], variants: tuple[str, ...]) -> dict[str, dict]:
    summary: dict[str, dict] = {}
    for name in variants:
        rows = [r[name] for r in results.values() if name in r]
        if not rows:
            continue
        with_remnant = [r for r in rows if r["input_remnant"]]
        summary[name] = {
            "pages": len(rows),
            "rejects": dict(Counter(r["reject"] for r in rows if r["reject"])),
            "f1": sum(r["f1"] for r in rows) / len(rows),
            "inputs_with_remnant": len(with_remnant),
            "outputs_with_remnant": sum(r["remnant"] for r in rows),
            "fixes": dict(Counter(f for r in rows for f in r["fixes"])),
        }
    return summary


def fmt(summary: dict[str, dict], before: dict[str, dict] | None = None) -> str:
    head = "| variant | pages | no-main-text | other rejects | word F1 | outputs holding a remnant | fixes fired |"
    lines = [head, "|" + "---|" * 7]
    for name, s in summary.items():
        b = (before or {}).get(name)

        def pair(key: Callable[[dict], Any], spec: str = "") -> str:
            now = format(key(s), spec)
            return f"{format(key(b), spec)} -> {now}" if b else now
        nmt = pair(lambda x: x["rejects"].get("no-main-text", 0))
        other = pair(lambda x: sum(v for k, v in x["rejects"].items() if k != "no-main-text"))
        f1 = pair(lambda x: x["f1"], ".3f")
        rem = pair(lambda x: x["outputs_with_remnant"])
        rem += f" (of {s['inputs_with_remnant']} inputs)" if s["inputs_with_remnant"] else ""
        fixes = ", ".join(f"{k} {v}" for k, v in sorted(s["fixes"].items(), key=lambda kv: -kv[1]))
        lines.append(f"| {name} | {s['pages']} | {nmt} | {other} | {f1} | {rem} | {fixes or '-'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"))
    ap.add_argument("--half", choices=("report", "tune", "both"), default="report")
    ap.add_argument("--repairs", choices=("on", "off"), default="on")
    ap.add_argument("--variant", action="append", choices=tuple(VARIANTS), metavar="NAME",
                    help=f"only these variants (repeatable): {', '.join(VARIANTS)}")
    ap.add_argument("--limit", type=int, default=None, help="first N pages per corpus (before the split)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--save", help="write summary and per-page results to this JSON file")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="print two saved runs side by side")
    args = ap.parse_args(argv)
    if args.compare:
        before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        print(fmt(after["summary"], before["summary"]))
        changed = [(v, k, b["f1"], after["pages"][k][v]["f1"])
                   for k, page in before["pages"].items() for v, b in page.items()
                   if k in after["pages"] and v in after["pages"][k]
                   and abs(after["pages"][k][v]["f1"] - b["f1"]) > 1e-9]
        print(f"\npage variants whose F1 changed: {len(changed)} "
              f"(better {sum(a > b for *_, b, a in changed)}, worse {sum(a < b for *_, b, a in changed)})")
        for v, k, b, a in sorted(changed, key=lambda c: c[3] - c[2])[:15]:
            print(f"  {v:28s} {k[:40]:40s} {b:.3f} -> {a:.3f}")
        return 0
    root = Path(args.root)
    variants = tuple(args.variant or VARIANTS)
    tasks = []
    for corpus in CORPORA:
        for p in load_pages(corpus, root, args.limit):
            if args.half in ("both", half_of(corpus, p.key)) and Path(p.path).exists():
                gold = p.gold if isinstance(p.gold, str) else p.gold["main"]
                tasks.append((corpus, p.key, p.path, gold, variants))
    print(f"{len(tasks)} pages ({args.half} half), {len(variants)} variants, repairs {args.repairs}",
          file=sys.stderr)
    t0 = time.perf_counter()
    results: dict[str, dict[str, dict]] = {}
    if args.jobs <= 1:
        _init(args.repairs == "on")
        for i, t in enumerate(tasks, 1):
            c, k, out = run_page(t)
            results[f"{c}/{k}"] = out
            if i % 50 == 0:
                print(f"  {i}/{len(tasks)} {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    else:
        with mp.get_context("fork").Pool(args.jobs, initializer=_init, initargs=(args.repairs == "on",)) as pool:
            for c, k, out in pool.imap_unordered(run_page, tasks, chunksize=4):
                results[f"{c}/{k}"] = out
    summary = summarise(results, variants)
    print(fmt(summary))
    print(f"\n{time.perf_counter() - t0:.0f}s", file=sys.stderr)
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        pages = {k: {v: {x: r[x] for x in ("reject", "f1", "remnant", "fixes", "words")} | {"text": r["text"]}
                     for v, r in page.items()} for k, page in results.items()}
        Path(args.save).write_text(json.dumps({"args": vars(args), "summary": summary, "pages": pages},
                                              ensure_ascii=False, indent=0), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
