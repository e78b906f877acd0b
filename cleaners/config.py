"""Configuration: frozen dataclasses with defaults.

Every non-obvious default carries its reason. ``Config.validate`` checks the
values at the boundary and names the bad value and the fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReadConfig:
    # 50 MB: real article pages are well under 5 MB; bigger files are dumps or
    # attacks and would stall extraction. Raise it with --max-file-mb.
    max_file_bytes: int = 50 * 1024 * 1024
    # Bound on decompressed size of one .gz, so a gzip bomb cannot fill memory.
    max_decompressed_bytes: int = 200 * 1024 * 1024
    follow_symlinks: bool = False  # never leave INPUT_DIR unless asked
    # A JSON Lines file or, with several workers, a .jsonl.gz or WARC file bigger than
    # this is cleaned in shares of at least this many bytes, about four per worker
    # (cleaners.clean.batch.split_files), each its own batch, so one feed dump or crawl uses
    # every worker and no worker holds all of a feed.
    # 4 MiB is about 700 text records or 50-100 HTML pages: enough work that a task
    # run's orchestration stays a small part of it. Outputs do not depend on it.
    share_bytes: int = 4 * 1024 * 1024
    # Off: a file whose size and mtime match the state's is taken as unchanged without
    # reading it (a run over 100,000 unchanged files reads none). On (--verify-content):
    # every file is hashed, for inputs copied with cp -p, rsync -t or tar, which restore
    # mtimes, so a changed file of the same size would be missed.
    verify_content: bool = False


@dataclass(frozen=True)
class EncodingConfig:
    # ftfy's default turns curly quotes into straight ones; that changes
    # correct text, so we keep them.
    uncurl_quotes: bool = False
    # Full-width characters are correct in Japanese/Chinese text; ftfy's width
    # fix would rewrite them.
    fix_character_width: bool = False


@dataclass(frozen=True)
class ExtractConfig:
    include_tables: bool = True
    include_comments: bool = False  # reader comments are not the article
    # Titles longer than this are not taken from the first line of a .txt.
    max_title_chars: int = 200
    # Fewer words than this after cleaning is a navigation stub or an error
    # page, not an article (rejected as too-short).
    min_words: int = 10
    # A paragraph of at least repeat_min_words words found reextract_repeats
    # times in trafilatura's output means it took several renderings of the
    # story; extraction is then re-run in recall mode (see extract_html). 3, not
    # 2: some pages really show a text twice and their gold keeps both copies
    # (cleanportaleval), while 3+ copies were extraction errors on
    # scrapinghub_aeb and wcxb_test. Set to 0 to never re-run.
    repeat_min_words: int = 15
    reextract_repeats: int = 3


@dataclass(frozen=True)
class ClutterConfig:
    # Clutter rules switched off, by name (the names are the removal reasons; the rules
    # are registered in cleaners/clean/clutter.py, which rejects an unknown name). All are
    # on by default: each was added for clutter seen on real pages, with tests of the
    # sentences it must keep.
    disabled: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.disabled, str):
            raise ValueError(f"clutter.disabled must be a set of rule names, got the string "
                             f"{self.disabled!r}; write [{self.disabled!r}]")
        object.__setattr__(self, "disabled", frozenset(self.disabled))  # from_dict gives a list


@dataclass(frozen=True)
class DedupConfig:
    num_perm: int = 128
    # datasketch 2.0 changed the default scheme; signatures made under
    # different schemes must never be mixed, so it is set and recorded.
    scheme: str = "affine32"
    seed: int = 1
    shingle_words: int = 5  # word 5-grams: the usual unit for near-duplicate news
    # How a shingle becomes a 32-bit id (cleaners/kernels/shingles.py): "poly64-fmix64",
    # a polynomial hash of its bytes, vectorised over all shingles of a batch and much
    # faster than SHA-1; "sha1_hash32" gives datasketch's sha1_hash32 ids.
    shingle_hash: str = "poly64-fmix64"
    # LSH bands x rows = num_perm. 64 x 2 puts the candidate curve near
    # Jaccard 0.13, because abridged reprints have Jaccard 0.3-0.45 with their
    # original (32 x 4 missed 8 of 589 items in benchmarks/syndication.py).
    # Every candidate is verified on the exact shingle sets before merging.
    lsh_bands: int = 64
    lsh_rows: int = 2
    jaccard_threshold: float = 0.7
    # Abridged reprints: the shorter text is mostly contained in the longer.
    # 0.75: trimmed and re-joined reprints measured 0.70-0.85; at 0.65 a story
    # quoting a long passage of another merged with it (syndication benchmark).
    containment_threshold: float = 0.75
    # Containment is only trusted when the shorter text has this many shingles:
    # a one-line snippet is contained in many stories.
    min_containment_shingles: int = 40
    # A text left alone (at least this many shingles) joins a story when it is wholly
    # contained in documents of that story and of no other: an abridged reprint of the first
    # paragraphs, too short for the containment rule or missed by LSH
    # (kernels.ClusterLinker.join_short_copies). Calibrated on benchmarks/short_copies.py.
    min_short_copy_shingles: int = 8
    # A paragraph one site repeats in this many different stories is its
    # boilerplate (counted per story cluster, so syndicated copies count once).
    boilerplate_min_stories: int = 3


@dataclass(frozen=True)
class PassageConfig:
    shingle_words: int = 3
    num_perm: int = 64
    # 32 bands x 2 rows: candidate curve centred near Jaccard 0.18, because a
    # quote inside a longer sentence shares only part of that sentence.
    lsh_bands: int = 32
    lsh_rows: int = 2
    # A shared passage must have this many aligned words; shorter common
    # phrases ("the prime minister said on Monday") are not reported.
    min_words: int = 12
    # Sentences of this many words take part: a quote of short sentences ("What are people
    # doing on your site right now?") is found as a run of them joined across their ends, and
    # must reach min_words over the joined span. At 5 words a sentence has the 3 word 3-grams
    # a candidate pair must share (passages.MIN_SHARED_SHINGLES).
    min_sentence_words: int = 5
    # CJK text counts characters as words; a passage needs this many of them.
    min_cjk_chars: int = 25
    # Aligned words / passage words in each document, over the whole passage (sentences joined).
    min_similarity: float = 0.8
    # The same ratio for one sentence's link before joining: lower, so a quoted sentence with an
    # elision ("Release notes are … an API's consumers": 15 of 19 words) still joins the quote
    # around it; the joined passage must reach min_similarity.
    min_link_similarity: float = 0.6
    # A sentence whose LSH candidates span more articles than this is a stock
    # phrase or a shared footer, not a quote: it is skipped (counted in run.json).
    max_candidate_articles: int = 30
    # Word gaps allowed inside one aligned passage (an elision "…", an
    # inserted "all the more").
    max_gap_words: int = 4


@dataclass(frozen=True)
class ReportConfig:
    """How much report.html shows (cleaners/store/report.py). Not a field of Config: it
    changes no record, and Config.to_dict names the finished batches a later run reuses.

    The counts keep each section readable: the largest items are shown, the rest counted.
    The byte budgets keep the page under 5 MB whatever the texts are (escaping can make one
    character six bytes, CJK text is three bytes a character): a section stops adding items
    when its budget is spent, and says how many it left out.
    """

    # The articles with the most members (then shared passages): a reader looks at the big
    # merges first; 50 fill a few screens and are where a wrong merge shows.
    top_articles: int = 50
    # Shared passages with the most documents (then words), each document's span shown.
    top_passages: int = 50
    # Members listed per article, and of those the ones whose paragraphs are compared with
    # the canonical text (a wire story can have hundreds of reprints; the rest are counted).
    members_per_article: int = 40
    diffs_per_article: int = 8
    # Differences shown per member diff (missing, added or changed paragraphs).
    diff_items: int = 6
    # Documents shown per passage (its occurrences).
    occurrences_per_passage: int = 8
    # Characters of text shown for one paragraph (a diff line, a boilerplate paragraph, an
    # example removal) and on each side of a highlighted span: enough to recognise it.
    snippet_chars: int = 280
    context_chars: int = 200
    # A longer span is shown as its head and tail (each half of this) around a count of the
    # characters left out: one article-long passage must not fill the page.
    span_chars: int = 1600
    # Rows of the reason tables (removal reasons include list headings' text, so they are
    # not a fixed set) and examples of rejects per reason.
    reason_rows: int = 100
    rejects_per_reason: int = 5
    # Sites in the boilerplate section, paragraphs shown per site, and distinct paragraphs
    # counted per site (a site with more is counted, its rarest paragraphs not named).
    boilerplate_sites: int = 50
    boilerplate_per_site: int = 10
    boilerplate_tracked: int = 2000
    # Bytes of HTML per section (about 4.7 MB in all with the page's frame).
    articles_bytes: int = 2_400_000
    passages_bytes: int = 1_300_000
    boilerplate_bytes: int = 500_000
    reasons_bytes: int = 500_000

    def validate(self) -> "ReportConfig":
        """Raise ValueError naming the bad value; return self."""
        for name, value in vars(self).items():
            _check(isinstance(value, int) and value >= 1,
                   f"report.{name} must be a positive integer, got {value!r}")
        return self


@dataclass(frozen=True)
class Config:
    read: ReadConfig = field(default_factory=ReadConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    clutter: ClutterConfig = field(default_factory=ClutterConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)
    # Files per Prefect task. None sizes the batches from the run
    # (cleaners.clean.batch.batch_size_for): about four per worker, 50 to 1000 files.
    # Every clean-batch task run has a fixed orchestration cost, so batches
    # amortise it; one batch per worker would leave a worker idle at the end.
    batch_size: int | None = None
    # Where the document index (each document's LSH band keys) lives while matching:
    # "memory" (numpy banding), "sqlite" (a table in the file ``index_url``, or in
    # memory without one: bounded memory for very large runs) or "redis" (a server at
    # ``index_url``, shared by every process that matches). cleaners/match/index.py
    # has one class per kind. Not part of the matching fingerprint: every kind gives
    # the same buckets in the same order, so the same articles.
    index: str = "memory"
    index_url: str | None = None

    def validate(self) -> "Config":
        """Raise ValueError naming the bad value and the fix; return self."""
        d, p = self.dedup, self.passages
        for name, lsh in (("dedup", d), ("passages", p)):
            _check(lsh.lsh_bands * lsh.lsh_rows == lsh.num_perm,
                   f"{name}.lsh_bands x {name}.lsh_rows must equal {name}.num_perm: "
                   f"{lsh.lsh_bands} x {lsh.lsh_rows} != {lsh.num_perm}; change bands or rows")
        for name, value in (("dedup.jaccard_threshold", d.jaccard_threshold),
                            ("dedup.containment_threshold", d.containment_threshold),
                            ("passages.min_similarity", p.min_similarity)):
            _check(0.0 < value <= 1.0, f"{name} must be in (0, 1], got {value!r}")
        _check(d.scheme in ("affine32", "affine64", "legacy"),
               f"dedup.scheme must be one of affine32, affine64, legacy; got {d.scheme!r}")
        _check(d.shingle_hash in ("poly64-fmix64", "sha1_hash32"),
               f"dedup.shingle_hash must be poly64-fmix64 or sha1_hash32; got {d.shingle_hash!r}")
        _check(self.batch_size is None or self.batch_size >= 1,
               f"batch_size must be >= 1, got {self.batch_size!r} (leave it unset to size "
               "batches from the number of files and workers)")
        _check(self.index != "redis" or (self.index_url or "").startswith(("redis://", "rediss://", "unix://")),
               f"index 'redis' needs index_url like redis://HOST:PORT/DB (or rediss://, unix://), "
               f"got {self.index_url!r}")
        _check(self.index != "memory" or self.index_url is None,
               f"index 'memory' takes no index_url (got {self.index_url!r}); "
               "choose index 'sqlite' or 'redis' to keep the index there")
        _check(self.read.max_file_bytes >= 1,
               f"read.max_file_bytes must be positive, got {self.read.max_file_bytes!r}")
        _check(self.read.share_bytes >= 1,
               f"read.share_bytes must be positive, got {self.read.share_bytes!r} (the least size of "
               "the shares a large feed or WARC file is cleaned in; the default is 4 MiB)")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, for run.json and a deployment's parameters (``from_dict`` reads it)."""
        data = asdict(self)
        data["clutter"]["disabled"] = sorted(self.clutter.disabled)  # JSON has no sets
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """The validated Config of a ``to_dict`` form; a missing key takes its default."""
        return cls(
            **{name: part(**data.get(name, {})) for name, part in _PARTS.items()},
            batch_size=data.get("batch_size"),
            # deployments made before the index setting name only a Redis URL
            index=data.get("index", "redis" if data.get("lsh_redis_url") else "memory"),
            index_url=data.get("index_url", data.get("lsh_redis_url")),
        ).validate()


_PARTS = {"read": ReadConfig, "encoding": EncodingConfig, "extract": ExtractConfig, "clutter": ClutterConfig,
          "dedup": DedupConfig, "passages": PassageConfig}  # Config's sections, by field name


def _check(ok: bool, message: str) -> None:
    """Raise ValueError(message) unless ok; the message names the bad value and the fix."""
    if not ok:
        raise ValueError(message)
