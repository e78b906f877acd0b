"""The ``newsclean`` command line: a thin layer over the flow and Prefect's client."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import flows  # noqa: F401  (sets Prefect defaults before Prefect is imported)

if TYPE_CHECKING:
    from cleaners.config import Config

DESCRIPTION = """\
Clean and deduplicate a folder of scraped news.

Reads every .html/.htm, .txt, .json, .jsonl and .warc file (optionally .gz)
under INPUT_DIR, repairs encodings, extracts the article text, strips page
clutter, groups near-duplicate documents into articles and finds passages that
different outlets share. Writes documents.jsonl, articles.jsonl, rejects.jsonl
and run.json to the output folder. Every run is a Prefect flow run: see
`newsclean runs` and `newsclean logs RUN_ID`.
"""

EPILOG = """\
examples:
  newsclean run raw --out clean
  newsclean server start           (keep one local Prefect API: later commands start in seconds)
  newsclean runs --out clean --limit 5
  newsclean logs 0f5c...           (a flow run id from `newsclean runs` or clean/run.json)
  jq -r '.title' clean/articles.jsonl
  newsclean explain clean DOC_OR_ARTICLE_ID   (why a document is in its article; why an article has its members)
  newsclean explain clean --pair DOC_A DOC_B  (why two documents were or were not merged)

exit codes: 0 done (rejects included), 1 unexpected error (a bug: --debug shows the traceback),
  2 usage error, 3 another run holds the output folder or the state, 4 file or disk error (disk full,
  read-only folder, permissions), 5 damaged state database (--fresh rebuilds it),
  6 Prefect API not started or lost, 130 Ctrl-C, 143 SIGTERM.
