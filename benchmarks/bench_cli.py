"""The command line as a user meets it: start under load, stop on a signal, time with a server.

    .venv/bin/python benchmarks/bench_cli.py                       # every section
    .venv/bin/python benchmarks/bench_cli.py --sections stop --repeat 3

Sections (issue 21's targets; results in benchmarks/RESULTS.md):
- start:  three first runs at once, each with a fresh Prefect home (so each starts a temporary
          API and compiles nothing: the kernel cache is shared), while two CPU-bound processes
          load the 2 cores: how many succeed with default settings, and how long each took.
- stop:   Ctrl-C to the process group, and SIGTERM to the main process alone, while 3,000 HTML
          files are being cleaned: seconds until every process of the run is gone, whether the
          lock is free, and whether the rerun's outputs equal an uninterrupted run's.
- server: with `newsclean server start` running: `newsclean runs` and `newsclean logs`, a warm
          `newsclean run raw`, and the 181 ScrapingHub pages against trafilatura's own CLI on the
          same (decompressed) pages, measured in the same invocation.
Prints measured numbers only; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from flows.lifecycle import descendants  # noqa: E402
from tests.helpers import BODY, alive, article_html, lock_is_free  # noqa: E402

BIN = Path(sys.executable).parent
NEWSCLEAN = str(BIN / "newsclean")
OUTPUTS = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")


def _env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def make_corpus(root: Path, n: int) -> Path:
    """n distinct stories: paragraphs of words drawn at random (so, as in real news, few pages
    share text and the run's time is mostly cleaning, not matching)."""
    root.mkdir(parents=True)
    rng = random.Random(5)
    words = sorted({w.strip(".,'").lower() for p in BODY for w in p.split()} | {f"w{k}" for k in range(2000)})
    for i in range(n):
        paras = [" ".join(rng.choice(words) for _ in range(45)).capitalize() + "." for _ in range(4)]
        (root / f"page{i:05d}.html").write_text(article_html(f"Story {i}", paras))
    return root


def _burn() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def section_start(tmp: Path, runs: int = 3, burners: int = 2) -> None:
    print(f"\n## start: {runs} first runs at once, fresh Prefect homes, {burners} CPU-bound processes")
    load = [_burn() for _ in range(burners)]
    try:
        time.sleep(2)
        t0 = time.monotonic()
        procs = []
        for k in range(runs):
            home = tmp / f"start-home-{k}"
            procs.append(subprocess.Popen([NEWSCLEAN, "run", str(REPO / "raw"), "--out", str(tmp / f"start-out-{k}"),
                                           "--no-progress"], env=_env(home), stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, start_new_session=True))
        results = []
        for p in procs:
            err = p.communicate(timeout=900)[1].decode(errors="replace")
            results.append((p.returncode, time.monotonic() - t0, err.strip().splitlines()[-1:] if p.returncode else []))
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        for k, (code, sec, last) in enumerate(results):
            print(f"run {k}: exit {code} after {sec:.1f} s {last}")
        print(f"succeeded: {sum(1 for c, _, _ in results if c == 0)}/{runs}")
    finally:
        for p in load:
            p.kill()
            p.wait()


def _cleaned_share(out: Path, at: float) -> bool:
    """Whether at least ``at`` of the run's batches are finished (and one at least)."""
    work = out / ".newsclean-work"
    batches = len(list(work.glob("*/batch-*.items.json")))
    done = len(list((work / "finished-batches").glob("*.jsonl"))) if (work / "finished-batches").is_dir() else 0
    return batches > 0 and done >= max(1, at * batches)


def section_stop(tmp: Path, n: int, repeat: int, at: float) -> None:
    print(f"\n## stop: signals during cleaning of {n} HTML files (temporary API, --workers 2), once "
          f"{at:.0%} of the batches are cleaned")
    src = make_corpus(tmp / "stop-in", n)
    home = tmp / "stop-home"
    ref = tmp / "stop-ref"
    t0 = time.monotonic()
    subprocess.run([NEWSCLEAN, "run", str(src), "--out", str(ref), "--no-progress"], env=_env(home),
                   check=True, capture_output=True)
    full = time.monotonic() - t0
    print(f"uninterrupted run: {full:.1f} s")
    expected = {name: (ref / name).read_bytes() for name in OUTPUTS}
    for k in range(repeat):
        for how in ("SIGINT to the group", "SIGTERM to the main process"):
            out = tmp / f"stop-out-{k}-{how.split()[0]}"
            p = subprocess.Popen([NEWSCLEAN, "run", str(src), "--out", str(out), "--no-progress"], env=_env(home),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
            finished = out / ".newsclean-work" / "finished-batches"
            while p.poll() is None and not _cleaned_share(out, at):
                time.sleep(0.05)
            pids = descendants(p.pid) + [p.pid]
            t_sig = time.monotonic()
            if how.startswith("SIGINT"):
                os.killpg(p.pid, signal.SIGINT)
            else:
                os.kill(p.pid, signal.SIGTERM)
            code = p.wait(timeout=120)
            t_main = time.monotonic() - t_sig
            while alive(pids) and time.monotonic() - t_sig < 60:
                time.sleep(0.05)
            t_all = time.monotonic() - t_sig
            left = len(alive(pids))
            lock = lock_is_free(out)
            reused = len(list(finished.glob("*.jsonl")))
            t1 = time.monotonic()
            rr = subprocess.run([NEWSCLEAN, "run", str(src), "--out", str(out), "--no-progress"], env=_env(home),
                                capture_output=True, text=True)
            t_rerun = time.monotonic() - t1
            same = rr.returncode == 0 and all((out / nm).read_bytes() == expected[nm] for nm in OUTPUTS)
            print(f"{how}: exit {code}; main gone {t_main:.2f} s, all {len(pids)} processes gone {t_all:.2f} s "
                  f"({left} left); lock free: {lock}; rerun {t_rerun:.1f} s reusing {reused} finished batches, "
                  f"outputs equal the uninterrupted run's: {same}")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.monotonic()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return time.monotonic() - t0, res


def section_server(tmp: Path, corpora: Path) -> None:
    print("\n## server: commands with `newsclean server start` running")
    home = tmp / "server-home"
    env = _env(home)
    port = 4300 + random.Random().randrange(500)
    sec, res = _timed([NEWSCLEAN, "server", "start", "--port", str(port)], env)
    print(f"newsclean server start: {sec:.1f} s (exit {res.returncode})")
    if res.returncode:
        print(res.stderr)
        return
    try:
        _timed([NEWSCLEAN, "run", str(REPO / "raw"), "--out", str(tmp / "server-first"), "--no-progress"], env)
        sec, res = _timed([NEWSCLEAN, "run", str(REPO / "raw"), "--out", str(tmp / "server-warm"), "--no-progress"], env)
        print(f"newsclean run raw (warm, new output folder): {sec:.1f} s (exit {res.returncode})")
        run_id = json.loads((tmp / "server-warm" / "run.json").read_text())["run_id"]
        for cmd in (["runs"], ["runs", "--out", str(tmp / "server-warm")], ["logs", run_id]):
            sec, res = _timed([NEWSCLEAN, *cmd], env)
            print(f"newsclean {' '.join(cmd[:2]) if cmd[0] == 'runs' else 'logs RUN_ID'}: {sec:.2f} s "
                  f"(exit {res.returncode}, {len(res.stdout.splitlines())} lines)")
        sh = corpora / "scrapinghub_aeb" / "html"
        if not sh.is_dir():
            print(f"ScrapingHub pages not found under {corpora}: skipped")
            return
        pages = tmp / "sh-pages"
        pages.mkdir()
        for f in sorted(sh.glob("*.html.gz")):
            (pages / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
        n = len(list(pages.iterdir()))
        sec_t, res_t = _timed([str(BIN / "trafilatura"), "--input-dir", str(pages), "--output-dir",
                               str(tmp / "sh-trafilatura")], env)
        sec_n, res_n = _timed([NEWSCLEAN, "run", str(pages), "--out", str(tmp / "sh-newsclean"), "--no-progress"], env)
        print(f"{n} ScrapingHub pages: trafilatura CLI {sec_t:.1f} s (exit {res_t.returncode}), newsclean run "
              f"{sec_n:.1f} s (exit {res_n.returncode}): ratio {sec_n / sec_t:.2f}")
    finally:
        subprocess.run([NEWSCLEAN, "server", "stop"], env=env, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sections", default="start,stop,server")
    ap.add_argument("--n", type=int, default=3000, help="files in the stop section's corpus")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--at", type=float, default=0.75, help="stop once this share of the batches is cleaned")
    ap.add_argument("--corpora", type=Path, default=REPO.parent / "shared" / "corpora")
    args = ap.parse_args()
    from benchmarks.versions import code_fingerprint, versions_line

    print(f"# bench_cli {time.strftime('%Y-%m-%d %H:%M')}; {versions_line(('prefect', 'trafilatura', 'numba'))}; "
          f"cleaners {code_fingerprint()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        for s in args.sections.split(","):
            {"start": lambda: section_start(tmp), "stop": lambda: section_stop(tmp, args.n, args.repeat, args.at),
             "server": lambda: section_server(tmp, args.corpora)}[s]()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
