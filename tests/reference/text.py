"""The tokens of a text with their offsets, and the bulk text kernels of ``cleaners.kernels.text``
one text at a time with the regexes."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from cleaners.kernels.text import TOKEN, class_key, norm_words, sentences


@dataclass(frozen=True)
class Token:
    norm: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Normalised tokens (casefolded, NFKC) with their character offsets in text."""
    out = []
    for m in TOKEN.finditer(text):
        word = m.group()
        norm = word.lower() if word.isascii() else unicodedata.normalize("NFKC", word).casefold()
        out.append(Token(norm, m.start(), m.end()))
    return out


def sentence_rows(texts: list[str], min_words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Text index, start, end and class key of every sentence of >= min_words tokens."""
    doc, start, end, keys = [], [], [], []
    for i, text in enumerate(texts):
        for s, e in sentences(text):
            raw = TOKEN.findall(text, s, e)
            if len(raw) >= min_words:
                doc.append(i)
                start.append(s)
                end.append(e)
                keys.append(class_key(raw))
    return (np.array(doc, dtype=np.int64), np.array(start, dtype=np.int64), np.array(end, dtype=np.int64),
            keys)


def norm_word_lines(texts: list[str]) -> tuple[list[str], list[bool], list[int]]:
    """Each text's words as one line, whether its spaces are exactly the gaps between its words,
    and how many words it has."""
    words = [norm_words(t) for t in texts]
    lines = [" ".join(w) for w in words]
    return lines, [not w or line.count(" ") == len(w) - 1 for w, line in zip(words, lines)], [len(w) for w in words]
