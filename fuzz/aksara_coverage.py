"""``--aksara-coverage``: line and branch coverage of the installed Aksara, per attack-surface area.

Loaded by the root ``conftest.py`` before the other plugins. How the run is measured:

- every process is measured by coverage.py with one generated configuration (``source`` =
  the installed ``aksara`` directory, ``branch = True``, data files in a temporary directory,
  never in the checkout);
- the process that runs pytest starts measuring when ``conftest.py`` is imported, before any
  plugin imports Aksara, so Aksara's module-level lines count; the same process exports
  ``COVERAGE_PROCESS_START`` naming the configuration, and coverage.py's own ``.pth`` hook
  (installed with coverage >= 7.10) starts measuring in every Python process started after
  that: the pytest-xdist workers and the ``aksara doctor`` CLI subprocesses
  (:func:`targets.doctor.run_cli` passes the variable through its clean environment).
  This is coverage.py's documented subprocess mechanism and needs no change to how a process
  is started; ``coverage run -p`` would need every command line rewritten;
- a worker saves its data at the end of its session (before it reports back, so the
  controller never combines too early); the controller then combines every process's data
  and writes ``<report-dir>/aksara-coverage.json`` and the summary that :mod:`fuzz.reporting`
  turns into the *Aksara coverage* section of ``report.md``.

The attack-surface areas are the table :data:`AREAS`: a module belongs to the area of the
longest module prefix that names it (``tests/reporting/test_aksara_coverage.py`` checks that
every module of the installed Aksara has exactly one area).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fuzz.coverage_start import _STARTED, ENV_START, OPTION, aksara_dir, core, start

REPORT_NAME = "aksara-coverage.json"
UNMAPPED = "unmapped"

# area -> module prefixes (a prefix names the module itself and everything under it)
AREAS: dict[str, tuple[str, ...]] = {
    "api": ("aksara.api", "aksara.routing", "aksara.app", "aksara.fastapi"),
    "security/permissions/tenancy/identity": ("aksara.security", "aksara.permissions", "aksara.tenancy",
                                              "aksara.identity", "aksara.context_state"),
    "mcp + ai auth/query": ("aksara.mcp", "aksara.ai.auth", "aksara.ai.query"),
    "middleware": ("aksara.middleware",),
    "ORM (manager, model, db, fields)": ("aksara.manager", "aksara.model", "aksara.db", "aksara.fields",
                                         "aksara.relations", "aksara.signals", "aksara.registry"),
    "migrations": ("aksara.migrations", "aksara.core.migrations"),
    "contrib": ("aksara.contrib",),
    "tasks + durable": ("aksara.tasks", "aksara.durable", "aksara.workflows"),
    "studio": ("aksara.studio",),
    "search": ("aksara.search",),
    "cli + doctor": ("aksara.cli", "aksara.__main__", "aksara.launch_check", "aksara.diagnostics",
                     "aksara.gapanalysis", "aksara.runtime_compatibility", "aksara.examples_validation"),
    "ai (assistant tooling)": ("aksara.ai",),
    "bundled examples": ("aksara._examples",),
    "other": ("aksara.__init__", "aksara._version", "aksara.apps", "aksara.conf", "aksara.contenttypes",
              "aksara.core.__init__", "aksara.core.discovery", "aksara.core.mail", "aksara.debug",
              "aksara.exceptions", "aksara.fixtures", "aksara.i18n", "aksara.inspectors", "aksara.logging",
              "aksara.sdk", "aksara.shell", "aksara.storage", "aksara.testing"),
}

SUMMARY_KEY = pytest.StashKey[dict]()
GUIDED_OPTION = "--coverage-guided"
_GUIDED: list[bool] = []  # [True] while this process's run asked for coverage guidance


def module_of(relpath: str) -> str:
    """The dotted module name of a file path relative to the aksara directory (``__init__`` kept)."""
    return "aksara." + relpath.replace("\\", "/").removesuffix(".py").replace("/", ".")


def area_of(module: str) -> str:
    """The area of the longest prefix in :data:`AREAS` that names ``module``; ``unmapped`` if none does."""
    best, best_len = UNMAPPED, -1
    for area, prefixes in AREAS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = area, len(prefix)
    return best


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aksara-fuzz reports")
    group.addoption(
        OPTION, action="store_true", default=False, dest="aksara_coverage",
        help=f"measure line and branch coverage of the installed Aksara (all processes) and write "
             f"<report-dir>/{REPORT_NAME} and a section of report.md (needs the 'coverage' extra)")
    group.addoption(
        GUIDED_OPTION, action="store_true", default=False, dest="coverage_guided",
        help=f"with {OPTION}: steer generation towards inputs that reach Aksara code no earlier example "
             "reached (Hypothesis target() on the count of new arcs; the nightly profile's feedback)")


def pytest_configure(config: pytest.Config) -> None:
    _GUIDED.clear()
    if config.getoption("coverage_guided"):
        if not config.getoption("aksara_coverage"):
            raise pytest.UsageError(f"aksara-fuzz: {GUIDED_OPTION} needs {OPTION} (it steers by what is measured)")
        _GUIDED.append(True)
    if not config.getoption("aksara_coverage") or hasattr(config, "workerinput"):
        return
    try:
        import coverage
    except ImportError:
        coverage = None
    if coverage is None or coverage.version_info < (7, 10):  # 7.10: the .pth hook that measures subprocesses
        raise pytest.UsageError("aksara-fuzz: --aksara-coverage needs coverage.py 7.10 or later: "
                                "pip install -e \".[containers,openapi,redis,coverage]\"")
    start()  # pytest started in-process (pytest.main): Aksara's import-time lines were missed


def _current() -> Any:
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


def reached() -> int | None:
    """How many Aksara arcs this process has reached so far when the run is coverage-guided; None otherwise.

    Read from coverage.py's collector without flushing it (a flush rewrites the data file and takes
    seconds; this sum takes well under a millisecond). The count only grows until the collector is
    flushed at the end of the session, so the difference between two readings is what an example
    reached for the first time."""
    if not _GUIDED:
        return None
    cov = _current()
    collector = getattr(cov, "_collector", None)
    try:
        return sum(len(arcs) for tracer in collector.tracers for arcs in tracer.data.values())
    except (AttributeError, TypeError):  # another coverage core keeps its data elsewhere: no guidance
        return None


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Any:
    """The controller combines before the reports are written; a worker saves after its own session end."""
    config = session.config
    worker = hasattr(config, "workerinput")
    if not worker and config.getoption("aksara_coverage"):
        try:
            summary = finish(config, report_dir_of(config))
        except Exception as exc:  # noqa: BLE001 - a measurement failure must not hide the run's outcome
            summary = {"error": f"{type(exc).__name__}: {exc}"}
        if summary is not None:
            config.stash[SUMMARY_KEY] = summary
    yield
    if worker and os.environ.get(ENV_START):
        cov = _current()
        if cov is not None:
            cov.stop()
            cov.save()


def finish(config: pytest.Config, report_dir: Path) -> dict[str, Any] | None:
    """Stop measuring, combine every process's data, write the JSON report; the summary (or None)."""
    cov, data_dir = _STARTED.pop("cov", None), _STARTED.pop("dir", None)
    if cov is None:
        return None
    began = time.perf_counter()
    try:
        import coverage

        cov.stop()
        cov.save()
        rc = data_dir / "coveragerc"
        combined = coverage.Coverage(config_file=str(rc), data_suffix=False)
        files = sorted(str(p) for p in data_dir.glob(".coverage.*"))
        combined.combine(files, keep=False)
        combined.save()
        raw = data_dir / "raw.json"
        combined.json_report(outfile=str(raw), ignore_errors=True)
        summary = summarize(json.loads(raw.read_text(encoding="utf-8")), aksara_dir(), processes=len(files))
        summary["combine_seconds"] = round(time.perf_counter() - began, 2)
    finally:
        os.environ.pop(ENV_START, None)
        shutil.rmtree(data_dir, ignore_errors=True)
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / REPORT_NAME).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def _percent(hit: int, total: int) -> float:
    return round(100.0 * hit / total, 2) if total else 100.0


