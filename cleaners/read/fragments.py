"""HTML fragments in feed records: a value with no page around it (no <html>, <head>, <body>
or doctype) is an article's body or a snippet of it, read as it is."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# An HTML value of a feed record without <html>, <head> or <body> and at most this long is a
# fragment of an article (its body, or a snippet of it), not a page: its text is taken as it
# is (fragment_paragraphs). Main-text extraction looks for the article inside a page and
# finds none in a fragment (trafilatura: none in any single-paragraph fragment, of 10 to
# 1,000 words). 20,000 characters hold a 2,000-word story's markup; a longer value without
# them is more likely a page's container with its menus and links, which extraction removes.
FRAGMENT_MAX_CHARS = 20_000
_PAGE_TAG = re.compile(r"<(?:!doctype|html|head|body)[\s>/]", re.IGNORECASE)
# Elements whose text is not the article's: trafilatura's own cleaning drops them too
# (trafilatura.settings.MANUALLY_CLEANED): scripts, embeds, forms, figures, menus.
_FRAGMENT_DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "applet",
                     "svg", "math", "canvas", "audio", "video", "picture", "map", "figure", "form",
                     "button", "select", "textarea", "input", "label", "nav", "aside", "menu", "footer")
# Elements that start a paragraph of their own.
_FRAGMENT_BLOCKS = frozenset((
    "address", "article", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary",
    "table", "tr", "td", "th", "ul", "br"))


def is_fragment(html: str) -> bool:
    """Whether an HTML value is a fragment (no <html>, <head>, <body> or doctype; at most
    FRAGMENT_MAX_CHARS), whose text is taken as it is rather than extracted from a page.

    >>> is_fragment("<p>Body text.</p>"), is_fragment("<html><body><p>Body text.</p></body></html>")
    (True, False)
    """
    return len(html) <= FRAGMENT_MAX_CHARS and _PAGE_TAG.search(html) is None


def fragment_paragraphs(html: str) -> tuple[str, ...] | None:
    """The text of an HTML fragment, one paragraph per block element or <br> line, spaces
    collapsed; scripts, figures, menus and the like dropped. None when lxml cannot parse it.

    >>> fragment_paragraphs("<p>One <b>bold</b> line.<br>Two.</p><script>x()</script><p>Three.</p>")
    ('One bold line.', 'Two.', 'Three.')
    """
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.LxmlError, ValueError):  # e.g. an XML declaration with an encoding in a str
        return None
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_FRAGMENT_DROPPED,
                         with_tail=False)  # keeps the text after them
    paragraphs: list[str] = []
    parts: list[str] = []

    def flush() -> None:
        text = " ".join("".join(parts).split())
        if text:
            paragraphs.append(text)
        parts.clear()

    for event, el in etree.iterwalk(root, events=("start", "end")):
        if el.tag in _FRAGMENT_BLOCKS:
            flush()
        if event == "start" and el.text:
            parts.append(el.text)
        elif event == "end" and el.tail and el is not root:
            parts.append(el.tail)
    flush()
    return tuple(paragraphs)
