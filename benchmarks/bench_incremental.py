"""Recurring runs: time of a second run over an unchanged folder vs the first run; with
``--new M``, of a recurring run that adds M new documents (half of them reprints of archive
stories) against a fresh run over those M alone.

    .venv/bin/python benchmarks/bench_incremental.py --n 10000 [CORPUS_ROOT]
    .venv/bin/python benchmarks/bench_incremental.py --n 10000 --new 1000

Builds N documents from real article bodies (scrapinghub_aeb ground truth and
wcxb_test main content under CORPUS_ROOT, default ../shared/corpora), each
made unique by one appended sentence, writes them as .txt files (every tenth
as HTML), then runs the newsclean flow twice on the same output folder and
prints both times and the ratio. Target (issue 5): second run < 5% of the first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def real_bodies(root: Path) -> list[str]:
    bodies = []
    gt = root / "scrapinghub_aeb" / "ground-truth.json"
    if gt.exists():
        bodies += [v["articleBody"] for v in json.loads(gt.read_text()).values() if v.get("articleBody")]
    for f in sorted((root / "wcxb_test" / "ground-truth").glob("*.json"))[:300]:
        mc = json.loads(f.read_text()).get("ground_truth", {}).get("main_content")
        if mc:
            bodies.append(mc)
    return [b for b in bodies if len(b.split()) > 80]


def build(folder: Path, n: int, bodies: list[str], seed: int) -> None:
    rng = random.Random(seed)
    for i in range(n):
        body = rng.choice(bodies)
        _write(folder, i, body, rng)


def _write(folder: Path, i: int, body: str, rng: random.Random) -> None:
    extra = f"Reference number {i} was assigned to this copy by the archive on day {rng.randrange(365)}."
    sub = folder / f"d{i // 1000:03d}"
    sub.mkdir(exist_ok=True)
    if i % 10 == 0:
        paras = "".join(f"<p>{p}</p>" for p in (body + "\n" + extra).split("\n") if p.strip())
        (sub / f"{i:06d}.html").write_text(f"<html><body><article>{paras}</article></body></html>")
    else:
        (sub / f"{i:06d}.txt").write_text(body + "\n\n" + extra)


def build_new(folder: Path, first: int, m: int, archive_bodies: list[str], new_bodies: list[str],
              seed: int) -> None:
    """M new documents in a new day folder: even ones reprint an archive story (its body, a
    different reference line), odd ones tell a story the archive does not hold."""
    rng = random.Random(seed + 1)
    for k in range(m):
        _write(folder, first + k, rng.choice(archive_bodies if k % 2 == 0 else new_bodies), rng)


def recurring(src: Path, work: Path, n: int, m: int, bodies: list[str], seed: int, workers: int) -> None:
    """Archive of n, then m new (half reprints): the recurring run against a fresh run over the m."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.clean_flow import clean_folder

    split = len(bodies) * 4 // 5  # the archive's stories; the rest are news the archive lacks
    build(src, n, bodies[:split], seed)
    new = work / "new"
    new.mkdir()
    build_new(new, n, m, bodies[:split], bodies[split:], seed)
    out, fresh_out = work / "out", work / "fresh"
    with prefect_test_harness(server_startup_timeout=120):
        t0 = time.perf_counter()
        first = clean_folder(str(src), str(out), workers=workers)
        t1 = time.perf_counter()
        shutil.move(str(new), str(src / "new"))  # the new day's folder arrives
        again = clean_folder(str(src), str(out), workers=workers)
        t2 = time.perf_counter()
        alone = clean_folder(str(src / "new"), str(fresh_out), workers=workers)
        t3 = time.perf_counter()
    joined = _reprints_joined(out, n, m)
    print(f"newsclean recurring-run benchmark: archive {n}, new {m} (half reprints), workers {workers}, "
          f"python {platform.python_version()}, {os.cpu_count()} cores")
    print("| run | files processed | documents | articles | seconds (flow call) | flow-internal s |")
    print("|---|---|---|---|---|---|")
    for name, r, t in (("first (archive)", first, t1 - t0), ("recurring (+new)", again, t2 - t1),
                       ("fresh (new alone)", alone, t3 - t2)):
        c = r["counts"]
        print(f"| {name} | {c['files_processed']} | {c['documents']} | {c['articles']} | {t:.1f} | "
              f"{r['seconds']['total']:.1f} |")
    print(f"recurring / fresh-over-new = {(t2 - t1) / (t3 - t2):.2f} (issue 25 target <= 1.5 at 100k)")
    print(f"reprints that joined an archive article: {joined}")
    _state_size(out / "state.sqlite", again["counts"]["documents"])
    for name, r in (("first", first), ("recurring", again), ("fresh", alone)):
        print(f"{name} seconds by step:", json.dumps(r["seconds"]))


