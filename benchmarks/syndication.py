"""Duplicate and syndication quality: newsclean against the libraries used out of the box.

Generates a syndication corpus from real article bodies (see synd_gen.py), runs
the product path in-process (discover -> iter_processed -> group_documents) and a
baseline (trafilatura.extract + ftfy.fix_text + datasketch MinHash/MinHashLSH on
word 5-grams, clusters = union of LSH candidates), and prints one table:

  ARI, pairwise precision/recall/F1 (same-cluster pairs), body word F1,
  clutter leak, mojibake left, Japanese body F1 (characters), shared-passage
  recall and false shared passages, timings; plus the seeds check. Planted quotes
  come in four kinds (paragraph, short-sentences, paragraph-break, elision-edit);
  per kind: quote recall (>= 80 % of the quoting copy's words covered by passages
  naming both stories) and fragments per found quote; and false passages (an
  occurrence whose text, whitespace-normalised, is not in the item's true body).

Usage:
  .venv/bin/python benchmarks/syndication.py --seed 1 --stories 150 --out benchmarks/out/syndication
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repo, for benchmarks.versions
import synd_gen  # noqa: E402

WORD = re.compile(r"\w+")
# Typical mojibake: UTF-8 read as cp1252/latin-1 (Ã©, â€™, Â ), Japanese UTF-8 read
# as cp1252 (ã‚), Shift_JIS read as cp1252 (‚±), EUC-JP read as latin-1 (¤³),
# UTF-8 read as cp932 (縺, 繧, 繝), and U+FFFD from lossy decoding.
_HI = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
MOJIBAKE = re.compile(rf"Ã[{_HI}]|â€|Â[\u00a0-\u00bf]|ã[{_HI}]|‚[\u00a0-\u00ff]|¤[\u00a1-\u00fe]|[縺繧繝]|\ufffd")
SEEDS = Path("/work/shared/seeds")
SEED_QUOTE = "important to deepen cooperation with like-minded countries"


# --------------------------------------------------------------------------- systems


@dataclass
class SystemRun:
    name: str
    out: dict[str, dict[str, Any]]  # item key -> {"text", "label"}
    passages: list[list[tuple[str, str]]]  # each: [(item key, occurrence text), ...]
    seconds: dict[str, float]
    rejects: int = 0
    notes: list[str] = field(default_factory=list)


def _key(path: str, record: int | None) -> str:
    return path if record is None else f"{path}#{record}"


def product_clean(corpus: Path, cfg: Any = None) -> tuple[list[Any], list[Any], float]:
    """discover -> iter_processed: (documents, rejects, seconds)."""
    from cleaners.clean.batch import iter_processed
    from cleaners.config import Config
    from cleaners.read.readers import discover
    from cleaners.records import Document

    cfg = (cfg or Config()).validate()
    t0 = time.perf_counter()
    results = list(iter_processed(corpus, list(discover(corpus, cfg.read)), cfg))
    docs = [r for r in results if isinstance(r, Document)]
    return docs, [r for r in results if not isinstance(r, Document)], time.perf_counter() - t0


def product_group(docs: list[Any], rejects: list[Any], cfg: Any = None, t_clean: float = 0.0) -> SystemRun:
    """group_documents and the run's outputs keyed by item."""
    from cleaners.match.articles import group_documents
    from cleaners.config import Config

    cfg = (cfg or Config()).validate()
    t1 = time.perf_counter()
    grouping = group_documents(docs, cfg)
    t2 = time.perf_counter()
    out: dict[str, dict[str, Any]] = {}
    id2key: dict[str, str] = {}
    for rec in grouping.documents:
        k = _key(rec["source"]["path"], rec["source"]["record"])
        id2key[rec["doc_id"]] = k
        out[k] = {"text": rec["text"], "label": rec["article_id"]}
    seen: set[tuple] = set()
    passages = []
    for art in grouping.articles:
        for p in art["shared_passages"]:
            sig = tuple((o["doc_id"], o["start"], o["end"]) for o in p["occurrences"])
            if sig in seen:
                continue
            seen.add(sig)
            passages.append([(id2key[o["doc_id"]], o["text"]) for o in p["occurrences"]])
    run = SystemRun("newsclean", out, passages, {"extract": t_clean, "match": t2 - t1}, len(rejects))
    for r in rejects:
        run.notes.append(f"reject {_key(r.source.path, r.source.record)}: {r.reason} {r.detail[:80]}")
    return run


