"""The newsclean flow: discover -> clean in batches -> match and write.

Tasks pass paths and the frozen Config, never documents or long lists: the
discovered files, the plan, each batch's files and each batch's cleaned documents
are JSON files in a work folder inside OUTPUT_DIR, which the next step reads back.
A batch file holds one line per result: a document's ``document_json`` or
``{"reject": record}``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.futures import as_completed
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner

from cleaners import __version__
from cleaners.clean.batch import accounting, batch_size_for, batches_of, files_in, iter_processed, split_files
from cleaners.config import Config
from cleaners.store.docstore import DocStore
from cleaners.store.memory import fewer_collections
from cleaners.store.output import (FINISHED_NAME, REPORT_NAME, STATE_NAME, damaged_outputs, export_state,
                                   output_digests, output_lock, read_json, reject_record, state_lock, write_json,
                                   write_json_lines)
from cleaners.read.readers import InputFile, discover
from cleaners.records import Reject, Source, document_json, flat_dict
from cleaners.store.state import FileInfo, State
from flows import lifecycle
from flows.watchdog import worker_init

LIBRARIES = ("prefect", "trafilatura", "datasketch", "ftfy", "charset-normalizer", "lxml",
             "warcio", "numpy")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "newsclean": __version__}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# The matching modules (cleaners.match.incremental and what it imports: datasketch, which imports
# scipy.integrate) are imported in the tasks that use them, not here: every cleaning worker
# imports this module to run clean_batch, and they would slow its start.


# Lists of files go between tasks as JSON files in the run's work folder, not as task
# parameters: Prefect walks every parameter of a task run, which for a plan of 100,000
# files takes seconds (benchmarks/RESULTS.md).


@task(name="discover-inputs")
def discover_inputs(input_dir: str, out_dir: str, cfg: Config, items_file: str) -> int:
    """The files to read, written to items_file; returns how many."""
    items = [flat_dict(i) for i in discover(Path(input_dir), cfg.read, exclude=Path(out_dir))]
    write_json(Path(items_file), items, indent=None)
    get_run_logger().info("discovered %d files under %s", len(items), input_dir)
    return len(items)


@task(name="clean-batch")
def clean_batch(input_dir: str, items_file: str, batch_file: str, cfg: Config) -> dict[str, int]:
    """Clean the batch of files listed in items_file; documents and rejects go to batch_file
    (JSON Lines). How many of its items are done goes to items_file + ".done" as it works
    (the run's progress bar reads it)."""
    items = [InputFile(**i) for i in read_json(Path(items_file))]
    counts = {"files": files_in(items), "documents": 0, "rejects": 0}
    t0 = time.perf_counter()

    def lines() -> Iterator[str]:  # written as they are cleaned: memory stays flat
        with _DoneCounter(items_file + ".done") as done:
            for item in items:
                for r in iter_processed(Path(input_dir), [item], cfg):
                    if isinstance(r, Reject):
                        counts["rejects"] += 1
                        yield json.dumps({"reject": reject_record(r)}, ensure_ascii=False)
                    else:
                        counts["documents"] += 1
                        yield document_json(r)
                done.add()

    write_json_lines(Path(batch_file), lines())
    get_run_logger().info("cleaned %d files: %d documents, %d rejected (%.1fs)", counts["files"],
                          counts["documents"], counts["rejects"], time.perf_counter() - t0)
    return counts


class _DoneCounter:
    """How many items of a batch are done, in a small file rewritten at most 10 times a second."""

    def __init__(self, path: str) -> None:
        self.path, self.n, self.last = path, 0, 0.0
        self.fd = -1

    def __enter__(self) -> "_DoneCounter":
        try:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError:  # progress is a nicety: never a reason to fail a batch
            self.fd = -1
        return self

    def add(self) -> None:
        self.n += 1
        now = time.monotonic()
        if self.fd >= 0 and now - self.last > 0.1:
            self.last = now
            os.pwrite(self.fd, f"{self.n:>12}".encode(), 0)

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0:
            os.pwrite(self.fd, f"{self.n:>12}".encode(), 0)
            os.close(self.fd)


@task(name="plan-inputs")
def plan_inputs(input_dir: str, items_file: str, state_path: str, plan_file: str, cfg: Config) -> dict[str, int]:
    """Which of the files in items_file are new or changed since the runs recorded in the
    state: the plan goes to plan_file; returns its counts."""
    from cleaners.match.incremental import plan_run

    items = read_json(Path(items_file))
    with State(Path(state_path)) as state:
        plan = plan_run(Path(input_dir), [InputFile(**i) for i in items], state, cfg.read)
    get_run_logger().info("%d new or changed files to process, %d unchanged, %d touched, %d renamed, "
                          "%d rejected files gone%s", len(plan.process), plan.unchanged, plan.touched,
                          len(plan.renamed), len(plan.gone),
                          " (--verify-content: every file hashed)" if cfg.read.verify_content else "")
    write_json(Path(plan_file), {
        "process": [flat_dict(i) for i in plan.process], "files": [flat_dict(f) for f in plan.files],
        "renamed": plan.renamed, "replaced_paths": plan.replaced_paths, "gone": plan.gone,
        "unchanged": plan.unchanged, "touched": plan.touched, "copies": plan.copies}, indent=None)
    return {"process": len(plan.process), "files": len(plan.files), "renamed": len(plan.renamed),
            "replaced_paths": len(plan.replaced_paths), "gone": len(plan.gone)}


def _batch_lines(batch_files: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each line of the batch files (clean_batch), with its JSON decoded."""
    for bf in batch_files:
        with open(bf, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    line = line.rstrip("\n")
                    yield line, json.loads(line)


@task(name="match-and-commit")
def match_and_commit(batch_files: list[str], plan_file: str, state_path: str, cfg: Config, run_id: str,
                     window_days: float | None, work: str) -> dict[str, Any]:
    """Group new and stored documents, keep article ids, commit the run to the state.

    Documents go to a scratch DocStore in the work folder: the match step holds
    their sketches and a little metadata, and reads texts back from disk.
    """
    from cleaners.match.incremental import regroup, unread_marked

    log = get_run_logger()
    plan = read_json(Path(plan_file))
    # the file lists are not held while matching: paths for the accounting now, the
    # files' records again from plan_file at the commit
    processed = [i["path"] for i in plan.pop("process")]
    del plan["files"]
    rejects: list[dict[str, Any]] = []
    doc_paths: list[str] = []
    new_ids: list[str] = []
    removed: dict[str, int] = {}

    def documents() -> Iterator[tuple[str, dict[str, Any]]]:  # each as its JSON text, and decoded
        for line, rec in _batch_lines(batch_files):
            if "reject" in rec:
                rejects.append(rec["reject"])
                continue
            doc_paths.append(rec["source"]["path"])
            new_ids.append(rec["doc_id"])
            for _, reason in rec["removed"]:
                key = reason.split(" (")[0]
                removed[key] = removed.get(key, 0) + 1
            yield line, rec

    t0 = time.perf_counter()
    with DocStore(Path(work) / "match-documents.sqlite") as store, fewer_collections():
        n_new = store.add_json(documents())
        log.info("read %d new documents into the match step's scratch store (%.1fs)", n_new,
                 time.perf_counter() - t0)
        acc = accounting(processed, doc_paths, (r["source"]["path"] for r in rejects))
        for path in acc["unaccounted_files"]:  # a bug, never expected: loud, and still accounted for
            rejects.append(reject_record(Reject(Source(path, None, "", "unknown"), "unaccounted",
                                                "the pipeline lost this file; please report")))
            log.error("unaccounted input file: %s", path)
        log.info("matching %d new documents against the stored ones; peak memory %s", n_new, _peak_memory())
        with State(Path(state_path)) as state:
            regrouped = regroup(state, store, plan["replaced_paths"], cfg, window_days,
                                on_stage=lambda what, sec: log.info("match: %s (%.1fs, peak memory %s)",
                                                                    what, sec, _peak_memory()))
            status = {**{a: "new" for a in regrouped.new_articles}, **{a: "grown" for a in regrouped.grown_articles}}
            top: list[tuple[tuple[int, int, str], dict[str, Any]]] = []  # a heap: the largest articles

            def articles() -> Iterator[dict[str, Any]]:
                for a in regrouped.article_records():
                    if a["article_id"] in status:
                        _keep_largest(top, a, status[a["article_id"]])
                    yield a

            t_commit = time.perf_counter()
            generation = state.commit_run(
                run_id=run_id, files=unread_marked(_plan_files(plan_file), rejects), renamed=plan["renamed"],
                replaced_paths=plan["replaced_paths"], gone_paths=plan["gone"], docs=store.json_rows(new_ids),
                rejects=[(r["source"]["path"], r) for r in rejects],
                doc_records=regrouped.doc_records(), articles=articles(), created=regrouped.created,
                sketch_keys=regrouped.sketches.used_keys(), new_sketches=regrouped.sketches.new_items(),
                links=regrouped.link_rows(), passage_memo=regrouped.memo_to_keep())
            if lifecycle.CURRENT is not None:  # from here an interrupt loses nothing
                lifecycle.CURRENT.committed = True
            totals = state.counts()
            log.info("built the records and committed the run to the state (%.1fs, peak memory %s)",
                     time.perf_counter() - t_commit, _peak_memory())
    stats = regrouped.matched.stats
    t_match = time.perf_counter() - t0
    log.info("matched %d documents into %d articles (%d shared passages) in %.2fs; "
             "%d new articles, %d grown; %d stored signatures reused; peak memory %s",
             stats["documents"], stats["articles"], stats["shared_passages"], t_match,
             len(regrouped.new_articles), len(regrouped.grown_articles), regrouped.sketches.reused,
             _peak_memory())
    reasons: dict[str, int] = {}
    for r in rejects:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    for reason, n in sorted(reasons.items()):
        log.info("rejected %d input(s): %s", n, reason)
    counts = {
        "files_processed": len(processed), "files_unchanged": plan["unchanged"],
        "files_touched": plan["touched"], "files_renamed": len(plan["renamed"]),
        "rejected_files_gone": len(plan["gone"]),
        "new_documents": n_new, "rejected": len(rejects),
        "rejected_by_reason": dict(sorted(reasons.items())),
        "removed_by_reason": dict(sorted(removed.items())),
        "new_articles": len(regrouped.new_articles), "grown_articles": len(regrouped.grown_articles),
        "frozen_documents": regrouped.frozen_documents,
        "signatures_reused": regrouped.sketches.reused,
        **{k: v for k, v in stats.items() if k != "documents"},
        "documents": totals["documents"], "articles": totals["articles"],
        "rejects_total": totals["rejects"],
    }
    return {"counts": counts, "accounting": acc, "generation": generation,
            "seconds_match": round(t_match, 3), "largest": [a for _, a in sorted(top, reverse=True)]}


SUMMARY_ARTICLES = 50  # articles listed by name in the newsclean-summary artifact


def _keep_largest(top: list[tuple[tuple[int, int, str], dict[str, Any]]], a: dict[str, Any], status: str) -> None:
    """Keep the SUMMARY_ARTICLES new or grown articles with the most members, then the most
    shared passages (a min-heap); a one-member article without passages is only counted."""
    import heapq

    members, passages = len(a["members"]), len(a.get("shared_passages") or ())
    if members < 2 and not passages:
        return
    item = ((members, passages, a["article_id"]), {
        "article_id": a["article_id"], "title": a["title"], "members": members, "passages": passages,
        "outlets": a["outlets"], "status": status})
    if len(top) < SUMMARY_ARTICLES:
        heapq.heappush(top, item)
    elif item[0] > top[0][0]:
        heapq.heapreplace(top, item)


def _plan_files(plan_file: str) -> list[FileInfo]:
    return [FileInfo(**f) for f in read_json(Path(plan_file))["files"]]


def _peak_memory() -> str:
    """This process's resident memory now (Linux) and its peak so far, for the run log."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return "unknown"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    try:
        with open("/proc/self/statm") as fh:
            now = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        return f"{peak:.0f} MB (now {now:.0f} MB)"
    except (OSError, ValueError, IndexError):
        return f"{peak:.0f} MB"


def _publish_artifacts(run: dict[str, Any], largest: list[dict[str, Any]]) -> None:
    """A table of counts (rejects and removals by reason, seconds per step) and a markdown
    summary (the articles with several members or shared passages first), on the flow run."""
    c = run["counts"]
    rows = [{"step": k, "count": v} for k, v in c.items() if isinstance(v, int)]
    rows += [{"step": f"rejected: {k}", "count": v} for k, v in (c.get("rejected_by_reason") or {}).items()]
    rows += [{"step": f"removed: {k}", "count": v} for k, v in (c.get("removed_by_reason") or {}).items()]
    rows += [{"step": f"seconds: {k}", "count": v} for k, v in run["seconds"].items()]
    create_table_artifact(rows, key="newsclean-counts", description="newsclean counts per step")
    lines = [f"# newsclean run: {c.get('new_articles', 0)} new articles, {c.get('grown_articles', 0)} grown",
             "", f"{c['files']} files ({c['files_processed']} new or changed), {c.get('new_documents', 0)} new "
             f"documents, {c.get('rejected', 0)} rejected; {c['documents']} documents and {c['articles']} "
             f"articles in all. Output: `{run['output_dir']}`", ""]
    report = Path(run["output_dir"]) / REPORT_NAME
    if report.exists():  # this run's, or an earlier run's when this one wrote none (--no-report)
        lines += [f"Report: [{report.as_uri()}]({report.as_uri()})", ""]
    if largest:
        lines += ["## Articles with several members or shared passages (largest first)", "",
                  "| article | title | members | outlets | shared passages | |", "|---|---|---|---|---|---|"]
        for a in largest:
            title = (a["title"] or "(no title)").replace("|", "\\|")
            lines.append(f"| `{a['article_id']}` | {title} | {a['members']} | {', '.join(a['outlets']) or '-'} | "
                         f"{a['passages']} | {a['status']} |")
    singles = c.get("new_articles", 0) + c.get("grown_articles", 0) - len(largest)
    if singles > 0:
        lines += ["", f"{singles} other new or grown articles have one member and no shared passage "
                      f"(`jq 'select((.members | length) == 1)' {run['output_dir']}/articles.jsonl`)."]
    create_markdown_artifact("\n".join(lines), key="newsclean-summary",
                             description="the run's articles, largest first")


@task(name="export-outputs")
def export_outputs(out_dir: str, state_path: str) -> dict[str, int]:
    """documents.jsonl, articles.jsonl, rejects.jsonl from the state, each written atomically."""
    out = Path(out_dir)
    t0 = time.perf_counter()
    with State(Path(state_path)) as state:
        n = export_state(state, out)
    get_run_logger().info("wrote %d documents, %d articles, %d rejects to %s (%.1fs)", n["documents"],
                          n["articles"], n["rejects"], out, time.perf_counter() - t0)
    return n


@task(name="write-report")
def write_report(out_dir: str, run: dict[str, Any]) -> dict[str, Any]:
    """report.html from the JSONL outputs (cleaners/store/report.py), written atomically.

    The report is a view of outputs that are already committed and written: a report that
    cannot be built is logged (with its traceback) and named in run.json, and the run still
    succeeds. Returns {path, bytes, seconds} or {error}."""
    from cleaners.store.report import write_report as build

    log = get_run_logger()
    t0 = time.perf_counter()
    try:
        written = build(Path(out_dir), run)
    except Exception as exc:  # noqa: BLE001 - any failure of the view; the outputs stand
        log.warning("report.html not written: %s", exc, exc_info=True)
        return {"error": str(exc)}
    seconds = round(time.perf_counter() - t0, 3)
    log.info("wrote %s (%d bytes, the %d largest of %d articles) in %.1fs", written.path, written.bytes,
             written.articles_shown, written.articles, seconds)
    return {"path": str(written.path), "bytes": written.bytes, "seconds": seconds}


def task_runner(workers: int = 1, dask_address: str | None = None) -> TaskRunner | None:
    """The Prefect task runner for the clean-batch tasks.

    ``dask_address`` (e.g. ``tcp://scheduler:8786``) sends them to an existing
    Dask cluster through prefect-dask; ``workers`` > 1 runs them in that many
    local processes; otherwise the flow's default (threads in this process).
    """
    if dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise ValueError("--dask-address needs prefect-dask: pip install -c constraints.txt "
                             "-e '.[distributed]'") from exc
        return DaskTaskRunner(address=dask_address)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers, initializer=worker_init)
    return None


@contextmanager
def _share_temporary_api() -> Iterator[None]:
    """Point worker processes at this process's temporary Prefect API.

    Without a configured server every Prefect process starts its own
    temporary API (slow to start, and its task runs are invisible here).
    Worker processes inherit the environment, so PREFECT_API_URL is set to
    this process's temporary server while tasks are submitted.
    """
    from prefect.settings import PREFECT_API_URL

    if os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if server.server_process is None:
        yield
        return
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


# validate_parameters=False: pydantic would make a Config of a deployment's dict its own way
# (unknown keys dropped, Config.validate not run); the flow makes it with Config.from_dict.
@flow(name="newsclean", log_prints=False, validate_parameters=False)
def clean_folder(input_dir: str, out_dir: str, config: Config | dict[str, Any] | None = None,
                 show_progress: bool = False, state_path: str | None = None,
                 window_days: float | None = None, fresh: bool = False, workers: int = 1,
                 dask_address: str | None = None, report: bool = True) -> dict[str, Any]:
    """Clean and deduplicate the new files under input_dir into out_dir (state in out_dir/state.sqlite).

    ``config`` is a Config (``newsclean run``) or its ``to_dict`` form (a deployment's
    parameters are JSON: ``newsclean serve``), made a Config here once; the tasks take
    that object. ``workers`` > 1 cleans batches in that many local processes;
    ``dask_address`` sends them to an existing Dask cluster instead. ``report``: write
    report.html (a page over the outputs) whenever the outputs are written, or when it is missing.
    """
    from cleaners.clean.clutter import enabled_rules
    from cleaners.match.incremental import matching_fingerprint
    from cleaners.match.index import check_index_kind

    log = get_run_logger()
    cfg = config.validate() if isinstance(config, Config) else Config.from_dict(config or {})
    enabled_rules(cfg.clutter)  # a deployment's config: a bad rule name or index kind stops here,
    check_index_kind(cfg.index)  # before any file is cleaned
    out = Path(out_dir)
    run_id = str(flow_run.get_id() or "no-flow-run")
    if lifecycle.CURRENT is not None:  # the command line's guard cancels this flow run on Ctrl-C
        lifecycle.CURRENT.flow_run_id = run_id
    state_file = Path(state_path) if state_path else out / STATE_NAME
    with output_lock(out) as work_root, state_lock(state_file):
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(state_file) + suffix).unlink(missing_ok=True)
        with State(state_file) as state:
            state.check_config(matching_fingerprint(cfg), matching_fingerprint(Config()))
            generation_before = state.generation
        work = work_root / run_id
        work.mkdir(parents=True, exist_ok=True)
        try:
            run = _run(input_dir, out, work, run_id, cfg, show_progress, log, str(state_file), window_days,
                       generation_before, workers, dask_address, report)
        finally:  # an interrupted or failed run keeps its finished batches for the next one
            shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(work_root, ignore_errors=True)
        return run


