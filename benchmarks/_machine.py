"""One line describing the machine a benchmark ran on (shared by the scripts in this folder)."""

from __future__ import annotations

import importlib
import os
import platform
from pathlib import Path


def describe(*libraries: str) -> str:
    """CPU model, cores, RAM, OS, Python, the load average now and the versions of ``libraries``."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in ("numpy", "pandas", "duckdb", *libraries):
        try:
            versions.append(f"{name} {importlib.import_module(name).__version__}")
        except ImportError:
            versions.append(f"{name} (not installed)")
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {', '.join(versions)}; "
        f"load average {os.getloadavg()[0]:.1f} at start (other jobs may share the cores)"
    )
