"""cleaners.kernels: datasketch-exact signatures and LSH buckets, deterministic bulk shingle ids,
exact set comparisons, against the readable versions in tests/reference/minhash.py."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

import cleaners.kernels.minhash as fm
import cleaners.kernels.shingles as sh
from cleaners.kernels import band_buckets, band_key, intersection_sizes, norm_words, similarities
from tests.reference import minhash as ref

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"


def _identity(x: int) -> int:
    return x


def _datasketch(ids: np.ndarray, num_perm: int, seed: int, scheme: str) -> np.ndarray:
    return ref.hashvalues(ids, num_perm, seed, scheme)


def _ids(docs: list, k: int, hash: str = "poly64-fmix64") -> list[np.ndarray]:
    """kernels.shingle_ids, one array a document."""
    ids, counts = sh.shingle_ids(docs, k, hash)
    return np.split(ids, np.cumsum(counts)[:-1]) if len(docs) else []


def _random_arrays(rng: np.random.Generator, n: int, high: int, dtype) -> list[np.ndarray]:
    sizes = list(rng.integers(0, 400, n)) + [0, 1, 1, 0, 2000]
    arrs = [rng.integers(0, high, int(s), dtype=np.uint64).astype(dtype) for s in sizes]
    arrs[1] = np.array([high - 1], dtype=dtype)  # the largest id
    arrs[2] = np.array([0], dtype=dtype)
    return arrs


def _texts() -> list[list[str]]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
    assert texts, "raw/ holds the seed scrapes"
    words = [norm_words(t) for t in texts]
    # Variants: a trimmed copy, a copy with an inserted sentence, a CJK text, a short one.
    words.append(words[0][: len(words[0]) // 2])
    words.append(words[1][:40] + ["an", "inserted", "sentence", "about", "nothing", "in", "particular"] + words[1][40:])
    words.append(norm_words("東京都は十八日、新しい図書館の建設計画を発表した。予算は約三十億円。"))
    words.append(["only", "three", "words"])
    words.append([])
    return words


# --- signatures ------------------------------------------------------------------

@pytest.mark.parametrize("num_perm", [1, 16, 64, 128, 256])
def test_signatures_equal_datasketch_affine32(num_perm: int) -> None:
    rng = np.random.default_rng(num_perm)
    arrs = _random_arrays(rng, 25, 1 << 32, np.uint32)
    sig = ref.kernel_signatures(arrs, num_perm, seed=1, scheme="affine32")
    assert sig.shape == (len(arrs), num_perm) and sig.dtype == np.uint32
    for row, ids in zip(sig, arrs):
        assert np.array_equal(row, _datasketch(ids, num_perm, 1, "affine32"))


@pytest.mark.parametrize("scheme,high,dtype", [("affine64", 1 << 64, np.uint64),
                                               ("legacy", 1 << 32, np.uint64),
                                               ("legacy", 1 << 64, np.uint64),
                                               ("affine32", 1 << 32, np.int64)])
def test_signatures_equal_datasketch_other_schemes(scheme: str, high: int, dtype) -> None:
    rng = np.random.default_rng(7)
    arrs = _random_arrays(rng, 10, high, dtype)
    for num_perm, seed in ((32, 3), (128, 1)):
        sig = ref.kernel_signatures(arrs, num_perm, seed=seed, scheme=scheme)
        for row, ids in zip(sig, arrs):
            want = _datasketch(ids, num_perm, seed, scheme)
            assert row.dtype == want.dtype and np.array_equal(row, want)


def test_legacy_mersenne_remainder_edges() -> None:
    """The kernel's shift-and-add remainder mod 2^61 - 1 equals numpy's %
    on the values next to multiples of the prime and at the uint64 ends."""
    import cleaners.kernels.minhash_jit as _minhash_jit
    m = (1 << 61) - 1
    hs = sorted({x & ((1 << 64) - 1) for k in range(9) for d in (-2, -1, 0, 1, 2)
                 for x in (k * m + d,)} | {(1 << 64) - 1, (1 << 64) - 2, 1 << 63, 1 << 61})
    hv = np.array(hs, dtype=np.uint64)
    a = np.array([1, 3, m - 1], dtype=np.uint64)
    b = np.array([0, 5, m - 1], dtype=np.uint64)
    for i in range(len(hv)):  # one id per document: the minimum is the value itself
        out = np.full((1, len(a)), (1 << 32) - 1, dtype=np.uint64)
        _minhash_jit.KERNELS["legacy"](hv, np.array([i]), np.array([i + 1]), np.array([0]),
                                       a, b, out)
        with np.errstate(over="ignore"):
            ref = ((a * hv[i] + b) % np.uint64(m)) & np.uint64(0xFFFFFFFF)
        assert np.array_equal(out[0], np.minimum(ref, np.uint64((1 << 32) - 1))), hs[i]


def test_empty_inputs_give_empty_hashvalues() -> None:
    for scheme in ("affine32", "affine64", "legacy"):
        sig = ref.kernel_signatures([np.zeros(0, np.uint32)] * 3, 64, 1, scheme)
        empty = MinHash(num_perm=64, seed=1, scheme=scheme).hashvalues
        assert all(np.array_equal(r, empty) for r in sig)
    assert ref.kernel_signatures([], 64, 1, "affine32").shape == (0, 64)


def test_many_documents_of_every_length_equal_datasketch() -> None:
    """Hundreds of documents of every length (sentence-like and article-like: the kernel takes
    four ids at a time, then the rest), every scheme, a few permutation counts: datasketch's rows."""
    rng = np.random.default_rng(5)
    counts = np.concatenate([rng.integers(0, 12, 300), rng.integers(0, 3000, 6)])
    for scheme, high in (("affine32", 1 << 32), ("affine64", 1 << 64), ("legacy", 1 << 64)):
        ids = rng.integers(0, high, int(counts.sum()), dtype=np.uint64)
        if scheme == "affine32":
            ids = ids.astype(np.uint32)
        arrays = np.split(ids, np.cumsum(counts)[:-1])
        for num_perm in (64, 7):
            got = fm.signatures(ids, counts, num_perm, 1, scheme)
            for row, x in zip(got, arrays):
                assert np.array_equal(row, _datasketch(x, num_perm, 1, scheme)), (scheme, num_perm, len(x))


