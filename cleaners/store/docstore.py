"""Documents on disk for the match step, so its memory does not grow with their texts.

The match step needs every document several times (paragraph keys, sketches,
sentences, records) but only a little of each at once. A DocStore keeps the
documents of one grouping in a scratch SQLite file (or in memory, for small
inputs), keyed and ordered by doc_id; what stays in memory is one small
``DocInfo`` per document. Index ``i`` everywhere in the match step is the
i-th document in doc_id order.

A document is stored in its serialised form (``records.document_json``, as
batch files and the state hold it), beside its ``DocInfo`` and its text as is
(``body``), so the passes that need only texts and paragraphs (``iter_bodies``)
decode no JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import starmap
from pathlib import Path
from typing import Any

import numpy as np

from cleaners.records import Document, Source, document_from_json, document_to_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, info TEXT NOT NULL, body TEXT,
                                 data TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sketches (key TEXT PRIMARY KEY, ids BLOB NOT NULL, hv BLOB NOT NULL,
                                     hv_dtype TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What matching and the records need of a document, without its text."""

    doc_id: str
    source: Source
    title: str | None
    published: str | None
    language: str | None


_BETWEEN = " WHERE doc_id BETWEEN ? AND ? ORDER BY doc_id"  # the rows of a span of indexes, in index order
# A document's body; data is read only where body is NULL (body comes first in the row: its pages
# alone are read). Rows for ``_body_of``.
_BODIES = "SELECT body, CASE WHEN body IS NULL THEN data END FROM docs"


def _row(data: str, d: dict[str, Any]) -> tuple[str, str, str | None, str]:
    """The row of a document given as its JSON text and that text decoded."""
    info = json.dumps([d["source"], d["title"], d["published"], d["language"]], ensure_ascii=False)
    return d["doc_id"], info, _body(d["paragraphs"]), data


def _body(paragraphs: list[str]) -> str | None:
    """The text (paragraphs joined by a blank line) when splitting it at blank lines gives the
    paragraphs back, else None (a paragraph holding a blank line, or no paragraph at all)."""
    text = "\n\n".join(paragraphs)
    if paragraphs and text.count("\n") == 2 * (len(paragraphs) - 1):
        return text  # no paragraph holds a line break: the blank lines are the joins
    return text if text.split("\n\n") == paragraphs else None


# A document's text and its paragraphs; None for the paragraphs when they are the text split
# at blank lines (they are then split only if asked for: ``paragraphs_of``).
Body = tuple[str, list[str] | None]


def paragraphs_of(body: Body) -> list[str]:
    return body[0].split("\n\n") if body[1] is None else body[1]


def _body_of(body: str | None, data: str | None) -> Body:
    """A ``_BODIES`` row's Body: its JSON decoded only when it has no body."""
    if body is not None:
        return body, None
    paragraphs = json.loads(data)["paragraphs"]
    return "\n\n".join(paragraphs), paragraphs


def sketch_blobs(ids: np.ndarray, hv: np.ndarray) -> tuple[bytes, bytes]:
    """A sketch's shingle ids (as uint32) and hash values as stored."""
    return np.ascontiguousarray(ids, dtype=np.uint32).tobytes(), hv.tobytes()


