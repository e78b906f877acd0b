"""Quality benchmark: newsclean vs plain trafilatura on third-party corpora.

Usage (from the repo root)::

    .venv/bin/python benchmarks/quality.py [CORPUS_ROOT] [--limit N] [--corpus NAME ...] [--jobs 2]

CORPUS_ROOT defaults to ../shared/corpora relative to the repo root. A corpus
folder that is absent is reported as "skipped (absent)". Prints one table
(corpus x system: P, R, F1, seconds, notes) followed by details, and writes the
per-page outputs and scores to benchmarks/out/quality/ (git-ignored) for error
analysis. "seconds" is the summed per-page processing time of that system
(single-core seconds, measured inside the worker processes), so it does not
depend on --jobs.

Metrics are those of /work/shared/corpora/README.md; see benchmarks/scoring.py.
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
    ALL_CORPORA, HTML_CORPORA, load_encoding_samples, load_ftfy_cases, load_pages, true_texts)
from benchmarks.systems import SYSTEMS, run_newsclean, run_page, warm_up  # noqa: E402

SEED_MARKERS = ("POPULAR ARTICLE", "ACCESS RANKING", "Photo/Illutration")
AEB_EXPECTED = {"f1": 0.958, "precision": 0.938, "recall": 0.978}


def row(corpus: str, system: str, n: int, m: dict[str, float] | None, sec: float | None,
        notes: str = "") -> dict[str, Any]:
    m = m or {}
    return {"corpus": corpus, "system": system, "n": n, "P": m.get("precision"),
            "R": m.get("recall"), "F1": m.get("f1"), "seconds": sec, "notes": notes}


# --- HTML corpora ------------------------------------------------------------

def run_html(pages_by_corpus: dict[str, list], jobs: int) -> dict[str, dict[str, dict]]:
    tasks = [(p.corpus, p.key, p.path, SYSTEMS) for pages in pages_by_corpus.values() for p in pages]
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
        warm_up()
        for t in tasks:
            c, k, out = run_page(t)
            results[c][k] = out
            done += 1
            progress()
    else:
        with mp.get_context("fork").Pool(jobs, initializer=warm_up) as pool:
            for c, k, out in pool.imap_unordered(run_page, tasks, chunksize=1):
                results[c][k] = out
                done += 1
                progress()
    return results


def _sec(res: dict[str, dict], system: str) -> float:
    return sum(r[system]["sec"] for r in res.values())


def _empty(res: dict[str, dict], system: str) -> int:
    return sum(1 for r in res.values() if not r[system]["text"].strip())


def score_aeb(pages, res, rows, per_page) -> None:
    for s in SYSTEMS:
        triples = []
        for p in pages:
            t = scoring.aeb_triple(p.gold, res[p.key][s]["text"])
            triples.append(t)
            per_page.setdefault(p.key, {})[s] = {"tp_fp_fn": t}
        rows.append(row("scrapinghub_aeb", s, len(pages), scoring.aeb_metrics(triples), _sec(res, s),
                        f"empty {_empty(res, s)}"))


def score_wcxb(pages, res, rows, per_page) -> None:
    prf: dict[str, dict] = {s: {} for s in SYSTEMS}
    w: dict[str, dict] = {s: {} for s in SYSTEMS}
    wo: dict[str, dict] = {s: {} for s in SYSTEMS}
    for s in SYSTEMS:
        for p in pages:
            text = res[p.key][s]["text"]
            prf[s][p.key] = scoring.word_prf(text, p.gold["main"])
            w[s][p.key] = scoring.snippet_rate(text, p.gold["with"])
            wo[s][p.key] = scoring.snippet_rate(text, p.gold["without"]) if p.gold["without"] else 0.0
            per_page.setdefault(p.key, {})[s] = {"prf": prf[s][p.key], "with": w[s][p.key],
                                                  "without": wo[s][p.key], "type": p.gold["page_type"]}
    for label, subset in (("wcxb_test[article]", [p for p in pages if p.gold["page_type"] == "article"]),
                          ("wcxb_test[all]", pages)):
        keys = [p.key for p in subset]
        if not keys:
            continue
        for s in SYSTEMS:
            sec = sum(res[k][s]["sec"] for k in keys)
            notes = (f"with {sum(w[s][k] for k in keys) / len(keys):.1%}, "
                     f"without(leak) {sum(wo[s][k] for k in keys) / len(keys):.1%}, "
                     f"empty {sum(1 for k in keys if not res[k][s]['text'].strip())}")
            rows.append(row(label, s, len(keys), scoring.mean_prf(prf[s][k] for k in keys), sec, notes))


def score_trafeval(pages, res, rows, per_page) -> None:
    for s in SYSTEMS:
        tp = fn = fp = 0
        for p in pages:
            a, b, c = scoring.snippet_counts(res[p.key][s]["text"], p.gold["with"], p.gold["without"])
            tp, fn, fp = tp + a, fn + b, fp + c
            per_page.setdefault(p.key, {})[s] = {"tp": a, "fn": b, "fp": c}
        rows.append(row("trafilatura_eval", s, len(pages), scoring.prf_from_counts(tp, fn, fp),
                        _sec(res, s), f"TP {tp} FN {fn} FP {fp}, empty {_empty(res, s)}"))


def score_cleanportal(pages, res, rows, per_page) -> None:
    for s in SYSTEMS:
        prf = []
        for p in pages:
            t = scoring.word_prf(res[p.key][s]["text"], p.gold)
            prf.append(t)
            per_page.setdefault(p.key, {})[s] = {"prf": t}
        rows.append(row("cleanportaleval", s, len(pages), scoring.mean_prf(prf), _sec(res, s),
                        f"empty {_empty(res, s)}"))


SCORERS = {"scrapinghub_aeb": score_aeb, "wcxb_test": score_wcxb,
           "trafilatura_eval": score_trafeval, "cleanportaleval": score_cleanportal}


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
    sec = {s: 0.0 for s in SYSTEMS}
    res = {s: [] for s in SYSTEMS}
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
    for s in SYSTEMS:
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
    stats = {s: {"ok": 0, "fffd": 0, "fffd_files": 0, "sec": 0.0} for s in SYSTEMS}
    fails: dict[str, list[str]] = {s: [] for s in SYSTEMS}
    for smp in scored:
        data = Path(smp.path).read_bytes()
        truth = true_texts(data, smp.codec)
        rec = {"key": smp.key, "label": smp.label}
        for s in SYSTEMS:
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
    for s in SYSTEMS:
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


def code_fingerprint() -> str:
    from benchmarks.versions import code_fingerprint as fingerprint

    return fingerprint()


def versions() -> str:
    from benchmarks.versions import versions_line

    return versions_line(("newsclean", "trafilatura", "ftfy", "charset-normalizer", "lxml", "justext", "htmldate"))


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
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "quality"),
                    help="where per-page outputs and scores go (default benchmarks/out/quality, git-ignored)")
    args = ap.parse_args(argv)
    root = Path(args.root)
    selected = args.corpus or list(ALL_CORPORA)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    print(f"newsclean quality benchmark — {versions()}")
    print(f"cleaners/*.py sha256 {code_fingerprint()}")
    print(f"corpus root: {root}" + (f"; limit {args.limit}" if args.limit else "") + f"; jobs {args.jobs}")

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
    results = run_html(pages, args.jobs)
    for c, plist in pages.items():
        per_page: dict[str, Any] = {}
        SCORERS[c](plist, results[c], rows, per_page)
        rejects = Counter((results[c][p.key]["newsclean"]["reject"] or "").split(":")[0]
                          for p in plist if results[c][p.key]["newsclean"]["reject"])
        if rejects:
            details.append(f"{c}: newsclean rejects: {dict(rejects)}")
        with open(out_dir / f"{c}.jsonl", "w", encoding="utf-8") as fh:
            for p in plist:
                fh.write(json.dumps({"key": p.key, "path": p.path, "scores": per_page.get(p.key),
                                     "outputs": results[c][p.key]}, ensure_ascii=False) + "\n")

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
    (out_dir / "summary.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")

    print()
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