def run_product(corpus: Path, cfg: Any = None) -> SystemRun:
    """The product path, in-process: discover -> iter_processed -> group_documents."""
    docs, rejects, t_clean = product_clean(corpus, cfg)
    return product_group(docs, rejects, cfg, t_clean)


def _baseline_docs(corpus: Path) -> list[tuple[str, str | None]]:
    """(item key, text) with trafilatura.extract for HTML, .txt read as text, ftfy.fix_text."""
    import ftfy
    import trafilatura

    docs: list[tuple[str, str | None]] = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel = path.relative_to(corpus).as_posix()
        data = path.read_bytes()
        name = rel
        if name.endswith(".gz"):
            data = gzip.decompress(data)
            name = name[:-3]
        ext = os.path.splitext(name)[1]
        if ext in (".html", ".htm"):
            docs.append((rel, trafilatura.extract(data)))
        elif ext == ".txt":
            docs.append((rel, data.decode("utf-8", "replace")))
        elif ext == ".jsonl":
            rec = 0
            for line in data.splitlines():
                if not line.strip():
                    continue
                obj = json.loads(line)
                html_ = obj.get("content_html") or obj.get("html")
                text = trafilatura.extract(html_) if html_ else (obj.get("text") or obj.get("content"))
                docs.append((f"{rel}#{rec}", text))
                rec += 1
    return [(k, ftfy.fix_text(t) if t else t) for k, t in docs]


