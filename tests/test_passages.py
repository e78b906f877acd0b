"""Shared passages: the array implementation against the object-per-sentence reference."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from cleaners.config import DedupConfig, PassageConfig
from cleaners.kernels import class_key, key_words, sentence_rows
from cleaners.kernels.text import ABBREV, TOKEN, norm_words, sentences
from cleaners.match.dedup import SketchCache
from cleaners.match.passage_memo import PassageMemo, fingerprint, text_key
from cleaners.match.passages import band_pairs, find_shared_passages, sentence_table
from cleaners.store import state as state_module
from cleaners.store.state import State
from tests.reference import text as ref_text
from tests.reference.minhash import shingle_ids
from tests.reference.passages import align_tokens
from tests.reference.passages import doc_sentences as ref_doc_sentences
from tests.reference.passages import find_shared_passages as reference

VOCAB = ("minister said talks would continue next week after the meeting in tokyo where "
         "officials from both countries agreed to deepen cooperation on trade security and "
         "energy while critics warned that the plan lacked detail about funding or timing "
         "for the new projects announced on monday").split()
STOCK = "Readers can send comments about this story to the newsroom by email or through the website form today."
LINE = "Subscribe now to keep reading unlimited stories from our award winning reporters in every city."


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(VOCAB) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", "!", "?", '."', ".”"])


def _edit(rng: random.Random, s: str) -> str:
    words = s.split(" ")
    for _ in range(rng.randint(0, 3)):
        words[rng.randrange(len(words))] = rng.choice(VOCAB)
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(["all", "the", "more", "Mr.", "U.S."]))
    return " ".join(words)


def _corpus(seed: int, n_docs: int, stock_every: int) -> tuple[list[str], list[int]]:
    """Stories, copies in the same article, quotes across articles, stock lines."""
    rng = random.Random(seed)
    pool = [_sentence(rng, rng.randint(8, 30)) for _ in range(60)]
    texts: list[str] = []
    groups: list[int] = []
    for d in range(n_docs):
        if texts and rng.random() < 0.3:  # a copy of an earlier document, same article
            j = rng.randrange(len(texts))
            paras = texts[j].split("\n\n")
            paras[0] = _edit(rng, paras[0])
            texts.append("\n\n".join(paras))
            groups.append(groups[j])
            continue
        paras = []
        for _ in range(rng.randint(1, 5)):
            sents = [rng.choice(pool) if rng.random() < 0.4 else _sentence(rng, rng.randint(5, 25))
                     for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                sents = [_edit(rng, s) for s in sents]
            paras.append(" ".join(sents))
        if d % stock_every == 0:
            paras.append(STOCK)
        if d % 3 == 0:
            paras.insert(0, LINE)
        if rng.random() < 0.1:
            paras.append("東京都は十八日、新しい図書館の建設計画を発表した。予算は約三十億円で、二〇二七年の開館を目指す。")
        texts.append("\n\n".join(paras))
        groups.append(max(groups, default=-1) + 1)
    return texts, groups


def _keys(passages: list) -> list[tuple]:
    return [(tuple((s.doc, s.start, s.end) for s in p.spans), p.similarity, p.words) for p in passages]


@pytest.mark.parametrize("seed,n_docs,max_articles,stock_every", [
    (1, 120, 30, 2), (2, 200, 3, 5), (3, 80, 1, 1), (4, 150, 5, 1)])
def test_same_passages_and_stats_as_the_reference(seed: int, n_docs: int, max_articles: int,
                                                  stock_every: int) -> None:
    texts, groups = _corpus(seed, n_docs, stock_every)
    cfg = replace(PassageConfig(), max_candidate_articles=max_articles)
    ref_stats: dict[str, int] = {}
    new_stats: dict[str, int] = {}
    ref = reference(texts, groups, cfg, DedupConfig(), ref_stats)
    new = find_shared_passages(texts, groups, cfg, DedupConfig(), new_stats)
    assert ref, "the corpus must produce passages"
    assert _keys(new) == _keys(ref)
    assert new_stats == ref_stats


def test_stock_rules_are_exercised() -> None:
    """The corpora above do skip stock sentences under both rules."""
    texts, groups = _corpus(3, 80, 1)
    stats: dict[str, int] = {}
    find_shared_passages(texts, groups, replace(PassageConfig(), max_candidate_articles=1),
                         DedupConfig(), stats)
    assert stats["common_sentences_skipped"] > 0


def test_sentence_table_has_the_reference_tokens() -> None:
    texts, _ = _corpus(5, 60, 4)
    texts.append("Ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ and ﬁne ligatures and Straße and ŁÓDŹ words are all here now today ok.")
    table = sentence_table(texts, 3, 3)
    ref = [s for i, t in enumerate(texts) for s in ref_doc_sentences(i, t, 3)]
    assert len(ref) == len(table.cls)
    words_of: dict[int, list[str]] = {}
    offsets = np.cumsum(table.counts) - table.counts
    for j, s in enumerate(ref):
        assert int(table.doc[j]) == s.doc
        words = key_words(class_key(TOKEN.findall(texts[s.doc], int(table.start[j]), int(table.end[j]))))
        assert words == [t.norm for t in s.toks]
        assert [m.span() for m in TOKEN.finditer(texts[s.doc], int(table.start[j]), int(table.end[j]))] \
            == [(t.start, t.end) for t in s.toks]
        c = int(table.cls[j])
        assert words_of.setdefault(c, words) == words  # one class, one list of words
        assert np.array_equal(table.ids[offsets[c]:offsets[c] + table.counts[c]], shingle_ids(words, 3))
    assert len({tuple(w) for w in words_of.values()}) == len(words_of) == len(table.counts)


def test_class_key_round_trips_tokens_with_spaces() -> None:
    raw = ["\ufdfa", "word"]  # NFKC of this ligature holds spaces
    key = class_key(raw)
    assert len(key_words(key)) == 2 and " " in key_words(key)[0]
    assert key_words(class_key(["A", "b"])) == ["a", "b"]
    assert key_words("") == []


def test_sentence_shingles_of_keys_with_spaces_in_words() -> None:
    """A class whose words hold a space (NUL-joined key) is shingled from its words: the
    reference sha1 ids of its word k-grams."""
    texts = ["The \ufdfa was said by the speaker at the start of the meeting today.",
             "Ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ letters and ﬁne ligatures are in this sentence here."]
    table = sentence_table(texts, 3, 3)
    keys = [sentence_rows(texts, 3)[3][int(np.flatnonzero(table.cls == c)[0])] for c in range(len(table.counts))]
    assert keys[0].startswith("\0")
    offsets = np.cumsum(table.counts) - table.counts
    for c, key in enumerate(keys):
        assert np.array_equal(table.ids[offsets[c]:offsets[c] + table.counts[c]], shingle_ids(key_words(key), 3))


def test_sentence_rows_by_the_kernel_equal_the_regex_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's sentences, spans and class keys are the regex version's: on real article
    texts (curly quotes, dashes, accents) and on random strings of the characters where the
    rules differ (sentence ends, closers, abbreviations, whitespace the regex engine knows,
    CJK, combining marks, compatibility forms, multi-character casefolds, final sigma)."""
    import json
    from pathlib import Path

    import cleaners.match.passages as ps

    truth = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "ground-truth.json"
    texts = [v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values()]
    texts += _corpus(11, 40, 5)[0]
    rng = random.Random(7)
    alphabet = list("aZ9_ .!?。！？\"'”’»)]\n\t\x1c\u3000\u2028\u00a0ﬁéÉßİǰΐΣσςŁłЖжΩ日本カ가\u0301\u00ad²゛ｶ豈ゟ\u3099")
    alphabet += ["Mr.", "U.S.", " A. ", "etc.", "Nos.", "vs.", "...", "?!", "!\" ", "。」", "Sept. ", "x.Co."]
    for _ in range(4000):
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    monkeypatch.setattr(ps, "_TEXT_CHUNK", 3000)  # many chunks
    for min_words in (1, 3):
        chunks = list(ps._text_chunks(texts))
        assert len(chunks) > 10 and sum(len(c) for _, c in chunks) == len(texts)
        for _, chunk in chunks:
            want = ref_text.sentence_rows(chunk, min_words)
            got = sentence_rows(chunk, min_words)
            for a, b in zip(want[:3], got[:3]):
                assert np.array_equal(a, b), chunk
            assert got[3] == want[3]
    keyed = [t for t in texts[:24] if t]
    assert len(ref_text.sentence_rows(keyed, 1)[3]) > 500  # real sentences compared


