"""Lossy mojibake (issue 26): UTF-8 read as cp1252 by a decoder that dropped the bytes cp1252
leaves undefined (0x81 0x8D 0x8F 0x90 0x9D), so "”" (E2 80 9D) arrives as "â€"."""

from __future__ import annotations

import json
from pathlib import Path

import ftfy
import ftfy.bad_codecs  # noqa: F401  registers "sloppy-windows-1252"
import pytest

from cleaners.config import EncodingConfig
from cleaners.clean.encoding import (LOSSY_RULES, UNDEFINED_IN_CP1252, decode, lost_byte_candidates, repair,
                                     replay, restore_lost_byte)

CFG = EncodingConfig()
LENIENT = EncodingConfig(uncurl_quotes=True, fix_character_width=True)
FIXTURE = Path(__file__).parent / "fixtures" / "scrapinghub_subset" / "ground-truth.json"
FTFY_CASES = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ftfy_mojibake"
REMNANT = "\u00e2\u20ac"  # "â€"


def lossy(text: str) -> str:
    """What a cp1252 decoder that drops undefined bytes makes of UTF-8."""
    return text.encode("utf-8").decode("cp1252", errors="ignore")


# (label, correct text): every one loses a byte; the label names the context.
SENTENCES = [
    ("closing quote before a space", "“We will not stop,” she said, “until it is done.”"),
    ("closing quote at the end", "The minister called it “a historic day.”"),
    ("closing quote before punctuation",
     "He called the plan “reckless”, then left; critics said “fine”."),
    ("closing quote before a parenthesis", "The deal (dubbed “Project Blue”) closed on Friday."),
    ("closing quote before a colon", "Three words “never again”: that was the slogan."),
    ("closing quote before an em dash", "The “new normal”—as officials call it—is here."),
    ("closing quote before an ellipsis", "She only said “wait”… and hung up."),
    ("closing quote before a no-break space", "The word “crisis”\u00a0appeared 40 times."),
    ("closing quote after an apostrophe", "He said: “It’s the players’ choice, not the owners’”"),
    ("closing quote after a digit", "The screen measures 6.1” and weighs 170 g."),
    ("spaced quotes", "Fans of “ Wild Rose ” will like it."),
    ("closing quote with accented text", "Le ministre a parlé d’un “échec”, selon Libération."),
    ("closing quote before ?, other bytes dropped", "Was it “fair”? Many said “no.”"),
    ("closing quote before ?!, other bytes dropped", "Who is “Sailor Moon”?! Fans asked “why?”"),
    ("opening use after a colon", "Another reportedly said: ”Bird flu is back,” and left."),
    ("opening use after an ellipsis", "They’ll be thinking…”Wow, that is nice.”"),
    ("hyphen U+2010 between letters",
     "The data is not intended to be human‐readable, he wrote “twice”."),
    ("hyphen U+2010 before a digit", "A UTF‐8 character sequence."),
    ("emoji with VS16", "✔️ Maropost Marketing Cloud vs. Mailchimp"),
    ("ZWJ in emoji sequences", "👩‍💻 Climate Jobs for the 👨‍👩‍👧 family"),
    ("closing quote before an emoji", "She said “hi”😀 and left."),
    ("several in one paragraph",
     "“Yes,” “no,” and “maybe” — the “three answers” of the “committee.”"),
]

# Left alone: the lost byte is not decidable without a dictionary (or ftfy owns the case).
AMBIGUOUS = [
    # "Ã" + a lost byte is Á, Í, Ï, Ð or Ý
    ("capital A acute", "Ángel Di María scored."),
    ("capital I acute", "Íñigo Méndez de Vigo spoke."),
    # a digit, "â€", a letter: an inch mark ("9”pieces") or a hyphen ("32‐bit")
    ("digit before a letter: hyphen", "Int: A signed 32‐bit integer."),
    ("digit before a letter: inch", "Cut four 9”pieces for each bed."),
    # "â€?" with no other dropped byte: ftfy reads "?" as a replacing decoder's (its own case)
    ("closing quote before ?, nothing else dropped", "What makes a tool “lightweight”?"),
    # "”" as the first character before a space: ftfy reads "†" with a lost no-break space
    ("first in a line", "” Mayer said."),
]


def test_generated_lossy_sentences_are_restored() -> None:
    for label, text in SENTENCES:
        broken = lossy(text)
        assert broken != text and REMNANT in broken or "\u00ef\u00b8" in broken, label
        fixed, fixes = repair(broken, CFG)
        assert fixed == text, (label, fixed)
        assert any(f.name.startswith("lossy-mojibake:") for f in fixes), label


