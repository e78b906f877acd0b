"""numba kernels that tokenise many texts in one call (the bulk functions of ``cleaners.kernels.text``).

- ``sentence_rows``: the sentences of ``text.sentences`` (paragraphs split on newlines, cut
  after ``SENT_END`` unless ``_abbreviation`` says the text before ends with an abbreviation,
  each piece trimmed of whitespace), the ``TOKEN`` tokens of each and its ``class_key``.
- ``word_lines``: ``" ".join(norm_words(text))`` of each paragraph (the first match
  pass: paragraph keys and document shingles).
- ``clutter_word_counts``: ``len(chars.WORD.findall(text))`` of each paragraph.
- ``stop_word_scores``: what ``text.detect_language`` counts of a text's lowered words
  (how many, and how many are each language's stop words), with no word strings.

A key or line is written when every character of its tokens is *simple*: ASCII, or
a Latin, Greek or Cyrillic letter below U+0530 that NFKC leaves as it is and that
no neighbour composes with, so a token's NFKC-casefold is the casefold of each
character (the tests check every pair of them with ``unicodedata``). A CJK
character is a token on its own (a run of other letters stops before it), so its
form (NFKC, then casefold) is read from the same table unless it holds a space.
Other keys (compatibility forms, combining marks) are flagged, and ``cleaners.kernels.text``
builds them with ``unicodedata``.

The text comes as UTF-32 code points, so offsets are character offsets. What
``\\w``, ``\\s`` and the CJK class mean for each code point is read from a
table built from the regex engine itself (``char_flags``), not restated here;
the tests compare every kernel with the regex version (tests/reference/text.py) on
real article texts and on random strings of the characters where the rules differ."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
from numba import njit

from cleaners.kernels import chars
from cleaners.kernels.numba_cache import say_if_compiling

say_if_compiling(__name__)

ALNUM = 1  # [^\W_]: a TOKEN character
SPACE = 2  # \s, and what str.strip() strips
CJK = 4  # one CJK character is a token on its own
WORD = 8  # \w (ALNUM or "_"): for ABBREV's \b
ENDER = 16  # [.!?。！？]: SENT_END's first character
CJK_ENDER = 32  # [。！？]: ends a sentence even with no space after it
CLOSER = 64  # ["'”’»)\]]: closing quotes SENT_END takes after the punctuation
STRIP = 128  # CLOSERS: stripped before the abbreviation check (the closers and " ")
SIMPLE = 256  # a token character whose normalised form is its own casefold (below SIMPLE_LIMIT)
SIMPLE_LIMIT = 0x0530  # Latin, IPA, Greek, Cyrillic: the scripts of the corpora's non-ASCII words
CJK_FORM = 512  # a CJK character (a token on its own) whose NFKC-casefold holds no space
FORM_LIMIT = 0x10000  # key_table covers the code points below: all SIMPLE and CJK_FORM ones


def _every_code_point() -> str:
    """Every code point once, in order (lone surrogates included): what the tables are read from."""
    return np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


def _matching(pattern: str, text: str) -> np.ndarray:
    """The offsets of the characters of text that the one-character pattern matches."""
    return np.fromiter((m.start() for m in re.finditer(pattern, text)), dtype=np.int64)


def _table_dir() -> Path:
    """Where the tables are kept between processes: beside numba's cache of these kernels."""
    return Path(__file__).parent / "__pycache__"


def _stored(name: str, build: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """``build()``, made once and then read from a file (else every process that tokenises, e.g.
    each clean worker, would build the tables again). The file's name holds a hash
    of the Python and Unicode versions and of this module's and ``chars``' source, the
    inputs of every table; a file that cannot be read is made again, and a folder that
    cannot be written means building each time."""
    key = hashlib.sha1("\0".join([sys.version, unicodedata.unidata_version]).encode())
    for module in (__file__, chars.__file__):
        key.update(Path(module).read_bytes())
    path = _table_dir() / f"newsclean-{name}-{key.hexdigest()[:16]}.npz"
    try:
        with np.load(path) as stored:
            return tuple(stored[f"a{i}"] for i in range(len(stored.files)))
    except (OSError, ValueError, KeyError, EOFError):
        pass
    arrays = build()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **{f"a{i}": a for i, a in enumerate(arrays)})
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)  # a half-written file (a full disk): not left behind
        for old in path.parent.glob(f"newsclean-{name}-*.npz"):  # tables of earlier sources
            if old != path:
                old.unlink(missing_ok=True)
    return arrays


