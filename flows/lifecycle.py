"""What a command-line run starts, and how it stops: the Prefect API, signals, exit codes.

``RunGuard`` belongs to the ``newsclean`` process (never to a library call of the
flow). It

- finds the Prefect API: PREFECT_API_URL, else a server started by
  ``newsclean server start``, else a temporary server of its own
  (``flows.api_server``: its own session, dies with this process), started with a
  generous bound and one retry;
- turns the first SIGINT/SIGTERM into an orderly stop within seconds: worker
  processes killed, the flow run and its open task runs set Cancelled in Prefect,
  the temporary server stopped, one line printed, exit 130/143. The work is done
  by a thread woken through ``signal.set_wakeup_fd``, so a main thread busy in C
  code (a numba kernel, an SQLite commit) does not delay it. A second signal exits
  at once;
- watches the API during the run: when it stops answering, the run ends with a
  message (exit 6) instead of waiting for it for good.

The process exits with ``os._exit`` on these paths: Prefect's at-exit drain of logs
and events would otherwise wait for an API that is gone. The output lock is an
flock, released by the exit; an interrupted run's finished batches stay in the work
folder for the next run (see clean_flow.RESUME_NAME).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flows.watchdog import RUN_PID_ENV

# Exit codes (README "Exit codes")
EXIT_OK = 0
EXIT_ERROR = 1  # an unexpected error: a bug, please report (--debug shows the traceback)
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_IO = 4  # reading or writing files failed: disk full, read-only folder, permissions
EXIT_STATE = 5  # the state database is damaged or not a newsclean state
EXIT_API = 6  # the Prefect API could not be started or reached, or went away during the run
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


@dataclass(frozen=True)
class ApiSettings:
    """How the temporary API is started and watched."""

    # Prefect's own bound is 20 s: on a loaded 2-core machine three first runs at once all
    # failed with it; they started in 33-37 s. 90 s, then one more try on another port.
    startup_timeout: float = 90.0
    startup_tries: int = 2
    # During a run: the API is asked for its health every `poll` seconds; after `misses`
    # failed answers in a row (each bounded by `timeout`) the run is ended.
    poll: float = 2.0
    timeout: float = 5.0
    misses: int = 3


class ApiUnavailable(RuntimeError):
    """The Prefect API could not be started or reached."""


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, ValueError):
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


SERVER_FILE = "newsclean-server.json"  # written by `newsclean server start`


def recorded_server() -> str | None:
    """The API URL of a server started by `newsclean server start`, when it answers."""
    try:
        info = json.loads((prefect_home() / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None
    url = info.get("api_url")
    return url if isinstance(url, str) and healthy(url, timeout=1.0) else None


def profile_api_url() -> str | None:
    """PREFECT_API_URL of the active Prefect profile (``prefect config set``), read without
    importing Prefect."""
    import tomllib

    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home() / "profiles.toml")
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, ValueError):
        return None
    name = os.environ.get("PREFECT_PROFILE") or data.get("active")
    url = data.get("profiles", {}).get(name, {}).get("PREFECT_API_URL") if name else None
    return url if isinstance(url, str) and url else None


def configured_api() -> str | None:
    """The Prefect API chosen for newsclean without starting one: PREFECT_API_URL, else the
    active Prefect profile's, else the server of `newsclean server start` when it answers."""
    return os.environ.get("PREFECT_API_URL") or profile_api_url() or recorded_server()


