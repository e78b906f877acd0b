"""Why a document is in its article, why an article has its members, why two documents were or
were not merged: what ``newsclean explain`` prints, read from the state alone.

The evidence is what the run kept in the state (cleaners/store/state.py): the documents' and
articles' records as last written; the verified pairs that joined each article (``links``: a
spanning tree of its members, each pair with the shingles the two texts share); the sketch
(shingle ids and MinHash values) of every text grouped by the last run; the matching settings.
Nothing is matched again, so an explanation holds after later runs too, and the same question
asked twice gets the same answer.

A merge follows ``cleaners.kernels.minhash_jit.link_buckets``: two documents are candidates when
their MinHash signatures agree on every row of one LSH band; a candidate pair is merged when
its exact shingle sets verify (``merge_rule``); an article is the connected members of merged
pairs. Its canonical document is the smallest ``canonical_key`` (cleaners/match/articles.py).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

import numpy as np

from cleaners.config import DedupConfig
from cleaners.kernels import intersection_sizes
from cleaners.kernels.text import word_count
from cleaners.match.articles import CANONICAL_STEPS, canonical_key, pair_scores
from cleaners.match.dedup import Sketch, SketchCache
from cleaners.records import Source
from cleaners.store.docstore import DocInfo
from cleaners.store.report import paragraph_diff
from cleaners.store.state import LinkRow, State

__all__ = ["UnknownId", "dedup_config", "explain", "explain_article", "explain_document", "explain_pair",
           "merge_rule", "render"]


class UnknownId(ValueError):
    """An id that is neither a document nor an article of the state."""

    def __init__(self, item: str, state: State) -> None:
        out = state.path.parent
        super().__init__(
            f"no document or article with id {item!r} in the state {state.path}: ids are the doc_id fields "
            f"of {out}/documents.jsonl and the article_id fields of {out}/articles.jsonl "
            f"(e.g. jq -r .doc_id {out}/documents.jsonl | head)")
        self.item = item


def dedup_config(state: State) -> DedupConfig:
    """The matching settings the state's runs used (a setting it does not record: its default)."""
    stored = json.loads(state.get_meta("matching_config") or "{}").get("dedup", {})
    known = {f.name for f in fields(DedupConfig)}
    return DedupConfig(**{k: v for k, v in stored.items() if k in known})


def thresholds(cfg: DedupConfig) -> dict[str, Any]:
    return {"jaccard": cfg.jaccard_threshold, "containment": cfg.containment_threshold,
            "min_containment_shingles": cfg.min_containment_shingles,
            "min_short_copy_shingles": cfg.min_short_copy_shingles, "lsh_bands": cfg.lsh_bands,
            "lsh_rows": cfg.lsh_rows}


def merge_rule(shared: int, size_a: int, size_b: int, cfg: DedupConfig) -> str | None:
    """The rule by which the linking kernel (``minhash_jit.link_buckets``) merges a compared pair
    with these shingle counts, or None when it refuses it. Keep it the kernel's condition:
    benchmarks/explain_check.py and tests/test_explain.py compare the two."""
    jac, con = pair_scores(shared, size_a, size_b)
    if jac >= cfg.jaccard_threshold:
        return f"jaccard >= {cfg.jaccard_threshold:g}"
    if con >= cfg.containment_threshold and min(size_a, size_b) >= cfg.min_containment_shingles:
        return f"containment >= {cfg.containment_threshold:g} with >= {cfg.min_containment_shingles} shingles"
    return None


def short_copy_rule(shared: int, size_a: int, size_b: int, cfg: DedupConfig) -> str | None:
    """The rule of a link the pair rules refuse but ``ClusterLinker.join_short_copies`` made: the
    shorter text wholly contained, with enough shingles (and in documents of one story only)."""
    small = min(size_a, size_b)
    if shared == small and small >= cfg.min_short_copy_shingles:
        return (f"short copy: wholly contained ({small} shingles >= {cfg.min_short_copy_shingles}), "
                "in documents of this story only")
    return None


