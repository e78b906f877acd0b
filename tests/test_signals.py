"""Real signals to a real `newsclean run`: nothing of the run outlives it, and the rerun equals an
uninterrupted run.

Each test starts the console script in its own process group (as a terminal does), waits until
cleaning is under way (a finished batch on disk), sends the signal and then checks every process
the run had started: the temporary Prefect API server, the pool's workers, multiprocessing's
resource tracker. Exit codes: 130 for SIGINT, 143 for SIGTERM (README "Exit codes").
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from flows.lifecycle import descendants
from tests.conftest import BIN
from tests.helpers import BODY, alive, article_html, lock_is_free

OUTPUTS = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")


def _corpus(root: Path, n: int = 200) -> Path:
    root.mkdir()
    rng = random.Random(5)
    for i in range(n):
        paras = rng.sample(BODY, 3) + [f"Story {i} ends with its own line about item {i}, which no other "
                                        f"page in this folder repeats word for word at all."]
        (root / f"page{i:04d}.html").write_text(article_html(f"Story {i}", paras))
    return root


def _start(env: dict[str, str], src: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "newsclean"), "run", str(src), "--out", str(out), "--no-progress",
                             "--batch-size", "10", "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_cleaning(proc: subprocess.Popen[bytes], out: Path, timeout: float = 240) -> list[int]:
    """Wait until a batch is finished (cleaning under way); the run's processes then."""
    finished = out / ".newsclean-work" / "finished-batches"
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, f"the run ended before it was interrupted: {proc.stderr.read()!r}"  # type: ignore[union-attr]
        if finished.is_dir() and any(f.suffix == ".jsonl" for f in finished.iterdir()):
            return descendants(proc.pid)
        time.sleep(0.1)
    raise AssertionError("cleaning did not start")


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.time() + timeout
    while alive(pids) and time.time() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.fixture(scope="module")
def temporary_api_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """No Prefect server: each run starts its own temporary API (in a Prefect home of these tests,
    whose database is created by the first)."""
    home = tmp_path_factory.mktemp("prefect-home")
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    return env


def test_ctrl_c_to_the_process_group_stops_every_process(temporary_api_env: dict[str, str], tmp_path: Path) -> None:
    src, out = _corpus(tmp_path / "in"), tmp_path / "out"
    proc = _start(temporary_api_env, src, out)
    children = _wait_for_cleaning(proc, out)
    assert len(children) >= 3, children  # the API server and two workers at least
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.time()
    code = proc.wait(timeout=30)
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    assert code == 130, err
    assert time.time() - t0 < 15
    assert _wait_gone(children, 15) == [], "processes of the run outlived it"
    assert "interrupted (SIGINT): nothing committed; rerun to continue" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert lock_is_free(out)
    assert not (out / "documents.jsonl").exists()  # nothing committed, nothing exported


def test_sigkill_of_the_main_process_alone_leaves_no_process(temporary_api_env: dict[str, str],
                                                             tmp_path: Path) -> None:
    src, out = _corpus(tmp_path / "in"), tmp_path / "out"
    proc = _start(temporary_api_env, src, out)
    children = _wait_for_cleaning(proc, out)
    os.kill(proc.pid, signal.SIGKILL)  # the main process only: its children must notice
    proc.wait(timeout=10)
    assert _wait_gone(children, 15) == [], "processes of the run outlived a SIGKILL of its main process"


def _flow_run_state(api: str, run_id: str) -> str:
    with urllib.request.urlopen(f"{api}/flow_runs/{run_id}", timeout=10) as resp:
        return json.loads(resp.read())["state"]["type"]


def test_sigterm_cancels_the_flow_run_and_the_rerun_reuses_finished_batches(
        prefect_server: dict[str, str], tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in")
    ref = tmp_path / "ref"
    done = subprocess.run([str(BIN / "newsclean"), "run", str(src), "--out", str(ref), "--no-progress",
                           "--batch-size", "10", "--workers", "2"], env=prefect_server, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr.decode()

    out = tmp_path / "out"
    proc = _start(prefect_server, src, out)
    children = _wait_for_cleaning(proc, out)
    os.kill(proc.pid, signal.SIGTERM)  # as systemd or Docker stop it: the main process only
    assert proc.wait(timeout=30) == 143
    assert _wait_gone(children, 15) == []
    assert lock_is_free(out)
    flow_run_id = _interrupted_flow_run(prefect_server["PREFECT_API_URL"], out)
    assert _flow_run_state(prefect_server["PREFECT_API_URL"], flow_run_id) == "CANCELLED"
    finished = len(list((out / ".newsclean-work" / "finished-batches").glob("*.jsonl")))
    assert finished >= 1

    rerun = subprocess.run([str(BIN / "newsclean"), "run", str(src), "--out", str(out), "--no-progress",
                            "--batch-size", "10", "--workers", "2"], env=prefect_server, capture_output=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert f"reused {finished} batches finished by an interrupted run" in rerun.stderr.decode()
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert not (out / ".newsclean-work").exists()


def _interrupted_flow_run(api: str, out: Path) -> str:
    """The id of the newsclean flow run that wrote to ``out`` (the newest one). Runs of deployments
    are left out: the schedule tests' deployments leave scheduled runs on the shared server, whose
    expected start times in the future sort first by start time (they once filled the 50 returned)."""
    body = json.dumps({"flows": {"name": {"any_": ["newsclean"]}},
                       "flow_runs": {"deployment_id": {"is_null_": True}},
                       "sort": "START_TIME_DESC", "limit": 200}).encode()
    req = urllib.request.Request(f"{api}/flow_runs/filter", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        runs = json.loads(resp.read())
    mine = [r for r in runs if (r.get("parameters") or {}).get("out_dir") == str(out.resolve())]
    assert mine, "the interrupted run is not in Prefect"
    return str(mine[0]["id"])


def test_a_temporary_api_that_dies_mid_run_ends_the_run_with_exit_6(temporary_api_env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    """The OOM killer or a stray signal takes the API server: the run fails within seconds with a
    message and releases the lock, instead of waiting for the API for good."""
    src, out = _corpus(tmp_path / "in"), tmp_path / "out"
    proc = _start(temporary_api_env, src, out)
    children = _wait_for_cleaning(proc, out)
    servers = [p for p in children if b"flows.api_server" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert len(servers) == 1
    os.kill(servers[0], signal.SIGKILL)
    t0 = time.time()
    assert proc.wait(timeout=60) == 6
    assert time.time() - t0 < 15
    assert "temporary Prefect API server exited during the run" in proc.stderr.read().decode()  # type: ignore[union-attr]
    assert _wait_gone(children, 15) == []
    assert lock_is_free(out)


def test_the_api_watcher_does_not_replace_the_exit_code_of_a_shutdown_under_way() -> None:
    """A Ctrl-C to the process group also stops the temporary API server: the watcher then sees
    the API gone while the signal's shutdown runs, and must leave the exit code (130) to it."""
    script = (
        "import os, sys\n"
        "from flows.lifecycle import RunGuard, EXIT_API\n"
        "g = RunGuard(err=lambda line: None)\n"
        "assert g._stopping.acquire(blocking=False)  # the signal's shutdown holds the lock\n"
        "g.shutdown(EXIT_API, 'the temporary Prefect API server exited', None)\n"
        "sys.stdout.write('returned'); sys.stdout.flush()\n"
        "os._exit(130)\n")
    done = subprocess.run([str(BIN / "python"), "-c", script], capture_output=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 130, done.stderr.decode()
    assert done.stdout.decode() == "returned"
