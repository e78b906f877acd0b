"""Per-site boilerplate learned from the corpus: repeated across stories, not across copies."""

from __future__ import annotations

from cleaners.articles import group_documents
from cleaners.boilerplate import site_of, strip_site_boilerplate
from cleaners.config import Config, DedupConfig
from cleaners.records import Document, Source
from tests.test_dedup import BODY, OTHER

THIRD = ["Scientists at the university announced on Friday that they had sequenced the genome of a "
         "rare orchid found only on two mountain slopes in the south of the country.",
         "The team said the work could help conservation groups protect the plant, whose numbers "
         "have fallen sharply because of illegal collecting and a series of dry summers."]
BLURB = "What others are reading"
PROMO = "Listen to this article and more on the City Times app, free for subscribers."


def _doc(doc_id: str, paras: list[str], outlet: str | None, path: str | None = None) -> Document:
    return Document(doc_id, Source(path or f"{doc_id}.html", None, doc_id, "html", None, outlet), None,
                    None, "en", tuple(paras))


def test_site_furniture_across_stories_is_removed_with_reason() -> None:
    docs = [_doc("d1", BODY + [BLURB, PROMO], "citytimes"), _doc("d2", OTHER + [BLURB, PROMO], "citytimes"),
            _doc("d3", THIRD + [PROMO, BLURB], "citytimes"), _doc("d4", BODY + [PROMO], "other")]
    out = {d.doc_id: d for d in strip_site_boilerplate(docs, DedupConfig())}
    assert out["d1"].paragraphs == tuple(BODY)
    assert [r.reason for r in out["d3"].removed] == ["site-boilerplate", "site-boilerplate"]
    assert out["d4"].paragraphs == tuple(BODY + [PROMO])  # another site: learned separately


def test_text_shared_by_copies_of_one_story_is_kept() -> None:
    # the same story three times on one site (syndicated copies) is one story, not boilerplate
    docs = [_doc(f"d{i}", BODY, "citytimes") for i in range(3)] + [_doc("d9", OTHER, "citytimes")]
    assert all(d.paragraphs in (tuple(BODY), tuple(OTHER)) for d in strip_site_boilerplate(docs, DedupConfig()))


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


def test_keys_and_words_tokenise_the_text_once_with_the_same_result() -> None:
    """paragraph_keys_and_words(d) == (paragraph_keys(d), norm_words(d.text)) on paragraphs with
    ASCII, accented, CJK and NFKC-changing tokens, punctuation-only and empty-word paragraphs."""
    import random

    from cleaners.boilerplate import paragraph_keys, paragraph_keys_and_words
    from cleaners.textutil import norm_words

    rng = random.Random(7)
    pieces = ["Word", "word", "É", "straße", "東京", "ﬁle", "Ⅻ", "ΣΑΣ", "İ", "K", "—", "“", ".", " ", "_", "1"]
    for n in range(300):
        paras = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 5))]
        d = _doc(f"d{n}", paras, "site")
        assert paragraph_keys_and_words(d) == (paragraph_keys(d), norm_words(d.text)), paras
