"""Decoding by BOM / UTF-8 validity / declared charset / detection, and explained ftfy repairs."""

from __future__ import annotations

import codecs

from cleaners.config import EncodingConfig
from cleaners.encoding import declared_charset, decode, repair

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
