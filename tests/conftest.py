from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "raw"  # the five seed scrapes, committed as sample input
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect API (temporary SQLite-backed server) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A copy of the seed scrapes (from raw/, the committed sample input)."""
    dst = tmp_path / "seeds"
    dst.mkdir()
    for f in sorted(RAW.glob("*.txt")):
        shutil.copy(f, dst / f.name)
    assert len(list(dst.iterdir())) == 5, "raw/ must hold the five seed scrapes"
    return dst


BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    prefect = BIN / "prefect"
    if not prefect.exists():
        pytest.skip("prefect CLI not installed next to this Python")
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": ""}
    proc = subprocess.Popen([str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("prefect server did not start in 120 s")
    yield {**env, "PREFECT_API_URL": url}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def redis_url(tmp_path: Path):
    """A redis-server of the test's own on a free port (skips when redis-server is not installed)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.time() + 30
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if time.time() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail("redis-server did not start in 30 s")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    client.close()
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