def _state_size(path: Path, documents: int) -> None:
    """The state's size on disk per document, its largest tables, and a linear projection to
    10 million documents (the state grows with the documents it keeps)."""
    import sqlite3
    size = path.stat().st_size
    db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    except sqlite3.OperationalError:  # SQLite built without the dbstat table
        tables = {}
    finally:
        db.close()
    per_doc = size / max(documents, 1)
    print(f"state on disk: {size / 2**20:.1f} MB for {documents} documents = {per_doc / 1024:.1f} KB a document; "
          f"at 10 million documents about {per_doc * 1e7 / 2**30:.0f} GB")
    for name, b in sorted(tables.items(), key=lambda kv: -kv[1])[:6]:
        print(f"  {name}: {b / 2**20:.1f} MB ({b / max(documents, 1) / 1024:.2f} KB a document)")


def _reprints_joined(out: Path, n: int, m: int) -> str:
    """How many of the new reprints (even k) share an article with an archive document."""
    docs = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    number = {d["doc_id"]: int(Path(d["source"]["path"]).stem) for d in docs}
    members: dict[str, list[int]] = {}
    for d in docs:
        members.setdefault(d["article_id"], []).append(number[d["doc_id"]])
    joined = sum(1 for ns in members.values() for x in ns if x >= n and (x - n) % 2 == 0 and min(ns) < n)
    return f"{joined}/{(m + 1) // 2}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--new", type=int, default=0, help="recurring run with this many new documents")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    root = Path(args.root)
    bodies = real_bodies(root) if root.is_dir() else []
    if not bodies:
        print(f"skipped: no article bodies under {root}")
        return 0
    if args.new:
        work = Path(tempfile.mkdtemp(prefix="nc-incr-"))
        try:
            (work / "in").mkdir()
            recurring(work / "in", work, args.n, args.new, bodies, args.seed, args.workers)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    from prefect.testing.utilities import prefect_test_harness

    from flows.clean_flow import clean_folder

    work = Path(tempfile.mkdtemp(prefix="nc-incr-"))
    try:
        src, out = work / "in", work / "out"
        src.mkdir()
        build(src, args.n, bodies, args.seed)
        with prefect_test_harness(server_startup_timeout=120):
            t0 = time.perf_counter()
            first = clean_folder(str(src), str(out))
            t1 = time.perf_counter()
            second = clean_folder(str(src), str(out))
            t2 = time.perf_counter()
        a, b = t1 - t0, t2 - t1
        print(f"newsclean incremental benchmark, {args.n} documents ({len(bodies)} distinct real bodies), "
              f"python {platform.python_version()}, {os.cpu_count()} cores")
        print("| run | files processed | documents | articles | seconds (flow call) | flow-internal s |")
        print("|---|---|---|---|---|---|")
        for name, r, t in (("first", first, a), ("second (unchanged)", second, b)):
            c = r["counts"]
            print(f"| {name} | {c['files_processed']} | {c['documents']} | {c['articles']} | {t:.1f} | "
                  f"{r['seconds']['total']:.1f} |")
        print(f"second / first = {b / a:.4f} (target < 0.05)")
        print("first run seconds by step:", json.dumps(first["seconds"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
