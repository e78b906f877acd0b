"""The newsclean flow: discover -> clean in batches -> match and write.

Tasks pass paths and batches, never one document each: the batches are
written to a work folder inside OUTPUT_DIR and the match step reads them back.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.runtime import flow_run

from cleaners import __version__
from cleaners.articles import group_documents
from cleaners.batch import accounting, process_files
from cleaners.config import Config
from cleaners.output import output_lock, read_jsonl, reject_record, write_json, write_jsonl
from cleaners.readers import InputFile, discover
from cleaners.records import Reject, Source, document_from_dict, document_to_dict

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


@task(name="discover-inputs")
def discover_inputs(input_dir: str, out_dir: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    cfg = Config.from_dict(config)
    items = [asdict(i) for i in discover(Path(input_dir), cfg.read, exclude=Path(out_dir))]
    get_run_logger().info("discovered %d files under %s", len(items), input_dir)
    return items


@task(name="clean-batch")
def clean_batch(input_dir: str, items: list[dict[str, Any]], batch_file: str,
                config: dict[str, Any]) -> dict[str, int]:
    """Clean one batch of files; documents and rejects go to batch_file (JSON Lines)."""
    cfg = Config.from_dict(config)
    docs, rejects = process_files(Path(input_dir), [InputFile(**i) for i in items], cfg)
    records = [{"document": document_to_dict(d)} for d in docs]
    records += [{"reject": reject_record(r)} for r in rejects]
    write_jsonl(Path(batch_file), records)
    return {"files": len(items), "documents": len(docs), "rejects": len(rejects)}


@task(name="match-and-write")
def match_and_write(input_dir: str, out_dir: str, batch_files: list[str], files: list[str],
                    config: dict[str, Any], run_info: dict[str, Any]) -> dict[str, Any]:
    """Cluster, choose canonicals, find shared passages; write the outputs atomically."""
    log = get_run_logger()
    cfg = Config.from_dict(config)
    docs, rejects = [], []
    for bf in batch_files:
        for rec in read_jsonl(Path(bf)):
            if "document" in rec:
                docs.append(document_from_dict(rec["document"]))
            else:
                rejects.append(rec["reject"])
    t0 = time.perf_counter()
    grouping = group_documents(docs, cfg)
    t_match = time.perf_counter() - t0
    log.info("matched %d documents into %d articles (%d shared passages) in %.2fs",
             len(docs), len(grouping.articles), grouping.stats["shared_passages"], t_match)
    acc = accounting(files, (d.source.path for d in docs), (r["source"]["path"] for r in rejects))
    if not acc["ok"]:  # a bug, never expected: make it loud, and still account for them
        for path in acc["unaccounted_files"]:
            rejects.append(reject_record(Reject(Source(path, None, "", "unknown"), "unaccounted",
                                                "the pipeline lost this file; please report")))
        log.error("unaccounted input files: %s", acc["unaccounted_files"][:20])
    out = Path(out_dir)
    write_jsonl(out / "documents.jsonl", grouping.documents)
    write_jsonl(out / "articles.jsonl", grouping.articles)
    write_jsonl(out / "rejects.jsonl", sorted(rejects, key=lambda r: (r["source"]["path"],
                                                                      r["source"]["record"] or 0)))
    reasons: dict[str, int] = {}
    for r in rejects:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
    counts = {**grouping.stats, "files": len(files), "rejected": len(rejects),
              "rejected_by_reason": dict(sorted(reasons.items()))}
    removed: dict[str, int] = {}
    for d in docs:
        for r in d.removed:
            key = r.reason.split(" (")[0]
            removed[key] = removed.get(key, 0) + 1
    counts["removed_by_reason"] = dict(sorted(removed.items()))
    run = {**run_info, "counts": counts, "accounting": acc,
           "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "seconds": {**run_info.get("seconds", {}), "match": round(t_match, 3)}}
    write_json(out / "run.json", run)
    for reason, n in sorted(reasons.items()):
        log.info("rejected %d input(s): %s", n, reason)
    return run


def _batches(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@flow(name="newsclean", log_prints=False)
def clean_folder(input_dir: str, out_dir: str, config: dict[str, Any] | None = None,
                 show_progress: bool = False) -> dict[str, Any]:
    """Clean and deduplicate every news file under input_dir into out_dir."""
    log = get_run_logger()
    cfg = Config.from_dict(config or {})
    cfg_dict = cfg.to_dict()
    out = Path(out_dir)
    run_id = str(flow_run.get_id() or "no-flow-run")
    with output_lock(out) as work_root:
        work = work_root / run_id
        work.mkdir(parents=True, exist_ok=True)
        try:
            return _run(input_dir, out, work, run_id, cfg, cfg_dict, show_progress, log)
        finally:
            shutil.rmtree(work_root, ignore_errors=True)


def _run(input_dir: str, out: Path, work: Path, run_id: str, cfg: Config,
         cfg_dict: dict[str, Any], show_progress: bool, log: Any) -> dict[str, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    items = discover_inputs(input_dir, str(out), cfg_dict)
    t_discover = time.perf_counter() - t0
    batches = _batches(items, cfg.batch_size)
    batch_files = [str(work / f"batch-{n:05d}.jsonl") for n in range(len(batches))]
    futures = [clean_batch.submit(input_dir, b, f, cfg_dict) for b, f in zip(batches, batch_files)]
    totals = {"files": 0, "documents": 0, "rejects": 0}
    with _progress(show_progress, len(items)) as advance:
        for fut in as_completed(futures):
            res = fut.result()
            for k in totals:
                totals[k] += res[k]
            advance(res["files"])
    t_clean = time.perf_counter() - t0 - t_discover
    log.info("cleaned %d files in %d batches: %d documents, %d rejected",
             totals["files"], len(batches), totals["documents"], totals["rejects"])
    run_info = {
        "run_id": run_id,
        "flow_run_name": flow_run.get_name(),
        "started": started,
        "input_dir": str(Path(input_dir).resolve()),
        "output_dir": str(out.resolve()),
        "config": cfg_dict,
        "versions": library_versions(),
        "minhash": {"scheme": cfg.dedup.scheme, "hash": "sha1_hash32 of shingle text",
                    "num_perm": cfg.dedup.num_perm, "seed": cfg.dedup.seed},
        "seconds": {"discover": round(t_discover, 3), "clean": round(t_clean, 3)},
    }
    return match_and_write(input_dir, str(out), batch_files, [i["path"] for i in items],
                           cfg_dict, run_info)


class _progress:
    """A rich progress bar on stderr when asked and stderr is a terminal."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and sys.stderr.isatty() and total > 0
        self.total = total

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                            MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=False)
        self.bar.start()
        task_id = self.bar.add_task("cleaning files", total=self.total)
        return lambda n: self.bar.advance(task_id, n)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.stop()


def summary(run: dict[str, Any]) -> str:
    c = run["counts"]
    return (f"{c['files']} files -> {c['documents']} documents, {c['articles']} articles "
            f"({c['duplicate_documents']} duplicates), {c['shared_passages']} shared passages, "
            f"{c['rejected']} rejected. Flow run {run['run_id']}.")


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(clean_folder(sys.argv[1], sys.argv[2]), indent=2))
