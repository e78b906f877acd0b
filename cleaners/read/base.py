"""What every reader shares: the Reader class a format implements, and the checks and
bounded reads its files go through.

A reader yields, never raises for bad input: a file or record that cannot be read is a
``Reject`` with a reason, so nothing is dropped silently. Readers are registered by suffix
in ``cleaners.read.readers``.
"""

from __future__ import annotations

import contextlib
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

MAGIC = ((b"%PDF", "pdf"), (b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"PK\x03\x04", "zip"),
         (b"RIFF", "riff"), (b"\x00\x00\x01\x00", "ico"), (b"OggS", "ogg"), (b"ID3", "mp3"), (b"\x1f\x8b", "gzip"))
# Bytes read at a time from a streamed file: more than sniff_binary looks at, so a file's
# first chunk shows whether it is binary.
CHUNK = 1 << 20


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
    rejected here (``read_through``), and ``documents`` makes the rest into documents."""

    kind: ClassVar[str]  # RawDoc.kind of a file that is one document ("html" or "text")

    def read(self, fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig) -> Iterator[RawDoc | Reject]:
        checked = read_through(fh, gz, bare, cfg, self.name, hold=True)
        if isinstance(checked, Reject):
            yield checked
        else:
            yield from self.documents(checked[1], checked[0])

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        """The documents of a file's bytes (neither blank nor binary); ``src`` has their hash.
        By default the file is one document of ``kind``."""
        yield RawDoc(src, data, self.kind)


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
        host = host.removeprefix(prefix)
    return host or None


def sniff_binary(data: bytes) -> str | None:
    """Name of a binary type when the bytes are clearly not text, else None."""
    for magic, name in MAGIC:
        if data.startswith(magic):
            return name
    sample = data[:8192]
    if b"\x00" not in sample or data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return None  # UTF-16/32 and UTF-8 BOMs: text with NULs is expected
    # UTF-16 without BOM has NULs in every other byte; accept it.
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) > 0.4 * (len(sample) / 2) and min(even, odd) < 0.05 * (len(sample) / 2):
        return None
    return "binary (NUL bytes)"


class TooLarge(Exception):
    """A file over a size bound; the message says which and how to raise it."""


def chunks(fh: BinaryIO, gz: bool, cfg: ReadConfig, size: int = CHUNK) -> Iterator[bytes]:
    """The (decompressed) bytes of an opened file in reads of ``size`` bytes, none empty; a
    .gz stops with TooLarge past the gzip-bomb bound."""
    total = 0
    with (gzip.GzipFile(fileobj=fh, mode="rb") if gz else contextlib.nullcontext(fh)) as src:
        while data := src.read(size):
            total += len(data)
            if gz and total > cfg.max_decompressed_bytes:
                raise TooLarge(f"decompresses to over {cfg.max_decompressed_bytes} bytes (gzip bomb guard)")
            yield data
            if len(data) < size:
                return  # a read stops short only at the end of the file


def read_through(fh: BinaryIO, gz: bool, bare: Source, cfg: ReadConfig, name: str,
                 hold: bool) -> tuple[Source, bytes] | Reject:
    """Read an opened file through once and check it as a whole: a file over a bound, a bad
    .gz, an empty or a binary file is one reject. Else the file's Source, with its hash, and
    its bytes when ``hold`` (a file read whole, bounded by max_file_bytes), or else at least its
    first 8 KiB, which showed it is not binary (a streamed file, whose records are bounded one
    by one)."""
    # A file held is read in one read, up to its bound and a byte: a .gz past the gzip-bomb
    # bound is named as a bomb, even when its end is bad.
    size = (cfg.max_decompressed_bytes if gz else cfg.max_file_bytes) + 1 if hold else CHUNK
    digest, total, blank, held = hashlib.sha256(), 0, True, []
    try:
        for data in chunks(fh, gz, cfg, size):
            if hold and total + len(data) > cfg.max_file_bytes:
                raise TooLarge(f"{'decompressed file' if gz else 'file'} is over {cfg.max_file_bytes} bytes "
                               "(raise --max-file-mb)")
            if hold or total < 8192:  # all of it, or what sniff_binary looks at
                held.append(data)
            digest.update(data)
            total += len(data)
            blank = blank and data.isspace()
    except TooLarge as exc:
        return Reject(bare, "too-large", str(exc))
    except (OSError, EOFError, zlib.error) as exc:
        return Reject(bare, "bad-gzip" if gz else "unreadable-file", f"{type(exc).__name__}: {exc}")
    src = Source(bare.path, None, digest.hexdigest(), bare.format)
    data = b"".join(held)
    if blank:
        return Reject(src, "empty-file", f"{total} bytes, no content")
    binary = sniff_binary(data)
    if binary:
        return Reject(src, "binary-content", f"looks like {binary}, not {name}")
    return src, data


def join_shares(starts: list[tuple[int, int]], share_bytes: int, size: int) -> list[Share]:
    """Shares of a file of ``size`` bytes, cut at some of ``starts``, each (the offset of a
    record or a run of lines, how many records come before it): a share ends at the first
    start at least ``share_bytes`` past its own, once it holds a record; the first begins at
    0, the last ends at ``size``. Empty when there are no starts."""
    shares: list[Share] = []
    for offset, before in starts:
        if not shares or (offset - shares[-1][0] >= share_bytes and before > shares[-1][2]):
            shares.append((offset, size, before))
    shares = [(a[0], b[0], a[2]) for a, b in zip(shares, shares[1:])] + shares[-1:]
    if shares:  # bytes before the first start (none in a valid file) stay with it
        shares[0] = (0, shares[0][1], shares[0][2])
    return shares
