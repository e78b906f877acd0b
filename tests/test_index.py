"""The document index: the SQLite and Redis backends give the memory backend's buckets, in its
order, so the same candidate pairs (every pair of documents with one band equal, found here by
brute force); the Redis tests start a real redis-server (tests/test_distributed.py's fixture)
and skip without one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from cleaners.config import DedupConfig
from cleaners.kernels import ClusterLinker, shingle_ids, signatures
from cleaners.match.dedup import find_clusters
from cleaners.match.index import INDEXES, DocumentIndex, open_index

OTHERS = ["sqlite", "redis"]  # each compared with the memory backend


def where(kind: str, request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("redis_url") if kind == "redis" else None


def bucket_lists(index: DocumentIndex) -> list[list[list[int]]]:
    """Each band's buckets, as lists of document numbers."""
    return [[members[s:e].tolist() for s, e in zip(starts.tolist(), ends.tolist())]
            for members, starts, ends in index.buckets()]


def pairs_of(bands: list[list[list[int]]]) -> list[list[int]]:
    """Every pair of documents sharing a bucket in some band, sorted (as ``lsh_pairs`` lists them)."""
    return [list(p) for p in sorted({(a, b) for buckets in bands for bucket in buckets
                                     for n, b in enumerate(bucket) for a in bucket[:n]})]


def band_pairs(hv: np.ndarray, bands: int, rows: int, mask: np.ndarray) -> list[list[int]]:
    """The candidate pairs by brute force: kept rows i < j equal on all of some band's values."""
    same = np.zeros((len(hv), len(hv)), dtype=bool)
    for b in range(bands):
        band = hv[:, b * rows:(b + 1) * rows]
        same |= (band[:, None, :] == band[None, :, :]).all(axis=2)
    same &= mask[:, None] & mask[None, :]
    return np.argwhere(np.triu(same, 1)).tolist()


def indexed(kind: str, at: str | None, hv: np.ndarray, bands: int, rows: int,
            mask: np.ndarray | None = None, split: int | None = None) -> list[list[list[int]]]:
    """The buckets of ``hv``'s rows in a new index, added in two parts when ``split`` is given."""
    with open_index(kind, at, bands, rows) as index:
        cut = len(hv) if split is None else split
        index.add(hv[:cut], None if mask is None else mask[:cut])
        if split is not None:
            index.add(hv[cut:], None if mask is None else mask[cut:])
        return bucket_lists(index)


