"""Hostile inputs, security properties, locking and crash safety."""

from __future__ import annotations

import gzip
import json
import os
import socket
import time
from pathlib import Path

import pytest

from cleaners.config import Config, ReadConfig
from cleaners.store.output import OutputLocked, output_lock
from cleaners.records import Document, Reject
from tests.helpers import BODY, article_html, make_warc, run_folder


def build_bad_corpus(root: Path) -> dict[str, str]:
    """One file of every bad kind (generated, not committed) -> expected reject reason."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "good.html").write_text(article_html("Council approves library budget", BODY))
    expected = {}

    def put(name: str | bytes, data: bytes, reason: str) -> None:
        path = os.path.join(os.fsencode(root), name) if isinstance(name, bytes) else root / name
        with open(path, "wb") as fh:
            fh.write(data)
        key = name if isinstance(name, str) else name.decode("utf-8", "backslashreplace")
        expected[key] = reason

    put("empty.html", b"", "empty-file")
    put("blank.txt", b"   \n\n  ", "empty-file")
    put("image.jpg.html", b"\xff\xd8\xff\xe0" + os.urandom(3000), "binary-content")
    put("paper.pdf.html", b"%PDF-1.7\n" + os.urandom(3000), "binary-content")
    data = gzip.compress(article_html("T", BODY).encode())
    put("truncated.html.gz", data[: len(data) // 2], "bad-gzip")
    put("bomb.html.gz", gzip.compress(b"<p>" + b"a" * 6_000_000), "too-large")
    put("huge.html", b"<html><body>" + b"<p>word </p>" * 200_000, "too-large")
    put("nested.html", b"<div>" * 100_000 + b"text" + b"</div>" * 100_000, "")
    put("nav-only.html", b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "")
    put("notes.docx", b"PK\x03\x04 whatever", "unsupported-format")
    put("corrupt.warc", b"WARC/1.0\r\nWARC-Type: resp", "corrupt-warc")
    put("feed.jsonl", b'{"title": "x", "text": "' + " ".join(BODY).encode() + b'"}\n{oops\n', "invalid-json")
    put(b"caf\xe9-latin1-name.txt", "\n".join(BODY).encode(), "ok")
    put("new\nline.txt", "\n".join(BODY).encode(), "ok")
    put("undecodable.txt", bytes(range(128, 256)) * 20 + " ".join(BODY).encode(), "")
    make_warc(root / "mixed.warc.gz", [
        ("https://a.example/x", article_html("A", BODY).encode(), "text/html"),
        ("https://a.example/x.css", b"body{}", "text/css")])
    os.symlink("/etc/passwd", root / "outside.txt")
    os.symlink(root, root / "loop")
    expected.update({"outside.txt": "symlink-not-followed", "loop": "symlink-not-followed"})
    return expected


def test_every_bad_input_is_accounted_for_with_a_reason(tmp_path: Path) -> None:
    expected = build_bad_corpus(tmp_path / "in")
    cfg = Config(read=ReadConfig(max_file_bytes=2_000_000, max_decompressed_bytes=5_000_000))
    docs, rejects = run_folder(tmp_path / "in", cfg)
    got_docs = {d.source.path for d in docs}
    got_rejects: dict[str, set[str]] = {}
    for r in rejects:
        got_rejects.setdefault(r.source.path, set()).add(r.reason)
    for name, reason in expected.items():
        if reason == "ok":
            assert name in got_docs, name
        elif reason:
            assert reason in got_rejects.get(name, set()), (name, got_rejects.get(name))
        else:  # must be accounted for one way or the other
            assert name in got_docs or name in got_rejects, name
    assert "good.html" in got_docs
    assert "mixed.warc.gz" in got_docs and "not-a-document" in got_rejects["mixed.warc.gz"]
    assert "feed.jsonl" in got_docs  # the valid line still counts
    assert "caf\\xe9-latin1-name.txt" in got_docs


def test_vanished_file_is_rejected(tmp_path: Path) -> None:
    from cleaners.read.readers import discover, read_file

    (tmp_path / "a.txt").write_text("\n".join(BODY))
    [item] = list(discover(tmp_path, ReadConfig()))
    (tmp_path / "a.txt").unlink()
    [got] = list(read_file(tmp_path, item, ReadConfig()))
    assert isinstance(got, Reject) and got.reason == "vanished"


def test_no_network_while_processing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = article_html("Linked page", BODY).replace(
        "</head>", '<link rel="stylesheet" href="https://cdn.example.com/a.css">'
                   '<script src="https://cdn.example.com/a.js"></script></head>')
    (tmp_path / "a.html").write_text(page)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    docs, rejects = run_folder(tmp_path)
    assert len(docs) == 1 and not rejects


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    page = (f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            + article_html("Entities", BODY + ["The value is &xxe; as stated in the report today."]))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.html").write_text(page)
    docs, _ = run_folder(tmp_path / "in")
    assert all("TOP-SECRET-VALUE" not in d.text for d in docs)


ADVERSARIAL = [
    "A" * 50_000,
    "BRUSSELS " * 5_000 + "-",
    "- " * 20_000,
    "(" * 20_000 + "Photo",
    "Photo/" + "Illu" * 10_000,
    '"' + "x" * 30_000 + " POPULAR ARTICLE",
    "By " + "Aa " * 10_000,
    "Share " * 10_000 + "!",
    "1" * 50_000 + ":00 JST",
    "sign up " * 5_000 + "newsletter" * 1_000,
    ".\u3002" * 20_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_regexes_do_not_backtrack_catastrophically(text: str) -> None:
    from cleaners.clean.pipeline import clean
    from tests.helpers import raw_text

    start = time.perf_counter()
    clean(raw_text(text + "\n" + text), Config())
    assert time.perf_counter() - start < 5.0


def test_second_run_on_same_output_is_refused_while_first_holds_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out):
        with pytest.raises(OutputLocked, match="another newsclean run"):
            with output_lock(out):
                pass
    with output_lock(out):  # released after the first run ends
        pass


def test_the_state_lock_refuses_a_second_holder_and_names_the_state(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Two holders of one state (here two opens in one process: flock locks an open file) never
    overlap; `newsclean export` of another output folder over a held state exits 3."""
    from cleaners.store.output import state_lock
    from cleaners.store.state import State
    from flows.cli import main

    state = tmp_path / "shared" / "state.sqlite"
    with State(state):
        pass
    with state_lock(state):
        assert (tmp_path / "shared" / "state.sqlite.lock").read_text() == str(os.getpid())
        with pytest.raises(OutputLocked, match=f"is using the state {state}"):
            with state_lock(state):
                pass
        assert main(["export", str(tmp_path / "b"), "--state", str(state)]) == 3
        assert f"the state {state}" in capsys.readouterr().err
        assert not (tmp_path / "b" / "documents.jsonl").exists()
    assert main(["export", str(tmp_path / "b"), "--state", str(state)]) == 0  # released