"""


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" only where it tells something: not to a flag (False), not to an
    option whose default is None (its help says what happens), not when the help names its default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default is None or action.default is False or "default" in text:
            return text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsclean", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="clean and deduplicate INPUT_DIR into OUTPUT_DIR (a Prefect flow run)",
                         description="Clean and deduplicate every news file under INPUT_DIR.",
                         formatter_class=DefaultsHelpFormatter)
    run.add_argument("input_dir", metavar="INPUT_DIR", help="folder of scraped news (read recursively)")
    run.add_argument("--out", "-o", metavar="OUTPUT_DIR", default="clean",
                     help="folder for documents.jsonl, articles.jsonl, rejects.jsonl, run.json")
    run.add_argument("--batch-size", type=int, default=None,
                     help="files per Prefect task (default: about 4 batches per worker, 50 to 1000 files; "
                          "each task run costs tens of ms, batches amortise it)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar on the terminal")
    run.add_argument("--json", action="store_true", help="print run.json to stdout when done")
    _report_arg(run)
    _read_args(run)
    _cleaning_args(run)
    _parallel_args(run)
    _state_args(run)

    serve = sub.add_parser("serve", help="run the flow on a schedule (Prefect's flow.serve; needs a Prefect server)",
                           description="Serve the newsclean flow as a Prefect deployment that runs on a "
                                       "schedule. Each run processes only the files that are new since the "
                                       "last one. Needs a running Prefect server: `prefect server start "
                                       "--host 127.0.0.1` and PREFECT_API_URL=http://127.0.0.1:4200/api.",
                           formatter_class=DefaultsHelpFormatter)
    serve.add_argument("input_dir", metavar="INPUT_DIR", help="folder the scrapers write into")
    serve.add_argument("--out", "-o", metavar="OUTPUT_DIR", default="clean", help="output folder")
    when = serve.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", metavar="EXPR", help='cron schedule, e.g. "*/15 * * * *"')
    when.add_argument("--interval", type=float, metavar="SECONDS", help="run every SECONDS")
    serve.add_argument("--name", default=None,
                       help="deployment name (default: newsclean-<INPUT_DIR name>-<8 hex of its full path>, "
                            "so two folders with one name do not share a deployment)")
    serve.add_argument("--batch-size", type=int, default=None,
                       help="files per Prefect task (default: sized from each run, see run --help)")
    _read_args(serve)
    _cleaning_args(serve)
    _parallel_args(serve)
    _state_args(serve, default_window=30)

    export = sub.add_parser("export", help="rewrite the JSONL outputs of OUTPUT_DIR from its state database",
                            formatter_class=DefaultsHelpFormatter)
    export.add_argument("out", metavar="OUTPUT_DIR", help="output folder holding state.sqlite")
    export.add_argument("--state", metavar="PATH", default=None, help="state database (default OUTPUT_DIR/state.sqlite)")
    _report_arg(export)

    explain = sub.add_parser(
        "explain", help="why a document is in its article, what an article holds, why two documents were "
                        "or were not merged",
        description="Explain a decision of the runs on OUTPUT_DIR, from its state database: for a document, "
                    "its article, the chain of verified pairs that joins it to the canonical document (each "
                    "pair's Jaccard, containment and rule), why it is not the canonical one, its removals, "
                    "fixes and shared passages; for an article, its members by outlet with the paragraphs "
                    "each lacks or adds against the canonical text; with --pair, whether two documents were "
                    "LSH candidates, their Jaccard and containment, the thresholds and the verdict.",
        formatter_class=DefaultsHelpFormatter)
    explain.add_argument("out", metavar="OUTPUT_DIR", help="output folder holding state.sqlite")
    explain.add_argument("id", metavar="ID", nargs="?",
                         help="a doc_id (documents.jsonl) or an article_id (articles.jsonl)")
    explain.add_argument("--pair", nargs=2, metavar=("DOC_A", "DOC_B"),
                         help="explain why these two documents were or were not merged (instead of ID)")
    explain.add_argument("--state", metavar="PATH", default=None,
                         help="state database (default OUTPUT_DIR/state.sqlite)")
    explain.add_argument("--json", action="store_true", help="print the explanation as one JSON object")

    runs = sub.add_parser("runs", help="list recent newsclean flow runs with state and counts",
                          formatter_class=DefaultsHelpFormatter)
    runs.add_argument("--limit", type=int, default=10, help="how many runs, newest first")
    runs.add_argument("--out", "-o", metavar="OUTPUT_DIR", default=None,
                      help="only runs that wrote to this output folder (default: every newsclean run)")
    runs.add_argument("--scheduled", action="store_true",
                      help="also list scheduled runs that have not started yet (they come first)")

    logs = sub.add_parser("logs", help="print the logs of one flow run",
                          formatter_class=DefaultsHelpFormatter)
    logs.add_argument("run_id", metavar="RUN_ID", help="flow run id (see `newsclean runs` or run.json)")
    logs.add_argument("--limit", type=int, default=1000, help="at most this many log lines")

    server = sub.add_parser("server", help="start, stop or show one local Prefect server for later commands",
                            description="Keep one Prefect server (API and UI) running on 127.0.0.1 so that "
                                        "`newsclean run`, `runs` and `logs` use it instead of starting a "
                                        "temporary API each time (about 10-30 s). Its address is recorded in "
                                        "PREFECT_HOME (~/.prefect); PREFECT_API_URL, when set, still wins. "
                                        "Needed for `serve` (the temporary API has no scheduler).",
                            formatter_class=DefaultsHelpFormatter)
    server.add_argument("action", choices=("start", "stop", "status"), help="what to do")
    server.add_argument("--port", type=int, default=4200, help="port on 127.0.0.1 (start)")
    for p in sub.choices.values():
        p.add_argument("--debug", action="store_true", help="show the full traceback on errors")
        p.set_defaults(subparser=p)
    return parser


def _report_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-report", action="store_true",
                   help="do not write OUTPUT_DIR/report.html (a page of the counts, the largest articles, "
                        "shared passages and site boilerplate); an existing one is left as it is")


def _read_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-file-mb", type=float, default=50,
                   help="larger files are rejected as too-large (also the bound for decompressed .gz); "
                        "WARC files and .jsonl/.ndjson feeds are read record by record instead, each "
                        "record under this size")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="read symlinked files and folders (only targets inside INPUT_DIR)")


def _cleaning_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ftfy-defaults", action="store_true",
                   help="repair text with ftfy.fix_text's defaults, which also straightens curly quotes and "
                        "narrows full-width characters (by default both are kept: they are correct text); "
                        "applies to files processed from now on")


def _parallel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="local processes cleaning batches in parallel (1: one process, threads)")
    p.add_argument("--dask-address", metavar="ADDR", default=None,
                   help="clean batches on an existing Dask cluster, e.g. tcp://scheduler:8786 "
                        "(needs the [distributed] extra; INPUT_DIR and OUTPUT_DIR must be on a filesystem "
                        "the workers see at the same paths, and the workers need PREFECT_API_URL)")
    p.add_argument("--index", metavar="KIND", default=None,
                   help="where the document index (LSH band keys) lives while matching: memory (default), "
                        "sqlite (in the file --index-url, else in memory) or redis (the server --index-url); "
                        "every kind gives the same result")
    p.add_argument("--index-url", metavar="URL", default=None,
                   help="the index's file (sqlite) or server (redis, e.g. redis://127.0.0.1:6379/0)")
    p.add_argument("--lsh-redis", metavar="URL", default=None,
                   help="short for --index redis --index-url URL")
    p.add_argument("--disable-clutter-rule", metavar="NAME", action="append", default=[],
                   help="switch off one clutter rule by its name (the removal reason it records, e.g. "
                        "share-bar); repeat for more")


def _state_args(p: argparse.ArgumentParser, default_window: float | None = None) -> None:
    p.add_argument("--state", metavar="PATH", default=None,
                   help="SQLite state of processed files, documents and articles (default OUTPUT_DIR/state.sqlite)")
    p.add_argument("--window-days", type=float, default=default_window, metavar="DAYS",
                   help="only articles updated in the last DAYS are matched against new documents "
                        "(bounds the index on long-running schedules)"
                        + ("; default: no limit" if default_window is None else ""))
    p.add_argument("--verify-content", action="store_true",
                   help="hash every input file to find changed ones; by default a file whose size and mtime "
                        "match the state's is taken as unchanged without reading it (cp -p, rsync -t and tar "
                        "restore mtimes, so a same-size change copied with them is missed)")
    if p.prog.endswith("run"):
        p.add_argument("--fresh", action="store_true",
                       help="forget the state and process every file again")


def console() -> None:
    """The ``newsclean`` console script: this process owns its Prefect API, its worker
    processes and its signals (flows/lifecycle.py), and exits without Prefect's at-exit
    waits for an API that is gone."""
    code = main(own_process=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, own_process: bool = False) -> int:
    """Run one command; returns its exit code (see EPILOG). ``own_process``: this is the
    command's own process (signals, temporary API, child processes are ours to manage)."""
    from flows import lifecycle

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    guard = None
    if own_process and args.command in ("run", "runs", "logs"):
        guard = lifecycle.RunGuard()
        guard.is_run = args.command == "run"
        guard.install_signals()
        lifecycle.CURRENT = guard
    try:
        return _dispatch(args, guard)
    except KeyboardInterrupt:  # in-process callers without a guard, and `serve`
        done = ": nothing committed; rerun to continue" if args.command == "run" else ""
        print(f"newsclean: interrupted{done}", file=sys.stderr)
        return lifecycle.EXIT_SIGINT
    except Exception as exc:  # noqa: BLE001 - every error becomes one line and an exit code
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        code, line = error_line(exc, args)
        print(f"newsclean: {line}", file=sys.stderr)
        return code
    finally:
        if guard is not None:
            guard.close()
            lifecycle.CURRENT = None


