"""report.html: one self-contained page over a run's outputs, for people.

Read from the three JSONL outputs (the output contract, never the state), streaming: the
articles first (the largest kept, and the shared passages with the most documents), then the
documents (counts, removals and fixes by reason, site boilerplate, and the texts of only the
documents the page shows), then the rejects. Every text is scraped and HTML-escaped; a link
is made only of an http(s) URL; the page loads nothing (inline CSS, no script), so it reads
the same from a mail attachment, a file:// path or with scripts off.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html import escape
from pathlib import Path
from typing import Any

from cleaners.config import ReportConfig
from cleaners.records import site_name
from cleaners.store.output import REPORT_NAME, write_text

SITE_BOILERPLATE = "site-boilerplate"  # the removal reason of learned boilerplate


# ---------------------------------------------------------------- reading the outputs


@dataclass
class _Passage:
    key: str  # anchor id: a hash of its occurrences
    text: str
    words: int
    similarity: float
    occurrences: list[dict[str, Any]]


@dataclass
class _Site:
    removals: int = 0
    documents: int = 0
    paragraphs: Counter[str] = field(default_factory=Counter)
    untracked: int = 0  # removals of paragraphs past ReportConfig.boilerplate_tracked


@dataclass
class ReportData:
    """What the page shows, gathered in one pass over each output file."""

    counts: dict[str, int] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)  # the largest, largest first
    passages: list[_Passage] = field(default_factory=list)  # the most shared first
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # doc_id -> shown document
    removals: Counter[str] = field(default_factory=Counter)
    removal_docs: Counter[str] = field(default_factory=Counter)
    removal_example: dict[str, str] = field(default_factory=dict)
    fixes: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    reject_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sites: dict[str, _Site] = field(default_factory=dict)


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSON Lines file; ValueError naming the file and line of a bad one."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path} line {n} is not JSON ({exc.msg}): rewrite the outputs with "
                                 f"`newsclean export {path.parent}`") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path} line {n} is not a JSON object: rewrite the outputs with "
                                 f"`newsclean export {path.parent}`")
            yield n, obj


def passage_key(p: dict[str, Any]) -> str:
    """A passage's id: the same on every article that carries it (its occurrences)."""
    spans = "|".join(f"{o['doc_id']}:{o['start']}:{o['end']}" for o in p["occurrences"])
    return "p" + hashlib.sha1(spans.encode()).hexdigest()[:12]


def member_order(article: dict[str, Any]) -> list[dict[str, Any]]:
    """Members as the page lists them: the canonical first, then by outlet, then as stored
    (most complete first)."""
    canon = article["canonical_doc_id"]
    rest = [m for m in article["members"] if m["doc_id"] != canon]
    rest.sort(key=lambda m: _outlet_of(m).casefold())  # stable: stored order within an outlet
    return [m for m in article["members"] if m["doc_id"] == canon] + rest


def _outlet_of(m: dict[str, Any]) -> str:
    return m.get("outlet") or site_name(None, m.get("path") or "") or "(no outlet)"


def _read_articles(path: Path, cfg: ReportConfig, data: ReportData) -> None:
    """Counts, the largest articles and the most shared passages (min-heaps: memory bounded)."""
    top: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
    best: list[tuple[tuple[int, int, str], _Passage]] = []
    seen: set[str] = set()
    articles = merged = 0
    for _, a in _lines(path):
        articles += 1
        merged += len(a["members"]) > 1
        keys = []
        for p in a.get("shared_passages") or ():
            key = passage_key(p)
            keys.append(key)
            if key in seen:
                continue
            seen.add(key)
            item = ((len(p["occurrences"]), int(p["words"]), key),
                    _Passage(key, p["text"], int(p["words"]), float(p["similarity"]), p["occurrences"]))
            _push(best, item, cfg.top_passages)
        rank = (len(a["members"]), len(keys), a["article_id"])
        if len(top) < cfg.top_articles or rank > top[0][0]:
            kept = {k: v for k, v in a.items() if k != "shared_passages"}
            _push(top, (rank, {**kept, "passage_keys": keys}), cfg.top_articles)
    data.counts.update(articles=articles, articles_with_several_members=merged, shared_passages=len(seen))
    data.articles = [a for _, a in sorted(top, key=lambda t: t[0], reverse=True)]
    data.passages = [p for _, p in sorted(best, key=lambda t: t[0], reverse=True)]


