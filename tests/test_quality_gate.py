"""Quality gate on pinned real pages (trafilatura's model: floors on real data, fixtures pinned by hash).

24 news pages of the ScrapingHub article-extraction benchmark (MIT) with their
ground truth, scored with the benchmark's own metric (case-kept \\w+ tokens,
4-gram shingle multisets, per-document precision/recall averaged). The floors
sit just under the score measured when the gate was set; a regression fails CI.
The full-corpus figures are in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

from cleaners.config import Config
from cleaners.clean.pipeline import clean
from cleaners.records import Document, RawDoc, Source

HERE = Path(__file__).parent / "fixtures" / "scrapinghub_subset"
FIXTURE_SHA256 = "605798c29f1460ab8e70ce685822c8790723ec94e143e6151e3c0a43c4389d61"
# measured 2026-11-22 (trafilatura 2.3.1): P 0.9673, R 0.9875, F1 0.9773;
# after the issue-3 clutter rules (branch quality3): P 0.9744, R 0.9867, F1 0.9805
F1_FLOOR, PRECISION_FLOOR, RECALL_FLOOR = 0.978, 0.972, 0.985
EPSILON = 0.005  # run-to-run noise allowance


def _shingles(text: str, n: int = 4) -> Counter:
    toks = re.findall(r"\w+", text, re.UNICODE)
    return Counter(tuple(toks[i:i + n]) for i in range(max(1, len(toks) - n + 1))) if toks else Counter()


def _prf(pred: str, gold: str) -> tuple[float, float]:
    p, g = _shingles(pred), _shingles(gold)
    tp = sum((p & g).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    if total == 0:
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def _fixture_hash() -> str:
    h = hashlib.sha256()
    for f in sorted(HERE.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(HERE).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def score() -> tuple[float, float, float]:
    gold = json.loads((HERE / "ground-truth.json").read_text(encoding="utf-8"))
    precisions, recalls = [], []
    for doc_id, truth in sorted(gold.items()):
        data = gzip.decompress((HERE / "html" / f"{doc_id}.html.gz").read_bytes())
        out = clean(RawDoc(Source(f"{doc_id}.html", None, "", "html", truth.get("url")), data, "html"), Config())
        text = out.text if isinstance(out, Document) else ""
        p, r = _prf(text, truth["articleBody"])
        if text:
            precisions.append(p)
        recalls.append(r)
    precision = sum(precisions) / len(precisions)
    recall = sum(recalls) / len(recalls)
    return precision, recall, 2 * precision * recall / (precision + recall)


def test_fixtures_are_pinned() -> None:
    assert _fixture_hash() == FIXTURE_SHA256, "the gate's pages changed: re-measure and re-pin deliberately"


def test_extraction_quality_floors() -> None:
    precision, recall, f1 = score()
    assert f1 >= F1_FLOOR - EPSILON, f"F1 {f1:.4f} fell below the floor {F1_FLOOR}"
    assert precision >= PRECISION_FLOOR - EPSILON, f"precision {precision:.4f} (clutter leak) below {PRECISION_FLOOR}"
    assert recall >= RECALL_FLOOR - EPSILON, f"recall {recall:.4f} (lost text) below {RECALL_FLOOR}"


if __name__ == "__main__":  # print the measured figures and the fixture hash, to (re-)pin the gate
    print("precision %.4f recall %.4f F1 %.4f" % score(), _fixture_hash())
