"""The smallest readers: a file that is one page of HTML or one plain-text document."""

from __future__ import annotations

from collections.abc import Iterator

from cleaners.read.base import WholeFileReader
from cleaners.records import RawDoc, Reject, Source


class HtmlReader(WholeFileReader):
    name = "html"
    suffixes = (".html", ".htm", ".xhtml", ".shtml")
    hint = ".html/.htm"

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        yield RawDoc(src, data, "html")


class TextReader(WholeFileReader):
    name = "txt"
    suffixes = (".txt", ".text")

    def documents(self, data: bytes, src: Source) -> Iterator[RawDoc | Reject]:
        yield RawDoc(src, data, "text")