def _push(heap: list[Any], item: tuple[Any, Any], size: int) -> None:
    if len(heap) < size:
        heapq.heappush(heap, item)
    elif item[0] > heap[0][0]:
        heapq.heapreplace(heap, item)


def _wanted_docs(data: ReportData, cfg: ReportConfig) -> tuple[set[str], set[str]]:
    """(documents whose title the page shows, documents whose text it shows): the listed
    members; the members compared with their canonical text and the shown passages' documents."""
    titles, texts = set(), set()
    for a in data.articles:
        listed = member_order(a)[:cfg.members_per_article]
        titles.update(m["doc_id"] for m in listed)
        diffed = [m["doc_id"] for m in listed if m["doc_id"] != a["canonical_doc_id"]]
        texts.update(diffed[:cfg.diffs_per_article])
    for p in data.passages:
        texts.update(o["doc_id"] for o in p.occurrences[:cfg.occurrences_per_passage])
    return titles | texts, texts


def _read_documents(path: Path, cfg: ReportConfig, data: ReportData) -> None:
    want, want_text = _wanted_docs(data, cfg)
    documents = duplicates = removed = fixed = 0
    for _, d in _lines(path):
        documents += 1
        duplicates += d.get("duplicate_of") is not None
        reasons = set()
        for r in d.get("removed") or ():
            removed += 1
            reason = r["reason"]
            data.removals[reason] += 1
            if len(r["text"]) > len(data.removal_example.get(reason, "")[:cfg.snippet_chars]):
                data.removal_example[reason] = r["text"][:cfg.snippet_chars + 1]  # the longest says most
            reasons.add(reason)
            if reason == SITE_BOILERPLATE:
                _add_boilerplate(data, d, r["text"], cfg)
        data.removal_docs.update(reasons)
        if SITE_BOILERPLATE in reasons:
            data.sites[_site_of(d)].documents += 1
        for f in d.get("fixes") or ():
            fixed += 1
            data.fixes[f["name"]] += 1
        if d["doc_id"] in want:
            src = d.get("source") or {}
            data.docs[d["doc_id"]] = {"title": d.get("title"),
                                      "text": (d.get("text") or "") if d["doc_id"] in want_text else None,
                                      "url": src.get("url"), "outlet": src.get("outlet"),
                                      "path": src.get("path")}
    data.counts.update(documents=documents, duplicate_documents=duplicates, removals=removed, fixes=fixed)


def _site_of(d: dict[str, Any]) -> str:
    src = d.get("source") or {}
    return site_name(src.get("outlet"), src.get("path") or "") or "(no site)"


def _add_boilerplate(data: ReportData, d: dict[str, Any], text: str, cfg: ReportConfig) -> None:
    site = data.sites.setdefault(_site_of(d), _Site())
    site.removals += 1
    if text in site.paragraphs or len(site.paragraphs) < cfg.boilerplate_tracked:
        site.paragraphs[text] += 1
    else:
        site.untracked += 1


def _read_rejects(path: Path, cfg: ReportConfig, data: ReportData) -> None:
    n = 0
    for _, r in _lines(path):
        n += 1
        reason = str(r.get("reason"))
        data.rejects[reason] += 1
        examples = data.reject_examples.setdefault(reason, [])
        if len(examples) < cfg.rejects_per_reason:
            examples.append({"path": (r.get("source") or {}).get("path"), "detail": r.get("detail") or ""})
    data.counts["rejects"] = n


def read_outputs(out: Path, cfg: ReportConfig = ReportConfig()) -> ReportData:
    """Gather what the page shows from out/{articles,documents,rejects}.jsonl (a missing
    file counts as empty)."""
    data = ReportData()
    for name, read in (("articles", _read_articles), ("documents", _read_documents), ("rejects", _read_rejects)):
        path = out / f"{name}.jsonl"
        if path.exists():
            read(path, cfg, data)
    for key in ("documents", "duplicate_documents", "articles", "articles_with_several_members",
                "shared_passages", "rejects", "removals", "fixes"):
        data.counts.setdefault(key, 0)
    return data


# ---------------------------------------------------------------- paragraph diffs


def paragraphs(text: str) -> list[str]:
    """A cleaned text's paragraphs (the outputs separate them by a blank line)."""
    return [p for p in text.split("\n\n") if p.strip()]


