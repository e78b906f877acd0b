"""Operational errors end a command with one line (what, where, the remedy) and a documented exit
code, never a traceback; `runs` and `logs` say what happened. README "Exit codes"."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from flows.cli import main
from tests.conftest import BIN


def _run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "newsclean"), *args], env=env, capture_output=True, text=True, timeout=600)


def _damage(state: Path) -> None:
    state.write_bytes(b"this is not an SQLite database " * 200)


def test_a_damaged_state_is_exit_5_naming_the_file_and_the_remedy(
        tmp_path: Path, seeds_dir: Path, prefect_server: dict[str, str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _damage(out / "state.sqlite")
    res = _run_cli(["run", str(seeds_dir), "--out", str(out), "--no-progress"], prefect_server)
    assert res.returncode == 5, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert str(out / "state.sqlite") in last and "--fresh" in last and "damaged" in last
    assert "Traceback" not in res.stderr
    # the remedy it names works
    res = _run_cli(["run", str(seeds_dir), "--out", str(out), "--no-progress", "--fresh"], prefect_server)
    assert res.returncode == 0, res.stderr
    assert len((out / "documents.jsonl").read_text().splitlines()) == 5


def test_export_of_a_damaged_state_is_exit_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _damage(out / "state.sqlite")
    assert main(["export", str(out)]) == 5
    assert "is damaged" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _damage(out / "state.sqlite")
    assert main(["export", str(out), "--debug"]) == 5
    err = capsys.readouterr().err
    assert "Traceback" in err and "is damaged" in err.strip().splitlines()[-1]


@pytest.fixture
def full_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 400 KB tmpfs: a real ENOSPC (needs root and mount, as on CI; skipped elsewhere)."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root?)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_is_exit_4_naming_the_output_folder(full_disk: Path, tmp_path: Path,
                                                        prefect_server: dict[str, str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(300):  # the work files of 300 files do not fit in 400 KB
        (src / f"story{i:03d}.txt").write_text(f"Story {i}\n\n" + f"Words of story {i} go on and on. " * 40)
    out = full_disk / "out"
    res = _run_cli(["run", str(src), "--out", str(out), "--no-progress", "--workers", "1"], prefect_server)
    assert res.returncode == 4, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert str(out) in last and "No space left on device" in last and "free disk space" in last
    assert "Traceback" not in res.stderr
    assert "cannot rollback" not in res.stderr


def test_state_that_is_a_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(SystemExit) as exc:
        main(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--state", str(tmp_path)])
    assert exc.value.code == 2
    assert "is a folder: give a file path" in capsys.readouterr().err


@pytest.mark.usefixtures("prefect_harness")
def test_runs_filters_by_output_folder_and_shows_counts_and_logs_name_tasks(
        seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(seeds_dir), "--out", str(a), "--no-progress", "--workers", "1"]) == 0
    assert main(["run", str(seeds_dir), "--out", str(b), "--no-progress", "--workers", "1"]) == 0
    capsys.readouterr()
    run_a = json.loads((a / "run.json").read_text())["run_id"]
    run_b = json.loads((b / "run.json").read_text())["run_id"]
    assert main(["runs", "--out", str(a)]) == 0
    listing = capsys.readouterr().out
    assert run_a in listing and run_b not in listing
    row = next(line for line in listing.splitlines() if run_a in line)
    assert row.split()[3:7] == ["5", "5", "5", "0"]  # new documents, documents, articles, rejected
    assert main(["logs", run_a]) == 0
    logs = capsys.readouterr().out
    assert any("clean-batch-" in line and "cleaned 5 files: 5 documents, 0 rejected" in line
               for line in logs.splitlines())
    assert "match-and-commit-" in logs and "flow run" in logs


@pytest.mark.usefixtures("prefect_harness")
def test_an_empty_folder_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    assert main(["run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "no news files under" in out and "nothing new" not in out


def _fresh_home(tmp_path: Path) -> dict[str, str]:
    import os

    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    return env


def test_a_temporary_api_that_does_not_start_is_exit_6_naming_the_setting(tmp_path: Path) -> None:
    env = {**_fresh_home(tmp_path), "NEWSCLEAN_API_STARTUP_TIMEOUT": "0.3"}  # no server starts that fast
    res = _run_cli(["runs"], env)
    assert res.returncode == 6, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert "did not start (2 tries" in last and "NEWSCLEAN_API_STARTUP_TIMEOUT" in last
    assert "newsclean server start" in last and "Traceback" not in res.stderr


def test_a_configured_api_that_does_not_answer_is_exit_6(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_fresh_home(tmp_path), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    res = _run_cli(["logs", "0f5c8a52-0000-4000-8000-000000000000"], env)
    assert res.returncode == 6 and f"127.0.0.1:{port}/api" in res.stderr and "does not answer" in res.stderr


def test_server_start_is_used_by_later_commands_until_stopped(tmp_path: Path, seeds_dir: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _fresh_home(tmp_path)
    try:
        res = _run_cli(["server", "start", "--port", str(port)], env)
        assert res.returncode == 0, res.stderr
        assert _run_cli(["server", "status"], env).returncode == 0
        out = tmp_path / "out"
        res = _run_cli(["run", str(seeds_dir), "--out", str(out), "--no-progress"], env)
        assert res.returncode == 0, res.stderr
        assert "starting a temporary Prefect API" not in res.stderr  # the recorded server is used
        assert f"127.0.0.1:{port}" in res.stderr  # Prefect's "View at" line names it
        run_id = json.loads((out / "run.json").read_text())["run_id"]
        res = _run_cli(["runs", "--out", str(out)], env)
        assert res.returncode == 0 and run_id in res.stdout and "starting a temporary" not in res.stderr
    finally:
        assert _run_cli(["server", "stop"], env).returncode == 0
    assert _run_cli(["server", "status"], env).returncode == 1