def test_out_of_range_ids_rejected_like_datasketch() -> None:
    big = np.array([1 << 40], dtype=np.uint64)
    with pytest.raises(ValueError):
        ref.kernel_signatures([big], 16, 1, "affine32")
    with pytest.raises(ValueError):
        MinHash(16, seed=1, scheme="affine32", hashfunc=_identity).update_batch([1 << 40])
    with pytest.raises(ValueError):
        ref.kernel_signatures([np.array([-1])], 16, 1, "affine32")
    with pytest.raises(ValueError, match="affine16"):
        ref.kernel_signatures([np.zeros(1, np.uint32)], 16, 1, "affine16")


@pytest.mark.parametrize("hash", sh.HASHES)
def test_real_texts_match_the_datasketch_signature(hash: str) -> None:
    """On the product's shingle ids of real texts, rows equal datasketch's MinHash of them."""
    words = _texts()
    for k, num_perm in ((5, 128), (3, 64)):
        ids = _ids(words, k, hash)
        sig = ref.kernel_signatures(ids, num_perm, seed=1, scheme="affine32")
        for row, x in zip(sig, ids):
            assert np.array_equal(row, ref.signature(x, num_perm, "affine32", 1).hashvalues)


# --- shingle ids -------------------------------------------------------------------


@pytest.mark.parametrize("hash", sh.HASHES)
def test_shingle_ids_match_reference(hash: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both hashes, documents given as lines or as word lists (words holding a space
    included), in one batch or many, tiny byte windows: the ids of the documented hash."""
    words = _texts()
    small = [w[:60] for w in words] + [["a b", "c"], ["", "x", ""], ["é", "ü", "x"], ["\ufdfa", "word"],
                                       ["x" * 40, "long", "tokens", "y" * 33], ["x" * 70]]
    rng = random.Random(5)  # multi-byte and astral characters, shingles of one to several SHA-1 blocks
    alphabet = ["a", "z", "9", "é", "ß", "東", "ж", "😀", "ﬁ"]
    small += [["".join(rng.choice(alphabet) for _ in range(rng.choice([1, 3, 8, 30, 70])))
               for _ in range(rng.randint(1, 9))] for _ in range(300)]
    docs = [w if any(" " in x or not x for x in w) else " ".join(w) for w in small]
    assert {type(d) for d in docs} == {str, list}
    for k in (1, 3, 5):
        expected = [ref.shingle_ids(w, k, hash) for w in small]
        for got, exp in zip(_ids(docs, k, hash), expected, strict=True):
            assert got.dtype == np.uint32 and np.array_equal(got, exp)
        for got, exp in zip(_ids(small, k, hash), expected, strict=True):
            assert np.array_equal(got, exp)
        monkeypatch.setattr(sh, "_CHUNK_BYTES", 17)
        monkeypatch.setattr(sh, "_BATCH_TOKENS", 7)
        monkeypatch.setattr(sh, "_MIN_THREAD_BYTES", 10)  # SHA-1 on several threads
        for got, exp in zip(_ids(docs, k, hash), expected, strict=True):
            assert np.array_equal(got, exp)
        monkeypatch.undo()
    with pytest.raises(ValueError, match="md5"):
        sh.shingle_ids(["a b"], 3, "md5")
    with pytest.raises(ValueError, match="k must be"):
        sh.shingle_ids(["a b"], 0)


def test_sha1_head_equals_hashlib() -> None:
    """The kernel's SHA-1 of byte ranges: empty, one-block, two-block and longer inputs."""
    import hashlib

    from cleaners.kernels import sha1_jit

    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(300))
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = np.array([0, 5, 0, 7, 0, 100], dtype=np.int64)
    ends = np.array([0, 60, 64, 130, 300, 300], dtype=np.int64)
    out = np.empty(len(starts), dtype=np.uint32)
    sha1_jit.heads(buf, starts, ends, out)
    for h, s, e in zip(out.tolist(), starts.tolist(), ends.tolist()):
        assert h == int.from_bytes(hashlib.sha1(data[s:e]).digest()[:4], "little"), (s, e)
    w, scratch = np.empty(80, dtype=np.int64), np.empty(64, dtype=np.uint8)
    for n in range(0, 300):
        part = bytes(rng.randrange(256) for _ in range(n))
        head = sha1_jit.sha1_head(np.frombuffer(part, dtype=np.uint8), 0, n, w, scratch)
        assert head == int.from_bytes(hashlib.sha1(part).digest()[:4], "little"), n