def _key(p: str) -> str:
    return " ".join(p.split()).casefold()


def paragraph_diff(canonical: str, member: str) -> list[tuple[str, Any, Any]]:
    """A member's text against its canonical one, paragraph by paragraph (difflib, with
    whitespace and case ignored): ("same", count, None), ("missing", canonical paragraph,
    None), ("added", None, member paragraph) or ("changed", canonical paragraph, member
    paragraph) for a paragraph edited in place (half its words or more kept)."""
    a, b = paragraphs(canonical), paragraphs(member)
    ops: list[tuple[str, Any, Any]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, [_key(p) for p in a], [_key(p) for p in b],
                                               autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("same", i2 - i1, None))
            continue
        olds, news = a[i1:i2], b[j1:j2]
        while olds and news and _similar(olds[0], news[0]):
            ops.append(("changed", olds.pop(0), news.pop(0)))
        ops += [("missing", p, None) for p in olds] + [("added", None, p) for p in news]
    return ops


def _similar(a: str, b: str) -> bool:
    wa, wb = a.split(), b.split()
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio() >= 0.5


# ---------------------------------------------------------------- rendering


CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#222}
h1{font-size:1.5rem}h2{border-bottom:2px solid #ccd;margin-top:2.2rem}h3{font-size:1.05rem;margin:1.6rem 0 .3rem}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;
vertical-align:top}th{background:#f2f3f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
nav a{margin-right:1rem}.muted{color:#667}.canon{background:#f4faf0}
mark{background:#ffe08a;padding:0 1px}del,.missing{background:#fde4e4;text-decoration:none}
ins,.added{background:#e0f4e0;text-decoration:none}.doc{border-left:3px solid #ccd;margin:.5rem 0;padding:.1rem .8rem}
.diff p{margin:.25rem 0}.diff .tag{font-family:monospace;color:#667}details{margin:.2rem 0}
summary{cursor:pointer}#article-list a{color:#1646b4}.passage{border:1px solid #dde;margin:1rem 0;padding:.2rem .8rem}
code{font-size:.9em}
"""


def _e(text: Any) -> str:
    return escape("" if text is None else str(text), quote=True)


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n].rstrip() + " …"


def _href(url: Any) -> str | None:
    """An http(s) URL to link to, else None (a scraped javascript: or data: URL is never a link)."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    return u if u.lower().startswith(("http://", "https://")) else None


def _title(t: Any, n: int) -> str:
    return _e(_cut(t, n)) if t else '<span class="muted">(no title)</span>'


def _link(title_html: str, url: Any) -> str:
    href = _href(url)
    return f'<a href="{_e(href)}" rel="noreferrer">{title_html}</a>' if href else title_html


def _n(value: int) -> str:
    return f"{value:,}"


class _Budget:
    """Adds rendered items to a section until its bytes are spent."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used, self.left_out = limit, 0, 0

    def take(self, html: str) -> bool:
        size = len(html.encode("utf-8"))
        if self.left_out or self.used + size > self.limit:
            self.left_out += 1
            return False
        self.used += size
        return True

    def note(self, what: str) -> str:
        return (f'<p class="muted">{self.left_out} more {what} not shown: the section reached its size '
                f'bound ({_n(self.limit)} bytes, ReportConfig).</p>') if self.left_out else ""


COUNT_LABELS = {
    "documents": "documents", "duplicate_documents": "duplicate documents (not canonical)",
    "articles": "articles (canonical)", "articles_with_several_members": "articles with several members",
    "shared_passages": "shared passages", "rejects": "rejected inputs", "removals": "removed paragraphs",
    "fixes": "fixes",
}
RUN_COUNTS = ("files", "files_processed", "files_unchanged", "new_documents", "new_articles",
              "grown_articles", "rejected")


def _header(out: Path, data: ReportData, run: dict[str, Any] | None) -> Iterator[str]:
    yield ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           '<link rel="icon" href="data:,">'  # no favicon request
           f"<title>newsclean report: {_e(out.name or str(out))}</title><style>{CSS}</style></head><body>\n")
    yield f"<h1>newsclean report</h1>\n<p>Outputs in <code>{_e(out)}</code>"
    if run:
        yield (f", written by flow run <code>{_e(run.get('run_id'))}</code> "
               f"({_e(run.get('started'))} to {_e(run.get('finished'))})")
    yield (".</p>\n<nav><a href=\"#counts\">Counts</a><a href=\"#articles\">Largest articles</a>"
           "<a href=\"#rejects\">Rejects</a><a href=\"#removals\">Removals</a><a href=\"#members\">Members</a>"
           "<a href=\"#passages\">Shared passages</a><a href=\"#boilerplate\">Site boilerplate</a></nav>\n")
    yield '<h2 id="counts">Counts</h2>\n<table>'
    for key, label in COUNT_LABELS.items():
        yield f'<tr><th>{label}</th><td class="n" data-count="{key}">{_n(data.counts[key])}</td></tr>'
    yield "</table>\n"
    counts = (run or {}).get("counts") or {}
    shown = [(k, counts[k]) for k in RUN_COUNTS if isinstance(counts.get(k), int)]
    if shown:
        yield '<p>This run:</p><table>' + "".join(
            f'<tr><th>{_e(k.replace("_", " "))}</th><td class="n" data-run-count="{_e(k)}">{_n(v)}</td></tr>'
            for k, v in shown) + "</table>\n"
    seconds = (run or {}).get("seconds") or {}
    if seconds:
        yield '<p class="muted">Seconds: ' + ", ".join(f"{_e(k)} {_e(v)}" for k, v in seconds.items()) + "</p>\n"


def _reason_table(title: str, anchor: str, counts: Counter[str], extra: Any, heads: tuple[str, ...],
                  cfg: ReportConfig, budget: _Budget) -> Iterator[str]:
    """A table of counts by reason, largest first (its count cells carry data-ANCHOR="reason")."""
    yield f'<h2 id="{anchor}">{title}</h2>\n'
    if not counts:
        yield '<p class="muted">None.</p>\n'
        return
    yield "<table><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>"
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for reason, n in ranked[:cfg.reason_rows]:
        row = f'<tr><td>{_e(reason)}</td><td class="n" data-{anchor}="{_e(reason)}">{_n(n)}</td>{extra(reason)}</tr>'
        if budget.take(row):
            yield row
    yield "</table>\n"
    rest = ranked[cfg.reason_rows:]
    if rest:
        yield (f'<p class="muted">{len(rest)} other reasons ({_n(sum(n for _, n in rest))} in all) '
               "not listed.</p>\n")
    yield budget.note("reasons")


def _rejects(data: ReportData, cfg: ReportConfig, budget: _Budget) -> Iterator[str]:
    def examples(reason: str) -> str:
        items = "".join(f"<li><code>{_e(_cut(str(x['path']), cfg.snippet_chars))}</code> "
                        f"{_e(_cut(str(x['detail']), cfg.snippet_chars))}</li>"
                        for x in data.reject_examples.get(reason, ()))
        return f"<td><ul>{items}</ul></td>"

    yield from _reason_table("Rejected inputs by reason", "rejects", data.rejects, examples,
                             ("reason", "inputs", "first inputs"), cfg, budget)


def _removals(data: ReportData, cfg: ReportConfig, budget: _Budget) -> Iterator[str]:
    def extra(reason: str) -> str:
        return (f'<td class="n">{_n(data.removal_docs[reason])}</td>'
                f"<td>{_e(_cut(data.removal_example.get(reason, ''), cfg.snippet_chars))}</td>")

    yield from _reason_table("Removed paragraphs by reason", "removals", data.removals, extra,
                             ("reason", "paragraphs", "documents", "example"), cfg, budget)
    if data.fixes:
        yield from _reason_table("Fixes by name", "fixes", data.fixes, lambda _: "", ("fix", "count"), cfg, budget)


def _word_diff(a: str, b: str, cfg: ReportConfig) -> str:
    """A changed paragraph: deleted words struck, inserted ones marked, long equal runs cut."""
    wa, wb = a.split(), b.split()
    parts = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag == "equal":
            run = wa[i1:i2]
            parts.append(_e(" ".join(run)) if len(run) <= 12 else
                         f'{_e(" ".join(run[:5]))} <span class="muted">…</span> {_e(" ".join(run[-5:]))}')
            continue
        if i2 > i1:
            parts.append(f"<del>{_e(_cut(' '.join(wa[i1:i2]), cfg.snippet_chars))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{_e(_cut(' '.join(wb[j1:j2]), cfg.snippet_chars))}</ins>")
    return " ".join(parts)


def render_diff(canonical: str, member: str, cfg: ReportConfig) -> tuple[str, Counter[str]]:
    """The compact HTML of ``paragraph_diff`` (at most cfg.diff_items differences) and the
    number of paragraphs of each kind."""
    ops = paragraph_diff(canonical, member)
    kinds = Counter()
    lines, shown = [], 0
    for kind, a, b in ops:
        kinds[kind] += a if kind == "same" else 1
        if shown >= cfg.diff_items:
            continue  # counted, not shown
        if kind == "same":
            lines.append(f'<p class="muted">… {a} paragraph{"s" if a != 1 else ""} the same …</p>')
        else:
            shown += 1
            if kind == "missing":
                lines.append(f'<p class="missing"><span class="tag">− </span>{_e(_cut(a, cfg.snippet_chars))}</p>')
            elif kind == "added":
                lines.append(f'<p class="added"><span class="tag">+ </span>{_e(_cut(b, cfg.snippet_chars))}</p>')
            else:
                lines.append(f'<p><span class="tag">~ </span>{_word_diff(a, b, cfg)}</p>')
    hidden = sum(1 for k, _, _ in ops if k != "same") - shown
    if hidden > 0:
        lines.append(f'<p class="muted">{hidden} more differences not shown.</p>')
    return '<div class="diff">' + "".join(lines) + "</div>", kinds


def _member_rows(a: dict[str, Any], data: ReportData, cfg: ReportConfig) -> Iterator[str]:
    canon = a["canonical_doc_id"]
    members = member_order(a)
    diffs_left = cfg.diffs_per_article
    for m in members[:cfg.members_per_article]:
        doc = data.docs.get(m["doc_id"])
        is_canon = m["doc_id"] == canon
        title = _link(_title(doc["title"], cfg.snippet_chars) if doc else f"<code>{_e(m['doc_id'])}</code>",
                      m.get("url"))
        cont = "" if is_canon else f'{m.get("containment", 0):.2f}'
        miss = "" if is_canon else _n(m.get("paragraphs_missing", 0))
        add = "" if is_canon else _n(m.get("paragraphs_added", 0))
        yield (f'<tr class="{"canon" if is_canon else ""}"><td>{_e(_outlet_of(m))}</td><td>{title}'
               f'{" <b>(canonical)</b>" if is_canon else ""}<br><span class="muted"><code>{_e(m["doc_id"])}'
               f'</code> {_e(_cut(str(m.get("path") or ""), cfg.snippet_chars))}</span></td>'
               f'<td class="n">{m.get("similarity", 0):.2f}</td><td class="n">{cont}</td>'
               f'<td class="n">{miss}</td><td class="n">{add}</td></tr>')
        if not is_canon and doc is not None and doc["text"] is not None and diffs_left > 0:
            diffs_left -= 1
            html, kinds = render_diff(a.get("text") or "", doc["text"], cfg)
            yield (f'<tr><td></td><td colspan="5"><details><summary>against the canonical text: '
                   f'{kinds["missing"]} missing, {kinds["added"]} added, {kinds["changed"]} changed, '
                   f'{kinds["same"]} the same</summary>{html}</details></td></tr>')
    if len(members) > cfg.members_per_article:
        yield (f'<tr><td colspan="6" class="muted">{len(members) - cfg.members_per_article} more members '
               "not listed.</td></tr>")


def _article(rank: int, a: dict[str, Any], data: ReportData, cfg: ReportConfig,
             shown_passages: set[str]) -> str:
    outlets = Counter(_outlet_of(m) for m in a["members"])
    by_outlet = ", ".join(f"{_e(o)} ({n})" for o, n in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0])))
    links = " ".join(f'<a href="#{k}">{k}</a>' if k in shown_passages else f"<code>{k}</code>"
                     for k in a["passage_keys"])
    parts = [f'<section class="article" id="a-{_e(a["article_id"])}"><h3>{rank}. '
             f'{_title(a.get("title"), cfg.snippet_chars)}</h3>',
             f'<p><code>{_e(a["article_id"])}</code>, {len(a["members"])} members, published '
             f'{_e(a.get("published") or "-")}, language {_e(a.get("language") or "-")}. '
             f"Members by outlet: {by_outlet}.</p>"]
    if links:
        parts.append(f"<p>Shared passages: {links}</p>")
    parts.append("<table><tr><th>outlet</th><th>document</th><th>similarity</th><th>containment</th>"
                 "<th>missing</th><th>added</th></tr>")
    parts.extend(_member_rows(a, data, cfg))
    parts.append("</table></section>\n")
    return "".join(parts)


def _articles(data: ReportData, cfg: ReportConfig, budget: _Budget) -> tuple[str, list[str]]:
    """(the list of the largest articles, each one's section): the list comes near the top of
    the page, the sections after the reason tables; an article whose section does not fit the
    budget is left out of both."""
    head = ('<h2 id="articles">Largest articles</h2>\n<p class="muted">The articles with the most members, '
            "then the most shared passages; each links to its members, by outlet, and their differences "
            "from the canonical text.</p>\n")
    if not data.articles:
        return head + '<p class="muted">No articles.</p>\n', []
    shown_passages = {p.key for p in data.passages}
    rendered = [(rank, a, html) for rank, a in enumerate(data.articles, 1)
                if budget.take(html := _article(rank, a, data, cfg, shown_passages))]
    rows = "".join(
        f'<tr><td class="n">{rank}</td><td><a href="#a-{_e(a["article_id"])}">'
        f'{_title(a.get("title"), cfg.snippet_chars)}</a></td><td class="n">{len(a["members"])}</td>'
        f'<td class="n">{len({_outlet_of(m) for m in a["members"]})}</td>'
        f'<td class="n">{len(a["passage_keys"])}</td></tr>' for rank, a, _ in rendered)
    more = data.counts["articles"] - len(rendered)
    listing = (head + '<table id="article-list"><tr><th>#</th><th>title</th><th>members</th><th>outlets</th>'
               f"<th>shared passages</th></tr>{rows}</table>\n" + budget.note("articles")
               + (f'<p class="muted">{_n(more)} smaller articles not listed.</p>\n' if more > 0 else ""))
    details = ['<h2 id="members">Members of the largest articles</h2>\n<p class="muted">Similarity is the '
               "Jaccard of word shingles with the canonical document, containment the share of the member's "
               "shingles found in it; missing and added count the member's paragraphs that the canonical text "
               "has and it lacks, and the other way round. Each member's diff against the canonical text "
               "opens below it.</p>\n"]
    return listing, details + [html for _, _, html in rendered]


def highlight(text: str, start: int, end: int, cfg: ReportConfig) -> str:
    """text[start:end] marked, with cfg.context_chars of context on each side; a span longer
    than cfg.span_chars shows its head and tail."""
    lo, hi = max(0, start - cfg.context_chars), min(len(text), end + cfg.context_chars)
    span = text[start:end]
    if len(span) > cfg.span_chars:
        half = cfg.span_chars // 2
        inner = (f'{_e(span[:half])}<span class="muted"> [… {_n(len(span) - 2 * half)} characters …] </span>'
                 f"{_e(span[-half:])}")
    else:
        inner = _e(span)
    return (f'{"… " if lo else ""}{_e(text[lo:start])}<mark data-start="{start}" data-end="{end}">{inner}</mark>'
            f'{_e(text[end:hi])}{" …" if hi < len(text) else ""}')


def _passage(p: _Passage, data: ReportData, cfg: ReportConfig) -> str:
    parts = [f'<div class="passage" id="{p.key}"><p><b>{len(p.occurrences)} documents</b>, {p.words} words, '
             f"similarity {p.similarity:.2f} <code>{p.key}</code></p>"]
    for o in p.occurrences[:cfg.occurrences_per_passage]:
        doc = data.docs.get(o["doc_id"])
        label = _link(_title(doc["title"], cfg.snippet_chars), doc["url"]) if doc else ""
        outlet = o.get("outlet") or (site_name(None, doc["path"] or "") if doc else None) or "(no outlet)"
        body = (highlight(doc["text"], int(o["start"]), int(o["end"]), cfg) if doc and doc["text"] is not None
                else f"<mark>{_e(_cut(o.get('text') or '', cfg.span_chars))}</mark>")
        parts.append(f'<div class="doc" data-doc="{_e(o["doc_id"])}"><p><b>{_e(outlet)}</b> {label} '
                     f'<span class="muted"><code>{_e(o["doc_id"])}</code> characters {int(o["start"])}-'
                     f'{int(o["end"])}</span></p><p>{body}</p></div>')
    if len(p.occurrences) > cfg.occurrences_per_passage:
        parts.append(f'<p class="muted">{len(p.occurrences) - cfg.occurrences_per_passage} more documents.</p>')
    return "".join(parts) + "</div>\n"


def _passages(data: ReportData, cfg: ReportConfig, budget: _Budget) -> Iterator[str]:
    yield (f'<h2 id="passages">Shared passages</h2>\n<p class="muted">{_n(data.counts["shared_passages"])} '
           "passages shared by different articles; those in the most documents first, each span marked in "
           "its document's cleaned text (offsets are characters of the document's <code>text</code>).</p>\n")
    if not data.passages:
        yield '<p class="muted">None.</p>\n'
    for p in data.passages:
        html = _passage(p, data, cfg)
        if budget.take(html):
            yield html
    yield budget.note("passages")


def _boilerplate(data: ReportData, cfg: ReportConfig, budget: _Budget) -> Iterator[str]:
    yield ('<h2 id="boilerplate">Site boilerplate</h2>\n<p class="muted">Paragraphs removed as '
           f"<code>{SITE_BOILERPLATE}</code>: learned from the corpus, repeated by one site (its outlet, "
           "else the top folder of its files) in several different stories.</p>\n")
    if not data.sites:
        yield '<p class="muted">None learned.</p>\n'
        return
    ranked = sorted(data.sites.items(), key=lambda kv: (-kv[1].removals, kv[0]))
    for site, s in ranked[:cfg.boilerplate_sites]:
        rows = "".join(f'<tr><td class="n">{_n(n)}</td><td>{_e(_cut(text, cfg.snippet_chars))}</td></tr>'
                       for text, n in sorted(s.paragraphs.items(), key=lambda kv: (-kv[1], kv[0]))
                       [:cfg.boilerplate_per_site])
        more = len(s.paragraphs) - cfg.boilerplate_per_site + (1 if s.untracked else 0)
        html = (f'<h3>{_e(site)}</h3><p>{_n(s.removals)} paragraphs removed from {_n(s.documents)} documents, '
                f"{_n(len(s.paragraphs))}{'+' if s.untracked else ''} different.</p><table><tr><th>removed</th>"
                f"<th>paragraph</th></tr>{rows}</table>"
                + (f'<p class="muted">{more} more paragraphs.</p>' if more > 0 else "") + "\n")
        if budget.take(html):
            yield html
    if len(ranked) > cfg.boilerplate_sites:
        yield f'<p class="muted">{len(ranked) - cfg.boilerplate_sites} more sites not listed.</p>\n'
    yield budget.note("sites")


def render(out: Path, data: ReportData, run: dict[str, Any] | None = None,
           cfg: ReportConfig = ReportConfig()) -> Iterator[str]:
    """The page, in parts."""
    listing, articles = _articles(data, cfg, _Budget(cfg.articles_bytes))
    yield from _header(out, data, run)
    yield listing
    reasons = _Budget(cfg.reasons_bytes)
    yield from _rejects(data, cfg, reasons)
    yield from _removals(data, cfg, reasons)
    yield from articles
    yield from _passages(data, cfg, _Budget(cfg.passages_bytes))
    yield from _boilerplate(data, cfg, _Budget(cfg.boilerplate_bytes))
    yield "</body></html>\n"


@dataclass(frozen=True)
class ReportWritten:
    path: Path
    bytes: int
    articles: int  # articles in articles.jsonl
    articles_shown: int  # the largest, kept for the page (its size bound may show fewer)


def write_report(out: Path, run: dict[str, Any] | None = None,
                 cfg: ReportConfig = ReportConfig()) -> ReportWritten:
    """Build out/report.html from the JSONL outputs in ``out`` (``run``: the run.json object of
    the run that wrote them, for its id and counts), atomically."""
    data = read_outputs(out, cfg.validate())
    path = out / REPORT_NAME
    write_text(path, render(out, data, run, cfg))
    return ReportWritten(path, path.stat().st_size, data.counts["articles"], len(data.articles))


__all__ = ["ReportData", "ReportWritten", "paragraph_diff", "highlight", "passage_key", "read_outputs",
           "render", "render_diff", "write_report"]
