"""Recurring runs: only new files are processed, article ids are stable, outputs follow the state."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cleaners.config import Config
from cleaners.incremental import plan_run
from cleaners.output import read_jsonl
from cleaners.readers import discover
from cleaners.state import FileInfo, State
from tests.helpers import BODY, article_html

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _run(src: Path, out: Path, **kw: object) -> dict:
    from flows.clean_flow import clean_folder

    return clean_folder(str(src), str(out), **kw)


def _clusters(out: Path) -> set[tuple[frozenset[str], str]]:
    return {(frozenset(m["doc_id"] for m in a["members"]), a["canonical_doc_id"])
            for a in read_jsonl(out / "articles.jsonl")}


def test_plan_skips_unchanged_touched_and_renamed_files(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(f"{name} " + BODY[0])
    cfg = Config()
    with State(tmp_path / "s.sqlite") as state:
        first = plan_run(root, list(discover(root, cfg.read)), state)
        assert [i.path for i in first.process] == ["a.txt", "b.txt", "c.txt"]
        state.commit_run(run_id="r1", files=first.files, renamed={}, replaced_paths=[], docs=[],
                         rejects=[], doc_records=[], articles=[], created={})
        os.utime(root / "a.txt", ns=(1, 1))  # touched: same bytes
        (root / "b.txt").rename(root / "b2.txt")  # renamed
        (root / "c.txt").write_text("changed " + BODY[1])  # changed
        (root / "d.txt").write_text(BODY[2])  # new
        second = plan_run(root, list(discover(root, cfg.read)), state)
    assert [i.path for i in second.process] == ["c.txt", "d.txt"]
    assert second.renamed == {"b.txt": "b2.txt"} and second.touched == 1
    assert second.replaced_paths == ["c.txt"]
    assert {f.path for f in second.files} == {"a.txt", "b2.txt", "c.txt", "d.txt"}
    assert all(isinstance(f, FileInfo) for f in second.files)


def test_rerun_without_new_input_changes_nothing(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _run(seeds_dir, out)
    before = {n: (out / n).read_bytes() for n in ("documents.jsonl", "articles.jsonl", "rejects.jsonl")}
    second = _run(seeds_dir, out)
    assert second["counts"]["files_processed"] == 0
    assert second["state_generation"] == first["state_generation"]
    for name, data in before.items():
        assert (out / name).read_bytes() == data


def test_new_copy_joins_the_existing_article(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out)
    docs = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
    original = docs["000_769164896b962bf3.txt"]
    text = (seeds_dir / "000_769164896b962bf3.txt").read_text()
    (seeds_dir / "later").mkdir()
    (seeds_dir / "later" / "reprint.txt").write_text(text.replace("Oct. 17", "Thursday"))
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 1 and run["counts"]["new_documents"] == 1
    assert run["counts"]["grown_articles"] == 1 and run["counts"]["new_articles"] == 0
    assert run["counts"]["signatures_reused"] >= 5  # earlier texts are not signed again
    docs = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert docs["later/reprint.txt"]["article_id"] == original["article_id"]
    arts = {a["article_id"]: a for a in read_jsonl(out / "articles.jsonl")}
    assert len(arts) == 5 and len(arts[original["article_id"]]["members"]) == 2


def test_incremental_runs_equal_one_run_over_the_union(seeds_dir: Path, tmp_path: Path) -> None:
    parts = [tmp_path / f"part{i}" for i in range(3)]
    for p in parts:
        p.mkdir()
    seeds = sorted(seeds_dir.iterdir())
    for i, f in enumerate(seeds):
        shutil.copy(f, parts[i % 3] / f.name)
    pages = {"lib-a.html": article_html("Library budget", BODY),
             "lib-b.html": article_html("Budget for libraries", BODY[:3]),
             "lib-c.html": article_html("Libraries stay open", [BODY[0] + " " + BODY[1], BODY[2], BODY[3]])}
    for i, (name, html) in enumerate(pages.items()):
        (parts[(i + 1) % 3] / name).write_text(html)
    union = tmp_path / "union"
    union.mkdir()
    for p in parts:
        for f in p.iterdir():
            shutil.copy(f, union / f.name)
    _run(union, tmp_path / "one")

    growing = tmp_path / "growing"
    growing.mkdir()
    for p in parts:  # files arrive part by part; each run sees the folder so far
        for f in p.iterdir():
            shutil.copy(f, growing / f.name)
        _run(growing, tmp_path / "incr")
    assert _clusters(tmp_path / "incr") == _clusters(tmp_path / "one")
    assert len(_clusters(tmp_path / "one")) == 6


def test_changed_file_replaces_its_document_and_export_regenerates(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out)
    target = seeds_dir / "002_cf3d4048416e019f.txt"
    target.write_text(target.read_text() + "\nA correction was appended to this story on Friday evening "
                      "after the ministry clarified the number of vehicles sent to Ukraine.")
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 1
    docs = read_jsonl(out / "documents.jsonl")
    assert len(docs) == 5
    assert any("correction was appended" in d["text"] for d in docs)

    from flows.cli import main

    expected = (out / "articles.jsonl").read_bytes()
    (out / "articles.jsonl").unlink()
    (out / "documents.jsonl").write_text("garbage")
    assert main(["export", str(out)]) == 0
    assert (out / "articles.jsonl").read_bytes() == expected
    assert len(read_jsonl(out / "documents.jsonl")) == 5


def test_outputs_are_repaired_when_missing_even_without_new_input(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out)
    (out / "articles.jsonl").unlink()
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 0
    assert len(read_jsonl(out / "articles.jsonl")) == 5


def test_each_run_publishes_artifacts(seeds_dir: Path, tmp_path: Path) -> None:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run = _run(seeds_dir, tmp_path / "out")
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(run["run_id"])])))
    by_key = {a.key: a for a in arts}
    assert {"newsclean-counts", "newsclean-summary"} <= set(by_key)
    assert "5 new articles" in str(by_key["newsclean-summary"].data)
    table = by_key["newsclean-counts"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert {"step": "new_documents", "count": 5} in rows


def test_changed_matching_settings_are_refused(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out)
    cfg = Config().to_dict()
    cfg["dedup"]["jaccard_threshold"] = 0.5
    with pytest.raises(ValueError, match="other matching settings"):
        _run(seeds_dir, out, config=cfg)
    _run(seeds_dir, out, config=cfg, fresh=True)  # --fresh starts over


def test_state_keeps_the_signatures_of_grouped_texts(seeds_dir: Path, tmp_path: Path) -> None:
    from cleaners.dedup import SketchCache

    out = tmp_path / "out"
    _run(seeds_dir, out)
    with State(out / "state.sqlite") as state:
        stored = state.sketches()
        docs = state.documents()
    assert len(stored) >= 5
    fresh = SketchCache(Config().dedup)
    for d in docs:
        ids, hv = fresh.get(d.text)
        key = next(k for k, v in stored.items() if len(v[0]) == len(ids) and (v[0] == ids).all())
        assert (stored[key][1] == hv).all()


def test_window_freezes_old_articles(seeds_dir: Path, tmp_path: Path) -> None:
    import time

    from cleaners.batch import process_files
    from cleaners.incremental import regroup

    out = tmp_path / "out"
    _run(seeds_dir, out)
    copy = tmp_path / "late"
    copy.mkdir()
    (copy / "reprint.txt").write_text((seeds_dir / "000_769164896b962bf3.txt").read_text())
    cfg = Config()
    new_docs, _ = process_files(copy, list(discover(copy, cfg.read)), cfg)
    with State(out / "state.sqlite") as state:
        inside = regroup(state, new_docs, [], cfg, window_days=30, now=time.time() + 10 * 86400)
        outside = regroup(state, new_docs, [], cfg, window_days=30, now=time.time() + 40 * 86400)
    assert inside.frozen_documents == 0 and inside.grown_articles and not inside.new_articles
    assert outside.frozen_documents == 5 and outside.new_articles and not outside.grown_articles


def test_state_written_in_wal_mode_opens_in_rollback_journal_mode_with_its_data(tmp_path: Path) -> None:
    """States of earlier versions were in WAL mode: opened now they convert (no -wal file left
    after a commit) and keep what they held."""
    import sqlite3

    path = tmp_path / "s.sqlite"
    with State(path) as state:
        state.commit_run(run_id="r1", files=[FileInfo("a.txt", 1, 2, "ab")], renamed={},
                         replaced_paths=[], docs=[], rejects=[], doc_records=[], articles=[], created={})
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"  # as an earlier version left it
    db.close()
    with State(path) as state:
        assert state.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert list(state.files()) == ["a.txt"] and state.generation == 1
        state.commit_run(run_id="r2", files=[], renamed={}, replaced_paths=[], docs=[], rejects=[],
                         doc_records=[], articles=[], created={})
    assert not (tmp_path / "s.sqlite-wal").exists()


def test_export_copies_the_records_json_as_encoding_them_again_would_write_it(seeds_dir: Path,
                                                                            tmp_path: Path) -> None:
    """Export writes the stored JSON text of each record: every line is what json.dumps of the
    decoded record gives, and exporting again from the state gives the same files."""
    import json

    from cleaners.output import export_state

    out = tmp_path / "out"
    _run(seeds_dir, out)
    names = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")
    first = {n: (out / n).read_text(encoding="utf-8") for n in names}
    lines = [ln for n in names[:2] for ln in first[n].splitlines()]
    assert len(lines) >= 10
    assert all(json.dumps(json.loads(ln), ensure_ascii=False) == ln for ln in lines)
    for n in names:
        (out / n).unlink()
    with State(out / "state.sqlite") as state:
        counts = export_state(state, out)
    assert counts["documents"] == first["documents.jsonl"].count("\n")
    assert {n: (out / n).read_text(encoding="utf-8") for n in names} == first
