"""`newsclean explain` against the run it explains, on the syndication corpus (issue 27's targets).

Generates benchmarks/syndication.py's corpus (synd_gen, ``--seed``), runs the product path (the
Prefect flow ``clean_folder``, in-process under a temporary Prefect API; with ``--split`` a first
run over half of the files and a second, incremental run over all of them), then checks, from
the state alone:

- members: every document that is not its article's canonical is explained by a chain of
  verified pairs that starts at it and ends at the canonical; every pair of the chain is
  recomputed from the two texts' stored shingle ids (shared shingles, sizes) and must pass
  the run's thresholds; the canonical rule, applied by explain to the members, must pick the
  run's canonical.
- pairs: ``--pairs`` pairs (default 1,000) through ``explain_pair``: pairs in one article,
  candidates the run refused (sharing a bucket of the product's own LSH index, built again
  from the stored signatures, in different articles) and random non-candidates. Each verdict
  must be the run's (the two documents in one article or not), and its candidate flag and
  Jaccard must match the index's buckets and the kernels' ``similarities``.
- the command line: a few ids through `newsclean explain` in a subprocess (--json parses, an
  unknown id exits 2).

Prints the counts and timings; exits 1 when any check fails.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/explain_check.py --seed 1
    PYTHONPATH=$PWD .venv/bin/python benchmarks/explain_check.py --seed 2 --split
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))

import synd_gen  # noqa: E402

from cleaners.kernels import similarities  # noqa: E402
from cleaners.match.dedup import SketchCache  # noqa: E402
from cleaners.match.explain import (dedup_config, explain_article, explain_document, explain_pair,  # noqa: E402
                                    merge_rule)
from cleaners.match.index import open_index  # noqa: E402
from cleaners.store.state import State  # noqa: E402


def run_flow(corpus: Path, out: Path, split: bool) -> list[float]:
    """The product path: the flow, once over the corpus (or over half its files, then all)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.clean_flow import clean_folder

    seconds = []
    with prefect_test_harness(server_startup_timeout=120):
        if split:
            half = out.parent / (out.name + "-input")
            shutil.rmtree(half, ignore_errors=True)
            files = sorted(p for p in corpus.rglob("*") if p.is_file())
            for p in files:  # every other file by a hash of its path: the first run's input
                if int(hashlib.sha1(str(p.relative_to(corpus)).encode()).hexdigest(), 16) % 2 == 0:
                    (half / p.relative_to(corpus)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(p, half / p.relative_to(corpus))
            t = time.perf_counter()
            clean_folder(str(half), str(out), workers=1)
            seconds.append(time.perf_counter() - t)
            for p in files:  # the rest arrives: the second run adds it
                if not (half / p.relative_to(corpus)).exists():
                    (half / p.relative_to(corpus)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(p, half / p.relative_to(corpus))
            corpus = half
        t = time.perf_counter()
        clean_folder(str(corpus), str(out), workers=1)
        seconds.append(time.perf_counter() - t)
    return seconds


def load(state: State) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    docs = {json.loads(x)["doc_id"]: json.loads(x) for x in state.record_lines("documents")}
    arts = {json.loads(x)["article_id"]: json.loads(x) for x in state.record_lines("articles")}
    return docs, arts


def check_members(state: State, docs: dict[str, dict[str, Any]], arts: dict[str, dict[str, Any]],
                  sketch: dict[str, tuple[np.ndarray, np.ndarray]], failures: list[str]) -> dict[str, Any]:
    cfg = dedup_config(state)
    hops: Counter[int] = Counter()
    rules: Counter[str] = Counter()
    explained = 0  # members with a chain to the canonical whose every pair passes
    t = time.perf_counter()
    for doc_id, rec in docs.items():
        e = explain_document(state, doc_id)
        art = arts[rec["article_id"]]
        if e["canonical"] != (doc_id == art["canonical_doc_id"]):
            failures.append(f"{doc_id}: canonical flag")
        if e["canonical"]:
            if e["canonical_rule"] is not None and not e["canonical_rule"]["wins"]:
                failures.append(f"{doc_id}: the canonical rule does not pick the run's canonical")
            continue
        if e["canonical_rule"]["wins"]:
            failures.append(f"{doc_id}: the canonical rule prefers this member to the run's canonical")
        chain = e["chain"]
        if not chain or chain[0]["from"] != doc_id or chain[-1]["to"] != art["canonical_doc_id"]:
            failures.append(f"{doc_id}: no chain to the canonical ({e['links_note']})")
            continue
        hops[len(chain)] += 1
        bad = len(failures)
        for s in chain:
            ids_a, ids_b = sketch[s["from"]][0], sketch[s["to"]][0]
            jac, con = similarities(ids_a, ids_b)
            shared = round(con * min(len(ids_a), len(ids_b)))
            sizes = sorted((len(ids_a), len(ids_b)))
            if sizes != sorted((s["shingles_a"], s["shingles_b"])) or shared != s["shared_shingles"]:
                failures.append(f"{doc_id}: link {s['from']}-{s['to']} counts differ from the stored sketches")
            rule = merge_rule(shared, len(ids_a), len(ids_b), cfg)
            if rule is None or abs(jac - s["jaccard"]) > 1e-4 or abs(con - s["containment"]) > 1e-4:
                failures.append(f"{doc_id}: link {s['from']}-{s['to']} does not pass "
                                f"(jaccard {jac}, containment {con})")
            rules[rule or "none"] += 1
        explained += len(failures) == bad
    per_doc = (time.perf_counter() - t) / max(len(docs), 1)
    t = time.perf_counter()
    for aid, art in arts.items():
        e = explain_article(state, aid)
        if sum(len(g["members"]) for g in e["members_by_outlet"]) != len(art["members"]) or (
                len(art["members"]) > 1 and len(e["links"]) != len(art["members"]) - 1):
            failures.append(f"{aid}: article members or links")
    per_article = (time.perf_counter() - t) / max(len(arts), 1)
    return {"documents": len(docs), "articles": len(arts),
            "merged_members": sum(1 for d, r in docs.items() if arts[r["article_id"]]["canonical_doc_id"] != d),
            "explained_by_chain": explained,
            "chain_lengths": dict(sorted(hops.items())), "links_by_rule": dict(rules),
            "ms_per_document": round(per_doc * 1000, 2), "ms_per_article": round(per_article * 1000, 2)}


def candidate_pairs(ids: list[str], sketch: dict[str, tuple[np.ndarray, np.ndarray]], bands: int, rows: int,
                    ) -> set[tuple[int, int]]:
    """Every pair sharing a bucket of the product's memory index over the stored signatures."""
    hv = np.stack([sketch[d][1] for d in ids])
    mask = np.array([len(sketch[d][0]) > 0 for d in ids])
    pairs: set[tuple[int, int]] = set()
    with open_index("memory", None, bands, rows) as index:
        index.add(hv, mask)
        for members, starts, ends in index.buckets():
            for s, e in zip(starts.tolist(), ends.tolist()):
                pairs.update(combinations(members[s:e].tolist(), 2))
    return pairs


def check_pairs(state: State, docs: dict[str, dict[str, Any]], sketch: dict[str, tuple[np.ndarray, np.ndarray]],
                n: int, seed: int, failures: list[str]) -> dict[str, Any]:
    cfg = dedup_config(state)
    rng = random.Random(seed)
    ids = sorted(docs)
    art = [docs[d]["article_id"] for d in ids]
    cands = candidate_pairs(ids, sketch, cfg.lsh_bands, cfg.lsh_rows)
    refused = sorted(p for p in cands if art[p[0]] != art[p[1]])
    by_article: dict[str, list[int]] = {}
    for i, a in enumerate(art):
        by_article.setdefault(a, []).append(i)
    merged = sorted(p for g in by_article.values() for p in combinations(g, 2))
    def verified(p: tuple[int, int]) -> bool:
        x, y = sketch[ids[p[0]]][0], sketch[ids[p[1]]][0]
        _, con = similarities(x, y)
        return merge_rule(round(con * min(len(x), len(y))), len(x), len(y), cfg) is not None

    chained = [p for p in merged if p not in cands or not verified(p)]  # one article only through others
    want_merged, want_refused = int(n * 0.4), int(n * 0.3)
    sample = rng.sample(chained, min(want_merged // 3, len(chained)))
    rest = sorted(set(merged) - set(sample))
    sample += rng.sample(rest, min(want_merged - len(sample), len(rest)))
    sample += rng.sample(refused, min(want_refused, len(refused)))
    seen = set(sample)
    while len(sample) < n:  # random pairs the index never offered
        p = tuple(sorted(rng.sample(range(len(ids)), 2)))
        if p not in cands and p not in seen and art[p[0]] != art[p[1]]:
            sample.append(p)
            seen.add(p)
    kinds: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    agree = 0
    t = time.perf_counter()
    for i, j in sample:
        a, b = ids[i], ids[j]
        e = explain_pair(state, a, b)
        run_merged = art[i] == art[j]
        kind = ("merged, a verified candidate pair" if run_merged and e["rule"] and e["candidates"] else
                "merged through a chain" if run_merged else
                "candidates refused" if (i, j) in cands else "not candidates")
        kinds[kind] += 1
        verdicts[f"{kind} -> {e['verdict']}"] += 1
        ok = (e["verdict"] == "merged") == run_merged and e["agrees_with_run"]
        jac, con = similarities(sketch[a][0], sketch[b][0])
        ok &= e["candidates"] == ((i, j) in cands)
        ok &= abs(e["jaccard"] - jac) < 1e-4 and abs(e["containment"] - con) < 1e-4
        agree += ok
        if not ok:
            failures.append(f"pair {a} {b}: explain says {e['verdict']} ({e['why']}), the run "
                            f"{'merged' if run_merged else 'did not merge'} them")
    per_pair = (time.perf_counter() - t) / max(len(sample), 1)
    return {"pairs": len(sample), "same_verdict": agree, "kinds": dict(kinds), "verdicts": dict(verdicts),
            "candidate_pairs_in_run": len(cands), "refused_candidates_in_run": len(refused),
            "same_article_pairs_in_run": len(merged), "joined_only_through_others_in_run": len(chained),
            "ms_per_pair": round(per_pair * 1000, 2)}


def check_cli(out: Path, docs: dict[str, dict[str, Any]], arts: dict[str, dict[str, Any]],
              failures: list[str]) -> dict[str, Any]:
    """The command itself, as a user runs it (one process per call)."""
    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flows.cli", "explain", str(out), *argv], capture_output=True,
                              text=True, cwd=REPO)
    big = max(arts.values(), key=lambda a: len(a["members"]))
    member = next(m["doc_id"] for m in big["members"] if m["doc_id"] != big["canonical_doc_id"])
    seconds = []
    for argv in ([member, "--json"], [big["article_id"], "--json"],
                 ["--pair", member, big["canonical_doc_id"], "--json"]):
        t = time.perf_counter()
        p = cli(*argv)
        seconds.append(time.perf_counter() - t)
        try:
            json.loads(p.stdout)
        except ValueError:
            failures.append(f"cli {argv}: exit {p.returncode}, not JSON: {p.stderr[-300:]}")
    p = cli("no-such-id")
    if p.returncode != 2 or "no-such-id" not in p.stderr:
        failures.append(f"cli unknown id: exit {p.returncode} {p.stderr[-300:]}")
    return {"cli_seconds": [round(s, 2) for s in seconds], "unknown_id_exit": p.returncode}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="benchmarks/out/explain_check", help="folder for corpus/ and the run's output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stories", type=int, default=150)
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--split", action="store_true", help="two runs: half of the files, then all of them")
    ap.add_argument("--no-generate", action="store_true", help="use an existing OUT/corpus")
    args = ap.parse_args(argv)
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    if not args.no_generate:
        shutil.rmtree(root / "corpus", ignore_errors=True)
        synd_gen.build(root, args.stories, args.seed)
    out = root / "run"
    shutil.rmtree(out, ignore_errors=True)
    run_seconds = run_flow(root / "corpus", out, args.split)
    failures: list[str] = []
    with State(out / "state.sqlite", readonly=True) as state:
        docs, arts = load(state)
        sketch = {}
        for d, rec in docs.items():
            sk = state.sketch(SketchCache.key(rec["text"]))
            if sk is None:
                failures.append(f"{d}: no stored sketch of its grouped text")
                continue
            sketch[d] = sk
        members = check_members(state, docs, arts, sketch, failures)
        pairs = check_pairs(state, docs, sketch, args.pairs, args.seed, failures)
    cli = check_cli(out, docs, arts, failures)
    print(json.dumps({"seed": args.seed, "split": args.split, "run_seconds": [round(s, 1) for s in run_seconds],
                      **members, **pairs, **cli, "failures": len(failures)}, indent=1))
    for f in failures[:30]:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
