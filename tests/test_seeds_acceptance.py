"""The first acceptance case: the five seed scrapes of one event from four outlets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cleaners.match.articles import group_documents
from cleaners.config import Config
from tests.conftest import RAW, SHARED
from tests.helpers import run_folder

QUOTE = "important to deepen cooperation with like-minded countries"
CLUTTER = re.compile(r"POPULAR ARTICLE|ACCESS RANKING|Photo/Illu|Courtesy call on NATO Secretary General Rutte "
                     r"Courtesy call|main gate of the Defense Ministry is seen|center, attends a meeting")
LIST_ITEMS = ["Japanese Language Requirement Eyed", "As Chinese Tourists Shun Japan",
              "74% of Americans Believe", "Ishiba: Japan-U.S. Tariff Talks"]


def _sources() -> list[Path]:
    dirs = [RAW]
    if (SHARED / "seeds").is_dir():
        dirs.append(SHARED / "seeds")
    return dirs


def _body_sentences(path: Path) -> list[str]:
    """Sentences of the original file that are article body (long prose lines)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if len(line.split()) >= 15 and line.endswith((".", "”", '"')) and not CLUTTER.search(line):
            # the dateline prefix moves to metadata; compare from the first sentence word on
            out.append(re.sub(r"^[A-Z]{3,}\s*(?:—|--)\s*", "", line))
    return out


@pytest.mark.parametrize("root", _sources(), ids=lambda p: p.parent.name + "/" + p.name)
def test_seeds(root: Path) -> None:
    docs, rejects = run_folder(root)
    assert rejects == [] and len(docs) == 5
    by_name = {d.source.path: d for d in docs}
    for d in docs:
        assert not CLUTTER.search(d.text), d.source.path
        for item in LIST_ITEMS:
            assert item not in d.text
        for line in d.text.split("\n\n"):
            assert line.strip() not in ("-", ""), "list markers survive"
    for name, d in by_name.items():
        for sentence in _body_sentences(root / name):
            assert sentence in d.text, f"{name}: lost body text {sentence[:60]!r}"

    g = group_documents(docs, Config())
    assert len(g.articles) == 5, "different articles about one event must not merge"
    quote_passages = [p for a in g.articles for p in a["shared_passages"] if QUOTE in p["text"]]
    assert quote_passages, "the quote 001 reproduces from 003 must be a shared passage"
    occ = {o["doc_id"]: o for o in quote_passages[0]["occurrences"]}
    d001 = by_name["001_13634777a3f12016.txt"]
    d003 = by_name["003_0b6f6aec6e669403.txt"]
    assert set(occ) == {d001.doc_id, d003.doc_id}
    for d in (d001, d003):
        assert QUOTE in d.text[occ[d.doc_id]["start"]:occ[d.doc_id]["end"]]
    assert by_name["001_13634777a3f12016.txt"].published == "2024-10-18T15:02:00+09:00"