@lru_cache(maxsize=1)
def char_flags() -> np.ndarray:
    """The flags of every code point, found by the patterns and functions they stand for."""
    return _stored("char_flags", lambda: (_char_flags(),))[0]


def _char_flags() -> np.ndarray:
    every = _every_code_point()
    flags = np.zeros(0x110000, dtype=np.uint16)
    for pattern, bit in ((r"[^\W_]", ALNUM), (r"\s", SPACE), (rf"[{chars.CJK}]", CJK), (r"\w", WORD),
                         (r"[.!?。！？]", ENDER), (r"[。！？]", CJK_ENDER), (r"""["'”’»)\]]""", CLOSER)):
        flags[_matching(pattern, every)] |= bit
    flags[[ord(c) for c in chars.CLOSERS]] |= STRIP
    flags[[ord(c) for c in simple_chars()]] |= SIMPLE
    flags[[c for c in np.flatnonzero(flags & CJK).tolist() if " " not in _form(chr(c))]] |= CJK_FORM
    return flags


def _form(c: str) -> str:
    """The normalised form of a character as a token of its own (``text.norm_words``: NFKC, then casefold)."""
    return unicodedata.normalize("NFKC", c).casefold()


def simple_chars() -> list[str]:
    """Characters below SIMPLE_LIMIT that are TOKEN characters, combine with nothing and are
    NFKC-normalised: a word of them is NFKC-normalised, so its class_key form is the
    concatenation of their casefolds (casefold has no context)."""
    return [c for c in map(chr, range(SIMPLE_LIMIT)) if c.isalnum() and not unicodedata.combining(c)
            and unicodedata.normalize("NFKC", c) == c]


