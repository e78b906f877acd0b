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

import ftfy
from charset_normalizer import from_bytes

from cleaners.config import EncodingConfig
from cleaners.records import Fix

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

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
    head = data[:4096]
    m = META_CHARSET.search(head) or XML_DECL.search(head)
    if not m:
        return None
    return m.group(1).decode("ascii", "replace").lower()


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode(data: bytes, declared: str | None = None) -> tuple[str, tuple[Fix, ...]]:
    """Bytes -> text, with a Fix naming the codec and how it was chosen."""
    for bom, name in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, "replace"), (Fix("decode", f"{name} (byte-order mark)"),)
    try:
        text = data.decode("utf-8")
        return text, (Fix("decode", "utf-8 (valid UTF-8)"),)
    except UnicodeDecodeError:
        pass
    label = declared or declared_charset(data)
    codec = _codec(label)
    if codec and codec not in ("utf-8",):
        try:
            text = data.decode(codec)
            if not _looks_wrong(text, codec, data):
                return text, (Fix("decode", f"{codec} (declared {label})"),)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None:
        codec = _codec(best.encoding) or best.encoding
        detail = f"{codec} (detected"
        detail += f"; declared {label} did not fit)" if label else ")"
        return data.decode(codec, "replace"), (Fix("decode", detail),)
    return data.decode("cp1252", "replace"), (Fix("decode", "cp1252 (fallback, lossy)"),)


def _looks_wrong(text: str, codec: str, data: bytes) -> bool:
    """A single-byte codec 'succeeds' on any bytes; catch the obvious misfits.

    A page declaring a Latin charset whose bytes are mostly high bytes in
    multi-byte patterns (Shift_JIS, EUC, GBK) decodes into runs of accented
    Latin letters; charset detection is better there.
    """
    if codec.startswith(("cp125", "iso8859", "latin", "cp874", "koi8", "mac")):
        high = sum(1 for b in data[:20000] if b >= 0x80)
        return high > 0.3 * min(len(data), 20000)
    return False


def repair(text: str, cfg: EncodingConfig) -> tuple[str, tuple[Fix, ...]]:
    """Repair mojibake with ftfy; each ftfy step it took becomes a Fix."""
    if not text:
        return text, ()
    config = ftfy.TextFixerConfig(
        uncurl_quotes=cfg.uncurl_quotes,
        fix_character_width=cfg.fix_character_width,
        explain=True,
    )
    result = ftfy.fix_and_explain(text, config=config)
    fixes = tuple(Fix(f"ftfy:{step.action}", str(step.parameter))
                  for step in (result.explanation or ()))
    return result.text, fixes
