"""Scale: `newsclean run` end to end (the real command, Prefect included) at growing N.

For each N, builds the bench_speed text corpus (N .txt files, 30 % edited
copies, 3 % quotes, 20 outlets; see benchmarks/bench_speed.py) and runs
``newsclean run CORPUS --out OUT --workers W --no-progress`` in a subprocess.
It samples the resident memory of the whole process tree (the run, its
worker processes and Prefect's temporary API server) every 0.2 s with psutil
and prints, per N: wall seconds, documents/s, the run's own stage times
(run.json: discover+plan, clean, match), peak RSS of the tree and of the
largest single process, and seconds per 1,000 documents (flat = linear).
Each run's log (with the match step's stage lines and peak memory) is kept
next to its output folder as out-N.log when --work is given.

Usage:
  .venv/bin/python benchmarks/bench_scale.py --n 10000,30000,100000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.bench_speed import build_text_corpus, corpus_dir  # noqa: E402
from benchmarks.versions import code_fingerprint, versions_line  # noqa: E402


def _tree_rss(pid: int) -> tuple[float, float]:
    """(sum, max) resident MB over the process and its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    sizes = []
    for p in procs:
        try:
            sizes.append(p.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            pass
    return sum(sizes), max(sizes, default=0.0)


def run_one(corpus: Path, out: Path, workers: int, extra: list[str]) -> dict:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    cmd = [str(Path(sys.executable).parent / "newsclean"), "run", str(corpus), "--out", str(out),
           "--workers", str(workers), "--no-progress", *extra]
    peak = {"sum": 0.0, "max": 0.0}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            s, m = _tree_rss(proc.pid)
            peak["sum"], peak["max"] = max(peak["sum"], s), max(peak["max"], m)
            done.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    (out.parent / f"{out.name}.log").write_text(output)  # the run's log: its "match: ..." stage lines
    if proc.returncode:
        raise SystemExit(f"newsclean run failed (exit {proc.returncode}):\n{output[-3000:]}")
    run = json.loads((out / "run.json").read_text())
    return {"wall": wall, "peak_tree_mb": peak["sum"], "peak_proc_mb": peak["max"], "run": run}


def _read_all(corpus: Path) -> int:
    """Read every file of the corpus once (into the page cache); returns the bytes read."""
    total = 0
    for p in corpus.rglob("*"):
        if p.is_file():
            total += len(p.read_bytes())
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"),
                    help="corpus root holding scrapinghub_aeb/ (default ../shared/corpora)")
    ap.add_argument("--n", default="10000,30000,100000", help="comma list of corpus sizes")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work", default=None, help="folder for corpora and outputs (default: a temp folder)")
    ap.add_argument("--cold", action="store_true",
                    help="do not read the corpus before each run (by default it is read once, so that "
                         "discover+plan times the code, not a disk the kernel may have evicted pages of)")
    args = ap.parse_args()
    root = Path(args.root)
    if not (corpus_dir(root) / "ground-truth.json").exists():
        print(f"skipped: {corpus_dir(root)}/ground-truth.json not found")
        return 0
    sizes = [int(x) for x in args.n.split(",") if x.strip()]
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          + versions_line(("newsclean", "prefect", "numpy", "datasketch", "trafilatura", "ftfy")))
    print(f"cleaners/ fingerprint {code_fingerprint()}; workers {args.workers}")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    rows = []
    try:
        for n in sizes:
            corpus = work / f"text-{n}"
            if not corpus.exists():
                t0 = time.perf_counter()
                build_text_corpus(root, n, corpus)
                print(f"built {n} documents in {time.perf_counter() - t0:.0f} s", flush=True)
            out = work / f"out-{n}"
            shutil.rmtree(out, ignore_errors=True)
            if not args.cold:
                t0 = time.perf_counter()
                size = _read_all(corpus)
                print(f"read the corpus ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s "
                      "so the run finds it in the page cache", flush=True)
            res = run_one(corpus, out, args.workers, [])
            sec = res["run"]["seconds"]
            c = res["run"]["counts"]
            rows.append((n, res, sec, c))
            print(f"N={n}: wall {res['wall']:.1f} s, {c['documents']} documents, {c['articles']} articles, "
                  f"peak tree {res['peak_tree_mb']:.0f} MB", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print("| N | wall s | docs/s (wall) | discover+plan s | clean s | match s | s per 1k docs | "
          "peak RSS, all processes MB | peak RSS, largest process MB | articles | passages |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, res, sec, c in rows:
        print(f"| {n} | {res['wall']:.1f} | {n / res['wall']:.0f} | {sec['discover_and_plan']:.1f} | "
              f"{sec['clean']:.1f} | {sec['match']:.1f} | {1000 * res['wall'] / n:.2f} | "
              f"{res['peak_tree_mb']:.0f} | {res['peak_proc_mb']:.0f} | {c['articles']} | "
              f"{c.get('shared_passages', '-')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