def _dispatch(args: argparse.Namespace, guard) -> int:  # type: ignore[no-untyped-def]
    parser: argparse.ArgumentParser = args.subparser
    if args.command == "run":
        return cmd_run(args, parser, guard)
    if args.command == "runs":
        return cmd_runs(args, guard)
    if args.command == "serve":
        return cmd_serve(args, parser)
    if args.command == "export":
        return cmd_export(args, parser)
    if args.command == "explain":
        return cmd_explain(args, parser)
    if args.command == "logs":
        return cmd_logs(args, guard)
    if args.command == "server":
        return cmd_server(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


_OPTION_NAMES = {"batch_size": "--batch-size", "max_file_bytes": "--max-file-mb", "workers": "--workers",
                 "index_url": "--index-url", "index 'redis'": "--index redis", "index 'memory'": "--index memory",
                 "document index": "--index", "clutter.disabled": "--disable-clutter-rule"}


def _option_names(message: str) -> str:
    """A configuration error as the user typed it: ``batch_size`` -> ``--batch-size``."""
    for field, option in _OPTION_NAMES.items():
        message = message.replace(field, option)
    return message


def error_line(exc: BaseException, args: argparse.Namespace) -> tuple[int, str]:
    """The exit code and one line (what, where, the remedy) for an error that ended a command."""
    import errno
    import sqlite3

    from cleaners.store.output import OutputLocked
    from flows import lifecycle

    state = getattr(args, "state", None) or (Path(args.out) / "state.sqlite" if getattr(args, "out", None) else None)
    if isinstance(exc, OutputLocked):
        return lifecycle.EXIT_LOCKED, str(exc)
    if isinstance(exc, lifecycle.ApiUnavailable):
        return lifecycle.EXIT_API, str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        text = str(exc)
        low = text.lower()
        if any(k in low for k in ("full", "disk i/o", "readonly", "unable to open", "locked")):
            return lifecycle.EXIT_IO, (f"state database {state}: {text}: free disk space or choose a writable "
                                       "--out/--state, then rerun (nothing was committed)")
        return lifecycle.EXIT_STATE, (f"state database {state} is damaged ({text}): `newsclean run INPUT_DIR "
                                      "--fresh` (same --out/--state) rebuilds it from the input files; or move it away")
    if isinstance(exc, OSError):
        out = getattr(args, "out", None)
        where = f" {exc.filename}" if exc.filename else (f" the output folder {out}" if out else "")
        cause = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            remedy = "free disk space and rerun (nothing was committed)"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            remedy = "choose a writable --out (and --state), or fix the permissions"
        else:
            remedy = "check the path and rerun"
        return lifecycle.EXIT_IO, f"cannot use{where}: {cause}; {remedy}"
    if isinstance(exc, ValueError):  # e.g. a state built with other matching settings
        return lifecycle.EXIT_USAGE, _option_names(str(exc))
    return lifecycle.EXIT_ERROR, (f"unexpected error: {type(exc).__name__}: {exc} (rerun with --debug for the "
                                  "traceback, and please report it)")


class _NoTraceback:
    """A log formatter that leaves out the traceback (the terminal gets one line an error;
    the run's logs in Prefect keep the traceback: the record itself is not changed)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def format(self, record):  # type: ignore[no-untyped-def]
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)


def quiet_tracebacks() -> None:
    """Prefect's console log lines without tracebacks (--debug keeps them)."""
    from flows.lifecycle import prefect_console_handlers

    for h in prefect_console_handlers():
        if not isinstance(h.formatter, _NoTraceback):
            h.setFormatter(_NoTraceback(h.formatter or logging.Formatter()))  # type: ignore[arg-type]


def _start_api(guard) -> None:  # type: ignore[no-untyped-def]
    """Begin finding the Prefect API (flows/lifecycle.py); say so when it takes a while."""
    if guard is None:
        return
    guard.start_api()
    if guard.api is not None:
        print("newsclean: starting a temporary Prefect API for this command (10-30 s; "
              "`newsclean server start` keeps one running)", file=sys.stderr, flush=True)


def _wait_api(guard) -> None:  # type: ignore[no-untyped-def]
    """Wait for the API the guard started (Prefect already reads its URL from the environment)."""
    if guard is not None:
        guard.api_ready()


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Config:
    """The run's frozen Config from the options `run` and `serve` share (the one place either
    builds it); a usage error names the option and the fix."""
    from cleaners.clean.clutter import enabled_rules
    from cleaners.config import ClutterConfig, Config, EncodingConfig, ReadConfig
    from cleaners.match.index import check_index_kind

    if args.max_file_mb <= 0:
        parser.error(f"--max-file-mb must be positive, got {args.max_file_mb}")
    if args.state and Path(args.state).is_dir():
        parser.error(f"--state {args.state!r} is a folder: give a file path, e.g. {args.state.rstrip('/')}/state.sqlite")
    max_bytes = int(args.max_file_mb * 1024 * 1024)
    index, index_url = args.index, args.index_url
    if args.lsh_redis:
        if index not in (None, "redis") or (index_url and index_url != args.lsh_redis):
            parser.error("--lsh-redis URL is short for --index redis --index-url URL: give one or the other")
        index, index_url = "redis", args.lsh_redis
    try:
        cfg = Config(read=ReadConfig(max_file_bytes=max_bytes,
                                      max_decompressed_bytes=max(max_bytes, ReadConfig().max_decompressed_bytes),
                                      follow_symlinks=args.follow_symlinks, verify_content=args.verify_content),
                      encoding=EncodingConfig(uncurl_quotes=args.ftfy_defaults,
                                              fix_character_width=args.ftfy_defaults),
                      clutter=ClutterConfig(disabled=frozenset(args.disable_clutter_rule)),
                      batch_size=args.batch_size, index=index or "memory", index_url=index_url).validate()
        enabled_rules(cfg.clutter)  # an unknown rule name stops the run here, not in every document
        check_index_kind(cfg.index)
        return cfg
    except ValueError as exc:
        parser.error(_option_names(str(exc)))
        raise  # parser.error exits


def cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser, guard=None) -> int:  # type: ignore[no-untyped-def]
    input_dir = Path(args.input_dir)
    if not input_dir.is_dir():
        parser.error(f"INPUT_DIR {str(input_dir)!r} is not a folder: give the folder of scraped files")
    cfg = config_from_args(args, parser)
    _check_parallel(args, parser, cfg)
    out = _checked_out(input_dir, Path(args.out), parser)  # last: it creates the folder
    _start_api(guard)  # the server starts while the flow's modules import
    from flows.clean_flow import clean_folder, summary

    if not args.debug:
        quiet_tracebacks()

    _wait_api(guard)
    if guard is not None:
        guard.watch_api()
    try:
        run = clean_folder(str(input_dir.resolve()), str(out.resolve()), cfg,
                           show_progress=not args.no_progress, state_path=args.state,
                           window_days=args.window_days, fresh=args.fresh, workers=args.workers,
                           dask_address=args.dask_address, report=not args.no_report)
    finally:
        flush_logs()
    if args.json:
        print(json.dumps(run, indent=2, ensure_ascii=False))
    else:
        print(summary(run))
        report = " and report.html" if (run.get("report") or {}).get("path") else ""
        print(f"Output in {out}/ (documents.jsonl, articles.jsonl, rejects.jsonl, run.json{report})")
    return 0