def test_doc_shingles_from_lines_equal_from_texts() -> None:
    """doc_shingles_many given the first pass's lines (or None for some texts) = without them =
    the reference ids of norm_words (word k-grams; character k+1-grams of CJK text); texts whose
    NFKC words hold spaces, CJK texts and empty texts included; both hashes."""
    from cleaners.config import DedupConfig
    from cleaners.kernels import is_cjk
    from cleaners.match.boilerplate import paragraph_keys_and_lines
    from cleaners.match.dedup import doc_shingles_many

    texts = [" ".join(w) for w in _texts()[:40]] + [
        "\ufdfa said the ﬁrst speaker at the meeting on Monday", "東京都は十八日、新しい図書館の建設計画を発表した。",
        "", "—", "Straße ΣΑΣ İstanbul café NAÏVE"]
    lines = [line for _, line, _ in paragraph_keys_and_lines([(t,) for t in texts])]
    assert None in lines  # the NFKC ligature: its words are made again from the text
    for cfg in (DedupConfig(), DedupConfig(shingle_hash="sha1_hash32")):
        want = doc_shingles_many(texts, cfg)
        for got in (doc_shingles_many(texts, cfg, lines), doc_shingles_many(texts, cfg, [None] * len(texts))):
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert len(want[-4]) and not len(want[-3])
        for t, got in zip(texts, want):
            k = cfg.shingle_words + 1 if is_cjk(t) else cfg.shingle_words
            assert np.array_equal(got, ref.shingle_ids(norm_words(t), k, cfg.shingle_hash)), t


def test_shingle_ids_properties() -> None:
    words = _texts()
    many = _ids(words, 5)
    for w, ids in zip(words, many):
        assert ids.dtype == np.uint32
        assert np.all(np.diff(ids.astype(np.int64)) > 0)  # sorted, unique
        n_grams = len({" ".join(w[i:i + 5]) for i in range(len(w) - 4)}) if len(w) >= 5 else int(bool(w))
        assert len(ids) == n_grams  # no 32-bit collision in these small sets
    assert len(_ids([["only", "three", "words"]], 5)[0]) == 1
    assert len(_ids([[]], 5)[0]) == 0 and len(_ids([""], 5)[0]) == 0
    assert [len(x) for x in _ids([], 5)] == []
    # the batch a document is in does not change its ids
    assert np.array_equal(_ids([words[3], words[0]], 5)[1], many[0])
    # order matters; shared shingles are shared ids
    a, b, shared = _ids(["the cat sat on the mat", "the mat sat on the cat", "sat on the"], 3)
    assert set(a.tolist()) & set(b.tolist()) == set(shared.tolist())


def test_jaccard_of_poly64_ids_close_to_sha1_ids() -> None:
    words = _texts()
    a, b = words[1], words[6]  # an original and its copy with an inserted sentence
    j_sha1 = ref.jaccard(*_ids([a, b], 5, "sha1_hash32"))
    j_fast = ref.jaccard(*_ids([a, b], 5))
    assert 0.5 < j_fast == pytest.approx(j_sha1, abs=1e-9)


