"""`newsclean explain`: why a document is in its article, what an article holds, why two documents
were or were not merged; read from the state a real (in-process) flow run wrote."""

from __future__ import annotations

import json
import shutil
import sqlite3
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from cleaners.config import DedupConfig
from cleaners.kernels import ClusterLinker, shingle_ids, signatures
from cleaners.match.dedup import find_clusters
from cleaners.match.explain import explain, explain_document, explain_pair, merge_rule, render
from cleaners.store.state import State
from tests.conftest import RAW
from tests.helpers import article_html, read_jsonl


def _lines(name: str) -> list[str]:
    return [ln for ln in (RAW / name).read_text(encoding="utf-8").splitlines() if len(ln.split()) >= 10]


NATO = _lines("001_13634777a3f12016.txt")[2:10]  # eight paragraphs of one story
OTHER = _lines("002_cf3d4048416e019f.txt")[:4]
EXTRA = "Officials from the four partner countries are expected to meet again in the spring to review the plan."
AD = "Story continues below advertisement"


def _page(folder: Path, name: str, site: str, paragraphs: list[str]) -> None:
    (folder / name).write_text(article_html("NATO defense ministers meet", paragraphs,
                                            url=f"https://www.{site}/2024/10/nato-meeting"), encoding="utf-8")


def _input(root: Path) -> Path:
    """One story at four outlets (the original, a near copy, a trimmed copy, a copy of the trimmed
    one), a page quoting three of its paragraphs inside another story, and an unrelated text."""
    root.mkdir(parents=True)
    _page(root, "orig.html", "alpha-news.com", NATO[:4] + [AD] + NATO[4:] + [EXTRA])
    _page(root, "copy.html", "beta-times.com", [NATO[0].replace("Thursday", "Thursday morning")] + NATO[1:])
    _page(root, "trim.html", "gamma-post.com", NATO[:4])
    _page(root, "trim2.html", "gamma-post.com", NATO[:3] + [NATO[3].replace("Brussels", "Belgium")])
    _page(root, "quote.html", "delta-daily.com", OTHER + NATO[5:8])
    shutil.copy(RAW / "004_2fc31b5072736374.txt", root / "other.txt")
    return root


def _run(src: Path, out: Path) -> dict:
    from flows.clean_flow import clean_folder

    return clean_folder(str(src), str(out), workers=1)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    root = tmp_path_factory.mktemp("explain")
    _run(_input(root / "in"), root / "out")
    return root / "out"


def _by_site(out: Path) -> dict[str, dict]:
    return {d["source"]["path"].split(".")[0]: d for d in read_jsonl(out / "documents.jsonl")}


def _state(out: Path) -> State:
    return State(out / "state.sqlite", readonly=True)


def test_a_duplicate_is_explained_by_a_chain_of_verified_pairs_to_the_canonical(run_out: Path) -> None:
    docs = _by_site(run_out)
    canon = docs["orig"]["doc_id"]
    assert {docs[k]["duplicate_of"] for k in ("copy", "trim", "trim2")} == {canon}
    cfg = DedupConfig()
    with _state(run_out) as state:
        e = explain_document(state, docs["trim2"]["doc_id"])
    chain = e["chain"]
    assert chain and chain[0]["from"] == docs["trim2"]["doc_id"] and chain[-1]["to"] == canon
    for step in chain:  # every pair passes a threshold, by the rule it names
        small = min(step["shingles_a"], step["shingles_b"])
        assert step["jaccard"] >= cfg.jaccard_threshold or (
            step["containment"] >= cfg.containment_threshold and small >= cfg.min_containment_shingles)
        assert step["rule"] == ("jaccard >= 0.7" if step["jaccard"] >= 0.7 else
                                "containment >= 0.75 with >= 40 shingles")
    assert any(s["rule"].startswith("containment") for s in chain)  # a trimmed copy: contained, not similar
    assert e["article"]["canonical_doc_id"] == canon and not e["canonical"]
    rule = e["canonical_rule"]
    assert rule["other"] == canon and not rule["wins"] and rule["decided_by"] == "1. most words"
    assert rule["steps"][0]["this"] < rule["steps"][0]["other"]
    text = render(e)
    assert "why it is not the canonical" in text and "1. most words" in text and canon in text