def cmd_serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    input_dir = Path(args.input_dir)
    if not input_dir.is_dir():
        parser.error(f"INPUT_DIR {str(input_dir)!r} is not a folder")
    from flows.lifecycle import configured_api

    url = configured_api()
    if not url:
        print("newsclean: scheduled runs need a running Prefect server (the temporary one has no "
              "scheduler): start one with `newsclean server start` (or `prefect server start --host "
              "127.0.0.1` and PREFECT_API_URL=http://127.0.0.1:4200/api)", file=sys.stderr)
        return 2
    os.environ["PREFECT_API_URL"] = url  # e.g. the server of `newsclean server start`
    cfg = config_from_args(args, parser)
    _check_parallel(args, parser, cfg)
    _checked_out(input_dir, Path(args.out), parser)
    from flows.clean_flow import clean_folder

    name = args.name or deployment_name(input_dir)
    # a deployment's parameters are JSON: the flow makes the Config of this dict again
    params = {"input_dir": str(input_dir.resolve()), "out_dir": str(Path(args.out).resolve()),
              "config": cfg.to_dict(), "state_path": args.state, "window_days": args.window_days,
              "workers": args.workers, "dask_address": args.dask_address}
    print(f"serving deployment 'newsclean/{name}' ({'cron ' + args.cron if args.cron else f'every {args.interval:g} s'})"
          f"; Ctrl+C stops it")
    clean_folder.serve(name=name, cron=args.cron, interval=args.interval, parameters=params)
    return 0


