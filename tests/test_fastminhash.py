"""cleaners.kernels.signatures: datasketch-exact signatures, deterministic bulk shingle ids."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

import cleaners.kernels.signatures as fm
from cleaners.kernels.shingles import shingle_ids, signature
from cleaners.kernels.text import norm_words

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"


def _identity(x: int) -> int:
    return x


def _datasketch(ids: np.ndarray, num_perm: int, seed: int, scheme: str) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=_identity)  # type: ignore[arg-type]
    if len(ids):
        m.update_batch(ids.tolist())
    return m.hashvalues


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

try:
    import numba  # noqa: F401
    HAVE_NUMBA = True
except ImportError:
    HAVE_NUMBA = False

BACKENDS = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not HAVE_NUMBA, reason="numba not installed"))]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on each signature kernel (numba and the numpy fallback)."""
    monkeypatch.setattr(fm, "BACKEND", request.param)
    assert fm.backend() == request.param
    return request.param


def test_backend_auto_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fm, "BACKEND", "auto")
    assert fm.backend() == ("numba" if HAVE_NUMBA else "numpy")
    # numba not importable: auto falls back to numpy, an explicit "numba" fails loudly
    monkeypatch.setattr(fm, "_jit_module", False)
    assert fm.backend() == "numpy"
    arrs = [np.array([1, 2, 3], np.uint32), np.zeros(0, np.uint32)]
    assert np.array_equal(fm.signatures(arrs, 8, 1)[0], _datasketch(arrs[0], 8, 1, "affine32"))
    monkeypatch.setattr(fm, "BACKEND", "numba")
    with pytest.raises(RuntimeError):
        fm.backend()
    monkeypatch.setattr(fm, "BACKEND", "cuda")
    with pytest.raises(ValueError):
        fm.backend()


def test_numpy_fallback_when_numba_cannot_be_imported() -> None:
    import json
    code = ("import json, sys; sys.modules['numba'] = None; import numpy as np; "
            "import cleaners.kernels.signatures as fm; print(json.dumps([fm.backend(), "
            "fm.signatures([np.arange(50, dtype=np.uint32)], 16, 1).tolist()]))")
    out = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True, cwd=REPO,
                         check=True).stdout
    kernel, sig = json.loads(out)
    assert kernel == "numpy"
    assert sig[0] == _datasketch(np.arange(50), 16, 1, "affine32").tolist()


@pytest.mark.parametrize("num_perm", [1, 16, 64, 128, 256])
def test_signatures_equal_datasketch_affine32(num_perm: int, backend: str) -> None:
    rng = np.random.default_rng(num_perm)
    arrs = _random_arrays(rng, 25, 1 << 32, np.uint32)
    sig = fm.signatures(arrs, num_perm, seed=1, scheme="affine32")
    assert sig.shape == (len(arrs), num_perm) and sig.dtype == np.uint32
    for row, ids in zip(sig, arrs):
        assert np.array_equal(row, _datasketch(ids, num_perm, 1, "affine32"))


@pytest.mark.parametrize("scheme,high,dtype", [("affine64", 1 << 64, np.uint64),
                                               ("legacy", 1 << 32, np.uint64),
                                               ("legacy", 1 << 64, np.uint64),
                                               ("affine32", 1 << 32, np.int64)])
def test_signatures_equal_datasketch_other_schemes(scheme: str, high: int, dtype,
                                                   backend: str) -> None:
    rng = np.random.default_rng(7)
    arrs = _random_arrays(rng, 10, high, dtype)
    for num_perm, seed in ((32, 3), (128, 1)):
        sig = fm.signatures(arrs, num_perm, seed=seed, scheme=scheme)
        for row, ids in zip(sig, arrs):
            ref = _datasketch(ids, num_perm, seed, scheme)
            assert row.dtype == ref.dtype and np.array_equal(row, ref)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
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


def test_empty_inputs_give_empty_hashvalues(backend: str) -> None:
    for scheme in ("affine32", "affine64", "legacy"):
        sig = fm.signatures([np.zeros(0, np.uint32)] * 3, 64, 1, scheme)
        empty = MinHash(num_perm=64, seed=1, scheme=scheme).hashvalues
        assert all(np.array_equal(r, empty) for r in sig)
        assert np.array_equal(fm.empty_hashvalues(64, scheme), empty)
    assert fm.signatures([], 64, 1, "affine32").shape == (0, 64)