def test_fix_names_say_which_byte_was_restored() -> None:
    cases = {
        "rdquo": "“We will not stop,” she said.",
        "hyphen": "A UTF‐8 character sequence, “he said.”",
        "rdquo-question": "Was it “fair”? Many said “no.”",
        "vs16": "✔️ Maropost Marketing Cloud",
        "zwj": "👩‍💻 Climate Jobs",
        "zwj-alone": "\u200d",
    }
    assert set(cases) == {rule[0] for rule in LOSSY_RULES}
    for name, text in cases.items():
        _, fixes = repair(lossy(text), CFG)
        assert f"lossy-mojibake:{name}" in [f.name for f in fixes], name
    _, fixes = repair(lossy("“Yes,” he said, “twice.”"), CFG)
    assert fixes[0].name == "lossy-mojibake:rdquo"
    assert fixes[0].detail == "2 x \u00e2\u20ac + lost byte 0x9D -> U+201D"


def test_plan_replays_to_the_same_text() -> None:
    texts = [lossy(t) for _, t in SENTENCES + AMBIGUOUS] + [lossy(p) for p in _fixture_paragraphs()]
    for broken in texts:
        for cfg in (CFG, LENIENT):
            fixed, fixes = repair(broken, cfg)
            assert replay(broken, fixes) == fixed, broken
    with pytest.raises(ValueError, match="unknown lossy-mojibake rule 'ldquo'"):
        restore_lost_byte("x", "ldquo")


def test_ambiguous_remnants_are_left_to_ftfy() -> None:
    for label, text in AMBIGUOUS:
        broken = lossy(text)
        fixed, fixes = repair(broken, CFG)
        assert not any(f.name.startswith("lossy-mojibake:") for f in fixes), label
        expected = ftfy.fix_and_explain(broken, config=ftfy.TextFixerConfig(uncurl_quotes=False))
        assert fixed == expected.text, label


def test_remnant_needs_mojibake_evidence() -> None:
    # "â€" opening a line before a word, nothing else odd: left as it is (ftfy leaves it too)
    assert repair("\u00e2\u20acSleep is an investment", CFG) == ("\u00e2\u20acSleep is an investment", ())
    # ... and with other mojibake in the text it is "”"
    assert repair("\u00e2\u20acSleep is an investment,\u00e2\u20ac she said.", CFG)[0] == \
        "”Sleep is an investment,” she said."


def test_each_rule_restores_a_candidate_of_the_codecs() -> None:
    """A rule's byte is one cp1252 leaves undefined, and lead + byte is one character."""
    assert {f"U+{ord(c):04X}" for c in lost_byte_candidates(REMNANT).values()} == {
        "U+2001", "U+200D", "U+200F", "U+2010", "U+201D"}
    for name, lead, byte, _, _ in LOSSY_RULES:
        restored = (lead + byte).encode("sloppy-windows-1252").decode("utf-8")
        assert lost_byte_candidates(lead)[ord(byte)] == restored, name


def test_a_paragraph_that_lost_its_only_character() -> None:
    """Page builders keep an empty paragraph with an invisible ZWJ; lossy, it is "â€" alone."""
    assert repair(lossy("\u200d"), CFG)[0] == "\u200d"
    assert ftfy.fix_text(lossy("\u200d"), uncurl_quotes=False) == REMNANT


@pytest.mark.parametrize("text", [
    "✔️ Maropost Marketing Cloud, rated ✔️ by 👩‍💻 developers.",
    "🎙️ Inevitable podcast: ⚖️ Law and 👨‍👩‍👧 families.",
])
def test_a_file_that_lost_only_the_undefined_bytes(text: str) -> None:
    """The bytes were dropped from the file itself: the decoder reads the intact UTF-8
    sequences right (the emoji) and the damaged ones as stray cp1252 bytes ("✔ï¸"), as it
    does in a page of some size (a short one with that many bad bytes is detected)."""
    page = text + "\n" + "The council met on Tuesday to vote on the budget. " * 800
    data = bytes(b for b in page.encode("utf-8") if b not in UNDEFINED_IN_CP1252)
    broken = decode(data)[0].split("\n")[0]
    assert broken != text
    fixed, fixes = repair(broken, CFG)
    assert fixed == text
    assert {f.name for f in fixes} & {"lossy-mojibake:vs16", "lossy-mojibake:zwj"}
    assert replay(broken, fixes) == fixed


MENTIONS = [
    'Search the export for the string "\u00e2\u20ac" and replace it.',
    "Search the export for the string '\u00e2\u20ac' and replace it.",
    "Broken characters (\u00e2\u20ac) still appear in the archive.",
    "Broken characters [\u00e2\u20ac] still appear in the archive.",
]


@pytest.mark.parametrize("text", MENTIONS)
def test_a_mention_of_the_remnant_is_left_alone(text: str) -> None:
    """Text about mojibake quotes "â€" between ASCII quotes or brackets: that is a mention, not
    evidence of mojibake; ftfy leaves it alone, and so does repair."""
    assert ftfy.fix_text(text, uncurl_quotes=False) == text
    assert repair(text, CFG) == (text, ())


