"""Decoding by BOM / UTF-8 validity / declared charset / detection, and explained ftfy repairs."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from cleaners.config import EncodingConfig
from cleaners.clean.encoding import declared_charset, decode, repair

JA = "日本の防衛相は木曜日、ブリュッセルで開かれた北大西洋条約機構の国防相会議に初めて出席した。" * 3


def test_bom_wins() -> None:
    text, fixes = decode(codecs.BOM_UTF16_LE + "Grüße".encode("utf-16-le"))
    assert text == "Grüße"
    assert "byte-order mark" in fixes[0].detail


def test_valid_utf8_beats_a_wrong_declaration() -> None:
    page = '<meta charset="iso-8859-1"><p>Müller sagte: „Wir sind bereit.“</p>'.encode("utf-8")
    text, fixes = decode(page)
    assert "Müller" in text and "„Wir" in text
    assert fixes[0].detail.startswith("utf-8")


def test_declared_shift_jis() -> None:
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
            f"</head><body><p>{JA}</p></body></html>").encode("shift_jis")
    assert declared_charset(page) == "shift_jis"
    text, fixes = decode(page)
    assert JA in text
    assert "declared shift_jis" in fixes[0].detail


def test_undeclared_euc_jp_is_detected() -> None:
    page = f"<html><body><p>{JA}</p></body></html>".encode("euc-jp")
    text, fixes = decode(page)
    assert JA in text
    assert "detected" in fixes[0].detail


def test_declared_charset_that_does_not_fit_falls_back_to_detection() -> None:
    page = f'<meta charset="shift_jis"><p>{JA}</p>'.encode("euc-jp")
    text, fixes = decode(page)
    assert JA in text
    assert "did not fit" in fixes[0].detail


def test_declared_latin1_decodes_as_cp1252() -> None:
    page = '<meta charset="ISO-8859-1"><p>He said \u201cno\u201d and left \u2013 fast.</p>'.encode("cp1252")
    text, _ = decode(page)
    assert "\u201cno\u201d" in text and "\u2013" in text


def test_repair_names_each_fix() -> None:
    broken = "The caf\u00c3\u00a9 owner\u00e2\u20ac\u2122s \u00e2\u20ac\u0153best\u00e2\u20ac\x9d coffee"
    fixed, fixes = repair(broken, EncodingConfig())
    assert fixed == "The caf\u00e9 owner\u2019s \u201cbest\u201d coffee"  # curly quotes kept
    assert [f.name for f in fixes] == ["ftfy:encode", "ftfy:decode"]


def test_repair_leaves_correct_text_alone() -> None:
    for good in ("Na\u00efve \u201cquotes\u201d stay curly.", JA, "Ｆｕｌｌ-width ＡＢＣ １２３", "Crème brûlée"):
        fixed, fixes = repair(good, EncodingConfig())
        assert fixed == good
        assert fixes == ()


def test_utf16_without_bom_is_recognised() -> None:
    text, fixes = decode("<p>Grüße aus Köln, sagte er.</p>".encode("utf-16-le"))
    assert text == "<p>Grüße aus Köln, sagte er.</p>"
    assert "NUL-byte pattern" in fixes[0].detail


def test_iso2022_jp_is_not_taken_for_utf8() -> None:
    text, fixes = decode(JA.encode("iso2022_jp"))
    assert text == JA and "iso2022" in fixes[0].detail


def test_mostly_utf8_with_a_stray_cp1252_byte() -> None:
    page = "<p>Fundacja Stefana Batorego — “zaufanie” i współpraca".encode("utf-8") + b" \x96 " + \
        "ciąg dalszy, łódź i źródło.</p>".encode("utf-8")
    text, fixes = decode(page)
    assert "Fundacja Stefana Batorego" in text and "współpraca \u2013 ciąg" in text
    assert "stray byte" in fixes[0].detail


# --- repair()'s fast path (encoding._ftfy_leaves_alone) must agree with ftfy exactly ---

TRICKY = [
    # mojibake: cp1252/latin-1 readings of UTF-8, alone and inside correct text
    "The caf\u00c3\u00a9 owner\u00e2\u20ac\u2122s \u00e2\u20ac\u0153best\u00e2\u20ac\x9d coffee",
    "sÃ³", "voilÃ le travail", "Ã ", "â€”", "Ã©tÃ©", "ÐŸÑ€Ð¸Ð²ÐµÑ‚", "Ð²Ð¾Ð´Ð°", "Ã¼ber Ã¤rger",
    "ГўВЂВњquotedГўВЂВќ", "вЂњРЅРµС‚вЂќ", "ā€", "β€™", "Â£100", "100Â°C", "à²µ", "√±",
    "He said “no” — then left", "He said “no” — then left caf\u00c3\u00a9",
    "é”x", "é“½", "Ø·Ø§", "×²", "¢£", "l’Ã©tÃ©", "a Â “b”", "Œ1", "É°", "Ã\xa0", "x Ã ",
    # C1 controls, line/paragraph separators, NEL, surrogates, control and format characters
    "a\x80b", "quote\x93d\x94", "line\u2028break", "para\u2029graph", "next\x85line", "bom\ufeffin",
    "esc\x1b[31mred", "tab\tform\x0cfeed", "zero\u200bwidth", "\ud83d\ude00 pair", "lone \udc80",
    # entities, ligatures, full-width, curly quotes (uncurled only when asked), NFC
    "caf&eacute; “ok”", "&lt;p&gt; “x”", "&#x2019;s", "ﬂubberiﬁc “x”", "Ｆｕｌｌ-width ＡＢＣ",
    "ideographic\u3000space “x”", "‘single’ “double” ‛reversed‟ ʼn", "e\u0301 combining",
    "Ω ohm \u2126", "Å angstrom \u212b", "한국어 \u1100\u1161 jamo", "ｶﾀｶﾅ halfwidth",
    # correct text the fast path should accept
    "Naïve “quotes” stay curly — don’t they…", "Grüße aus Köln", "Москва — столица России",
    "日本の防衛相は木曜日、ブリュッセルで開かれた。", "Ελληνικά κείμενα", "Crème brûlée",
    "Zürich’s “Bahnhofstraße” – 5 km", "naïve café résumé", "El niño está aquí",
]


def _ftfy_expected(text: str, cfg: EncodingConfig) -> tuple[str, list[str]]:
    import ftfy

    res = ftfy.fix_and_explain(text, config=ftfy.TextFixerConfig(
        uncurl_quotes=cfg.uncurl_quotes, fix_character_width=cfg.fix_character_width, explain=True))
    return res.text, [f"ftfy:{s.action}:{s.parameter}" for s in (res.explanation or ())]


def test_repair_fast_path_agrees_with_ftfy_on_tricky_text() -> None:
    from cleaners.clean.encoding import _ftfy_leaves_alone

    taken = 0
    for base in TRICKY:
        for text in (base, f"Some words {base} and more words", base * 3):
            for cfg in (EncodingConfig(), EncodingConfig(uncurl_quotes=True, fix_character_width=True)):
                fixed, fixes = repair(text, cfg)
                assert (fixed, [f"{f.name}:{f.detail}" for f in fixes]) == _ftfy_expected(text, cfg), text
                if _ftfy_leaves_alone(text, cfg):
                    taken += 1
                    assert _ftfy_expected(text, cfg) == (text, []), text
    assert taken > 20  # the fast path is exercised, not silently off


def test_fast_path_declines_what_ftfy_would_change() -> None:
    from cleaners.clean.encoding import _ftfy_leaves_alone

    for text in ("caf\u00c3\u00a9", "a\x80b", "caf&eacute;", "ﬂ", "line\u2028", "e\u0301", "x\u2126",
                 "“curly” " + "clean " * 50 + "Ã©"):
        assert not _ftfy_leaves_alone(text, EncodingConfig()), text
    for text in ("“curly”", "Ｆｕｌｌ"):
        assert _ftfy_leaves_alone(text, EncodingConfig())  # kept by default ...
        assert not _ftfy_leaves_alone(text, EncodingConfig(uncurl_quotes=True, fix_character_width=True))


def test_windowed_badness_equals_ftfy_is_bad() -> None:
    """_looks_like_mojibake runs is_bad only around anchor characters."""
    import random

    from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad

    from cleaners.clean.encoding import _looks_like_mojibake

    alphabet = sorted(set("".join(MOJIBAKE_CATEGORIES.values()) + "abcXYZ .,!?'\"\n\t’“”—ÃÂâ€œ™"))
    rng = random.Random(1)
    texts = list(TRICKY)
    for _ in range(20000):
        core = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        pad = " plain text, " * rng.randint(0, 3)
        texts.append(pad + core + pad)
    assert sum(map(is_bad, texts)) > 1000
    for text in texts:
        assert _looks_like_mojibake(text) == is_bad(text), repr(text)


FTFY_CASES = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ftfy_mojibake"


@pytest.mark.skipif(not FTFY_CASES.is_dir(), reason="../shared/corpora/ftfy_mojibake absent")
def test_windowed_badness_equals_ftfy_is_bad_on_ftfys_cases() -> None:
    """ftfy's own test cases, broken and fixed, alone and inside plain text."""
    from ftfy.badness import is_bad

    from cleaners.clean.encoding import _looks_like_mojibake

    texts = [case[key] for path in sorted(FTFY_CASES.glob("*.json"))
             for case in json.loads(path.read_text(encoding="utf-8")) for key in ("original", "fixed")]
    assert sum(map(is_bad, texts)) > 100
    for text in texts:
        for padded in (text, f"Plain words. {text} More words."):
            assert _looks_like_mojibake(padded) == is_bad(padded), repr(padded)
