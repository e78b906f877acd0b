"""The Prefect flow end to end, against a real (temporary) Prefect API."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import BODY, article_html, make_warc, read_jsonl

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

    # the report is written with the outputs, and lists the articles
    report = (out / "report.html").read_text(encoding="utf-8")
    assert run_json["report"]["bytes"] == len(report.encode("utf-8"))
    assert f'data-count="articles">{len(arts)}<' in report and lib[0]["article_id"] in report

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
                 "committed the run to the state ("):
        assert part in messages, part
    # a first run has no passage memo: every pair of documents is aligned
    assert re.search(r"match: found 1 shared passages; 0 pairs of documents' links remembered, [1-9]\d* aligned \(",
                     messages)


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


def test_a_batch_file_holds_each_document_in_its_serialised_form(seeds_dir: Path, tmp_path: Path) -> None:
    """clean_batch writes a document as its document_json line, which decodes to the Document
    cleaned in process, and a reject as {"reject": record}; the match step's scratch store keeps
    each document's line as it is (the text the state is given)."""
    from prefect.logging.loggers import disable_run_logger

    from cleaners.config import Config
    from cleaners.read.readers import discover
    from cleaners.records import document_from_json, flat_dict
    from cleaners.store.docstore import DocStore
    from cleaners.store.output import write_json
    from flows.clean_flow import _batch_lines, clean_batch
    from tests.reference.batch import process_files

    (seeds_dir / "empty.txt").write_bytes(b"")
    (seeds_dir / "quotes.txt").write_text("Ümlaut — “q” \\ \"x\"\n\n" + "\n\n".join(BODY))
    cfg = Config()
    items = list(discover(seeds_dir, cfg.read))
    write_json(tmp_path / "items.json", [flat_dict(i) for i in items], indent=None)
    with disable_run_logger():
        clean_batch.fn(str(seeds_dir), str(tmp_path / "items.json"), str(tmp_path / "b.jsonl"), cfg)
    docs, rejects = process_files(seeds_dir, items, cfg)
    lines = list(_batch_lines([str(tmp_path / "b.jsonl")]))
    assert [rec["reject"]["reason"] for _, rec in lines if "reject" in rec] == [r.reason for r in rejects]
    doc_lines = [(line, rec) for line, rec in lines if "reject" not in rec]
    assert [document_from_json(line) for line, _ in doc_lines] == docs and len(docs) == 6
    with DocStore() as store:
        store.add_json(doc_lines)
        stored = {doc_id: data for doc_id, _, data in store.json_rows(d.doc_id for d in docs)}
    assert sorted(stored.values()) == sorted(line for line, _ in doc_lines)


def test_the_tasks_receive_the_config_made_once(seeds_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """The flow makes a Config of its parameter (a deployment's dict here) once: every task gets
    that frozen object, not a dict to rebuild."""
    import functools
    import inspect

    from cleaners.config import Config
    from flows import clean_flow

    seen: dict[str, object] = {}
    for t in (clean_flow.discover_inputs, clean_flow.plan_inputs, clean_flow.clean_batch,
              clean_flow.match_and_commit):
        def spy(*args, _fn=t.fn, _name=t.name, **kwargs):  # type: ignore[no-untyped-def]
            seen[_name] = inspect.signature(_fn).bind(*args, **kwargs).arguments["cfg"]
            return _fn(*args, **kwargs)
        monkeypatch.setattr(t, "fn", functools.wraps(t.fn)(spy))
    given = {"read": {"share_bytes": 600}, "dedup": {"jaccard_threshold": 0.8}}
    clean_flow.clean_folder(str(seeds_dir), str(tmp_path / "out"), config=given)
    assert set(seen) == {"discover-inputs", "plan-inputs", "clean-batch", "match-and-commit"}
    assert all(type(c) is Config and c == Config.from_dict(given) for c in seen.values()), seen
    assert json.loads((tmp_path / "out" / "run.json").read_text())["config"] == Config.from_dict(given).to_dict()


def test_a_config_survives_pickling_and_hashes_as_task_input() -> None:
    """Worker processes get the Config pickled (ProcessPoolTaskRunner: cloudpickle); Prefect hashes
    task inputs for its cache keys: equal configs give equal keys, other settings another."""
    import pickle

    import cloudpickle
    from prefect.cache_policies import INPUTS

    from cleaners.config import ClutterConfig, Config, DedupConfig, ReadConfig

    cfg = Config(read=ReadConfig(share_bytes=600), clutter=ClutterConfig(frozenset({"caption", "share-bar"})),
                 dedup=DedupConfig(jaccard_threshold=0.8), batch_size=7, index="redis", index_url="redis://h:1/0").validate()
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        back = loads(dumps(cfg))
        assert back == cfg and hash(back) == hash(cfg) and type(back.read) is ReadConfig
    assert Config.from_dict(cfg.to_dict()) == cfg

    def key(c: Config) -> str | None:
        return INPUTS.compute_key(task_ctx=None, inputs={"cfg": c}, flow_parameters={})  # type: ignore[arg-type]

    assert key(Config()) == key(Config()) and key(Config()) != key(Config(batch_size=7))


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