def sketch_of(ids: bytes, hv: bytes, hv_dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The sketch ``sketch_blobs`` stored."""
    return np.frombuffer(ids, dtype=np.uint32), np.frombuffer(hv, dtype=hv_dtype)


@contextmanager
def transaction(db: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[None]:
    """Run the block in one transaction of ``db`` (a connection with isolation_level=None):
    committed when it ends, rolled back when it raises."""
    db.execute(begin)
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        # a failed COMMIT (disk full) has rolled back already: report its error,
        # not "cannot rollback - no transaction is active"
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


class DocStore:
    """A scratch store of documents in doc_id order (``path=None``: in memory).

    Fill it with ``add`` / ``add_json``, then read: ``infos`` (in memory),
    ``iter_docs`` (all, in order, a chunk at a time), or only texts and paragraphs:
    ``iter_bodies``, ``get_bodies_range``, ``get_bodies_many``. Adding after the
    first read is an error: indexes are fixed then.
    """

    CHUNK = 500  # documents parsed per query while streaming

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.db = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")  # scratch data: rebuilt if the run dies
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(_SCHEMA)
        self._infos: list[DocInfo] | None = None

    def close(self) -> None:
        self.db.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "DocStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, docs: Iterable[Document]) -> int:
        """Add documents; returns how many."""
        return self.add_json((json.dumps(d, ensure_ascii=False), d)  # document_json, and its decoded form
                             for d in map(document_to_dict, docs))

    def add_json(self, rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Add documents in their serialised form: (``document_json`` text, that text decoded),
        as a batch file or the state holds them; the text is kept as it is. Returns how many."""
        if self._infos is not None:
            raise RuntimeError("DocStore is being read: documents cannot be added any more")
        before = len(self)
        try:
            with transaction(self.db):
                self.db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", (_row(data, d) for data, d in rows))
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"the same doc_id was given twice to one grouping ({exc}); "
                             "each document must appear once") from exc
        return len(self) - before

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT doc_id FROM docs")}

    def __len__(self) -> int:
        if self._infos is not None:
            return len(self._infos)
        return int(self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    @property
    def infos(self) -> list[DocInfo]:
        """One DocInfo per document, in doc_id order (index i = the i-th document)."""
        if self._infos is None:
            out = []
            for doc_id, info in self.db.execute("SELECT doc_id, info FROM docs ORDER BY doc_id"):
                src, title, published, language = json.loads(info)
                out.append(DocInfo(doc_id, Source(**src), title, published, language))
            self._infos = out
        return self._infos

    def iter_docs(self) -> Iterator[Document]:
        """Every document, in index order; CHUNK of them parsed at a time."""
        for span in self._spans(0, len(self)):
            for (data,) in self.db.execute("SELECT data FROM docs" + _BETWEEN, span):
                yield document_from_json(data)

    def iter_bodies(self) -> Iterator[Body]:
        """Every document's text and paragraphs, in index order, without decoding its JSON
        (unless its paragraphs do not survive a join and split)."""
        for span in self._spans(0, len(self)):
            yield from starmap(_body_of, self.db.execute(_BODIES + _BETWEEN, span))

    def get_bodies_range(self, lo: int, hi: int) -> list[Body]:
        """``iter_bodies`` of documents lo .. hi - 1."""
        return [b for span in self._spans(lo, hi) for b in starmap(_body_of, self.db.execute(_BODIES + _BETWEEN, span))]

    def get_bodies_many(self, indexes: Iterable[int]) -> dict[int, Body]:
        """``iter_bodies`` of the documents at these indexes, by index."""
        want = sorted(set(indexes))
        rows = self._select_in(_BODIES + " WHERE doc_id IN ({}) ORDER BY doc_id", [self.infos[i].doc_id for i in want])
        return dict(zip(want, starmap(_body_of, rows)))

    def _spans(self, lo: int, hi: int) -> Iterator[tuple[str, str]]:
        """(first, last doc_id) of documents lo .. hi - 1, CHUNK documents at a time (``_BETWEEN``)."""
        infos = self.infos
        hi = min(hi, len(infos))
        for a in range(lo, hi, self.CHUNK):
            yield infos[a].doc_id, infos[min(a + self.CHUNK, hi) - 1].doc_id

    def _select_in(self, query: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``query`` (with ``IN ({})`` for the keys) for these keys, CHUNK keys a query."""
        for lo in range(0, len(keys), self.CHUNK):
            part = keys[lo:lo + self.CHUNK]
            yield from self.db.execute(query.format(",".join("?" * len(part))), part)

    def json_rows(self, doc_ids: Iterable[str]) -> Iterator[tuple[str, str, str]]:
        """(doc_id, source path, ``document_json`` text as stored) of these documents, in doc_id
        order: what ``State.commit_run`` keeps of a new document, copied without decoding."""
        rows = self._select_in("SELECT doc_id, info, data FROM docs WHERE doc_id IN ({}) ORDER BY doc_id",
                               sorted(set(doc_ids)))
        for doc_id, info, data in rows:
            yield doc_id, json.loads(info)[0]["path"], data

    # -- sketches parked by a SketchCache (cleaners.match.dedup.SketchSpill)
    def put_sketches(self, items: Iterable[tuple[str, tuple[np.ndarray, np.ndarray]]]) -> None:
        with transaction(self.db):
            self.db.executemany("INSERT OR REPLACE INTO sketches VALUES (?, ?, ?, ?)",
                                ((k, *sketch_blobs(ids, hv), str(hv.dtype)) for k, (ids, hv) in items))

    def get_sketches(self, keys: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        rows = self._select_in("SELECT key, ids, hv, hv_dtype FROM sketches WHERE key IN ({})", keys)
        return {k: sketch_of(ids, hv, dt) for k, ids, hv, dt in rows}



__all__ = ["Body", "DocInfo", "DocStore", "paragraphs_of", "sketch_blobs", "sketch_of", "transaction"]
