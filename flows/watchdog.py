"""Exit when the process that started this one is gone: nothing of a run outlives it.

Worker processes (Prefect's process pool) and the run's temporary API server
call ``exit_when_orphaned``. When the run's main process dies, even by SIGKILL,
its children are re-parented (to PID 1 or a subreaper); a daemon thread notices
within ``POLL_SECONDS`` and ends the process. Imports nothing heavy.
"""

from __future__ import annotations

import os
import threading
import time

POLL_SECONDS = 0.5
RUN_PID_ENV = "NEWSCLEAN_RUN_PID"  # set by the command line in the run's main process
_started: set[int] = set()  # pids whose watchdog runs (a forked child starts its own)


def exit_when_orphaned(parent: int | None = None) -> bool:
    """Start (once per process) a thread that exits this process when ``parent`` stops being
    its parent. ``parent`` defaults to the run's main process named in NEWSCLEAN_RUN_PID;
    without it (a library call, a remote Dask worker) nothing is watched. True when watching."""
    if parent is None:
        try:
            parent = int(os.environ.get(RUN_PID_ENV, ""))
        except ValueError:
            return False
    pid = os.getpid()
    if parent == pid or pid in _started or os.getppid() != parent:
        return pid in _started
    _started.add(pid)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="newsclean-exit-with-parent", daemon=True).start()
    return True


def worker_init() -> None:
    """Run in each process-pool worker when it starts: the terminal's Ctrl-C reaches the
    whole process group, but stopping the run is the main process's job (it kills the
    workers), so a worker ignores SIGINT instead of printing a traceback; and it exits
    when the main process is gone, even after SIGKILL."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_when_orphaned()
