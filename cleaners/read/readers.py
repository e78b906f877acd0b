"""Readers: turn every file under INPUT_DIR into RawDocs or Rejects.

Files are found (``discover``) and opened (``open_input``) here; what is in them is read by
the reader registered for their suffix (``READERS``): one class per format, the page formats
below, the others in cleaners/read/feeds.py and warc.py. Adding a format is one Reader
subclass, one ``register`` line below and its tests. Each reader yields, never raises for bad
input: a file that cannot be read is a ``Reject`` with a reason, so nothing is dropped silently.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cleaners.config import ReadConfig
from cleaners.read.base import Reader, Share, WholeFileReader
from cleaners.read.feeds import JsonLinesReader, JsonReader
from cleaners.read.warc import WarcReader
from cleaners.records import RawDoc, Reject, Source

READERS: dict[str, Reader] = {}  # suffix -> the reader of the files ending in it (or in it + ".gz")


def register(reader: type[Reader]) -> type[Reader]:
    """Read the files whose names end in ``reader.suffixes`` (optionally + ".gz") with it."""
    for suffix in reader.suffixes:
        if suffix != suffix.lower() or not suffix.startswith(".") or suffix.count(".") != 1 or suffix == ".gz":
            raise ValueError(f"{reader.__name__}: suffix {suffix!r} must be lower case with one leading "
                             "dot, and not .gz (every format is read gzipped too), e.g. '.html'")
        if suffix in READERS:
            raise ValueError(f"{reader.__name__}: suffix {suffix!r} is already read by "
                             f"{type(READERS[suffix]).__name__} (give the format another suffix)")
    READERS.update(dict.fromkeys(reader.suffixes, reader()))
    return reader


class HtmlReader(WholeFileReader):
    """A file that is one page of HTML."""

    name = "html"
    suffixes = (".html", ".htm", ".xhtml", ".shtml")
    hint = ".html/.htm"
    kind = "html"


class TextReader(WholeFileReader):
    """A file that is one plain-text document."""

    name = "txt"
    suffixes = (".txt", ".text")
    kind = "text"


# In this order the unsupported-format reject names them.
register(HtmlReader)
register(TextReader)
register(JsonReader)
register(JsonLinesReader)
register(WarcReader)


def reader_for(path: str) -> tuple[Reader | None, bool]:
    """(the reader of a file, whether it is gzipped) from its name; None when no reader has it."""
    name = path.lower()
    gz = name.endswith(".gz")
    return READERS.get(os.path.splitext(name[:-3] if gz else name)[1]), gz


@dataclass(frozen=True)
class InputFile:
    """A file found under INPUT_DIR (relative POSIX path) or why it is skipped."""

    path: str  # printable, JSON-safe relative path (non-UTF-8 bytes shown as \xNN)
    size: int
    problem: str | None = None  # reject reason found during discovery
    detail: str = ""
    # The real relative path as hex of its bytes, when it differs from ``path``
    # (names with bytes that are not UTF-8); used to open the file.
    raw_path_hex: str | None = None
    # A share of a large feed or WARC file (see Reader.shares): (first byte,
    # end byte, number of its first record). None: the whole file.
    share: Share | None = None

    def __post_init__(self) -> None:
        if self.share is not None and not isinstance(self.share, tuple):  # a list, read back from JSON
            object.__setattr__(self, "share", tuple(self.share))

    def fs_path(self, root: Path) -> Path:
        return root / (self.path if self.raw_path_hex is None else os.fsdecode(bytes.fromhex(self.raw_path_hex)))


def discover(root: Path, cfg: ReadConfig, exclude: Path | None = None) -> Iterator[InputFile]:
    """Every file below root, sorted for a stable order; symlinks are reported, not followed.

    ``exclude`` (the output folder, when it sits inside INPUT_DIR) is skipped.
    """
    root = root.resolve()
    excluded = exclude.resolve() if exclude is not None else None
    seen_dirs: set[tuple[int, int]] = set()

    def walk(directory: Path) -> Iterator[InputFile]:
        here = printable_path(directory.relative_to(root).as_posix())
        try:
            st = directory.stat()
            if (st.st_dev, st.st_ino) in seen_dirs:
                yield InputFile(here, 0, "symlink-loop", "directory visited twice")
                return
            seen_dirs.add((st.st_dev, st.st_ino))
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            yield InputFile(here, 0, "unreadable-directory", str(exc))
            return
        for entry in entries:
            real = Path(entry.path).relative_to(root).as_posix()  # entry.path is root joined with names
            rel = printable_path(real)
            try:
                target = Path(os.path.realpath(entry.path)) if entry.is_symlink() else None
                if target is not None and not cfg.follow_symlinks:
                    yield InputFile(rel, 0, "symlink-not-followed", "pass --follow-symlinks to read symlinked files")
                elif target is not None and not target.exists():
                    yield InputFile(rel, 0, "broken-symlink", str(target))
                elif target is not None and root not in target.parents and target != root:
                    yield InputFile(rel, 0, "symlink-outside-input", "target is outside INPUT_DIR")
                elif entry.is_dir(follow_symlinks=cfg.follow_symlinks):
                    if excluded is None or Path(entry.path).resolve() != excluded:
                        yield from walk(Path(entry.path))
                elif entry.is_file(follow_symlinks=cfg.follow_symlinks):
                    yield InputFile(rel, entry.stat(follow_symlinks=cfg.follow_symlinks).st_size,
                                    raw_path_hex=None if real == rel else os.fsencode(real).hex())
                else:
                    yield InputFile(rel, 0, "not-a-regular-file", "device, socket or fifo")
            except OSError as exc:
                yield InputFile(rel, 0, "unreadable-file", str(exc))

    yield from walk(root)


def printable_path(rel: str) -> str:
    r"""A relative path as ``source.path`` shows it: printable, JSON-safe and unique.

    Bytes of a name that are not UTF-8 (surrogateescaped by the filesystem encoding) are
    shown as ``\xNN``; a literal backslash followed by ``x`` is shown as ``\x5c`` so that a
    file really named ``caf\xe9.txt`` cannot take the path of ``caf`` + byte 0xE9 + ``.txt``:
    in the result every ``\x`` is an escape.

    >>> printable_path(b"caf\xe9.txt".decode("utf-8", "surrogateescape"))
    'caf\\xe9.txt'
    >>> printable_path("caf\\xe9.txt")
    'caf\\x5cxe9.txt'
    """
    rel = rel.replace("\\x", "\\x5cx")
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class InputRefused(Exception):
    """An input file that is no longer what discovery found (swapped for a symlink, a fifo,
    or another file): never read; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