def test_a_canonical_document_shows_its_removals_fixes_and_why_it_won(run_out: Path) -> None:
    docs = _by_site(run_out)
    with _state(run_out) as state:
        e = explain_document(state, docs["orig"]["doc_id"])
    assert e["canonical"] and e["chain"] == []
    assert e["canonical_rule"]["wins"] and e["canonical_rule"]["decided_by"] == "1. most words"
    assert {"text": AD, "reason": "advertisement"} in e["removed"]
    assert e["fixes"] == docs["orig"]["fixes"] and e["fixes"]
    assert "advertisement: Story continues below advertisement" in render(e)


def test_a_document_lists_the_passages_it_shares_with_other_documents(run_out: Path) -> None:
    docs = _by_site(run_out)
    with _state(run_out) as state:
        e = explain_document(state, docs["quote"]["doc_id"])
    assert e["article"]["members"] == 1
    others = {o["doc_id"] for p in e["passages"] for o in p["others"]}
    assert docs["orig"]["doc_id"] in others
    text = docs["quote"]["text"]
    assert all(text[p["start"]:p["end"]] == p["text"] for p in e["passages"])


def test_an_article_lists_its_members_by_outlet_with_their_paragraph_differences(run_out: Path) -> None:
    docs = _by_site(run_out)
    with _state(run_out) as state:
        e = explain(state, docs["orig"]["article_id"])
    assert e["kind"] == "article" and e["members"] == 4
    outlets = {g["outlet"]: sorted(m["doc_id"] for m in g["members"]) for g in e["members_by_outlet"]}
    assert outlets == {"alpha-news.com": [docs["orig"]["doc_id"]], "beta-times.com": [docs["copy"]["doc_id"]],
                       "gamma-post.com": sorted([docs["trim"]["doc_id"], docs["trim2"]["doc_id"]])}
    assert [g["outlet"] for g in e["members_by_outlet"]] == sorted(outlets)
    trim = next(m for g in e["members_by_outlet"] for m in g["members"] if m["doc_id"] == docs["trim"]["doc_id"])
    assert trim["paragraphs_missing"] == NATO[4:] + [EXTRA] and trim["paragraphs_added"] == []
    copy = next(m for g in e["members_by_outlet"] for m in g["members"] if m["doc_id"] == docs["copy"]["doc_id"])
    [changed] = copy["paragraphs_changed"]  # edited in place (the cleaner took the dateline off both)
    assert changed["member"] == changed["canonical"].replace("Thursday", "Thursday morning") != changed["canonical"]
    assert copy["paragraphs_missing"] == [EXTRA] and copy["paragraphs_added"] == []
    assert len(e["links"]) == 3 and e["links_note"] is None
    assert "gamma-post.com" in render(e)


def test_pair_gives_the_run_verdict_for_every_pair_merged_refused_or_never_compared(run_out: Path) -> None:
    docs = read_jsonl(run_out / "documents.jsonl")
    kinds = set()
    with _state(run_out) as state:
        for a, b in combinations(docs, 2):
            e = explain_pair(state, a["doc_id"], b["doc_id"])
            assert (e["verdict"] == "merged") == (a["article_id"] == b["article_id"]) and e["agrees_with_run"]
            kinds.add((e["verdict"], e["candidates"], e["rule"] is not None))
    # merged directly; candidates the run compared and refused; never candidates
    assert {("merged", True, True), ("not merged", True, False), ("not merged", False, False)} <= kinds


def test_pair_of_a_refused_candidate_names_the_failed_thresholds(run_out: Path) -> None:
    docs = _by_site(run_out)
    with _state(run_out) as state:
        e = explain_pair(state, docs["quote"]["doc_id"], docs["orig"]["doc_id"])
    assert e["verdict"] == "not merged" and e["candidates"] and e["shared_bands"] and e["rule"] is None
    assert e["jaccard"] < 0.7 and e["containment"] < 0.75 and e["shared_shingles"] > 0
    assert "compared and refused" in e["why"] and "< 0.75" in e["why"]


