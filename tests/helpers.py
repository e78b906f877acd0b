"""Builders for small real inputs (HTML pages, WARC files) used across tests."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from cleaners.config import Config
from cleaners.read.readers import InputFile, discover, read_file
from cleaners.clean.pipeline import clean_all
from cleaners.records import Document, RawDoc, Reject, Source

BODY = [
    "The city council voted on Tuesday to approve a new budget for the public library system, "
    "ending a months-long dispute over funding for branches in the northern districts.",
    "Council members said the agreement would keep all twelve branches open on weekends and "
    "restore the evening hours that were cut during the last two years of austerity.",
    "Library workers, who had staged several protests outside city hall, welcomed the decision "
    "but warned that staffing levels remained well below what the system needs to operate.",
    "The mayor is expected to sign the budget later this week, officials said, after a final "
    "review by the finance department and the city's independent auditor.",
]


def article_html(title: str, paragraphs: list[str], charset: str = "utf-8",
                 clutter: bool = True, url: str = "https://news.example.com/library-budget") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    side = """
      <aside class="sidebar"><h3>MOST READ</h3><ul>
        <li><a href="/a">Storm closes schools across the region</a></li>
        <li><a href="/b">Local team wins championship in overtime</a></li></ul></aside>
      <div class="share">Share on Facebook | Tweet | Email</div>""" if clutter else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="{charset}">
<title>{title} | Example News</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-10-17T09:30:00+00:00">
<link rel="canonical" href="{url}">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>{body}</article>{side}
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def write_record(writer: Any, record: Any) -> None:
    """warcio's writer.write_record, then its spooled temporary file closed (left to the
    garbage collector it warns, ResourceWarning, in whichever test happens to run then)."""
    writer.write_record(record)
    record.raw_stream.close()


def make_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> None:
    """A real WARC (warcio) with one response record per (url, body, content-type)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=path.name.endswith(".gz"))
        for url, body, ctype in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.0")
            write_record(writer, writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines output file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_folder(root: Path, cfg: Config | None = None) -> tuple[list[Document], list[Reject]]:
    cfg = cfg or Config()
    docs: list[Document] = []
    rejects: list[Reject] = []
    for item in discover(root, cfg.read):
        for r in clean_all(read_file(root, item, cfg.read), cfg):
            (docs if isinstance(r, Document) else rejects).append(r)
    return docs, rejects


def raw_text(text: str, path: str = "x.txt") -> RawDoc:
    data = text.encode("utf-8")
    return RawDoc(Source(path, None, "", "txt"), data, "text")


__all__ = ["BODY", "article_html", "make_warc", "run_folder", "raw_text", "InputFile"]


def alive(pids: list[int]) -> list[int]:
    """The processes of ``pids`` still running (Linux /proc); a zombie has exited, only its
    parent's wait is missing."""
    left = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state != b"Z":
            left.append(pid)
    return left


def lock_is_free(out: Path) -> bool:
    """Whether the output folder's lock (an flock on .newsclean.lock) can be taken now."""
    import fcntl
    import os

    fd = os.open(out / ".newsclean.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
