"""Decode bytes to text and repair mojibake, recording every fix.

Order (each step named in the returned fixes):
1. a byte-order mark decides;
2. bytes that are valid UTF-8 are UTF-8, whatever the page declares (detection
   on valid UTF-8 damages correct text; pages declaring latin-1 but holding
   UTF-8 are common);
3. the declared charset (HTTP header, <meta>), when it decodes without error;
4. charset detection (charset_normalizer);
5. as a last resort cp1252 with replacement characters, recorded as lossy.
Then ftfy repairs mojibake inside the text (``repair``).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import ftfy
import ftfy.bad_codecs  # noqa: F401  registers the "sloppy-windows-1252" codec used below
import ftfy.fixes
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad
from charset_normalizer import from_bytes

from cleaners.config import EncodingConfig
from cleaners.records import Fix

# UTF-32 first: its little-endian BOM starts with UTF-16's
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

META_CHARSET = re.compile(
    rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]{1,40})""", re.I)
XML_DECL = re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})""", re.I)

# WHATWG: labels that browsers decode with a superset codec.
SUPERSETS = {
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252",
    "us-ascii": "cp1252", "iso-8859-9": "cp1254", "tis-620": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "big5": "big5hkscs",
    "utf8": "utf-8", "unicode": "utf-16",
}


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in <meta> or an XML declaration (first 4 KB)."""
    m = META_CHARSET.search(data, 0, 4096) or XML_DECL.search(data, 0, 4096)
    return m.group(1).decode("ascii", "replace").lower() if m else None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _decoded(data: bytes, codec: str) -> str | None:
    """data decoded with codec, strictly; None when it does not decode."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _cp1252_fallback(err: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: read a stray byte inside UTF-8 text as cp1252."""
    bad = err.object[err.start:err.start + 1]
    return bad.decode("cp1252", "replace"), err.start + 1


codecs.register_error("newsclean-cp1252", _cp1252_fallback)

ISO2022 = re.compile(rb"\x1b\$[@B(]|\x1b\([BJ]|\x1b\$\)C")
# Detection sometimes names rare DOS/Mac/HP codecs for plain Western or
# Central European text; the common codec of the same script decodes it.
RARE_CODECS = {codecs.lookup(k).name: v for k, v in {
    "cp775": "cp1252", "hp_roman8": "cp1252", "mac_roman": "cp1252", "cp850": "cp1252",
    "cp437": "cp1252", "cp1258": "cp1252", "mac_latin2": "iso8859_2", "cp852": "iso8859_2",
    "iso8859_10": "iso8859_2", "mac_iceland": "cp1252", "cp858": "cp1252"}.items()}


