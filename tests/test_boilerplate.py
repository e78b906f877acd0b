"""Per-site boilerplate learned from the corpus: repeated across stories, not across copies."""

from __future__ import annotations

import numpy as np

from cleaners.config import Config
from cleaners.match.articles import group_documents
from cleaners.match.boilerplate import site_of
from cleaners.records import Document, Source
from tests.helpers import BODY

OTHER = [
    "Heavy rain flooded several streets in the port district overnight, forcing the closure of "
    "two schools and the main ferry terminal until the water receded on Wednesday morning.",
    "Emergency crews pumped water from basements while residents moved cars to higher ground, "
    "and the weather service warned that more storms could arrive before the weekend.",
    "The harbour authority said ferries would resume a reduced schedule once engineers had "
    "inspected the piers, which were damaged during a similar storm last winter.",
]

THIRD = ["Scientists at the university announced on Friday that they had sequenced the genome of a "
         "rare orchid found only on two mountain slopes in the south of the country.",
         "The team said the work could help conservation groups protect the plant, whose numbers "
         "have fallen sharply because of illegal collecting and a series of dry summers."]
BLURB = "What others are reading"
PROMO = "Listen to this article and more on the City Times app, free for subscribers."


def _doc(doc_id: str, paras: list[str], outlet: str | None, path: str | None = None) -> Document:
    return Document(doc_id, Source(path or f"{doc_id}.html", None, doc_id, "html", None, outlet), None,
                    None, "en", tuple(paras))


def _grouped(docs: list[Document]) -> dict[str, dict]:
    """The documents.jsonl records of the documents, by doc_id."""
    return {d["doc_id"]: d for d in group_documents(docs, Config()).documents}


def test_site_furniture_across_stories_is_removed_with_reason() -> None:
    docs = [_doc("d1", BODY + [BLURB, PROMO], "citytimes"), _doc("d2", OTHER + [BLURB, PROMO], "citytimes"),
            _doc("d3", THIRD + [PROMO, BLURB], "citytimes"), _doc("d4", BODY + [PROMO], "other")]
    out = _grouped(docs)
    assert out["d1"]["text"] == "\n\n".join(BODY)
    assert out["d3"]["removed"] == [{"text": PROMO, "reason": "site-boilerplate"},
                                    {"text": BLURB, "reason": "site-boilerplate"}]
    assert out["d4"]["text"] == "\n\n".join(BODY + [PROMO])  # another site: learned separately


def test_text_shared_by_copies_of_one_story_is_kept() -> None:
    # the same story three times on one site (syndicated copies) is one story, not boilerplate
    docs = [_doc(f"d{i}", BODY, "citytimes") for i in range(3)] + [_doc("d9", OTHER, "citytimes")]
    out = _grouped(docs)
    assert all(d["text"] in ("\n\n".join(BODY), "\n\n".join(OTHER)) and not d["removed"] for d in out.values())


def test_a_document_is_never_emptied() -> None:
    """A page that is nothing but its site's furniture keeps it (the furniture is learned from
    the other stories)."""
    docs = [_doc("d1", BODY + [BLURB, PROMO], "citytimes"), _doc("d2", OTHER + [BLURB, PROMO], "citytimes"),
            _doc("d3", THIRD + [PROMO, BLURB], "citytimes"), _doc("d4", [BLURB, PROMO], "citytimes")]
    out = _grouped(docs)
    assert out["d1"]["text"] == "\n\n".join(BODY)
    assert out["d4"]["text"] == "\n\n".join([BLURB, PROMO]) and not out["d4"]["removed"]


def test_site_is_outlet_or_top_folder() -> None:
    assert site_of(_doc("a", BODY, "Example")) == "example"
    assert site_of(_doc("a", BODY, None, "outlet-a/x.txt")) == "folder:outlet-a"
    assert site_of(_doc("a", BODY, None, "x.txt")) is None


