"""Loaders for the evaluation corpora under the corpus root (read-only).

HTML corpora yield ``Page`` items (where the gzipped page is and its gold);
the text corpora (ftfy cases, encoding samples, seeds) have their own loaders.
Nothing is copied: pages are read from the corpus root when they are scored.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.scoring import cleaneval_gold

HTML_CORPORA = ("scrapinghub_aeb", "wcxb_test", "trafilatura_eval", "cleanportaleval")
TEXT_CORPORA = ("ftfy_mojibake", "chardet_legacy_encodings", "charset_normalizer_samples")
ALL_CORPORA = HTML_CORPORA + TEXT_CORPORA + ("seeds",)
HALVES = ("tune", "report")


def half_of(corpus: str, key: str) -> str:
    """The half a page belongs to: "tune" (tune and look at it freely) or "report" (the figures to quote).

    The first byte of SHA-1 over "corpus/key", even or odd: fixed by the page alone, so a page never
    changes half when others are added or a run is limited, and other benchmarks that use the same
    rule agree page for page. ``key`` is the page key of ``load_pages``.

    >>> half_of("wcxb_test", "4015"), half_of("wcxb_test", "4016")
    ('report', 'tune')
    """
    return "tune" if hashlib.sha1(f"{corpus}/{key}".encode()).digest()[0] % 2 == 0 else "report"


@dataclass(frozen=True)
class Page:
    corpus: str
    key: str
    path: str  # absolute path of the .html.gz
    gold: Any = field(compare=False, hash=False)

    @property
    def half(self) -> str:
        return half_of(self.corpus, self.key)


def _limit(items: list, limit: int | None) -> list:
    return items if limit is None else items[:limit]


def load_pages(corpus: str, root: Path, limit: int | None = None) -> list[Page]:
    d = root / corpus
    if corpus == "scrapinghub_aeb":
        gt = json.loads((d / "ground-truth.json").read_text(encoding="utf-8"))
        return _limit([Page(corpus, k, str(d / "html" / f"{k}.html.gz"), gt[k].get("articleBody", ""))
                       for k in sorted(gt)], limit)
    if corpus == "wcxb_test":
        meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))["files"]
        pages = []
        for f in sorted((d / "ground-truth").glob("*.json")):
            g = json.loads(f.read_text(encoding="utf-8"))["ground_truth"]
            pages.append(Page(corpus, f.stem, str(d / "html" / f"{f.stem}.html.gz"), {
                "main": g.get("main_content") or "", "with": g.get("with") or [],
                "without": g.get("without") or [],
                "page_type": meta.get(f.stem, {}).get("page_type", "unknown")}))
        return _limit(pages, limit)
    if corpus == "trafilatura_eval":
        ev = json.loads((d / "evaldata.json").read_text(encoding="utf-8"))
        pages = []
        for url, item in ev.items():
            path = d / "html" / "eval" / f"{item['file']}.gz"
            if not path.exists():
                path = d / "html" / "cache" / f"{item['file']}.gz"
            pages.append(Page(corpus, url, str(path),
                              {"with": item.get("with") or [], "without": item.get("without") or [],
                               "file": item["file"]}))
        return _limit(pages, limit)
    if corpus == "cleanportaleval":
        pages = []
        for f in sorted((d / "GoldStandard").glob("*.txt")):
            raw = f.read_bytes().decode("utf-8", "replace")
            pages.append(Page(corpus, f.stem, str(d / "input" / f"{f.stem}.html.gz"), cleaneval_gold(raw)))
        return _limit(pages, limit)
    raise ValueError(f"not an HTML corpus: {corpus}")


def load_ftfy_cases(root: Path, limit: int | None = None) -> list[dict]:
    """All cases, each with the file it came from in ``file``."""
    cases = []
    for f in sorted((root / "ftfy_mojibake").glob("*.json")):
        for c in json.loads(f.read_text(encoding="utf-8")):
            cases.append({**c, "file": f.stem})
    return _limit(cases, limit)


# --- encoding corpora --------------------------------------------------------

# Codecs that browsers (WHATWG) use for a label, or that are byte supersets of
# it: a decoding with any of them that succeeds strictly is also correct text.
SUPERSETS = {
    "ascii": ("utf-8", "cp1252"),
    "latin-1": ("cp1252",),
    "iso8859-1": ("cp1252",),
    "iso8859-9": ("cp1254",),
    "tis-620": ("cp874",),
    "gb2312": ("gbk", "gb18030"),
    "gbk": ("gb18030",),
    "big5": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932",),
    "euc_kr": ("cp949",),
    "utf-8": ("utf-8-sig",),
    "utf-8-sig": ("utf-8",),
}


def python_codec(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def chardet_folder_label(folder: str) -> str:
    """'windows-1250-czech' -> 'windows-1250'; 'iso-8859-2-polish' -> 'iso-8859-2'."""
    m = re.match(r"^(iso-8859-\d+|windows-\d+)", folder, re.IGNORECASE)
    return m.group(1) if m else folder


@dataclass(frozen=True)
class EncSample:
    corpus: str
    key: str
    path: str
    label: str
    codec: str | None  # None: Python has no codec for the label (e.g. EUC-TW)


def load_encoding_samples(corpus: str, root: Path, limit: int | None = None) -> list[EncSample]:
    d = root / corpus
    out = []
    if corpus == "chardet_legacy_encodings":
        for sub in sorted(p for p in d.iterdir() if p.is_dir()):
            label = chardet_folder_label(sub.name)
            for f in sorted(sub.iterdir()):
                if f.is_file():
                    out.append(EncSample(corpus, f"{sub.name}/{f.name}", str(f), label, python_codec(label)))
    elif corpus == "charset_normalizer_samples":
        for line in (d / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            if not line.strip():
                continue
            name, label = line.split("\t")[:2]
            out.append(EncSample(corpus, name, str(d / name), label, python_codec(label)))
    else:
        raise ValueError(f"not an encoding corpus: {corpus}")
    return _limit(out, limit)


def true_texts(data: bytes, codec: str) -> set[str]:
    """Every correct decoding of ``data``: the labelled codec and its supersets."""
    out = set()
    for c in (codec,) + SUPERSETS.get(codec, ()):
        try:
            out.add(data.decode(c).lstrip("\ufeff"))
        except UnicodeDecodeError:
            pass
    return out
