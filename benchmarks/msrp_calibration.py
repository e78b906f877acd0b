"""Calibrate the shared-passage similarity on the MSR paraphrase corpus (human labels).

Usage (from the repo root)::

    .venv/bin/python benchmarks/msrp_calibration.py [CORPUS_ROOT] [--json PATH]

CORPUS_ROOT defaults to ../shared/corpora relative to the repo root; when its
msrp_news_paraphrase folder is absent the script says so and exits 0.

The corpus (msr_paraphrase_train.txt + msr_paraphrase_test.txt, 5,801 pairs) is
tab-separated: Quality (1 = paraphrase, 0 = not), id1, id2, string1, string2.
The two sentences of a pair come from different news outlets; the positives are
paraphrases, not copies. newsclean's shared passages are meant for near-verbatim
reuse (quotes, wire copy), so this corpus is a stress test of the thresholds:
it shows what the decision rule lets through and what it (deliberately) leaves out.

Everything is computed with the product's tokens and the readable versions of its passage
code in tests/reference/ (which the tests hold equal to the product's):

- sentences: ``tests.reference.passages.Sentence(doc, tuple(tests.reference.text.tokens(text)))``
  (the whole string is one sentence; the pipeline's sentence splitter is only
  used in the end-to-end row);
- (a) passage score: ``tests.reference.passages.align`` with ``min_words=1``,
  ``min_cjk_chars=1`` and ``min_similarity=1e-9`` (no cut-offs), ``link.similarity``,
  0 when ``align`` returns None (no common token);
- (b) exact Jaccard of word 3-gram ids: ``tests.reference.minhash.shingle_ids`` (sha1_hash32,
  as the passages' shingles) + ``jaccard``;
- (c) MinHash estimate: ``tests.reference.minhash.signature`` (passage ``num_perm``,
  ``DedupConfig`` scheme affine32 and seed) and ``LeanMinHash.jaccard``;
- decision rule: ``align(a, b, PassageConfig())`` is not None (12+ aligned
  words, similarity >= 0.8, gaps <= 4 words);
- LSH candidates: a datasketch ``MinHashLSH`` with the default passage
  ``(lsh_bands, lsh_rows)``, as in ``find_shared_passages``: all string1
  signatures are inserted and each string2 signature is queried; a pair is
  surfaced when its own string1 comes back;
- end to end: ``find_shared_passages([s1, s2], [0, 1], PassageConfig(), DedupConfig())``
  reports at least one passage (sentence splitting, 5-word sentence filter, joining, 12-word passage filter,
  LSH, align).

ROC-AUC is the Mann-Whitney rank statistic with average ranks for ties (numpy).
Precision/recall/F1 are on the positive class (paraphrase).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from datasketch import MinHashLSH  # noqa: E402

from cleaners.config import DedupConfig, PassageConfig  # noqa: E402
from cleaners.match.passages import find_shared_passages  # noqa: E402
from tests.reference.minhash import jaccard, shingle_ids, signature  # noqa: E402
from tests.reference.passages import Sentence, align  # noqa: E402
from tests.reference.text import tokens  # noqa: E402

CORPUS = "msrp_news_paraphrase"
FILES = ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt")
SWEEP = [round(0.30 + 0.05 * i, 2) for i in range(14)]  # 0.30 .. 0.95
MIN_WORDS_ALT = (15, 20)  # the decision rule with a longer minimum passage


def load_pairs(folder: Path) -> list[tuple[int, str, str]]:
    """(label, string1, string2) for every pair of the train and test files."""
    pairs = []
    for name in FILES:
        with open(folder / name, encoding="utf-8-sig") as fh:
            header = fh.readline()
            if not header.startswith("Quality"):
                raise ValueError(f"{name}: unexpected header {header[:40]!r}")
            for n, line in enumerate(fh, start=2):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                f = line.split("\t")
                if len(f) != 5 or f[0] not in ("0", "1"):
                    raise ValueError(f"{name}:{n}: expected 5 tab-separated fields with Quality 0/1")
                pairs.append((int(f[0]), f[3], f[4]))
    return pairs


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mann-Whitney U / (n_pos * n_neg); tied scores get their average rank."""
    scores = np.asarray(scores, dtype=float)
    pos = np.asarray(labels) == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)  # 1-based rank of the last member of each tie group
    avg_rank = upper - (counts - 1) / 2.0
    ranks = avg_rank[inverse]
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def prf(pred: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    pred = np.asarray(pred, dtype=bool)
    pos = np.asarray(labels) == 1
    tp = int((pred & pos).sum())
    fp = int((pred & ~pos).sum())
    fn = int((~pred & pos).sum())
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * p * r / (p + r) if tp else 0.0
    return {"flagged": tp + fp, "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def score_pairs(pairs: list[tuple[int, str, str]]) -> dict[str, np.ndarray]:
    # one sentence pair has no neighbours to be joined with: its link alone must reach min_words
    pcfg = replace(PassageConfig(), min_sentence_words=PassageConfig().min_words,
                   min_link_similarity=PassageConfig().min_similarity)
    dcfg = DedupConfig()
    open_cfg = replace(pcfg, min_words=1, min_sentence_words=1, min_cjk_chars=1, min_similarity=1e-9)
    n = len(pairs)
    out = {k: np.zeros(n) for k in ("label", "sim", "words", "jac", "mh")}
    out["len_max"] = np.zeros(n)
    out.update({k: np.zeros(n, dtype=bool) for k in ("accept", "lsh", "e2e", "long_enough")})
    out.update({f"accept_w{mw}": np.zeros(n, dtype=bool) for mw in MIN_WORDS_ALT})
    lsh = MinHashLSH(num_perm=pcfg.num_perm, params=(pcfg.lsh_bands, pcfg.lsh_rows))
    sigs_b = []
    for i, (label, s1, s2) in enumerate(pairs):
        a, b = Sentence(0, tuple(tokens(s1))), Sentence(1, tuple(tokens(s2)))
        out["label"][i] = label
        link = align(a, b, open_cfg)
        out["sim"][i] = link.similarity if link else 0.0
        out["words"][i] = link.words if link else 0
        out["accept"][i] = align(a, b, pcfg) is not None
        for mw in MIN_WORDS_ALT:
            out[f"accept_w{mw}"][i] = align(a, b, replace(pcfg, min_words=mw, min_sentence_words=mw)) is not None
        out["len_max"][i] = max(len(a.toks), len(b.toks))
        out["long_enough"][i] = min(len(a.toks), len(b.toks)) >= pcfg.min_words
        ids_a = shingle_ids([t.norm for t in a.toks], pcfg.shingle_words)
        ids_b = shingle_ids([t.norm for t in b.toks], pcfg.shingle_words)
        out["jac"][i] = jaccard(ids_a, ids_b)
        sig_a = signature(ids_a, pcfg.num_perm, dcfg.scheme, dcfg.seed)
        sig_b = signature(ids_b, pcfg.num_perm, dcfg.scheme, dcfg.seed)
        out["mh"][i] = sig_a.jaccard(sig_b)
        lsh.insert(i, sig_a, check_duplication=False)
        sigs_b.append(sig_b)
        out["e2e"][i] = bool(find_shared_passages([s1, s2], [0, 1], PassageConfig(), dcfg))
    for i, sig_b in enumerate(sigs_b):
        out["lsh"][i] = i in lsh.query(sig_b)
    return out


def fmt_table(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(x, widths)) + " |" for x in body]
    return "\n".join(lines)


def build_rows(s: dict[str, np.ndarray]) -> tuple[list[list[str]], dict]:
    y = s["label"].astype(int)
    pos = y == 1

    def f(v: float) -> str:
        return "-" if v is None or v != v else f"{v:.3f}"

    rows: list[list[str]] = []
    summary: dict = {"auc": {}, "rules": {}, "sweep": []}

    def add(name: str, pred: np.ndarray | None, auc: float | None = None, note: str = "") -> None:
        m = prf(pred, y) if pred is not None else None
        rows.append([name,
                     str(m["flagged"]) if m else "-", str(m["tp"]) if m else "-",
                     f(m["precision"]) if m else "-", f(m["recall"]) if m else "-",
                     f(m["f1"]) if m else "-", f(auc) if auc is not None else "-", note])
        if m:
            summary["rules"][name] = m

    for key, name in (("sim", "(a) passage score (align, no cut-offs)"),
                      ("jac", "(b) word 3-gram Jaccard"),
                      ("mh", "(c) MinHash Jaccard estimate (64 perm)")):
        auc = roc_auc(s[key], y)
        summary["auc"][key] = auc
        med = (float(np.median(s[key][pos])), float(np.median(s[key][~pos])))
        add(name, None, auc, f"median pos {med[0]:.3f} / neg {med[1]:.3f}")
    add("  diagnostic: aligned words (link.words)", None, roc_auc(s["words"], y),
        "length of the run that (a) is measured on")
    add("  diagnostic: link.words / longer sentence", None,
        roc_auc(s["words"] / np.maximum(s["len_max"], 1), y), "not a product score")
    add("base rate: flag every pair", np.ones(len(y), dtype=bool), None, "")
    add("decision rule: align(PassageConfig())", s["accept"], None, "12+ words, sim >= 0.8, gap <= 4")
    for mw in MIN_WORDS_ALT:
        add(f"  same rule with min_words={mw}", s[f"accept_w{mw}"], None, "")
    add("LSH candidate (32 bands x 2 rows)", s["lsh"], None,
        f"surfaces {int((s['lsh'] & pos).sum())}/{int(pos.sum())} positives")
    add("LSH candidate and decision rule", s["lsh"] & s["accept"], None, "")
    add("end to end: find_shared_passages", s["e2e"], None, "sentences of 5+ words + LSH + align + joining, 12+ words")
    for t in SWEEP:
        pred = s["sim"] >= t
        m12 = prf(pred & (s["words"] >= PassageConfig().min_words), y)
        add(f"sweep (a) >= {t:.2f}", pred, None,
            f"with 12+ words: P {f(m12['precision'])} R {f(m12['recall'])} F1 {f(m12['f1'])}")
        summary["sweep"].append({"t": t, **prf(pred, y), "with_12_words": m12})
    summary["n"] = int(len(y))
    summary["positives"] = int(pos.sum())
    summary["lsh_positives"] = int((s["lsh"] & pos).sum())
    summary["both_12_tokens"] = int(s["long_enough"].sum())
    summary["both_12_tokens_pos"] = int((s["long_enough"] & pos).sum())
    return rows, summary


def code_fingerprint() -> str:
    from benchmarks.versions import code_fingerprint as fingerprint

    return fingerprint()


def versions() -> str:
    from benchmarks.versions import versions_line

    return versions_line(("newsclean", "datasketch", "numpy"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"),
                    help="corpus root (default: ../shared/corpora relative to the repo root)")
    ap.add_argument("--json", default=None, metavar="PATH",
                    help="also write the summary and per-pair scores as JSON to PATH")
    args = ap.parse_args(argv)
    folder = Path(args.root) / CORPUS
    if not all((folder / name).is_file() for name in FILES):
        print(f"{CORPUS}: skipped (absent: {folder})")
        return 0

    t0 = time.perf_counter()
    pairs = load_pairs(folder)
    cfg = PassageConfig()
    print(f"newsclean MSRP passage calibration — {versions()}")
    print(f"cleaners/*.py sha256 {code_fingerprint()}; corpus {folder}")
    print(f"PassageConfig: shingle_words {cfg.shingle_words}, num_perm {cfg.num_perm}, "
          f"LSH {cfg.lsh_bands}x{cfg.lsh_rows}, min_words {cfg.min_words}, "
          f"min_similarity {cfg.min_similarity}, max_gap_words {cfg.max_gap_words}; "
          f"MinHash scheme {DedupConfig().scheme}, seed {DedupConfig().seed}")
    scores = score_pairs(pairs)
    rows, summary = build_rows(scores)
    print(f"pairs {summary['n']}: {summary['positives']} paraphrases, "
          f"{summary['n'] - summary['positives']} not; both sentences >= {cfg.min_words} tokens: "
          f"{summary['both_12_tokens']} ({summary['both_12_tokens_pos']} positives)")
    print()
    print(fmt_table(["rule / score", "flagged", "TP", "P", "R", "F1", "ROC-AUC", "notes"], rows))
    best = max(summary["sweep"], key=lambda r: r["f1"])
    sim1 = scores["sim"] == 1.0
    print(f"\nF1-best sweep threshold for (a): {best['t']:.2f} (P {best['precision']:.3f}, "
          f"R {best['recall']:.3f}, F1 {best['f1']:.3f}; flagging every pair gives F1 "
          f"{summary['rules']['base rate: flag every pair']['f1']:.3f}). "
          f"(a) = 1.0 on {int(sim1.sum())} pairs (median run {np.median(scores['words'][sim1]):.0f} words). "
          "P/R/F1 on the positive class (paraphrase); flagged = pairs the rule accepts.")
    print(f"wall time {time.perf_counter() - t0:.1f}s")
    if args.json:
        per_pair = [{k: (bool(v[i]) if v.dtype == bool else float(v[i])) for k, v in scores.items()}
                    for i in range(len(pairs))]
        Path(args.json).write_text(json.dumps({"summary": summary, "pairs": per_pair}, indent=1),
                                   encoding="utf-8")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
