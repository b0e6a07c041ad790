"""Start of ``--aksara-coverage`` measurement in the process that runs pytest (see :mod:`fuzz.aksara_coverage`).

Imported by the root ``conftest.py`` before any plugin, so that Aksara's module-level lines
count; kept apart from the plugin module so that pytest can still rewrite the plugin's asserts.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

OPTION = "--aksara-coverage"
ENV_START = "COVERAGE_PROCESS_START"

_STARTED: dict[str, Any] = {}  # "cov": this process's Coverage, "dir": its data directory


def aksara_dir() -> Path:
    """The installed aksara package directory (found without importing it)."""
    spec = importlib.util.find_spec("aksara")
    if spec is None or not spec.origin:
        raise RuntimeError("aksara is not installed")
    return Path(spec.origin).resolve().parent


def core() -> str:
    """The coverage.py core: sys.monitoring where it measures branches (3.14+), else the C tracer."""
    return "sysmon" if sys.version_info >= (3, 14) else "ctrace"


def rc_text(data_dir: Path) -> str:
    return (
        "[run]\n"
        f"source = {aksara_dir()}\n"
        "branch = True\n"
        "parallel = True\n"
        f"data_file = {data_dir / '.coverage'}\n"
        f"core = {core()}\n"
        "disable_warnings = no-data-collected, module-not-measured, module-imported-but-not-measured\n"
    )


def requested(argv: list[str]) -> bool:
    """Whether a pytest command line (with PYTEST_ADDOPTS) asks for ``--aksara-coverage`` in this process.

    Not when it asks for another Aksara release (``--aksara-version``): that run is re-started in
    the release's environment, which measures its own Aksara."""
    args = [*argv, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    if OPTION not in args:
        return False
    wanted = [a.split("=", 1)[1] for a in args if a.startswith("--aksara-version=")]
    wanted += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--aksara-version"]
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return wanted[-1] == version("aksara-framework")
        except PackageNotFoundError:
            return False
    return True


def start(argv: list[str] | None = None) -> None:
    """Start measuring this process and export the configuration to every process it starts.

    A process started by a measured run (an xdist worker, a CLI subprocess) is already measured
    by coverage.py's ``.pth`` hook and starts nothing."""
    if _STARTED or os.environ.get(ENV_START):
        return
    if argv is not None and not requested(argv):
        return
    try:
        import coverage
    except ImportError:
        return  # pytest_configure reports it as a usage error
    data_dir = Path(tempfile.mkdtemp(prefix="aksara-coverage-"))
    rc = data_dir / "coveragerc"
    rc.write_text(rc_text(data_dir), encoding="utf-8")
    os.environ[ENV_START] = str(rc)
    cov = coverage.Coverage(config_file=str(rc), data_suffix=True, auto_data=False)
    cov.start()
    _STARTED.update(cov=cov, dir=data_dir)
