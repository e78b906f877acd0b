from __future__ import annotations

import os
import shutil
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