def test_chunk_boundaries_and_threads(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Documents split across blocks and across threads give the same rows."""
    rng = np.random.default_rng(3)
    arrs = _random_arrays(rng, 20, 1 << 32, np.uint32)
    ref = fm.signatures(arrs, 64, 1, "affine32")
    monkeypatch.setattr(fm, "_MIN_CHUNK_IDS", 1)
    monkeypatch.setattr(fm, "_MIN_ELEMS_PER_THREAD", 1)
    for elems in (64, 64 * 37, 64 * 500):
        monkeypatch.setattr(fm, "_ELEMS_PER_CHUNK", elems)
        assert np.array_equal(fm.signatures(arrs, 64, 1, "affine32"), ref)
        assert np.array_equal(fm.signatures(arrs, 64, 1, "affine32", threads=3), ref)
    for row, ids in zip(ref, arrs):
        assert np.array_equal(row, _datasketch(ids, 64, 1, "affine32"))


def test_out_of_range_ids_rejected_like_datasketch() -> None:
    big = np.array([1 << 40], dtype=np.uint64)
    with pytest.raises(ValueError):
        fm.signatures([big], 16, 1, "affine32")
    with pytest.raises(ValueError):
        MinHash(16, seed=1, scheme="affine32", hashfunc=_identity).update_batch([1 << 40])
    with pytest.raises(ValueError):
        fm.signatures([np.array([-1])], 16, 1, "affine32")
    with pytest.raises(ValueError):
        fm.signatures([np.zeros(1, np.uint32)], 16, 1, "affine16")


def test_real_texts_match_product_signature(backend: str) -> None:
    """On the product's own sha1 shingle ids, rows equal cleaners.kernels.shingles.signature."""
    words = _texts()
    for k, num_perm in ((5, 128), (3, 64)):
        ids = [shingle_ids(w, k) for w in words]
        sig = fm.signatures(ids, num_perm, seed=1, scheme="affine32")
        for row, x in zip(sig, ids):
            assert np.array_equal(row, signature(x, num_perm, "affine32", 1).hashvalues)
        fast_ids = fm.shingle_ids_many(words, k)
        sig = fm.signatures(fast_ids, num_perm, seed=1, scheme="affine32")
        for row, x in zip(sig, fast_ids):
            assert np.array_equal(row, _datasketch(x, num_perm, 1, "affine32"))


# --- shingle ids -------------------------------------------------------------------


_M64 = (1 << 64) - 1


def _reference_id(shingle: str) -> int:
    """The documented hash, in plain Python."""
    h = 0
    p = 1
    for byte in shingle.encode("utf-8", "surrogatepass"):
        h = (h + (byte + 1) * p) & _M64
        p = (p * fm._R) & _M64
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    h ^= h >> 33
    return h >> 32


def _reference(words: list[str], k: int) -> np.ndarray:
    if not words:
        return np.zeros(0, np.uint32)
    grams = [" ".join(words)] if len(words) < k else [
        " ".join(words[i:i + k]) for i in range(len(words) - k + 1)]
    return np.unique(np.array([_reference_id(g) for g in grams], dtype=np.uint32))


def test_shingle_ids_match_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    words = _texts()
    small = [w[:60] for w in words] + [["a b", "c"], ["", "x", ""], ["é", "ü", "x"],
                                       ["x" * 40, "long", "tokens", "y" * 33]]
    for k in (1, 3, 5):
        expected = [_reference(w, k) for w in small]
        for got, exp in zip(fm.shingle_ids_many(small, k), expected):
            assert got.dtype == np.uint32 and np.array_equal(got, exp)
        # tiny byte windows and sort groups: the chunked paths give the same ids
        monkeypatch.setattr(fm, "_CHUNK_BYTES", 17)
        monkeypatch.setattr(fm, "_SORT_BUDGET", 50)
        monkeypatch.setattr(fm, "_SORT_GROUP", 2)
        monkeypatch.setattr(fm, "_BATCH_TOKENS", 7)
        for got, exp in zip(fm.shingle_ids_many(small, k), expected):
            assert np.array_equal(got, exp)
        monkeypatch.undo()


def test_shingle_ids_of_joined_lines_equal_word_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """shingle_ids_many_joined takes each document's words joined by single spaces: the same ids
    as the word lists, in one batch or many."""
    words = [w[:80] for w in _texts()] + [[], ["é", "ü", "x"], ["one"], ["x" * 40, "long", "y" * 33]]
    lines = [" ".join(w) for w in words]
    for k in (1, 3, 5):
        for bits in (32, 64):
            want = fm.shingle_ids_many(words, k, bits)
            for got, exp in zip(fm.shingle_ids_many_joined(lines, k, bits), want, strict=True):
                assert got.dtype == exp.dtype and np.array_equal(got, exp)
        monkeypatch.setattr(fm, "_BATCH_TOKENS", 7)
        monkeypatch.setattr(fm, "_CHUNK_BYTES", 17)
        for got, exp in zip(fm.shingle_ids_many_joined(lines, k), fm.shingle_ids_many(words, k), strict=True):
            assert np.array_equal(got, exp)
        monkeypatch.undo()


def test_doc_shingles_from_lines_equal_from_texts() -> None:
    """doc_shingles_many given the first pass's lines (or None for some texts) = without them;
    texts whose NFKC words hold spaces, CJK texts (character k-grams) and empty texts included."""
    from cleaners.match.boilerplate import paragraph_keys_and_lines
    from cleaners.config import DedupConfig
    from cleaners.match.dedup import doc_shingles_many
    from cleaners.records import Document, Source

    texts = [" ".join(w) for w in _texts()[:40]] + [
        "\ufdfa said the ﬁrst speaker at the meeting on Monday", "東京都は十八日、新しい図書館の建設計画を発表した。",
        "", "—", "Straße ΣΑΣ İstanbul café NAÏVE"]
    docs = [Document(f"d{i}", Source(f"f{i}.txt", None, "", "text"), None, None, None, (t,), (), (), ())
            for i, t in enumerate(texts)]
    lines = [line for _, line, _ in paragraph_keys_and_lines(docs)]
    assert None in lines  # the NFKC ligature: its words are made again from the text
    for cfg in (DedupConfig(), DedupConfig(shingle_hash="sha1_hash32")):
        want = doc_shingles_many(texts, cfg)
        for got in (doc_shingles_many(texts, cfg, lines), doc_shingles_many(texts, cfg, [None] * len(texts))):
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert len(want[-4]) and not len(want[-3])


def test_shingle_ids_properties() -> None:
    words = _texts()
    many = fm.shingle_ids_many(words, 5)
    for w, ids in zip(words, many):
        single = fm.shingle_ids_fast(w, 5)
        assert np.array_equal(single, ids)
        assert ids.dtype == np.uint32
        assert np.all(np.diff(ids.astype(np.int64)) > 0)  # sorted, unique
        n_grams = len({" ".join(w[i:i + 5]) for i in range(len(w) - 4)}) if len(w) >= 5 else int(bool(w))
        assert len(ids) == n_grams  # no 32-bit collision in these small sets
    assert len(fm.shingle_ids_fast(["only", "three", "words"], 5)) == 1
    assert len(fm.shingle_ids_fast([], 5)) == 0
    assert fm.shingle_ids_fast(["x", "y"], 5, bits=64).dtype == np.uint64
    # the batch a document is in does not change its ids
    assert np.array_equal(fm.shingle_ids_many([words[3], words[0]], 5)[1], many[0])
    # order matters; shared shingles are shared ids
    a = fm.shingle_ids_fast(["the", "cat", "sat", "on", "the", "mat"], 3)
    b = fm.shingle_ids_fast(["the", "mat", "sat", "on", "the", "cat"], 3)
    shared = fm.shingle_ids_fast(["sat", "on", "the"], 3)
    assert set(a.tolist()) & set(b.tolist()) == set(shared.tolist())


def test_jaccard_close_to_sha1_ids() -> None:
    words = _texts()
    a, b = words[1], words[6]  # an original and its copy with an inserted sentence
    from cleaners.kernels.shingles import jaccard
    j_sha1 = jaccard(shingle_ids(a, 5), shingle_ids(b, 5))
    j_fast = jaccard(fm.shingle_ids_fast(a, 5), fm.shingle_ids_fast(b, 5))
    assert j_fast == pytest.approx(j_sha1, abs=1e-9)


def test_backends_agree_on_many_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of documents of every length (sentence-like and article-like),
    every scheme: the numba kernel and the numpy path give identical rows."""
    if not HAVE_NUMBA:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(5)
    counts = np.concatenate([rng.integers(0, 12, 3000), rng.integers(0, 3000, 60)])
    for scheme, high in (("affine32", 1 << 32), ("affine64", 1 << 64), ("legacy", 1 << 64)):
        ids = rng.integers(0, high, int(counts.sum()), dtype=np.uint64)
        if scheme == "affine32":
            ids = ids.astype(np.uint32)
        got = {}
        for bk in ("numpy", "numba"):
            monkeypatch.setattr(fm, "BACKEND", bk)
            for num_perm in (64, 128, 7):
                got[bk, num_perm] = fm.signatures_flat(ids, counts, num_perm, 1, scheme)
                assert np.array_equal(got[bk, num_perm],
                                      fm.signatures_flat(ids, counts, num_perm, 1, scheme, threads=2))
        for num_perm in (64, 128, 7):
            assert np.array_equal(got["numpy", num_perm], got["numba", num_perm]), (scheme, num_perm)


@pytest.mark.parametrize("backend_env", ["numpy", "auto"])
def test_deterministic_across_processes(backend_env: str) -> None:
    words = _texts()[:3]
    here = [x.tolist() for x in fm.shingle_ids_many(words, 5)]
    sig_here = fm.signatures(fm.shingle_ids_many(words, 5), 32, 1, "affine32").tolist()
    code = (
        "import json,sys; import cleaners.kernels.signatures as fm; "
        "w=json.load(sys.stdin); ids=fm.shingle_ids_many(w,5); "
        "print(json.dumps([[x.tolist() for x in ids], fm.signatures(ids,32,1,'affine32').tolist()]))"
    )
    import json
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(words), text=True,
                         capture_output=True, cwd=REPO, check=True,
                         env={"PYTHONHASHSEED": "12345", "PATH": "",
                              "NEWSCLEAN_MINHASH_BACKEND": backend_env})
    there, sig_there = json.loads(out.stdout)
    assert there == here and sig_there == sig_here


# --- LeanMinHash / LSH ---------------------------------------------------------------


def test_to_lean_is_a_working_leanminhash() -> None:
    words = _texts()
    ids = fm.shingle_ids_many(words, 5)
    sig = fm.signatures(ids, 128, 1, "affine32")
    leans = fm.to_leans(sig, 1, "affine32")
    for lean, x in zip(leans, ids):
        ref = LeanMinHash(MinHash(128, seed=1, scheme="affine32", hashfunc=_identity))
        if len(x):
            m = MinHash(128, seed=1, scheme="affine32", hashfunc=_identity)
            m.update_batch(x.tolist())
            ref = LeanMinHash(m)
        assert lean == ref and lean.jaccard(ref) == 1.0
        assert pickle.loads(pickle.dumps(lean)) == ref
        buf = bytearray(lean.bytesize())
        lean.serialize(buf)
        assert LeanMinHash.deserialize(buf) == ref
    with pytest.raises(TypeError):
        leans[0].update(b"x")
    # a non-native dtype goes through datasketch's own checks
    assert fm.to_lean(sig[0].astype(np.int64), 1, "affine32") == leans[0]


@pytest.mark.parametrize("params", [(64, 2), (32, 4)])
def test_lsh_candidates_same_as_datasketch(params: tuple[int, int]) -> None:
    rng = np.random.default_rng(11)
    words = [w for w in _texts() if w]
    # near-duplicate variants so that the index has real candidate pairs
    docs = []
    for w in words:
        docs.append(w)
        for _ in range(3):
            cut = int(rng.integers(0, max(1, len(w) // 3)))
            docs.append(w[cut:] + [str(x) for x in rng.integers(0, 50, 5)])
    ids = fm.shingle_ids_many(docs, 5)
    leans = fm.to_leans(fm.signatures(ids, 128, 1, "affine32"), 1, "affine32")
    fast = MinHashLSH(num_perm=128, params=params)
    ref = MinHashLSH(num_perm=128, params=params)
    refs = []
    for i, x in enumerate(ids):
        m = MinHash(128, seed=1, scheme="affine32", hashfunc=_identity)
        m.update_batch(x.tolist())
        refs.append(m)
        fast.insert(i, leans[i], check_duplication=False)
        ref.insert(i, m, check_duplication=False)
    total = 0
    for i in range(len(ids)):
        got = sorted(fast.query(leans[i]))
        assert got == sorted(ref.query(refs[i]))
        total += len(got)
    assert total > len(ids)  # the variants were found


def _lsh_reference(sig: np.ndarray, bands: int, rows: int, scheme: str, keep) -> set:
    lsh = MinHashLSH(num_perm=sig.shape[1], params=(bands, rows))
    leans = fm.to_leans(sig, 1, scheme)
    for i in keep:
        lsh.insert(i, leans[i], check_duplication=False)
    return {(i, j) for i in keep for j in lsh.query(leans[i]) if j > i}


@pytest.mark.parametrize("bands,rows,scheme", [(64, 2, "affine32"), (32, 4, "affine32"),
                                               (16, 3, "affine32"), (32, 2, "affine64")])
def test_lsh_pairs_same_as_minhashlsh(bands: int, rows: int, scheme: str) -> None:
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
        got = fm.lsh_pairs(sig, bands, rows, mask=m)
        assert got.dtype == np.int64 and got.shape[1] == 2
        assert {tuple(p) for p in got.tolist()} == _lsh_reference(sig, bands, rows, scheme, keep)
        assert np.array_equal(got, np.unique(got, axis=0))
    assert fm.lsh_pairs(sig[:1], bands, rows).shape == (0, 2)


def test_lsh_pairs_on_real_signatures() -> None:
    words = [w for w in _texts() if w]
    docs = [w[i:] for w in words for i in (0, 3, 9)]
    sig = fm.signatures(fm.shingle_ids_many(docs, 5), 128, 1, "affine32")
    got = {tuple(p) for p in fm.lsh_pairs(sig, 64, 2).tolist()}
    assert got == _lsh_reference(sig, 64, 2, "affine32", range(len(docs)))
    assert len(got) >= len(words)


def test_lsh_pairs_merge_their_parts_as_they_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merging pair codes every few finds (bounded memory) gives the same pairs as merging once."""
    rng = np.random.default_rng(7)
    sig = rng.integers(0, 3, (120, 64)).astype(np.uint32)
    sig[60:100] = sig[60]  # a big bucket in every band
    once = fm.lsh_pairs(sig, 32, 2)
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
    assert np.array_equal(fm.lsh_pairs(sig, 32, 2), once) and len(once) > 40 * 39 // 2


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_signatures_flat_for_some_permutations_are_those_columns(scheme: str) -> None:
    ids = (np.arange(1, 200, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(1 << 32)
    counts = np.array([50, 0, 100, 49])
    full = fm.signatures_flat(ids.astype(np.uint32), counts, 16, 3, scheme)
    part = fm.signatures_flat(ids.astype(np.uint32), counts, 16, 3, scheme, perms=slice(4, 10))
    assert part.shape == (4, 6) and np.array_equal(part, full[:, 4:10])


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_signatures_flat_in_runs_of_documents_equal_one_pass(scheme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 40, 300)
    counts[7] = 130  # one document longer than a run: it gets a run of its own
    ids = rng.integers(0, 1 << 32, int(counts.sum()), dtype=np.uint64).astype(np.uint32)
    whole = fm.signatures_flat(ids, counts, 16, 3, scheme)
    monkeypatch.setattr(fm, "_FLAT_IDS_AT_A_TIME", 100)
    runs = fm.signatures_flat(ids, counts, 16, 3, scheme)
    assert np.array_equal(runs, whole)
    assert np.array_equal(fm.signatures_flat(ids, counts, 16, 3, scheme, perms=slice(2, 9)), whole[:, 2:9])


def test_cost_runs_cover_every_item_once_within_the_limit() -> None:
    costs = np.array([3, 0, 4, 9, 1, 1, 2, 12, 0, 5])
    runs = list(fm.cost_runs(np.cumsum(costs), 6))
    assert [i for lo, hi in runs for i in range(lo, hi)] == list(range(len(costs)))
    assert all(costs[lo:hi].sum() <= 6 or hi - lo == 1 for lo, hi in runs)
    assert runs == [(0, 2), (2, 3), (3, 4), (4, 7), (7, 8), (8, 10)]
    assert list(fm.cost_runs(np.zeros(0, dtype=np.int64), 6)) == []
