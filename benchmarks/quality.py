"""Quality benchmark: newsclean beside trafilatura, readability, jusText and newspaper4k on third-party corpora.

Usage (from the repo root)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/quality.py [CORPUS_ROOT] [--limit N] [--corpus NAME ...]
        [--systems newsclean,trafilatura,...] [--jobs 2]

CORPUS_ROOT defaults to ../shared/corpora relative to the repo root. A corpus
folder that is absent is reported as "skipped (absent)"; a system whose package
is not installed as "skipped (not installed)". Every page of an HTML corpus is in
the tuning half or the reporting half (``benchmarks.corpora.half_of``: SHA-1 of
"corpus/key", first byte even = tune): the tables show the reporting half (the
figures to quote), then the tuning half, then all pages; then, per corpus and
half, the best single other system and newsclean's margin to it, the WCXB
clutter leak of every system, and the reporting-half pages where newsclean loses
most to the best other system on that page. Per-page outputs and scores go to
benchmarks/out/quality/ (git-ignored) for error analysis. "seconds" is the summed
per-page processing time of that system (single-core seconds, measured inside the
worker processes), so it does not depend on --jobs.

Metrics are those of /work/shared/corpora/README.md; see benchmarks/scoring.py.
The text corpora (ftfy cases, encodings, seeds) compare newsclean with ftfy and
charset_normalizer and are not split.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import scoring  # noqa: E402
from benchmarks.corpora import (  # noqa: E402
    ALL_CORPORA, HALVES, HTML_CORPORA, load_encoding_samples, load_ftfy_cases, load_pages, true_texts)
from benchmarks.systems import (  # noqa: E402
    ALL_SYSTEMS, SYSTEMS, run_newsclean, run_page, split_available, warm_up)

SEED_MARKERS = ("POPULAR ARTICLE", "ACCESS RANKING", "Photo/Illutration")
AEB_EXPECTED = {"f1": 0.958, "precision": 0.938, "recall": 0.978}
HALF_ROWS = HALVES[::-1] + ("all",)  # report first: the figures to quote
# The text corpora compare newsclean with one baseline each (ftfy.fix_text, charset_normalizer),
# kept under the name "trafilatura" of the pair they were first written for.
TEXT_SYSTEMS = ("newsclean", "trafilatura")
LOSSES_SHOWN = 10


def row(corpus: str, system: str, n: int, m: dict[str, float] | None, sec: float | None,
        notes: str = "", half: str = "") -> dict[str, Any]:
    m = m or {}
    return {"corpus": corpus, "half": half, "system": system, "n": n, "P": m.get("precision"),
            "R": m.get("recall"), "F1": m.get("f1"), "seconds": sec, "notes": notes}


# --- HTML corpora ------------------------------------------------------------

def run_html(pages_by_corpus: dict[str, list], jobs: int,
             systems: tuple[str, ...]) -> dict[str, dict[str, dict]]:
    tasks = [(p.corpus, p.key, p.path, systems) for pages in pages_by_corpus.values() for p in pages]
    results: dict[str, dict[str, dict]] = {c: {} for c in pages_by_corpus}
    if not tasks:
        return results
    t0 = time.perf_counter()
    done = 0

    def progress() -> None:
        if done % 100 == 0 or done == len(tasks):
            print(f"  [{done}/{len(tasks)} pages, {time.perf_counter() - t0:.0f}s]",
                  file=sys.stderr, flush=True)

    if jobs <= 1:
        warm_up(systems)
        for t in tasks:
            c, k, out = run_page(t)
            results[c][k] = out
            done += 1
            progress()
    else:
        with mp.get_context("fork").Pool(jobs, initializer=warm_up, initargs=(systems,)) as pool:
            for c, k, out in pool.imap_unordered(run_page, tasks, chunksize=1):
                results[c][k] = out
                done += 1
                progress()
    return results


# Per page, each corpus's own score and a per-page F1 (used to rank the pages newsclean loses most on).

def page_scores(corpus: str, page, text: str) -> dict[str, Any]:
    if corpus == "scrapinghub_aeb":
        t = scoring.aeb_triple(page.gold, text)
        return {"tp_fp_fn": t, "f1": scoring.aeb_metrics([t])["f1"]}
    if corpus == "wcxb_test":
        g = page.gold
        prf = scoring.word_prf(text, g["main"])
        return {"prf": prf, "f1": prf[2], "with": scoring.snippet_rate(text, g["with"]),
                "without": scoring.snippet_rate(text, g["without"]) if g["without"] else 0.0,
                "type": g["page_type"]}
    if corpus == "trafilatura_eval":
        a, b, c = scoring.snippet_counts(text, page.gold["with"], page.gold["without"])
        f1 = scoring.prf_from_counts(a, b, c)["f1"] if a + b + c else 1.0
        return {"tp": a, "fn": b, "fp": c, "f1": f1}
    if corpus == "cleanportaleval":
        prf = scoring.word_prf(text, page.gold)
        return {"prf": prf, "f1": prf[2]}
    raise ValueError(f"not an HTML corpus: {corpus}")


def labels(corpus: str, pages: list) -> list[tuple[str, list]]:
    """The rows a corpus gives: (label, its pages); WCXB as article pages and as all page types."""
    if corpus == "wcxb_test":
        return [("wcxb_test[article]", [p for p in pages if p.gold["page_type"] == "article"]),
                ("wcxb_test[all]", pages)]
    return [(corpus, pages)]


def aggregate(corpus: str, keys: list[str], res: dict[str, dict], scores: dict[str, dict],
              system: str) -> tuple[dict[str, float], str]:
    """One system's metrics over the pages ``keys`` of a corpus, and the row's notes."""
    sc = [scores[k][system] for k in keys]
    empty = sum(1 for k in keys if not res[k][system]["text"].strip())
    if corpus == "scrapinghub_aeb":
        return scoring.aeb_metrics(s["tp_fp_fn"] for s in sc), f"empty {empty}"
    if corpus == "wcxb_test":
        notes = (f"with {sum(s['with'] for s in sc) / len(sc):.1%}, "
                 f"without(leak) {leak(sc):.1%}, empty {empty}")
        return scoring.mean_prf(s["prf"] for s in sc), notes
    if corpus == "trafilatura_eval":
        tp, fn, fp = (sum(s[x] for s in sc) for x in ("tp", "fn", "fp"))
        return scoring.prf_from_counts(tp, fn, fp), f"TP {tp} FN {fn} FP {fp}, empty {empty}"
    return scoring.mean_prf(s["prf"] for s in sc), f"empty {empty}"


def leak(sc: list[dict]) -> float:
    """WCXB clutter leak: the mean share of a page's `without` snippets found in the output
    (a page without such snippets counts 0, as the corpus README's scorer does)."""
    return sum(s["without"] for s in sc) / len(sc) if sc else 0.0


def pages_of_half(pages: list, half: str) -> list:
    return pages if half == "all" else [p for p in pages if p.half == half]


def score_corpus(corpus: str, pages: list, res: dict[str, dict], systems: tuple[str, ...],
                 skipped: tuple[str, ...], rows: list) -> dict[str, dict]:
    """Per-page scores of every system, and a row per label x half x system (skipped systems too)."""
    scores = {p.key: {s: page_scores(corpus, p, res[p.key][s]["text"]) for s in systems} for p in pages}
    for label, subset in labels(corpus, pages):
        for half in HALF_ROWS:
            keys = [p.key for p in pages_of_half(subset, half)]
            if not keys:
                continue
            for s in systems:
                m, notes = aggregate(corpus, keys, res, scores, s)
                rows.append(row(label, s, len(keys), m, sum(res[k][s]["sec"] for k in keys), notes, half))
            for s in skipped:
                rows.append(row(label, s, 0, None, None, "skipped (not installed)", half))
    return scores


def aeb_check(root: Path) -> str:
    d = root / "scrapinghub_aeb"
    gt = json.loads((d / "ground-truth.json").read_text(encoding="utf-8"))
    base = json.loads((d / "baseline_output_trafilatura-2.0.0.json").read_text(encoding="utf-8"))
    base = base.get("output", base)
    if base.keys() != gt.keys():
        return "scorer check: FAILED (baseline keys differ from ground truth)"
    m = scoring.aeb_metrics(scoring.aeb_triple(gt[k].get("articleBody", ""),
                                               base[k].get("articleBody", "")) for k in gt)
    ok = all(round(m[k], 3) == v for k, v in AEB_EXPECTED.items())
    return (f"scorer check (scrapinghub_aeb, baseline_output_trafilatura-2.0.0.json): "
            f"F1 {m['f1']:.3f} P {m['precision']:.3f} R {m['recall']:.3f} "
            f"(expected F1 0.958 P 0.938 R 0.978): {'OK' if ok else 'MISMATCH'}")


# --- text corpora --------------------------------------------------------------

def run_ftfy(root: Path, limit: int | None, rows: list, details: list) -> dict:
    import ftfy
    from cleaners.config import EncodingConfig
    from cleaners.clean.encoding import repair
    cases = load_ftfy_cases(root, limit)
    cfg = EncodingConfig()
    lenient = EncodingConfig(uncurl_quotes=True, fix_character_width=True)
    out: dict[str, Any] = {"cases": []}
    sec = {s: 0.0 for s in TEXT_SYSTEMS}
    res = {s: [] for s in TEXT_SYSTEMS}
    for c in cases:
        t0 = time.perf_counter()
        ours = repair(c["original"], cfg)[0]
        sec["newsclean"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        base = ftfy.fix_text(c["original"])
        sec["trafilatura"] += time.perf_counter() - t0
        res["newsclean"].append(ours)
        res["trafilatura"].append(base)
    names = {"newsclean": "newsclean", "trafilatura": "ftfy.fix_text"}
    for s in TEXT_SYSTEMS:
        expect_pass = [(c, o) for c, o in zip(cases, res[s]) if c["expect"] == "pass"]
        passed = sum(1 for c, o in expect_pass if o == c["fixed"])
        neg = [(c, o) for c, o in zip(cases, res[s]) if c["file"] == "negative"]
        neg_changed = sum(1 for c, o in neg if o != c["original"])
        # A change that is exactly the case's `fixed` is intended (ftfy's own
        # negative cases may expect C1 controls fixed or quotes uncurled).
        neg_bad = sum(1 for c, o in neg if o != c["original"] and o != c["fixed"])
        kf = [(c, o) for c, o in zip(cases, res[s]) if c["expect"] == "fail"]
        kf_pass = sum(1 for c, o in kf if o == c["fixed"])
        note = (f"pass {passed}/{len(expect_pass)} expect=pass; negatives changed "
                f"{neg_changed}/{len(neg)} (not to `fixed`: {neg_bad}); "
                f"known-failures fixed {kf_pass}/{len(kf)}")
        if s == "newsclean":
            policy = sum(1 for c in cases if c["expect"] == "pass"
                         and repair(c["original"], lenient)[0] == c["fixed"])
            note += f"; with uncurl_quotes+width on: {policy}/{len(expect_pass)}"
        rows.append(row("ftfy_mojibake", names[s], len(cases), None, sec[s], note))
        out[s] = {"pass": passed, "of": len(expect_pass), "neg_changed": neg_changed,
                  "neg_not_fixed": neg_bad}
    # Which cases ftfy passes but newsclean fails, and why.
    for c, ours, base in zip(cases, res["newsclean"], res["trafilatura"]):
        ok_ours, ok_base = ours == c["fixed"], base == c["fixed"]
        if c["expect"] == "pass" and ok_base and not ok_ours:
            why = ("policy: uncurl_quotes/fix_character_width off"
                   if repair(c["original"], lenient)[0] == c["fixed"] else "repair differs")
            details.append(f"ftfy: ftfy passes, newsclean fails [{c['file']}] {c['label']!r} ({why}); "
                           f"ours={ours[:60]!r} fixed={c['fixed'][:60]!r}")
        elif c["expect"] == "pass" and ok_ours and not ok_base:
            details.append(f"ftfy: newsclean passes, ftfy fails [{c['file']}] {c['label']!r}")
        if c["file"] == "negative" and ours != c["original"]:
            details.append(f"ftfy: newsclean changed negative case {c['label']!r} "
                           f"({'= fixed, intended' if ours == c['fixed'] else 'NOT to fixed'})")
        out["cases"].append({"file": c["file"], "label": c["label"], "expect": c["expect"],
                             "newsclean_ok": ok_ours, "ftfy_ok": ok_base})
    return out


# Bytes cp1252 leaves undefined; a decoder that drops them turns "”" (E2 80 9D) into "â€".
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def run_lossy_mojibake(root: Path, limit: int | None, rows: list, details: list) -> dict:
    """Lossy mojibake made from real text: the gold texts of scrapinghub_aeb and wcxb_test
    that hold a character E2 80 xx with xx undefined in cp1252 ("”", "‐", ZWJ, RLM, em quad),
    encoded as UTF-8 and read as cp1252 dropping the undefined bytes, then repaired paragraph
    by paragraph (as the pipeline does)."""
    import ftfy
    from cleaners.config import EncodingConfig
    from cleaners.clean.encoding import repair
    docs = []
    for corpus in ("scrapinghub_aeb", "wcxb_test"):
        if (root / corpus).is_dir():
            docs += [(p.key, p.gold if isinstance(p.gold, str) else p.gold["main"])
                     for p in load_pages(corpus, root, limit)]
    lost_e280 = {chr(0x2000 + (b - 0x80)) for b in CP1252_UNDEFINED}
    docs = [(k, t) for k, t in docs if lost_e280 & set(t)]
    cfg = EncodingConfig()
    systems = {"newsclean": lambda t: repair(t, cfg)[0],
               "ftfy.fix_text": lambda t: ftfy.fix_text(t, uncurl_quotes=False)}
    out: dict[str, Any] = {"docs": len(docs)}
    for name, fix in systems.items():
        keep = paras = exact = dagger = 0
        t0 = time.perf_counter()
        for key, text in docs:
            left = False
            for para in (x for x in text.split("\n") if x.strip()):
                got = fix(para.encode("utf-8").decode("cp1252", errors="ignore"))
                if "\u00e2\u20ac" in got and name == "newsclean":
                    i = got.index("\u00e2\u20ac")
                    details.append(f"lossy_mojibake: {key[:16]} keeps \u00e2\u20ac: {got[max(0, i - 30):i + 30]!r}")
                left |= "\u00e2\u20ac" in got
                dagger += max(0, got.count("\u2020") - para.count("\u2020"))
                if lost_e280 & set(para):
                    paras += 1
                    exact += got == para
            keep += left
        note = (f"docs keeping \u00e2\u20ac {keep}/{len(docs)}; paragraphs restored exactly "
                f"{exact}/{paras}; spurious \u2020 {dagger}")
        rows.append(row("lossy_mojibake", name, len(docs), None, time.perf_counter() - t0, note))
        out[name] = {"docs_keeping": keep, "paragraphs_exact": exact, "paragraphs": paras,
                     "spurious_dagger": dagger}
    return out


def run_encodings(corpus: str, root: Path, limit: int | None, rows: list, details: list) -> dict:
    from charset_normalizer import from_bytes
    from cleaners.clean.encoding import decode
    samples = load_encoding_samples(corpus, root, limit)
    scored = [s for s in samples if s.codec]
    excluded = [s for s in samples if not s.codec]
    out: dict[str, Any] = {"files": []}
    stats = {s: {"ok": 0, "fffd": 0, "fffd_files": 0, "sec": 0.0} for s in TEXT_SYSTEMS}
    fails: dict[str, list[str]] = {s: [] for s in TEXT_SYSTEMS}
    for smp in scored:
        data = Path(smp.path).read_bytes()
        truth = true_texts(data, smp.codec)
        rec = {"key": smp.key, "label": smp.label}
        for s in TEXT_SYSTEMS:
            t0 = time.perf_counter()
            if s == "newsclean":
                text, fixes = decode(data, None)
                how = fixes[0].detail if fixes else ""
            else:
                best = from_bytes(data).best()
                text = str(best) if best is not None else ""
                how = best.encoding if best is not None else "none"
            stats[s]["sec"] += time.perf_counter() - t0
            ok = text.lstrip("\ufeff") in truth
            n_fffd = text.count("\ufffd")
            stats[s]["ok"] += ok
            stats[s]["fffd"] += n_fffd
            stats[s]["fffd_files"] += n_fffd > 0
            rec[s] = {"ok": ok, "how": how, "fffd": n_fffd}
            if not ok:
                fails[s].append(f"{smp.key} (true {smp.codec}; got {how}; U+FFFD {n_fffd})")
        out["files"].append(rec)
    names = {"newsclean": "newsclean", "trafilatura": "charset_normalizer"}
    for s in TEXT_SYSTEMS:
        n = len(scored)
        note = (f"decoded correctly {stats[s]['ok']}/{n} ({stats[s]['ok'] / n:.1%}); "
                f"U+FFFD {stats[s]['fffd']} in {stats[s]['fffd_files']} files") if n else "no files"
        if excluded:
            note += f"; excluded {len(excluded)} without Python codec ({', '.join(e.label for e in excluded)})"
        rows.append(row(corpus, names[s], n, None, stats[s]["sec"], note))
        for f in fails[s]:
            details.append(f"{corpus}: {names[s]} wrong: {f}")
    return out


def run_seeds(seeds: Path, limit: int | None, rows: list, details: list) -> dict:
    files = sorted(seeds.glob("*.txt"))[: limit] if limit else sorted(seeds.glob("*.txt"))
    survived, in_input, sec, rejects = [], 0, 0.0, 0
    for f in files:
        data = f.read_bytes()
        in_input += sum(1 for ln in data.decode("utf-8", "replace").splitlines()
                        if any(m in ln for m in SEED_MARKERS))
        r = run_newsclean(data, f.name, kind="text")
        sec += r["sec"]
        rejects += r["reject"] is not None
        for ln in r["text"].splitlines():
            if any(m in ln for m in SEED_MARKERS):
                survived.append(f"{f.name}: {ln[:100]}")
    rows.append(row("seeds (kind=text)", "newsclean", len(files), None, sec,
                    f"marker lines in input {in_input}, surviving {len(survived)}"
                    f"{', rejects ' + str(rejects) if rejects else ''}"))
    details.extend(f"seeds: SURVIVED {s}" for s in survived)
    return {"survived": survived, "in_input": in_input}


# --- output --------------------------------------------------------------------

def fmt_table(rows: list[dict]) -> str:
    def f(v, spec):
        return "-" if v is None else format(v, spec)
    head = ["corpus", "system", "n", "P", "R", "F1", "seconds", "notes"]
    body = [[r["corpus"], r["system"], str(r["n"]), f(r["P"], ".3f"), f(r["R"], ".3f"),
             f(r["F1"], ".3f"), f(r["seconds"], ".2f"), r["notes"]] for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(x, widths)) + " |" for x in body]
    return "\n".join(lines)


def others(systems: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(s for s in systems if s != "newsclean")


def margins(rows: list[dict]) -> list[dict]:
    """Per corpus label and half: newsclean's F1, the best other system's, and the margin."""
    out = []
    for r in rows:
        if r["system"] != "newsclean" or r["F1"] is None or not r["half"]:
            continue
        rivals = [x for x in rows if x["corpus"] == r["corpus"] and x["half"] == r["half"]
                  and x["system"] != "newsclean" and x["F1"] is not None]
        if not rivals:
            continue
        best = max(rivals, key=lambda x: x["F1"])
        out.append({"corpus": r["corpus"], "half": r["half"], "n": r["n"], "newsclean": r["F1"],
                    "best_other": best["system"], "best_F1": best["F1"], "margin": r["F1"] - best["F1"]})
    return out


def fmt_margins(ms: list[dict]) -> str:
    lines = ["| corpus | half | n | newsclean F1 | best single other system | its F1 | margin | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for m in ms:
        verdict = "at or above" if m["margin"] >= 0 else f"below by {-m['margin']:.4f}"
        lines.append(f"| {m['corpus']} | {m['half']} | {m['n']} | {m['newsclean']:.4f} | {m['best_other']} | "
                     f"{m['best_F1']:.4f} | {m['margin']:+.4f} | {verdict} |")
    return "\n".join(lines)


def fmt_leak(pages: list, scores: dict[str, dict], systems: tuple[str, ...]) -> str:
    """WCXB clutter leak (share of `without` snippets found) of every system, per page set and half."""
    cols = [(label, half, [p.key for p in pages_of_half(subset, half)])
            for label, subset in labels("wcxb_test", pages) for half in HALF_ROWS]
    lines = ["| system | " + " | ".join(f"{label} {half} (n={len(keys)})" for label, half, keys in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for s in systems:
        lines.append(f"| {s} | " + " | ".join(f"{leak([scores[k][s] for k in keys]):.4f}" if keys else "-"
                                              for _, _, keys in cols) + " |")
    return "\n".join(lines)


def _words(text: str) -> int:
    return len(scoring.WORD.findall(text or ""))


def losses(pages_by_corpus: dict[str, list], scores: dict[str, dict], results: dict[str, dict],
           systems: tuple[str, ...], half: str = "report") -> list[dict]:
    """Pages of one half where newsclean's per-page F1 is below the best other system's on that page,
    largest loss first (per-page F1: each corpus's own; trafilatura_eval's from its snippets)."""
    out = []
    for c, pages in pages_by_corpus.items():
        for p in pages_of_half(pages, half):
            sc, res = scores[c][p.key], results[c][p.key]
            best = max(others(systems), key=lambda s: sc[s]["f1"])
            loss = sc[best]["f1"] - sc["newsclean"]["f1"]
            if loss > 0:
                out.append({"corpus": c, "key": p.key, "loss": loss, "newsclean_f1": sc["newsclean"]["f1"],
                            "best": best, "best_f1": sc[best]["f1"],
                            "newsclean_words": _words(res["newsclean"]["text"]),
                            "best_words": _words(res[best]["text"]),
                            "newsclean_reject": res["newsclean"]["reject"]})
    return sorted(out, key=lambda x: (-x["loss"], x["corpus"], x["key"]))


def fmt_losses(ls: list[dict]) -> str:
    lines = ["| corpus | page | newsclean F1 (words) | best other on the page | its F1 (words) | loss |",
             "|---|---|---|---|---|---|"]
    for x in ls:
        rej = f", {x['newsclean_reject'][:40]}" if x["newsclean_reject"] else ""
        lines.append(f"| {x['corpus']} | {x['key'][:70]} | {x['newsclean_f1']:.3f} ({x['newsclean_words']}{rej}) | "
                     f"{x['best']} | {x['best_f1']:.3f} ({x['best_words']}) | {x['loss']:.3f} |")
    return "\n".join(lines)


def code_fingerprint() -> str:
    from benchmarks.versions import code_fingerprint as fingerprint

    return fingerprint()


def versions() -> str:
    from benchmarks.versions import versions_line

    systems = tuple(dict.fromkeys(s.distribution for s in SYSTEMS.values()))
    return versions_line(systems + ("ftfy", "charset-normalizer", "lxml", "htmldate"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"),
                    help="corpus root (default: ../shared/corpora relative to the repo root)")
    ap.add_argument("--seeds", default=str(REPO.parent / "shared" / "seeds"),
                    help="folder of seed .txt files (default: ../shared/seeds)")
    ap.add_argument("--limit", type=int, default=None, help="first N pages/files/cases per corpus")
    ap.add_argument("--corpus", action="append", choices=ALL_CORPORA, metavar="NAME",
                    help=f"run only this corpus (repeatable): {', '.join(ALL_CORPORA)}")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="worker processes for the HTML corpora (default: min(2, cores))")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS), metavar="A,B,...",
                    help=f"systems run on the HTML corpora, comma-separated (default: all: {','.join(ALL_SYSTEMS)}); "
                         "one whose package is not installed is reported skipped")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "quality"),
                    help="where per-page outputs and scores go (default benchmarks/out/quality, git-ignored)")
    args = ap.parse_args(argv)
    wanted = tuple(dict.fromkeys(x.strip() for x in args.systems.split(",") if x.strip()))
    bad = [x for x in wanted if x not in SYSTEMS]
    if bad:
        ap.error(f"--systems: unknown {', '.join(bad)}; choose from {', '.join(ALL_SYSTEMS)}")
    systems, skipped = split_available(wanted)
    root = Path(args.root)
    selected = args.corpus or list(ALL_CORPORA)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    print(f"newsclean quality benchmark — {versions()}")
    print(f"cleaners/*.py sha256 {code_fingerprint()}")
    print(f"corpus root: {root}" + (f"; limit {args.limit}" if args.limit else "") + f"; jobs {args.jobs}")
    print(f"systems: {', '.join(systems)}" + "".join(f"; {s}: skipped (not installed)" for s in skipped))

    rows: list[dict] = []
    details: list[str] = []
    present = {}
    for c in selected:
        p = Path(args.seeds) if c == "seeds" else root / c
        present[c] = p.is_dir()
        if not present[c]:
            print(f"{c}: skipped (absent)")
    if "scrapinghub_aeb" in selected and present["scrapinghub_aeb"]:
        print(aeb_check(root))

    pages = {c: load_pages(c, root, args.limit) for c in HTML_CORPORA if c in selected and present[c]}
    results = run_html(pages, args.jobs, systems)
    scores: dict[str, dict] = {}
    for c, plist in pages.items():
        scores[c] = score_corpus(c, plist, results[c], systems, skipped, rows)
        if "newsclean" in systems:
            rejects = Counter((results[c][p.key]["newsclean"]["reject"] or "").split(":")[0]
                              for p in plist if results[c][p.key]["newsclean"]["reject"])
            if rejects:
                details.append(f"{c}: newsclean rejects: {dict(rejects)}")
        for s in others(systems):
            errors = Counter(results[c][p.key][s]["reject"].split(":")[0] for p in plist
                             if results[c][p.key][s]["reject"] not in (None, "empty output"))
            if errors:
                details.append(f"{c}: {s} raised: {dict(errors)} (counted as empty output)")
        with open(out_dir / f"{c}.jsonl", "w", encoding="utf-8") as fh:
            for p in plist:
                fh.write(json.dumps({"key": p.key, "half": p.half, "path": p.path, "scores": scores[c][p.key],
                                     "outputs": results[c][p.key]}, ensure_ascii=False) + "\n")
    html_rows = list(rows)
    rows.clear()

    extra: dict[str, Any] = {}
    if "ftfy_mojibake" in selected and present["ftfy_mojibake"]:
        extra["ftfy_mojibake"] = run_ftfy(root, args.limit, rows, details)
        extra["lossy_mojibake"] = run_lossy_mojibake(root, args.limit, rows, details)
    for c in ("chardet_legacy_encodings", "charset_normalizer_samples"):
        if c in selected and present[c]:
            extra[c] = run_encodings(c, root, args.limit, rows, details)
    if "seeds" in selected and present["seeds"]:
        extra["seeds"] = run_seeds(Path(args.seeds), args.limit, rows, details)
    (out_dir / "text_corpora.json").write_text(json.dumps(extra, ensure_ascii=False, indent=1),
                                                encoding="utf-8")
    (out_dir / "summary.json").write_text(json.dumps(html_rows + rows, indent=1), encoding="utf-8")

    for half, title in (("report", "Reporting half (the figures to quote)"), ("tune", "Tuning half"),
                        ("all", "All pages")):
        part = [r for r in html_rows if r["half"] == half]
        if part:
            print(f"\n{title}:\n")
            print(fmt_table(part))
    ms = margins(html_rows)
    if ms:
        print("\nnewsclean against the best single other system (max F1 of "
              f"{', '.join(others(systems))}), per corpus and half:\n")
        print(fmt_margins(ms))
    if "wcxb_test" in pages:
        print("\nWCXB clutter leak (mean share of a page's `without` snippets found in the output; lower is better):\n")
        print(fmt_leak(pages["wcxb_test"], scores["wcxb_test"], systems))
    if "newsclean" in systems and others(systems):
        ls = losses(pages, scores, results, systems)
        with open(out_dir / "losses_report.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(x, ensure_ascii=False) + "\n" for x in ls)
        print(f"\nReporting-half pages where newsclean loses most to the best other system on the page "
              f"({len(ls)} pages lose; all in {out_dir / 'losses_report.jsonl'}):\n")
        print(fmt_losses(ls[:LOSSES_SHOWN]))
    if rows:
        print("\nText corpora (not split):\n")
        print(fmt_table(rows))
    print()
    print("P/R/F1: scrapinghub = 4-gram shingle means (upstream); wcxb & cleanportaleval = mean per-page "
          "word P/R/F1; trafilatura_eval = snippet counts pooled over the corpus. "
          "seconds = summed per-page time of that system (single core). "
          "For ftfy the baseline is ftfy.fix_text; for encodings it is charset_normalizer's best guess.")
    if details:
        print("\nDetails:")
        for d in details:
            print("  " + d)
    print(f"\nwall time {time.perf_counter() - t_start:.0f}s; per-page outputs in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
