"""Speed: signature stage, text-input pipeline, HTML extraction, design-card baseline.

One run builds a corpus of N documents of realistic size from real text and
times, side by side:

  sig   signature stage on the N texts (tokens from ``norm_words`` given):
        the readable path (``tests.reference.minhash``: sha1 ``shingle_ids`` +
        datasketch ``signature`` per document) vs datasketch ``update_batch`` alone
        on the same sha1 ids vs ``cleaners.kernels.signatures`` (signatures alone on
        the same ids, and bulk ``shingle_ids`` + signatures); the same for the
        sentence signatures of ``cleaners.match.passages`` (word 3-grams, 64 perms);
        MinHashLSH insert+query of the signatures (64 x 2 bands) and the same
        buckets from ``band_key`` + ``band_buckets``.
  text  ``discover`` + ``tests.reference.batch.process_files`` +
        ``cleaners.match.articles.group_documents`` on N .txt files in a temp folder
        (per-stage times); the same again once imports and first calls are
        paid (steady state), and from it the rate 2 cores could reach at best
        (the ceiling of the text target before any orchestration); and
        ``process_files`` split over 2 worker processes.
  html  ``trafilatura.extract`` alone vs ``cleaners.clean.pipeline.clean`` on the same
        HTML pages (bytes in memory), timed page by page, interleaved.
  card  the design card's libraries out of the box on the same inputs:
        trafilatura.extract (HTML) / the .txt as UTF-8, ftfy.fix_text,
        datasketch MinHash.update per lower-cased whitespace word 5-gram,
        MinHashLSH(threshold=0.8) insert + query.

Each stage runs in a fresh worker process, so "peak MB" is that stage's own
peak RSS (``resource.getrusage``, interpreter and imports included). The load
average is recorded at the start and end of every stage: another benchmark may
share the machine.

Corpus (deterministic): the 181 scrapinghub_aeb article bodies
(ground-truth.json). To reach N documents without making N copies of 181
stories, each new story re-spells a body with a story-specific word map (every
word but the 40 commonest is replaced by a corpus word of the same length), so
stories keep real sizes and paragraph/sentence structure but share no
shingles. 30 % of the documents are edited copies of an earlier story (end
cut, dateline, a few words changed), 3 % quote a paragraph of another story,
documents are spread over 20 outlet folders, each with a footer line. HTML:
the 181 scrapinghub_aeb pages, cycled, each repeat made unique by an HTML
comment; and the same pages again with their date only in visible text
(``visible_date_page``: date meta tags, JSON-LD, datetime attributes and URL
dates removed, a timestamp line or <time> text of one of several forms added).

Usage:
  .venv/bin/python benchmarks/bench_speed.py [CORPUS_ROOT] --n 2000
  .venv/bin/python benchmarks/bench_speed.py --n 10000 --stages sig,text
  .venv/bin/python benchmarks/bench_speed.py --n 300 --stages text --profile text
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

STAGES = ("sig", "text", "html", "card")
OUTLETS = 20
WORD = re.compile(r"([A-Za-z]+)")


# --------------------------------------------------------------------------- corpus


def corpus_dir(root: Path) -> Path:
    return root / "scrapinghub_aeb"


def load_bodies(root: Path) -> list[str]:
    gt = json.loads((corpus_dir(root) / "ground-truth.json").read_text(encoding="utf-8"))
    return [gt[k]["articleBody"] for k in sorted(gt) if (gt[k].get("articleBody") or "").strip()]


def _vocab(bodies: list[str]) -> tuple[set[str], dict[int, list[str]]]:
    counts = Counter(w.lower() for b in bodies for w in WORD.findall(b))
    stop = {w for w, _ in counts.most_common(40)}
    by_len: dict[int, list[str]] = {}
    for w in sorted(counts):
        by_len.setdefault(len(w), []).append(w)
    return stop, by_len


def _respell(text: str, rng: random.Random, stop: set[str], by_len: dict[int, list[str]]) -> str:
    mapping: dict[str, str] = {}
    parts = WORD.split(text)
    for i in range(1, len(parts), 2):
        w = parts[i]
        lw = w.lower()
        if lw in stop:
            continue
        new = mapping.get(lw)
        if new is None:
            new = mapping[lw] = rng.choice(by_len.get(len(lw)) or [lw])
        parts[i] = new.capitalize() if w[0].isupper() else new
    return "".join(parts)


def build_text_corpus(root: Path, n: int, out: Path, seed: int = 1) -> dict[str, Any]:
    """N .txt files under out/outletNN/: title line, blank line, paragraphs."""
    bodies = load_bodies(root)
    stop, by_len = _vocab(bodies)
    rng = random.Random(seed)
    stories: list[tuple[str, list[str]]] = []
    kinds = Counter()
    for i in range(n):
        outlet = i % OUTLETS
        r = rng.random()
        if stories and r < 0.30:  # an edited copy of an earlier story
            title, paras = rng.choice(stories)
            paras = list(paras[: max(1, len(paras) - rng.randint(0, 2))])
            words = paras[0].split(" ")
            for _ in range(3):
                j = rng.randrange(len(words))
                words[j] = rng.choice(by_len.get(len(words[j]), [words[j]]))
            paras[0] = f"CITY{outlet} (Wire) -- " + " ".join(words)
            kinds["copy"] += 1
        else:
            base = bodies[i % len(bodies)]
            text = base if i < len(bodies) else _respell(base, random.Random(seed * 1_000_003 + i),
                                                         stop, by_len)
            paras = [p.strip() for p in text.split("\n") if p.strip()]
            title = " ".join(paras[0].split()[:9]).rstrip(".,;:")
            stories.append((title, paras))
            kinds["story"] += 1
        if len(stories) > 1 and rng.random() < 0.03:  # quote another story's paragraph
            _, other = rng.choice(stories)
            paras = list(paras)
            paras.insert(rng.randrange(len(paras) + 1), rng.choice(other))
            kinds["quote"] += 1
        footer = f"Copyright 2024 Outlet {outlet} News. All rights reserved."
        d = out / f"outlet{outlet:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"doc{i:06d}.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n\n" + footer + "\n",
                                           encoding="utf-8")
    return {"documents": n, **kinds}


def load_text_files(text_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(text_dir.rglob("*.txt"))]


def load_html_pages(root: Path, n: int) -> list[bytes]:
    files = sorted((corpus_dir(root) / "html").glob("*.html.gz"))
    raw = [gzip.decompress(f.read_bytes()) for f in files]
    pages = []
    for i in range(n):
        page = raw[i % len(raw)]
        if i >= len(raw):  # a unique copy: nothing can be served from a cache
            page = page + f"\n<!-- copy {i} -->\n".encode()
        pages.append(page)
    return pages


# Page set 2: the same pages with their date only in visible text. Removed: meta tags naming a
# date or time, JSON-LD blocks, itemprop date attributes, the datetime attribute of <time>,
# and dates in URLs (/2024/10/17/, 2024-10-17); inserted: a timestamp line before the first
# paragraph, or a <time> element without datetime at the top of the body, in one of these
# forms (parse_timestamp reads the first four; the last two only htmldate's extensive search).
VISIBLE_DATE_FORMS = ("Updated 13:53 JST, October {d}, 2024", "Oct. {d}, 2024 at 1:53 p.m. ET",
                      "Thursday {d} October 2024", "Published 2024-10-{d:02d} 13:53",
                      "{d}/10/2024 13:53", "2024年10月{d}日 13時53分")
_DATE_META = re.compile(rb"<meta\b[^>]*(?:date|time|published|modified|created|issued)[^>]*>", re.I)
_LD_JSON = re.compile(rb"<script\b[^>]*application/ld\+json[^>]*>.*?</script>", re.I | re.S)
_DATE_ATTRS = re.compile(rb"""\s(?:datetime|itemprop|data-(?:date|time|timestamp|published)[\w-]*)"""
                         rb"""\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_URL_DATE = re.compile(rb"/(?:19|20)\d\d[/-]\d{1,2}(?:[/-]\d{1,2})?(?=/)|(?:19|20)\d\d-?\d\d-?\d\d(?=[/_.-])")