def _holds_flock(pid: int, path: Path) -> bool:
    """Whether process ``pid`` holds an flock on ``path`` (read from /proc/locks: looking never
    takes the lock, so it cannot make the run it watches fail)."""
    try:
        ino = os.stat(path).st_ino
        with open("/proc/locks") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return False
    for line in lines:
        f = line.split()
        if "->" not in f and len(f) > 5 and f[1] == "FLOCK" and f[4] == str(pid) \
                and f[5].rsplit(":", 1)[-1] == str(ino):
            return True
    return False


def test_two_runs_sharing_one_state_never_interleave(prefect_server: dict[str, str], tmp_path: Path) -> None:
    """Run A (a real `newsclean run`) is stopped (SIGSTOP) while it holds the state; run B, with
    another --out and the same --state, exits 3 naming the state instead of matching without
    A's documents; A resumes (SIGCONT) and completes; B then runs and equals A."""
    import signal
    import subprocess

    from tests.conftest import BIN

    if not os.path.exists("/proc/locks"):
        pytest.skip("needs /proc/locks (Linux) to see the run's lock without taking it")
    src = tmp_path / "in"
    src.mkdir()
    for i in range(150):
        (src / f"page{i:03d}.html").write_text(article_html(f"Story {i}", BODY[i % 4:] + [
            f"Story {i} closes with its own line about item {i}, found on no other page here."]))
    state = tmp_path / "shared" / "state.sqlite"
    lock = Path(str(state) + ".lock")

    def cmd(out: Path) -> list[str]:
        return [str(BIN / "newsclean"), "run", str(src), "--out", str(out), "--state", str(state),
                "--no-progress", "--workers", "1"]

    a_log = open(tmp_path / "a.log", "w+")  # not a pipe: run A never blocks on a full one
    a = subprocess.Popen(cmd(tmp_path / "a"), env=prefect_server, stdout=a_log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        deadline = time.time() + 240
        while not (lock.exists() and _holds_flock(a.pid, lock)):
            assert a.poll() is None, f"run A ended before it was stopped: {(tmp_path / 'a.log').read_text()}"
            assert time.time() < deadline, "run A did not take the state's lock"
            time.sleep(0.01)
        os.kill(a.pid, signal.SIGSTOP)
        assert _holds_flock(a.pid, lock), "run A finished before it was stopped: use a larger corpus"
        b = subprocess.run(cmd(tmp_path / "b"), env=prefect_server, capture_output=True, text=True, timeout=300)
        assert b.returncode == 3, b.stderr
        assert f"another newsclean run (pid {a.pid}) is using the state {state}" in b.stderr
        assert not (tmp_path / "b" / "documents.jsonl").exists()
        os.kill(a.pid, signal.SIGCONT)
        assert a.wait(timeout=300) == 0, (tmp_path / "a.log").read_text()
    finally:
        if a.poll() is None:
            os.killpg(a.pid, signal.SIGCONT)
            os.killpg(a.pid, signal.SIGKILL)
            a.wait()
        a_log.close()
    b = subprocess.run(cmd(tmp_path / "b"), env=prefect_server, capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr
    assert "nothing new since the last run" in b.stdout
    for name in ("documents.jsonl", "articles.jsonl", "rejects.jsonl"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes(), name


@pytest.mark.usefixtures("prefect_harness")
def test_cli_exits_with_message_when_output_is_locked(seeds_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    out = tmp_path / "out"
    with output_lock(out):
        assert main(["run", str(seeds_dir), "--out", str(out), "--no-progress"]) == 3
    assert "another newsclean run" in capsys.readouterr().err
    assert not (out / "documents.jsonl").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_bad_corpus_through_the_cli_exits_zero_and_reports(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import main

    build_bad_corpus(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in"), "--out", str(out), "--max-file-mb", "2"]) == 0
    assert "rejected" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text())
    assert run["accounting"]["ok"] and run["accounting"]["unaccounted_files"] == []
    assert run["counts"]["rejected"] >= 10


def test_documents_from_arbitrary_bytes_never_crash(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    for i in range(30):
        (tmp_path / f"r{i}.html").write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))))
    docs, rejects = run_folder(tmp_path)
    assert len({d.source.path for d in docs} | {r.source.path for r in rejects}) == 30
    assert all(isinstance(d, Document) for d in docs)
