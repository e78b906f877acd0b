"""The two systems compared, run on one page inside a worker process.

* ``newsclean``: the real pipeline code path, ``cleaners.clean.pipeline.clean`` on a
  RawDoc of the page's raw bytes (kind "html", no declared charset, as the
  folder reader builds it). A Reject counts as empty output.
* ``trafilatura``: plain ``trafilatura.extract`` with default options, given
  the raw bytes (trafilatura decodes them itself).
"""

from __future__ import annotations

import gzip
import time
from typing import Any

SYSTEMS = ("newsclean", "trafilatura")

_CFG = None


def _init() -> None:
    global _CFG
    if _CFG is None:
        from cleaners.config import Config
        _CFG = Config()


def warm_up() -> None:
    """First calls load trafilatura's and htmldate's lazy state: keep that out of timings."""
    _init()
    html = (b"<html><head><title>t</title></head><body><article><p>"
            + b"Warm up sentence for the extractor. " * 20 + b"</p></article></body></html>")
    run_newsclean(html, "warmup.html")
    run_trafilatura(html)


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


def run_trafilatura(data: bytes) -> dict[str, Any]:
    import trafilatura
    t0 = time.perf_counter()
    try:
        out = trafilatura.extract(data)
        err = None
    except Exception as exc:  # count as empty output, say why
        out, err = None, f"{type(exc).__name__}: {exc}"[:300]
    sec = time.perf_counter() - t0
    return {"text": out or "", "sec": sec, "reject": err if err else (None if out else "None")}


def run_page(task: tuple[str, str, str, tuple[str, ...]]) -> tuple[str, str, dict[str, Any]]:
    """(corpus, key, path, systems) -> (corpus, key, {system: result})."""
    corpus, key, path, systems = task
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    out: dict[str, Any] = {}
    for s in systems:
        if s == "newsclean":
            out[s] = run_newsclean(data, path.rsplit("/", 1)[-1])
        elif s == "trafilatura":
            out[s] = run_trafilatura(data)
    return corpus, key, out
