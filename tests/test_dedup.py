"""Near-duplicate clustering, canonical choice and shared passages."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cleaners.match.articles import group_documents
from cleaners.config import Config, DedupConfig
from cleaners.kernels import similarities
from cleaners.match.dedup import doc_shingles_many, find_clusters
from cleaners.match.passages import find_shared_passages
from cleaners.records import Document, Source
from tests.helpers import BODY
from tests.reference.dedup import clusters, find_pairs, is_duplicate
from tests.reference.minhash import kernel_signatures, lsh_pairs

OTHER = [
    "Heavy rain flooded several streets in the port district overnight, forcing the closure of "
    "two schools and the main ferry terminal until the water receded on Wednesday morning.",
    "Emergency crews pumped water from basements while residents moved cars to higher ground, "
    "and the weather service warned that more storms could arrive before the weekend.",
    "The harbour authority said ferries would resume a reduced schedule once engineers had "
    "inspected the piers, which were damaged during a similar storm last winter.",
]


def _doc(doc_id: str, paras: list[str], outlet: str, published: str | None = None,
         url: str | None = None) -> Document:
    return Document(doc_id, Source(f"{doc_id}.txt", None, doc_id, "txt", url, outlet), None,
                    published, "en", tuple(paras))


def test_wire_copy_with_edits_and_cut_is_grouped() -> None:
    original = _doc("d1", BODY, "wire", "2024-10-17T09:00:00+00:00", "https://wire.example/1")
    copy = _doc("d2", [BODY[0], BODY[1].replace("twelve", "12"), BODY[2]], "paper")
    other = _doc("d3", OTHER, "paper")
    g = group_documents([copy, original, other], Config())
    assert len(g.articles) == 2
    by_id = {d["doc_id"]: d for d in g.documents}
    assert by_id["d2"]["duplicate_of"] == "d1"  # the longer, complete text is canonical
    assert by_id["d1"]["duplicate_of"] is None and by_id["d1"]["similarity"] == 1.0
    assert by_id["d3"]["duplicate_of"] is None
    art = next(a for a in g.articles if a["canonical_doc_id"] == "d1")
    assert [m["doc_id"] for m in art["members"]] == ["d1", "d2"]
    assert art["members"][1]["paragraphs_missing"] == 2 and art["outlets"] == ["paper", "wire"]


def test_abridged_reprint_joins_by_containment() -> None:
    long_text = BODY + OTHER  # a long story
    abridged = [BODY[0] + " " + BODY[1], BODY[2] + " " + BODY[3]]  # half, paragraphs re-joined
    a, b = _doc("d1", long_text, "x"), _doc("d2", abridged, "y")
    ok, jac, con = is_duplicate(*doc_shingles_many([a.text, b.text], DedupConfig()), DedupConfig())
    assert ok and jac < 0.7 and con > 0.9
    assert len(group_documents([a, b], Config()).articles) == 1


def test_canonical_rule_ties_break_on_earliest_publication_then_id() -> None:
    a = _doc("d2", BODY, "x", "2024-10-18")
    b = _doc("d1", BODY, "y", "2024-10-17")
    c = _doc("d0", BODY, "z", None)
    g = group_documents([a, b, c], Config())
    assert [x["canonical_doc_id"] for x in g.articles] == ["d1"]
    g2 = group_documents([replace(b, published=None), replace(a, published=None), c], Config())
    assert g2.articles[0]["canonical_doc_id"] == "d0"


def test_japanese_uses_character_shingles() -> None:
    ja = "日本の防衛相は木曜日、ブリュッセルで開かれた北大西洋条約機構の国防相会議に初めて出席した。"
    ja2 = "中谷防衛相はウクライナのウメロフ国防相と会談し、自衛隊車両の追加供与を表明した。"
    a = _doc("d1", [ja, ja2, ja + ja2], "x")
    b = _doc("d2", [ja, ja2, ja + ja2.replace("追加", "さらなる")], "y")
    assert len(doc_shingles_many([a.text], DedupConfig())[0]) > 50
    assert len(group_documents([a, b], Config()).articles) == 1


def test_quoted_paragraph_is_a_shared_passage_not_a_duplicate() -> None:
    quote = ("It is important to deepen cooperation with like-minded countries that share basic "
             "values and strategic interests, and to further promote cooperation between Japan and NATO.")
    a = _doc("d1", BODY + [quote], "ministry")
    b = _doc("d2", OTHER[:2] + ["The minister said: \u201c" + quote + "\u201d"], "paper")
    g = group_documents([a, b], Config())
    assert len(g.articles) == 2
    passages = g.articles[0]["shared_passages"]
    assert len(passages) == 1
    occ = {o["doc_id"]: o for o in passages[0]["occurrences"]}
    for doc in (a, b):
        o = occ[doc.doc_id]
        assert doc.text[o["start"]:o["end"]].startswith("It is important to deepen")
        assert doc.text[o["start"]:o["end"]].endswith("Japan and NATO")


def test_short_common_phrases_are_not_passages() -> None:
    phrase = "unilateral attempts to change the status quo by force"
    a = _doc("d1", BODY + [f"He warned against {phrase} in the region."], "x")
    b = _doc("d2", OTHER + [f"Leaders rejected {phrase} or coercion."], "y")
    assert find_shared_passages([a.text, b.text], [0, 1], Config().passages, DedupConfig()) == []


def test_same_outlet_repeats_are_not_reported_as_shared_passages() -> None:
    promo = ("Our reporters have covered the city council for more than forty years, and you can "
             "support that work with a subscription starting at one dollar a week.")
    a = _doc("d1", BODY + [promo], "paper")
    b = _doc("d2", OTHER + [promo], "paper")
    g = group_documents([a, b], Config())
    assert all(a["shared_passages"] == [] for a in g.articles)
    assert g.stats["passages_dropped_as_boilerplate"] == 1


def test_similarities_decide_as_is_duplicate() -> None:
    """The kernel's similarities of near copies, contained extracts, unrelated and tiny texts are
    the reference's, so the threshold rule decides the same (accepting some pairs, not all)."""
    rng = np.random.default_rng(7)
    cfg = DedupConfig()
    base = np.unique(rng.integers(0, 5000, 400)).astype(np.uint32)
    arrays = [np.zeros(0, dtype=np.uint32)]
    for _ in range(60):  # near copies, contained extracts, unrelated texts, tiny texts
        kind = rng.integers(4)
        if kind == 0:
            a = np.union1d(rng.choice(base, int(len(base) * rng.uniform(0.7, 1.0)), replace=False),
                           rng.integers(0, 5000, rng.integers(0, 60)))
        elif kind == 1:
            a = np.sort(rng.choice(base, rng.integers(5, 200), replace=False))
        elif kind == 2:
            a = np.unique(rng.integers(0, 5000, rng.integers(1, 400)))
        else:
            a = np.sort(rng.choice(base, rng.integers(1, 4), replace=False))
        arrays.append(np.asarray(a, dtype=np.uint32))
    accepted = 0
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            ok, jac, con = is_duplicate(arrays[i], arrays[j], cfg)
            assert similarities(arrays[i], arrays[j]) == (jac, con)
            accepted += ok
    assert 0 < accepted < len(arrays) * (len(arrays) - 1) // 2


