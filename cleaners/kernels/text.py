"""Tokens, words, sentences and languages of texts: one text at a time (regex), or many in one
call (the numba kernels of ``cleaners.kernels.text_jit``, imported on first use).

The bulk functions give exactly what the regex functions give; a text the kernel cannot
normalise by itself (a compatibility form, a combining mark: it flags them) is normalised here,
with ``unicodedata``."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np

from cleaners.kernels.chars import ABBREV_WORDS, CJK, CLOSERS, LETTER, STOPWORDS, TOKEN_PATTERN

TOKEN = re.compile(TOKEN_PATTERN, re.UNICODE)
CJK_CHAR = re.compile(rf"[{CJK}]")


def norm_words(text: str) -> list[str]:
    """The normalised tokens of text: ``TOKEN`` matches, lower-cased when ASCII, else NFKC and
    casefolded."""
    if text.isascii():
        return TOKEN.findall(text.lower())
    return key_words(class_key(TOKEN.findall(text)))


def word_count(text: str) -> int:
    """len(norm_words(text)), without normalising each token."""
    return len(TOKEN.findall(text))


def is_cjk(text: str) -> bool:
    """True when most tokens are CJK characters (shingle by character, not word)."""
    if not CJK_CHAR.search(text, 0, 5000):
        return False
    toks = TOKEN.findall(text[:5000])  # not empty: a CJK character is (in) a token
    return sum(1 for t in toks if CJK_CHAR.fullmatch(t)) > 0.5 * len(toks)


# Sentence ends: . ! ? and CJK full stops, optionally followed by closing quotes
# (a cut is made at each match's end). The match starts at the punctuation
# rather than behind a lookbehind, so the regex engine can skip ahead to it.
SENT_END = re.compile(r"""[.!?。！？]["'”’»)\]]*(?=\s|$)|[。！？]""")
ABBREV = re.compile(r"(?:\b(?:" + "|".join(map(re.escape, ABBREV_WORDS)) + r")\.$)|(?:\b[A-Z]\.$)")


