"""Where numba keeps the compiled kernels, and the log line when a kernel module must be compiled.

numba reads its cache folder once, when it is imported: this module sets it, and the package's
``__init__`` imports this module, before any ``*_jit`` module imports numba. The ``*_jit`` modules
are imported where they are first used, not with the package: importing numba (and LLVM) is slow,
and a process that never calls a kernel (the command line, a flow's parent) need not pay for it.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def kernel_cache_dir() -> str:
    """NUMBA_CACHE_DIR when set, else the user's cache folder (~/.cache/newsclean/numba). Not the
    package's __pycache__: an installed package's folder may not be writable, and a cache there is
    lost with every reinstall."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(base, "newsclean", "numba")


os.environ.setdefault("NUMBA_CACHE_DIR", kernel_cache_dir())


def kernels_cached(module: str) -> bool:
    """Whether numba's cache holds compiled kernels of ``module`` (an index file of it)."""
    name = module.rsplit(".", 1)[-1]
    for _root, _dirs, files in os.walk(os.environ["NUMBA_CACHE_DIR"]):
        if any(f.startswith(f"{name}.") and f.endswith(".nbi") for f in files):
            return True
    return False


def say_if_compiling(module: str) -> None:
    """Log, when a kernel module is imported with nothing of it cached, that its first calls compile."""
    if not kernels_cached(module):
        log.warning("compiling the numba kernels of %s on first use (once per install, it takes a "
                    "while; cached in %s)", module, os.environ["NUMBA_CACHE_DIR"])