def test_find_clusters_equals_every_candidate_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    """find_clusters compares only pairs not yet connected, yet gives the clusters of every
    candidate pair verified (the reference), also when the kernel's table of refused pairs
    starts at two slots and grows."""
    from cleaners.kernels import minhash_jit

    rng = np.random.default_rng(11)
    cfg = replace(DedupConfig(), min_short_copy_shingles=10**9)  # the pair rules only: short copies below
    arrays = [np.zeros(0, dtype=np.uint32)]
    for story in range(12):  # copies drift from their story: chains where a ~ b ~ c but not a ~ c
        base = np.unique(rng.integers(story * 10_000, story * 10_000 + 9_000, 500)).astype(np.uint32)
        current = base
        for _ in range(int(rng.integers(1, 25))):
            kind = rng.integers(3)
            if kind == 0:  # a copy of the last version with a few ids changed
                keep = rng.choice(current, int(len(current) * rng.uniform(0.8, 0.95)), replace=False)
                current = np.union1d(keep, rng.integers(story * 10_000, story * 10_000 + 9_000, 40))
                arrays.append(current.astype(np.uint32))
            elif kind == 1:  # an extract (containment)
                arrays.append(np.sort(rng.choice(base, int(rng.integers(30, 300)), replace=False)))
            else:  # a looser copy of the story
                arrays.append(np.sort(rng.choice(base, int(len(base) * rng.uniform(0.5, 0.9)), replace=False)))
    sigs = kernel_signatures(arrays, cfg.num_perm, cfg.seed, cfg.scheme)
    verified = find_pairs(arrays, cfg, sigs)
    keep = [i for i, a in enumerate(arrays) if len(a)]
    candidates = len(lsh_pairs(sigs, cfg.lsh_bands, cfg.lsh_rows, keep))
    want = clusters(len(arrays), verified)
    assert 1 < len(want) < len(arrays) - 20 and candidates > len(verified), "clusters, and refused candidates"
    got = find_clusters(arrays, cfg, sigs)
    assert got.groups == want
    assert got.compared < len(verified), "already connected pairs are not compared"
    monkeypatch.setattr(minhash_jit, "new_failed_set", lambda: np.full(2, -1, dtype=np.int64))
    small = find_clusters(arrays, cfg, sigs)
    assert small.groups == want and small.compared == got.compared


