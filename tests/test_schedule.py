"""Scheduled runs against a real local Prefect server: `newsclean serve --interval`.

Two scheduled runs fire with a file added between them; the second processes
only the new file, whose story joins the earlier article; both runs and their
logs are readable through `newsclean runs` and `newsclean logs`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import read_jsonl
from tests.conftest import BIN


def _wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _run_json(out: Path) -> dict | None:
    try:
        return json.loads((out / "run.json").read_text())
    except (OSError, ValueError):
        return None


def _documents(out: Path) -> list[dict]:
    try:
        return read_jsonl(out / "documents.jsonl")
    except (OSError, ValueError):
        return []


def test_two_scheduled_runs_process_only_new_files(prefect_server: dict[str, str], seeds_dir: Path,
                                                   tmp_path: Path) -> None:
    env = {**prefect_server, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    out = tmp_path / "out"
    log = open(tmp_path / "serve.log", "w")
    serve = subprocess.Popen([str(BIN / "newsclean"), "serve", str(seeds_dir), "--out", str(out),
                              "--interval", "6", "--name", f"test-{os.getpid()}"],
                             env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # the documents, not run.json's counts: under load the scheduler may start a second run
        # (nothing new) right after the first, and its run.json replaces the first's within a poll
        first = _wait_for(lambda: len(_documents(out)) == 5 and _run_json(out), 180, "the first scheduled run")
        original = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
        text = (seeds_dir / "000_769164896b962bf3.txt").read_text()
        (seeds_dir / "reprint-000.txt").write_text(text.replace("Oct. 17", "Thursday"))
        second = _wait_for(lambda: (r := _run_json(out)) and r["run_id"] != first["run_id"]
                           and r["counts"]["files_processed"] == 1 and r, 180, "a run that sees the new file")
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        log.close()
    assert second["counts"]["new_documents"] == 1 and second["counts"]["grown_articles"] == 1
    docs = {d["source"]["path"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert docs["reprint-000.txt"]["article_id"] == original["000_769164896b962bf3.txt"]["article_id"]
    assert len(read_jsonl(out / "articles.jsonl")) == 5

    runs = subprocess.run([str(BIN / "newsclean"), "runs", "--limit", "20"], env=env,
                          capture_output=True, text=True, check=True).stdout
    assert first["run_id"] in runs and second["run_id"] in runs
    assert "Scheduled" not in runs  # runs that have not started are listed only with --scheduled
    for run in (first, second):
        logs = subprocess.run([str(BIN / "newsclean"), "logs", run["run_id"]], env=env,
                              capture_output=True, text=True, check=True).stdout
        assert "new or changed files to process" in logs
    assert "1 new or changed files to process" in subprocess.run(
        [str(BIN / "newsclean"), "logs", second["run_id"]], env=env, capture_output=True, text=True).stdout


def test_prefect_yaml_deploys_to_a_work_pool(prefect_server: dict[str, str], tmp_path: Path) -> None:
    from tests.conftest import REPO

    env = {**prefect_server, "NEWSCLEAN_HOME": str(REPO)}
    prefect = str(BIN / "prefect")
    subprocess.run([prefect, "work-pool", "create", "newsclean-pool", "--type", "process"], env=env,
                   capture_output=True, text=True, cwd=REPO)
    res = subprocess.run([prefect, "--no-prompt", "deploy", "--all"], env=env, capture_output=True,
                         text=True, cwd=REPO, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    ls = subprocess.run([prefect, "deployment", "inspect", "newsclean/newsclean-raw-every-15-min"],
                        env=env, capture_output=True, text=True, cwd=REPO)
    assert ls.returncode == 0 and "*/15 * * * *" in ls.stdout and "newsclean-pool" in ls.stdout
