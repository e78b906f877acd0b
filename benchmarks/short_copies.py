"""Short copies: abridged reprints too short for the containment rule, and short texts that must stay alone.

Builds a folder of plain-text documents from real article bodies (the English bodies of
synd_gen.py: ScrapingHub AEB and WCXB ground truth), runs the product path in-process
(discover -> iter_processed -> group_documents) and scores the clusters against the truth.

Per story: the original and two full reprints (other outlets, another headline). Then, for a
share of the stories, documents that try to break the short-copy rule:

- short copy      the first K words of the story (K from 12 to 60; cut at a sentence end when
                  one is near, else mid-sentence), under another headline: must join its story;
- copy, dropped   a short copy whose text lost a word in the middle (a transmission error): a copy
                  of its story, but not wholly contained (the rule does not claim it);
- shared quote    a paragraph of 15-45 words of story X that two other stories also quote, alone
                  as a document: contained in three stories, must stay alone;
- one-sided lead  the first K words of a story that has no other document: must stay alone;
- lead + tail     the first K words of story X followed by a sentence of story Y: must stay alone.

Stories are split into two halves by a hash of their source id: tune on `--half tune`, report
on `--half report`. `--sweep` runs several values of DedupConfig.min_short_copy_shingles on the
same corpus.

Usage:
  .venv/bin/python benchmarks/short_copies.py --half tune --sweep 10,15,20,25,30,40
  .venv/bin/python benchmarks/short_copies.py --half report --seed 2
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))
import synd_gen  # noqa: E402

from cleaners.clean.batch import iter_processed  # noqa: E402
from cleaners.config import Config  # noqa: E402
from cleaners.match.articles import group_documents  # noqa: E402
from cleaners.read.readers import discover  # noqa: E402
from cleaners.records import Document  # noqa: E402

SENT_END = re.compile(r"(?<=[.!?])\s+")
KINDS = ("short copy", "copy, dropped", "shared quote", "one-sided lead", "lead + tail")


def half_of(source_id: str) -> str:
    return "tune" if hashlib.sha1(source_id.encode()).digest()[0] % 2 == 0 else "report"


def lead(paras: list[str], k: int, rng: random.Random) -> str:
    """The first ``k`` words of the body, cut at a sentence end within 6 words when there is one."""
    words = " ".join(paras).split()
    text = " ".join(words[:k + 6])
    ends = [m.start() for m in SENT_END.finditer(text)]
    near = [e for e in ends if abs(len(text[:e].split()) - k) <= 6]
    if near and rng.random() < 0.7:
        return text[:near[-1]]
    return " ".join(words[:k])


def build(out: Path, half: str, seed: int) -> tuple[dict[str, str], dict[str, str]]:
    """Write the corpus; returns (file name -> true cluster: story id, or the file's own name;
    file name -> kind, for the short documents)."""
    rng = random.Random(seed)
    bodies = [b for b in synd_gen.load_english(synd_gen.CORPORA) if half_of(b[0]) == half]
    rng.shuffle(bodies)
    truth: dict[str, str] = {}
    kinds: dict[str, str] = {}
    n = 0

    def write(text: str, cluster: str | None, kind: str | None = None) -> None:
        nonlocal n
        name = f"d{n:04d}.txt"
        n += 1
        (out / name).write_text(text, encoding="utf-8")
        truth[name] = cluster or name
        if kind:
            kinds[name] = kind

    stories, loners = bodies[:len(bodies) * 3 // 4], bodies[len(bodies) * 3 // 4:]
    stories = [(sid, title, list(paras)) for sid, title, paras in stories]
    shorts: list[tuple[str, str | None, str]] = []  # (text, true cluster, kind): written after the stories
    for i, (sid, title, paras) in enumerate(stories):
        k = rng.randint(12, 60)
        kind = ("short copy", "copy, dropped", "shared quote", "lead + tail")[i % 4]
        if kind == "short copy" or i % 8 == 2:
            shorts.append((f"{synd_gen.new_headline(title, rng)}\n\n{lead(paras, k, rng)}", sid, "short copy"))
        if kind == "copy, dropped":
            words = lead(paras, k, rng).split()
            del words[len(words) // 2]
            shorts.append((f"{synd_gen.new_headline(title, rng)}\n\n{' '.join(words)}", sid, kind))
        if kind == "shared quote":
            quote = next((p for p in paras[1:] if 15 <= len(p.split()) <= 45), None)
            if quote is None:
                continue
            for _, _, qparas in rng.sample([s for s in stories if s[0] != sid], 2):  # quoted in two others
                qparas.insert(rng.randint(1, max(1, len(qparas) - 1)), f"As one report put it: {quote}")
            shorts.append((f"{title[:40]} (excerpt)\n\n{quote}", None, kind))
        if kind == "lead + tail":
            other = rng.choice([s for s in stories if s[0] != sid])
            tail = SENT_END.split(" ".join(other[2]))[-1]
            shorts.append((f"{synd_gen.new_headline(title, rng)}\n\n{lead(paras, k, rng)} {tail}", None, kind))
    for sid, title, paras in stories:
        for variant in range(3):
            write(f"{title if variant == 0 else synd_gen.new_headline(title, rng)}\n\n" + "\n\n".join(paras), sid)
    for text, cluster, kind in shorts:
        write(text, cluster, kind)
    for sid, title, paras in loners:
        write(f"{title}\n\n{lead(paras, rng.randint(12, 60), rng)}", None, "one-sided lead")
    return truth, kinds


def score(truth: dict[str, str], got: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall over same-cluster pairs, and per-kind outcomes."""
    def pairs(labels: dict[str, str]) -> set[tuple[str, str]]:
        by: dict[str, list[str]] = {}
        for f, c in labels.items():
            by.setdefault(c, []).append(f)
        return {(a, b) for fs in by.values() for i, a in enumerate(sorted(fs)) for b in sorted(fs)[i + 1:]}

    t, g = pairs(truth), pairs({f: got[f] for f in truth if f in got})
    tp = len(t & g)
    return {"pairs_true": len(t), "pairs_found": len(g), "tp": tp,
            "precision": tp / len(g) if g else 1.0, "recall": tp / len(t) if t else 1.0}