def test_group_documents_reports_each_stage() -> None:
    """on_stage hears about every stage, in order, with its duration (the flow logs them)."""
    docs = [_doc("a", BODY, "one"), _doc("b", BODY, "two"), _doc("c", OTHER, "one")]
    heard: list[tuple[str, float]] = []
    g = group_documents(docs, Config(), on_stage=lambda what, sec: heard.append((what, sec)))
    names = [w for w, _ in heard]
    assert names[0] == "signed 3 documents"
    assert names[1] == "learned and removed site boilerplate"
    assert names[2] == f"matched: {g.stats['compared_pairs']} pairs compared, 2 articles"
    assert names[3].startswith("found ") and names[4] == "built the article and document records"
    assert all(sec >= 0 for _, sec in heard)


def test_sketch_cache_parks_its_sketches_on_disk(tmp_path) -> None:
    """After park, the sketches leave memory for the store but are still found and listed for the state."""
    from cleaners.match.dedup import SketchCache
    from cleaners.store.docstore import DocStore

    texts = [f"story {n} " + " ".join(f"word{n}x{i}" for i in range(40)) for n in range(5)]
    cache = SketchCache(DedupConfig())
    before = cache.get_many(texts)
    with DocStore(tmp_path / "store.sqlite") as store:
        cache.park(store)
        assert not cache._made and len(store.get_sketches([SketchCache.key(t) for t in texts])) == 5
        again = cache.get_many(texts[:2] + ["a new text of its own with several words in it"])
        for (i0, h0), (i1, h1) in zip(before[:2], again[:2]):
            assert np.array_equal(i0, i1) and np.array_equal(h0, h1) and h1.dtype == h0.dtype
        assert len(cache._made) == 1  # only the new text was signed
        items = dict(cache.new_items())  # every text here was signed by this cache
        assert set(items) == cache.used_keys() == {SketchCache.key(t) for t in texts} | {SketchCache.key(
            "a new text of its own with several words in it")}
        assert all(np.array_equal(items[SketchCache.key(t)][1], sk[1]) for t, sk in zip(texts, before))