def test_simple_characters_normalise_one_by_one() -> None:
    """What the kernel's keys rely on: a word of simple characters is NFKC-normalised (checked
    for every pair: only a neighbour could compose), so its class_key form is per character."""
    import unicodedata

    from cleaners.kernels import text_jit

    simple = text_jit.simple_chars()
    assert len(simple) > 900 and "ж" in simple and "ß" in simple and "\u0301" not in simple and "ﬁ" not in simple
    for a in simple:
        for b in simple:
            assert unicodedata.normalize("NFKC", a + b) == a + b, (a, b)
    word = "".join(simple)
    assert class_key([word]) == "".join(c.lower() if c.isascii() else c.casefold() for c in word)


def _columns(sigs: np.ndarray):  # type: ignore[no-untyped-def]
    """A signature matrix as band_pairs takes it: its columns lo:hi on demand."""
    return lambda lo, hi: sigs[:, lo:hi]


def test_band_pairs_never_list_pairs_of_a_huge_bucket() -> None:
    sigs = np.zeros((50, 4), dtype=np.uint32)  # one bucket of 50 classes in each band
    pairs, stock = band_pairs(_columns(sigs), 2, 2, np.ones(50, dtype=np.int64), limit=49)
    assert stock.all() and len(pairs) == 0
    pairs, stock = band_pairs(_columns(sigs), 2, 2, np.ones(50, dtype=np.int64), limit=50)
    assert not stock.any() and len(pairs) == 50 * 49 // 2
    sigs[40:, 2:] = np.arange(10, dtype=np.uint32)[:, None] + 1  # band 1: 40 together, 10 alone
    weights = np.ones(50, dtype=np.int64)
    weights[0] = 20  # a class of 20 sentences: the band-0 bucket holds 69
    pairs, stock = band_pairs(_columns(sigs), 2, 2, weights, limit=60)
    assert stock.all() and len(pairs) == 40 * 39 // 2  # band 1's bucket (59 sentences) is listed


