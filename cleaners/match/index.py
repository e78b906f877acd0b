"""The document index: documents' LSH band keys, and the buckets of documents that share one.

One small protocol (``DocumentIndex``) and three backends, chosen by name in ``open_index``:
``memory`` (numpy banding), ``sqlite`` (a table in a file or in memory) and ``redis`` (a
server, so the index can live outside the matching process). A backend is one class and one
line in ``INDEXES``.

Every backend gives the same buckets in the same order: band by band, buckets in ascending
order of the band's values (compared as unsigned numbers, first value first), members of a
bucket in ascending document order. So the candidate pairs (two documents sharing a bucket
in some band) are the same, and so is everything computed while walking the buckets.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Protocol, Self

import numpy as np

from cleaners.kernels import band_buckets, band_key, bucket_bounds

if TYPE_CHECKING:
    import redis

Buckets = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(members, starts, ends): bucket t is ``members[starts[t]:ends[t]]`` (int64 document numbers),
buckets of two or more documents only; what ``band_buckets`` gives and ``kernels.ClusterLinker.link`` takes."""


class DocumentIndex(Protocol):
    """Documents' LSH bands, added in batches; their shared buckets, band by band."""

    bands: int
    rows: int

    def add(self, hashvalues: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Index the rows of a signature matrix (``hashvalues[i]``: one document's MinHash values).

        Documents are numbered in the order added, across calls; ``mask`` (a bool per row)
        leaves rows out, e.g. empty documents, which still take their number.
        """
        ...

    def buckets(self) -> Iterator[Buckets]:
        """For each band in turn, the buckets of the documents added so far."""
        ...

    def close(self) -> None:
        """Drop the index's entries and release its connection."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class _Banded:
    """What the backends share: the banding, the documents' numbering, use as a context manager."""

    def __init__(self, bands: int, rows: int) -> None:
        if bands < 1 or rows < 1:
            raise ValueError(f"an index needs bands >= 1 and rows >= 1, got bands={bands!r}, rows={rows!r}")
        self.bands, self.rows, self.size = bands, rows, 0
        self.dtype: np.dtype | None = None  # of the signatures: one scheme per index

    def _numbered(self, hashvalues: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(the signature matrix, a bool per row) of an ``add``, checked; counts its rows in ``size``."""
        hv = np.asarray(hashvalues)
        if hv.ndim != 2 or hv.shape[1] < self.bands * self.rows:
            raise ValueError(f"need an (n, >= {self.bands * self.rows}) signature matrix "
                             f"({self.bands} bands x {self.rows} rows), got shape {hv.shape}")
        keep = np.ones(len(hv), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if keep.shape != (len(hv),):
            raise ValueError(f"mask needs one bool per row ({len(hv)}), got shape {keep.shape}")
        if self.dtype is not None and hv.dtype != self.dtype:
            raise ValueError(f"signatures of dtype {hv.dtype} cannot join an index of {self.dtype} ones: "
                             "sign every document with the same MinHash scheme")
        self.dtype = hv.dtype
        self.size += len(hv)
        return hv, keep

    def _entries(self, hashvalues: np.ndarray, mask: np.ndarray | None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(band, key bytes, document numbers) of the rows of an ``add``: row k's key is
        ``keys[k]``, its band's values big-endian, so byte order is ``band_key``'s order."""
        first = self.size
        hv, keep = self._numbered(hashvalues, mask)
        docs = first + np.flatnonzero(keep)
        r = self.rows
        for b in range(self.bands):
            band = hv[keep, b * r:(b + 1) * r]
            keys = band.astype(band.dtype.newbyteorder(">")).view(np.uint8)
            yield b, keys.reshape(len(band), self._key_bytes()), docs

    def _key_bytes(self) -> int:
        return 0 if self.dtype is None else self.rows * self.dtype.itemsize

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sorted_buckets(keys: np.ndarray, docs: np.ndarray) -> Buckets:
    """The buckets of entries sorted by (key, document): ``keys`` one row of key bytes per entry."""
    return (docs.astype(np.int64), *bucket_bounds((keys[1:] != keys[:-1]).any(axis=1)))


class MemoryIndex(_Banded):
    """The signature matrices themselves, banded with numpy one band at a time (so at most one
    band's keys are held): ``band_key`` and ``band_buckets``. Keeps references to the added
    matrices: do not change them."""

    def __init__(self, bands: int, rows: int, where: str | None = None) -> None:
        super().__init__(bands, rows)
        if where is not None:
            raise ValueError(f"the memory index has no location, got {where!r}: drop it, or choose sqlite or redis")
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, hashvalues: np.ndarray, mask: np.ndarray | None = None) -> None:
        self._parts.append(self._numbered(hashvalues, mask))

    def buckets(self) -> Iterator[Buckets]:
        if not self._parts:
            yield from ((np.zeros(0, dtype=np.int64),) * 3 for _ in range(self.bands))
            return
        r = self.rows
        docs = np.flatnonzero(np.concatenate([keep for _, keep in self._parts]))
        for b in range(self.bands):
            band = [hv[keep, b * r:(b + 1) * r] for hv, keep in self._parts]
            yield band_buckets(band_key(band[0] if len(band) == 1 else np.concatenate(band)), docs)

    def close(self) -> None:
        self._parts = []


class SQLiteIndex(_Banded):
    """A table of (band, key, doc) whose primary key is its order, in a file or in memory
    (``where`` None or ":memory:"); buckets come from one ordered query per band."""

    def __init__(self, bands: int, rows: int, where: str | None = None) -> None:
        super().__init__(bands, rows)
        self.where = where or ":memory:"
        # a file this index makes is its own, removed at close; one that was there is only emptied
        self.made_file = self.where != ":memory:" and not os.path.exists(self.where)
        self.db = sqlite3.connect(self.where)
        # Scratch data, rebuilt by the next run if lost: no journal, no waiting for the disk.
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        try:
            self.db.execute("CREATE TABLE lsh (band INTEGER, key BLOB, doc INTEGER, "
                            "PRIMARY KEY (band, key, doc)) WITHOUT ROWID")
        except sqlite3.OperationalError as exc:
            self.db.close()
            raise ValueError(f"cannot make the document index in {self.where!r} ({exc}): another index "
                             "was not closed there; remove the file or give another path") from exc

    def add(self, hashvalues: np.ndarray, mask: np.ndarray | None = None) -> None:
        with self.db:
            for b, keys, docs in self._entries(hashvalues, mask):
                self.db.executemany("INSERT INTO lsh VALUES (?, ?, ?)",
                                    ((b, k, d) for k, d in zip(_blobs(keys), docs.tolist())))

    def buckets(self) -> Iterator[Buckets]:
        for b in range(self.bands):
            got = self.db.execute(
                "SELECT key, doc FROM lsh WHERE band = ?1 AND key IN "
                "(SELECT key FROM lsh WHERE band = ?1 GROUP BY key HAVING COUNT(*) > 1) ORDER BY key, doc",
                (b,)).fetchall()
            keys = np.frombuffer(b"".join(k for k, _ in got), dtype=np.uint8)
            yield _sorted_buckets(keys.reshape(len(got), self._key_bytes()),
                                  np.fromiter((d for _, d in got), dtype=np.int64, count=len(got)))

    def close(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS lsh")
        self.db.close()
        if self.made_file:
            with suppress(FileNotFoundError):
                os.unlink(self.where)


def _blobs(keys: np.ndarray) -> list[bytes]:
    """Each row of a 2-D uint8 array as bytes."""
    return np.ascontiguousarray(keys).view(f"V{keys.shape[1]}").ravel().tolist()


class RedisIndex(_Banded):
    """One sorted set per band on a Redis server, under a key prefix of its own (removed at close).

    A set member is the band's key bytes then the document number (8 bytes big-endian), all
    with score 0, so Redis keeps them in byte order: a band's buckets are one ordered range
    read, as in SQLite. Not datasketch's MinHashLSH in Redis: it answers one query per
    document, with pairs rather than buckets; nor a Redis set per bucket: finding the buckets
    would mean scanning every key (about documents x bands of them), unordered.
    """

    BATCH = 10_000  # members per ZADD and per ZRANGE page: bounded requests and replies

    def __init__(self, bands: int, rows: int, where: str | None = None) -> None:
        super().__init__(bands, rows)
        if where is None:
            raise ValueError("the redis index needs the server's URL, e.g. redis://127.0.0.1:6379/0")
        import redis  # optional dependency: only needed for this backend

        self.client: redis.Redis = redis.Redis.from_url(where)
        try:
            self.client.ping()
        except redis.exceptions.ConnectionError as exc:
            self.client.close()
            raise ConnectionError(f"cannot reach the Redis server for the document index at {where!r}: "
                                  f"{exc}; start redis-server or drop --lsh-redis") from exc
        self.prefix = f"newsclean:index:{uuid.uuid4().hex}:"

    def add(self, hashvalues: np.ndarray, mask: np.ndarray | None = None) -> None:
        pipe = self.client.pipeline(transaction=False)
        for b, keys, docs in self._entries(hashvalues, mask):
            members = _blobs(np.hstack([keys, docs.astype(">u8").view(np.uint8).reshape(-1, 8)]))
            for lo in range(0, len(members), self.BATCH):
                pipe.zadd(f"{self.prefix}{b}", dict.fromkeys(members[lo:lo + self.BATCH], 0))
            pipe.execute()

    def buckets(self) -> Iterator[Buckets]:
        width = self._key_bytes()
        for b in range(self.bands):
            got: list[bytes] = []
            while len(page := self.client.zrange(f"{self.prefix}{b}", len(got), len(got) + self.BATCH - 1)):
                got += page
            entries = np.frombuffer(b"".join(got), dtype=np.uint8).reshape(len(got), width + 8)
            yield _sorted_buckets(entries[:, :width], entries[:, width:].copy().view(">u8").ravel())

    def close(self) -> None:
        self.client.delete(*(f"{self.prefix}{b}" for b in range(self.bands)))
        self.client.close()


INDEXES: dict[str, Callable[[int, int, str | None], DocumentIndex]] = {
    "memory": MemoryIndex,
    "sqlite": SQLiteIndex,
    "redis": RedisIndex,
}


def open_index(kind: str, where: str | None, bands: int, rows: int) -> DocumentIndex:
    """A new, empty index of the backend ``kind``, at ``where`` (a file, a server's URL; None
    for the memory index and for SQLite in memory), banding ``bands`` x ``rows`` values."""
    check_index_kind(kind)
    return INDEXES[kind](bands, rows, where)


def check_index_kind(kind: str) -> None:
    """ValueError naming ``kind`` and the kinds there are, unless it is one of ``INDEXES``
    (checked when a run's config is made, so a bad kind stops it before any cleaning)."""
    if kind not in INDEXES:
        raise ValueError(f"unknown document index {kind!r}; choose one of {', '.join(INDEXES)}")
