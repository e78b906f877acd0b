"""Atomic output files.

Each file is written to a temporary name in the same folder, flushed and
fsynced, then renamed over the target: a reader sees the old file or the new
one, never half of one. run.json is written last, so its presence with the
current run id says the run's outputs are complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from cleaners.records import Reject, flat_dict

_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic(path: Path, write) -> None:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for others to read
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with suppress(OSError):  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_json_lines(path: Path, lines: Iterable[str]) -> int:
    """Write records given as JSON text (one line each, ``json.dumps(rec, ensure_ascii=False)``)
    atomically; returns the number written."""
    count = 0

    def write(fh) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        for count, line in enumerate(lines, 1):
            fh.write(line)
            fh.write("\n")

    _atomic(path, write)
    return count


def write_text(path: Path, parts: Iterable[str]) -> int:
    """Write a text made of ``parts`` atomically, as they come (a generator that raises leaves
    the old file in place); returns the number of characters written."""
    count = 0

    def write(fh) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        for part in parts:
            count += fh.write(part)

    _atomic(path, write)
    return count


def write_json(path: Path, obj: Any, indent: int | None = 2) -> None:
    """Write one JSON document atomically. ``indent=None`` writes one line with the C
    encoder (for work files, which can be large: several times faster than indented)."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    _atomic(path, lambda fh: (fh.write(text), fh.write("\n")))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def reject_record(r: Reject) -> dict[str, Any]:
    """One rejects.jsonl object (the output contract)."""
    return {"source": {**flat_dict(r.source), "sha256": r.source.sha256 or None},
            "reason": r.reason, "detail": r.detail}


class OutputLocked(RuntimeError):
    """Another run holds the output folder or the state."""


STATE_NAME = "state.sqlite"
LOCK_NAME = ".newsclean.lock"
STATE_LOCK_SUFFIX = ".lock"  # the state's lock: state.sqlite.lock next to state.sqlite
JSONL_NAMES = ("documents.jsonl", "articles.jsonl", "rejects.jsonl")
OUTPUT_NAMES = (*JSONL_NAMES, "run.json")
# A view of the outputs for people (cleaners/store/report.py), not part of the output contract:
# rebuilt from the three JSONL files whenever they are written.
REPORT_NAME = "report.html"
WORK_NAME = ".newsclean-work"
# Inside WORK_NAME: cleaned batches of a run that did not finish, named by what they were made
# from (files' bytes, settings, version): the next run reuses them instead of cleaning again.
FINISHED_NAME = "finished-batches"


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold an exclusive lock on the output folder for the whole run.

    A second run on the same folder fails at once with OutputLocked (never
    interleaved writes). The lock is an flock, so a killed run releases it.
    Work files left by a killed run are removed once the lock is held, except its
    finished batches (FINISHED_NAME), which the next run reuses.
    """
    out.mkdir(parents=True, exist_ok=True)
    with _flock(out / LOCK_NAME, lambda holder: (
            f"another newsclean run (pid {holder}) is writing to {out}; wait for it to "
            f"finish or choose another --out")):
        work = out / WORK_NAME
        for left in work.iterdir() if work.is_dir() else ():  # leftovers of a killed run
            if left.name != FINISHED_NAME:
                shutil.rmtree(left, ignore_errors=True) if left.is_dir() else left.unlink(missing_ok=True)
        for name in (*OUTPUT_NAMES, REPORT_NAME):
            for tmp in out.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)
        yield work


@contextmanager
def state_lock(state_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on a state database (an flock on STATE_LOCK_SUFFIX next to it)
    for the whole run or export.

    The output folder's lock does not cover a state given with --state: two runs with
    different --out and one --state would each load the stored documents and sketches and
    commit regroupings made without the other's documents (one story split in two
    articles). Every user of a state holds this lock, so the second fails at once with
    OutputLocked naming the state. A separate file, not the database: --fresh deletes the
    database under the lock, and SQLite's own locks last a transaction, not a run.
    """
    state_file.parent.mkdir(parents=True, exist_ok=True)
    with _flock(Path(str(state_file) + STATE_LOCK_SUFFIX), lambda holder: (
            f"another newsclean run (pid {holder}) is using the state {state_file}; wait for it to "
            f"finish or choose another --state")):
        yield


@contextmanager
def _flock(lock_path: Path, message: Callable[[str], str]) -> Iterator[None]:
    """Hold an exclusive flock on lock_path, with this process's pid written in it; OutputLocked
    with ``message(holder pid)`` when another process holds it. An flock, so a killed process
    releases it."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise OutputLocked(message(holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def export_state(state, out: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Regenerate documents.jsonl, articles.jsonl, rejects.jsonl from the state (atomically).

    The state holds each record as the JSON text of its line: it is copied, not decoded
    and encoded again."""
    return {name: write_json_lines(out / f"{name}.jsonl", state.record_lines(name))
            for name in ("documents", "articles", "rejects")}


def output_digests(out: Path) -> dict[str, dict[str, Any]]:
    """{name: {lines, sha256}} of the JSONL outputs in ``out`` as they are on disk (run.json
    records them after an export, so the next run can tell a damaged output)."""
    return {name: file_digest(out / name) for name in JSONL_NAMES}


def file_digest(path: Path, chunk: int = 1 << 20) -> dict[str, Any]:
    """{lines, sha256} of a file; {} when it cannot be read."""
    h, lines = hashlib.sha256(), 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
                lines += block.count(b"\n")
    except OSError:
        return {}
    return {"lines": lines, "sha256": h.hexdigest()}


def damaged_outputs(out: Path, recorded: dict[str, Any] | None) -> list[str]:
    """The JSONL outputs that are missing or differ from ``recorded`` (run.json's ``outputs``);
    all of them when nothing was recorded (a run.json of an older version, or none)."""
    if not isinstance(recorded, dict):
        return list(JSONL_NAMES)
    return [name for name in JSONL_NAMES
            if not recorded.get(name) or file_digest(out / name) != recorded[name]]