def test_band_pairs_equal_the_pairs_sharing_a_band_by_brute_force() -> None:
    """Buckets found among the keys _maybe_shared keeps (a superset of the shared ones) give
    every pair of classes with an equal band, and only those; stock flags as the bucket weights
    say. Small value ranges make many collisions of whole bands and of low bits alone."""
    from cleaners.match.passages import _maybe_shared

    rng = np.random.default_rng(4)
    for n, high, rows, bands, limit in ((300, 4, 2, 3, 10**9), (2000, 1 << 31, 1, 4, 10**9),
                                        (500, 3, 1, 2, 40), (700, 2**32 - 1, 2, 2, 10**9)):
        sigs = rng.integers(0, high, size=(n, rows * bands), dtype=np.uint64).astype(np.uint32)
        sigs[n // 2:n // 2 + 20] = sigs[:20]  # planted copies
        weights = rng.integers(1, 4, size=n)
        pairs, stock = band_pairs(_columns(sigs), bands, rows, weights, limit)
        want: set[tuple[int, int]] = set()
        want_stock = np.zeros(n, dtype=bool)
        for b in range(bands):
            buckets: dict[bytes, list[int]] = {}
            for i in range(n):
                buckets.setdefault(sigs[i, b * rows:(b + 1) * rows].tobytes(), []).append(i)
            for members in buckets.values():
                if weights[members].sum() > limit:
                    want_stock[members] = True
                elif len(members) > 1:
                    want |= {(u, v) for u in members for v in members if u < v}
        want_stock |= weights > limit
        assert set(map(tuple, pairs.tolist())) == want
        assert np.array_equal(stock, want_stock)
    keys = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    keys[100:200] = keys[:100]
    maybe = set(_maybe_shared(keys).tolist())
    assert set(range(200)) <= maybe and len(maybe) < 5000 // 2


_OLD_SENT_END = re.compile(r"""(?<=[.!?。！？])["'”’»)\]]*(?=\s+|$)|(?<=[。！？])""")


def _old_sentences(text: str) -> list[tuple[int, int]]:
    """text.sentences as first written (lookbehind cuts, ABBREV on the whole piece)."""
    spans: list[tuple[int, int]] = []

    def add(para: str, offset: int, start: int, end: int) -> None:
        seg = para[start:end]
        left, right = len(seg) - len(seg.lstrip()), len(seg.rstrip())
        if right > left:
            spans.append((offset + start + left, offset + start + right))

    for pm in re.finditer(r"[^\n]+", text):
        para, offset, start = pm.group(), pm.start(), 0
        for m in _OLD_SENT_END.finditer(para):
            end = m.end()
            if ABBREV.search(para[start:end].rstrip("\"'”’»)] ")):
                continue
            add(para, offset, start, end)
            start = end
        add(para, offset, start, len(para))
    return spans


def test_sentences_equal_the_first_version_on_random_text() -> None:
    rng = random.Random(3)
    pieces = ["Mr.", "U.S.", "St.", "A.", "xMr.", "Sept.", "etc.", "word", "Word", "。", "！", "？",
              ".", "!", "?", '"', "'", "”", "’", "»", ")", "]", " ", "  ", "\n", "\t", "\u3000",
              "東", "京", "\u00a0", "é", "_", "1.", "Inc.)", 'Co."', "\r", "\u2028", "\x85", "。”"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 30)))
        assert sentences(text) == _old_sentences(text), repr(text)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_pairs_expanded_in_small_chunks_give_the_same_passages(chunk: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The cross-article sentence pairs are expanded a chunk at a time: any chunk size, same result."""
    import cleaners.match.passages as ps

    texts, groups = _corpus(1, 120, 2)
    cfg = replace(PassageConfig(), max_candidate_articles=30)
    whole = find_shared_passages(texts, groups, cfg, DedupConfig())
    monkeypatch.setattr(ps, "_PAIRS_PER_CHUNK", chunk)
    assert whole and _keys(find_shared_passages(texts, groups, cfg, DedupConfig())) == _keys(whole)


def test_band_pairs_from_signature_columns_made_on_demand(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signature columns made a few bands at a time give the pairs of all bands' columns at once."""
    import cleaners.match.passages as passages

    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 3, (80, 16)).astype(np.uint32)
    weights = np.ones(80, dtype=np.int64)
    whole = band_pairs(_columns(sigs), 8, 2, weights, limit=1000)
    asked: list[tuple[int, int]] = []

    def columns(lo: int, hi: int) -> np.ndarray:
        asked.append((lo, hi))
        return sigs[:, lo:hi].copy()

    monkeypatch.setattr(passages, "_BAND_BLOCK_VALUES", 80 * 2 * 3)  # three bands a block
    lazy = band_pairs(columns, 8, 2, weights, limit=1000)
    assert np.array_equal(lazy[0], whole[0]) and np.array_equal(lazy[1], whole[1]) and len(whole[0])
    assert asked == [(0, 6), (6, 12), (12, 16)]