def test_cli_explain_json_parses_and_an_unknown_id_is_a_usage_error(run_out: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    docs = _by_site(run_out)
    assert main(["explain", str(run_out), docs["trim"]["doc_id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chain"]
    assert main(["explain", str(run_out), "--pair", docs["trim"]["doc_id"], docs["copy"]["doc_id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "merged"
    assert main(["explain", str(run_out), "d0000000000000000"]) == 2
    err = capsys.readouterr().err
    assert "'d0000000000000000'" in err and "documents.jsonl" in err
    with pytest.raises(SystemExit) as exc:  # neither an ID nor --pair
        main(["explain", str(run_out)])
    assert exc.value.code == 2


def test_a_first_run_document_is_still_explained_after_an_incremental_run(tmp_path: Path,
                                                                          prefect_harness: None) -> None:
    src = _input(tmp_path / "in")
    (src / "trim2.html").unlink()
    out = tmp_path / "out"
    _run(src, out)
    first = _by_site(out)
    _page(src, "trim2.html", "gamma-post.com", NATO[:3] + [NATO[3].replace("Brussels", "Belgium")])
    run = _run(src, out)
    assert run["counts"]["new_documents"] == 1
    docs = _by_site(out)
    with _state(out) as state:
        e = explain_document(state, first["copy"]["doc_id"])
        links = state.db.execute("SELECT COUNT(*) FROM links").fetchone()[0]
    assert e["chain"] and e["chain"][-1]["to"] == docs["orig"]["doc_id"] and all(s["rule"] for s in e["chain"])
    assert links == len(docs) - len({d["article_id"] for d in docs.values()})  # one spanning tree an article


def test_a_state_from_before_the_links_table_says_so_and_gets_the_table(run_out: Path, tmp_path: Path) -> None:
    old = tmp_path / "out"
    shutil.copytree(run_out, old)
    with sqlite3.connect(old / "state.sqlite") as db:
        db.execute("DROP TABLE links")
    db.close()
    docs = _by_site(old)
    with _state(old) as state:  # read-only: nothing is created
        e = explain_document(state, docs["trim"]["doc_id"])
        assert e["chain"] is None and "did not keep the verified pairs" in e["links_note"]
        assert explain_pair(state, docs["trim"]["doc_id"], docs["orig"]["doc_id"])["verdict"] == "merged"
    with State(old / "state.sqlite") as state:  # a run opens it: the table is made
        assert state.has_table("links") and state.get_meta("links_since_generation") == "2"
    with _state(old) as state:
        e = explain_document(state, docs["trim"]["doc_id"])
    assert e["chain"] is None
    assert "before the state kept its verified pairs (runs before generation 2)" in e["links_note"]
    assert "before the state kept" in render(e)


@pytest.mark.parametrize("seed", range(3))
def test_the_linker_records_a_spanning_forest_of_verified_pairs(seed: int) -> None:
    """The linker's links: one per union (n - clusters), each a pair that verifies by merge_rule
    (the kernel's condition, kept in explain), and together they join exactly the clusters."""
    rng = np.random.default_rng(seed)
    base = [rng.integers(0, 500, 120).astype(str).tolist() for _ in range(6)]
    docs = []
    for _ in range(60):  # copies of six texts, trimmed and edited
        words = list(base[rng.integers(6)])
        cut = rng.integers(0, 80)
        words = words[cut:] if rng.random() < 0.5 else words[:len(words) - cut]
        for k in rng.integers(0, len(words), rng.integers(0, 12)):
            words[k] = "x" + words[k]
        docs.append(" ".join(words))
    cfg = DedupConfig()
    ids, counts = shingle_ids(docs, cfg.shingle_words)
    shingles = np.split(ids, np.cumsum(counts)[:-1])
    linked = find_clusters(shingles, cfg, signatures(ids, counts, cfg.num_perm, cfg.seed, cfg.scheme))
    links = linked.links
    assert len(links) == len(docs) - len(linked.groups)
    parent = list(range(len(docs)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b, shared, la, lb in links.tolist():
        assert a < b and la == len(shingles[a]) and lb == len(shingles[b])
        assert shared == len(np.intersect1d(shingles[a], shingles[b]))
        assert merge_rule(shared, la, lb, cfg) is not None
        assert find(a) != find(b)  # each link joins two clusters: a forest
        parent[find(a)] = find(b)
    assert sorted(sorted(i for i in range(len(docs)) if find(i) == find(g[0])) for g in linked.groups) == \
        sorted(linked.groups)
    linker = ClusterLinker(shingles, cfg.jaccard_threshold, cfg.containment_threshold, cfg.min_containment_shingles)
    assert linker.links().shape == (0, 5)