def _run(input_dir: str, out: Path, work: Path, run_id: str, cfg: Config, show_progress: bool, log: Any,
         state_file: str, window_days: float | None, generation_before: int, workers: int = 1,
         dask_address: str | None = None, report: bool = True) -> dict[str, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    items_file, plan_file = str(work / "items.json"), str(work / "plan.json")
    previous = _read_run_json(out)
    damaged = _damaged_outputs(out, previous, log)
    if show_progress and sys.stderr.isatty():
        # worker processes print to the terminal themselves, which would break the bar: their
        # console shows warnings only (all their lines still go to the run's logs in Prefect)
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    n_items = discover_inputs(input_dir, str(out), cfg, items_file)
    # a first run of many files will clean in worker processes: start them while planning
    warm = (workers > 1 and not dask_address and generation_before == 0
            and n_items > batch_size_for(n_items, workers, cfg.batch_size))
    with _started_pool(workers) if warm else nullcontext() as pool:
        plan_inputs(input_dir, items_file, state_file, plan_file, cfg)
        plan = read_json(Path(plan_file))
        t_discover = time.perf_counter() - t0
        totals, batch_files, t_clean = _clean_all(input_dir, plan, work, cfg, show_progress, log,
                                                  workers, dask_address, pool, t0 + t_discover)
    changed = bool(plan["process"] or plan["replaced_paths"] or plan["renamed"] or plan["files"] or plan["gone"])
    plan = {"unchanged": plan["unchanged"]}  # the match task reads the plan file: free the lists here
    if changed:
        result = match_and_commit(batch_files, plan_file, state_file, cfg, run_id, window_days, str(work))
    else:
        log.info("nothing new since the last run: state unchanged%s",
                 f"; {', '.join(damaged)} rewritten" if damaged else ", outputs unchanged")
        with State(Path(state_file)) as state:
            totals_state = state.counts()
        result = {"counts": {"files_processed": 0, "files_unchanged": plan["unchanged"],
                             "new_documents": 0, "new_articles": 0, "grown_articles": 0,
                             "documents": totals_state["documents"], "articles": totals_state["articles"],
                             "rejected": 0, "rejects_total": totals_state["rejects"]},
                  "accounting": accounting([], [], []), "generation": generation_before,
                  "seconds_match": 0.0}
    stale = previous.get("state_generation") != result["generation"] or bool(damaged)
    if changed or stale:
        export_outputs(str(out), state_file)
        outputs = output_digests(out)
    else:  # checked against run.json at the start of this run: unchanged since
        outputs = previous["outputs"]
    run = {
        "run_id": run_id,
        "flow_run_name": flow_run.get_name(),
        "started": started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "input_dir": str(Path(input_dir).resolve()),
        "output_dir": str(out.resolve()),
        "state": str(Path(state_file).resolve()),
        "state_generation": result["generation"],
        "window_days": window_days,
        "workers": workers,
        "dask_address": dask_address,
        "config": cfg.to_dict(),
        "versions": library_versions(),
        "minhash": {"scheme": cfg.dedup.scheme, "shingle_hash": cfg.dedup.shingle_hash,
                    "num_perm": cfg.dedup.num_perm, "seed": cfg.dedup.seed},
        "counts": {"files": n_items, **result["counts"], "file_shares": totals["file_shares"]},
        # each JSONL output as written (or checked) by this run: the next run rewrites one
        # from the state when it no longer matches (truncated, emptied, edited)
        "outputs": outputs,
        "outputs_repaired": damaged,
        "accounting": {**result["accounting"], "files_seen": n_items},
        "seconds": {"discover_and_plan": round(t_discover, 3), "clean": round(t_clean, 3),
                    "match": result["seconds_match"], "total": round(time.perf_counter() - t0, 3)},
    }
    # before run.json, which is written last: the report then describes the outputs run.json vouches for
    if report and (changed or stale or not (out / REPORT_NAME).exists()):
        run["report"] = write_report(str(out), run)
    write_json(out / "run.json", run)
    _publish_artifacts(run, result.get("largest", []))
    return run


def _clean_all(input_dir: str, plan: dict[str, Any], work: Path, cfg: Config, show_progress: bool, log: Any,
               workers: int, dask_address: str | None, pool: TaskRunner | None,
               t_start: float) -> tuple[dict[str, int], list[str], float]:
    """Clean the planned files in batches: (totals, batch files, seconds)."""
    size = batch_size_for(len(plan["process"]), workers, cfg.batch_size)
    t_cut = time.perf_counter()  # cutting reads each large WARC or gzipped feed through once
    items = split_files(Path(input_dir), [InputFile(**i) for i in plan["process"]], cfg.read, workers)
    t_cut = time.perf_counter() - t_cut
    batches = batches_of(items, size)
    cut = Counter(i.path for i in items if i.share is not None)  # shares of each cut file
    del items
    shares = sum(cut.values())
    if plan["process"]:
        log.info("cleaning %d files in %d batches of up to %d (%s)%s", len(plan["process"]), len(batches), size,
                 "--batch-size" if cfg.batch_size else f"sized for {workers} worker(s)",
                 f"; {len(cut)} large file(s) cut into {shares} shares ({t_cut:.1f}s)" if shares else "")
    finished = work.parent / FINISHED_NAME
    finished.mkdir(parents=True, exist_ok=True)
    for tmp in finished.glob(".*.tmp"):  # a batch being written when a run was killed
        tmp.unlink(missing_ok=True)
    shas = {f["path"]: f["sha256"] for f in plan["files"]}
    settings = cfg.to_dict()
    batch_files = [str(finished / f"{batch_key(b, shas, settings)}.jsonl") for b in batches]
    item_files = [str(work / f"batch-{n:05d}.items.json") for n in range(len(batches))]
    # the progress bar counts files; a share of a cut file moves it by its part of the file
    weights = {f: [1 / cut[i.path] if i.share else 1 for i in b] for b, f in zip(batches, batch_files)}
    for b, f in zip(batches, item_files):
        write_json(Path(f), [flat_dict(i) for i in b], indent=None)
    del batches
    totals = {"files": 0, "documents": 0, "rejects": 0}
    reused = [n for n, f in enumerate(batch_files) if Path(f).exists()]  # finished by an interrupted run
    todo = sorted(set(range(len(batch_files))) - set(reused))
    partial = {item_files[n]: weights[batch_files[n]] for n in todo}  # batches under way
    item_of = dict(zip(batch_files, item_files))
    with _progress(show_progress, len(plan["process"]), partial) as advance:
        for n in reused:
            res = _finished_counts(batch_files[n], read_json(Path(item_files[n])))
            for k in totals:
                totals[k] += res[k]
            advance(sum(weights[batch_files[n]]))
        if reused:
            log.info("reused %d batches finished by an interrupted run (%d files)", len(reused), totals["files"])
        for batch_file, res in _clean_batches(input_dir, [item_files[n] for n in todo],
                                              [batch_files[n] for n in todo], cfg, workers,
                                              dask_address, pool):
            for k in totals:
                totals[k] += res[k]
            partial.pop(item_of[batch_file], None)
            advance(sum(weights[batch_file]))
    totals["file_shares"] = shares
    log.info("cleaned %d files in %d batches: %d documents, %d rejected",
             totals["files"], len(batch_files), totals["documents"], totals["rejects"])
    return totals, batch_files, time.perf_counter() - t_start


# The form of a batch file's lines; a batch finished by a run of another form is not reused.
BATCH_FORMAT = 2


def batch_key(items: list[InputFile], shas: dict[str, str], settings: dict[str, Any]) -> str:
    """A name for a batch's output that changes with anything it is made from: the items
    (paths, sizes, shares), each file's SHA-256, the settings (``Config.to_dict``), newsclean's
    version and the batch file's form."""
    import hashlib

    data = json.dumps([[flat_dict(i), shas.get(i.path)] for i in items] + [settings, __version__, BATCH_FORMAT],
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def _finished_counts(batch_file: str, items: list[dict[str, Any]]) -> dict[str, int]:
    """clean_batch's counts for a batch file an interrupted run finished."""
    counts = {"files": files_in(InputFile(**i) for i in items), "documents": 0, "rejects": 0}
    for _, rec in _batch_lines([batch_file]):
        counts["rejects" if "reject" in rec else "documents"] += 1
    return counts


@task(name="start-worker")
def start_worker() -> int:
    """Nothing: submitted once per worker so the pool's processes start (seconds of
    imports each) while the run plans, not when the first batch is ready."""
    return os.getpid()


@contextmanager
def _started_pool(workers: int) -> Iterator[TaskRunner]:
    """A local process pool whose workers are being started now."""
    runner = task_runner(workers)
    assert runner is not None  # workers > 1
    with _share_temporary_api(), runner:
        for _ in range(workers):  # a spawned pool starts a process per task submitted while none is idle
            runner.submit(start_worker, {})
        yield runner


def _clean_batches(input_dir: str, batches: list[str], batch_files: list[str],
                   cfg: Config, workers: int, dask_address: str | None,
                   pool: TaskRunner | None = None) -> Iterator[tuple[str, dict[str, int]]]:
    """Run clean-batch over the batches (files listing their items); yield each batch file
    and its result as it completes.

    With one worker (or one batch) the batches run one after another in this
    process; otherwise they go to ``pool`` when one was started, else to the
    task runner chosen by ``workers`` and ``dask_address`` (see task_runner).
    """
    if pool is not None and len(batches) > 1:
        yield from _submit_batches(pool, input_dir, batches, batch_files, cfg)
        return
    runner = task_runner(workers, dask_address) if len(batches) > 1 else None
    if runner is None:  # one at a time: the work is CPU-bound, and lxml parsers shared
        for b, f in zip(batches, batch_files):  # by threads have crashed the process
            yield f, clean_batch(input_dir, b, f, cfg)
        return
    with _share_temporary_api(), runner:
        yield from _submit_batches(runner, input_dir, batches, batch_files, cfg)


def _submit_batches(runner: TaskRunner, input_dir: str, batches: list[str],
                    batch_files: list[str], cfg: Config) -> Iterator[tuple[str, dict[str, int]]]:
    futures = {runner.submit(clean_batch, {"input_dir": input_dir, "items_file": b, "batch_file": f,
                                           "cfg": cfg}): f
               for b, f in zip(batches, batch_files)}
    for fut in as_completed(list(futures)):
        yield futures[fut], fut.result()


def _damaged_outputs(out: Path, previous: dict[str, Any], log: Any) -> list[str]:
    """The JSONL outputs of the last run (recorded in its run.json) that are missing or no
    longer what it wrote; each is named in a log line. Nothing before a first run."""
    if not previous:
        return []
    damaged = damaged_outputs(out, previous.get("outputs"))
    if damaged and not isinstance(previous.get("outputs"), dict):
        log.warning("run.json records no line counts and checksums of the outputs (written by an older "
                    "newsclean): rewriting %s from the state", ", ".join(damaged))
    elif damaged:
        log.warning("outputs missing or changed since the last run (not the lines and SHA-256 recorded in "
                    "run.json): rewriting %s from the state", ", ".join(damaged))
    return damaged


def _read_run_json(out: Path) -> dict[str, Any]:
    try:
        return read_json(out / "run.json")
    except (OSError, ValueError):
        return {}


class _progress:
    """A rich progress bar on stderr when asked and stderr is a terminal.

    It moves by file: finished batches through ``advance``, batches under way by the
    ".done" files their clean-batch tasks write (``partial``: items file -> weight of
    each item), read by a thread a few times a second. While it shows, Prefect's console
    log lines are printed through the bar's console, above the bar, not onto it."""

    def __init__(self, enabled: bool, total: int, partial: dict[str, list[float]] | None = None) -> None:
        self.enabled = enabled and sys.stderr.isatty() and total > 0
        self.total = total
        self.partial = partial if partial is not None else {}
        self.finished = 0.0
        self.stop = threading.Event()
        self.swapped: list[tuple[Any, Any]] = []

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                            MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.bar.start()
        self.task_id = self.bar.add_task("cleaning files", total=self.total)
        self._route_prefect_logs(self.bar.console)
        self.thread = threading.Thread(target=self._poll, name="newsclean-progress", daemon=True)
        self.thread.start()
        return self._advance

    def _advance(self, n: float) -> None:
        self.finished += n
        self._show()

    def _show(self) -> None:
        under_way = 0.0
        for items_file, weights in list(self.partial.items()):
            try:
                with open(items_file + ".done", "rb") as fh:
                    done = int(fh.read().strip() or 0)
            except (OSError, ValueError):
                continue
            under_way += sum(weights[:done])
        self.bar.update(self.task_id, completed=min(self.total, self.finished + under_way))

    def _poll(self) -> None:
        while not self.stop.wait(0.3):
            self._show()

    def _route_prefect_logs(self, console: Any) -> None:
        for h in lifecycle.prefect_console_handlers():
            self.swapped.append((h, h.console))
            h.console = console

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.stop.set()
            self.thread.join()
            self.bar.stop()
            for handler, console in self.swapped:
                handler.console = console


def summary(run: dict[str, Any]) -> str:
    c = run["counts"]
    if c["files"] == 0 and c["documents"] == 0:
        return (f"no news files under {run['input_dir']} (.html .htm .xhtml .txt .json .jsonl .ndjson .warc, "
                f"optionally .gz): nothing to do. Flow run {run['run_id']}.")
    repaired = (f" Rewrote {', '.join(run['outputs_repaired'])} from the state (missing or damaged)."
                if run.get("outputs_repaired") else "")
    if c["files_processed"] == 0 and c.get("rejected_files_gone"):
        return (f"{c['files']} files, nothing new since the last run; {c['rejected_files_gone']} rejected "
                f"files are gone and left rejects.jsonl: {c['documents']} documents, {c['articles']} articles, "
                f"{c['rejects_total']} rejects.{repaired} Flow run {run['run_id']}.")
    if c["files_processed"] == 0:
        return (f"{c['files']} files, nothing new since the last run: {c['documents']} documents, "
                f"{c['articles']} articles, {c['rejects_total']} rejects unchanged.{repaired} "
                f"Flow run {run['run_id']}.")
    return (f"{c['files']} files ({c['files_processed']} new or changed) -> {c['documents']} documents, "
            f"{c['articles']} articles ({c.get('duplicate_documents', 0)} duplicates), "
            f"{c.get('shared_passages', 0)} shared passages, {c['rejected']} rejected in this run "
            f"({c['rejects_total']} in all). Flow run {run['run_id']}.")


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(clean_folder(sys.argv[1], sys.argv[2]), indent=2))
