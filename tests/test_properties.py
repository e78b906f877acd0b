"""Invariants of the cleaners on arbitrary input (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.clean.clutter import strip_clutter
from cleaners.config import Config
from cleaners.clean.encoding import decode
from cleaners.clean.extract import split_paragraphs
from cleaners.clean.pipeline import clean
from cleaners.records import Document, RawDoc, Reject, Source
from cleaners.kernels.text import norm_words, sentences
from tests.reference.text import tokens

CLUTTERISH = st.sampled_from([
    "POPULAR ARTICLE", "JN ACCESS RANKING", "-", "Photo/Illustration A man walks. (Staff)",
    "Share on Facebook | Tweet", "ADVERTISEMENT", "14:37 JST, October 19, 2024",
    "Sign up for our newsletter", "BRUSSELS — ", "By Jane Doe", "(Photo: AP)", "MOST READ",
])
LINES = st.lists(st.one_of(st.text(max_size=200), CLUTTERISH), max_size=25)
WORDS = st.lists(st.from_regex(r"[a-z]{2,9}", fullmatch=True), min_size=16, max_size=40)
PROSE = WORDS.map(lambda ws: " ".join(ws).capitalize() + ".")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _doc(paras: list[str]) -> Document:
    return Document("d", Source("x.txt", None, "", "txt"), None, None, None,
                    tuple(p for p in (x.strip() for x in paras) if p))


@SETTINGS
@given(LINES)
def test_strip_clutter_never_raises_and_is_idempotent(lines: list[str]) -> None:
    once = strip_clutter(_doc(lines))
    twice = strip_clutter(once)
    assert twice.paragraphs == once.paragraphs


@SETTINGS
@given(LINES, st.lists(PROSE, min_size=1, max_size=5))
def test_prose_paragraphs_are_never_lost(clutter: list[str], prose: list[str]) -> None:
    mixed = [x for pair in zip(clutter, prose) for x in pair] + prose[len(clutter):]
    doc = _doc(mixed)
    out = strip_clutter(doc).text
    paras = doc.paragraphs
    for i, p in enumerate(paras):
        if p not in prose:
            continue
        # the one documented exception: a one-sentence line right above a timestamp among the
        # first lines is the lead photo's caption (clutter._mark_header_captions)
        if i < 4 and i + 1 < len(paras) and paras[i + 1] == "14:37 JST, October 19, 2024":
            continue
        assert p in out


@SETTINGS
@given(LINES)
def test_removed_plus_kept_covers_the_input(lines: list[str]) -> None:
    doc = _doc(lines)
    out = strip_clutter(doc)
    kept_or_removed = " ".join(out.paragraphs) + " " + " ".join(r.text for r in out.removed)
    for p in doc.paragraphs:
        for word in p.split():
            assert word in kept_or_removed


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from([None, "utf-8", "shift_jis", "latin-1", "bogus"]))
def test_decode_never_raises(data: bytes, declared: str | None) -> None:
    text, fixes = decode(data, declared)
    assert isinstance(text, str) and fixes and fixes[0].name == "decode"


@SETTINGS
@given(st.text(max_size=2000))
def test_text_helpers_never_raise_and_offsets_are_valid(text: str) -> None:
    for s, e in sentences(text):
        assert 0 <= s < e <= len(text)
    for t in tokens(text):
        assert text[t.start:t.end]
    split_paragraphs(text)


@SETTINGS
@given(st.lists(st.sampled_from(["Said", " ", "“", "”", "—", "ÉTÉ", "ﬁ", "Straße", "x9", "東", "\n", ""]),
                max_size=30).map("".join) | st.text(max_size=500))
def test_norm_words_are_the_tokens_norms(text: str) -> None:
    """norm_words' shortcuts (all ASCII; only the punctuation non-ASCII) give tokens' norms."""
    assert norm_words(text) == [t.norm for t in tokens(text)]


@SETTINGS
@given(st.text(max_size=3000), st.sampled_from(["html", "text"]))
def test_clean_returns_a_document_or_a_reject(text: str, kind: str) -> None:
    raw = RawDoc(Source("x", None, "", kind), text.encode("utf-8", "surrogatepass"), kind)
    assert isinstance(clean(raw, Config()), (Document, Reject))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=300))
def test_ascii_fast_path_equals_ftfy(text: str) -> None:
    """repair() skips ftfy on plain ASCII; ftfy itself must agree on every ASCII string."""
    import ftfy

    from cleaners.config import EncodingConfig
    from cleaners.clean.encoding import repair

    cfg = EncodingConfig()
    expected = ftfy.fix_and_explain(text, config=ftfy.TextFixerConfig(
        uncurl_quotes=cfg.uncurl_quotes, fix_character_width=cfg.fix_character_width, explain=True))
    fixed, fixes = repair(text, cfg)
    assert fixed == expected.text
    assert [f.name for f in fixes] == [f"ftfy:{s.action}" for s in (expected.explanation or ())]


def test_detect_language_by_script_and_stop_words() -> None:
    from cleaners.kernels.text import detect_language

    assert detect_language("東京都は十八日、新しい図書館の建設計画を発表した。予算は約三十億円となる見込みだ。") == "ja"
    assert detect_language("서울시는 18일 새 도서관 건설 계획을 발표했다. 예산은 약 300억 원이다.") == "ko"
    assert detect_language("北京市政府十八日宣布了新图书馆的建设计划，预算约为三十亿元人民币。") == "zh"
    assert detect_language("Мэрия Москвы объявила о строительстве новой библиотеки в центре города.") == "ru"
    en = "The council said on Monday that the library “will open” in the spring, and that it was on budget."
    assert detect_language(en) == "en"  # curly quotes: not ASCII, no other script
    assert detect_language("Der Rat sagte am Montag, dass die Bibliothek im Frühjahr öffnen wird und das Budget "
                           "nicht überschritten ist.") == "de"
    # a few Cyrillic letters in English text do not make it Russian
    assert detect_language(en + " The Ж symbol was on the cover of the report and the plan.") == "en"
    assert detect_language("ok") is None and detect_language("   ") is None


def test_stop_word_scores_by_the_kernel_equal_the_word_counts() -> None:
    """text.stop_word_scores (detect_language's counting without word strings) equals
    LETTERS.findall(text.lower()) and the stop-word counts per language: on real article texts
    and on random strings of the characters where lowering and letters are odd (İ lowers to
    two characters, final sigma, the Kelvin sign, digits, "_", combining marks, accented stop
    words); and the lowering table is chr(c).lower() for every code point."""
    import json
    import random
    from collections import Counter
    from pathlib import Path

    from cleaners.kernels import text_jit
    from cleaners.kernels.text import _STOP, LETTERS, stop_word_scores

    table = text_jit.lower_table()
    for c in range(0x110000):
        low = chr(c).lower()
        want = -1 if len(low) != 1 else (ord(low) if LETTERS.fullmatch(low) else 0)
        assert table[c] == want, hex(c)

    truth = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "ground-truth.json"
    texts = [v["articleBody"][:4000] for v in json.loads(truth.read_text(encoding="utf-8")).values()]
    rng = random.Random(9)
    alphabet = list(" ,.'_9\u0301\u212aΣσςÉé") + ["the ", "The ", "DE ", "für ", "não ", "más ", "della ",
                                                  "ΣΑΣ ", "x"]
    for _ in range(3000):
        chars = [rng.choice(alphabet) for _ in range(rng.randint(0, 40))]
        if rng.random() < 0.1:
            chars.insert(rng.randint(0, len(chars)), rng.choice(["İ", "İs "]))
        texts.append("".join(chars))
    seen_none = seen_scores = 0
    for text in texts:
        got = stop_word_scores(text)
        if got is None:
            assert "İ" in text or not text
            seen_none += 1
            continue
        words = LETTERS.findall(text.lower())
        counts = Counter(words)
        assert got == (len(words), [sum(counts[w] for w in stop if w in counts) for stop in _STOP.values()]), text
        seen_scores += any(got[1])
    assert seen_none > 100 and seen_scores > 1000, (seen_none, seen_scores)


def test_kernel_tables_are_built_once_and_then_read(tmp_path, monkeypatch) -> None:
    """The tokeniser's tables are kept in a file after the first build: read back equal, a
    damaged file is built again, and a folder that cannot be written still gives the tables."""
    import numpy as np

    from cleaners.kernels import text_jit as jit

    monkeypatch.setattr(jit, "_table_dir", lambda: tmp_path / "tables")
    builds = []

    def build() -> tuple[np.ndarray, ...]:
        builds.append(1)
        return jit._char_flags(), np.arange(5, dtype=np.int64)

    first = jit._stored("flags", build)
    again = jit._stored("flags", build)
    assert len(builds) == 1 and len(again) == 2
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(first, again))
    assert np.array_equal(first[0], jit.char_flags())  # the module's table: the same flags
    [stored] = (tmp_path / "tables").glob("newsclean-flags-*.npz")
    stored.write_bytes(b"not a table")
    assert np.array_equal(jit._stored("flags", build)[1], np.arange(5)) and len(builds) == 2
    assert len(list((tmp_path / "tables").glob("newsclean-flags-*.npz"))) == 1
    (tmp_path / "a file").write_text("")
    monkeypatch.setattr(jit, "_table_dir", lambda: tmp_path / "a file" / "tables")  # cannot be made
    assert np.array_equal(jit._stored("flags", build)[1], np.arange(5)) and len(builds) == 3

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jit, "_table_dir", lambda: tmp_path / "full")
    monkeypatch.setattr(jit.np, "savez", full_disk)
    assert np.array_equal(jit._stored("flags", build)[1], np.arange(5)) and len(builds) == 4
    assert list((tmp_path / "full").iterdir()) == []  # no half-written file left