def run_baseline(corpus: Path, threshold: float = 0.8, num_perm: int = 128) -> SystemRun:
    """The design card's libraries out of the box; no passages."""
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    docs = _baseline_docs(corpus)
    t1 = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs: dict[str, Any] = {}
    for k, text in docs:
        if not text:
            continue
        words = text.lower().split()
        grams = [" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))]
        m = MinHash(num_perm=num_perm, scheme="affine32")
        for g in grams:
            m.update(g.encode("utf-8"))
        sigs[k] = m
        lsh.insert(k, m)
    parent = {k: k for k, _ in docs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k, m in sigs.items():
        for other in lsh.query(m):
            ra, rb = find(k), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    t2 = time.perf_counter()
    out = {k: {"text": t or "", "label": find(k)} for k, t in docs}
    run = SystemRun("baseline", out, [], {"extract": t1 - t0, "match": t2 - t1},
                    sum(1 for _, t in docs if not t))
    return run


# --------------------------------------------------------------------------- metrics


def _comb2(x: np.ndarray) -> float:
    return float((x * (x - 1) / 2).sum())


def contingency(true: list[str], pred: list[str]) -> np.ndarray:
    tu = {t: i for i, t in enumerate(sorted(set(true)))}
    pu = {p: i for i, p in enumerate(sorted(set(pred)))}
    m = np.zeros((len(tu), len(pu)), dtype=np.int64)
    for t, p in zip(true, pred):
        m[tu[t], pu[p]] += 1
    return m


def adjusted_rand_index(true: list[str], pred: list[str]) -> float:
    """Hubert & Arabie's ARI from the contingency table."""
    m = contingency(true, pred)
    n = m.sum()
    index = _comb2(m)
    a = _comb2(m.sum(axis=1))
    b = _comb2(m.sum(axis=0))
    total = n * (n - 1) / 2
    expected = a * b / total if total else 0.0
    max_index = (a + b) / 2
    if max_index == expected:
        return 1.0
    return (index - expected) / (max_index - expected)


def pairwise_prf(true: list[str], pred: list[str]) -> tuple[float, float, float]:
    m = contingency(true, pred)
    tp = _comb2(m)
    pred_pairs = _comb2(m.sum(axis=0))
    true_pairs = _comb2(m.sum(axis=1))
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _f1(a: Counter, b: Counter) -> float:
    if not a and not b:
        return 1.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    p, r = common / sum(a.values()), common / sum(b.values())
    return 2 * p * r / (p + r)


def _norm_words(s: str) -> str:
    return " " + " ".join(WORD.findall(s.lower())) + " "


def _norm_chars(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _chars(s: str) -> Counter:
    return Counter(ch for ch in s if ch.isalnum())


def _toks(s: str, lang: str) -> list[str]:
    return [ch for ch in s if ch.isalnum()] if lang == "ja" else WORD.findall(s.lower())


def _overlap(occ: str, planted: str, lang: str) -> float:
    """Share of the occurrence's tokens that belong to the planted passage."""
    ot = _toks(occ, lang)
    if len(ot) < (12 if lang == "ja" else 8):
        return 0.0
    pt = set(_toks(planted, lang))
    return sum(1 for t in ot if t in pt) / len(ot)


QUOTE_KINDS = ("paragraph", "short-sentences", "paragraph-break", "elision-edit")
COVERED = 0.8  # share of a quote's words the passages naming both documents must cover


def _covered(quote: list[str], occ: list[str], k: int) -> list[bool]:
    """Quote tokens inside a k-token run the occurrence shares with the quote."""
    mask = [False] * len(quote)
    if len(quote) < k or len(occ) < k:
        return mask
    grams = {tuple(occ[i:i + k]) for i in range(len(occ) - k + 1)}
    for i in range(len(quote) - k + 1):
        if tuple(quote[i:i + k]) in grams:
            for j in range(i, i + k):
                mask[j] = True
    return mask


def _ws(s: str, lang: str) -> str:
    return re.sub(r"\s+", "", s) if lang == "ja" else re.sub(r"\s+", " ", s).strip()


def quote_scores(truth: dict[str, Any], run: SystemRun) -> dict[str, Any]:
    """Per kind: recall (>= 80 % of the quoting copy's words covered by passages naming
    both stories), fragments per found quote, coverage; and passages whose text is not
    in the source bodies of the documents they name."""
    items = truth["items"]
    cluster = {it["key"]: it["cluster"] for it in items}
    lang_of = {it["key"]: it["lang"] for it in items}
    per: dict[str, dict[str, Any]] = {}
    for P in truth["passages"]:
        kind = P.get("kind", "paragraph")
        lang = P["lang"]
        k = 5 if lang == "ja" else 3
        qt = _toks(P.get("quoting_text", P["text"]), lang)
        mask = [False] * len(qt)
        frags = 0
        for R in run.passages:
            cl = {cluster.get(key) for key, _ in R}
            if P["source_story"] not in cl or P["quoting_story"] not in cl:
                continue
            hit = False
            for key, t in R:
                if cluster.get(key) != P["quoting_story"]:
                    continue
                m = _covered(qt, _toks(t, lang), k)
                if any(m):
                    hit = True
                    mask = [a or b for a, b in zip(mask, m)]
            frags += hit
        cov = sum(mask) / len(qt) if qt else 0.0
        d = per.setdefault(kind, {"planted": 0, "found": 0, "fragments": 0, "coverage": []})
        d["planted"] += 1
        d["coverage"].append(round(cov, 3))
        if cov >= COVERED:
            d["found"] += 1
            d["fragments"] += frags
    allk = {"planted": sum(d["planted"] for d in per.values()), "found": sum(d["found"] for d in per.values()),
            "fragments": sum(d["fragments"] for d in per.values()),
            "coverage": [c for d in per.values() for c in d["coverage"]]}
    out: dict[str, Any] = {}
    for kind, d in list(per.items()) + [("all", allk)]:
        out[kind] = {**d, "recall": d["found"] / d["planted"] if d["planted"] else float("nan"),
                     "fragments_per_quote": d["fragments"] / d["found"] if d["found"] else float("nan")}
    bodies = {it["key"]: _ws(it["body"], it["lang"]) for it in items}
    false_text, examples = 0, []
    for R in run.passages:
        bad = []
        for key, t in R:
            lang = lang_of.get(key, "en")
            body = bodies.get(key)
            if body is None:
                body = _ws(run.out.get(key, {}).get("text", "") or "", lang)
            if _ws(t, lang) not in body:
                bad.append((key, t[:120]))
        if bad:
            false_text += 1
            examples.append(bad)
    return {"quotes": out, "false_text_passages": false_text, "false_text_examples": examples[:10]}


def score(truth: dict[str, Any], run: SystemRun) -> dict[str, Any]:
    items = truth["items"]
    cluster = {it["key"]: it["cluster"] for it in items}
    true = [it["cluster"] for it in items]
    pred = [run.out[it["key"]]["label"] if it["key"] in run.out else f"missing:{it['key']}" for it in items]
    p, r, f = pairwise_prf(true, pred)
    res: dict[str, Any] = {"ari": adjusted_rand_index(true, pred), "pair_p": p, "pair_r": r, "pair_f1": f,
                           "items": len(items), "outputs": sum(1 for it in items if it["key"] in run.out),
                           "true_clusters": len(set(true)), "pred_clusters": len(set(pred))}
    body, ja, leak_by_kind = [], [], Counter()
    eligible_by_kind = Counter()
    moji_left, moji_items = 0, []
    for it in items:
        text = run.out.get(it["key"], {}).get("text", "") or ""
        if it["lang"] == "ja":
            ja.append(_f1(_chars(text), _chars(it["body"])))
            norm_out, norm_body, norm = _norm_chars(text), _norm_chars(it["body"]), _norm_chars
        else:
            body.append(_f1(Counter(WORD.findall(text.lower())), Counter(WORD.findall(it["body"].lower()))))
            norm_out, norm_body, norm = _norm_words(text), _norm_words(it["body"]), _norm_words
        for c in it["clutter"]:
            n = norm(c["text"])
            if not n.strip() or n in norm_body:
                continue
            eligible_by_kind[c["kind"]] += 1
            if n in norm_out:
                leak_by_kind[c["kind"]] += 1
        extra = len(MOJIBAKE.findall(text)) - len(MOJIBAKE.findall(it["body"]))
        if extra > 0:
            moji_left += extra
            moji_items.append(it["key"])
    res["body_f1"] = float(np.mean(body)) if body else float("nan")
    res["ja_f1"] = float(np.mean(ja)) if ja else float("nan")
    res["ja_items"] = len(ja)
    res["clutter_lines"] = sum(eligible_by_kind.values())
    res["clutter_leaked"] = sum(leak_by_kind.values())
    res["clutter_leak"] = res["clutter_leaked"] / max(1, res["clutter_lines"])
    res["leak_by_kind"] = {k: f"{leak_by_kind[k]}/{eligible_by_kind[k]}" for k in sorted(eligible_by_kind)}
    res["mojibake_left"] = moji_left
    res["mojibake_items"] = moji_items
    # shared passages
    planted = truth["passages"]
    found, doc_hits, doc_total = 0, 0, 0
    missed = []
    for P in planted:
        lang = P["lang"]
        src, quo = set(P["source_items"]), set(P["quoting_items"])
        ok = False
        named: set[str] = set()
        for R in run.passages:
            hits = {k for k, t in R if _overlap(t, P["text"], lang) >= 0.8}
            named |= hits & set(P["items"])
            if hits & src and hits & quo:
                ok = True
        found += ok
        if not ok:
            missed.append(P["source_story"] + "->" + P["quoting_story"])
        doc_hits += len(named)
        doc_total += len(P["items"])
    false, in_cluster, planted_hits = 0, 0, 0
    false_examples = []
    for R in run.passages:
        if any(_overlap(t, P["text"], P["lang"]) >= 0.5 for P in planted for _, t in R):
            planted_hits += 1
        elif len({cluster.get(k) for k, _ in R}) == 1:
            in_cluster += 1
        else:
            false += 1
            false_examples.append(R)
    res.update({"planted": len(planted), "passages_found": found,
                "passage_recall": found / len(planted) if planted else float("nan"),
                "passage_doc_recall": doc_hits / doc_total if doc_total else float("nan"),
                "reported_passages": len(run.passages), "false_passages": false,
                "in_cluster_passages": in_cluster, "missed_passages": missed,
                "false_examples": [[(k, t[:120]) for k, t in R] for R in false_examples[:10]]})
    res.update(quote_scores(truth, run))
    res["seconds"] = {k: round(v, 2) for k, v in run.seconds.items()}
    res["seconds"]["total"] = round(sum(run.seconds.values()), 2)
    res["rejects"] = run.rejects
    return res


def seeds_check() -> dict[str, Any]:
    """The seeds stay five articles and the quoted passage is found."""
    if not SEEDS.is_dir():
        return {"articles": None, "quote_found": None}
    run = run_product(SEEDS)
    arts = len({o["label"] for o in run.out.values()})
    quote = any(len({k for k, t in R if SEED_QUOTE in t}) >= 2 for R in run.passages)
    return {"articles": arts, "quote_found": quote, "documents": len(run.out)}


# --------------------------------------------------------------------------- report


def versions() -> dict[str, str]:
    from benchmarks.versions import package_versions

    return package_versions(("newsclean", "trafilatura", "datasketch", "ftfy", "charset-normalizer", "numpy", "lxml"))


def _fmt(v: Any, digits: int = 3) -> str:
    if isinstance(v, float):
        return "n/a" if v != v else f"{v:.{digits}f}"
    return str(v)


def table(res: dict[str, dict[str, Any]], seeds: dict[str, Any]) -> str:
    prod, base = res.get("newsclean", {}), res.get("baseline", {})
    rows = [
        ("ARI", "ari", ">= 0.99"),
        ("pairwise precision", "pair_p", ""),
        ("pairwise recall", "pair_r", ""),
        ("pairwise F1", "pair_f1", ">= 0.99"),
        ("clusters (true {t})".format(t=prod.get("true_clusters", base.get("true_clusters"))), "pred_clusters", ""),
        ("body word F1 (non-Japanese items)", "body_f1", ""),
        ("clutter leak (share of planted lines)", "clutter_leak", "<= 0.01"),
        ("mojibake sequences left", "mojibake_left", "0"),
        ("Japanese body F1 (characters)", "ja_f1", ">= 0.97"),
        ("shared-passage recall", "passage_recall", ">= 0.95"),
        ("shared-passage item recall", "passage_doc_recall", ""),
        ("false shared passages", "false_passages", "<= planted/20"),
        ("reported passages (planted / in-cluster / false)", None, ""),
        ("quote recall, all kinds (>= 80 % of words covered)", "q:all:recall", ">= 0.95"),
    ] + [(f"quote recall: {k}", f"q:{k}:recall", ">= 0.95") for k in QUOTE_KINDS] + [
        ("fragments per found quote, all kinds", "q:all:fragments_per_quote", "<= 1.2"),
    ] + [(f"fragments per found quote: {k}", f"q:{k}:fragments_per_quote", "<= 1.2") for k in QUOTE_KINDS] + [
        ("false passages (text not in the bodies named)", "false_text_passages", "<= items/1000"),
        ("rejected items", "rejects", ""),
        ("time extract+clean s", None, ""),
        ("time match s", None, ""),
        ("time total s", None, ""),
    ]
    lines = ["| metric | newsclean | baseline | target |", "|---|---|---|---|"]
    for label, key, target in rows:
        if key is not None and key.startswith("q:"):
            _, kind, metric = key.split(":")
            vals = []
            for r in (prod, base):
                q = r.get("quotes", {}).get(kind) if r else None
                if not q:
                    vals.append("-")
                elif metric == "recall":
                    vals.append(f"{_fmt(q['recall'])} ({q['found']}/{q['planted']})")
                else:
                    vals.append(f"{_fmt(q['fragments_per_quote'], 2)} ({q['fragments']}/{q['found']})")
            lines.append(f"| {label} | {vals[0]} | {vals[1]} | {target} |")
            continue
        if key == "false_text_passages" and prod:
            target = f"<= {max(1, prod['items'] // 1000)}"
        if key is not None:
            vals = [_fmt(r.get(key)) if r else "-" for r in (prod, base)]
        elif label.startswith("reported"):
            vals = [f"{r['reported_passages']} ({r['reported_passages'] - r['false_passages'] - r['in_cluster_passages']}"
                    f" / {r['in_cluster_passages']} / {r['false_passages']})" if r else "-" for r in (prod, base)]
        else:
            k = {"time extract+clean s": "extract", "time match s": "match", "time total s": "total"}[label]
            vals = [_fmt(r["seconds"][k], 1) if r else "-" for r in (prod, base)]
        if key == "clutter_leak":
            vals = [f"{_fmt(r[key])} ({r['clutter_leaked']}/{r['clutter_lines']})" if r else "-" for r in (prod, base)]
        if key == "passage_recall":
            vals = [f"{_fmt(r[key])} ({r['passages_found']}/{r['planted']})" if r else "-" for r in (prod, base)]
        if key == "false_passages" and prod:
            target = f"<= {prod['planted'] / 20:.2f}"
        lines.append(f"| {label} | {vals[0]} | {vals[1]} | {target} |")
    s = seeds
    lines.append(f"| seeds: articles / quoted passage found | {s.get('articles')} / {s.get('quote_found')} | - | 5 / True |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="benchmarks/out/syndication", help="folder for corpus/, truth.json, results")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stories", type=int, default=150)
    ap.add_argument("--corpora", default=str(synd_gen.CORPORA))
    ap.add_argument("--no-generate", action="store_true", help="score an existing out/corpus")
    ap.add_argument("--systems", default="newsclean,baseline")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.no_generate:
        truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    else:
        truth = synd_gen.build(out, args.stories, args.seed, Path(args.corpora))
    t_gen = time.perf_counter() - t0
    c = truth["counts"]
    print(f"corpus: {out / 'corpus'}  seed={truth['seed']}  stories={c['stories']} "
          f"(Japanese {c['japanese_stories']})  files={c['files']}  items={c['items']}  "
          f"planted passages={c['planted_passages']}  generated in {t_gen:.1f}s", flush=True)
    results: dict[str, dict[str, Any]] = {}
    systems = args.systems.split(",")
    for name in systems:
        run = run_product(out / "corpus") if name == "newsclean" else run_baseline(out / "corpus")
        results[name] = score(truth, run)
        with open(out / f"outputs_{name}.jsonl", "w", encoding="utf-8") as fh:
            for k, v in sorted(run.out.items()):
                fh.write(json.dumps({"key": k, "label": v["label"], "text": v["text"]}, ensure_ascii=False) + "\n")
        with open(out / f"passages_{name}.json", "w", encoding="utf-8") as fh:
            json.dump(run.passages, fh, ensure_ascii=False, indent=1)
        print(f"{name}: scored in {sum(run.seconds.values()):.1f}s", flush=True)
    seeds = seeds_check() if "newsclean" in systems else {}
    print()
    print(f"versions: {json.dumps(versions())}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores")
    print()
    print(table(results, seeds))
    print()
    for name, r in results.items():
        print(f"{name}: clutter leak by kind {r['leak_by_kind']}")
        print(f"{name}: mojibake left in {len(r['mojibake_items'])} items; missed passages {r['missed_passages']}")
        print(f"{name}: quote coverage by kind " + json.dumps({k: v["coverage"] for k, v in r["quotes"].items()
                                                              if k != "all"}))
    (out / "results.json").write_text(json.dumps({"counts": c, "seed": truth["seed"], "results": results,
                                                  "seeds": seeds, "versions": versions()},
                                                 ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