def test_ftfy_own_cases_involving_remnants() -> None:
    """ftfy test cases (in-the-wild.json, synthetic.json) that hold "â€" without its third byte."""
    cases = [
        # a decoder that wrote "?" for the lost byte: "â€?" is "�"
        ("The ICR has been upgraded to â€œbb+â€? from â€œbbâ€?",
         "The ICR has been upgraded to “bb+� from “bb�"),
        ("â€œlossy decodingâ€�", "“lossy decoding�"),
        # UTF-8 read as sloppy windows-1250: "â€ś" is "“", not a remnant before a word
        ("It was namedÂ â€žscarsÂ´ stonesâ€ś after the rock-climbers",
         "It was named\u00a0„scars´ stones“ after the rock-climbers"),
        # an absolutely hopeless garble stays one
        ("ã†â€™ãƒâ€ ã¢â‚¬â„¢ãƒæ’ã‚â¢", "ã†â€™ãƒâ€ ã¢â‚¬â„¢ãƒæ’ã‚â¢"),
    ]
    for broken, expected in cases:
        fixed, fixes = repair(broken, CFG)
        assert fixed == expected, broken
        assert not any(f.name.startswith("lossy-mojibake:") for f in fixes), broken


@pytest.mark.skipif(not FTFY_CASES.is_dir(), reason="../shared/corpora/ftfy_mojibake absent")
def test_ftfy_corpus_is_repaired_exactly_as_ftfy_does() -> None:
    """The new step never fires on ftfy's own cases: repair() stays ftfy, step for step, so the
    cases that passed still pass and the negative cases are untouched."""
    n = 0
    for path in sorted(FTFY_CASES.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            for cfg in (CFG, LENIENT):
                fixed, fixes = repair(case["original"], cfg)
                expected = ftfy.fix_and_explain(case["original"], config=ftfy.TextFixerConfig(
                    uncurl_quotes=cfg.uncurl_quotes, fix_character_width=cfg.fix_character_width))
                steps = [(f"ftfy:{s.action}", str(s.parameter)) for s in expected.explanation or ()]
                assert (fixed, [(f.name, f.detail) for f in fixes]) == (expected.text, steps), case["label"]
                n += 1
    assert n > 300


def _loses_a_byte(char: str) -> bool:
    return any(b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) for b in char.encode("utf-8"))


def _fixture_paragraphs() -> list[str]:
    """Paragraphs whose only characters that lose a byte are E2 80 xx ("”", "‐", ZWJ, RLM, em
    quad); a Korean article, whose syllables lose bytes too, is out of reach."""
    truth = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [p for v in truth.values() for p in v["articleBody"].split("\n")
            if any(_loses_a_byte(c) for c in p)
            and all(c in "\u201d\u2010\u200d\u200f\u2001" for c in p if _loses_a_byte(c))]


def test_real_news_paragraphs_keep_no_remnant() -> None:
    """Paragraphs of tests/fixtures/scrapinghub_subset holding "”", made lossy: ftfy alone keeps
    "â€" or turns it into "†" in every one; repair restores each."""
    paragraphs = _fixture_paragraphs()
    assert len(paragraphs) >= 50
    ftfy_wrong = 0
    for para in paragraphs:
        broken = lossy(para)
        assert REMNANT in broken
        ftfy_wrong += ftfy.fix_text(broken, uncurl_quotes=False) != para
        fixed, _ = repair(broken, CFG)
        assert fixed == para, para
        assert repair(fixed, CFG)[0] == fixed  # idempotent
    assert ftfy_wrong == len(paragraphs)


def test_correct_text_is_left_alone() -> None:
    for _, text in SENTENCES + AMBIGUOUS:
        assert repair(text, CFG) == (text, ()), text
    for para in _fixture_paragraphs():
        assert repair(para, CFG)[0] == para


def test_random_remnant_soup_never_raises_and_replays() -> None:
    """Random strings thick with leads, C1 bytes, "?" and mojibake: repair() ends, and its plan
    replays to the same text."""
    import random

    pieces = ["â€", "ï¸", "â€œ", "Ã©", "Ã", "Â", "?", " ", "\n", "a", "Z", "7", ".", "”", "–", "\x9d", "\x90",
              "\x8f", "¦", "™", "ðŸ", "\ufffd", "\xa0", "âœ”", "Ð", "Ñ€", "ãƒ"]
    rng = random.Random(26)
    restored = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        for cfg in (CFG, LENIENT):
            fixed, fixes = repair(text, cfg)
            assert replay(text, fixes) == fixed, repr(text)
            restored += any(f.name.startswith("lossy-mojibake:") for f in fixes)
    assert restored > 100