def test_shared_sidebar_does_not_merge_different_stories() -> None:
    sidebar = [f"Headline number {i} about something else entirely today" for i in range(12)]
    docs = [_doc("d1", BODY[:2] + sidebar, "citytimes"), _doc("d2", OTHER[:2] + sidebar, "citytimes"),
            _doc("d3", THIRD + sidebar, "citytimes")]
    g = group_documents(docs, Config())
    assert len(g.articles) == 3
    assert all("Headline number" not in d["text"] for d in g.documents)


def test_keys_and_lines_of_many_documents_are_keys_and_words() -> None:
    """paragraph_keys_and_lines (one kernel call for all paragraphs) gives each document's
    paragraph keys (the oracle: tests/reference/boilerplate.py), norm_words(d.text) as one line
    (None only when a word holds a space) and their count: on real article paragraphs and on
    paragraphs of the characters whose normalisation differs (ligatures with spaces in NFKC,
    combining marks, CJK, multi-character casefolds, final sigma), punctuation-only and empty
    paragraphs."""
    import json
    import random
    from pathlib import Path

    from cleaners.kernels import text_jit as jit
    from cleaners.kernels.text import code_points, norm_word_lines, norm_words
    from cleaners.match.boilerplate import paragraph_keys_and_lines
    from tests.reference.boilerplate import paragraph_keys

    truth = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "ground-truth.json"
    bodies = [v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values()]
    docs = [_doc(f"r{n}", [p for p in b.split("\n") if p.strip()], "site") for n, b in enumerate(bodies)]
    rng = random.Random(8)
    pieces = ["Word", "É", "straße", "東京", "ﬁle", "\ufdfa", "e\u0301", "ΣΑΣ", "İ", "Жж", "—", "“", ".", " ", "_",
              "1", "²", "", "한국어", "゛", "ｶ", "豈", "ゟ", "a日"]
    for n in range(500):
        paras = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 5))]
        docs.append(_doc(f"d{n}", paras, "site"))
    got = paragraph_keys_and_lines([d.paragraphs for d in docs])
    assert len(got) == len(docs) and paragraph_keys_and_lines([]) == []
    nones = 0
    for d, (keys, line, n) in zip(docs, got):
        want_keys, words = paragraph_keys(d.paragraphs), norm_words(d.text)
        assert keys == want_keys and n == len(words)
        if line is None:
            nones += 1
            assert any(" " in w for w in words)
        else:
            assert line == " ".join(words) and (line.split(" ") if line else []) == words
    assert nones  # the ligature that NFKC spells with spaces
    # the kernel made the lines of the real paragraphs itself
    real = [p for d in docs[:len(bodies)] for p in d.paragraphs]
    cp, ends = code_points(real)
    keyed, counts = np.empty(len(real), dtype=bool), np.empty(len(real), dtype=np.int64)
    form_at, forms = jit.key_table()
    jit.word_lines(cp, ends, jit.char_flags(), form_at, forms, keyed, counts, jit.key_buffer(len(cp), len(real)))
    assert keyed.mean() > 0.95 and counts.sum() > 2000
    lines, gaps, counts = norm_word_lines(["a ﬁ b", "\ufdfa x", "", "Жж東京 2019年"])
    assert lines == ["a fi b", " ".join(norm_words("\ufdfa x")), "", "жж 東 京 2019 年"]  # a run stops at a CJK character
    assert gaps.tolist() == [True, False, True, True] and counts.tolist() == [3, 2, 0, 5]


def test_code_points_keep_lone_surrogates_and_astral_characters() -> None:
    """code_points encodes strictly first and falls back to surrogatepass: the same code points."""
    from cleaners.kernels.text import code_points

    for texts in (["ab", "", "é東\U0001f600"], ["lone \udc80 here", "x\ud83d"], []):
        cp, ends = code_points(texts)
        assert cp.tolist() == [ord(c) for c in "".join(texts)]
        assert ends.tolist() == list(np.cumsum([len(t) for t in texts]))
