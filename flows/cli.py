"""The ``newsclean`` command line: a thin layer over the flow and Prefect's client."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import flows  # noqa: F401  (sets Prefect defaults before Prefect is imported)

if TYPE_CHECKING:
    from cleaners.config import EncodingConfig

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
  newsclean runs --limit 5
  newsclean logs 0f5c...           (a flow run id from `newsclean runs` or clean/run.json)
  jq -r '.title' clean/articles.jsonl
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
    run.add_argument("--max-file-mb", type=float, default=50,
                     help="larger files are rejected as too-large (also the bound for decompressed .gz); "
                          "WARC files and .jsonl/.ndjson feeds are read record by record instead, each "
                          "record under this size")
    run.add_argument("--follow-symlinks", action="store_true",
                     help="read symlinked files and folders (only targets inside INPUT_DIR)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar on the terminal")
    run.add_argument("--json", action="store_true", help="print run.json to stdout when done")
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
    serve.add_argument("--name", default=None, help="deployment name (default: newsclean-<INPUT_DIR name>)")
    serve.add_argument("--batch-size", type=int, default=None,
                       help="files per Prefect task (default: sized from each run, see run --help)")
    _cleaning_args(serve)
    _parallel_args(serve)
    _state_args(serve, default_window=30)

    export = sub.add_parser("export", help="rewrite the JSONL outputs of OUTPUT_DIR from its state database",
                            formatter_class=DefaultsHelpFormatter)
    export.add_argument("out", metavar="OUTPUT_DIR", help="output folder holding state.sqlite")
    export.add_argument("--state", metavar="PATH", default=None, help="state database (default OUTPUT_DIR/state.sqlite)")

    runs = sub.add_parser("runs", help="list recent newsclean flow runs with state and counts",
                          formatter_class=DefaultsHelpFormatter)
    runs.add_argument("--limit", type=int, default=10, help="how many runs, newest first")
    runs.add_argument("--scheduled", action="store_true",
                      help="also list scheduled runs that have not started yet (they come first)")

    logs = sub.add_parser("logs", help="print the logs of one flow run",
                          formatter_class=DefaultsHelpFormatter)
    logs.add_argument("run_id", metavar="RUN_ID", help="flow run id (see `newsclean runs` or run.json)")
    logs.add_argument("--limit", type=int, default=1000, help="at most this many log lines")
    return parser


def _cleaning_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ftfy-defaults", action="store_true",
                   help="repair text with ftfy.fix_text's defaults, which also straightens curly quotes and "
                        "narrows full-width characters (by default both are kept: they are correct text); "
                        "applies to files processed from now on")


def _encoding_config(args: argparse.Namespace) -> EncodingConfig:
    from cleaners.config import EncodingConfig

    on = bool(getattr(args, "ftfy_defaults", False))
    return EncodingConfig(uncurl_quotes=on, fix_character_width=on)


def _parallel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="local processes cleaning batches in parallel (1: one process, threads)")
    p.add_argument("--dask-address", metavar="ADDR", default=None,
                   help="clean batches on an existing Dask cluster, e.g. tcp://scheduler:8786 "
                        "(needs the [distributed] extra; INPUT_DIR and OUTPUT_DIR must be on a filesystem "
                        "the workers see at the same paths, and the workers need PREFECT_API_URL)")
    p.add_argument("--lsh-redis", metavar="URL", default=None,
                   help="keep the document LSH index in Redis (datasketch's Redis storage), "
                        "e.g. redis://127.0.0.1:6379/0; the result equals the in-memory index's")


def _state_args(p: argparse.ArgumentParser, default_window: float | None = None) -> None:
    p.add_argument("--state", metavar="PATH", default=None,
                   help="SQLite state of processed files, documents and articles (default OUTPUT_DIR/state.sqlite)")
    p.add_argument("--window-days", type=float, default=default_window, metavar="DAYS",
                   help="only articles updated in the last DAYS are matched against new documents "
                        "(bounds the index on long-running schedules)"
                        + ("; default: no limit" if default_window is None else ""))
    if p.prog.endswith("run"):
        p.add_argument("--fresh", action="store_true",
                       help="forget the state and process every file again")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "run":
        return cmd_run(args, parser)
    if args.command == "runs":
        return cmd_runs(args)
    if args.command == "serve":
        return cmd_serve(args, parser)
    if args.command == "export":
        return cmd_export(args, parser)
    if args.command == "logs":
        return cmd_logs(args)
    parser.error(f"unknown command {args.command!r}")
    return 2


def cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from cleaners.config import Config, ReadConfig

    input_dir = Path(args.input_dir)
    if not input_dir.is_dir():
        parser.error(f"INPUT_DIR {str(input_dir)!r} is not a folder: give the folder of scraped files")
    if args.max_file_mb <= 0:
        parser.error(f"--max-file-mb must be positive, got {args.max_file_mb}")
    max_bytes = int(args.max_file_mb * 1024 * 1024)
    try:
        cfg = Config(read=ReadConfig(max_file_bytes=max_bytes,
                                     max_decompressed_bytes=max(max_bytes, ReadConfig().max_decompressed_bytes),
                                     follow_symlinks=args.follow_symlinks),
                     encoding=_encoding_config(args),
                     batch_size=args.batch_size, lsh_redis_url=args.lsh_redis).validate()
    except ValueError as exc:
        parser.error(str(exc))
    _check_parallel(args, parser)
    out = _checked_out(input_dir, Path(args.out), parser)  # last: it creates the folder
    from cleaners.output import OutputLocked
    from flows.clean_flow import clean_folder, summary

    try:
        run = clean_folder(str(input_dir), str(out), cfg.to_dict(), show_progress=not args.no_progress,
                           state_path=args.state, window_days=args.window_days, fresh=args.fresh,
                           workers=args.workers, dask_address=args.dask_address)
    except OutputLocked as exc:
        print(f"newsclean: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:  # e.g. state built with other matching settings
        print(f"newsclean: {exc}", file=sys.stderr)
        return 2
    finally:
        flush_logs()
    if args.json:
        print(json.dumps(run, indent=2, ensure_ascii=False))
    else:
        print(summary(run))
        print(f"Output in {out}/ (documents.jsonl, articles.jsonl, rejects.jsonl, run.json)")
    return 0


def cmd_serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import os

    from cleaners.config import Config

    input_dir = Path(args.input_dir)
    if not input_dir.is_dir():
        parser.error(f"INPUT_DIR {str(input_dir)!r} is not a folder")
    if not os.environ.get("PREFECT_API_URL"):
        from prefect.settings import PREFECT_API_URL

        if not PREFECT_API_URL.value():
            print("newsclean: scheduled runs need a running Prefect server (the temporary one has no "
                  "scheduler). Start one with `prefect server start --host 127.0.0.1` and set "
                  "PREFECT_API_URL=http://127.0.0.1:4200/api", file=sys.stderr)
            return 2
    try:
        cfg = Config(encoding=_encoding_config(args), batch_size=args.batch_size,
                     lsh_redis_url=args.lsh_redis).validate()
    except ValueError as exc:
        parser.error(str(exc))
    _check_parallel(args, parser)
    _checked_out(input_dir, Path(args.out), parser)
    from flows.clean_flow import clean_folder

    name = args.name or f"newsclean-{input_dir.resolve().name}"
    params = {"input_dir": str(input_dir.resolve()), "out_dir": str(Path(args.out).resolve()),
              "config": cfg.to_dict(), "state_path": args.state, "window_days": args.window_days,
              "workers": args.workers, "dask_address": args.dask_address}
    print(f"serving deployment 'newsclean/{name}' ({'cron ' + args.cron if args.cron else f'every {args.interval:g} s'})"
          f"; Ctrl+C stops it")
    clean_folder.serve(name=name, cron=args.cron, interval=args.interval, parameters=params)
    return 0


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


def _check_parallel(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Fail early, with the fix, on bad --workers / --dask-address / --lsh-redis."""
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
    if args.lsh_redis:
        try:
            import redis
        except ImportError:
            parser.error("--lsh-redis needs the redis client: pip install -c constraints.txt -e '.[distributed]'")
        try:
            redis.Redis.from_url(args.lsh_redis, socket_connect_timeout=3).ping()
        except (redis.exceptions.RedisError, ValueError) as exc:
            parser.error(f"--lsh-redis {args.lsh_redis!r}: cannot reach Redis ({exc}); start redis-server "
                         "or drop the option")