def deployment_name(input_dir: Path) -> str:
    """newsclean-<folder name>-<8 hex of its full path>: two folders named raw do not collide."""
    import hashlib

    full = str(input_dir.resolve())
    return f"newsclean-{input_dir.resolve().name}-{hashlib.sha256(full.encode()).hexdigest()[:8]}"


def _checked_out(input_dir: Path, out: Path, parser: argparse.ArgumentParser) -> Path:
    """The output folder, created; a usage error when it cannot be, or when it is INPUT_DIR."""
    if out.exists() and not out.is_dir():
        parser.error(f"--out {str(out)!r} exists and is not a folder: choose another path")
    if out.resolve() == input_dir.resolve():
        parser.error(f"--out {str(out)!r} is INPUT_DIR itself: the outputs and the state would be read as "
                     "inputs by the next run; give another folder (a subfolder of INPUT_DIR is skipped)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {str(out)!r} cannot be created ({exc.strerror or exc}): choose a writable folder")
    return out


def _check_parallel(args: argparse.Namespace, parser: argparse.ArgumentParser, cfg: Config) -> None:
    """Fail early, with the fix, on bad --workers / --dask-address / a Redis index."""
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")
    if args.dask_address:
        try:
            import prefect_dask  # noqa: F401
        except ImportError:
            parser.error("--dask-address needs prefect-dask and dask.distributed: "
                         "pip install -c constraints.txt -e '.[distributed]'")
        if not os.environ.get("PREFECT_API_URL"):
            print("newsclean: warning: PREFECT_API_URL is not set, so each Dask worker starts its own "
                  "temporary Prefect API and its task runs are not visible here; start `prefect server "
                  "start` and set PREFECT_API_URL on this machine and the workers", file=sys.stderr)
    url = cfg.index_url if cfg.index == "redis" else None
    if url:
        try:
            import redis
        except ImportError:
            parser.error("a Redis index needs the redis client: pip install -c constraints.txt -e '.[distributed]'")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        except (redis.exceptions.RedisError, ValueError) as exc:
            parser.error(f"Redis index {url!r}: cannot reach Redis ({exc}); start redis-server "
                         "or drop the option")