def test_docstore_json_rows_are_the_documents_json_as_the_state_writes_it(tmp_path) -> None:
    """json_rows gives (doc_id, path, JSON) of the documents asked for (in doc_id order, across
    query chunks): the JSON the state would encode from the batch file's document."""
    import json

    from cleaners.store.docstore import DocStore
    from cleaners.records import Document, Source, document_to_dict

    docs = [Document(doc_id=f"d{n:03d}", source=Source(f"in/{n}.txt", None, "ab", "text"),
                     title=f"Title «{n}»", published=None, language="en",
                     paragraphs=(f"Paragraph {n} — with “quotes”.", "Second."))
            for n in range(30)]
    with DocStore(tmp_path / "s.sqlite") as store:
        store.CHUNK = 4
        store.add(reversed(docs))
        want = ["d007", "d002", "d029", "d013", "d000", "d021"]
        rows = list(store.json_rows(want))
    assert [r[0] for r in rows] == sorted(want)
    by_id = {d.doc_id: d for d in docs}
    for doc_id, path, data in rows:
        assert path == by_id[doc_id].source.path
        assert data == json.dumps(document_to_dict(by_id[doc_id]), ensure_ascii=False)


def test_docstore_bodies_are_the_documents_texts_and_paragraphs(tmp_path) -> None:
    """iter_bodies / get_bodies_range / get_bodies_many give each document's text and paragraphs
    as Document.text and .paragraphs, also for paragraphs a join and split at blank lines would
    not give back (read from the JSON then), across query chunks, added as documents or as JSON."""
    import json

    from cleaners.store.docstore import DocStore, paragraphs_of
    from cleaners.records import document_to_dict

    odd = [(), ("",), ("a\n", "b"), ("one\n\ntwo", "three"), ("x", "", "y"), ("\nlead", "tail\n"),
           ("plain", "text"), ("só “quoted” — text",)]
    docs = [_doc(f"d{n:02d}", list(ps), "one") for n, ps in enumerate(odd * 3)]
    # JSON look-alikes in the fields before the paragraphs and in the paragraphs themselves
    docs[6] = replace(docs[6], title='"paragraphs": [] and "paragraphs": ["plain", "text"]')
    docs[7] = replace(docs[7], paragraphs=('a \\"paragraphs\\": [] \\', '"quoted" \\n'))
    dicts = [document_to_dict(d) for d in docs]
    for how in ("add", "add_json", "add_json, ASCII JSON"):
        with DocStore(tmp_path / f"{how}.sqlite") as store:
            store.CHUNK = 3
            if how == "add":
                store.add(reversed(docs))
            elif how == "add_json":
                store.add_json((json.dumps(d, ensure_ascii=False), d) for d in dicts)
            else:  # JSON text of another form is kept as given
                store.add_json((json.dumps(d), d) for d in dicts)
            order = sorted(docs, key=lambda d: d.doc_id)
            assert list(store.iter_docs()) == order, how
            ascii_json = how.endswith("ASCII JSON")
            assert [data for _, _, data in store.json_rows(d.doc_id for d in docs)] == [
                json.dumps(document_to_dict(d), ensure_ascii=ascii_json) for d in order], how

            want = [(d.text, list(d.paragraphs)) for d in order]
            got = [(b[0], paragraphs_of(b)) for b in store.iter_bodies()]
            assert got == want, how
            assert [(b[0], paragraphs_of(b)) for b in store.get_bodies_range(4, 11)] == want[4:11]
            many = store.get_bodies_many([17, 2, 9, 2, 23])
            assert sorted(many) == [2, 9, 17, 23]
            assert all((many[i][0], paragraphs_of(many[i])) == want[i] for i in many)
            # the plain rows are not decoded: their paragraphs are split from the text when asked
            assert sum(b[1] is None for b in store.iter_bodies()) == 15, how  # 5 of the 8 kinds, 3 times


def test_final_text_is_the_text_of_the_final_document() -> None:
    """Matched.final_text (from a stored body) == Matched.final(i, doc).text for every document,
    with a site's learned boilerplate stripped from some of them."""
    from cleaners.match.articles import match_store
    from cleaners.store.docstore import DocStore

    footer = "Subscribe to the Harbour Gazette for the news of the coast every morning."
    stories = [[f"Story {n}: the council of town {n} met on day {n} to talk about boats and nets {n}.",
                f"Its members {n} voted {n} times on the budget of the port {n} in a long night session."]
               for n in range(12)]
    docs = [_doc(f"g{n:02d}", paras + [footer], "gazette") for n, paras in enumerate(stories)]
    docs += [_doc("h00", [footer], "gazette"), _doc("o00", stories[0], "other")]
    with DocStore() as store:
        store.add(docs)
        m = match_store(store, Config())
        assert m.learned, "the footer should be learned as the site's boilerplate"
        finals = [m.final(i, d).text for i, d in enumerate(store.iter_docs())]
        assert [m.final_text(i, b) for i, b in enumerate(store.iter_bodies())] == finals
        assert sum(f != d.text for f, d in zip(finals, store.iter_docs())) == 12


