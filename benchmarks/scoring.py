"""Scorers for the quality benchmark, one per corpus family.

Each follows the metric stated in the corpora README (and, where there is
one, the upstream evaluation script of the corpus):

* ``aeb_*``: scrapinghub article-extraction-benchmark. Case-kept ``\\w+``
  tokens, 4-token shingle multisets, per-document TP/FP/FN normalised to sum 1;
  precision is the mean over documents whose output has a shingle, recall the
  mean over documents whose gold has one; F1 from the two means.
* ``word_prf``: WCXB word metric. Lower-cased ``\\w+`` multisets per page.
* ``snippet_rate``: WCXB snippets, lower-cased substring test (as upstream).
* ``snippet_counts``: trafilatura's own evaluation: whitespace-normalised,
  case-kept substring test; ``with`` found = TP, missing = FN, ``without``
  found = FP, summed over the corpus.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from statistics import mean

WORD = re.compile(r"\w+")

Triple = tuple[float, float, float]


# --- scrapinghub article-extraction-benchmark --------------------------------

def _shingles(text: str, n: int = 4) -> Counter:
    toks = WORD.findall(text or "")
    out: Counter = Counter()
    # A text shorter than n tokens is one (shorter) shingle; no tokens, none.
    for i in range(max(1, len(toks) - n + 1)):
        sh = tuple(toks[i:i + n])
        if sh:
            out[sh] += 1
    return out


def aeb_triple(gold: str, pred: str) -> Triple:
    """TP, FP, FN over 4-token shingle multisets, normalised to sum 1."""
    g, p = _shingles(gold), _shingles(pred)
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def _aeb_precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _aeb_recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def aeb_metrics(triples: Iterable[Triple]) -> dict[str, float]:
    triples = list(triples)
    precs = [_aeb_precision(*t) for t in triples if t[0] + t[1] > 0]
    recs = [_aeb_recall(*t) for t in triples if t[0] + t[2] > 0]
    p = mean(precs) if precs else 0.0
    r = mean(recs) if recs else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1}


# --- word F1 (WCXB, CleanPortalEval) ----------------------------------------

def word_prf(pred: str, gold: str) -> Triple:
    """Per-page word precision, recall, F1 over lower-cased ``\\w+`` multisets."""
    pt = WORD.findall((pred or "").lower())
    gt = WORD.findall((gold or "").lower())
    if not gt:
        return (1.0, 1.0, 1.0) if not pt else (0.0, 0.0, 0.0)
    if not pt:
        return (0.0, 0.0, 0.0)
    overlap = sum((Counter(pt) & Counter(gt)).values())
    p, r = overlap / len(pt), overlap / len(gt)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def mean_prf(rows: Iterable[Triple]) -> dict[str, float]:
    rows = list(rows)
    if not rows:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    return {"precision": mean(r[0] for r in rows), "recall": mean(r[1] for r in rows),
            "f1": mean(r[2] for r in rows)}


def snippet_rate(text: str, snippets: list[str]) -> float:
    """WCXB: share of snippets found (lower-cased substring), 1.0 when none."""
    if not snippets:
        return 1.0
    low = (text or "").lower()
    return sum(1 for s in snippets if s.lower() in low) / len(snippets)


# --- trafilatura's evaluation set -------------------------------------------

def ws_norm(text: str) -> str:
    return " ".join((text or "").split())


def snippet_counts(text: str, with_: list[str], without: list[str]) -> tuple[int, int, int]:
    """(TP, FN, FP) for one page: whitespace-normalised, case-kept substrings."""
    t = ws_norm(text)
    tp = sum(1 for s in with_ if ws_norm(s) in t)
    fp = sum(1 for s in without if ws_norm(s) in t)
    return tp, len(with_) - tp, fp


def prf_from_counts(tp: int, fn: int, fp: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# --- CleanPortalEval gold ----------------------------------------------------

MARK = re.compile(r"</?[phl]>", re.IGNORECASE)


def cleaneval_gold(raw: str) -> str:
    """GoldStandard text without the ``URL:`` line and the <p> <h> <l> marks.

    HTML entities (``&#039;``) are unescaped: left in, they would add a token
    ("039") that no extractor outputs.
    """
    lines = [ln for ln in raw.replace("\r\n", "\n").split("\n")
             if not ln.lstrip().startswith("URL:")]
    return html.unescape(MARK.sub("", "\n".join(lines))).strip()