def cmd_export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from cleaners.store.output import STATE_NAME, OutputLocked, export_state, output_lock, state_lock
    from cleaners.store.state import State

    out = Path(args.out)
    state_file = Path(args.state) if args.state else out / STATE_NAME
    if not state_file.exists():
        parser.error(f"no state database at {state_file}: run `newsclean run INPUT_DIR --out {out}` first")
    try:
        with output_lock(out), state_lock(state_file), State(state_file) as state:
            n = export_state(state, out)
            report = None if args.no_report else _export_report(out)
    except OutputLocked as exc:
        print(f"newsclean: {exc}", file=sys.stderr)
        return 3
    print(f"exported {n['documents']} documents, {n['articles']} articles, {n['rejects']} rejects to {out}/"
          + (f" and {report.name}" if report else ""))
    return 0


def cmd_explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """`newsclean explain`: read-only, so it needs no lock and works while a run goes on (SQLite
    gives it the state as of the last commit)."""
    from cleaners.match.explain import explain, explain_pair, render
    from cleaners.store.output import STATE_NAME
    from cleaners.store.state import State

    if (args.id is None) == (args.pair is None):
        parser.error("give one ID (a doc_id or an article_id) or --pair DOC_A DOC_B")
    out = Path(args.out)
    state_file = Path(args.state) if args.state else out / STATE_NAME
    if not state_file.is_file():
        parser.error(f"no state database at {state_file}: run `newsclean run INPUT_DIR --out {out}` first")
    with State(state_file, readonly=True) as state:
        e = explain_pair(state, *args.pair) if args.pair else explain(state, args.id)
    print(json.dumps(e, indent=2, ensure_ascii=False) if args.json else render(e), end="\n" if args.json else "")
    return 0


