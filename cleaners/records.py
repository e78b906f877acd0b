"""The records that move through the pipeline.

All records are frozen dataclasses: a step returns a new record
(``dataclasses.replace``) and appends what it did to ``fixes`` or ``removed``,
so provenance is the source plus these two lists.

A Document is serialised in one form, ``document_json``: a batch file's line
between the cleaning and the match tasks, and the stored row of the scratch
store and of the state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Source:
    """Where a document came from."""

    path: str  # relative to INPUT_DIR, POSIX separators
    record: int | None  # index inside a multi-document file, else None
    sha256: str  # of the document's own bytes (the record, not the whole file)
    format: str  # html | txt | json | jsonl | warc (with "+gz" when compressed)
    url: str | None = None
    outlet: str | None = None


@dataclass(frozen=True)
class Fix:
    """One change made to the text, named so it can be replayed or audited."""

    name: str  # e.g. "decode", "ftfy:decode" (one step of ftfy's explanation), "extract"
    detail: str = ""


@dataclass(frozen=True)
class Removal:
    """Text taken out of the body, and why."""

    text: str
    reason: str  # e.g. "caption", "list-item (MOST READ)", "timestamp->metadata", "site-boilerplate"


@dataclass(frozen=True)
class RawDoc:
    """One input document before decoding: bytes plus what the container said."""

    source: Source
    data: bytes
    kind: str  # "html" or "text": how to extract the body
    declared_charset: str | None = None  # from HTTP headers or the container
    title: str | None = None  # from a JSON record's fields
    published: str | None = None
    text: str | None = None  # already-decoded text from a JSON record
    fixes: tuple[Fix, ...] = ()  # what reading changed (e.g. lone surrogates of a JSON record)


@dataclass(frozen=True)
class Document:
    """A cleaned document: body paragraphs plus metadata and provenance."""

    doc_id: str
    source: Source
    title: str | None
    published: str | None
    language: str | None
    paragraphs: tuple[str, ...]
    fixes: tuple[Fix, ...] = ()
    removed: tuple[Removal, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()  # extra metadata: author, sitename, dateline

    @property
    def text(self) -> str:
        """The cleaned body: paragraphs separated by one blank line."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Reject:
    """An input that could not become a document, with the reason."""

    source: Source
    reason: str  # short machine-readable code, e.g. "empty-file", "too-short"
    detail: str = ""


def site_name(outlet: str | None, path: str) -> str | None:
    """The site a document belongs to: its outlet (lower case), else the top folder of its
    path (``folder:NAME``); None when neither says anything. Site boilerplate is learned per
    site, and the run report groups it the same way."""
    if outlet:
        return outlet.lower()
    parts = path.split("/")
    return f"folder:{parts[0]}" if len(parts) > 1 else None


def flat_dict(record: Any) -> dict[str, Any]:
    """A flat frozen dataclass (Source, InputFile, FileInfo) as a new dict, fields in order;
    ``dataclasses.asdict`` gives the same for these but copies recursively, an order of
    magnitude slower."""
    return dict(vars(record))


def document_to_dict(d: Document) -> dict[str, Any]:
    """A Document as plain lists and dicts, losslessly (``document_json`` encodes it)."""
    return {
        "doc_id": d.doc_id, "source": flat_dict(d.source), "title": d.title,
        "published": d.published, "language": d.language, "paragraphs": list(d.paragraphs),
        "fixes": [[f.name, f.detail] for f in d.fixes],
        "removed": [[r.text, r.reason] for r in d.removed],
        "meta": [list(kv) for kv in d.meta],
    }


def document_json(d: Document) -> str:
    """A Document's serialised form: the JSON text of ``document_to_dict``."""
    return json.dumps(document_to_dict(d), ensure_ascii=False)


def document_from_json(text: str) -> Document:
    data = json.loads(text)
    return Document(
        doc_id=data["doc_id"], source=Source(**data["source"]), title=data["title"],
        published=data["published"], language=data["language"], paragraphs=tuple(data["paragraphs"]),
        fixes=tuple(Fix(n, dt) for n, dt in data["fixes"]),
        removed=tuple(Removal(t, r) for t, r in data["removed"]),
        meta=tuple((k, v) for k, v in data["meta"]),
    )