@lru_cache(maxsize=1)
def key_table() -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes): the UTF-8 of the class_key form of code point c < FORM_LIMIT is
    bytes[offsets[c]:offsets[c + 1]]: lower() of ASCII, casefold() of a SIMPLE character,
    NFKC and casefold of a CJK_FORM one (the only forms the kernel reads)."""
    offsets, data = _stored("key_table", _key_table)
    return offsets, data


def _key_table() -> tuple[np.ndarray, np.ndarray]:
    flags = char_flags()
    # NFKC then casefold is lower() of ASCII and casefold() of a SIMPLE character (NFKC leaves both)
    data = [_form(chr(c)).encode() if c < 128 or flags[c] & (SIMPLE | CJK_FORM) else b"" for c in range(FORM_LIMIT)]
    offsets = np.zeros(FORM_LIMIT + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(d) for d in data])
    return offsets, np.frombuffer(b"".join(data), dtype=np.uint8).copy()


def key_buffer(chars: int, lines: int) -> np.ndarray:
    """Room for the keys of ``chars`` characters in ``lines`` lines: each character's longest
    form in key_table plus a space, and a newline a line."""
    return np.empty((_longest_form() + 1) * chars + lines, dtype=np.uint8)


@lru_cache(maxsize=1)
def _longest_form() -> int:
    return int(np.diff(key_table()[0]).max())


@lru_cache(maxsize=1)
def abbreviation_table() -> tuple[np.ndarray, np.ndarray]:
    """chars.ABBREV_WORDS with their final "." as code points, concatenated, and their ends."""
    cps = [np.frombuffer((w + ".").encode("utf-32-le"), dtype=np.uint32) for w in chars.ABBREV_WORDS]
    return np.concatenate(cps), np.cumsum([len(c) for c in cps]).astype(np.int64)


@njit(cache=True, nogil=True)
def _abbreviation(cp, flags, a, e, abbr, abbr_ends):  # pragma: no cover - compiled
    """text._abbreviation(segment a:e with CLOSERS stripped from its right)."""
    while e > a and flags[cp[e - 1]] & STRIP:
        e -= 1
    if e == a or cp[e - 1] != 46:  # "."
        return False
    lo = max(a, e - 7)  # ABBREV searches the last 7 characters only
    # \b[A-Z]\.$
    if e - 2 >= lo and 65 <= cp[e - 2] <= 90 and (e - 2 == lo or not flags[cp[e - 3]] & WORD):
        return True
    s = 0
    for k in range(len(abbr_ends)):
        n = abbr_ends[k] - s
        b = e - n
        if b >= lo and (b == lo or not flags[cp[b - 1]] & WORD):
            same = True
            for j in range(n):
                if cp[b + j] != abbr[s + j]:
                    same = False
                    break
            if same:
                return True
        s = abbr_ends[k]
    return False


@njit(cache=True, nogil=True)
def _write_key(cp, flags, form_at, forms, a, e, keys, kn):  # pragma: no cover - compiled
    """Write the normalised TOKEN tokens of cp[a:e], joined by single spaces, at keys[kn:].
    Returns (tokens, whether every character was simple, kn after what was written); when
    not every character was simple, what was written is incomplete."""
    k = a
    ntok = 0
    keyed = True
    while k < e:
        f = flags[cp[k]]
        if f & CJK:
            t1 = k + 1
            known = SIMPLE | CJK_FORM  # a token of one character: its NFKC meets no neighbour
        elif f & ALNUM:
            t1 = k + 1
            while t1 < e and (flags[cp[t1]] & (ALNUM | CJK)) == ALNUM:
                t1 += 1
            known = SIMPLE
        else:
            k += 1
            continue
        if keyed:
            if ntok:
                keys[kn] = 32
                kn += 1
            for j in range(k, t1):
                c = cp[j]
                if c < 128:
                    keys[kn] = c + 32 if 65 <= c <= 90 else c
                    kn += 1
                elif flags[c] & known:  # implies c < FORM_LIMIT
                    for b in range(form_at[c], form_at[c + 1]):
                        keys[kn] = forms[b]
                        kn += 1
                else:
                    keyed = False
                    break
        ntok += 1
        k = t1
    return ntok, keyed, kn


@njit(cache=True, nogil=True)
def _emit(cp, flags, form_at, forms, doc, t0, a, e, min_words, out_doc, out_start, out_end, out_keyed, keys, n, kn):
    # pragma: no cover - compiled
    """Trim segment a:e; when it has >= min_words tokens, write it as sentence n (offsets
    from t0, where its text starts) and its key at keys[kn:]. Returns (n, kn) after it."""
    while a < e and flags[cp[a]] & SPACE:
        a += 1
    while e > a and flags[cp[e - 1]] & SPACE:
        e -= 1
    if e <= a:
        return n, kn
    ntok, keyed, k1 = _write_key(cp, flags, form_at, forms, a, e, keys, kn)
    if ntok < min_words:
        return n, kn
    if keyed:
        kn = k1  # else Python writes this key: an empty line
    keys[kn] = 10  # "\n" ends each key
    kn += 1
    out_doc[n] = doc
    out_start[n] = a - t0
    out_end[n] = e - t0
    out_keyed[n] = keyed
    return n + 1, kn


@njit(cache=True, nogil=True)
def word_lines(cp, ends, flags, form_at, forms, out_keyed, out_words, keys):  # pragma: no cover - compiled
    """For each text cp[ends[i-1]:ends[i]], " ".join(norm_words(text)) and a "\n" at keys[kn:]
    (an empty line and out_keyed[i] False when Python must normalise it) and its number of
    words in out_words[i]. Returns kn."""
    kn = 0
    a = 0
    for i in range(len(ends)):
        e = ends[i]
        out_words[i], keyed, k1 = _write_key(cp, flags, form_at, forms, a, e, keys, kn)
        if keyed:
            kn = k1
        keys[kn] = 10
        kn += 1
        out_keyed[i] = keyed
        a = e
    return kn


@njit(cache=True, nogil=True)
def sentence_rows(cp, text_ends, flags, form_at, forms, abbr, abbr_ends, min_words,
                  out_doc, out_start, out_end, out_keyed, keys):  # pragma: no cover - compiled
    """Sentences with >= min_words tokens of texts cp[text_ends[i-1]:text_ends[i]]: document,
    span (offsets in its text), whether its key is in ``keys`` (newline-ended, one line a
    sentence, empty when Python must build it). Returns (sentences, bytes of keys)."""
    n = 0
    kn = 0
    t0 = 0
    for doc in range(len(text_ends)):
        t1 = text_ends[doc]
        i = t0
        while i < t1:
            if cp[i] == 10:
                i += 1
                continue
            start = k = i  # a paragraph: i up to the next newline
            while i < t1 and cp[i] != 10:
                i += 1
            p1 = i
            while k < p1:
                f = flags[cp[k]]
                if not f & ENDER:
                    k += 1
                    continue
                j = k + 1
                while j < p1 and flags[cp[j]] & CLOSER:
                    j += 1
                if j == p1 or flags[cp[j]] & SPACE:
                    end = j
                elif f & CJK_ENDER:
                    end = k + 1
                else:
                    k += 1
                    continue
                if not _abbreviation(cp, flags, start, end, abbr, abbr_ends):
                    n, kn = _emit(cp, flags, form_at, forms, doc, t0, start, end, min_words,
                                  out_doc, out_start, out_end, out_keyed, keys, n, kn)
                    start = end
                k = end
            n, kn = _emit(cp, flags, form_at, forms, doc, t0, start, p1, min_words,
                          out_doc, out_start, out_end, out_keyed, keys, n, kn)
        t0 = t1
    return n, kn


@njit(cache=True, nogil=True)
def clutter_word_counts(cp, ends, flags, out):  # pragma: no cover - compiled
    """len(chars.WORD.findall(text)) of each text cp[ends[i-1]:ends[i]]: runs of [^\\W_]
    joined by single "-" or "'" between two of them."""
    a = 0
    for i in range(len(ends)):
        e = ends[i]
        n = 0
        k = a
        while k < e:
            if not flags[cp[k]] & ALNUM:
                k += 1
                continue
            n += 1
            k += 1
            while True:
                while k < e and flags[cp[k]] & ALNUM:
                    k += 1
                if k + 1 < e and (cp[k] == 45 or cp[k] == 39) and flags[cp[k + 1]] & ALNUM:
                    k += 2
                    continue
                break
        out[i] = n
        a = e


# --------------------------------------------------------------------------- detect_language

@lru_cache(maxsize=1)
def lower_table() -> np.ndarray:
    """int32 per code point c: chr(c).lower() when that is one character and a letter
    ([^\\W\\d_], as text.LETTERS counts), 0 when it is one character and no letter, -1
    when lower() gives more than one (U+0130): the kernel then leaves the text to Python.

    lower() is per character but for the final sigma, which is a letter either way (and in
    no stop word); the table is made a block of code points at a time (a block that grows
    when lowered is done a character at a time)."""
    return _stored("lower_table", lambda: (_lower_table(),))[0]


def _lower_table() -> np.ndarray:
    every = _every_code_point()
    parts: list[str] = []
    multi: list[int] = []
    for lo in range(0, len(every), 4096):
        block = every[lo:lo + 4096]
        low = block.lower()
        if len(low) != len(block):
            lows = [c.lower() for c in block]
            multi += [lo + k for k, x in enumerate(lows) if len(x) != 1]
            low = "".join(x if len(x) == 1 else "\0" for x in lows)
        parts.append(low)
    lowered = "".join(parts)
    table = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int32)
    letter = np.zeros(len(table), dtype=bool)
    letter[_matching(chars.LETTER.pattern, lowered)] = True
    table[~letter] = 0
    table[multi] = -1
    return table


@lru_cache(maxsize=1)
def stop_word_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """chars.STOPWORDS as (code points of each distinct word, concatenated, shortest words
    first; their ends; per word a bit mask of the languages listing it, bit g for the g-th
    language; by_len[n]: the first word of n characters (words by_len[n]:by_len[n + 1]))."""
    masks: dict[str, int] = {}
    for g, words in enumerate(chars.STOPWORDS.values()):
        for w in words.split():
            masks[w] = masks.get(w, 0) | 1 << g
    words = sorted(masks, key=len)
    ends = np.zeros(len(words) + 1, dtype=np.int64)
    ends[1:] = np.cumsum([len(w) for w in words])
    by_len = np.searchsorted(np.array([len(w) for w in words]), np.arange(len(words[-1]) + 2), side="left")
    return (np.array([ord(ch) for w in words for ch in w], dtype=np.int32), ends,
            np.array([masks[w] for w in words], dtype=np.int64), by_len.astype(np.int64))


@njit(cache=True, nogil=True)
def stop_word_scores(cp, lower, stop_cp, stop_ends, stop_masks, by_len, scores):  # pragma: no cover - compiled
    """The runs of letters of the lowered text (text.LETTERS.findall(text.lower())): returns
    how many, and adds to scores[g] each run that is a stop word of language g. Returns -1
    (scores unfinished) when a character lowers to more than one: Python decides then."""
    n = len(cp)
    words = 0
    i = 0
    while i < n:
        c = lower[cp[i]]
        if c < 0:
            return -1
        if c == 0:
            i += 1
            continue
        j = i + 1
        while j < n:
            d = lower[cp[j]]
            if d < 0:
                return -1
            if d == 0:
                break
            j += 1
        words += 1
        size = j - i
        if size + 1 >= len(by_len):  # longer than every stop word
            i = j
            continue
        for w in range(by_len[size], by_len[size + 1]):
            a = stop_ends[w]
            same = True
            for q in range(size):
                if stop_cp[a + q] != lower[cp[i + q]]:
                    same = False
                    break
            if same:
                for g in range(len(scores)):
                    if (stop_masks[w] >> g) & 1:
                        scores[g] += 1
                break
        i = j
    return words
