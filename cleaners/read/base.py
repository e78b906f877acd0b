"""What every reader shares: the Reader class a format implements, and the checks and
bounded reads its files go through.

A reader yields, never raises for bad input: a file or record that cannot be read is a
``Reject`` with a reason, so nothing is dropped silently. Readers are registered by suffix
in ``cleaners.read.readers``.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from typing import BinaryIO, ClassVar
from urllib.parse import urlsplit

from cleaners.config import ReadConfig
from cleaners.records import RawDoc, Reject, Source

# A share of a large file (InputFile.share): (first byte, end byte, number of its first record).
Share = tuple[int, int, int]

MAGIC = (
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"RIFF", "riff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x1f\x8b", "gzip"),
)


class Reader:
    """One input format: the documents of a file whose name ends in one of ``suffixes``
    (optionally followed by ``.gz``), each a RawDoc or a Reject with a reason.

    A subclass sets ``name`` and ``suffixes`` and implements ``read``. A format whose large
    files can be read in parts by several tasks also implements ``cuts``, ``shares`` and
    ``read_share``: reading the shares in order must give the records of reading the file
    whole.
    """

    name: ClassVar[str]  # source.format of its documents ("+gz" is added for a .gz file)
    suffixes: ClassVar[tuple[str, ...]]  # lower case, each with its one dot: (".html", ".htm")
    # How the unsupported-format reject names the format, when not by its first suffix.
    hint: ClassVar[str | None] = None
    # The shares of a .gz are ranges of its decompressed bytes (False: of the file's own
    # bytes, for a format whose gzip members can each be read alone).
    shares_decompressed: ClassVar[bool] = True

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        """The documents of a whole opened file; ``gz``: it is gzipped (the reader decompresses
        it, within cfg.max_decompressed_bytes); ``bare``: its Source, without a hash."""
        raise NotImplementedError

    def cuts(self, gz: bool, workers: int) -> bool:
        """Whether a file over ``cfg.share_bytes`` is cut into shares for ``workers``."""
        return False

    def shares(self, fh: BinaryIO, share_bytes: int, gz: bool, cfg: ReadConfig) -> list[Share] | None:
        """The shares of an opened file, of about ``share_bytes``; None when it stays whole."""
        raise NotImplementedError

    def read_share(self, data: bytes, bare: Source, first_record: int, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        """The documents in the bytes of one share, numbered from ``first_record``."""
        raise NotImplementedError


class WholeFileReader(Reader):
    """A format read whole, bounded by max_file_bytes: its empty and binary files are
    rejected here, and ``documents`` makes the rest into documents."""

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        try:
            data = _read_bounded(fh, gz, cfg)
        except TooLarge as exc:
            yield Reject(bare, "too-large", str(exc))
            return
        except (OSError, EOFError, zlib.error) as exc:
            yield Reject(bare, "bad-gzip" if gz else "unreadable-file", f"{type(exc).__name__}: {exc}")
            return
        src = Source(path=bare.path, record=None, sha256=sha256(data), format=bare.format)
        if not data.strip():
            yield Reject(src, "empty-file", f"{len(data)} bytes, no content")
            return
        binary = sniff_binary(data)
        if binary:
            yield Reject(src, "binary-content", f"looks like {binary}, not {self.name}")
            return
        yield from self.documents(data, src)

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        """The documents of a file's bytes (neither blank nor binary); ``src`` has their hash."""
        raise NotImplementedError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def outlet_from_url(url: str | None) -> str | None:
    """The host of a URL without 'www.'/'amp.'/'m.' prefixes: a stable outlet name."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    for prefix in ("www.", "amp.", "m.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host or None


def sniff_binary(data: bytes) -> str | None:
    """Name of a binary type when the bytes are clearly not text, else None."""
    head = data[:16]
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return None  # UTF-16/32 and UTF-8 BOMs: text with NULs is expected
    sample = data[:8192]
    if b"\x00" in sample:
        # UTF-16 without BOM has NULs in every other byte; accept it.
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if max(even, odd) > 0.4 * (len(sample) / 2) and min(even, odd) < 0.05 * (len(sample) / 2):
            return None
        return "binary (NUL bytes)"
    return None


class TooLarge(Exception):
    """A file over a size bound; the message says which and how to raise it."""


def _read_bounded(fh: BinaryIO, gz: bool, cfg: ReadConfig) -> bytes:
    """The bytes of an opened file, decompressing .gz with a hard bound on the output size."""
    if not gz:
        data = fh.read(cfg.max_file_bytes + 1)
        if len(data) > cfg.max_file_bytes:
            raise TooLarge(f"file is over {cfg.max_file_bytes} bytes (raise --max-file-mb)")
        return data
    with gzip.GzipFile(fileobj=fh, mode="rb") as gzfh:
        data = gzfh.read(cfg.max_decompressed_bytes + 1)
    if len(data) > cfg.max_decompressed_bytes:
        raise TooLarge(f"decompresses to over {cfg.max_decompressed_bytes} bytes (gzip bomb guard)")
    if len(data) > cfg.max_file_bytes:
        raise TooLarge(f"decompressed file is over {cfg.max_file_bytes} bytes (raise --max-file-mb)")
    return data
