"""Fuzz the cleaners for a fixed time: no exception, no hang.

    .venv/bin/python benchmarks/fuzz_cleaners.py --seconds 600

Inputs mix real seed lines, clutter lines, random Unicode, random bytes and
mutations (cuts, repeats, inserted markup). Every call must return (a Document
or a Reject for clean(); text for decode()) within --hang-seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleaners.clean.clutter import strip_clutter  # noqa: E402
from cleaners.config import Config  # noqa: E402
from cleaners.clean.encoding import decode  # noqa: E402
from cleaners.clean.pipeline import clean  # noqa: E402
from cleaners.records import Document, RawDoc, Reject, Source  # noqa: E402

CLUTTER = ["POPULAR ARTICLE", "JN ACCESS RANKING", "-", "Photo/Illustration x (y)", "Share | Tweet",
           "ADVERTISEMENT", "14:37 JST, October 19, 2024", "Sign up for our newsletter", "BRUSSELS — ",
           "By Jane Doe", "(Photo: AP)", "MOST READ", "<p>", "</div>", "&amp;", "Ã©", "â€™", "\u3002"]


def seed_lines() -> list[str]:
    lines = []
    for f in sorted((REPO / "raw").glob("*.txt")):
        lines += [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines or ["A plain sentence for fuzzing purposes only."]


def random_text(rng: random.Random, lines: list[str]) -> str:
    parts = []
    for _ in range(rng.randrange(1, 40)):
        r = rng.random()
        if r < 0.4:
            parts.append(rng.choice(lines))
        elif r < 0.6:
            parts.append(rng.choice(CLUTTER))
        elif r < 0.8:
            parts.append("".join(chr(rng.randrange(0x20, 0x3100)) for _ in range(rng.randrange(1, 200))))
        else:
            s = rng.choice(lines + CLUTTER)
            parts.append(s * rng.randrange(1, 200))
    sep = rng.choice(["\n", "\n\n", " ", "<p>", "\r\n"])
    text = sep.join(parts)
    if rng.random() < 0.3:
        cut = rng.randrange(len(text) + 1)
        text = text[:cut]
    return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--hang-seconds", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cfg = Config()
    lines = seed_lines()
    end = time.time() + args.seconds
    calls = failures = hangs = 0
    slowest = 0.0
    while time.time() < end:
        text = random_text(rng, lines)
        kind = rng.choice(["text", "html"])
        data = text.encode(rng.choice(["utf-8", "utf-16", "cp1252", "shift_jis", "euc-jp"]), "replace") \
            if rng.random() < 0.8 else bytes(rng.randrange(256) for _ in range(rng.randrange(0, 5000)))
        for name, call in (
            ("clean", lambda: clean(RawDoc(Source("f", None, "", kind), data, kind), cfg)),
            ("decode", lambda: decode(data, rng.choice([None, "utf-8", "shift_jis", "latin-1", "x"]))),
            ("strip_clutter", lambda: strip_clutter(Document("d", Source("f", None, "", "txt"), None, None,
                                                             None, tuple(t for t in text.split("\n") if t.strip())))),
        ):
            t0 = time.perf_counter()
            try:
                result = call()
                if name == "clean" and not isinstance(result, (Document, Reject)):
                    raise TypeError(f"clean returned {type(result).__name__}")
            except Exception:
                failures += 1
                print(f"FAIL {name}: {text[:80]!r}", file=sys.stderr)
                traceback.print_exc()
            dt = time.perf_counter() - t0
            slowest = max(slowest, dt)
            if dt > args.hang_seconds:
                hangs += 1
                print(f"HANG {name} {dt:.1f}s: {text[:80]!r}", file=sys.stderr)
            calls += 1
    print(f"fuzz: {calls} calls in {args.seconds:.0f}s, {failures} exceptions, {hangs} hangs "
          f"(> {args.hang_seconds}s), slowest call {slowest:.3f}s")
    return 1 if failures or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