def _refusal(shared: int, size_a: int, size_b: int, cfg: DedupConfig) -> str:
    """Why a compared pair is not merged (``merge_rule`` gave None)."""
    jac, con = pair_scores(shared, size_a, size_b)
    small = min(size_a, size_b)
    why = f"jaccard {jac:.4f} < {cfg.jaccard_threshold:g}"
    if con < cfg.containment_threshold:
        return why + f" and containment {con:.4f} < {cfg.containment_threshold:g}"
    return why + (f"; containment {con:.4f} >= {cfg.containment_threshold:g} but the shorter text has "
                  f"{small} shingles < {cfg.min_containment_shingles}")


def _link(row: LinkRow, cfg: DedupConfig) -> dict[str, Any]:
    a, b, jac, con, shared, la, lb = row
    return {"a": a, "b": b, "jaccard": round(jac, 4), "containment": round(con, 4), "shared_shingles": shared,
            "shingles_a": la, "shingles_b": lb,
            "rule": merge_rule(shared, la, lb, cfg) or short_copy_rule(shared, la, lb, cfg)}


Tree = dict[str, tuple[str, dict[str, Any]] | None]  # member -> (next member towards the root, their link)


def _tree(links: list[dict[str, Any]], root: str) -> Tree:
    """The members a forest of links joins to ``root``, each with its next step towards it
    (breadth first from the root: one pass for every member's chain)."""
    nbrs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for ln in links:
        nbrs.setdefault(ln["a"], []).append((ln["b"], ln))
        nbrs.setdefault(ln["b"], []).append((ln["a"], ln))
    tree: Tree = {root: None}
    todo = deque([root])
    while todo:
        x = todo.popleft()
        for y, ln in nbrs.get(x, ()):
            if y not in tree:
                tree[y] = (x, ln)
                todo.append(y)
    return tree


def _chain(tree: Tree, start: str) -> list[dict[str, Any]] | None:
    """The links from ``start`` to the tree's root, each read from -> to; [] at the root, None
    when the links do not join ``start`` to it."""
    if start not in tree:
        return None
    steps: list[dict[str, Any]] = []
    x = start
    while (step := tree[x]) is not None:
        nxt, ln = step
        steps.append({"from": x, "to": nxt, **{k: v for k, v in ln.items() if k not in ("a", "b")}})
        x = nxt
    return steps


def _links_note(state: State, linked: bool) -> str | None:
    """Said when an article's members are not all joined by stored links."""
    if linked:
        return None
    if not state.has_table("links"):
        return ("this state was written by a newsclean that did not keep the verified pairs (no links "
                "table): the next run with new input records them for every article it regroups")
    since = state.get_meta("links_since_generation")
    when = f" (runs before generation {since})" if since else ""
    return (f"this article was grouped before the state kept its verified pairs{when} and not regrouped "
            "since (it is outside --window-days, or no run with new input came after): its links are "
            "recorded when a run regroups it")


def _article_links(state: State, article: dict[str, Any], cfg: DedupConfig, root: str | None = None,
                   ) -> tuple[list[dict[str, Any]], Tree, bool]:
    """The stored links of an article's members, their tree towards ``root`` (default: the
    canonical document), and whether they join every member to it."""
    members = [m["doc_id"] for m in article["members"]]
    links = [_link(r, cfg) for r in state.links_among(members)]
    tree = _tree(links, root or article["canonical_doc_id"])
    return links, tree, all(m in tree for m in members)


def _info(rec: dict[str, Any]) -> DocInfo:
    return DocInfo(rec["doc_id"], Source(**rec["source"]), rec["title"], rec["published"], rec["language"])


def _key_of(rec: dict[str, Any]) -> tuple:
    """The document's canonical_key, as the run computed it from the grouped text."""
    return canonical_key(_info(rec), word_count(rec["text"]))


def _step_values(key: tuple) -> list[Any]:
    """What each step of the canonical rule looks at, readable (``CANONICAL_STEPS`` order)."""
    return [-key[0], not key[1], key[2] or None, not key[3], key[4]]


