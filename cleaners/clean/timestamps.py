"""Date and time lines of scraped pages ("Updated 13:53 JST, October 17, 2024"): recognised and parsed to ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
TZ = {"jst": 9, "kst": 9, "gmt": 0, "utc": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2,
      "est": -5, "edt": -4, "cst": -6, "cdt": -5, "pst": -8, "pdt": -7, "aest": 10, "aedt": 11,
      "hkt": 8, "sgt": 8}
DATE_WORDS = set(MONTHS) | set(TZ) | set(
    "am pm a m p updated update published posted last at on monday tuesday wednesday thursday friday saturday "
    "sunday mon tue wed thu fri sat sun et pt local time h uhr".split())
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
    return all(w in DATE_WORDS for w in words) and (
        bool(re.search(r"\b(19|20)\d\d\b", s)) or any(w in MONTHS or w in FOREIGN_MONTHS for w in words))


def parse_timestamp(line: str) -> str | None:
    """ISO 8601 from common news date forms; None when unsure."""
    s = line.strip().lower()
    m = re.search(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)(?:[t ](\d\d):(\d\d)(?::(\d\d))?)?", s)
    if m:
        y, mo, d, hh, mm, ss = (int(group or 0) for group in m.groups())
        return _iso(y, mo, d, hh if m.group(4) else None, mm, ss, None)
    year = re.search(r"\b((?:19|20)\d\d)\b", s)
    if not year:
        return None
    # the first word-number pair whose word is a month ("Updated 13:53 JST, October 17": not "updated 13")
    month_day = next((m for m in re.finditer(r"\b([a-z]{3,9})\.?\s+(\d{1,2})\b", s) if m.group(1) in MONTHS), None)
    day_month = next((m for m in re.finditer(r"\b(\d{1,2})\s+([a-z]{3,9})\.?\b", s) if m.group(2) in MONTHS), None)
    if month_day:
        mo, d = MONTHS[month_day.group(1)], int(month_day.group(2))
    elif day_month:
        mo, d = MONTHS[day_month.group(2)], int(day_month.group(1))
    else:
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
