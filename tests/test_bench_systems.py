"""benchmarks/quality.py's systems and halves: the split is fixed page by page, a system that is not
installed is skipped (never a crash), one that raises counts as empty output with its reason."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from benchmarks import quality
from benchmarks.corpora import half_of
from benchmarks.systems import SYSTEMS, System, block_text, run_system, split_available

GERMAN = ("Die Bundesregierung hat am Mittwoch beschlossen, dass die neuen Regeln für den Verkehr in den "
          "Städten erst im nächsten Jahr gelten sollen, weil die Länder noch mehr Zeit für die Umsetzung "
          "brauchen und die Kommunen sich bisher nicht auf einen gemeinsamen Plan einigen konnten.")


def test_half_of_is_fixed_page_by_page() -> None:
    # pinned: other benchmarks use the same rule, so a page must never change half
    assert [half_of("wcxb_test", k) for k in ("4011", "4015", "4016")] == ["tune", "report", "tune"]
    assert {half_of(c, "x") for c in ("a", "b", "c", "d", "e", "f", "g", "h")} == {"tune", "report"}


def test_half_of_splits_about_evenly() -> None:
    halves = [half_of("trafilatura_eval", f"https://example.com/{i}") for i in range(4000)]
    assert 0.47 < halves.count("tune") / len(halves) < 0.53


def test_a_system_not_installed_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SYSTEMS, "absent", System("absent", "newsclean_no_such_module", "absent",
                                                  lambda data: ("x", None)))
    assert split_available(("trafilatura", "absent")) == (("trafilatura",), ("absent",))
    with pytest.raises(ValueError, match="unknown system.*choose from"):
        split_available(("no-such-system",))


def test_a_system_that_raises_is_empty_output_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(data: bytes) -> tuple[str, str | None]:
        raise RuntimeError("cannot parse")

    monkeypatch.setitem(SYSTEMS, "boom", System("boom", "json", "boom", boom))
    out = run_system("boom", b"<html></html>")
    assert out["text"] == "" and out["reject"] == "RuntimeError: cannot parse" and out["sec"] >= 0


def test_block_text_puts_each_block_on_its_own_line() -> None:
    html = ("<html><body><div><h2>Title</h2><p>One <b>two</b>\n three</p><ul><li>a</li><li>b <a href='#'>c</a>"
            "</li></ul><p>four<br>five</p>x<!-- note -->y\x0bz</div></body></html>")
    assert block_text(html) == "Title\nOne two three\na\nb c\nfour\nfive\nxy z"
    assert block_text("  ") == ""


def _german_page(head: str) -> bytes:
    return (f"<html{head}><body><nav><a href='/'>Startseite</a></nav><article>"
            + "".join(f"<p>{GERMAN}</p>" for _ in range(3)) + "</article></body></html>").encode()


def test_justext_takes_the_declared_language_else_the_stoplist_covering_most_words() -> None:
    declared = run_system("justext", _german_page(' lang="de-DE"'))
    voted = run_system("justext", _german_page(""))
    assert declared["how"] == "stoplist German (declared)" and declared["text"].count(GERMAN) == 3
    assert voted["how"] == "stoplist German (most words)" and voted["text"].count(GERMAN) == 3
    import justext  # with the English stoplist alone jusText keeps nothing of this page
    assert not [p for p in justext.justext(_german_page(""), justext.get_stoplist("English"))
                if not p.is_boilerplate]


def test_quality_reports_a_missing_system_and_the_halves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A two-page CleanPortalEval-shaped corpus through quality.main: one page in each half."""
    monkeypatch.setitem(SYSTEMS, "absent", System("absent", "newsclean_no_such_module", "absent",
                                                  lambda data: ("x", None)))
    d = tmp_path / "cleanportaleval"
    (d / "GoldStandard").mkdir(parents=True)
    (d / "input").mkdir()
    keys = ["site_01", "site_02"]
    assert {half_of("cleanportaleval", k) for k in keys} == {"tune", "report"}
    for k in keys:
        (d / "GoldStandard" / f"{k}.txt").write_text(f"URL: http://x/{k}\n<p> {GERMAN}", encoding="utf-8")
        page = f"<html><body><nav>Home News</nav><article><p>{GERMAN}</p></article></body></html>"
        (d / "input" / f"{k}.html.gz").write_bytes(gzip.compress(page.encode()))
    assert quality.main([str(tmp_path), "--corpus", "cleanportaleval", "--jobs", "1",
                         "--systems", "trafilatura,absent,justext", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "absent: skipped (not installed)" in out
    report = out.split("Reporting half")[1].split("Tuning half")[0]
    assert "| cleanportaleval | trafilatura | 1 |" in " ".join(report.split())
    assert "skipped (not installed)" in report
    assert (tmp_path / "out" / "cleanportaleval.jsonl").exists()