def cmd_export(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from cleaners.output import STATE_NAME, OutputLocked, export_state, output_lock
    from cleaners.state import State

    out = Path(args.out)
    state_file = Path(args.state) if args.state else out / STATE_NAME
    if not state_file.exists():
        parser.error(f"no state database at {state_file}: run `newsclean run INPUT_DIR --out {out}` first")
    try:
        with output_lock(out), State(state_file) as state:
            n = export_state(state, out)
    except OutputLocked as exc:
        print(f"newsclean: {exc}", file=sys.stderr)
        return 3
    print(f"exported {n['documents']} documents, {n['articles']} articles, {n['rejects']} rejects to {out}/")
    return 0


def flush_logs() -> None:
    """Send buffered run logs to the Prefect API now, so `newsclean logs` sees all of them."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)


def cmd_runs(args: argparse.Namespace) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowFilter, FlowFilterName, FlowRunFilter,
                                                FlowRunFilterStartTime)
    from prefect.client.schemas.sorting import FlowRunSort

    # Prefect sorts by start time, else expected start time: a schedule's future
    # runs would come first and push the runs that happened off the list.
    started = None if args.scheduled else FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["newsclean"])),
                                     flow_run_filter=started, sort=FlowRunSort.START_TIME_DESC,
                                     limit=args.limit)
    if not runs:
        print("no newsclean flow runs yet: start one with `newsclean run INPUT_DIR --out OUTPUT_DIR`")
        return 0
    print(f"{'flow run id':36}  {'name':24}  {'state':10}  {'started':25}  parameters")
    for r in runs:
        params = r.parameters or {}
        started = r.start_time.isoformat(timespec="seconds") if r.start_time else "-"
        print(f"{str(r.id):36}  {r.name[:24]:24}  {(r.state_name or '-'):10}  {started:25}  "
              f"{params.get('input_dir', '')} -> {params.get('out_dir', '')}")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    try:
        run_id = UUID(args.run_id)
    except ValueError:
        print(f"newsclean: {args.run_id!r} is not a flow run id (a UUID); list them with `newsclean runs`",
              file=sys.stderr)
        return 2
    logs: list = []
    with get_client(sync_client=True) as client:
        while len(logs) < args.limit:  # the API serves at most 200 logs a request
            page = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])),
                                    sort=LogSort.TIMESTAMP_ASC, offset=len(logs),
                                    limit=min(200, args.limit - len(logs)))
            logs.extend(page)
            if len(page) < 200:
                break
    if not logs:
        print(f"no logs for flow run {run_id}", file=sys.stderr)
        return 1
    for entry in logs:
        print(f"{entry.timestamp.isoformat(timespec='seconds')}  {entry.name:24}  {entry.message}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