def _utf16_32_without_bom(data: bytes) -> str | None:
    """UTF-16/32 text without a BOM shows NUL bytes at a regular stride."""
    sample = data[:4000]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    n = len(sample) - len(sample) % 4
    cols = [sample[i:n:4].count(0) / (n / 4) for i in range(4)]
    if cols[1] > 0.9 and cols[2] > 0.9 and cols[3] > 0.9:
        return "utf-32-le"
    if cols[0] > 0.9 and cols[1] > 0.9 and cols[2] > 0.9:
        return "utf-32-be"
    even, odd = (sample[i:n:2].count(0) / (n / 2) for i in (0, 1))
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, tuple[Fix, ...]]:
    """Bytes -> text, with a Fix naming the codec and how it was chosen."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace"), (Fix("decode", f"{name} (byte-order mark)"),)
    wide = _utf16_32_without_bom(data)
    if wide and (text := _decoded(data, wide)) is not None:
        return text, (Fix("decode", f"{wide} (NUL-byte pattern, no BOM)"),)
    if b"\x1b" in data[:20000] and ISO2022.search(data[:20000]):
        order = ("iso2022_kr", "iso2022_jp_2") if b"\x1b$)C" in data[:20000] else ("iso2022_jp_2", "iso2022_kr")
        for codec in order:
            if (text := _decoded(data, codec)) is not None:
                return text, (Fix("decode", f"{codec} (escape sequences)"),)
    try:
        return data.decode("utf-8"), (Fix("decode", "utf-8 (valid UTF-8)"),)
    except UnicodeDecodeError as exc:
        first_error = exc
    label = declared or declared_charset(data)
    codec = _codec(label)
    if codec is None or codec == "utf-8":
        # Mostly UTF-8 with a few stray bytes (a pasted cp1252 quote): keep UTF-8
        # and read only the stray bytes as cp1252, rather than misdetecting the page.
        bad = _count_invalid_utf8(data, limit=max(4, len(data) // 2000))
        if bad is not None:
            detail = f"utf-8 with {bad} stray byte(s) read as cp1252 (first at {first_error.start})"
            return data.decode("utf-8", "newsclean-cp1252"), (Fix("decode", detail),)
    elif (text := _decoded(data, codec)) is not None and not _looks_wrong(codec, data):
        return text, (Fix("decode", f"{codec} (declared {label})"),)
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        # charset_normalizer names only codecs Python knows: _codec finds each
        codec = _prefer_common(_codec(best.encoding) or best.encoding, data)
        detail = f"{codec} (detected; declared {label} did not fit)" if label else f"{codec} (detected)"
        return data.decode(codec, "replace"), (Fix("decode", detail),)
    return data.decode("cp1252", "replace"), (Fix("decode", "cp1252 (fallback, lossy)"),)


def _count_invalid_utf8(data: bytes, limit: int) -> int | None:
    """Number of invalid UTF-8 sequences when at most limit, else None."""
    pos = 0
    for count in range(limit + 1):
        try:
            data[pos:].decode("utf-8")
            return count
        except UnicodeDecodeError as exc:
            pos += exc.start + 1
    return None


def _prefer_common(name: str, data: bytes) -> str:
    """Map detection's rare picks (a codec's lookup name) to the common codec of the same
    script when it decodes."""
    if name == "cp1250" and not any(0x80 <= b <= 0x9F for b in data):
        name = "iso8859_2"  # no cp1250-only bytes: ISO-8859-2 is the usual label
    if name in ("cp1252", "latin_1", "iso8859_1", "iso8859_15"):
        # Turkish ı ş ğ sit where cp1252 has ý þ ð (Icelandic letters, with æ beside them)
        turkish = sum(data.count(b) for b in (b"\xfd", b"\xfe", b"\xf0", b"\xdd", b"\xde", b"\xd0"))
        if turkish >= 3 and b"\xe6" not in data and _decoded(data, "cp1254") is not None:
            return "cp1254"
    common = RARE_CODECS.get(name)
    return common if common and _decoded(data, common) is not None else name


def _looks_wrong(codec: str, data: bytes) -> bool:
    """A single-byte codec 'succeeds' on any bytes; catch the obvious misfits.

    A page declaring a Latin charset whose bytes are mostly high bytes in
    multi-byte patterns (Shift_JIS, EUC, GBK) decodes into runs of accented
    Latin letters; charset detection is better there.
    """
    if codec.startswith(("cp125", "iso8859", "latin", "cp874", "koi8", "mac")):
        high = sum(1 for b in data[:20000] if b >= 0x80)
        return high > 0.3 * min(len(data), 20000)
    return False


# ASCII text that ftfy can change: HTML entities (&), terminal escapes, \r and
# other control characters. Every other ftfy fix needs a non-ASCII character.
_ASCII_FTFY_TARGETS = re.compile(r"[&\x00-\x08\x0b-\x1f\x7f]")


@lru_cache(maxsize=8)
def _ftfy_config(uncurl_quotes: bool, fix_character_width: bool) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(uncurl_quotes=uncurl_quotes, fix_character_width=fix_character_width, explain=True)


# --- Exact fast path for non-ASCII text that ftfy leaves alone -------------------------
#
# ftfy.fix_and_explain returns the text unchanged with an empty explanation when, in its
# one pass over the text,
#   1. unescape_html finds no "&" entity and remove_terminal_escapes no ESC sequence,
#   2. fix_encoding sees no mojibake: ``ftfy.badness.is_bad(text)`` is False,
#   3. none of the enabled _PER_CHARACTER_FIXERS finds a character it changes, and
#   4. NFC normalisation changes nothing (``unicodedata.is_normalized``).
# ``_ftfy_leaves_alone`` checks exactly these; tests/test_encoding.py compares repair() with
# ftfy on tricky inputs. For (2) it runs is_bad, the costliest part of ftfy on clean text,
# only around the characters every mojibake match needs (``_looks_like_mojibake``).

# ftfy.fixes functions that fix_and_explain runs when its TextFixerConfig option of that name is on
_PER_CHARACTER_FIXERS = ("fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes",
                         "fix_line_breaks", "fix_surrogates", "remove_control_chars")

# Every alternative of the pattern is_bad looks for (BADNESS_RE of ftfy 6.3.1) needs a
# character of these MOJIBAKE_CATEGORIES or of _ANCHOR_LETTERS, which stand for the
# alternatives made only of letters and punctuation common in correct text ("[ØÙ].[ØÙ].",
# "‚[âó][àä°ê]", "вЂ", "[ВГРС].[ВГРС]", "[ΒΓΞΟ].[ΒΓΞΟ]"); and no match is longer than
# _BADNESS_WIDTH characters ("ГўВЂВ.[A-Za-z ]"). This table was read from that pattern: with
# another ftfy the fast path is off (repair() stays exact, only slower), and
# tests/test_dependency_internals.py says how to read it again.
_FTFY_FAST_VERSION = "6.3.1"
_ANCHOR_CATEGORIES = ("c1", "bad", "law", "currency", "numeric", "lower_accented", "upper_accented", "box")
_ANCHOR_LETTERS = "Ù‚ЂВГРСΒΓΞΟ"
_BADNESS_WIDTH = 7
_BAD_ANCHORS = (re.compile("[" + "".join(MOJIBAKE_CATEGORIES[name] for name in _ANCHOR_CATEGORIES)
                           + _ANCHOR_LETTERS + "]")
                if ftfy.__version__ == _FTFY_FAST_VERSION else None)


def _looks_like_mojibake(text: str) -> bool:
    """``ftfy.badness.is_bad(text)``, run only on windows around anchor characters.

    A window starts at the text's start or at a character that is not an anchor, so the one
    alternative anchored at the start ("^[ÃÂ][ ]", Ã and Â being anchors) matches in a
    window only where it matches in the text.
    """
    assert _BAD_ANCHORS is not None
    start, end = 0, -1
    for m in _BAD_ANCHORS.finditer(text):
        i = m.start()
        if i - _BADNESS_WIDTH + 1 > end:  # disjoint from the current window: check that one first
            if end >= 0 and is_bad(text[start:end]):
                return True
            start = max(0, i - _BADNESS_WIDTH + 1)
        end = i + _BADNESS_WIDTH
    return end >= 0 and is_bad(text[start:end])


def _changed_chars(fixer: Callable[[str], str], chars: str) -> set[str]:
    """The characters of chars a per-character ftfy fixer changes (tried a block at a time)."""
    changed: set[str] = set()
    for low in range(0, len(chars), 256):
        block = chars[low:low + 256]
        if fixer(block) != block:
            changed.update(c for c in block if fixer(c) != c)
    return changed


@lru_cache(maxsize=8)
def _fixer_chars_re(uncurl_quotes: bool, fix_character_width: bool) -> re.Pattern[str]:
    """Any character an ftfy step other than fix_encoding and NFC acts on: "&" (an HTML
    entity), ESC (a terminal escape), and what the per-character fixers change, trying
    every code point of the BMP (none of ftfy's fixers acts beyond it)."""
    config = _ftfy_config(uncurl_quotes, fix_character_width)
    bmp = "".join(map(chr, range(0x10000)))
    chars = {"&", "\x1b"}.union(*(_changed_chars(getattr(ftfy.fixes, name), bmp)
                                   for name in _PER_CHARACTER_FIXERS if getattr(config, name)))
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def _ftfy_leaves_alone(text: str, cfg: EncodingConfig) -> bool:
    """True only when ftfy.fix_and_explain would return text unchanged and explain nothing."""
    return (_BAD_ANCHORS is not None
            and not _fixer_chars_re(cfg.uncurl_quotes, cfg.fix_character_width).search(text)
            and unicodedata.is_normalized("NFC", text)
            and not _looks_like_mojibake(text))


def repair(text: str, cfg: EncodingConfig) -> tuple[str, tuple[Fix, ...]]:
    """Repair mojibake with ftfy; each ftfy step it took becomes a Fix.

    Plain ASCII without entities or control characters is returned as is
    (ftfy would return it unchanged; tests/test_properties.py checks that), and
    so is other text that ftfy provably leaves alone (``_ftfy_leaves_alone``).
    Text holding "â€" or "ï¸" may be lossy mojibake: see ``_repair_lossy``.

    >>> repair("â€œYes,â€ he said.", EncodingConfig())[0]
    '“Yes,” he said.'
    """
    if not text or (text.isascii() and not _ASCII_FTFY_TARGETS.search(text)):
        return text, ()
    if _RDQUO_LEAD in text or _VS_LEAD in text:
        return _repair_lossy(text, cfg)
    if _ftfy_leaves_alone(text, cfg):
        return text, ()
    return _ftfy_repair(text, cfg)


def _ftfy_repair(text: str, cfg: EncodingConfig) -> tuple[str, tuple[Fix, ...]]:
    result = ftfy.fix_and_explain(text, config=_ftfy_config(cfg.uncurl_quotes, cfg.fix_character_width))
    fixes = tuple(Fix(f"ftfy:{step.action}", str(step.parameter))
                  for step in (result.explanation or ()))
    return result.text, fixes


# --- Lossy mojibake: UTF-8 read as cp1252 by a decoder that dropped the undefined bytes ----
#
# cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; a decoder that drops them (Python's
# errors="ignore", some scrapers) leaves UTF-8 sequences a byte short, which ftfy cannot
# decode: "”" (E2 80 9D) becomes "â€", which ftfy keeps, or before a space reads as "†"
# (E2 80 A0, taking the space for a lost no-break space: restore_byte_a0). E2 80 with a
# lost third byte is U+2001 em quad, U+200D ZWJ, U+200F RLM, U+2010 hyphen or U+201D "”"
# (``lost_byte_candidates`` lists them from the codecs); the neighbours decide
# (LOSSY_RULES). A rule puts the byte back as the C1 code point a latin-1 reading keeps,
# and ftfy decodes it: ftfy's decoding is both the repair and the check (a rule whose
# restored byte ftfy leaves undecoded is dropped).
# Left alone as ambiguous without a dictionary: "Ã" + a lost byte (Á Í Ï Ð Ý), "Å" (Ł ō ŏ Ő
# ŝ), "Ð" and "Ñ" (Cyrillic А Н Ё Ѝ Џ, с э я), "â" + a lost middle byte (⁰ or ⏰, ❗ or ●),
# emoji and CJK missing a byte; "â€" after a digit before a letter or digit ("9”pieces"
# beside "32‐bit"); and "â€?" in text with no other dropped byte, which ftfy reads as "�"
# (a decoder that writes "?" for a lost byte: one of ftfy's own test cases).
#
# What cp1252 (ftfy's sloppy variant: C1 code points for the undefined bytes) makes of the
# continuation bytes 0x80-0xBF, and U+FFFD: after a lead, these complete a sequence or are
# ftfy's business, not a lost byte.
_CONTINUATION = re.escape(bytes(range(0x80, 0xC0)).decode("sloppy-windows-1252") + "\ufffd")
_RDQUO_LEAD = "\u00e2\u20ac"  # "â€": E2 80 read as cp1252
_VS_LEAD = "\u00ef\u00b8"  # "ï¸": EF B8
# "â" + the second byte of an emoji symbol E2 99-9C xx (♀ ♂ ⚕ ⛹ ✈ ✍), read as cp1252
_EMOJI_SYMBOL = "\u00e2[" + bytes(range(0x99, 0x9D)).decode("cp1252") + "]"
# Emoji and pictographic symbols already decoded: where only some bytes of a file were
# dropped, the decoder reads the intact sequences right and the damaged ones as cp1252.
_PICTOGRAPHS = "\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u2bff\U0001f000-\U0001faff"
# A remnant: a lead not completed; "dropped" also not followed by "?" (a replacing decoder's)
_REMNANT = re.compile(f"(?:{_RDQUO_LEAD}|{_VS_LEAD})(?![{_CONTINUATION}])")
_DROPPED = re.compile(f"(?:{_RDQUO_LEAD}|{_VS_LEAD})(?![{_CONTINUATION}?])")
# (name, lead, the lost byte, where the lead lost it, only in text matching this). Every
# context is followed by ASCII, whitespace, the end, "â", "Â", "ð" or an emoji, none of
# them a continuation, so each match is a remnant. Applied in this order; "rdquo-question"
# first, its condition seeing the input.
LOSSY_RULES: tuple[tuple[str, str, str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    # "â€?" is "”?" where another byte was dropped, not replaced by "?"
    ("rdquo-question", _RDQUO_LEAD, "\x9d", re.compile(_RDQUO_LEAD + r"(?=\?)"), _DROPPED),
    # ZWJ (U+200D, E2 80 8D) gluing an emoji sequence ("👩‍💻"): after the bytes of an emoji
    # (F0 9F xx xx, the E2 99-9C symbols such as ♀ ✈, or a VS16 remnant) and before the lead
    # of the next one.
    ("zwj", _RDQUO_LEAD, "\x8d", re.compile(
        f"(?:(?<=\u00f0\u0178..)|(?<={_EMOJI_SYMBOL}.)|(?<={_VS_LEAD})|(?<=[{_PICTOGRAPHS}\ufe0f]))"
        f"{_RDQUO_LEAD}(?=\u00f0\u0178|{_EMOJI_SYMBOL}|[{_PICTOGRAPHS}])"), None),
    # ZWJ alone in a paragraph, where a page builder put an invisible character to keep an
    # empty paragraph (an em quad, RLM or ZWJ alone are all invisible; "”" or "‐" alone are
    # not text). Before "rdquo", which would take a lone remnant between spaces.
    ("zwj-alone", _RDQUO_LEAD, "\x8d", re.compile(_RDQUO_LEAD), re.compile(f"\\A\\s*{_RDQUO_LEAD}\\s*\\Z")),
    # "”" closing a quote: not first in a line, before a space, the end, ASCII punctuation
    # other than "?", or the next mojibake ("”—" reads "â€â€”", "” " before a no-break space
    # "â€Â\xa0"); first in a line before a space it may be "†" whose no-break space became a
    # space (ftfy's reading). Or "”" opening a quote ("…”Wow", ': ”Bird'): before a letter,
    # after the start, a space, ASCII punctuation or a mojibake quote, dash or ellipsis ("â€"
    # + ¦ ™ ˜ œ ” “).
    ("rdquo", _RDQUO_LEAD, "\x9d", re.compile(
        r"(?<=[^\n\r])\u00e2\u20ac(?=[ \t\n\r\f\v.,;:!)\]}'\"*/\\-]|\u00e2\u20ac|\u00c2|\Z)"
        r"|(?:\A|(?<=[\s!-/:-@\[-`{-~])|(?<=\u00e2\u20ac[\u00a6\u2122\u02dc\u0153\u201d\u201c]))"
        r"\u00e2\u20ac(?=[A-Za-z])"
        # or closing a quote right before an emoji ("hi”😀"): after an ASCII letter, digit or
        # sentence punctuation, where a ZWJ has no emoji to join
        r"|(?<=[A-Za-z0-9.,;:!?])\u00e2\u20ac(?=\u00f0\u0178)"), None),
    # "‐" (U+2010) between a letter and a letter or digit ("human‐readable", "UTF‐8")
    ("hyphen", _RDQUO_LEAD, "\x90", re.compile(r"(?<=[A-Za-z])\u00e2\u20ac(?=[A-Za-z0-9])"), None),
    # VS16 (U+FE0F, EF B8 8F) right after a character read from several bytes ("✔️" as
    # "âœ”ï¸", or "✔ï¸" where only the VS16 was damaged); EF B8 + a lost byte is otherwise
    # VS2, VS14 or a vertical comma.
    ("vs16", _VS_LEAD, "\x8f", re.compile(f"(?<=[{_CONTINUATION}{_PICTOGRAPHS}]){_VS_LEAD}(?![{_CONTINUATION}])"),
     None),
)
_LOSSY_BY_NAME = {rule[0]: rule for rule in LOSSY_RULES}
# ftfy steps that mean it found cp1252-style mojibake in the text
_FTFY_MOJIBAKE_STEPS = ("ftfy:encode", "ftfy:decode", "ftfy:transcode")
# "â€" right after a letter, digit or punctuation: nothing but E2 80 missing its third byte.
# Not after an ASCII quote or opening bracket: there it is a mention of the remnant ('the
# string "â€"', "characters (â€) in old posts"), text about mojibake, which ftfy leaves alone.
_REMNANT_AFTER_WORD = re.compile(
    f"(?<=[^\\s{_CONTINUATION}\"'(\\[{{<]){_RDQUO_LEAD}(?![{_CONTINUATION}])")
# "ï¸" right after an emoji: no orthography puts "ï" + cedilla there; a damaged VS16
_VS_AFTER_PICTOGRAPH = re.compile(f"(?<=[{_PICTOGRAPHS}]){_VS_LEAD}(?![{_CONTINUATION}])")


UNDEFINED_IN_CP1252 = bytes(b for b in range(0x80, 0x100) if _decoded(bytes([b]), "cp1252") is None)


def lost_byte_candidates(lead: str) -> dict[int, str]:
    """{lost byte: character} for a lead read as cp1252 (such as "â€") that lost one byte
    cp1252 leaves undefined right after it: the characters whose UTF-8 is the lead's bytes
    and that byte.

    >>> {f"{b:02X}": f"U+{ord(c):04X}" for b, c in lost_byte_candidates("â€").items()}
    {'81': 'U+2001', '8D': 'U+200D', '8F': 'U+200F', '90': 'U+2010', '9D': 'U+201D'}
    """
    out = {}
    for byte in UNDEFINED_IN_CP1252:
        char = _decoded(lead.encode("cp1252") + bytes([byte]), "utf-8")
        if char is not None and len(char) == 1:
            out[byte] = char
    return out


def restore_lost_byte(text: str, name: str) -> tuple[str, int]:
    """Put back the byte of rule ``name`` (LOSSY_RULES) after each lead it matches.

    >>> restore_lost_byte("â€œYes,â€ he said.", "rdquo")
    ('â€œYes,â€\\x9d he said.', 1)
    """
    if name not in _LOSSY_BY_NAME:
        raise ValueError(f"unknown lossy-mojibake rule {name!r}; known: {', '.join(_LOSSY_BY_NAME)}")
    _, lead, byte, rx, only_if = _LOSSY_BY_NAME[name]
    if only_if is not None and not only_if.search(text):
        return text, 0
    return rx.subn(lead + byte, text)


def _mojibake_evidence(text: str, ftfy_fixes: tuple[Fix, ...]) -> bool:
    """ftfy decoded something, the text holds mojibake besides the remnants, "â€" sits
    right after a word (no orthography puts "€" after "â") or "ï¸" right after an emoji, or
    the text is "â€" alone."""
    return (any(f.name in _FTFY_MOJIBAKE_STEPS or f.detail == "decode_inconsistent_utf8"
                for f in ftfy_fixes)
            or _REMNANT_AFTER_WORD.search(text) is not None
            or _VS_AFTER_PICTOGRAPH.search(text) is not None
            or text.strip() == _RDQUO_LEAD
            or is_bad(_REMNANT.sub("", text)))


def _repair_lossy(text: str, cfg: EncodingConfig) -> tuple[str, tuple[Fix, ...]]:
    """ftfy after lost bytes are put back (each rule a named Fix), when the text shows cp1252
    mojibake, keeping the rules whose bytes ftfy then decodes; else ftfy alone."""
    fixed, fixes = _ftfy_repair(text, cfg)
    if not _REMNANT.search(text) or not _mojibake_evidence(text, fixes):
        return fixed, fixes
    names = [rule[0] for rule in LOSSY_RULES]
    while names:
        restored, steps = text, []
        for name in names:
            restored, n = restore_lost_byte(restored, name)
            if n:
                _, lead, byte, _, _ = _LOSSY_BY_NAME[name]
                char = (lead + byte).encode("sloppy-windows-1252").decode("utf-8")
                steps.append(Fix(f"lossy-mojibake:{name}",
                                 f"{n} x {lead} + lost byte 0x{ord(byte):02X} -> U+{ord(char):04X}"))
        if not steps:
            break
        refixed, refixes = _ftfy_repair(restored, cfg)
        # a rule whose byte ftfy did not read as part of UTF-8 is dropped, and ftfy runs again
        left = {byte for _, _, byte, _, _ in LOSSY_RULES if refixed.count(byte) > text.count(byte)}
        if not left:
            return refixed, tuple(steps) + refixes
        kept = [name for name in names if _LOSSY_BY_NAME[name][2] not in left]
        if kept == names:  # the byte came from ftfy's own decoding: not ours to judge
            break
        names = kept
    return fixed, fixes


def replay(text: str, fixes: tuple[Fix, ...] | list[Fix]) -> str:
    """Apply the fixes ``repair`` recorded to the text it was given, in order.

    >>> broken = "â€œYes,â€ he said."
    >>> fixed, fixes = repair(broken, EncodingConfig())
    >>> [f.name for f in fixes], replay(broken, fixes) == fixed
    (['lossy-mojibake:rdquo', 'ftfy:encode', 'ftfy:decode'], True)
    """
    plan: list[tuple[str, str]] = []  # ftfy steps run as one plan: bytes pass from encode to decode
    for fix in fixes:
        kind, _, step = fix.name.partition(":")
        if kind == "ftfy" and step != "normalize":
            plan.append((step, fix.detail))
            continue
        text, plan = ftfy.apply_plan(text, plan), []
        if kind == "ftfy":  # ftfy.apply_plan does not know its own normalisation step
            text = unicodedata.normalize(fix.detail, text)  # type: ignore[arg-type]
        elif kind == "lossy-mojibake":
            text = restore_lost_byte(text, step)[0]
        else:
            raise ValueError(f"cannot replay fix {fix.name!r}: only repair()'s ftfy: and lossy-mojibake: fixes")
    return ftfy.apply_plan(text, plan)
