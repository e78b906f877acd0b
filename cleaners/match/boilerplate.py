"""Per-site boilerplate learned from the corpus itself.

A paragraph that one site repeats across several *different stories* is that
site's furniture (navigation, "What others are reading" lists, outlet blurbs,
copyright lines), even when no hand-written rule names it. Text that recurs
only among copies of one story (a syndicated paragraph) is not boilerplate:
we count distinct stories (first-pass near-duplicate clusters), not pages.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from cleaners.config import Config
from cleaners.kernels.text import norm_word_lines
from cleaners.match.dedup import Signatures, find_clusters
from cleaners.records import Document, Removal, site_name
from cleaners.store.docstore import DocInfo


def site_of(doc: Document | DocInfo) -> str | None:
    """The outlet, else the top folder of the file's path; None when neither says anything."""
    return site_name(doc.source.outlet, doc.source.path)


# What boilerplate is counted by: the hash of a paragraph's normalised words joined by spaces;
# None for a paragraph without words. Hashes, not the strings: the keys of every document are
# held at once, and they are only compared within one process (a 64-bit hash; a collision
# would need two different paragraphs of one site to collide).
Key = int | None


def learn_boilerplate(docs: Sequence[DocInfo], cfg: Config, shingles: list[np.ndarray],
                      sigs: Signatures, keys: Sequence[list[Key]]) -> dict[str, set[Key]]:
    """site -> keys of the paragraphs that recur in at least cfg.dedup.boilerplate_min_stories stories.

    ``shingles[i]``, ``sigs[i]`` and ``keys[i]`` are document i's shingle ids, MinHash
    signature and paragraph keys (``paragraph_keys_and_lines``). The stories are clustered
    even when no document has a site: the caller skips that case.
    """
    groups = find_clusters(shingles, cfg.dedup, sigs, cfg.index, cfg.index_url).groups
    story = np.empty(len(docs), dtype=np.int64)
    for g, members in enumerate(groups):
        story[members] = g
    # one row per (site, paragraph key, story), as arrays: a dict of sets costs ~300 bytes a key
    site_ids: dict[str, int] = {}
    col_site, col_key, col_story = array("q"), array("q"), array("q")
    for i, d in enumerate(docs):
        site = site_of(d)
        if site is None:
            continue
        sid = site_ids.setdefault(site, len(site_ids))
        for key in keys[i]:
            if key is not None:
                col_site.append(sid)
                col_key.append(key)
                col_story.append(int(story[i]))
    if not col_key:
        return {}
    s, k, t = (np.frombuffer(a, dtype=np.int64) for a in (col_site, col_key, col_story))
    order = np.lexsort((t, k, s))
    s, k, t = s[order], k[order], t[order]
    new_pair = np.r_[True, (s[1:] != s[:-1]) | (k[1:] != k[:-1])]
    new_story = new_pair | np.r_[True, t[1:] != t[:-1]]
    starts = np.flatnonzero(new_pair)
    stories = np.add.reduceat(new_story.astype(np.int64), starts)  # distinct stories per (site, key)
    names = list(site_ids)
    out: dict[str, set[Key]] = defaultdict(set)
    for at in starts[stories >= cfg.dedup.boilerplate_min_stories].tolist():
        out[names[int(s[at])]].add(int(k[at]))
    return dict(out)


def paragraph_keys_and_lines(paragraph_lists: Sequence[Sequence[str]]) -> list[tuple[list[Key], str | None, int]]:
    """For each document, given by its paragraphs: their keys (``Key``), its words as one line
    (``" ".join(norm_words(text))``, or None when a word holds a space: NFKC of some ligatures)
    and how many words it has.

    The paragraphs of all the documents are tokenised in one call (``norm_word_lines``),
    and no word list is made: the line is what document shingles are hashed from.
    """
    lines, gaps, counts = norm_word_lines([p for ps in paragraph_lists for p in ps])
    out: list[tuple[list[Key], str | None, int]] = []
    at = 0
    for ps in paragraph_lists:
        n = len(ps)
        mine = lines[at:at + n]
        keys: list[Key] = [hash(k) if k else None for k in mine]
        safe = bool(gaps[at:at + n].all())
        out.append((keys, " ".join(filter(None, mine)) if safe else None, int(counts[at:at + n].sum())))
        at += n
    return out


def boilerplate_hits(doc: Document | DocInfo, learned: dict[str, set[Key]], keys: list[Key]) -> list[bool] | None:
    """Which of the document's paragraphs (``keys``: their keys) its site repeats across stories;
    None when none or all of them are (a document is never emptied)."""
    gone = learned.get(site_of(doc) or "")
    if not gone:
        return None
    hit = [k in gone for k in keys]
    return hit if any(hit) and not all(hit) else None


def strip_boilerplate(doc: Document, learned: dict[str, set[Key]], keys: list[Key]) -> Document:
    """Remove the paragraphs ``boilerplate_hits`` names (reason site-boilerplate)."""
    hit = boilerplate_hits(doc, learned, keys)
    if hit is None:
        return doc
    kept = tuple(p for p, h in zip(doc.paragraphs, hit) if not h)
    removed = tuple(Removal(p, "site-boilerplate") for p, h in zip(doc.paragraphs, hit) if h)
    return replace(doc, paragraphs=kept, removed=doc.removed + removed)
