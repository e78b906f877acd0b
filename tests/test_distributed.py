"""Distributed mode: Dask cluster for cleaning, Redis for the LSH index, same result as local.

Real components only: a `prefect server start` (conftest), a real
redis-server started and stopped here (Debian package ``redis-server``; the
test skips when it is not installed), a dask.distributed LocalCluster with two
worker processes, and the ``newsclean`` command line.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cleaners.config import DedupConfig
from tests.conftest import BIN, RAW

FIXTURE = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "html"
OUTPUTS = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")


def _drop_last_paragraph(html: str) -> str:
    paras = list(re.finditer(r"<p[ >].*?</p>", html, flags=re.S | re.I))
    if len(paras) < 3:
        return html
    last = paras[-1]
    return html[:last.start()] + html[last.end():]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """24 real news pages (two outlets), 12 near-duplicate reprints of them, and the 5 seed scrapes."""
    root = tmp_path / "in"
    pages = sorted(FIXTURE.glob("*.html.gz"))
    assert len(pages) >= 20
    for n, page in enumerate(pages):
        (root / f"outlet{n % 2}").mkdir(parents=True, exist_ok=True)
        shutil.copy(page, root / f"outlet{n % 2}" / page.name)
        if n < 12:
            reprint = _drop_last_paragraph(gzip.decompress(page.read_bytes()).decode("utf-8", "replace"))
            (root / "reprints").mkdir(exist_ok=True)
            (root / "reprints" / f"r{n:02d}.html").write_text(reprint, encoding="utf-8")
    (root / "seeds").mkdir()
    for f in sorted(RAW.glob("*.txt")):
        shutil.copy(f, root / "seeds" / f.name)
    return root


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "newsclean"), "run", *args, "--no-progress", "--batch-size", "4"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def _outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def test_dask_cluster_and_redis_lsh_give_the_local_result(corpus: Path, tmp_path: Path,
                                                          prefect_server: dict[str, str],
                                                          redis_url: str) -> None:
    pytest.importorskip("prefect_dask")
    import redis
    from distributed import Client, LocalCluster, get_task_stream

    env = dict(prefect_server)
    _run([str(corpus), "--out", str(tmp_path / "local"), "--workers", "1"], env)
    local = _outputs(tmp_path / "local")
    assert local["articles.jsonl"].count(b"\n") < local["documents.jsonl"].count(b"\n"), \
        "the corpus must hold duplicates, or the comparison proves little"

    r = redis.Redis.from_url(redis_url)
    commands_before = int(r.info("stats")["total_commands_processed"])
    worker_env = {"PREFECT_API_URL": env["PREFECT_API_URL"], "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      env=worker_env) as cluster, Client(cluster) as client:
        with get_task_stream(client) as stream:
            _run([str(corpus), "--out", str(tmp_path / "dist"), "--dask-address", cluster.scheduler_address,
                  "--lsh-redis", redis_url], env)
    batches = [t for t in stream.data if str(t["key"]).startswith("clean_batch")]
    assert len(batches) >= 10, f"the batches did not run on the Dask cluster: {stream.data[:3]}"
    assert len({t["worker"] for t in batches}) == 2, "both Dask workers should have cleaned batches"
    # both matching passes (site boilerplate, then articles) wrote every band to Redis and read it
    # back from there (at least one write and one read a band a pass), then removed the keys
    bands = DedupConfig().lsh_bands
    assert int(r.info("stats")["total_commands_processed"]) - commands_before >= 2 * 2 * bands
    assert r.dbsize() == 0
    assert _outputs(tmp_path / "dist") == local


def test_local_processes_give_the_single_process_result(corpus: Path, tmp_path: Path,
                                                        prefect_server: dict[str, str]) -> None:
    _run([str(corpus), "--out", str(tmp_path / "one"), "--workers", "1"], dict(prefect_server))
    # no server configured: the worker processes must use the flow's temporary API, not start their own
    env = {k: v for k, v in prefect_server.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    proc = _run([str(corpus), "--out", str(tmp_path / "two"), "--workers", "2"], env)
    assert _outputs(tmp_path / "two") == _outputs(tmp_path / "one")
    log = proc.stdout + proc.stderr
    # the command starts one temporary API of its own (flows/lifecycle.py); neither the run's
    # process nor a worker starts Prefect's
    assert log.count("starting a temporary Prefect API") == 1
    assert "Starting temporary server" not in log
    # a first run of several batches starts both workers while it plans
    assert len(re.findall(r"Task run 'start-worker-\w+' - Finished in state Completed", log)) == 2, log[-3000:]
    assert log.index("start-worker") < log.index("clean-batch")
