"""Small text helpers shared by the steps: tokens with offsets, sentences, language, dates."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# One CJK/kana/hangul character is one token (these scripts have no spaces);
# elsewhere a token is a run of letters/digits.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
TOKEN = re.compile(rf"[{CJK}]|[^\W_]+", re.UNICODE)
CJK_CHAR = re.compile(rf"[{CJK}]")


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


def norm_words(text: str) -> list[str]:
    """The normalised tokens of text, without offsets (same values as ``tokens``)."""
    if text.isascii():
        return TOKEN.findall(text.lower())
    raw = TOKEN.findall(text)
    joined = " ".join(raw)
    if joined.isascii():  # non-ASCII punctuation only (curly quotes, dashes): lower() them at once
        return joined.lower().split(" ") if raw else []
    return [w.lower() if w.isascii() else unicodedata.normalize("NFKC", w).casefold() for w in raw]


def word_count(text: str) -> int:
    """len(norm_words(text)), without normalising each token."""
    return len(TOKEN.findall(text))


def is_cjk(text: str) -> bool:
    """True when most tokens are CJK characters (shingle by character, not word)."""
    if not CJK_CHAR.search(text, 0, 5000):
        return False
    toks = TOKEN.findall(text[:5000])
    if not toks:
        return False
    return sum(1 for t in toks if CJK_CHAR.fullmatch(t)) > 0.5 * len(toks)


# Sentence ends: . ! ? and CJK full stops, optionally followed by closing quotes
# (a cut is made at each match's end). The match starts at the punctuation
# rather than behind a lookbehind, so the regex engine can skip ahead to it.
SENT_END = re.compile(r"""[.!?。！？]["'”’»)\]]*(?=\s|$)|[。！？]""")
# Words that end with "." without ending a sentence (a single capital letter does too).
ABBREV_WORDS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Gov", "Sen", "Rep", "St", "Lt", "Col", "Sgt", "Capt",
                "Jr", "Sr", "No", "Nos", "U.S", "U.K", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
                "Sept", "Oct", "Nov", "Dec", "vs", "etc", "Inc", "Corp", "Co", "Ltd", "Mil", "Tril", "Bil")
ABBREV = re.compile(r"(?:\b(?:" + "|".join(map(re.escape, ABBREV_WORDS)) + r")\.$)|(?:\b[A-Z]\.$)")


PARAGRAPH = re.compile(r"[^\n]+")
CLOSERS = "\"'”’»)] "  # stripped from a sentence's end before the abbreviation check


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
        for m in SENT_END.finditer(para):
            end = m.end()
            seg = para[start:end]
            if _abbreviation(seg.rstrip(CLOSERS)):
                continue
            left = len(seg) - len(seg.lstrip())
            right = len(seg.rstrip())
            if right > left:
                append((offset + start + left, offset + start + right))
            start = end
        seg = para[start:]
        left = len(seg) - len(seg.lstrip())
        right = len(seg.rstrip())
        if right > left:
            append((offset + start + left, offset + start + right))
    return spans


def _abbreviation(seg: str) -> bool:
    """``ABBREV.search(seg)``, looking only at the end: every ABBREV match ends
    the string with "." and is at most 5 characters long, so the last 7
    characters (one more before any match, for its \\b) decide."""
    return seg[-1:] == "." and ABBREV.search(seg[-7:]) is not None


STOPWORDS = {
    "en": "the and of to in is that for on was with as he it said by at from his have are",
    "de": "der die und das ist nicht mit den von zu ein sich auf für im dem des eine auch",
    "fr": "le la les de et des est un une du en que qui dans pour pas sur au avec",
    "es": "el la de que y en los las del se por un una con para es al como más",
    "it": "il di che la e per un una non del della sono con le gli da si al",
    "pt": "de que o a do da em um para com não uma os no se na por mais as",
    "nl": "de het een van en in is dat op te zijn met voor niet aan er om ook",
}
_STOP = {lang: set(words.split()) for lang, words in STOPWORDS.items()}


KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
SCRIPTS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0400-\u04ff]")  # any of the four above
LETTER = re.compile(r"[^\W\d_]")
LETTERS = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code by script, then by stop words for Latin-script languages."""
    sample = text[:4000]
    if not sample.strip():
        return None
    if not sample.isascii() and SCRIPTS.search(sample):  # else every count below is 0
        kana = len(KANA.findall(sample))
        han = len(HAN.findall(sample))
        hangul = len(HANGUL.findall(sample))
        cyr = len(CYRILLIC.findall(sample))
        letters = max(1, len(LETTER.findall(sample)))
        if kana > 0.05 * letters:
            return "ja"
        if hangul > 0.2 * letters:
            return "ko"
        if han > 0.2 * letters:
            return "zh"
        if cyr > 0.3 * letters:
            return "ru"
    from cleaners.fasttok import stop_word_scores  # imports this module

    counted = stop_word_scores(sample)  # the numba kernel, with no word strings
    if counted is None:
        words = LETTERS.findall(sample.lower())
        counts = Counter(words)
        counted = len(words), [sum(counts[w] for w in stop if w in counts) for stop in _STOP.values()]
    n, scores = counted
    if n < 5:
        return None
    g = max(range(len(scores)), key=scores.__getitem__)  # the first language of the highest score
    return list(_STOP)[g] if scores[g] >= max(2, 0.05 * n) else None


MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
TZ = {"jst": 9, "kst": 9, "gmt": 0, "utc": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2,
      "est": -5, "edt": -4, "cst": -6, "cdt": -5, "pst": -8, "pdt": -7, "aest": 10, "aedt": 11,
      "hkt": 8, "sgt": 8}
DATE_WORDS = set(MONTHS) | set(TZ) | {
    "am", "pm", "a", "m", "p", "updated", "update", "published", "posted", "last", "at", "on",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "et", "pt", "local", "time", "h", "uhr"}
# Month names of the other languages of the corpora (pt, es, fr, de, it, nl): a
# line of only these, weekdays, connectors and digits is a date line too
# ("sexta-feira, 22 de outubro de 2010 às 20:13"); Korean stamps say 기사입력/입력
# (posted), 수정 (edited), 승인 (approved) before the date.
FOREIGN_MONTHS = set(
    "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro "
    "enero febrero marzo mayo junio julio septiembre setiembre octubre noviembre diciembre "
    "janvier février mars avril mai juin juillet août septembre octobre décembre "
    "januar jänner februar märz juni juli oktober dezember "
    "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre "
    "januari februari maart mei augustus".split())
DATE_WORDS |= FOREIGN_MONTHS | set(
    "segunda terça quarta quinta sexta feira sábado domingo de às em "
    "lunes martes miércoles jueves viernes del las "
    "lundi mardi mercredi jeudi vendredi samedi dimanche le à "
    "montag dienstag mittwoch donnerstag freitag samstag sonntag um "
    "lunedì martedì mercoledì giovedì venerdì sabato domenica il alle ore "
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag om "
    "기사입력 입력 수정 승인".split())


def is_timestamp_line(line: str) -> bool:
    """A line made only of a date/time (e.g. '15:02 JST, October 18, 2024')."""
    s = line.strip()
    if not s or len(s) > 80 or not re.search(r"\d", s):
        return False
    words = re.findall(r"[^\W\d_]+", s.lower())
    if any(w not in DATE_WORDS for w in words):
        return False
    has_date = bool(re.search(r"\b(19|20)\d\d\b", s)) or any(w in MONTHS or w in FOREIGN_MONTHS
                                                              for w in words)
    return has_date


def parse_timestamp(line: str) -> str | None:
    """ISO 8601 from common news date forms; None when unsure."""
    s = line.strip().lower()
    m = re.search(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)(?:[t ](\d\d):(\d\d)(?::(\d\d))?)?", s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh, mm, ss = (int(m.group(i)) if m.group(i) else 0 for i in (4, 5, 6))
        return _iso(y, mo, d, hh if m.group(4) else None, mm, ss, None)
    year = re.search(r"\b((?:19|20)\d\d)\b", s)
    month_day = re.search(r"\b([a-z]{3,9})\.?\s+(\d{1,2})\b", s)
    day_month = re.search(r"\b(\d{1,2})\s+([a-z]{3,9})\.?\b", s)
    if not year:
        return None
    mo = d = None
    if month_day and month_day.group(1) in MONTHS:
        mo, d = MONTHS[month_day.group(1)], int(month_day.group(2))
    elif day_month and day_month.group(2) in MONTHS:
        mo, d = MONTHS[day_month.group(2)], int(day_month.group(1))
    if mo is None or d is None:
        return None
    hh = mm = None
    t = re.search(r"\b(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?", s)
    if t:
        hh, mm = int(t.group(1)), int(t.group(2))
        if t.group(3) and t.group(3).startswith("p") and hh < 12:
            hh += 12
        if t.group(3) and t.group(3).startswith("a") and hh == 12:
            hh = 0
    tz = next((TZ[w] for w in re.findall(r"[a-z]+", s) if w in TZ), None)
    return _iso(int(year.group(1)), mo, d, hh, mm or 0, 0, tz)


def _iso(y: int, mo: int, d: int, hh: int | None, mm: int, ss: int, tz: float | None) -> str | None:
    try:
        if hh is None:
            return datetime(y, mo, d).date().isoformat()
        tzinfo = timezone(timedelta(hours=tz)) if tz is not None else None
        return datetime(y, mo, d, hh, mm, ss, tzinfo=tzinfo).isoformat()
    except ValueError:
        return None
