"""Tokenising many texts in one call: the numba kernel of ``cleaners._text_jit``
when the numba backend is in use, else (and in the tests, as the reference) the
regex functions of ``cleaners.textutil``. Both give the same values."""

from __future__ import annotations

from typing import Any

import numpy as np

from cleaners.fastminhash import jit_module
from cleaners.textutil import STOPWORDS, norm_words

def kernel() -> Any:
    """cleaners._text_jit, or None when the signature backend is numpy or numba does not import."""
    return jit_module("_text_jit")


def code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' characters as one array of code points (lone surrogates kept), and where each ends."""
    joined = "".join(texts)
    try:  # the strict encoder is three times faster than the surrogatepass one (measured)
        data = joined.encode("utf-32-le")
    except UnicodeEncodeError:  # a lone surrogate (rare): kept as its code point
        data = joined.encode("utf-32-le", "surrogatepass")
    cp = np.frombuffer(data, dtype=np.uint32)
    return cp, np.cumsum([len(t) for t in texts], dtype=np.int64)


def norm_word_lines(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``" ".join(norm_words(t))`` of each text, whether its spaces are exactly the gaps between
    its words (not so when a word holds a space: NFKC of some ligatures), and its number of words."""
    jit = kernel()
    if jit is None or not texts:
        return _norm_word_lines_py(texts)
    cp, ends = code_points(texts)
    keyed = np.empty(len(texts), dtype=np.bool_)
    counts = np.empty(len(texts), dtype=np.int64)
    buf = jit.key_buffer(len(cp), len(texts))
    form_at, forms = jit.key_table()
    kn = jit.word_lines(cp, ends, jit.char_flags(), form_at, forms, keyed, counts, buf)
    lines = buf[:kn].tobytes().decode("utf-8").split("\n")
    lines.pop()  # after the last "\n"
    odd = np.flatnonzero(~keyed).tolist()
    if odd:
        redo = _norm_word_lines_py([texts[i] for i in odd])
        for n, i in enumerate(odd):
            lines[i] = redo[0][n]
        keyed[odd] = redo[1]
    return lines, keyed, counts


def _norm_word_lines_py(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    words = [norm_words(t) for t in texts]
    lines = [" ".join(w) for w in words]
    gaps = np.array([not w or line.count(" ") == len(w) - 1 for w, line in zip(words, lines)], dtype=bool)
    return lines, gaps, np.array([len(w) for w in words], dtype=np.int64)


def clutter_word_counts(texts: list[str]) -> list[int]:
    """``len(clutter.WORD.findall(t))`` of each text (``clutter.word_count``), in one call."""
    from cleaners.clutter import WORD

    jit = kernel()
    if jit is None or not texts:
        return [len(WORD.findall(t)) for t in texts]
    cp, ends = code_points(texts)
    out = np.empty(len(texts), dtype=np.int64)
    jit.clutter_word_counts(cp, ends, jit.char_flags(), out)
    return out.tolist()


def stop_word_scores(text: str) -> tuple[int, list[int]] | None:
    """For ``textutil.detect_language``: how many words ``LETTERS.findall(text.lower())`` gives
    and, per language of ``STOPWORDS`` (in order), how many of them are its stop words; by the
    kernel, with no word strings. None without it, or when a character of the text lowers to
    more than one (the caller then counts with the regex)."""
    jit = kernel()
    if jit is None or not text:
        return None
    scores = np.zeros(len(STOPWORDS), dtype=np.int64)
    n = jit.stop_word_scores(code_points([text])[0], jit.lower_table(), *jit.stop_word_table(), scores)
    return None if n < 0 else (int(n), scores.tolist())
