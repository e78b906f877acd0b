"""kill -9 at random points during `newsclean run`, then run again: outputs equal an uninterrupted run.

Runs the real console script in subprocesses against a real local Prefect server
(`prefect server start` on 127.0.0.1, started and stopped by the test).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


from tests.conftest import RAW
from tests.helpers import BODY, article_html

KILLS = int(os.environ.get("NEWSCLEAN_KILL_POINTS", "3"))  # the README gives the command for 20
OUTPUTS = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")
BIN = Path(sys.executable).parent


def _corpus(root: Path) -> Path:
    root.mkdir()
    for f in RAW.glob("*.txt"):
        shutil.copy(f, root / f.name)
    rng = random.Random(3)
    for i in range(120):
        paras = rng.sample(BODY, 3) + [f"Story {i} adds its own closing line about item number {i}, "
                                        f"which no other story in this folder repeats word for word."]
        (root / f"page{i:03d}.html").write_text(article_html(f"Story {i}", paras))
    return root


def _run(env: dict[str, str], src: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "newsclean"), "run", str(src), "--out", str(out), "--no-progress",
                             "--batch-size", "10"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_kill_minus_9_then_rerun_equals_uninterrupted_run(prefect_server: dict[str, str],
                                                          tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in")
    ref = tmp_path / "ref"
    t0 = time.time()
    assert _run(prefect_server, src, ref).wait(timeout=300) == 0
    duration = time.time() - t0
    expected = {name: (ref / name).read_bytes() for name in OUTPUTS}

    rng = random.Random(11)
    out = tmp_path / "out"
    for k in range(KILLS):
        proc = _run(prefect_server, src, out)
        time.sleep(rng.uniform(0.2, duration))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for name in OUTPUTS:  # whatever is there is a complete file, never half of one
            if (out / name).exists() and k == 0:
                assert (out / name).read_bytes() == expected[name]
        assert _run(prefect_server, src, out).wait(timeout=300) == 0, f"rerun after kill {k} failed"
        for name in OUTPUTS:
            assert (out / name).read_bytes() == expected[name], f"{name} differs after kill {k}"
        leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp") or p.name == ".newsclean-work"]
        assert leftovers == []
        shutil.rmtree(out)