def planted(rng: np.random.Generator, n: int, cols: int, dtype: type) -> np.ndarray:
    """Random signatures over five values, one the largest (chance collisions, and orders that
    differ as signed, or as little-endian bytes), with copies of rows and of bands planted."""
    top = np.iinfo(dtype).max
    values = np.r_[rng.integers(0, top, 4, dtype=dtype, endpoint=True), top].astype(dtype)
    hv = values[rng.integers(0, len(values), size=(n, cols))]
    hv[rng.integers(0, n, n // 5)] = hv[rng.integers(0, n, n // 5)]  # whole copies
    src, dst = rng.integers(0, n, n // 3), rng.integers(0, n, n // 3)
    hv[dst, :cols // 2] = hv[src, :cols // 2]  # half copies: some bands shared
    return hv


SHAPES = [  # (dtype, bands, rows): packed keys (<= 8 bytes a band) and wide ones (numbered by band_key)
    (np.uint32, 8, 2), (np.uint32, 6, 3), (np.uint64, 8, 1), (np.uint64, 4, 2), (np.uint32, 1, 1),
]


@pytest.mark.parametrize("kind", OTHERS)
def test_backends_give_the_memory_buckets_on_random_signatures(kind: str, request: pytest.FixtureRequest) -> None:
    at = where(kind, request)
    for seed, (dtype, bands, rows) in enumerate(SHAPES * 3):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 120))
        hv = planted(rng, n, bands * rows + int(rng.integers(0, 3)), dtype)
        mask = rng.random(n) > 0.15
        split = int(rng.integers(0, n + 1))
        want = indexed("memory", None, hv, bands, rows, mask)
        assert indexed("memory", None, hv, bands, rows, mask, split) == want, (seed, dtype, bands, rows)
        assert indexed(kind, at, hv, bands, rows, mask, split) == want, (seed, dtype, bands, rows)
        assert pairs_of(want) == band_pairs(hv, bands, rows, mask)
        assert pairs_of(want), "the planted copies make candidates"


def reprints(rng: np.random.Generator, stories: int, copies: int) -> tuple[list[list[str]], set[tuple[int, int]]]:
    """Word lists of stories and their lightly edited reprints; the (story, reprint) pairs."""
    vocab = [f"w{i}" for i in range(3000)]
    docs: list[list[str]] = []
    planted_pairs = set()
    for _ in range(stories):
        story = [vocab[i] for i in rng.integers(0, len(vocab), int(rng.integers(80, 400)))]
        first = len(docs)
        docs.append(story)
        for _ in range(copies):
            copy = list(story)
            for at in rng.integers(0, len(copy), len(copy) // 50):  # about 2 % of the words changed
                copy[at] = vocab[int(rng.integers(0, len(vocab)))]
            planted_pairs.add((first, len(docs)))
            docs.append(copy)
    docs.append([])  # an empty document: not indexed
    return docs, planted_pairs


def sketches(words: list[list[str]], cfg: DedupConfig) -> tuple[list[np.ndarray], np.ndarray]:
    """Each document's shingle ids, and the signature matrix."""
    ids, counts = shingle_ids(words, cfg.shingle_words, cfg.shingle_hash)
    hv = signatures(ids, counts, cfg.num_perm, cfg.seed, cfg.scheme)
    return np.split(ids, np.cumsum(counts)[:-1]), hv


@pytest.mark.parametrize("kind", OTHERS)
def test_backends_give_the_memory_buckets_on_texts(kind: str, request: pytest.FixtureRequest) -> None:
    cfg = DedupConfig()
    words, planted_pairs = reprints(np.random.default_rng(7), 30, 3)
    shingles, hv = sketches(words, cfg)
    nonempty = np.array([len(x) > 0 for x in shingles])
    want = indexed("memory", None, hv, cfg.lsh_bands, cfg.lsh_rows, nonempty)
    assert indexed(kind, where(kind, request), hv, cfg.lsh_bands, cfg.lsh_rows, nonempty, 50) == want
    got = pairs_of(want)
    assert got == band_pairs(hv, cfg.lsh_bands, cfg.lsh_rows, nonempty)
    assert planted_pairs <= {(a, b) for a, b in got}
    assert len(words) - 1 not in {d for p in got for d in p}


@pytest.mark.parametrize("kind", ["memory", *OTHERS])
def test_linking_the_buckets_gives_find_clusters_result(kind: str, request: pytest.FixtureRequest) -> None:
    """Walking any backend's buckets through the linker gives the clusters find_clusters finds
    today, after the same number of comparisons (what wiring the index in must keep)."""
    cfg = DedupConfig()
    words, _ = reprints(np.random.default_rng(3), 25, 4)
    shingles, hv = sketches(words, cfg)
    linker = ClusterLinker(shingles, cfg.jaccard_threshold, cfg.containment_threshold,
                           cfg.min_containment_shingles)
    with open_index(kind, where(kind, request), cfg.lsh_bands, cfg.lsh_rows) as index:
        index.add(hv, np.array([len(x) > 0 for x in shingles]))
        for buckets in index.buckets():
            linker.link(*buckets)
    groups: dict[int, list[int]] = {}
    for doc, root in enumerate(linker.roots()):
        groups.setdefault(root, []).append(doc)
    today = find_clusters(shingles, cfg, hv)
    assert (sorted(groups.values()), linker.compared) == (today.groups, today.compared)
    assert len(today.groups) == 25 + 1  # the stories, and the empty document alone


@pytest.mark.parametrize("kind", ["memory", *OTHERS])
def test_empty_and_single_documents(kind: str, request: pytest.FixtureRequest) -> None:
    at = where(kind, request)
    no_buckets = [[]] * 4
    with open_index(kind, at, 4, 2) as index:
        assert bucket_lists(index) == no_buckets  # nothing added
        index.add(np.zeros((0, 8), dtype=np.uint32))
        assert bucket_lists(index) == no_buckets
        index.add(np.ones((1, 8), dtype=np.uint32))
        assert bucket_lists(index) == no_buckets  # one document shares a bucket with no other
        index.add(np.ones((2, 8), dtype=np.uint32), np.array([False, False]))
        assert bucket_lists(index) == no_buckets  # masked rows are left out
        index.add(np.ones((1, 8), dtype=np.uint32))
        assert bucket_lists(index) == [[[0, 3]]] * 4  # numbered after the masked rows


@pytest.mark.parametrize("kind", ["memory", *OTHERS])
def test_big_buckets(kind: str, request: pytest.FixtureRequest) -> None:
    hv = np.zeros((25_000, 4), dtype=np.uint32)  # one bucket of everyone, larger than a Redis page
    hv[::2, 2:] = 1  # and in band 1, two buckets: even and odd documents
    with open_index(kind, where(kind, request), 2, 2) as index:
        index.add(hv[:10_000])
        index.add(hv[10_000:])
        got = bucket_lists(index)
    assert got == [[list(range(25_000))], [list(range(1, 25_000, 2)), list(range(0, 25_000, 2))]]


def test_the_kinds_and_bad_arguments(tmp_path: Path) -> None:
    assert set(INDEXES) == {"memory", "sqlite", "redis"}
    with pytest.raises(ValueError, match=r"unknown document index 'lmdb'; choose one of memory, sqlite, redis"):
        open_index("lmdb", None, 4, 2)
    with pytest.raises(ValueError, match=r"needs the server's URL, e\.g\. redis://"):
        open_index("redis", None, 4, 2)
    with pytest.raises(ValueError, match=r"no location, got 'x\.db'"):
        open_index("memory", "x.db", 4, 2)
    with pytest.raises(ValueError, match=r"bands >= 1 and rows >= 1, got bands=0"):
        open_index("memory", None, 0, 2)
    with open_index("memory", None, 4, 2) as index:
        with pytest.raises(ValueError, match=r"need an \(n, >= 8\) signature matrix .* got shape \(3, 6\)"):
            index.add(np.zeros((3, 6), dtype=np.uint32))
        with pytest.raises(ValueError, match=r"one bool per row \(3\), got shape \(2,\)"):
            index.add(np.zeros((3, 8), dtype=np.uint32), np.ones(2, dtype=bool))
        index.add(np.zeros((3, 8), dtype=np.uint32))
        with pytest.raises(ValueError, match=r"dtype uint64 cannot join an index of uint32 ones"):
            index.add(np.zeros((3, 8), dtype=np.uint64))


def test_unreachable_redis_names_the_url_and_the_fix() -> None:
    pytest.importorskip("redis")
    from tests.conftest import _free_port

    url = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    with pytest.raises(ConnectionError, match=rf"at '{url}'.*start redis-server or drop --lsh-redis"):
        open_index("redis", url, 4, 2)


def test_sqlite_in_a_file_is_dropped_at_close_and_a_leftover_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "index.db")
    hv = np.ones((2, 8), dtype=np.uint32)
    assert indexed("sqlite", path, hv, 4, 2) == indexed("memory", None, hv, 4, 2) == [[[0, 1]]] * 4
    assert indexed("sqlite", path, hv, 4, 2) == [[[0, 1]]] * 4  # the closed index left nothing behind
    assert not Path(path).exists()  # the file it made is removed with it
    left = open_index("sqlite", path, 4, 2)  # not closed: as after a crash
    left.add(hv)
    left.db.commit()  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"'.*index\.db'.*remove the file or give another path"):
        open_index("sqlite", path, 4, 2)
    left.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_redis_keys_live_under_the_index_prefix_until_close(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    with open_index("redis", redis_url, 4, 2) as one, open_index("redis", redis_url, 4, 2) as two:
        one.add(np.ones((2, 8), dtype=np.uint32))
        two.add(np.ones((3, 8), dtype=np.uint32))
        assert bucket_lists(one) == [[[0, 1]]] * 4 and bucket_lists(two) == [[[0, 1, 2]]] * 4
        assert len(client.keys(f"{one.prefix}*")) == 4  # type: ignore[attr-defined]
    assert client.keys("*") == []
    client.close()


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_the_match_step_gives_the_same_articles_through_each_index(kind: str, tmp_path: Path,
                                                                    request: pytest.FixtureRequest) -> None:
    """Config.index drives both the boilerplate pass and the final matching: the whole match step
    through SQLite (a file) or Redis gives the memory index's documents and articles."""
    import dataclasses

    from cleaners.config import Config
    from cleaners.match.articles import group_documents
    from cleaners.records import Document, Source

    rng = np.random.default_rng(7)
    words, _ = reprints(rng, stories=12, copies=3)
    docs = [Document(doc_id=f"d{i:03d}", source=Source(path=f"{i}.txt", record=None, sha256=f"{i:064x}",
                                                        format="txt", url=f"https://site{i % 4}.example/{i}",
                                                        outlet=f"site{i % 4}.example"),
                     title=None, published=None, language="en",
                     paragraphs=(" ".join(w), "Subscribe to our weekly newsletter for more."))
            for i, w in enumerate(words)]
    at = str(tmp_path / "index.sqlite") if kind == "sqlite" else request.getfixturevalue("redis_url")
    base = group_documents(docs, Config().validate())
    other = group_documents(docs, dataclasses.replace(Config(), index=kind, index_url=at).validate())
    assert len(base.articles) < len(docs)  # reprints merged: the comparison is not vacuous
    assert other.documents == base.documents and other.articles == base.articles