PARAGRAPH = re.compile(r"[^\n]+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of sentences in text; paragraphs never join.

    A paragraph is cut after each SENT_END unless the text before it (closing
    quotes and spaces stripped) ends with an abbreviation; each piece is
    trimmed of whitespace and kept if anything is left.
    """
    spans: list[tuple[int, int]] = []
    append = spans.append
    for pm in PARAGRAPH.finditer(text):
        offset = pm.start()
        para = pm.group()
        start = 0
        for end in [m.end() for m in SENT_END.finditer(para)] + [len(para)]:  # the paragraph's end always cuts
            seg = para[start:end]
            if end < len(para) and _abbreviation(seg.rstrip(CLOSERS)):
                continue
            left = len(seg) - len(seg.lstrip())
            right = len(seg.rstrip())
            if right > left:
                append((offset + start + left, offset + start + right))
            start = end
    return spans


def _abbreviation(seg: str) -> bool:
    """``ABBREV.search(seg)``, looking only at the end: every ABBREV match ends
    the string with "." and is at most 5 characters long, so the last 7
    characters (one more before any match, for its \\b) decide."""
    return seg[-1:] == "." and ABBREV.search(seg[-7:]) is not None


_STOP = {lang: set(words.split()) for lang, words in STOPWORDS.items()}


# (language, its script's characters, the share of the letters they must exceed), in the order tried
BY_SCRIPT = (("ja", re.compile(r"[\u3040-\u30ff]"), 0.05), ("ko", re.compile(r"[\uac00-\ud7af]"), 0.2),
             ("zh", re.compile(r"[\u4e00-\u9fff]"), 0.2), ("ru", re.compile(r"[\u0400-\u04ff]"), 0.3))
SCRIPTS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]")  # any of the four above
LETTERS = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code by script, then by stop words for Latin-script languages."""
    sample = text[:4000]
    if not sample.strip():
        return None
    if not sample.isascii() and SCRIPTS.search(sample):  # else every script's count is 0
        letters = max(1, len(LETTER.findall(sample)))
        for lang, script, share in BY_SCRIPT:
            if len(script.findall(sample)) > share * letters:
                return lang
    counted = stop_word_scores(sample)  # the numba kernel, with no word strings
    if counted is None:  # a character that lowers to two: counted from the words
        words = LETTERS.findall(sample.lower())
        counts = Counter(words)
        counted = len(words), [sum(counts[w] for w in stop if w in counts) for stop in _STOP.values()]
    n, scores = counted
    if n < 5:
        return None
    g = max(range(len(scores)), key=scores.__getitem__)  # the first language of the highest score
    return list(_STOP)[g] if scores[g] >= max(2, 0.05 * n) else None


def code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' characters as one array of code points (lone surrogates kept), and where each ends."""
    joined = "".join(texts)
    try:  # the strict encoder is much faster than the surrogatepass one
        data = joined.encode("utf-32-le")
    except UnicodeEncodeError:  # a lone surrogate (rare): kept as its code point
        data = joined.encode("utf-32-le", "surrogatepass")
    cp = np.frombuffer(data, dtype=np.uint32)
    return cp, np.cumsum([len(t) for t in texts], dtype=np.int64)


def norm_word_lines(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """``" ".join(norm_words(t))`` of each text, whether its spaces are exactly the gaps between
    its words (not so when a word holds a space: NFKC of some ligatures), and its number of words."""
    from cleaners.kernels import text_jit as jit

    cp, ends = code_points(texts)
    keyed = np.empty(len(texts), dtype=np.bool_)
    counts = np.empty(len(texts), dtype=np.int64)
    buf = jit.key_buffer(len(cp), len(texts))
    form_at, forms = jit.key_table()
    kn = jit.word_lines(cp, ends, jit.char_flags(), form_at, forms, keyed, counts, buf)
    lines = buf[:kn].tobytes().decode("utf-8").split("\n")[:-1]  # each line ends with "\n"
    for i in np.flatnonzero(~keyed).tolist():  # the texts the kernel flags
        words = norm_words(texts[i])
        lines[i] = " ".join(words)
        keyed[i] = not words or lines[i].count(" ") == len(words) - 1
    return lines, keyed, counts


def clutter_word_counts(texts: list[str]) -> list[int]:
    """``len(chars.WORD.findall(t))`` of each text (``clutter.word_count``), in one call."""
    from cleaners.kernels import text_jit as jit

    cp, ends = code_points(texts)
    out = np.empty(len(texts), dtype=np.int64)
    jit.clutter_word_counts(cp, ends, jit.char_flags(), out)
    return out.tolist()


def stop_word_scores(text: str) -> tuple[int, list[int]] | None:
    """For ``detect_language``: how many words ``LETTERS.findall(text.lower())`` gives and, per
    language of ``STOPWORDS`` (in order), how many of them are its stop words; by the kernel, with
    no word strings. None when a character of the text lowers to more than one (the caller then
    counts the words)."""
    from cleaners.kernels import text_jit as jit

    scores = np.zeros(len(STOPWORDS), dtype=np.int64)
    n = jit.stop_word_scores(code_points([text])[0], jit.lower_table(), *jit.stop_word_table(), scores)
    return None if n < 0 else (int(n), scores.tolist())


def class_key(raw: list[str]) -> str:
    """The normalised tokens of ``raw`` (lower-cased when ASCII, else NFKC and casefolded) in one
    string: joined by a space, or, in the rare case a normalised token holds a space (NFKC of some
    ligatures), by NUL after a leading NUL."""
    joined = " ".join(raw)
    if joined.isascii():
        return joined.lower()
    norms = [w.lower() if w.isascii() else unicodedata.normalize("NFKC", w).casefold() for w in raw]
    if any(" " in w for w in norms):
        return "\0" + "\0".join(norms)
    return " ".join(norms)


def key_words(key: str) -> list[str]:
    """The tokens of a ``class_key``."""
    if key.startswith("\0"):
        return key[1:].split("\0")
    return key.split(" ") if key else []


def sentence_rows(texts: list[str], min_words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Text index, start, end and ``class_key`` of every sentence (``sentences``) of at least
    ``min_words`` tokens of the texts, in order.

    The kernel writes the keys of sentences of simple characters (see ``text_jit``), one a
    line; the few others (NFKC, casefold) are built here.
    """
    from cleaners.kernels import text_jit as jit

    cp, ends = code_points(texts)
    room = len(cp) + 1  # a sentence holds at least one character
    doc, start, end = (np.empty(room, dtype=np.int64) for _ in range(3))
    keyed = np.empty(room, dtype=np.bool_)
    form_at, forms = jit.key_table()
    buf = jit.key_buffer(len(cp), room)
    abbr, abbr_ends = jit.abbreviation_table()
    n, kn = jit.sentence_rows(cp, ends, jit.char_flags(), form_at, forms, abbr, abbr_ends, min_words,
                              doc, start, end, keyed, buf)
    keys = buf[:kn].tobytes().decode("utf-8").split("\n")[:-1]  # each key ends with "\n"
    for j in np.flatnonzero(~keyed[:n]).tolist():
        keys[j] = class_key(TOKEN.findall(texts[doc[j]], start[j], end[j]))
    return doc[:n].copy(), start[:n].copy(), end[:n].copy(), keys