LEAD = ("Shares in the regional airline fell sharply on Monday after it cut its forecast for the "
        "summer season, blaming higher fuel costs and a shortage of pilots at its two main bases.")
LONG = [LEAD] + [f"{p} The airline said paragraph {i} of its statement would be updated." for i, p in
                 enumerate(BODY + BODY[::-1])]


def _story(doc_id: str, paras: list[str]) -> Document:
    return _doc(doc_id, paras, doc_id[:2])


def _groups(docs: list[Document], cfg: DedupConfig = DedupConfig()) -> list[list[str]]:
    shingles = doc_shingles_many([d.text for d in docs], cfg)
    sigs = kernel_signatures(shingles, cfg.num_perm, cfg.seed, cfg.scheme)
    return [[docs[i].doc_id for i in g] for g in find_clusters(shingles, cfg, sigs).groups]


def test_a_short_copy_wholly_contained_in_one_story_joins_it() -> None:
    """A lead paragraph reprinted alone (too short for the containment rule, and not an LSH
    candidate of the long story) joins the story; with the rule out of reach it stays alone."""
    docs = [_story("s1-a", LONG), _story("s1-b", LONG), _story("s2-a", OTHER), _story("sc-x", [LEAD])]
    assert _groups(docs) == [["s1-a", "s1-b", "sc-x"], ["s2-a"]]
    off = replace(DedupConfig(), min_short_copy_shingles=10**9)
    assert _groups(docs, off) == [["s1-a", "s1-b"], ["s2-a"], ["sc-x"]]


def test_a_short_text_held_by_two_stories_or_changed_stays_alone() -> None:
    """A paragraph two different stories quote stays alone (it would tie them together); so
    does a short copy with a word changed (not wholly contained), and one under the minimum."""
    quoting = [OTHER[0], f"As the report said: {LEAD}", OTHER[2]]
    changed = LEAD.replace("sharply", "steeply")
    tiny = "Shares in the regional airline fell sharply on Monday."  # 9 words, 5 shingles
    docs = [_story("s1-a", LONG), _story("s2-a", quoting), _story("sc-x", [LEAD]), _story("sc-y", [changed]),
            _story("sc-z", [tiny])]
    assert _groups(docs) == [["s1-a"], ["s2-a"], ["sc-x"], ["sc-y"], ["sc-z"]]
    assert _groups(docs[:1] + docs[4:]) == [["s1-a"], ["sc-z"]]


def test_a_short_copy_join_is_recorded_as_a_link_that_explain_names() -> None:
    """The join is one row of the spanning forest (so `newsclean explain` shows it), whose counts
    the pair rules refuse and the short-copy rule accepts."""
    from cleaners.match.explain import merge_rule, short_copy_rule

    docs = [_story("s1-a", LONG), _story("s2-a", OTHER), _story("sc-x", [LEAD])]
    cfg = DedupConfig()
    shingles = doc_shingles_many([d.text for d in docs], cfg)
    linked = find_clusters(shingles, cfg, kernel_signatures(shingles, cfg.num_perm, cfg.seed, cfg.scheme))
    assert linked.groups == [[0, 2], [1]]
    (a, b, shared, la, lb), = linked.links.tolist()
    assert (a, b) == (0, 2) and shared == lb == len(shingles[2]) and la == len(shingles[0])
    assert merge_rule(shared, la, lb, cfg) is None
    assert (short_copy_rule(shared, la, lb, cfg) or "").startswith("short copy")