def canonical_comparison(rec: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """The canonical rule step by step for ``rec`` against ``other``: each step's values and the
    first step where they differ (which decides)."""
    ka, kb = _key_of(rec), _key_of(other)
    decides = next((n for n, (x, y) in enumerate(zip(ka, kb)) if x != y), None)
    steps = [{"step": name, "this": x, "other": y, "decides": n == decides}
             for n, (name, x, y) in enumerate(zip(CANONICAL_STEPS, _step_values(ka), _step_values(kb)))]
    return {"other": other["doc_id"], "wins": ka < kb,
            "decided_by": None if decides is None else CANONICAL_STEPS[decides],
            "steps": steps[:decides + 1] if decides is not None else steps}


def _doc_record(state: State, doc_id: str) -> dict[str, Any]:
    rec = state.doc_record(doc_id)
    if rec is None:
        raise UnknownId(doc_id, state)
    return rec


def _article_of(state: State, rec: dict[str, Any]) -> dict[str, Any]:
    article = state.article_record(rec["article_id"])
    if article is None:  # not expected: a commit writes both
        raise ValueError(f"document {rec['doc_id']!r} names article {rec['article_id']!r}, which the state "
                         f"{state.path} does not hold: rerun `newsclean export` or `newsclean run`")
    return article


def _doc_summary(rec: dict[str, Any]) -> dict[str, Any]:
    src = rec["source"]
    return {"doc_id": rec["doc_id"], "outlet": src.get("outlet"), "url": src.get("url"), "path": src["path"],
            "record": src.get("record"), "title": rec["title"], "published": rec["published"]}


def explain_document(state: State, doc_id: str) -> dict[str, Any]:
    """A document: its article, the chain of verified pairs from it to the canonical document,
    why it is not the canonical one, its removals and fixes, the passages it shares."""
    cfg = dedup_config(state)
    rec = _doc_record(state, doc_id)
    article = _article_of(state, rec)
    canon = article["canonical_doc_id"]
    _, tree, linked = _article_links(state, article, cfg)
    chain = _chain(tree, doc_id)
    if doc_id == canon:
        others = [m["doc_id"] for m in article["members"] if m["doc_id"] != canon]
        rule = canonical_comparison(rec, _doc_record(state, others[0])) if others else None
    else:
        rule = canonical_comparison(rec, _doc_record(state, canon))
    passages = []
    for p in article["shared_passages"]:
        mine = [o for o in p["occurrences"] if o["doc_id"] == doc_id]
        if mine:
            passages.append({"words": p["words"], "similarity": p["similarity"], "text": mine[0]["text"],
                             "start": mine[0]["start"], "end": mine[0]["end"],
                             "others": [{k: o[k] for k in ("doc_id", "outlet", "start", "end")}
                                        for o in p["occurrences"] if o["doc_id"] != doc_id]})
    return {"kind": "document", **_doc_summary(rec),
            "article": {"article_id": article["article_id"], "title": article["title"],
                        "members": len(article["members"]), "canonical_doc_id": canon},
            "canonical": doc_id == canon, "chain": chain,
            "links_note": None if chain is not None else _links_note(state, linked),
            "canonical_rule": rule, "removed": rec["removed"], "fixes": rec["fixes"],
            "passages": passages, "thresholds": thresholds(cfg)}


def paragraph_changes(canonical: str, member: str) -> dict[str, list[Any]]:
    """A member's paragraphs against the canonical text, as report.html shows them
    (``report.paragraph_diff``): those it lacks, its own, and those edited in place."""
    out: dict[str, list[Any]] = {"paragraphs_missing": [], "paragraphs_added": [], "paragraphs_changed": []}
    for op, old, new in paragraph_diff(canonical, member):
        if op == "missing":
            out["paragraphs_missing"].append(old)
        elif op == "added":
            out["paragraphs_added"].append(new)
        elif op == "changed":
            out["paragraphs_changed"].append({"canonical": old, "member": new})
    return out


def explain_article(state: State, article_id: str) -> dict[str, Any]:
    """An article: its members by outlet, each member's paragraphs missing and added against the
    canonical text, the verified pairs that joined them, its shared passages."""
    cfg = dedup_config(state)
    article = state.article_record(article_id)
    if article is None:
        raise UnknownId(article_id, state)
    canon = article["canonical_doc_id"]
    links, tree, linked = _article_links(state, article, cfg)
    by_outlet: dict[str | None, list[dict[str, Any]]] = {}
    for m in article["members"]:
        entry: dict[str, Any] = {"doc_id": m["doc_id"], "url": m.get("url"), "canonical": m["doc_id"] == canon,
                                 "similarity": m.get("similarity")}
        if m["doc_id"] != canon:
            rec = _doc_record(state, m["doc_id"])
            entry.update(containment=m.get("containment"),
                         # the counts of articles.jsonl: distinct paragraphs by their normalised words
                         counts={"missing": m.get("paragraphs_missing"), "added": m.get("paragraphs_added")},
                         **paragraph_changes(article["text"], rec["text"]), chain=_chain(tree, m["doc_id"]))
        by_outlet.setdefault(m.get("outlet"), []).append(entry)
    outlets = sorted(by_outlet, key=lambda o: (o is None, (o or "").casefold()))
    return {"kind": "article", "article_id": article_id, "title": article["title"], "canonical_doc_id": canon,
            "published": article["published"], "members": len(article["members"]),
            "members_by_outlet": [{"outlet": o, "members": by_outlet[o]} for o in outlets],
            "links": links, "links_note": _links_note(state, linked),
            "passages": [{"words": p["words"], "similarity": p["similarity"], "text": p["text"],
                          "occurrences": [{k: o[k] for k in ("doc_id", "outlet", "start", "end")}
                                          for o in p["occurrences"]]} for p in article["shared_passages"]],
            "thresholds": thresholds(cfg)}


def _sketch(state: State, rec: dict[str, Any], cfg: DedupConfig) -> tuple[Sketch, str]:
    """The sketch the run grouped the document's text by (stored), or the same signed again when
    the state no longer holds it (a document outside the window)."""
    stored = state.sketch(SketchCache.key(rec["text"]))
    if stored is not None:
        return stored, "stored"
    return SketchCache(cfg).get_many([rec["text"]])[0], "signed again"


def shared_bands(hv_a: np.ndarray, hv_b: np.ndarray, bands: int, rows: int) -> list[int]:
    """The LSH bands in which two signatures agree on every row (they share a bucket there)."""
    n = bands * rows
    same = (np.asarray(hv_a[:n]).reshape(bands, rows) == np.asarray(hv_b[:n]).reshape(bands, rows)).all(axis=1)
    return np.flatnonzero(same).tolist()


def explain_pair(state: State, a: str, b: str) -> dict[str, Any]:
    """Why two documents were or were not merged: were they candidates (a shared LSH band), their
    Jaccard and containment, the thresholds, the chain that joined them, the verdict."""
    if a == b:
        raise ValueError(f"--pair needs two different documents, got {a!r} twice")
    cfg = dedup_config(state)
    ra, rb = _doc_record(state, a), _doc_record(state, b)
    (ids_a, hv_a), how_a = _sketch(state, ra, cfg)
    (ids_b, hv_b), how_b = _sketch(state, rb, cfg)
    shared = int(intersection_sizes(np.concatenate([ids_a, ids_b]), np.array([len(ids_a), len(ids_b)]),
                                    np.array([0]), np.array([1]))[0])
    jac, con = pair_scores(shared, len(ids_a), len(ids_b))
    empty = not len(ids_a) or not len(ids_b)  # an empty text takes no LSH bucket
    bands = [] if empty else shared_bands(hv_a, hv_b, cfg.lsh_bands, cfg.lsh_rows)
    rule = merge_rule(shared, len(ids_a), len(ids_b), cfg)
    same = ra["article_id"] == rb["article_id"]
    chain = None
    if same:
        _, tree, _ = _article_links(state, _article_of(state, ra), cfg, root=b)
        chain = _chain(tree, a)
    if bands and rule:
        verdict, why = "merged", f"candidates (they share LSH band {bands[0]}) and verified: {rule}"
    elif chain and len(chain) == 1 and chain[0]["rule"]:
        verdict, why = "merged", f"joined directly by the {chain[0]['rule']}"
    elif chain:
        verdict = "merged"
        own = (f"their own comparison fails ({_refusal(shared, len(ids_a), len(ids_b), cfg)})" if bands else
               "they are not candidates themselves")
        why = f"joined through a chain of {len(chain)} verified pairs; {own}"
    elif same:
        verdict, why = "merged", ("in one article, but the pairs that joined it were not recorded: "
                                  + (_links_note(state, False) or ""))
    elif not bands:
        verdict = "not merged"
        why = ("not candidates: " + ("a text without shingles takes no LSH bucket" if empty else
               f"their signatures agree on none of the {cfg.lsh_bands} bands of {cfg.lsh_rows} rows")
               + ", so the run never compared them")
    else:
        verdict = "not merged"
        why = (f"candidates (they share LSH band {bands[0]}), compared and refused: "
               f"{_refusal(shared, len(ids_a), len(ids_b), cfg)}")
    agrees = (verdict == "merged") == same
    note = None
    if not agrees:
        note = ("the run grouped them apart although they verify: one of them was outside the matching window "
                "(--window-days) when the other was grouped")
    side = {"a": (ra, ids_a, how_a), "b": (rb, ids_b, how_b)}
    return {"kind": "pair",
            **{k: {**_doc_summary(r), "article_id": r["article_id"], "shingles": len(ids), "sketch": how}
               for k, (r, ids, how) in side.items()},
            "same_article": same, "candidates": bool(bands), "shared_bands": bands,
            "jaccard": round(jac, 4), "containment": round(con, 4), "shared_shingles": shared,
            "rule": rule, "chain": chain, "verdict": verdict, "why": why, "agrees_with_run": agrees,
            "note": note, "thresholds": thresholds(cfg)}


def explain(state: State, item: str) -> dict[str, Any]:
    """The explanation of a document id or an article id."""
    if state.doc_record(item) is not None:
        return explain_document(state, item)
    if state.article_record(item) is not None:
        return explain_article(state, item)
    raise UnknownId(item, state)


# ------------------------------------------------------------------------------ plain text


def render(e: dict[str, Any]) -> str:
    """An explanation as plain text."""
    lines = {"document": _render_document, "article": _render_article, "pair": _render_pair}[e["kind"]](e)
    return "\n".join(lines) + "\n"


def _who(doc_id: str, outlet: str | None) -> str:
    return f"{doc_id} ({outlet})" if outlet else doc_id


def _cut(text: str, n: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


def _rules(t: dict[str, Any]) -> str:
    return (f"merged when jaccard >= {t['jaccard']:g}, or containment >= {t['containment']:g} with the shorter "
            f"text >= {t['min_containment_shingles']} shingles; candidates share one of {t['lsh_bands']} LSH bands "
            f"of {t['lsh_rows']} rows")


def _chain_lines(chain: list[dict[str, Any]], indent: str = "  ") -> Iterable[str]:
    for n, s in enumerate(chain, 1):
        yield (f"{indent}{n}. {s['from']} -> {s['to']}: jaccard {s['jaccard']:.4f}, containment "
               f"{s['containment']:.4f} ({s['shared_shingles']} shared of {s['shingles_a']}/{s['shingles_b']} "
               f"shingles); merged by {s['rule'] or 'no rule (does not verify now)'}")


def _fmt(v: Any) -> str:
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return "none" if v is None else str(v)


def _render_document(e: dict[str, Any]) -> list[str]:
    a = e["article"]
    out = [f"document {e['doc_id']}", f"  outlet: {_fmt(e['outlet'])}  url: {_fmt(e['url'])}",
           f"  source: {e['path']}" + (f" record {e['record']}" if e["record"] is not None else ""),
           f"  title: {_fmt(e['title'])}", "",
           f"article {a['article_id']} ({a['members']} members): {_fmt(a['title'])}"]
    rule = e["canonical_rule"]
    if e["canonical"]:
        out.append("  this document is the article's canonical text")
        if rule is not None:
            out.append(f"  it is chosen over {rule['other']} by step {rule['decided_by']}:")
    else:
        out.append(f"  canonical document: {a['canonical_doc_id']}")
        out += ["", "why it is in the article (verified pairs from it to the canonical):"]
        out += list(_chain_lines(e["chain"])) if e["chain"] else [f"  {e['links_note']}"]
        out += ["", f"why it is not the canonical (the canonical rule, step by step, against {rule['other']}):"]
    if rule is not None:
        for s in rule["steps"]:
            mark = "  <- decides" if s["decides"] else "  (equal)"
            out.append(f"  {s['step']}: this {_fmt(s['this'])}, {'canonical' if not e['canonical'] else 'other'} "
                       f"{_fmt(s['other'])}{mark}")
    out += ["", f"removed paragraphs: {len(e['removed'])}"]
    out += [f"  - {r['reason']}: {_cut(r['text'])}" for r in e["removed"]]
    out += [f"fixes: {len(e['fixes'])}"]
    out += [f"  - {f['name']}" + (f": {_cut(f['detail'])}" if f.get("detail") else "") for f in e["fixes"]]
    return out + _passages_and_rules(e, lambda p: (f"{p['words']} words at {p['start']}-{p['end']}", "also in ",
                                                     p["others"]))


def _render_article(e: dict[str, Any]) -> list[str]:
    out = [f"article {e['article_id']}: {_fmt(e['title'])}",
           f"  {e['members']} members; canonical document {e['canonical_doc_id']}; published {_fmt(e['published'])}",
           "", "members by outlet:"]
    for group in e["members_by_outlet"]:
        out.append(f"  {group['outlet'] or '(no outlet)'}")
        for m in group["members"]:
            if m["canonical"]:
                out.append(f"    {m['doc_id']}  canonical  {_fmt(m['url'])}")
                continue
            out.append(f"    {m['doc_id']}  jaccard {m['similarity']}, containment {m['containment']}  "
                       f"{_fmt(m['url'])}")
            hops = m["chain"]
            if hops:
                out.append(f"      joined by {len(hops)} verified pair(s): first {hops[0]['to']} "
                           f"({hops[0]['rule']})")
            out += [f"      missing: {_cut(p)}" for p in m["paragraphs_missing"]]
            out += [f"      added:   {_cut(p)}" for p in m["paragraphs_added"]]
            out += [f"      changed: {_cut(c['member'])}" for c in m["paragraphs_changed"]]
            if not m["paragraphs_missing"] and not m["paragraphs_added"] and not m["paragraphs_changed"]:
                out.append("      same paragraphs as the canonical")
    out += ["", f"verified pairs that joined it: {len(e['links'])}"]
    out += [f"  {ln['a']} - {ln['b']}: jaccard {ln['jaccard']:.4f}, containment {ln['containment']:.4f}; "
            f"{ln['rule']}" for ln in e["links"]]
    if e["links_note"]:
        out.append(f"  {e['links_note']}")
    return out + _passages_and_rules(e, lambda p: (f"{p['words']} words", "", p["occurrences"]))


def _passages_and_rules(e: dict[str, Any], parts: Callable[[dict[str, Any]], tuple[str, str, list[dict[str, Any]]]]
                        ) -> list[str]:
    """The shared passages (``parts(p)``: its heading, the prefix of each place, its places) and
    the thresholds, at the end of a document's or an article's explanation."""
    out = ["", f"shared passages: {len(e['passages'])}"]
    for p in e["passages"]:
        head, prefix, places = parts(p)
        out.append(f"  - {head}: \"{_cut(p['text'], 80)}\"")
        out += [f"      {prefix}{_who(o['doc_id'], o['outlet'])} at {o['start']}-{o['end']}" for o in places]
    return out + ["", _rules(e["thresholds"])]


def _render_pair(e: dict[str, Any]) -> list[str]:
    a, b = e["a"], e["b"]
    out = [f"{e['verdict'].upper()}: {a['doc_id']} and {b['doc_id']}", f"  {e['why']}", ""]
    for k, d in (("A", a), ("B", b)):
        out.append(f"  {k} {_who(d['doc_id'], d['outlet'])}: article {d['article_id']}, {d['shingles']} shingles "
                   f"({d['sketch']} sketch)")
    t = e["thresholds"]
    bands = ", ".join(map(str, e["shared_bands"][:10])) + (" ..." if len(e["shared_bands"]) > 10 else "")
    out += ["", f"  candidates: {'yes, bands ' + bands if e['candidates'] else 'no'} "
                f"(of {t['lsh_bands']} bands x {t['lsh_rows']} rows)",
            f"  jaccard {e['jaccard']:.4f} (threshold {t['jaccard']:g}); containment {e['containment']:.4f} "
            f"(threshold {t['containment']:g}, shorter text >= {t['min_containment_shingles']} shingles); "
            f"{e['shared_shingles']} shared shingles",
            f"  rule: {e['rule'] or 'none passes'}",
            f"  the run put them in {'one article' if e['same_article'] else 'different articles'}"]
    if e["chain"]:
        out += ["", "  chain of verified pairs:"] + list(_chain_lines(e["chain"], "    "))
    if e["note"]:
        out += ["", f"  note: {e['note']}"]
    return out