def _totals(statements: int, covered: int, branches: int, covered_branches: int) -> dict[str, Any]:
    return {"statements": statements, "covered": covered, "branches": branches,
            "covered_branches": covered_branches,
            "line_percent": _percent(covered, statements), "branch_percent": _percent(covered_branches, branches),
            "percent": _percent(covered + covered_branches, statements + branches)}


def summarize(raw: dict[str, Any], root: Path, processes: int = 0) -> dict[str, Any]:
    """coverage.py's JSON report as per-file and per-area totals (executed lines and arcs kept for merging)."""
    from importlib.metadata import version

    files: dict[str, Any] = {}
    for name, data in sorted(raw.get("files", {}).items()):
        rel = Path(name).resolve().relative_to(root).as_posix()
        s = data["summary"]
        files[rel] = {"area": area_of(module_of(rel)),
                      **_totals(s["num_statements"], s["covered_lines"], s.get("num_branches", 0),
                                s.get("covered_branches", 0)),
                      "executed_lines": data.get("executed_lines", []),
                      "executed_branches": data.get("executed_branches", [])}
    return {"aksara_version": version("aksara-framework"), "python": sys.version.split()[0],
            "coverage": version("coverage"), "core": core(), "processes": processes,
            **aggregate(files)}


def aggregate(files: dict[str, Any]) -> dict[str, Any]:
    """Per-area and total statements, branches and percentages of per-file entries."""
    sums: dict[str, list[int]] = {area: [0, 0, 0, 0, 0] for area in [*AREAS, UNMAPPED]}
    for entry in files.values():
        s = sums.setdefault(entry["area"], [0, 0, 0, 0, 0])
        for i, key in enumerate(("statements", "covered", "branches", "covered_branches")):
            s[i] += entry[key]
        s[4] += 1
    areas = {area: {"files": s[4], **_totals(*s[:4])} for area, s in sums.items() if s[4]}
    total = [sum(s[i] for s in sums.values()) for i in range(4)]
    return {"areas": areas, "total": _totals(*total), "files": files}


def report_dir_of(config: pytest.Config) -> Path:
    from fuzz.reporting_plugin import DEFAULT_REPORT_DIR

    return Path(config.getoption("report_dir", None) or DEFAULT_REPORT_DIR)