def run(corpus: Path, truth: dict[str, str], kinds: dict[str, str], cfg: Config) -> dict[str, object]:
    docs, rejected = [], 0
    for r in iter_processed(corpus, list(discover(corpus, cfg.read)), cfg):
        if isinstance(r, Document):
            docs.append(r)
        else:
            rejected += 1
    g = group_documents(docs, cfg)
    article = {d["source"]["path"]: d["article_id"] for d in g.documents}
    res: dict[str, object] = score(truth, article)
    # each short document: joined its story (truth says so) or stayed alone (truth: own name)
    size = Counter(article.values())
    for kind in KINDS:
        files = [f for f, k in kinds.items() if k == kind]
        merged = sum(1 for f in files if size[article.get(f, "")] > 1)
        right = sum(1 for f in files if (size[article.get(f, "")] > 1) == (truth[f] != f)
                    and (truth[f] == f or article.get(f) == article.get(_first(truth, truth[f]))))
        res[kind] = f"merged {merged}/{len(files)}, right {right}"
    res["rejected"] = rejected
    return res


def _first(truth: dict[str, str], cluster: str) -> str:
    return min(f for f, c in truth.items() if c == cluster)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--half", choices=("tune", "report"), default="tune")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sweep", default=None, help="comma list of min_short_copy_shingles values")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp)
        truth, kinds = build(corpus, args.half, args.seed)
        print(f"{len(truth)} documents, {len(set(truth.values()))} true clusters (half {args.half}, seed {args.seed})")
        base = Config().validate()
        values = [int(v) for v in args.sweep.split(",")] if args.sweep else [base.dedup.min_short_copy_shingles]
        for v in values:
            cfg = replace(base, dedup=replace(base.dedup, min_short_copy_shingles=v))
            print(f"min_short_copy_shingles={v}: {run(corpus, truth, kinds, cfg)}")


if __name__ == "__main__":
    main()