def test_deterministic_across_processes() -> None:
    words = _texts()[:3]
    here = [x.tolist() for x in _ids(words, 5)]
    sig_here = ref.kernel_signatures(_ids(words, 5), 32, 1, "affine32").tolist()
    code = (
        "import json,sys; import numpy as np; import cleaners.kernels as k; "
        "w=json.load(sys.stdin); ids,n=k.shingle_ids(w,5); sig=k.signatures(ids,n,32,1,'affine32'); "
        "ids=np.split(ids,np.cumsum(n)[:-1]); print(json.dumps([[x.tolist() for x in ids], sig.tolist()]))"
    )
    import json
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(words), text=True,
                         capture_output=True, cwd=REPO, check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""})
    there, sig_there = json.loads(out.stdout)
    assert there == here and sig_there == sig_here


# --- exact comparisons -------------------------------------------------------------------


def test_intersections_and_similarities_equal_the_sets() -> None:
    """The kernel's merges (concatenated sets, and two arrays) count what Python's sets count."""
    rng = np.random.default_rng(2)
    arrays = [np.unique(rng.integers(0, 300, int(n))).astype(np.uint32) for n in rng.integers(0, 200, 40)]
    arrays[3] = np.zeros(0, dtype=np.uint32)
    counts = np.array([len(a) for a in arrays])
    u, v = rng.integers(0, 40, 500), rng.integers(0, 40, 500)
    got = intersection_sizes(np.concatenate(arrays), counts, u, v)
    assert got.tolist() == [ref.intersection_size(arrays[i], arrays[j]) for i, j in zip(u, v)]
    assert intersection_sizes(np.zeros(0, np.uint32), np.zeros(0, np.int64), [], []).tolist() == []
    for i, j in zip(u[:100].tolist(), v[:100].tolist()):
        assert similarities(arrays[i], arrays[j]) == ref.similarities(arrays[i], arrays[j])
    assert similarities(arrays[3], arrays[0]) == (0.0, 0.0)


# --- LSH buckets ---------------------------------------------------------------


def _bucket_pairs(sig: np.ndarray, bands: int, rows: int, mask: np.ndarray | None = None) -> set[tuple[int, int]]:
    """Every pair sharing a bucket of band_key / band_buckets."""
    idx = np.arange(len(sig)) if mask is None else np.flatnonzero(mask)
    pairs = set()
    for b in range(bands):
        members, starts, ends = band_buckets(band_key(sig[idx, b * rows:(b + 1) * rows]), idx)
        for s, e in zip(starts.tolist(), ends.tolist()):
            bucket = members[s:e].tolist()
            assert bucket == sorted(bucket)
            pairs.update((x, y) for q, y in enumerate(bucket) for x in bucket[:q])
    return pairs


def _minhashlsh_pairs(sig: np.ndarray, bands: int, rows: int, scheme: str, keep) -> set:
    lsh = MinHashLSH(num_perm=sig.shape[1], params=(bands, rows))
    leans = [LeanMinHash(seed=1, hashvalues=row, scheme=scheme) for row in sig]
    for i in keep:
        lsh.insert(i, leans[i], check_duplication=False)
    return {(i, j) for i in keep for j in lsh.query(leans[i]) if j > i}


@pytest.mark.parametrize("bands,rows,scheme", [(64, 2, "affine32"), (32, 4, "affine32"),
                                               (16, 3, "affine32"), (32, 2, "affine64")])
def test_band_buckets_are_minhashlsh_buckets(bands: int, rows: int, scheme: str) -> None:
    """Documents share a bucket exactly when MinHashLSH returns them as candidates (and the
    readable version agrees); wide bands (more than 64 bits) too."""
    rng = np.random.default_rng(bands + rows)
    num_perm = bands * rows
    dtype = np.uint32 if scheme == "affine32" else np.uint64
    # few distinct values per column, so that many bands collide; plus a big
    # bucket (40 identical rows) and near-copies
    sig = rng.integers(0, 4, (160, num_perm)).astype(dtype)
    sig[100:140] = sig[100]
    sig[140:150] = sig[5] ^ (rng.random((10, num_perm)) < 0.3)
    mask = np.ones(len(sig), dtype=bool)
    mask[::7] = False
    for m in (None, mask):
        keep = list(range(len(sig))) if m is None else np.flatnonzero(m).tolist()
        got = _bucket_pairs(sig, bands, rows, m)
        assert got == _minhashlsh_pairs(sig, bands, rows, scheme, keep)
        assert got == set(map(tuple, ref.lsh_pairs(sig, bands, rows, keep).tolist()))
    assert _bucket_pairs(sig[:1], bands, rows) == set()