# O_NONBLOCK: a fifo swapped in must not block the open.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def open_input(path: Path, follow_symlinks: bool, root: Path | None = None) -> BinaryIO:
    """An input file opened for reading bytes, when it is still what discovery found: a regular
    file, reached through no symlink unless ``follow_symlinks`` (O_NOFOLLOW on the file, its real
    path checked for its folders), inside ``root`` (INPUT_DIR) when given. The checks are made
    on the opened file, so a file swapped between discovery and reading (for a symlink to a file
    outside, a fifo, another file) is refused, never read. Raises InputRefused or OSError."""
    flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and os.path.islink(path):  # ELOOP on Linux, EMLINK on FreeBSD
            raise InputRefused("symlink-not-followed", "it became a symlink after it was found "
                               "(pass --follow-symlinks to read symlinked files)") from exc
        raise
    fh = os.fdopen(fd, "rb")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputRefused("not-a-regular-file", "it became a folder, device, socket or fifo "
                               "after it was found")
        os.set_blocking(fd, True)
        if root is not None:
            _check_inside(path, root, st, follow_symlinks)
    except BaseException:
        fh.close()
        raise
    return fh


def _check_inside(path: Path, root: Path, opened: os.stat_result, follow_symlinks: bool) -> None:
    """Raise InputRefused unless the opened file is the one at ``path`` now, and ``path``
    reaches it inside ``root`` (through no symlinked folder unless follow_symlinks)."""
    base = os.path.realpath(root)
    real = os.path.realpath(path)
    if not follow_symlinks and real != os.path.join(base, os.path.relpath(path, root)):
        raise InputRefused("symlink-not-followed", "a folder on its path became a symlink after "
                           "it was found (pass --follow-symlinks to read symlinked files)")
    if os.path.commonpath([base, real]) != base:
        raise InputRefused("symlink-outside-input", "its target is outside INPUT_DIR "
                           "(changed after it was found)")
    try:
        now = os.stat(real)
    except OSError:
        now = None
    if now is None or not os.path.samestat(opened, now):
        raise InputRefused("changed-during-read", "the file at this path was replaced while it "
                           "was being opened")


def read_file(root: Path, item: InputFile, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
    """All documents in one input file (or share of one), or Rejects saying why not."""
    reader, gz = reader_for(item.path)
    bare = Source(path=item.path, record=None, sha256="",
                  format=(reader.name if reader else "unknown") + ("+gz" if gz else ""))
    if item.problem or reader is None:
        yield Reject(bare, item.problem or "unsupported-format", item.detail if item.problem else _expected_formats())
        return
    if item.share is not None:
        data = _read_share(root, item, cfg, gz and reader.shares_decompressed)
        if data is not None:
            yield from reader.read_share(data, bare, item.share[2], cfg)
            return
        if item.share[0] > 0:  # the file changed since it was cut: its first share reads all of it
            return
    try:
        fh = open_input(item.fs_path(root), cfg.follow_symlinks, root)
    except InputRefused as exc:
        yield Reject(bare, exc.reason, exc.detail)
        return
    except FileNotFoundError as exc:
        yield Reject(bare, "vanished", f"file disappeared during the run: {exc}")
        return
    except OSError as exc:
        yield Reject(bare, "unreadable-file", f"{type(exc).__name__}: {exc}")
        return
    with fh:
        yield from reader.read(fh, gz, bare, cfg)


def _expected_formats() -> str:
    named = (r.hint or r.suffixes[0] for r in dict.fromkeys(READERS.values()))
    return f"expected {', '.join(named)} (optionally .gz)"


def _read_share(root: Path, item: InputFile, cfg: ReadConfig, gz: bool) -> bytes | None:
    """The bytes of ``item.share`` (of the decompressed file with ``gz``: the bytes before
    it are decompressed and dropped); None when the file's size is no longer the one it
    was cut at (``item.size``): it changed since, and is read whole instead (as is a file
    that cannot be opened as discovery found it: the whole read names why)."""
    assert item.share is not None
    start, end, _ = item.share
    try:
        with open_input(item.fs_path(root), cfg.follow_symlinks, root) as raw:
            if os.fstat(raw.fileno()).st_size != item.size:
                return None
            if not gz:
                raw.seek(start)
                return raw.read(end - start)
            with gzip.open(raw, "rb") as fh:
                skip = start
                while skip > 0:
                    got = len(fh.read(min(skip, 1 << 20)))
                    if not got:
                        return None
                    skip -= got
                return fh.read(end - start)
    except (InputRefused, OSError, EOFError, zlib.error):
        return None  # the whole-file read names the error
