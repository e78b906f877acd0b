"""Persistent state for recurring runs: an embedded SQLite database.

What it holds:
- files: every input file seen (path, size, mtime, sha256), so a renamed or
  touched file is not reprocessed and a changed one is (a file that could not be
  read has a marker instead of a hash: cleaners.match.incremental PROBLEM, UNREAD);
- documents (``records.document_json``) and rejects, as cleaned, so later runs
  can match new documents against earlier ones;
- the shingle ids and MinHash hash values of every grouped text (by text
  hash), from which the LSH index is rebuilt when new documents arrive;
- the last output records (documents.jsonl / articles.jsonl lines) and each
  document's article, so article ids stay stable across runs;
- the verified pairs that joined each article (``links``: a spanning tree of its members,
  with their Jaccard and containment), so ``newsclean explain`` can show why a document is
  in its article after later runs too. A state made before this table has it created when
  opened, and ``links_since_generation`` in meta names the first run that filled it;
- the passage memo (``passage_memo``: ``cleaners.match.passage_memo``'s arrays, in parts),
  each grouped text's sentences and each sentence class's shingle ids, and the links each
  pair of documents gave, so a recurring run aligns only pairs it has not met; a cache keyed
  by content, kept only under the passage settings it was made with;
- a generation counter, bumped by every run that changed something, and
  written into run.json, so outputs can be checked against the state.

Every run's changes are one transaction: a run killed half-way leaves the
state as it was, and the next run redoes the work.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cleaners.store.docstore import sketch_blobs, sketch_of, transaction

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT, run_id TEXT);
CREATE INDEX IF NOT EXISTS files_sha ON files (sha256);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, added_at REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_path ON documents (path);
CREATE TABLE IF NOT EXISTS rejects (
    path TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (path, seq));
CREATE TABLE IF NOT EXISTS doc_records (doc_id TEXT PRIMARY KEY, article_id TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sketches (
    text_sha1 TEXT PRIMARY KEY, shingles BLOB NOT NULL, hashvalues BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY, created_seq INTEGER NOT NULL, updated_at REAL NOT NULL,
    n_members INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passage_memo (
    name TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (name, part));
CREATE TABLE IF NOT EXISTS links (
    doc_a TEXT NOT NULL, doc_b TEXT NOT NULL, jaccard REAL NOT NULL, containment REAL NOT NULL,
    shared INTEGER NOT NULL, shingles_a INTEGER NOT NULL, shingles_b INTEGER NOT NULL,
    PRIMARY KEY (doc_a, doc_b));
"""

LinkRow = tuple[str, str, float, float, int, int, int]
"""A verified pair that joined two clusters: (doc_id a, doc_id b, jaccard, containment, shared
shingles, shingles of a, shingles of b), a < b (``Matched.link_rows``)."""


# SQLite page cache of the state connection. A run commits its documents, records,
# articles and sketches in one transaction (gigabytes at 100k documents); with the
# default 2 MB cache the B-tree pages of the random-keyed tables spill and are read
# again, which made large commits slower (benchmarks/RESULTS.md).
# Costs at most 64 MB of memory.
CACHE_KIB = 64 * 1024

# A rollback journal, not WAL. Every reader and writer of a state holds the state's lock
# (cleaners.store.output.state_lock: runs, export), so WAL's readers-during-a-write are never
# used, while WAL writes a run's pages twice: into the WAL, then into the database at the
# checkpoint (and leaves the WAL file at its largest size on disk). A rollback journal holds
# only the old contents of pages a run changes; pages a run adds are written once, so commits
# are faster (benchmarks/RESULTS.md). Commits stay atomic (synchronous=FULL). A state written
# in WAL mode by an earlier version is converted when opened.
JOURNAL_MODE = "DELETE"

# The passage memo's arrays are stored in parts of at most this many bytes (SQLite's
# default limit on one value is 1 GB).
MEMO_PART_BYTES = 64 << 20


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    mtime_ns: int
    sha256: str


