"""report.html: size, build time and memory over a run's outputs, and Chromium's render time.

Builds OUTPUT_DIR/report.html (cleaners/store/report.py) from the outputs of an earlier
`newsclean run` --repeat times in fresh processes and prints its size, the build's wall time
(median and range) and the build process's peak RSS above what it had before the build (the
module's imports included). With --chromium (the Debian package), it also times headless
Chromium loading the page and taking a screenshot, minus the same for a one-line page, which
is Chromium's own start (median of --repeat pairs; the difference is the page's load, layout
and paint).

Usage (a 10,000-document output, e.g. from benchmarks/bench_scale.py --work DIR --n 10000):
  .venv/bin/python benchmarks/bench_report.py OUTPUT_DIR [--repeat 5] [--chromium]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.versions import code_fingerprint, versions_line  # noqa: E402

BUILD = """
import json, resource, sys, time
from pathlib import Path
out = Path(sys.argv[1])
from cleaners.store.report import write_report
run = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
w = write_report(out, run)
print(json.dumps({"seconds": time.perf_counter() - t0, "bytes": w.bytes, "articles": w.articles,
                  "shown": w.articles_shown, "rss_before_mb": before / 1024,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build_once(out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", BUILD, str(out)], capture_output=True, text=True,
                          cwd=REPO, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def chromium_seconds(chromium: str, page: Path, work: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,1000", f"--user-data-dir={work / 'profile'}",
                    f"--screenshot={work / 'shot.png'}", page.as_uri()],
                   capture_output=True, check=True, timeout=120)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="an output folder of `newsclean run` (documents/articles/rejects.jsonl)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chromium", action="store_true", help="also time headless Chromium rendering the page")
    args = ap.parse_args()
    out = Path(args.out)
    if not (out / "documents.jsonl").exists():
        print(f"skipped: no documents.jsonl in {out}")
        return 0
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; " + versions_line(("newsclean",)))
    print(f"cleaners/ fingerprint {code_fingerprint()}; outputs: " + ", ".join(
        f"{n} {(out / n).stat().st_size / 1e6:.1f} MB" for n in ("documents.jsonl", "articles.jsonl", "rejects.jsonl")))
    runs = [build_once(out) for _ in range(args.repeat)]
    secs = [r["seconds"] for r in runs]
    last = runs[-1]
    print(f"report.html {last['bytes']:,} bytes ({last['bytes'] / 2**20:.2f} MiB); {last['shown']} of "
          f"{last['articles']} articles shown")
    print(f"build: median {statistics.median(secs):.2f} s (min {min(secs):.2f}, max {max(secs):.2f}) over "
          f"{len(secs)} runs; peak RSS {max(r['peak_mb'] for r in runs):.0f} MB "
          f"({min(r['rss_before_mb'] for r in runs):.0f} MB before the build, imports done)")
    if args.chromium:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            print("chromium: not installed (Debian package chromium), render not timed")
            return 0
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            blank = work / "blank.html"
            blank.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>x</body></html>')
            pairs = [(chromium_seconds(chromium, out / "report.html", work), chromium_seconds(chromium, blank, work))
                     for _ in range(args.repeat)]
        page, empty = [p for p, _ in pairs], [b for _, b in pairs]
        diff = [p - b for p, b in pairs]
        print(f"chromium headless screenshot: report {statistics.median(page):.2f} s, one-line page "
              f"{statistics.median(empty):.2f} s (medians); the report's own load+render "
              f"{statistics.median(diff):.2f} s (min {min(diff):.2f}, max {max(diff):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
