"""Recurring runs: only new files are processed, article ids are stable, outputs follow the state."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from cleaners.config import Config
from cleaners.match.incremental import plan_run
from cleaners.read.readers import discover
from cleaners.store.state import FileInfo, State
from tests.helpers import BODY, article_html, read_jsonl

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
        first = plan_run(root, list(discover(root, cfg.read)), state, cfg.read)
        assert [i.path for i in first.process] == ["a.txt", "b.txt", "c.txt"]
        state.commit_run(run_id="r1", files=first.files, renamed={}, replaced_paths=[], docs=[],
                         rejects=[], doc_records=[], articles=[], created={})
        os.utime(root / "a.txt", ns=(1, 1))  # touched: same bytes
        (root / "b.txt").rename(root / "b2.txt")  # renamed
        (root / "c.txt").write_text("changed " + BODY[1])  # changed
        (root / "d.txt").write_text(BODY[2])  # new
        second = plan_run(root, list(discover(root, cfg.read)), state, cfg.read)
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
    (out / "report.html").unlink()
    assert main(["export", str(out), "--no-report"]) == 0
    assert not (out / "report.html").exists()
    assert main(["export", str(out)]) == 0
    assert (out / "articles.jsonl").read_bytes() == expected
    assert len(read_jsonl(out / "documents.jsonl")) == 5
    report = (out / "report.html").read_text(encoding="utf-8")  # built from the exported outputs
    assert f'data-count="documents">5<' in report and run["run_id"] in report


def test_outputs_are_repaired_when_missing_even_without_new_input(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out, report=False)
    assert not (out / "report.html").exists()
    (out / "articles.jsonl").unlink()
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 0
    assert len(read_jsonl(out / "articles.jsonl")) == 5
    assert run["report"]["bytes"] == (out / "report.html").stat().st_size
    written = (out / "report.html").stat().st_mtime_ns
    run = _run(seeds_dir, out)  # nothing new, outputs and report in place: the report is not rebuilt
    assert "report" not in run and (out / "report.html").stat().st_mtime_ns == written
    (out / "report.html").unlink()
    assert _run(seeds_dir, out)["report"]["bytes"] > 0  # a missing report is written again


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
    steps = {r["step"] for r in rows}
    assert {"seconds: clean", "seconds: match", "seconds: total"} <= steps
    assert any(s.startswith("removed: ") for s in steps)  # the seeds' clutter, by reason
    # the two articles sharing the seeds' passage come first, by name; the other three are counted
    summary = str(by_key["newsclean-summary"].data)
    assert "Articles with several members or shared passages" in summary
    assert summary.count("| new |") == 2 and "3 other new or grown articles" in summary
    assert f"Report: [{(tmp_path / 'out' / 'report.html').resolve().as_uri()}]" in summary


def test_clean_batch_reports_how_many_items_are_done(seeds_dir: Path, tmp_path: Path) -> None:
    """The progress bar moves by file: each clean-batch task writes how many of its items are done."""
    from cleaners.store.output import write_json
    from cleaners.read.readers import discover
    from cleaners.records import flat_dict
    from flows.clean_flow import clean_batch

    items = [flat_dict(i) for i in discover(seeds_dir, Config().read)]
    items_file = tmp_path / "batch.items.json"
    write_json(items_file, items, indent=None)
    from prefect.logging.loggers import disable_run_logger

    with disable_run_logger():  # the task's function, called outside a flow run
        counts = clean_batch.fn(str(seeds_dir), str(items_file), str(tmp_path / "batch.jsonl"), Config())
    assert counts == {"files": 5, "documents": 5, "rejects": 0}
    assert int((tmp_path / "batch.items.json.done").read_text()) == 5


def test_changed_matching_settings_are_refused(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(seeds_dir, out)
    cfg = Config().to_dict()
    cfg["dedup"]["jaccard_threshold"] = 0.5
    with pytest.raises(ValueError, match="other matching settings"):
        _run(seeds_dir, out, config=cfg)
    _run(seeds_dir, out, config=cfg, fresh=True)  # --fresh starts over


def test_state_keeps_the_signatures_of_grouped_texts(seeds_dir: Path, tmp_path: Path) -> None:
    from cleaners.match.dedup import SketchCache
    from cleaners.records import document_from_json

    out = tmp_path / "out"
    _run(seeds_dir, out)
    with State(out / "state.sqlite") as state:
        stored = state.sketches()
        docs = [document_from_json(data) for _, _, data in state.document_rows()]
    assert len(stored) >= 5
    fresh = SketchCache(Config().dedup)
    for d in docs:
        ids, hv = fresh.get_many([d.text])[0]
        key = next(k for k, v in stored.items() if len(v[0]) == len(ids) and (v[0] == ids).all())
        assert (stored[key][1] == hv).all()


def test_window_freezes_old_articles(seeds_dir: Path, tmp_path: Path) -> None:
    import time

    from cleaners.match.incremental import regroup
    from cleaners.store.docstore import DocStore
    from tests.reference.batch import process_files

    out = tmp_path / "out"
    _run(seeds_dir, out)
    copy = tmp_path / "late"
    copy.mkdir()
    (copy / "reprint.txt").write_text((seeds_dir / "000_769164896b962bf3.txt").read_text())
    cfg = Config()
    new_docs, _ = process_files(copy, list(discover(copy, cfg.read)), cfg)

    def regrouped(days_later: int):  # type: ignore[no-untyped-def]
        with State(out / "state.sqlite") as state, DocStore() as store:
            store.add(new_docs)
            return regroup(state, store, [], cfg, window_days=30, now=time.time() + days_later * 86400)

    inside, outside = regrouped(10), regrouped(40)
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

    from cleaners.store.output import export_state

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


# -- issue 22: the state never hashes outside INPUT_DIR; rejects follow the files as they are now;
# unique source paths; damaged outputs repaired; --verify-content


def test_plan_never_hashes_a_file_swapped_for_a_symlink_to_one_outside(tmp_path: Path) -> None:
    """A file swapped after discovery for a symlink to a file outside INPUT_DIR is not hashed
    (the state would record the outside file's SHA-256): it is processed, so the reader
    rejects it, and recorded with a marker naming why it was not read."""
    import hashlib

    from cleaners.config import ReadConfig

    root = tmp_path / "in"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("outside INPUT_DIR " * 40)
    secret_sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    for follow, reason in ((False, "symlink-not-followed"), (True, "symlink-outside-input")):
        (root / "a.txt").write_text(BODY[0])
        read = ReadConfig(follow_symlinks=follow)
        items = list(discover(root, read))
        (root / "a.txt").unlink()
        os.symlink(secret, root / "a.txt")  # the race: after discovery, before the plan
        with State(tmp_path / f"s-{follow}.sqlite") as state:
            plan = plan_run(root, items, state, read)
        assert secret_sha not in {f.sha256 for f in plan.files}
        assert [i.path for i in plan.process] == ["a.txt"]
        assert [f.sha256 for f in plan.files] == [f"unread:{reason}"]
        (root / "a.txt").unlink()


def test_a_file_that_vanished_during_a_run_is_read_when_it_comes_back(tmp_path: Path) -> None:
    """Gone between discovery and the plan: a `vanished` reject. Back (unchanged) in a later
    run: read again, and its document replaces the stale reject."""
    from cleaners.match.incremental import unread_marked
    from cleaners.records import document_json
    from cleaners.store.output import reject_record
    from tests.reference.batch import process_files

    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text("\n\n".join(BODY))
    cfg = Config()

    def run() -> list[str]:
        with State(tmp_path / "s.sqlite") as state:
            plan = plan_run(root, items, state, cfg.read)
            docs, rejects = process_files(root, plan.process, cfg)
            records = [reject_record(r) for r in rejects]
            state.commit_run(run_id="r", files=unread_marked(plan.files, records), renamed=plan.renamed,
                             replaced_paths=plan.replaced_paths, gone_paths=plan.gone,
                             docs=[(d.doc_id, d.source.path, document_json(d)) for d in docs],
                             rejects=[(r["source"]["path"], r) for r in records], doc_records=[],
                             articles=[], created={})
            return [i.path for i in plan.process]

    items = list(discover(root, cfg.read))
    data = (root / "a.txt").read_bytes()
    (root / "a.txt").unlink()
    assert run() == ["a.txt"]
    with State(tmp_path / "s.sqlite") as state:
        assert [json.loads(r)["reason"] for r in state.record_lines("rejects")] == ["vanished"]
    (root / "a.txt").write_bytes(data)
    items = list(discover(root, cfg.read))
    assert run() == ["a.txt"]
    assert run() == []  # read once, not on every run
    with State(tmp_path / "s.sqlite") as state:
        assert list(state.record_lines("rejects")) == []
        assert [path for _, path, _ in state.document_rows()] == ["a.txt"]


UNREAD_SCRIPT = """
import json, sys
from pathlib import Path
from cleaners.config import Config
from cleaners.match.incremental import plan_run
from cleaners.read.readers import discover
from cleaners.store.state import State

root, state_path = Path(sys.argv[1]), Path(sys.argv[2])
with State(state_path) as state:
    plan = plan_run(root, list(discover(root, Config().read)), state, Config().read)
    state.commit_run(run_id="r", files=plan.files, renamed=plan.renamed, replaced_paths=plan.replaced_paths,
                     docs=[], rejects=[], doc_records=[], articles=[], created={})
print(json.dumps([i.path for i in plan.process]))
"""


def test_an_unreadable_file_is_not_reprocessed_on_every_run(tmp_path: Path) -> None:
    """chmod 000: processed once (the reader rejects it), then left alone until it changes, and
    read as soon as it can be (chmod changes neither size nor mtime). The plan runs in its own
    process; as root, one without the capabilities that ignore file permissions (setpriv)."""
    import subprocess
    import sys

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv (util-linux) is missing: chmod 000 cannot be tested")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    root = tmp_path / "in"
    root.mkdir()
    (root / "open.txt").write_text("\n".join(BODY))
    (root / "locked.txt").write_text("\n".join(BODY[1:]))
    (root / "locked.txt").chmod(0)

    def plan() -> list[str]:
        res = subprocess.run([*prefix, sys.executable, "-c", UNREAD_SCRIPT, str(root), str(tmp_path / "s.sqlite")],
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout)

    assert plan() == ["locked.txt", "open.txt"]
    assert plan() == []  # still unreadable: the same reject, not processed again
    (root / "locked.txt").chmod(0o644)  # readable now
    assert plan() == ["locked.txt"]
    assert plan() == []


def test_rejects_follow_the_files_as_they_are_now(seeds_dir: Path, tmp_path: Path) -> None:
    """rejects.jsonl holds the rejects of the files as they are now: a rejected file that became
    a document leaves it, a rejected file that is gone leaves it (a gone document stays: the
    state is an archive), an unchanged rejected file is not processed again."""
    out = tmp_path / "out"
    (seeds_dir / "empty.txt").write_bytes(b"")
    (seeds_dir / "feed.json").write_text('{"title": "Library budget", "text": "broken')
    (seeds_dir / "gone.txt").write_bytes(b"   \n")
    first = _run(seeds_dir, out)
    assert {r["source"]["path"] for r in read_jsonl(out / "rejects.jsonl")} == {"empty.txt", "feed.json", "gone.txt"}
    assert first["counts"]["files_processed"] == 8
    assert _run(seeds_dir, out)["counts"]["files_processed"] == 0  # rejected, unchanged: not read again

    (seeds_dir / "empty.txt").write_text("Library budget approved\n\n" + "\n\n".join(BODY))
    (seeds_dir / "feed.json").write_text(json.dumps({"title": "Budget passes", "text": "\n\n".join(BODY[1:])}))
    (seeds_dir / "gone.txt").unlink()
    gone_doc = sorted(seeds_dir.glob("00*.txt"))[0]
    gone_doc.unlink()
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 2
    assert read_jsonl(out / "rejects.jsonl") == []
    paths = {d["source"]["path"] for d in read_jsonl(out / "documents.jsonl")}
    assert {"empty.txt", "feed.json", gone_doc.name} <= paths
    assert _run(seeds_dir, out)["counts"]["files_processed"] == 0

    (seeds_dir / "gone.txt").write_bytes(b"   \n")  # back: read again, rejected again
    back = _run(seeds_dir, out)
    assert back["counts"]["files_processed"] == 1
    rejects = [(r["source"]["path"], r["reason"]) for r in read_jsonl(out / "rejects.jsonl")]
    assert rejects == [("gone.txt", "empty-file")]
    assert back["accounting"]["ok"]


def test_undecodable_and_backslash_names_get_distinct_paths(tmp_path: Path) -> None:
    """A name with a byte that is not UTF-8 (caf + 0xE9) and a name with a literal backslash
    (caf\\xe9.txt) are two files, two documents, two paths, in every run."""
    root = tmp_path / "in"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.txt"), "wb") as fh:
        fh.write(("Latin-1 name\n\n" + "\n\n".join(BODY)).encode())
    (root / "caf\\xe9.txt").write_text("Backslash name\n\n" + "\n\n".join(BODY[:3]))
    out = tmp_path / "out"
    first = _run(root, out)
    assert first["counts"]["files_processed"] == 2
    docs = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert set(docs) == {"caf\\xe9.txt", "caf\\x5cxe9.txt"}
    assert docs["caf\\xe9.txt"]["title"] == "Latin-1 name" and docs["caf\\x5cxe9.txt"]["title"] == "Backslash name"
    second = _run(root, out)
    assert second["counts"]["files_processed"] == 0
    assert {d["source"]["path"] for d in read_jsonl(out / "documents.jsonl")} == set(docs)


def test_damaged_outputs_are_rewritten_from_the_state(seeds_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """documents.jsonl cut in half and articles.jsonl emptied: the next run (nothing new) finds
    them unlike the lines and SHA-256 run.json recorded, rewrites them and says so."""
    from cleaners.store.output import output_digests
    from flows.cli import flush_logs, main

    out = tmp_path / "out"
    first = _run(seeds_dir, out)
    names = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")
    before = {n: (out / n).read_bytes() for n in names}
    assert first["outputs"] == output_digests(out) and first["outputs"]["documents.jsonl"]["lines"] == 5
    docs = out / "documents.jsonl"
    docs.write_bytes(before["documents.jsonl"][:len(before["documents.jsonl"]) // 2])
    (out / "articles.jsonl").write_bytes(b"")
    run = _run(seeds_dir, out)
    assert run["counts"]["files_processed"] == 0
    assert run["outputs_repaired"] == ["documents.jsonl", "articles.jsonl"]
    assert {n: (out / n).read_bytes() for n in names} == before
    assert json.loads((out / "run.json").read_text())["outputs"] == first["outputs"]
    again = _run(seeds_dir, out)
    assert again["outputs_repaired"] == [] and again["outputs"] == first["outputs"]
    flush_logs()
    assert main(["logs", run["run_id"]]) == 0
    assert "rewriting documents.jsonl, articles.jsonl from the state" in capsys.readouterr().out


def test_verify_content_finds_a_change_that_keeps_size_and_mtime(seeds_dir: Path, tmp_path: Path) -> None:
    """cp -p, rsync -t and tar restore mtimes: a same-size change is missed by the size/mtime
    shortcut, and found with --verify-content (read.verify_content), which hashes every file."""
    out = tmp_path / "out"
    _run(seeds_dir, out)
    target = seeds_dir / "002_cf3d4048416e019f.txt"
    st = target.stat()
    text = target.read_text()
    word = next(w for w in ("Ukraine", "ministry", "vehicles") if w in text)
    changed = text.replace(word, word.upper(), 1)
    assert len(changed.encode()) == st.st_size
    target.write_text(changed)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _run(seeds_dir, out)["counts"]["files_processed"] == 0  # the documented limit
    cfg = Config().to_dict()
    cfg["read"]["verify_content"] = True
    run = _run(seeds_dir, out, config=cfg)
    assert run["counts"]["files_processed"] == 1 and run["counts"]["files_unchanged"] == 4
    docs = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert word.upper() in docs[target.name]["text"] and len(docs) == 5


def test_a_setting_added_since_the_state_was_made_is_taken_at_its_default(tmp_path: Path) -> None:
    """A state made before a matching setting existed stays usable while that setting keeps its
    default, and is refused when it does not."""
    from cleaners.match.incremental import matching_fingerprint
    from cleaners.store.state import State

    defaults = matching_fingerprint(Config())
    old = json.loads(json.dumps(defaults))
    del old["passages"]["min_sentence_words"]  # as written before the setting existed
    with State(tmp_path / "state.sqlite") as state:
        state.set_meta("matching_config", json.dumps(old, sort_keys=True))
        state.check_config(defaults, defaults)  # the same settings: accepted, and completed
        assert json.loads(state.get_meta("matching_config") or "") == defaults
        state.set_meta("matching_config", json.dumps(old, sort_keys=True))
        changed = matching_fingerprint(replace(Config(), passages=replace(Config().passages, min_sentence_words=8)))
        with pytest.raises(ValueError, match="other matching settings"):
            state.check_config(changed, defaults)


def test_the_state_keeps_the_sketches_of_the_grouped_texts_writing_only_new_ones(tmp_path: Path) -> None:
    """sketch_keys says which texts are grouped now: the state drops the others, keeps the stored
    ones it has and adds new_sketches; a stored sketch is not replaced by a different one."""
    import numpy as np

    def sk(x: int) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(x, x + 3, dtype=np.uint32), np.full(4, x, dtype=np.uint32)

    def commit(state: State, keys: set[str] | None, new: list[str]) -> None:
        state.commit_run(run_id="r", files=[], renamed={}, replaced_paths=[], docs=[], rejects=[], doc_records=[],
                         articles=[], created={}, sketch_keys=keys, new_sketches=[(k, sk(ord(k))) for k in new])

    with State(tmp_path / "state.sqlite") as state:
        commit(state, {"a", "c"}, ["a", "c"])
        commit(state, {"a", "b"}, ["b"])
        got = state.sketches()
        assert sorted(got) == ["a", "b"]  # c is no longer grouped
        assert got["a"][1].tolist() == [ord("a")] * 4 and got["b"][0].tolist() == [98, 99, 100]
        commit(state, None, [])  # no grouping this run: the sketches stay
        assert sorted(state.sketches()) == ["a", "b"]