def test_band_buckets_on_real_signatures() -> None:
    words = [w for w in _texts() if w]
    docs = [w[i:] for w in words for i in (0, 3, 9)]
    sig = ref.kernel_signatures(_ids(docs, 5), 128, 1, "affine32")
    got = _bucket_pairs(sig, 64, 2)
    assert got == _minhashlsh_pairs(sig, 64, 2, "affine32", range(len(docs)))
    assert len(got) >= len(words)


def test_unique_codes_merge_their_parts_as_they_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merging codes every few finds (bounded memory) gives the sorted unique codes."""
    rng = np.random.default_rng(7)
    monkeypatch.setattr(fm.UniqueCodes, "MIN_MERGE", 5)
    merged = fm.UniqueCodes()
    merged.add(np.array([5, 3, 3], dtype=np.int64))
    merged.add(np.array([9, 1, 5, 7, 1, 2], dtype=np.int64))
    assert merged.result().tolist() == [1, 2, 3, 5, 7, 9]
    parts = [rng.integers(0, 500, int(rng.integers(0, 80))) for _ in range(40)]
    many = fm.UniqueCodes()
    for part in parts:
        many.add(part)
    assert np.array_equal(many.result(), np.unique(np.concatenate(parts)))
    assert fm.decode_pairs(np.array([7, 10, 23]), 10).tolist() == [[0, 7], [1, 0], [2, 3]]


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_signatures_for_some_permutations_are_those_columns(scheme: str) -> None:
    ids = (np.arange(1, 200, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)
    counts = np.array([50, 0, 100, 49])
    full = fm.signatures(ids.astype(np.uint32), counts, 16, 3, scheme)
    part = fm.signatures(ids.astype(np.uint32), counts, 16, 3, scheme, perms=slice(4, 10))
    assert part.shape == (4, 6) and np.array_equal(part, full[:, 4:10])


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_signatures_in_runs_of_documents_equal_one_pass(scheme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 40, 300)
    counts[7] = 130  # one document longer than a run: it gets a run of its own
    ids = rng.integers(0, 1 << 32, int(counts.sum()), dtype=np.uint64).astype(np.uint32)
    whole = fm.signatures(ids, counts, 16, 3, scheme)
    monkeypatch.setattr(fm, "_FLAT_IDS_AT_A_TIME", 100)
    runs = fm.signatures(ids, counts, 16, 3, scheme)
    assert np.array_equal(runs, whole)
    assert np.array_equal(fm.signatures(ids, counts, 16, 3, scheme, perms=slice(2, 9)), whole[:, 2:9])


def test_cost_runs_cover_every_item_once_within_the_limit() -> None:
    costs = np.array([3, 0, 4, 9, 1, 1, 2, 12, 0, 5])
    runs = list(fm.cost_runs(np.cumsum(costs), 6))
    assert [i for lo, hi in runs for i in range(lo, hi)] == list(range(len(costs)))
    assert all(costs[lo:hi].sum() <= 6 or hi - lo == 1 for lo, hi in runs)
    assert runs == [(0, 2), (2, 3), (3, 4), (4, 7), (7, 8), (8, 10)]
    assert list(fm.cost_runs(np.zeros(0, dtype=np.int64), 6)) == []


def test_the_kernels_cache_folder_and_the_first_use_warning(tmp_path, monkeypatch, caplog) -> None:
    """NUMBA_CACHE_DIR wins over the user's cache folder; a module with no index file in the
    cache is said to compile on first use, one with one is not."""
    from cleaners.kernels import numba_cache

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert numba_cache.kernel_cache_dir() == str(tmp_path / "newsclean" / "numba")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert numba_cache.kernel_cache_dir() == str(tmp_path / "cache")
    (tmp_path / "cache" / "kernels_x").mkdir(parents=True)
    (tmp_path / "cache" / "kernels_x" / "sha1_jit.heads-91.py311.nbi").write_bytes(b"")
    with caplog.at_level("WARNING", logger=numba_cache.__name__):
        numba_cache.say_if_compiling("cleaners.kernels.sha1_jit")
        assert not caplog.records
        numba_cache.say_if_compiling("cleaners.kernels.align_jit")
    assert "compiling the numba kernels of cleaners.kernels.align_jit" in caplog.text
