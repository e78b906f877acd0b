"""Library versions and machine, printed with every benchmark result (RESULTS.md needs them)."""

from __future__ import annotations

import os
import platform
from importlib import metadata


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    """{"python": ..., name: version or "?"} for the given distributions."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "?"
    return out


def versions_line(names: tuple[str, ...]) -> str:
    """One line: python, the packages, the machine and its cores."""
    v = package_versions(names)
    pkgs = ", ".join(f"{k} {val}" for k, val in v.items() if k != "python")
    return (f"python {v['python']}; {pkgs}; {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores")


def code_fingerprint() -> str:
    """sha256 over cleaners/*.py: which state of the code a result belongs to."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    for f in sorted((Path(__file__).resolve().parent.parent / "cleaners").glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]
