"""The Prefect flow end to end, against a real (temporary) Prefect API."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners.store.output import read_jsonl
from tests.helpers import BODY, article_html, make_warc

pytestmark = pytest.mark.usefixtures("prefect_harness")

DOC_FIELDS = {"doc_id", "source", "title", "published", "language", "text", "removed", "fixes",
              "article_id", "duplicate_of", "similarity"}
SOURCE_FIELDS = {"path", "record", "sha256", "format", "url", "outlet"}
ARTICLE_FIELDS = {"article_id", "canonical_doc_id", "title", "text", "published", "outlets", "members",
                  "shared_passages"}


@pytest.fixture
def mixed_input(seeds_dir: Path) -> Path:
    """The seeds plus one of every other format, a duplicate, and bad files."""
    (seeds_dir / "web").mkdir()
    (seeds_dir / "web" / "library.html").write_text(article_html("Council approves library budget", BODY))
    with gzip.open(seeds_dir / "web" / "library-amp.html.gz", "wb") as fh:
        fh.write(article_html("Council approves library budget", BODY[:3], clutter=False,
                              url="https://amp.news.example.com/library-budget").encode())
    (seeds_dir / "feed.jsonl").write_text(
        json.dumps({"url": "https://other.example/lib", "title": "Library budget passes",
                    "text": "\n\n".join(BODY), "source": "Other Daily"}) + "\n{broken json\n")
    make_warc(seeds_dir / "crawl.warc.gz", [
        ("https://news.example.com/library-budget?print=1", article_html("Council approves", BODY).encode(),
         "text/html; charset=utf-8")])
    (seeds_dir / "photo.html").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (seeds_dir / "empty.txt").write_bytes(b"")
    return seeds_dir


def test_flow_writes_the_output_contract(mixed_input: Path, tmp_path: Path) -> None:
    from flows.clean_flow import clean_folder

    out = tmp_path / "out"
    run = clean_folder(str(mixed_input), str(out))
    docs = read_jsonl(out / "documents.jsonl")
    arts = read_jsonl(out / "articles.jsonl")
    rejects = read_jsonl(out / "rejects.jsonl")
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["run_id"] == run["run_id"]

    # every input file is accounted for
    files = {p.relative_to(mixed_input).as_posix() for p in mixed_input.rglob("*") if p.is_file()}
    assert files == {d["source"]["path"] for d in docs} | {r["source"]["path"] for r in rejects}
    assert run_json["accounting"]["ok"] and run_json["accounting"]["files_seen"] == len(files)
    assert {(r["source"]["path"], r["reason"]) for r in rejects} == {
        ("feed.jsonl", "invalid-json"), ("photo.html", "binary-content"), ("empty.txt", "empty-file")}

    for d in docs:
        assert DOC_FIELDS <= d.keys() and SOURCE_FIELDS <= d["source"].keys()
        assert len(d["source"]["sha256"]) == 64
    for a in arts:
        assert ARTICLE_FIELDS <= a.keys()
    assert len({d["doc_id"] for d in docs}) == len(docs) == 9

    # the four library copies form one article; the five seeds stay five articles
    lib = [a for a in arts if "library" in a["text"].lower()]
    assert len(lib) == 1 and len(lib[0]["members"]) == 4
    assert set(lib[0]["outlets"]) == {"news.example.com", "Other Daily"}
    assert len(arts) == 6
    assert {d["article_id"] for d in docs} == {a["article_id"] for a in arts}

    # the versions and the MinHash scheme are recorded
    assert run_json["minhash"]["scheme"] == "affine32"
    assert run_json["versions"]["datasketch"].startswith("2.")
    assert not (out / ".newsclean-work").exists()


def test_a_feed_cut_into_shares_gives_the_outputs_of_reading_it_whole(mixed_input: Path, tmp_path: Path) -> None:
    from flows.clean_flow import clean_folder

    lines = [json.dumps({"url": f"https://wire.example/{i}", "title": f"Wire story {i % 4}",
                         "text": "\n\n".join(BODY[i % 4:] + BODY[:i % 4]), "source": f"Outlet {i % 3}"})
             for i in range(12)]
    (mixed_input / "wire.jsonl").write_text("\n".join(lines[:5]) + "\n\n{broken\n" + "\n".join(lines[5:]) + "\n")
    whole = clean_folder(str(mixed_input), str(tmp_path / "whole"))
    cut = clean_folder(str(mixed_input), str(tmp_path / "cut"), config={"read": {"share_bytes": 600}})
    for name in ("documents.jsonl", "articles.jsonl", "rejects.jsonl"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    assert cut["counts"]["files_processed"] == whole["counts"]["files_processed"] == 12
    assert whole["counts"]["file_shares"] == 0 and cut["counts"]["file_shares"] > 5
    assert cut["accounting"] == whole["accounting"] and cut["accounting"]["ok"]
    assert len(read_jsonl(tmp_path / "cut" / "documents.jsonl")) == 9 + 12


def test_flow_run_is_visible_in_prefect_with_logs(seeds_dir: Path, tmp_path: Path) -> None:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    from flows.clean_flow import clean_folder
    from flows.cli import flush_logs

    run = clean_folder(str(seeds_dir), str(tmp_path / "out"))
    flush_logs()
    with get_client(sync_client=True) as client:
        fr = client.read_flow_run(UUID(run["run_id"]))
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[fr.id])))
    assert fr.state and fr.state.is_completed()
    messages = " | ".join(log.message for log in logs)
    assert "discovered 5 files" in messages and "matched 5 documents into 5 articles" in messages
    # every part of the match step says how long it took: the stages, the scratch store, the commit
    for part in ("read 5 new documents into the match step's scratch store (", "match: signed 5 documents (",
                 "match: found 1 shared passages (", "committed the run to the state ("):
        assert part in messages, part


def test_rerun_gives_identical_outputs(seeds_dir: Path, tmp_path: Path) -> None:
    from flows.clean_flow import clean_folder

    clean_folder(str(seeds_dir), str(tmp_path / "a"))
    clean_folder(str(seeds_dir), str(tmp_path / "b"))
    for name in ("documents.jsonl", "articles.jsonl", "rejects.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_cleaners_never_import_prefect() -> None:
    code = ("import sys, pkgutil, importlib, cleaners\n"
            "for m in pkgutil.iter_modules(cleaners.__path__): importlib.import_module('cleaners.' + m.name)\n"
            "assert 'prefect' not in sys.modules, 'cleaners imported prefect'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batch_lines_give_each_documents_json_text_as_json_dumps_would(tmp_path: Path) -> None:
    """The match step stores a document's JSON text cut out of its batch-file line: it must be
    json.dumps of the decoded document (quotes, unicode, nested lists), and rejects get none."""
    import json

    from cleaners.store.output import write_jsonl
    from flows.clean_flow import _batch_records

    doc = {"doc_id": "d1", "source": {"path": "a \"b\".txt", "record": None}, "title": "Ümlaut — “q”",
           "paragraphs": ["x\ny", "tab\there"], "removed": [["POPULAR", "list-heading (POPULAR ARTICLE)"]],
           "meta": {"k": "v"}, "n": 1.5}
    write_jsonl(tmp_path / "b.jsonl", [{"document": doc}, {"reject": {"source": {"path": "c"}}},
                                        {"document": dict(doc, doc_id="d2")}])
    got = list(_batch_records([str(tmp_path / "b.jsonl")]))
    assert [rec for rec, _ in got] == [{"document": doc}, {"reject": {"source": {"path": "c"}}},
                                       {"document": dict(doc, doc_id="d2")}]
    assert got[0][1] == json.dumps(doc, ensure_ascii=False)
    assert got[1][1] == ""
    assert got[2][1] == json.dumps(dict(doc, doc_id="d2"), ensure_ascii=False)


def test_a_cleaning_worker_does_not_import_the_matching_libraries() -> None:
    """A cleaning worker imports flows.clean_flow (to run clean_batch) and the cleaning modules:
    neither pulls in datasketch (whose package imports scipy.integrate, 0.4 s of a worker's
    start); the match step imports them where it runs."""
    code = ("import sys, flows.clean_flow, cleaners.clean.batch, cleaners.clean.pipeline\n"
            "print(sorted(m for m in ('datasketch', 'scipy', 'cleaners.match.dedup', 'cleaners.match.articles')"
            " if m in sys.modules))")
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent, env=env, timeout=120)
    assert out.stdout.strip() == "[]"
