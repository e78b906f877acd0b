"""A temporary Prefect API server owned by one newsclean process: ``python -m flows.api_server PORT PARENT_PID``.

Prefect's own temporary server (``SubprocessASGIServer``) is started in the
caller's process group, so the terminal's Ctrl-C kills it before the run can
mark its flow run Cancelled, and it outlives a killed caller. This one runs in
its own session (the run stops it, after the last API call) and exits when its
parent dies: the kernel's parent-death signal, and a watchdog thread for
platforms without it. Only Prefect and uvicorn are imported here.
"""

from __future__ import annotations

import os
import signal
import sys


def die_with_parent(parent: int) -> None:
    """SIGTERM this process when ``parent`` exits; exit now if it already has."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog below still works
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    from flows.watchdog import exit_when_orphaned

    exit_when_orphaned(parent)


def main(argv: list[str]) -> None:
    port, parent = int(argv[0]), int(argv[1])
    die_with_parent(parent)
    import uvicorn

    uvicorn.run("prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port,
                log_level="error", lifespan="on")


if __name__ == "__main__":
    main(sys.argv[1:])