def test_sentence_classes_do_not_depend_on_the_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes found a few sentences at a time number and shingle exactly as in one go."""
    import cleaners.match.passages as passages

    texts, _ = _corpus(8, 40, 4)
    texts += texts[:3]  # whole repeated documents: classes seen in an earlier chunk
    whole = sentence_table(texts, 5, 3)
    monkeypatch.setattr(passages, "_TEXT_CHUNK", 300)  # a few texts a chunk
    bits = sentence_table(texts, 5, 3)
    for field in ("doc", "start", "end", "cls", "ids", "counts"):
        assert np.array_equal(getattr(whole, field), getattr(bits, field)), field
    assert int(whole.cls.max()) + 1 == len(whole.counts) < len(whole.cls)
    first = np.unique(whole.cls, return_index=True)[1]
    assert np.all(np.diff(first) > 0)  # numbered in order of first appearance


def test_stock_sentences_do_not_depend_on_the_edge_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    """too_many_articles and cross_article_pairs take class edges a slice at a time; tiny slices
    give the same passages."""
    import cleaners.match.passages as passages

    texts, groups = _corpus(11, 120, 3)
    cfg = replace(PassageConfig(), max_candidate_articles=2)
    whole_stats: dict[str, int] = {}
    whole = find_shared_passages(texts, groups, cfg, DedupConfig(), whole_stats)
    monkeypatch.setattr(passages, "_EDGE_CHUNK", 3)
    bits_stats: dict[str, int] = {}
    assert find_shared_passages(texts, groups, cfg, DedupConfig(), bits_stats) == whole
    assert whole and bits_stats == whole_stats and whole_stats["common_sentences_skipped"] > 0
    monkeypatch.setattr(passages, "_REACH_CODES", 5)  # a few classes per range as well
    ranges_stats: dict[str, int] = {}
    assert find_shared_passages(texts, groups, cfg, DedupConfig(), ranges_stats) == whole
    assert ranges_stats == whole_stats


def test_matching_blocks_by_the_kernel_equal_difflib(monkeypatch: pytest.MonkeyPatch) -> None:
    """kernels.matching_blocks gives difflib's matching blocks (autojunk off): on random sequences
    over tiny alphabets (ties and repeats everywhere, empty sequences) and, through
    _align_classes, the alignments of the reference (difflib) of real sentences and edited
    copies of them."""
    import json
    from difflib import SequenceMatcher
    from pathlib import Path

    import cleaners.match.passages as ps
    from cleaners.kernels import matching_blocks

    rng = random.Random(3)
    seqs = [[rng.randrange(alpha) for _ in range(rng.randrange(0, 40))]
            for alpha in rng.choices([1, 2, 3, 6, 50], k=800)]
    pairs = [(rng.randrange(len(seqs)), rng.randrange(len(seqs))) for _ in range(4000)]
    off = np.zeros(len(seqs) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(s) for s in seqs])
    seq = np.array([x for s in seqs for x in s], dtype=np.int64)
    pa, pb = (np.array(side, dtype=np.int64) for side in zip(*pairs))
    for (x, y), got in zip(pairs, matching_blocks(seq, off, pa, pb), strict=True):
        want = [(m.a, m.b, m.size) for m in SequenceMatcher(None, seqs[x], seqs[y], autojunk=False)
                .get_matching_blocks() if m.size]
        assert got == want, (seqs[x], seqs[y])

    truth = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "ground-truth.json"
    texts = [v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values()]
    sents = [text[a:b] for text in texts for a, b in sentences(text)][:400]
    sents += [_edit(rng, s) for s in sents]
    keys = {c: class_key(TOKEN.findall(s)) for c, s in enumerate(sents)}
    cls_pairs = [(c, c + 400) for c in range(400)] + [(rng.randrange(800), rng.randrange(800)) for _ in range(400)]
    cfg = PassageConfig()
    want_al = {p: align_tokens(tuple(key_words(keys[p[0]])), tuple(key_words(keys[p[1]])), cfg)
               for p in cls_pairs}
    assert ps._align_classes(cls_pairs, keys, cfg) == want_al
    monkeypatch.setattr(ps, "_ALIGN_PAIRS", 7)  # many kernel calls
    assert ps._align_classes(cls_pairs, keys, cfg) == want_al
    assert sum(v is not None for v in want_al.values()) > 100  # real alignments compared


class _ChunkedTexts(list):
    """Texts that can also be read a few documents at a time, as the store-backed DocTexts."""

    def read_many(self, indexes: list[int]):  # type: ignore[no-untyped-def]
        for lo in range(0, len(indexes), 2):
            yield {i: self[i] for i in indexes[lo:lo + 2]}


def test_passages_read_only_the_documents_they_need_with_the_same_result() -> None:
    """align_pairs reads the texts of the sentences it needs through read_many when the texts
    offer it (two documents a chunk here): the same passages as indexing every text."""
    texts, groups = _corpus(1, 120, 2)
    cfg = replace(PassageConfig(), max_candidate_articles=30)
    want = find_shared_passages(texts, groups, cfg, DedupConfig(), {})
    got = find_shared_passages(_ChunkedTexts(texts), groups, cfg, DedupConfig(), {})
    assert want and _keys(got) == _keys(want)


@pytest.mark.parametrize("chunks", [None, (2, 3)])
def test_cross_article_pairs_are_every_pair_of_different_articles(chunks, monkeypatch: pytest.MonkeyPatch) -> None:
    """cross_article_pairs pairs blocks of articles before sentences; it gives what pairing every
    sentence of every edge gives (big classes mostly in one article, inactive sentences, self
    edges), in the same order, also when edges and pairs are taken a few at a time."""
    import cleaners.match.passages as passages

    if chunks:
        monkeypatch.setattr(passages, "_EDGE_CHUNK", chunks[0])
        monkeypatch.setattr(passages, "_PAIRS_PER_CHUNK", chunks[1])
    rng = np.random.default_rng(5)
    cls = rng.choice(40, 400, p=np.r_[[0.3, 0.2], np.full(38, 0.5 / 38)])
    grp = np.where(cls < 2, rng.choice([0, 1], 400, p=[0.9, 0.1]), rng.integers(0, 6, 400))
    active = rng.random(400) > 0.2
    u = rng.integers(0, 40, 120)
    v = rng.integers(0, 40, 120)
    edges = sorted(set(zip(u.tolist(), v.tolist())) | {(c, c) for c in range(40)})
    rng.shuffle(edges)
    eu, ev = (np.array(x, dtype=np.int32) for x in zip(*edges))
    members = passages.Members.of(cls, 40)
    want = [(k, o) for a, b in edges for k in np.flatnonzero(cls == a).tolist() if active[k]
            for o in np.flatnonzero(cls == b).tolist() if o > k and grp[k] != grp[o]]
    k, o = passages.cross_article_pairs(eu, ev, members, active, grp)
    assert list(zip(k.tolist(), o.tolist())) == want and len(want) > 100


S1 = "The council voted on Tuesday to close the old harbour bridge to lorries from next spring."
S2 = "Nobody on the committee objected to the plan."
S3 = "Engineers had warned for years that the steel under the northern span was rusting through."
OTHER = "A separate report said that ferry traffic across the estuary had doubled since the summer."


def _two_stories(quote_a: str, quote_b: str, after_a: str = "", after_b: str = "") -> list[str]:
    a = ("Farmers in the valley say the dry summer cut their harvest by a third this year. "
         f"{quote_a}\n\nPrices at the market rose again this week as the shortage spread. {after_a}")
    b = ("The mayor opened the new library on the square with a speech about reading and hope. "
         f"{quote_b}\n\nThe library will stay open late on Thursdays through the winter months. {after_b}")
    return [a, b]


def _occurrences(texts: list[str]) -> list[list[str]]:
    found = find_shared_passages(texts, [0, 1], PassageConfig(), DedupConfig())
    # a passage runs from its first aligned word to its last: the final full stop is outside
    return [[texts[s.doc][s.start:s.end] + "." for s in p.spans] for p in found]


def test_a_quoted_paragraph_is_one_passage_across_a_short_sentence_and_a_paragraph_break() -> None:
    """Three quoted sentences, the middle one too short to be a passage of its own, and a
    paragraph break inside the quote: one passage covering all of it in both documents."""
    quote = f"{S1} {S2}\n\n{S3}"
    texts = _two_stories(quote, quote)
    assert _occurrences(texts) == [[quote, quote]]


def test_an_elision_inside_a_quote_is_tolerated_and_a_distant_second_quote_is_not_joined() -> None:
    texts = _two_stories(f"{S1} {S3}", f"{S1} Officials said: {S3}", OTHER, OTHER)
    occ = _occurrences(texts)
    assert occ[0] == [f"{S1} {S3}", f"{S1} Officials said: {S3}"]  # a gap of two words in one of them
    # the two quotes are separated by different sentences in the two stories: two passages
    assert len(occ) == 2 and occ[1] == [OTHER, OTHER]


def test_different_long_gaps_keep_passages_apart() -> None:
    gap_a = "The weather turned cold and windy over the weekend in the hills."
    gap_b = "Schools across the district reopened after the long summer break."
    texts = _two_stories(f"{S1} {gap_a} {S3}", f"{S1} {gap_b} {S3}")
    assert _occurrences(texts) == [[S1, S1], [S3, S3]]


def test_a_quote_made_of_short_sentences_is_one_passage() -> None:
    """No sentence reaches min_words (12), the quote does: found, as one passage."""
    quote = ("What are people doing on your site right now? Has someone just praised your new page? "
             "Are the old links still sending visitors? Nobody on the team could say.")
    texts = _two_stories(quote, quote)
    assert _occurrences(texts) == [[quote, quote]]


def test_short_shared_sentences_alone_are_not_a_passage() -> None:
    """A shared sentence under min_words with nothing shared beside it is not reported."""
    texts = _two_stories(S2, S2)
    assert _occurrences(texts) == []


def test_a_japanese_quote_with_digits_and_latin_letters_is_found() -> None:
    """A digit or a Latin word before CJK text does not swallow the rest of the sentence into
    one token (which left the sentence too few tokens to be matched)."""
    quote = "昨年末、あきばお〜で2006年の福袋が売り出されたので買ってみました。先日、NHKを見ていたら電子レンジでごはんが炊けるお茶碗が映っていた。"
    a = "今日は朝から雨が降っていて、駅まで歩くのがとても大変でした。" + quote + "明日は晴れるといいですね。"
    b = "新しい図書館が駅前に開館し、多くの市民が訪れて本を借りていった。" + quote + "夜には花火大会も予定されている。"
    found = find_shared_passages([a, b], [0, 1], PassageConfig(), DedupConfig())
    assert [[t[s.start:s.end] for t, s in zip((a, b), p.spans)] for p in found] == [[quote[:-1]] * 2]
    assert norm_words("2006年の福袋") == ["2006", "年", "の", "福", "袋"]


def test_a_quoted_sentence_with_an_elision_joins_the_quote_and_alone_it_is_not_a_passage() -> None:
    """15 of 19 words of a sentence (a 4-word elision) is under min_similarity on its own; joined
    with the quoted sentence before it, the passage matches 35 of 40 words: one passage. The
    same elided sentence alone is not reported."""
    first = ("Release notes include updates on important changes to an API, such as new features, bug fixes, "
             "or security patches.")
    full = "Release notes are an important resource for an API's consumers, as some changes may affect their code."
    cut = "Release notes are … an API's consumers, as some changes may affect their code."
    texts = _two_stories(f"{first} {full}", f"{first} {cut}")
    (occ,) = _occurrences(texts)
    assert occ == [f"{first} {full}", f"{first} {cut}"]
    assert _occurrences(_two_stories(full, cut)) == []


# --- the passage memo: what pairs of documents gave, kept between runs


def _text_keys(texts: list[str]) -> np.ndarray:
    return np.array([text_key(SketchCache.key(t)) for t in texts], dtype=np.uint64)


def _passages(texts: list[str], groups: list[int], memo: PassageMemo | None = None,
              cfg: PassageConfig = PassageConfig()) -> list:
    return find_shared_passages(texts, groups, cfg, DedupConfig(), {}, memo,
                                _text_keys(texts) if memo is not None else None)


def _stored(memo: PassageMemo) -> PassageMemo:
    """The memo as the next run gets it from the state."""
    return PassageMemo.from_arrays(memo.fingerprint, memo.to_arrays())


def test_a_remembered_run_gives_the_passages_of_a_fresh_one_without_aligning() -> None:
    texts, groups = _corpus(31, 90, 9)
    fresh = _passages(texts, groups)
    assert len(fresh) >= 5
    first = PassageMemo(fingerprint(PassageConfig()))
    assert _passages(texts, groups, first) == fresh
    assert first.hits == 0 and first.misses > 0
    again = _stored(first)
    assert _passages(texts, groups, again) == fresh
    assert again.hits == first.misses and again.misses == 0
    assert again.sentences.find(_text_keys(texts)).min() >= 0  # every text's sentences were remembered


def test_what_changed_since_the_memo_is_aligned_again() -> None:
    """A new document, a changed text, two articles merged (their pairs are no longer across
    articles) and a memo of another run's pairs: each gives the passages of a fresh run."""
    texts, groups = _corpus(32, 90, 9)
    memo = PassageMemo(fingerprint(PassageConfig()))
    _passages(texts[:-10], groups[:-10], memo)  # the last ten documents are new next time
    changed = list(texts)
    changed[3] = changed[3].replace(" the ", " a ", 1)
    merged = [groups[0] if g == groups[5] else g for g in groups]
    for t, g in ((texts, groups), (changed, groups), (texts, merged)):
        again = _stored(memo)
        assert _passages(t, g, again) == _passages(t, g)
        assert again.hits > 0 and again.misses > 0


