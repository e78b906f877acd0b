"""The character classes and word lists that define tokens, sentences and languages.

Read by the Python API (``cleaners.kernels.text``) and by the numba kernels' tables
(``cleaners.kernels.text_jit``): one definition for both."""

from __future__ import annotations

import re

# One CJK/kana/hangul character is one token (these scripts have no spaces);
# elsewhere a token is a run of letters/digits.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
# A token: one CJK character, or a run of other letters/digits. The run stops at a CJK
# character, so "2006年の福袋" is "2006", "年", "の", "福", "袋", not one token holding the rest
# of the sentence (Japanese and Chinese news put digits and Latin letters next to CJK text).
TOKEN_PATTERN = rf"[{CJK}]|[^\W_{CJK}]+"

# Words that end with "." without ending a sentence (a single capital letter does too).
ABBREV_WORDS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Gov", "Sen", "Rep", "St", "Lt", "Col", "Sgt", "Capt",
                "Jr", "Sr", "No", "Nos", "U.S", "U.K", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep",
                "Sept", "Oct", "Nov", "Dec", "vs", "etc", "Inc", "Corp", "Co", "Ltd", "Mil", "Tril", "Bil")
CLOSERS = "\"'”’»)] "  # stripped from a sentence's end before the abbreviation check

STOPWORDS = {
    "en": "the and of to in is that for on was with as he it said by at from his have are",
    "de": "der die und das ist nicht mit den von zu ein sich auf für im dem des eine auch",
    "fr": "le la les de et des est un une du en que qui dans pour pas sur au avec",
    "es": "el la de que y en los las del se por un una con para es al como más",
    "it": "il di che la e per un una non del della sono con le gli da si al",
    "pt": "de que o a do da em um para com não uma os no se na por mais as",
    "nl": "de het een van en in is dat op te zijn met voor niet aan er om ook",
}

LETTER = re.compile(r"[^\W\d_]")

# A word of the clutter rules' counts: hyphenated and apostrophe'd words are one.
WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