def prefect_console_handlers() -> list:  # type: ignore[type-arg]
    """Prefect's console log handlers in this process (each logger may have its own)."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [lg for lg in logging.Logger.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    found: list = []  # type: ignore[type-arg]
    for logger in loggers:
        found += [h for h in logger.handlers if isinstance(h, PrefectConsoleHandler) and h not in found]
    return found


class TemporaryApi:
    """A Prefect API server for this process only (see flows/api_server.py)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.api_url = ""
        self.log_path = ""

    def launch(self) -> None:
        """Start the server process; ``wait`` waits for it (imports can run meanwhile)."""
        import tempfile

        port = self.port = self.port or _free_port()  # a retry keeps the port: Prefect has read the URL
        fd, self.log_path = tempfile.mkstemp(prefix="newsclean-api-", suffix=".log")
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED":
               os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false")}
        env.pop("PREFECT_API_URL", None)
        env.pop(RUN_PID_ENV, None)
        self.proc = subprocess.Popen([sys.executable, "-m", "flows.api_server", str(port), str(os.getpid())],
                                     env=env, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd,
                                     start_new_session=True)  # the terminal's Ctrl-C is ours to handle
        os.close(fd)
        self.api_url = f"http://127.0.0.1:{port}/api"

    def wait(self) -> str:
        """The API URL once the server answers; ApiUnavailable after the tries."""
        for attempt in range(self.settings.startup_tries):
            if attempt:
                self.stop()
                self.launch()
            deadline = time.monotonic() + self.settings.startup_timeout
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    break
                if healthy(self.api_url):
                    return self.api_url
                time.sleep(0.2)
        reason = self._last_log_line() or f"it did not answer in {self.settings.startup_timeout:.0f} s"
        self.stop()
        raise ApiUnavailable(
            f"the temporary Prefect API did not start ({self.settings.startup_tries} tries: {reason}); "
            f"raise NEWSCLEAN_API_STARTUP_TIMEOUT (seconds, now {self.settings.startup_timeout:.0f}) on a busy "
            "machine, or keep one server running with `newsclean server start`")

    def _last_log_line(self) -> str:
        try:
            lines = [ln.strip() for ln in Path(self.log_path).read_text(errors="replace").splitlines()]
        except OSError:
            return ""
        lines = [ln for ln in lines if ln]
        return lines[-1][:200] if lines else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=grace)
            except (ProcessLookupError, PermissionError):
                pass
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        if self.log_path:
            Path(self.log_path).unlink(missing_ok=True)
            self.log_path = ""


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (Linux /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _is_resource_tracker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"resource_tracker" in fh.read()
    except OSError:
        return False


def _api_call(api_url: str, method: str, path: str, body: object, timeout: float) -> object:
    req = urllib.request.Request(f"{api_url}{path}", method=method, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def cancel_flow_run(api_url: str, flow_run_id: str, message: str, timeout: float = 2.0) -> bool:
    """Set the flow run and its unfinished task runs Cancelled (Prefect's REST API, forced)."""
    state = {"state": {"type": "CANCELLED", "name": "Cancelled", "message": message}, "force": True}
    try:
        open_runs = _api_call(api_url, "POST", "/task_runs/filter", {
            "flow_runs": {"id": {"any_": [flow_run_id]}},
            "task_runs": {"state": {"type": {"any_": ["RUNNING", "PENDING", "SCHEDULED"]}}},
            "limit": 200}, timeout)
        for tr in open_runs if isinstance(open_runs, list) else []:
            _api_call(api_url, "POST", f"/task_runs/{tr['id']}/set_state", state, timeout)
        _api_call(api_url, "POST", f"/flow_runs/{flow_run_id}/set_state", state, timeout)
        return True
    except (OSError, ValueError, KeyError, urllib.error.HTTPError):
        return False


class RunGuard:
    """The lifecycle of one command-line process (see the module docstring)."""

    def __init__(self, settings: ApiSettings | None = None, err: Callable[[str], None] | None = None) -> None:
        self.settings = settings or ApiSettings(
            startup_timeout=float(os.environ.get("NEWSCLEAN_API_STARTUP_TIMEOUT", ApiSettings.startup_timeout)))
        # os.write, not print: the main thread may hold sys.stderr's lock when a signal comes
        self.err = err or (lambda line: os.write(2, f"newsclean: {line}\n".encode(errors="replace")) and None)
        self.api: TemporaryApi | None = None
        self.api_url: str | None = None
        self.flow_run_id: str | None = None
        self.committed = False  # the run's state transaction is done: an interrupt loses nothing
        self.is_run = True  # a `newsclean run` (else runs/logs: nothing to commit)
        self._stopping = threading.Lock()
        self._done = threading.Event()
        self._wake_r = -1

    # -- signals
    def install_signals(self) -> None:
        """SIGINT/SIGTERM end the process through ``shutdown`` (from a thread: see module doc)."""
        r, w = os.pipe()
        os.set_blocking(w, False)
        self._wake_r = r
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal_main)
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        threading.Thread(target=self._signal_thread, name="newsclean-signals", daemon=True).start()
        os.environ[RUN_PID_ENV] = str(os.getpid())  # worker processes exit when this one is gone

    def _on_signal_main(self, signum: int, frame: object) -> None:
        """The Python-level handler: the wakeup fd already woke the signal thread; wait for it
        so the main thread does not go on (nor raise KeyboardInterrupt into Prefect)."""
        threading.Event().wait()

    def _signal_thread(self) -> None:
        while True:
            try:
                data = os.read(self._wake_r, 16)
            except InterruptedError:
                continue
            for signum in data:
                if signum in (signal.SIGINT, signal.SIGTERM):
                    code = EXIT_SIGINT if signum == signal.SIGINT else EXIT_SIGTERM
                    name = signal.Signals(signum).name
                    if not self.is_run:
                        line = f"interrupted ({name})"
                    elif self.committed:
                        line = (f"interrupted ({name}) after the run was committed to the state; "
                                "rerun to rewrite the outputs")
                    else:
                        line = f"interrupted ({name}): nothing committed; rerun to continue"
                    self.shutdown(code, line, f"interrupted by {name}")

    # -- the API
    def start_api(self) -> None:
        """Choose the Prefect API and, when it is a temporary one, start it without waiting
        (``api_ready`` waits; imports run meanwhile). PREFECT_API_URL is set in this process's
        environment before Prefect is imported: Prefect reads it once, in every thread, and
        the worker processes inherit it."""
        url = configured_api()
        if not url:
            self.api = TemporaryApi(self.settings)
            self.api.launch()
            url = self.api.api_url
        self.api_url = url.rstrip("/")
        os.environ["PREFECT_API_URL"] = self.api_url

    def api_ready(self) -> str | None:
        """The API URL once it answers: ApiUnavailable when a temporary API does not start, or a
        configured one does not answer within ``startup_tries`` x ``timeout`` seconds."""
        if self.api is not None:
            self.api.wait()
            return self.api_url
        assert self.api_url is not None
        for _ in range(self.settings.startup_tries):
            if healthy(self.api_url, timeout=self.settings.timeout):
                return self.api_url
            time.sleep(1)
        raise ApiUnavailable(f"the Prefect API at {self.api_url} (PREFECT_API_URL or your Prefect profile) does not "
                             "answer: start that server, or unset PREFECT_API_URL to let newsclean start a "
                             "temporary one")

    def watch_api(self) -> None:
        """End the run (EXIT_API) when the API stops answering."""
        s = self.settings

        def watch() -> None:
            misses = 0
            while not self._done.wait(s.poll):
                if self._stopping.locked():
                    return  # the command is ending: the API going away is expected
                api = self.api
                if api is not None and not api.alive():
                    self.shutdown(EXIT_API, "the temporary Prefect API server exited during the run: nothing "
                                  "committed; rerun (or keep one server with `newsclean server start`)", None)
                elif self.api_url and not healthy(self.api_url, timeout=s.timeout):
                    misses += 1
                    if misses >= s.misses:
                        self.shutdown(EXIT_API, f"the Prefect API at {self.api_url} stopped answering during "
                                      "the run: nothing committed; start it again and rerun", None)
                else:
                    misses = 0

        threading.Thread(target=watch, name="newsclean-api-watch", daemon=True).start()

    # -- ending
    def shutdown(self, code: int, line: str, cancel_message: str | None) -> None:
        """Stop everything this process started and exit with ``code`` (never returns).
        A second call (a second Ctrl-C) exits at once."""
        if cancel_message is None and self._done.is_set():
            return  # the API went away because the command is ending normally
        if not self._stopping.acquire(blocking=False):
            if cancel_message is None:
                # the API watcher, while a signal's shutdown is under way: that shutdown stops
                # the API (a Ctrl-C to the process group also reaches the server) and exits
                # with the signal's code, which this must not replace
                return
            os._exit(code)
        try:  # whatever fails on the way (a closed stderr, an API call), the process exits
            try:
                self.err(line)
            except OSError:
                pass
            server = self.api.proc.pid if self.api is not None and self.api.proc is not None else None
            # workers first; multiprocessing's resource tracker last, just before exiting (killed
            # earlier, the pool's threads would start a new one, which prints tracebacks)
            _kill([p for p in descendants(os.getpid()) if p != server and not _is_resource_tracker(p)])
            if cancel_message and self.api_url and self.flow_run_id:
                cancel_flow_run(self.api_url, self.flow_run_id, cancel_message)
            self._stop_api()
            _kill(descendants(os.getpid()))
        finally:
            os._exit(code)

    def close(self) -> None:
        """Stop the temporary API (the normal end of a command)."""
        self._done.set()
        if self._stopping.acquire(blocking=False):  # else a shutdown is under way: it exits
            self._stop_api()

    def _stop_api(self) -> None:
        if self.api is not None:
            self.api.stop()
            self.api = None


CURRENT: RunGuard | None = None  # the command line's guard, when this process has one
