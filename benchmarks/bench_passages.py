"""Shared-passage stage alone: ``find_shared_passages`` old (reference) vs new.

Inputs are the exact (texts, groups) that ``group_documents`` hands to
``find_shared_passages``, captured once per corpus into a pickle:

  bench:N  bench_speed.py's text corpus of N documents (needs CORPUS_ROOT)
  synd     syndication.py's corpus (--seed 1 --stories 150)
  seeds    the seed scrapes in raw/

Each implementation runs in a fresh worker process, so "peak MB" is that
run's own peak RSS (VmHWM of /proc/self/status, which unlike ru_maxrss
does not carry the parent's peak over exec; interpreter, imports and the
loaded inputs included, the inputs' size is printed as "base MB"). The
passages of both are compared (spans, similarity, words) and must be equal.

Usage:
  .venv/bin/python benchmarks/bench_passages.py --corpus bench:2000 --impl old,new
  .venv/bin/python benchmarks/bench_passages.py --corpus synd --impl old,new --repeat 3
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
CACHE = REPO / "benchmarks" / "out" / "passages_inputs"


def _capture(run: Any) -> tuple[list[str], list[int]]:
    """Run ``run()`` with find_shared_passages replaced by a recorder; its inputs."""
    import cleaners.match.articles as articles

    seen: list[tuple[list[str], list[int]]] = []
    real = articles.find_shared_passages

    def record(texts, groups, cfg, dcfg, stats=None):  # type: ignore[no-untyped-def]
        seen.append((list(texts), list(groups)))
        return real(texts, groups, cfg, dcfg, stats)

    articles.find_shared_passages = record
    try:
        run()
    finally:
        articles.find_shared_passages = real
    return seen[-1]


def build_inputs(corpus: str, corpus_root: Path) -> Path:
    """The captured inputs of one corpus (cached under benchmarks/out/)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / (corpus.replace(":", "_") + ".pkl")
    if path.exists():
        return path
    from benchmarks import syndication
    from benchmarks.bench_speed import build_text_corpus
    from cleaners.match.articles import group_documents
    from tests.reference.batch import process_files
    from cleaners.config import Config
    from cleaners.read.readers import discover

    cfg = Config()

    def run_folder(root: Path) -> None:
        docs, _ = process_files(root, list(discover(root, cfg.read)), cfg)
        group_documents(docs, cfg)

    with tempfile.TemporaryDirectory(prefix="bench_passages_") as tmp:
        if corpus.startswith("bench:"):
            n = int(corpus.split(":", 1)[1])
            build_text_corpus(corpus_root, n, Path(tmp) / "text")
            inputs = _capture(lambda: run_folder(Path(tmp) / "text"))
        elif corpus == "synd":
            syndication.synd_gen.build(Path(tmp), 150, 1, Path(syndication.synd_gen.CORPORA))
            inputs = _capture(lambda: run_folder(Path(tmp) / "corpus"))
        elif corpus == "seeds":
            inputs = _capture(lambda: run_folder(REPO / "raw"))
        else:
            raise SystemExit(f"unknown corpus {corpus!r}")
    path.write_bytes(pickle.dumps(inputs))
    return path


def passage_keys(passages: list[Any]) -> list[tuple]:
    """Comparable form of a passage list (both implementations' dataclasses)."""
    return [(tuple((s.doc, s.start, s.end) for s in p.spans), p.similarity, p.words)
            for p in passages]


def _peak_mb() -> float:
    """Peak RSS of this process so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def worker(impl: str, inputs: Path, repeat: int, dump: Path) -> None:
    from cleaners.config import Config

    texts, groups = pickle.loads(inputs.read_bytes())
    base = _peak_mb()
    if impl == "old":
        from tests.reference.passages import find_shared_passages
    else:
        from cleaners.match.passages import find_shared_passages
    cfg = Config()
    times = []
    out: list[Any] = []
    stats: dict[str, int] = {}
    for _ in range(repeat):
        stats = {}
        t0 = time.perf_counter()
        out = find_shared_passages(texts, groups, cfg.passages, cfg.dedup, stats)
        times.append(time.perf_counter() - t0)
    peak = _peak_mb()
    dump.write_bytes(pickle.dumps((passage_keys(out), stats)))
    print("BENCH_JSON " + json.dumps({"impl": impl, "docs": len(texts), "seconds": times,
                                      "best": min(times), "peak_mb": round(peak, 1),
                                      "base_mb": round(base, 1), "passages": len(out),
                                      "stats": stats}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="bench:2000", help="bench:N, synd or seeds")
    ap.add_argument("--corpus-root", default=str(REPO.parent / "shared" / "corpora"),
                    help="holds scrapinghub_aeb/ (for bench:N)")
    ap.add_argument("--impl", default="old,new", help="comma list of old, new")
    ap.add_argument("--repeat", type=int, default=1, help="runs per worker (best is reported)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--inputs", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--dump", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, Path(args.inputs), args.repeat, Path(args.dump))
        return 0
    inputs = build_inputs(args.corpus, Path(args.corpus_root))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_passages_") as tmp:
        for impl in [s.strip() for s in args.impl.split(",") if s.strip()]:
            dump = Path(tmp) / f"{impl}.pkl"
            cmd = [sys.executable, __file__, "--worker", impl, "--inputs", str(inputs),
                   "--dump", str(dump), "--repeat", str(args.repeat)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
            sys.stderr.write(proc.stderr)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
            if proc.returncode or line is None:
                print(f"{impl} failed (exit {proc.returncode})\n{proc.stdout[-2000:]}")
                return 1
            r = json.loads(line[len("BENCH_JSON "):])
            r["keys"], _ = pickle.loads(dump.read_bytes())
            results[impl] = r
            print(f"{args.corpus:>12} {impl:>4}: {r['docs']} docs, best {r['best']:.2f} s of "
                  f"{', '.join(f'{t:.2f}' for t in r['seconds'])}, peak {r['peak_mb']:.0f} MB "
                  f"(base {r['base_mb']:.0f} MB), {r['passages']} passages, stats {r['stats']}",
                  flush=True)
    if len(results) > 1:
        first, *rest = results.values()
        same = all(r["keys"] == first["keys"] and r["stats"] == first["stats"] for r in rest)
        print(f"identical passages and stats: {same}")
        return 0 if same else 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