_FIRST_P = re.compile(rb"<p[\s>]", re.I)
_BODY = re.compile(rb"<body[^>]*>", re.I)


def visible_date_page(page: bytes, i: int) -> bytes:
    """Page set 2 (see VISIBLE_DATE_FORMS): page i of it, made from a page of set 1."""
    page = _URL_DATE.sub(b"/", _DATE_ATTRS.sub(b"", _LD_JSON.sub(b"", _DATE_META.sub(b"", page))))
    form = VISIBLE_DATE_FORMS[i % len(VISIBLE_DATE_FORMS)].format(d=1 + i % 28).encode()
    if (i // len(VISIBLE_DATE_FORMS)) % 2 and (body := _BODY.search(page)):
        return page[:body.end()] + b"<header><time>" + form + b"</time></header>" + page[body.end():]
    at = m.start() if (m := _FIRST_P.search(page)) else len(page)
    return page[:at] + b"<p>" + form + b"</p>" + page[at:]


# --------------------------------------------------------------------------- helpers


def _peak_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _row(stage: str, system: str, docs: int, sec: float, **extra: Any) -> dict[str, Any]:
    return {"stage": stage, "system": system, "docs": docs, "sec": round(sec, 3),
            "docs_s": round(docs / sec, 1) if sec > 0 else None, **extra}


def _best(fn, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


class Timers:
    """Wrap module functions to accumulate their wall time (no source edits)."""

    def __init__(self) -> None:
        self.sec: Counter = Counter()
        self.calls: Counter = Counter()
        self._originals: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, name: str, label: str) -> None:
        """Time module.name under label (skipped, with a warning on stderr, when the module has no such name)."""
        fn = getattr(module, name, None)
        if fn is None:
            print(f"warning: {module.__name__}.{name} not found (renamed?): row '{label}' is not timed",
                  file=sys.stderr, flush=True)
            return
        self.sec[label] += 0.0  # report in registration order

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.sec[label] += time.perf_counter() - t0
                self.calls[label] += 1

        self._originals.append((module, name, fn))
        setattr(module, name, timed)

    def restore(self) -> None:
        """Put the wrapped functions back (their timings are kept)."""
        for module, name, fn in reversed(self._originals):
            setattr(module, name, fn)
        self._originals.clear()


# --------------------------------------------------------------------------- stages


def stage_sig(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    import numpy as np
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    import cleaners.kernels as k
    from cleaners.config import Config
    from tests.reference.minhash import shingle_ids, signature
    from tests.reference.passages import doc_sentences

    cfg = Config()
    d, p = cfg.dedup, cfg.passages
    texts = load_text_files(work / "text")
    n = len(texts)
    rows = []
    t_tok, words = _best(lambda: [k.norm_words(t) for t in texts], 1)
    rows.append(_row("sig", "tokenise: kernels.norm_words (input to all rows below)", n, t_tok))

    def ident(x: int) -> int:
        return x

    def signed(arrays: list[np.ndarray]) -> np.ndarray:  # kernels.signatures of one id array a document
        return k.signatures(np.concatenate(arrays), [len(a) for a in arrays], d.num_perm, d.seed, d.scheme)

    t_prod, _ = _best(lambda: [signature(shingle_ids(w, d.shingle_words), d.num_perm, d.scheme, d.seed)
                                  for w in words], 1)
    rows.append(_row("sig", "readable path: sha1 shingle_ids + datasketch signature per document", n, t_prod))
    t_ids, ids = _best(lambda: [shingle_ids(w, d.shingle_words) for w in words], 1)
    rows.append(_row("sig", "  of which shingle_ids (hashlib sha1 per shingle)", n, t_ids))
    lists = [x.tolist() for x in ids]

    def ds() -> list[np.ndarray]:
        out = []
        for lst in lists:
            m = MinHash(num_perm=d.num_perm, seed=d.seed, scheme=d.scheme, hashfunc=ident)
            if lst:
                m.update_batch(lst)
            out.append(m.hashvalues)
        return out

    t_ds, ds_out = _best(ds, 1)
    rows.append(_row("sig", "datasketch MinHash + update_batch (same sha1 ids, lists given)", n, t_ds))
    # first call in this process: numba import and kernel load from its cache (or compile), one-off
    t_first, _ = _best(lambda: signed(ids[:1]), 1)
    t_fs, fs = _best(lambda: signed(ids), args.repeat)
    assert all(np.array_equal(a, b) for a, b in zip(ds_out, fs)), "kernels.signatures != datasketch"
    rows.append(_row("sig", "kernels.signatures (same sha1 ids)", n, t_fs,
                     ratio=f"{t_ds / t_fs:.1f}x vs update_batch",
                     note=f"steady state (best of {args.repeat}); one-off in this process: "
                          f"first call {t_first:.2f} s"))
    cold, warm = _jit_first_call_times()
    rows.append(_row("sig", "numba kernel: first signatures() call in a fresh process", 1, warm,
                     note=f"numba import + load: {warm:.2f} s with numba's cache filled, "
                          f"{cold:.2f} s with it empty (compile)"))

    def fast_all() -> np.ndarray:
        fids, counts = k.shingle_ids(words, d.shingle_words, d.shingle_hash)
        return k.signatures(fids, counts, d.num_perm, d.seed, d.scheme)

    t_fast, sig_fast = _best(fast_all, args.repeat)
    rows.append(_row("sig", "kernels: shingle_ids + signatures", n, t_fast,
                     ratio=f"{t_prod / t_fast:.1f}x vs the readable path"))
    t_fsh, _ = _best(lambda: k.shingle_ids(words, d.shingle_words, d.shingle_hash), args.repeat)
    rows.append(_row("sig", f"  of which shingle_ids ({d.shingle_hash})", n, t_fsh,
                     ratio=f"{t_ids / t_fsh:.1f}x vs hashlib sha1 shingle_ids",
                     note=f"{sum(map(len, ids)) / n:.0f} shingles/doc"))

    leans = [LeanMinHash(seed=d.seed, hashvalues=row, scheme=d.scheme) for row in sig_fast]

    def lsh_run() -> int:
        lsh = MinHashLSH(num_perm=d.num_perm, params=(d.lsh_bands, d.lsh_rows))
        for i, m in enumerate(leans):
            lsh.insert(i, m, check_duplication=False)
        return sum(len(lsh.query(m)) for m in leans)

    t_lsh, cands = _best(lsh_run, 1)
    rows.append(_row("sig", f"MinHashLSH {d.lsh_bands}x{d.lsh_rows} insert+query", n, t_lsh,
                     note=f"{cands / n:.1f} candidates/doc"))

    def buckets() -> int:
        idx, r = np.arange(n), d.lsh_rows
        return sum(len(k.band_buckets(k.band_key(sig_fast[:, b * r:(b + 1) * r]), idx)[1]) for b in range(d.lsh_bands))

    t_band, n_buckets = _best(buckets, args.repeat)
    rows.append(_row("sig", "kernels.band_key + band_buckets (the same buckets)", n, t_band,
                     ratio=f"{t_lsh / t_band:.0f}x vs MinHashLSH", note=f"{n_buckets} buckets of 2+"))

    # Sentence signatures, as cleaners.match.passages computes them (sha1_hash32 word 3-grams)
    sents = [s for i, t in enumerate(texts) for s in doc_sentences(i, t, p.min_words)]
    swords = [[t.norm for t in s.toks] for s in sents]
    ns = len(sents)
    t_sp, _ = _best(lambda: [signature(shingle_ids(w, p.shingle_words), p.num_perm, d.scheme, d.seed)
                             for w in swords], 1)
    rows.append(_row("sig", f"sentences ({ns / n:.0f}/doc): readable path, sha1 shingle_ids + signature", ns, t_sp))

    def sent_fast() -> np.ndarray:
        sid, scounts = k.shingle_ids(swords, p.shingle_words, "sha1_hash32")
        return k.signatures(sid, scounts, p.num_perm, d.seed, d.scheme)

    t_sf, _ = _best(sent_fast, args.repeat)
    rows.append(_row("sig", "sentences: kernels shingle_ids + signatures", ns, t_sf,
                     ratio=f"{t_sp / t_sf:.1f}x vs the readable path"))
    sflat, scounts = k.shingle_ids(swords, p.shingle_words, "sha1_hash32")
    t_ss, _ = _best(lambda: k.signatures(sflat, scounts, p.num_perm, d.seed, d.scheme), args.repeat)
    rows.append(_row("sig", "  of which signatures", ns, t_ss))
    return rows


def _jit_first_call_times() -> tuple[float, float]:
    """Seconds of the first signatures() call in a fresh process with an empty
    numba cache (import + compile) and then with that cache filled."""
    code = ("import time, numpy as np; import cleaners.kernels as k; "
            "t = time.perf_counter(); k.signatures(np.arange(9, dtype=np.uint32), [9], 128, 1); "
            "print(time.perf_counter() - t)")
    out = []
    with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 cwd=REPO, env=env, check=True)
            out.append(float(res.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


def stage_text(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    from cleaners.clean import pipeline
    from cleaners.config import Config
    from cleaners.match import articles, boilerplate, dedup, passages
    from cleaners.read.readers import discover
    from tests.reference.batch import process_files

    cfg = Config()
    root = work / "text"
    timers = Timers()
    # inside process_files (the per-paragraph repair wrapper adds ~0.3 us per call)
    timers.wrap(pipeline, "decode", "process_files: decode")
    timers.wrap(pipeline, "extract_text", "process_files: extract_text (paragraphs, title)")
    timers.wrap(pipeline, "repair", "process_files: repair (ftfy, per paragraph)")
    timers.wrap(pipeline, "strip_clutter", "process_files: strip_clutter (clutter rules)")
    timers.wrap(pipeline, "detect_language", "process_files: detect_language")
    timers.wrap(articles, "learn_boilerplate", "learn_boilerplate (site boilerplate from the 1st pass)")
    timers.wrap(boilerplate, "find_clusters", "  boilerplate: find_clusters (1st pass)")
    timers.wrap(dedup, "doc_shingles_many", "doc_shingles_many (norm_words + shingle ids)")
    timers.wrap(dedup, "signatures", "signatures (kernels, both passes)")
    timers.wrap(articles, "word_count", "word_count (n_words)")
    timers.wrap(articles, "find_clusters", "find_clusters (LSH buckets + union-find, final pass)")
    timers.wrap(articles, "find_shared_passages", "find_shared_passages")
    timers.wrap(passages, "sentence_table", "  passages: sentence_table (sentences, tokens)")
    timers.wrap(passages, "shingle_ids", "  passages: shingle_ids (sha1_hash32)")
    timers.wrap(passages, "signatures", "  passages: signatures")
    timers.wrap(passages, "band_pairs", "  passages: band_pairs (LSH buckets)")
    timers.wrap(passages, "intersection_sizes", "  passages: intersection_sizes")
    timers.wrap(passages, "_align_classes", "  passages: _align_classes (matching blocks, best runs)")

    prof = None
    if args.profile == "text":
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    items = list(discover(root, cfg.read))
    t1 = time.perf_counter()
    docs, rejects = process_files(root, items, cfg)
    t2 = time.perf_counter()
    grouping = articles.group_documents(docs, cfg)
    t3 = time.perf_counter()
    if prof:
        prof.disable()
        _print_profile(prof, "text")
    n = len(items)
    rows = [
        _row("text", "end to end: discover + process_files + group_documents", n, t3 - t0,
             note=f"{len(docs)} docs, {len(rejects)} rejects, {grouping.stats['articles']} articles, "
                  f"{grouping.stats['shared_passages']} passages"),
        _row("text", "  discover", n, t1 - t0),
        _row("text", "  process_files (read, decode, extract, ftfy, clutter)", n, t2 - t1),
        _row("text", "  group_documents", n, t3 - t2),
    ]
    for label in timers.sec:
        if not timers.calls[label]:
            continue
        rows.append(_row("text", "    " + label, n, timers.sec[label], note=f"{timers.calls[label]} calls"))
    peak = _peak_mb()
    for r in rows[:1]:
        r["peak_mb"] = round(peak, 1)
    rows += _steady_ceiling(root, items, cfg, n, timers)
    # process_files on 2 worker processes (the 2-core ceiling of the cleaning step). Spawned, as
    # the flow's ProcessPoolTaskRunner starts them: each pays its imports and first calls, and
    # none inherits this process's memories (a forked worker would find every paragraph's
    # clutter verdict already remembered from the run above).
    for ctx, what in (("spawn", "2 spawned processes, as the flow's pool (imports and first calls included)"),
                      ("fork", "2 forked processes, memories emptied (imports and first calls done)")):
        t4 = time.perf_counter()
        n2 = _process_files_parallel(root, items, cfg, jobs=2, context=ctx)
        t5 = time.perf_counter()
        rows.append(_row("text", "process_files on " + what, n, t5 - t4,
                         note=f"{n2} docs; end to end with it: {n / (t1 - t0 + t5 - t4 + t3 - t2):.0f} docs/s"))
    return rows


def _steady_ceiling(root: Path, items: list[Any], cfg: Any, n: int, timers: Timers) -> list[dict[str, Any]]:
    """The work per document once imports and first calls are paid (best of 2, the cleaning
    step's memories emptied before each run, as a new worker has them), and the rate 2 cores
    could reach with it: the ceiling of the text target before any orchestration cost."""
    import cleaners.match.articles as articles
    from tests.reference.batch import process_files

    timers.restore()  # the wrappers' own cost stays out of these rows
    clean_s, match_s = float("inf"), float("inf")
    for _ in range(2):
        _forget()
        t0 = time.perf_counter()
        docs, _ = process_files(root, items, cfg)
        t1 = time.perf_counter()
        articles.group_documents(docs, cfg)
        t2 = time.perf_counter()
        clean_s, match_s = min(clean_s, t1 - t0), min(match_s, t2 - t1)
    per = f"{1e3 * clean_s / n:.2f} ms cleaning + {1e3 * match_s / n:.2f} ms matching a document"
    return [
        _row("text", "steady state, one process: process_files (memories emptied, best of 2)", n, clean_s,
             note=f"{1e3 * clean_s / n:.2f} ms/doc"),
        _row("text", "steady state, one process: group_documents (best of 2)", n, match_s,
             note=f"{1e3 * match_s / n:.2f} ms/doc"),
        _row("text", "2-core ceiling, cleaning split over 2 cores, matching on 1", n, clean_s / 2 + match_s,
             note=per + "; no start-up, no orchestration"),
        _row("text", "2-core ceiling, all work split perfectly over 2 cores", n, (clean_s + match_s) / 2,
             note="the most any scheduling of this work can give"),
    ]


def _pf_batch(task: tuple[str, list[Any], dict[str, Any]]) -> list[Any]:
    from cleaners.config import Config
    from tests.reference.batch import process_files
    root, items, cfg = task
    docs, _ = process_files(Path(root), items, Config.from_dict(cfg))
    return docs


def _forget() -> None:
    """Empty the cleaning step's memories (a forked worker inherits them)."""
    import cleaners.clean.clutter as clutter
    clutter._steps.cache_clear()  # the rule steps, each with its verdicts
    clutter._COUNTS.clear()
    clutter._words.cache_clear()
    clutter._lower.cache_clear()


def _process_files_parallel(root: Path, items: list[Any], cfg: Any, jobs: int, context: str) -> int:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from cleaners.clean.batch import batch_size_for
    size = batch_size_for(len(items), jobs, cfg.batch_size)  # as the flow sizes them
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(context),
                             initializer=_forget if context == "fork" else None) as pool:
        return sum(len(d) for d in pool.map(_pf_batch, [(str(root), b, cfg.to_dict()) for b in batches]))


def stage_html(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    import trafilatura

    from cleaners.config import Config
    from cleaners.clean.pipeline import clean
    from cleaners.records import RawDoc, Source

    cfg = Config()
    pages = load_html_pages(Path(args.root), args.html_n)
    # warm-up: lazy state of trafilatura/htmldate/justext stays out of the timings
    for i, data in enumerate(pages[:3]):
        trafilatura.extract(data)
        clean(RawDoc(Source(path=f"w{i}.html", record=None, sha256="", format="html"), data, "html"), cfg)
    prof = None
    if args.profile == "html":
        import cProfile
        prof = cProfile.Profile()
    rows = []
    for label, page_set in (("", pages), (" [dates only in visible text]",
                                          [visible_date_page(p, i) for i, p in enumerate(pages)])):
        rows += _html_rows(page_set, cfg, prof, label)
    if prof:
        _print_profile(prof, "html")
    return rows


def _html_rows(pages: list[bytes], cfg: Any, prof: Any, label: str) -> list[dict[str, Any]]:
    import trafilatura

    from cleaners.clean.pipeline import clean
    from cleaners.records import Document, RawDoc, Source

    raws = [RawDoc(Source(path=f"p{i:06d}.html", record=None, sha256="", format="html"), data, "html")
            for i, data in enumerate(pages)]
    t_traf = t_prod = 0.0
    ok_traf = ok_prod = dated = 0
    for data, raw in zip(pages, raws):
        t0 = time.perf_counter()
        out = trafilatura.extract(data)
        t1 = time.perf_counter()
        if prof:
            prof.enable()
        res = clean(raw, cfg)
        if prof:
            prof.disable()
        t2 = time.perf_counter()
        t_traf += t1 - t0
        t_prod += t2 - t1
        ok_traf += bool(out)
        ok_prod += isinstance(res, Document)
        dated += isinstance(res, Document) and res.published is not None
    n = len(pages)
    return [
        _row("html", "trafilatura.extract alone (bytes)" + label, n, t_traf, note=f"{ok_traf} with text"),
        _row("html", "product: pipeline.clean (decode, bare_extraction, ftfy, clutter)" + label, n, t_prod,
             ratio=f"{t_prod / t_traf:.2f}x trafilatura time", note=f"{ok_prod} documents, {dated} dated",
             peak_mb=round(_peak_mb(), 1)),
    ]


def _card_minhash(text: str, lsh: Any, key: int) -> Any:
    from datasketch import MinHash
    m = MinHash(num_perm=128, scheme="affine32")
    words = text.lower().split()
    for i in range(max(1, len(words) - 4)):
        m.update(" ".join(words[i:i + 5]).encode("utf-8"))
    lsh.insert(key, m, check_duplication=False)
    return m


def stage_card(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    import ftfy
    import trafilatura
    from datasketch import MinHashLSH

    rows = []
    # .txt input
    texts_bytes = [p.read_bytes() for p in sorted((work / "text").rglob("*.txt"))]
    n = len(texts_bytes)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    t0 = time.perf_counter()
    fixed = [ftfy.fix_text(b.decode("utf-8")) for b in texts_bytes]
    t1 = time.perf_counter()
    sigs = [_card_minhash(t, lsh, i) for i, t in enumerate(fixed)]
    t2 = time.perf_counter()
    pairs = sum(len(lsh.query(m)) for m in sigs)
    t3 = time.perf_counter()
    rows += [
        _row("card", "text: ftfy + MinHash.update per 5-gram + LSH(0.8)", n, t3 - t0,
             note=f"{pairs / n:.2f} candidates/doc"),
        _row("card", "  ftfy.fix_text", n, t1 - t0),
        _row("card", "  MinHash.update per shingle + LSH insert", n, t2 - t1),
        _row("card", "  LSH query", n, t3 - t2),
    ]
    # HTML input
    pages = load_html_pages(Path(args.root), args.html_n)
    for data in pages[:3]:
        trafilatura.extract(data)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    te = tf = tm = 0.0
    sigs = []
    for i, data in enumerate(pages):
        a = time.perf_counter()
        out = trafilatura.extract(data) or ""
        b = time.perf_counter()
        out = ftfy.fix_text(out)
        c = time.perf_counter()
        sigs.append(_card_minhash(out, lsh, i))
        e = time.perf_counter()
        te, tf, tm = te + b - a, tf + c - b, tm + e - c
    a = time.perf_counter()
    pairs = sum(len(lsh.query(m)) for m in sigs)
    tq = time.perf_counter() - a
    nh = len(pages)
    rows += [
        _row("card", "html: extract + ftfy + MinHash + LSH(0.8)", nh, te + tf + tm + tq,
             peak_mb=round(_peak_mb(), 1)),
        _row("card", "  trafilatura.extract", nh, te),
        _row("card", "  ftfy.fix_text", nh, tf),
        _row("card", "  MinHash.update per shingle + LSH insert/query", nh, tm + tq),
    ]
    return rows


def _print_profile(prof: Any, name: str) -> None:
    import io
    import pstats
    s = io.StringIO()
    st = pstats.Stats(prof, stream=s)
    st.sort_stats("cumulative").print_stats(35)
    st.sort_stats("tottime").print_stats(25)
    sys.stderr.write(f"\n==== cProfile: {name} ====\n{s.getvalue()}\n")


WORKERS = {"sig": stage_sig, "text": stage_text, "html": stage_html, "card": stage_card}


# --------------------------------------------------------------------------- driver


def versions() -> dict[str, str]:
    from benchmarks.versions import package_versions

    return package_versions(("newsclean", "numpy", "datasketch", "trafilatura", "ftfy", "lxml"))


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({model})"


def run_worker(stage: str, args: argparse.Namespace) -> None:
    work = Path(args.work)
    load0 = _load()
    t0 = time.perf_counter()
    rows = WORKERS[stage](args, work)
    for r in rows:
        r.setdefault("peak_mb", None)
    rows[0]["peak_mb"] = rows[0]["peak_mb"] or round(_peak_mb(), 1)
    info = {"stage": stage, "load_start": load0, "load_end": _load(),
            "wall": round(time.perf_counter() - t0, 1), "peak_mb": round(_peak_mb(), 1)}
    print("BENCH_JSON " + json.dumps({"info": info, "rows": rows}), flush=True)


def print_table(results: list[dict[str, Any]]) -> None:
    print("| stage | system | docs | seconds | docs/s | peak MB | ratio | note |")
    print("|---|---|---|---|---|---|---|---|")
    for res in results:
        for r in res["rows"]:
            print(f"| {r['stage']} | {r['system']} | {r['docs']} | {r['sec']:.3f} | "
                  f"{r['docs_s'] if r['docs_s'] is not None else '-'} | "
                  f"{r['peak_mb'] if r.get('peak_mb') else ''} | {r.get('ratio', '')} | {r.get('note', '')} |")
    print()
    for res in results:
        i = res["info"]
        print(f"- {i['stage']}: worker wall {i['wall']} s, peak RSS {i['peak_mb']} MB, "
              f"load average {i['load_start']} -> {i['load_end']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", default=str(REPO.parent / "shared" / "corpora"),
                    help="corpus root holding scrapinghub_aeb/ (default ../shared/corpora)")
    ap.add_argument("--n", type=int, default=2000, help="documents in the text corpus (default 2000)")
    ap.add_argument("--html-n", type=int, default=None, help="HTML pages (default: --n)")
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma list of {', '.join(STAGES)}")
    ap.add_argument("--repeat", type=int, default=5, help="best of R for the fast (sub-second) rows")
    ap.add_argument("--profile", choices=("text", "html"), default=None,
                    help="print a cProfile of that stage to stderr")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    ap.add_argument("--worker", choices=STAGES, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.html_n is None:
        args.html_n = args.n
    if args.worker:
        run_worker(args.worker, args)
        return 0

    root = Path(args.root)
    if not (corpus_dir(root) / "ground-truth.json").exists() or not (corpus_dir(root) / "html").is_dir():
        print(f"skipped: {corpus_dir(root)} (ground-truth.json, html/) not found")
        return 0
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    bad = [s for s in stages if s not in STAGES]
    if bad:
        ap.error(f"unknown stage(s) {bad}; choose from {', '.join(STAGES)}")
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}")
    print("versions " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print("command " + " ".join([os.path.relpath(sys.executable, REPO)] + sys.argv))
    # cleaners/ may be edited while benchmarks run: record which version was timed
    stamp = max((p.stat().st_mtime, str(p.relative_to(REPO))) for p in (REPO / "cleaners").rglob("*.py"))
    print(f"cleaners/ newest file: {stamp[1]} modified "
          f"{time.strftime('%H:%M:%S UTC', time.gmtime(stamp[0]))}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_speed_") as tmp:
        work = Path(tmp)
        if {"sig", "text", "card"} & set(stages):
            t0 = time.perf_counter()
            info = build_text_corpus(root, args.n, work / "text")
            size = sum(p.stat().st_size for p in (work / "text").rglob("*.txt"))
            print(f"text corpus: {info} in {time.perf_counter() - t0:.1f} s, "
                  f"{size / 1e6:.1f} MB, {size / args.n / 1e3:.1f} KB/doc")
        for stage in stages:
            cmd = [sys.executable, __file__, str(root), "--worker", stage, "--work", str(work),
                   "--n", str(args.n), "--html-n", str(args.html_n), "--repeat", str(args.repeat)]
            if args.profile == stage:
                cmd += ["--profile", stage]
            print(f"running {stage} ...", flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)
            if proc.stderr:
                sys.stderr.write(proc.stderr)
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
            if proc.returncode or line is None:
                print(f"stage {stage} failed (exit {proc.returncode})\n{proc.stdout[-2000:]}")
                continue
            results.append(json.loads(line[len("BENCH_JSON "):]))
    print()
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"versions": versions(), "machine": machine(),
                                               "argv": sys.argv, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