def _export_report(out: Path) -> Path | None:
    """report.html over the exported outputs (with the last run's run.json, when there is one);
    None, said on stderr, when it cannot be built: the exported outputs stand."""
    from cleaners.store.output import read_json
    from cleaners.store.report import write_report

    try:
        run = read_json(out / "run.json") if (out / "run.json").exists() else None
    except ValueError:
        run = None  # a damaged run.json: the report then names no run
    try:
        return write_report(out, run if isinstance(run, dict) else None).path
    except ValueError as exc:
        print(f"newsclean: report.html not written: {exc}", file=sys.stderr)
        return None


def flush_logs() -> None:
    """Send buffered run logs and events to the Prefect API now, so `newsclean logs` sees all
    of them (and nothing is left for an at-exit drain)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all(timeout=5)


_RUN_COUNTS = ("new_documents", "documents", "articles", "rejected")


def cmd_runs(args: argparse.Namespace, guard=None) -> int:  # type: ignore[no-untyped-def]
    _start_api(guard)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey,
                                                FlowFilter, FlowFilterName, FlowRunFilter,
                                                FlowRunFilterStartTime)
    from prefect.client.schemas.sorting import FlowRunSort

    # Prefect sorts by start time, else expected start time: a schedule's future
    # runs would come first and push the runs that happened off the list.
    started = None if args.scheduled else FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False))
    out = str(Path(args.out).resolve()) if args.out else None
    _wait_api(guard)
    with get_client(sync_client=True) as client:
        # the output folder is a parameter, which the API cannot filter on: read more, keep those
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["newsclean"])),
                                     flow_run_filter=started, sort=FlowRunSort.START_TIME_DESC,
                                     limit=200 if out else args.limit)
        if out:
            runs = [r for r in runs if _same_path((r.parameters or {}).get("out_dir"), out)][:args.limit]
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[r.id for r in runs]),
            key=ArtifactFilterKey(any_=["newsclean-counts"]))) if runs else []
    if not runs:
        where = f" writing to {args.out}" if out else ""
        print(f"no newsclean flow runs{where} yet: start one with `newsclean run INPUT_DIR --out OUTPUT_DIR`")
        return 0
    counts = {str(a.flow_run_id): _table_counts(a.data) for a in arts}
    print(f"{'flow run id':36}  {'state':10}  {'started':25}  {'new':>6} {'docs':>7} {'articles':>8} "
          f"{'rejected':>8}  input -> output")
    for r in runs:
        params = r.parameters or {}
        when = r.start_time.isoformat(timespec="seconds") if r.start_time else "-"
        c = counts.get(str(r.id), {})
        nums = " ".join(f"{c[k] if k in c else '-':>{w}}" for k, w in zip(_RUN_COUNTS, (6, 7, 8, 8)))
        print(f"{str(r.id):36}  {(r.state_name or '-'):10}  {when:25}  {nums}  "
              f"{params.get('input_dir', '')} -> {params.get('out_dir', '')}")
    return 0


def _same_path(a: object, b: str) -> bool:
    return isinstance(a, str) and bool(a) and str(Path(a).resolve()) == b


def _table_counts(data: object) -> dict[str, int]:
    """The step counts of a newsclean-counts table artifact ({step: count})."""
    try:
        rows = json.loads(data) if isinstance(data, str) else data
        return {r["step"]: r["count"] for r in rows if isinstance(r.get("count"), int)}  # type: ignore[union-attr]
    except (TypeError, ValueError, KeyError, AttributeError):
        return {}


def cmd_logs(args: argparse.Namespace, guard=None) -> int:  # type: ignore[no-untyped-def]
    from uuid import UUID

    try:
        run_id = UUID(args.run_id)
    except ValueError:
        print(f"newsclean: {args.run_id!r} is not a flow run id (a UUID); list them with `newsclean runs`",
              file=sys.stderr)
        return 2
    _start_api(guard)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, TaskRunFilter, TaskRunFilterId
    from prefect.client.schemas.sorting import LogSort

    logs: list = []
    _wait_api(guard)
    with get_client(sync_client=True) as client:
        while len(logs) < args.limit:  # the API serves at most 200 logs a request
            page = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])),
                                    sort=LogSort.TIMESTAMP_ASC, offset=len(logs),
                                    limit=min(200, args.limit - len(logs)))
            logs.extend(page)
            if len(page) < 200:
                break
        task_ids = sorted({e.task_run_id for e in logs if e.task_run_id}, key=str)
        names: dict[str, str] = {}
        for i in range(0, len(task_ids), 200):
            for tr in client.read_task_runs(task_run_filter=TaskRunFilter(
                    id=TaskRunFilterId(any_=task_ids[i:i + 200])), limit=200):
                names[str(tr.id)] = tr.name
    if not logs:
        print(f"no logs for flow run {run_id}", file=sys.stderr)
        return 1
    width = max([len(n) for n in names.values()] + [8])
    for entry in logs:
        who = names.get(str(entry.task_run_id), "task run") if entry.task_run_id else "flow run"
        level = logging.getLevelName(entry.level)
        print(f"{entry.timestamp.isoformat(timespec='seconds')}  {who:{width}}  {level:7}  {entry.message}")
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    """`newsclean server start|stop|status`: one local Prefect server (API and UI) for later commands."""
    import signal
    import subprocess
    import time

    from flows import lifecycle

    home = lifecycle.prefect_home()
    info_file = home / lifecycle.SERVER_FILE
    try:
        info = json.loads(info_file.read_text())
    except (OSError, ValueError):
        info = {}
    url = lifecycle.recorded_server()
    if args.action == "status":
        print(f"running: {url} (UI {url[:-4]}), pid {info.get('pid')}" if url else "not running")
        return 0 if url else 1
    if args.action == "stop":
        if not info:
            print("no server started by `newsclean server start`")
            return 0
        try:
            os.killpg(int(info["pid"]), signal.SIGTERM)
        except (ProcessLookupError, KeyError, ValueError, PermissionError):
            pass
        info_file.unlink(missing_ok=True)
        print(f"stopped the Prefect server (pid {info.get('pid')})")
        return 0
    if url:
        print(f"already running: {url}")
        return 0
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "newsclean-server.log"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED",
                                                                          "false")}
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                 "--port", str(args.port)], env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True)
    api = f"http://127.0.0.1:{args.port}/api"
    deadline = time.monotonic() + float(os.environ.get("NEWSCLEAN_API_STARTUP_TIMEOUT", 90))
    while time.monotonic() < deadline and proc.poll() is None:
        if lifecycle.healthy(api):
            from cleaners.store.output import write_json

            write_json(info_file, {"api_url": api, "pid": proc.pid, "log": str(log_path)})
            print(f"Prefect server running at {api[:-4]} (pid {proc.pid}, log {log_path}); newsclean commands "
                  f"use it from now on; stop it with `newsclean server stop`")
            return 0
        time.sleep(0.3)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    print(f"newsclean: the Prefect server did not start (see {log_path}); is port {args.port} free? "
          "Try --port", file=sys.stderr)
    return lifecycle.EXIT_API


if __name__ == "__main__":  # pragma: no cover
    console()