class State:
    """The SQLite state of one output folder (default OUTPUT_DIR/state.sqlite)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        """Open (or create) the state; ``readonly`` opens an existing one for reading only
        (``newsclean explain``): nothing is created or converted, and no lock is needed."""
        self.path = path
        if readonly:
            self.db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None,
                                      timeout=30)
            version = self.get_meta("schema_version") if self.has_table("meta") else None
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            older = self.has_table("meta") and not self.has_table("links")
            self.db.executescript(SCHEMA)
            if older and self.generation > 0:  # its articles were linked before links were kept
                self.set_meta("links_since_generation", str(self.generation + 1))
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
        if version is not None and int(version) != SCHEMA_VERSION:
            raise ValueError(f"state {path} has schema version {version}, this newsclean expects "
                             f"{SCHEMA_VERSION}: export it with the older version or use a new --out")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "State":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (name,)).fetchone() is not None

    # -- meta
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def check_config(self, fingerprint: dict[str, Any], defaults: dict[str, Any] | None = None) -> None:
        """Signatures and thresholds must not change under an existing state. A setting the
        stored fingerprint lacks (one added since the state was made) is taken to have had
        its value in ``defaults`` (the fingerprint of the default settings), so a new
        setting left at its default keeps old states usable; the stored fingerprint is
        then completed."""
        stored = self.get_meta("matching_config")
        text = json.dumps(fingerprint, sort_keys=True)
        if stored is not None and stored != text and defaults is not None:
            old = json.loads(stored)
            for section, values in defaults.items():
                if isinstance(values, dict) and isinstance(old.get(section), dict):
                    old[section] = {**values, **old[section]}
            if json.dumps(old, sort_keys=True) == text:
                stored = None  # the same settings, written in full below
        if stored is None:
            self.set_meta("matching_config", text)
        elif stored != text:
            raise ValueError(
                f"the state in {self.path} was built with other matching settings ({stored}); "
                f"now {text}. Use a new --out (or --state) for new settings.")

    def _column(self, query: str, *args: Any) -> set[str]:
        """The first column of a query's rows."""
        return {r[0] for r in self.db.execute(query, args)}

    # -- files
    def files(self) -> dict[str, FileInfo]:
        return {r[0]: FileInfo(*r) for r in self.db.execute(
            "SELECT path, size, mtime_ns, sha256 FROM files")}

    def known_hashes(self) -> dict[str, str]:
        """sha256 -> one path that had it."""
        return {sha: path for path, sha in self.db.execute("SELECT path, sha256 FROM files")}

    def reject_paths(self) -> set[str]:
        """The source paths that have rejects."""
        return self._column("SELECT DISTINCT path FROM rejects")

    def document_paths(self) -> set[str]:
        """The source paths that have documents."""
        return self._column("SELECT DISTINCT path FROM documents")

    # -- documents
    def document_rows(self) -> Iterator[tuple[str, str, str]]:
        """(doc_id, source path, ``document_json`` text) of every stored document, as commit_run took them."""
        yield from self.db.execute("SELECT doc_id, path, data FROM documents")

    def frozen_doc_ids(self, cutoff: float) -> set[str]:
        """Documents of articles whose newest member is older than the cutoff."""
        return self._column("SELECT dr.doc_id FROM doc_records dr JOIN articles a ON a.article_id = dr.article_id "
                            "WHERE a.updated_at < ?", cutoff)

    def assignments(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, article_id FROM doc_records"))

    def article_created(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT article_id, created_seq FROM articles"))

    def article_sizes(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT article_id, n_members FROM articles"))

    def sketches(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Shingle ids and MinHash hash values of the texts grouped by the last run."""
        dtype = self.get_meta("hashvalues_dtype") or "uint32"
        return {k: sketch_of(ids, hv, dtype)
                for k, ids, hv in self.db.execute("SELECT text_sha1, shingles, hashvalues FROM sketches")}

    def passage_memo(self, fingerprint: str) -> dict[str, np.ndarray] | None:
        """The arrays of the passage memo (``cleaners.match.passage_memo``) the last run kept, when
        it was made under ``fingerprint``; None otherwise (a state from before it, other settings)."""
        if not self.has_table("passage_memo") or self.get_meta("passage_memo_fingerprint") != fingerprint:
            return None
        parts: dict[str, list[bytes]] = {}
        for name, data in self.db.execute("SELECT name, data FROM passage_memo ORDER BY name, part"):
            parts.setdefault(name, []).append(data)
        try:
            return {name: np.load(io.BytesIO(b"".join(p)), allow_pickle=False) for name, p in parts.items()}
        except (ValueError, OSError, EOFError):  # not what np.save wrote: a memo is only a cache
            return None

    def _write_passage_memo(self, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
        self.db.execute("DELETE FROM passage_memo")
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=False)
            data = buf.getvalue()
            for part, lo in enumerate(range(0, max(len(data), 1), MEMO_PART_BYTES)):
                self.db.execute("INSERT INTO passage_memo VALUES (?, ?, ?)",
                                (name, part, data[lo:lo + MEMO_PART_BYTES]))
        self.set_meta("passage_memo_fingerprint", fingerprint)

    # -- one run's changes, in one transaction
    def commit_run(self, *, run_id: str, files: Iterable[FileInfo], renamed: dict[str, str],
                   replaced_paths: Iterable[str],
                   docs: Iterable[tuple[str, str, str]],
                   rejects: Iterable[tuple[str, dict[str, Any]]],
                   doc_records: Iterable[dict[str, Any]], articles: Iterable[dict[str, Any]],
                   created: dict[str, int],
                   sketch_keys: set[str] | None = None,
                   new_sketches: Iterable[tuple[str, tuple[np.ndarray, np.ndarray]]] = (),
                   gone_paths: Iterable[str] = (), links: Iterable[LinkRow] = (),
                   passage_memo: tuple[str, dict[str, np.ndarray]] | None = None) -> int:
        """Apply a run: new files, documents, rejects and the regrouped records. Returns the generation.

        The rejects held are those of the files as they are now: a path with documents or
        rejects in this run loses its earlier rejects (a file rejected once that is now a
        document, or rejected for another reason); a renamed file's rejects take its new
        name; ``gone_paths`` (files no longer under INPUT_DIR) lose their rejects and their
        ``files`` row, so a file that comes back is read again. Documents of gone files stay
        (the state is an archive).

        ``docs`` are the new documents as (doc_id, source path, ``document_json`` text), as
        ``DocStore.json_rows`` gives them. ``docs``, ``doc_records``, ``articles`` and
        ``new_sketches`` ((text key, (shingle ids, hash values)) pairs) are consumed one at a time
        (they may be generators reading from disk), all inside one transaction.

        ``sketch_keys``, when given, are the keys of the texts now grouped: the state then keeps
        the sketches of exactly those, the stored ones it has and ``new_sketches`` (the texts
        signed by this run), so a recurring run writes the sketches of its new texts only.

        ``links`` are the verified pairs that joined the regrouped articles (``LinkRow``); they
        replace the links of every document in ``doc_records`` (the documents not regrouped,
        outside the window, keep theirs: a link joins two documents of one article).

        ``passage_memo`` (fingerprint, arrays), when given, replaces the passage memo.
        """
        now = time.time()
        db = self.db
        with transaction(db, "BEGIN IMMEDIATE"):
            for path in replaced_paths:
                db.execute("DELETE FROM documents WHERE path = ?", (path,))
                db.execute("DELETE FROM rejects WHERE path = ?", (path,))
            for path in gone_paths:
                db.execute("DELETE FROM rejects WHERE path = ?", (path,))
                db.execute("DELETE FROM files WHERE path = ?", (path,))
            for old, new in renamed.items():
                db.execute("UPDATE files SET path = ? WHERE path = ?", (new, old))
                self._rename_rejects(old, new)
            read_now: set[str] = set()  # paths with records from this run: their old rejects go

            def read_again(path: str) -> None:
                if path not in read_now:
                    read_now.add(path)
                    db.execute("DELETE FROM rejects WHERE path = ?", (path,))
            for f in files:
                db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                           (f.path, f.size, f.mtime_ns, f.sha256, run_id))
            for doc_id, path, text in docs:
                read_again(path)
                db.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?)", (doc_id, path, now, text))
            seqs: dict[str, int] = {}
            for path, rec in rejects:
                read_again(path)
                seqs[path] = seqs.get(path, 0) + 1
                db.execute("INSERT OR REPLACE INTO rejects VALUES (?, ?, ?)",
                           (path, seqs[path], json.dumps(rec, ensure_ascii=False)))
            # regrouped records replace those of every document that took part
            old_assign = self.assignments()
            db.execute("DELETE FROM doc_records WHERE doc_id NOT IN (SELECT doc_id FROM documents)")
            was: set[str] = set()  # the articles the regrouped documents belonged to
            for rec in doc_records:
                if rec["doc_id"] in old_assign:
                    was.add(old_assign[rec["doc_id"]])
                data = json.dumps(rec, ensure_ascii=False)
                if not self._same_row("doc_records", "doc_id", rec["doc_id"], data):
                    db.execute("INSERT OR REPLACE INTO doc_records VALUES (?, ?, ?)",
                               (rec["doc_id"], rec["article_id"], data))
                db.execute("DELETE FROM links WHERE doc_a = ?", (rec["doc_id"],))
            del old_assign
            db.execute("DELETE FROM links WHERE doc_a NOT IN (SELECT doc_id FROM documents)")
            db.executemany("INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?)", links)
            keep: set[str] = set()
            for a in articles:
                keep.add(a["article_id"])
                row = db.execute("SELECT updated_at, n_members FROM articles WHERE article_id = ?",
                                 (a["article_id"],)).fetchone()
                grew = row is None or row[1] != len(a["members"])
                data = json.dumps(a, ensure_ascii=False)
                if grew or not self._same_row("articles", "article_id", a["article_id"], data):
                    db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
                               (a["article_id"], created[a["article_id"]], now if grew else row[0],
                                len(a["members"]), data))
            for aid in was - keep:  # merged into another article, or its documents were replaced
                db.execute("DELETE FROM articles WHERE article_id = ?", (aid,))
            db.execute("DELETE FROM articles WHERE article_id NOT IN (SELECT article_id FROM doc_records)")
            if sketch_keys is not None:  # the signatures of exactly the texts now grouped
                db.execute("CREATE TEMP TABLE grouped_texts (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO grouped_texts VALUES (?)", ((k,) for k in sketch_keys))
                db.execute("DELETE FROM sketches WHERE text_sha1 NOT IN (SELECT key FROM grouped_texts)")
                db.execute("DROP TABLE grouped_texts")
                dtype = None
                for key, (ids, hv) in new_sketches:
                    db.execute("INSERT OR REPLACE INTO sketches VALUES (?, ?, ?)", (key, *sketch_blobs(ids, hv)))
                    dtype = str(hv.dtype)
                if dtype is not None:
                    self.set_meta("hashvalues_dtype", dtype)
            if passage_memo is not None:
                self._write_passage_memo(*passage_memo)
            generation = self.generation + 1
            self.set_meta("generation", str(generation))
            self.set_meta("last_run", run_id)
        return generation

    def _same_row(self, table: str, key: str, value: str, data: str) -> bool:
        """Whether ``table`` holds ``data`` for ``key`` = ``value`` already: a recurring run
        regroups every document, and most records come out as they were; not writing them
        again keeps the commit's writes to what changed."""
        row = self.db.execute(f"SELECT data FROM {table} WHERE {key} = ?", (value,)).fetchone()
        return row is not None and row[0] == data

    def _rename_rejects(self, old: str, new: str) -> None:
        """The rejects of a renamed file under its new name (the path in their JSON too)."""
        rows = self.db.execute("SELECT seq, data FROM rejects WHERE path = ?", (old,)).fetchall()
        for seq, data in rows:
            rec = json.loads(data)
            rec["source"]["path"] = new
            self.db.execute("DELETE FROM rejects WHERE path = ? AND seq = ?", (old, seq))
            self.db.execute("INSERT OR REPLACE INTO rejects VALUES (?, ?, ?)",
                            (new, seq, json.dumps(rec, ensure_ascii=False)))

    # -- explain
    def doc_record(self, doc_id: str) -> dict[str, Any] | None:
        """A document's documents.jsonl object as last written, or None."""
        row = self.db.execute("SELECT data FROM doc_records WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def article_record(self, article_id: str) -> dict[str, Any] | None:
        """An article's articles.jsonl object as last written, or None."""
        row = self.db.execute("SELECT data FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def links_among(self, doc_ids: Iterable[str]) -> list[LinkRow]:
        """The stored links of these documents (those whose first document is one of them);
        none when the state has no links table (made before it, opened read-only)."""
        if not self.has_table("links"):
            return []
        out: list[LinkRow] = []
        for d in doc_ids:
            out += self.db.execute("SELECT * FROM links WHERE doc_a = ?", (d,)).fetchall()
        return out

    def sketch(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored shingle ids and MinHash hash values of one text (``SketchCache.key``), or None."""
        row = self.db.execute("SELECT shingles, hashvalues FROM sketches WHERE text_sha1 = ?", (key,)).fetchone()
        return None if row is None else sketch_of(*row, self.get_meta("hashvalues_dtype") or "uint32")

    # -- export
    def record_lines(self, name: str) -> Iterator[str]:
        """The lines of ``name``.jsonl (documents, articles or rejects) as stored: the JSON text
        commit_run encoded (json.dumps, ensure_ascii=False)."""
        for (data,) in self.db.execute(_RECORD_LINES[name]):
            yield data

    def counts(self) -> dict[str, int]:
        return {table: self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("files", "documents", "articles", "rejects")}


_RECORD_LINES = {"documents": "SELECT data FROM doc_records ORDER BY doc_id",
                 "articles": "SELECT data FROM articles ORDER BY article_id",
                 "rejects": "SELECT data FROM rejects ORDER BY path, seq"}