def test_a_pair_whose_sentence_pairs_changed_is_aligned_again() -> None:
    """Two documents of different stories share two sentences; later documents of other
    stories repeat one of them until it is a stock line: the same two texts now give one link,
    and the memo (which gave two) must not answer for them."""
    rng = random.Random(35)
    quote, stock = _sentence(rng, 20), _sentence(rng, 20)
    a = " ".join(_sentence(rng, 12) for _ in range(3)) + "\n\n" + quote + " " + stock
    b = " ".join(_sentence(rng, 12) for _ in range(3)) + "\n\n" + quote + " " + stock
    cfg = PassageConfig(max_candidate_articles=3)
    memo = PassageMemo(fingerprint(cfg))
    before = _passages([a, b], [0, 1], memo, cfg)
    more = [_sentence(rng, 15) + " " + stock for _ in range(5)]
    texts, groups = [a, b] + more, [0, 1] + list(range(2, 2 + len(more)))
    again = _stored(memo)
    after = _passages(texts, groups, again, cfg)
    assert after == _passages(texts, groups, cfg=cfg)
    assert [p.words for p in before] != [p.words for p in after if {s.doc for s in p.spans} == {0, 1}]
    assert again.misses >= 1


def test_a_damaged_memo_is_not_used() -> None:
    texts, groups = _corpus(33, 60, 9)
    memo = PassageMemo(fingerprint(PassageConfig()))
    _passages(texts, groups, memo)
    arrays = memo.to_arrays()
    arrays["first"] = arrays["first"][:-1]  # the rows no longer match the entries
    arrays["s_cls"] = arrays["s_cls"] + 1  # the sentences' classes have no shingle ids
    damaged = PassageMemo.from_arrays(memo.fingerprint, arrays)
    assert len(damaged) == 0 and len(damaged.sentences.text_keys) == 0
    assert _passages(texts, groups, damaged) == _passages(texts, groups)


def test_the_state_keeps_the_memo_in_parts_and_only_under_its_fingerprint(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    texts, groups = _corpus(34, 60, 9)
    memo = PassageMemo(fingerprint(PassageConfig()))
    _passages(texts, groups, memo)
    arrays = memo.to_arrays()
    monkeypatch.setattr(state_module, "MEMO_PART_BYTES", 1000)  # several parts an array
    with State(tmp_path / "state.sqlite") as st:
        st.commit_run(run_id="r", files=[], renamed={}, replaced_paths=[], docs=[], rejects=[], doc_records=[],
                      articles=[], created={}, passage_memo=(memo.fingerprint, arrays))
        parts = st.db.execute("SELECT COUNT(*) FROM passage_memo").fetchone()[0]
        back = st.passage_memo(memo.fingerprint)
        other = st.passage_memo(fingerprint(replace(PassageConfig(), min_words=10)))
    assert parts > len(arrays)
    assert back is not None and set(back) == set(arrays)
    assert all(np.array_equal(back[k], arrays[k]) for k in arrays)
    assert other is None
