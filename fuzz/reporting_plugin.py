"""The aksara-fuzz reporting plugin: reports, security-matrix evidence, replay, read-only example db.

Loaded by the root ``conftest.py`` next to :mod:`fuzz.plugin`. It

- subscribes to the session's run (:mod:`fuzz.run`) a per-test counter: the examples each test
  judged of each catalogue property, those whose every violation was a known defect, those
  steered away and the sweep combinations, passed on as the report's ``user_properties`` (so they
  reach the xdist controller and pytest's JUnit XML);
- subscribes the report builder, which keeps every test's record and the run's known defects and
  artifacts, and at session end of a fuzz run writes ``report.md``, ``report.json`` (and
  ``report.sarif`` with ``--sarif``) and the security-matrix evidence (:mod:`fuzz.reporting`);
- ``--replay ARTIFACT`` runs only the artifact's replay test against a fresh target;
- adds ``--example-db-readonly`` (used by :mod:`fuzz.example_db`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from fuzz.artifacts import read_finding
from fuzz.run import Counts, Event, FindingsSeen, run_of

EXAMPLES_KEY = "aksara_fuzz_examples"
KNOWN_KEY = "aksara_fuzz_known_examples"
STEERED_KEY = "aksara_fuzz_steered_examples"
STEERED_KNOWN_KEY = "aksara_fuzz_steered_known_examples"
SWEPT_KEY = "aksara_fuzz_swept"
SWEEP_SIZE_KEY = "aksara_fuzz_sweep_size"
PARAMS_KEY = "aksara_fuzz_params"
DECLARED_KEY = "aksara_fuzz_declared"
DEFAULT_REPORT_DIR = "fuzz-reports"


class TestCounts:
    """Subscriber: what the running test judged, steered and swept (reset as each test's call starts)."""

    def __init__(self) -> None:
        self.counts = Counts()

    def __call__(self, event: Event) -> None:
        self.counts(event)

    def start(self) -> None:
        self.counts = Counts()


class ReportBuilder(FindingsSeen):
    """Subscriber (and pytest plugin): every test's record, and the run's known defects and artifacts."""

    def __init__(self) -> None:
        super().__init__()
        self.tests: dict[str, Any] = {}
        self.started = time.perf_counter()

    def record(self, nodeid: str) -> Any:
        from fuzz.reporting import TestRecord

        return self.tests.setdefault(nodeid, TestRecord(nodeid))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup" and report.skipped:
            record = self.record(report.nodeid)
            record.outcome, record.skip_reason = "skipped", _skip_reason(report)
            record.declared = json.loads(dict(report.user_properties).get(DECLARED_KEY, "[]"))
        elif report.when == "call":
            record = self.record(report.nodeid)
            record.seconds = report.duration
            record.outcome = "skipped" if report.skipped else ("failed" if report.failed else "passed")
            if report.skipped:
                record.skip_reason = _skip_reason(report)
            props = dict(report.user_properties)
            record.examples = json.loads(props.get(EXAMPLES_KEY, "{}"))
            record.known_examples = json.loads(props.get(KNOWN_KEY, "{}"))
            record.steered = json.loads(props.get(STEERED_KEY, "{}"))
            record.steered_known = json.loads(props.get(STEERED_KNOWN_KEY, "{}"))
            record.swept = json.loads(props.get(SWEPT_KEY, "{}"))
            record.sweep_size = json.loads(props.get(SWEEP_SIZE_KEY, "{}"))
            record.declared = json.loads(props.get(DECLARED_KEY, "[]"))
            params = json.loads(props.get(PARAMS_KEY, "{}"))
            record.principal, record.resource = params.get("principal"), params.get("resource")
            record.target = params.get("target")
        elif report.failed and report.nodeid in self.tests:
            self.tests[report.nodeid].outcome = "failed"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped and report.nodeid.endswith(".py"):
            record = self.record(report.nodeid)
            record.outcome, record.skip_reason = "skipped", _skip_reason(report)


STATE_KEY = pytest.StashKey[ReportBuilder]()
COUNTS_KEY = pytest.StashKey[TestCounts]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aksara-fuzz reports")
    group.addoption("--report-dir", default=None,
                    help=f"where the findings report and matrix evidence go (default {DEFAULT_REPORT_DIR}/ "
                         "when fuzz properties ran)")
    group.addoption("--sarif", action="store_true", default=False, help="also write report.sarif (SARIF 2.1.0)")
    group.addoption("--matrix-evidence", default=None,
                    help="security-matrix evidence YAML (default <report-dir>/security_matrix.yml)")
    group.addoption("--matrix-min-examples", type=int, default=None,
                    help="judged examples a matrix scenario needs to be 'covered' (default 1: any judged "
                         "example, with every test of it passed and nothing new found)")
    group.addoption("--replay", default=None, metavar="ARTIFACT",
                    help="replay one finding artifact (its directory or test_replay_*.py) against a fresh target")
    group.addoption("--example-db-readonly", action="store_true", default=False,
                    help="replay the example database without writing to it (pull-request runs)")


def replay_test_file(artifact: str | Path) -> Path:
    """The replay test of an artifact directory (or the file itself)."""
    path = Path(artifact)
    if path.is_file() and path.name.startswith("test_replay_") and path.suffix == ".py":
        return path
    if path.is_dir():
        tests = sorted(path.glob("test_replay_*.py"))
        if tests and (path / "finding.json").is_file():
            return tests[0]
    raise pytest.UsageError(f"aksara-fuzz: --replay {artifact}: not a finding artifact "
                            "(a directory with finding.json and test_replay_*.py)")


def pytest_configure(config: pytest.Config) -> None:
    run = run_of(config)
    builder = config.stash[STATE_KEY] = run.subscribe(ReportBuilder())
    config.pluginmanager.register(builder, "aksara-fuzz-report-builder")
    config.stash[COUNTS_KEY] = run.subscribe(TestCounts())
    artifact = config.getoption("replay")
    if artifact:
        test = replay_test_file(artifact)
        config.args[:] = [str(test)]
        config.option.capture = "no"  # show the replayed transcript as it happens


def _params(item: pytest.Item) -> dict[str, str]:
    callspec = getattr(item, "callspec", None)
    params = dict(getattr(callspec, "params", {}) or {})
    out = {}
    principal = params.get("principal", params.get("principal_name"))
    if isinstance(principal, str):
        out["principal"] = principal
    if isinstance(params.get("resource_name"), str):
        out["resource"] = params["resource_name"]
    if isinstance(params.get("aksara_target"), str):
        out["target"] = params["aksara_target"]
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    counts = item.config.stash.get(COUNTS_KEY, None)
    if counts is not None:
        counts.start()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    declared = getattr(getattr(item, "function", None), "judges", None)
    if declared and (call.when == "call" or report.skipped):
        report.user_properties.append((DECLARED_KEY, json.dumps(list(declared))))
    if call.when != "call":
        return
    counts = item.config.stash.get(COUNTS_KEY, None)
    counts = counts.counts if counts is not None else Counts()
    for key, grown in zip((EXAMPLES_KEY, KNOWN_KEY, STEERED_KEY, STEERED_KNOWN_KEY, SWEPT_KEY, SWEEP_SIZE_KEY),
                          (*counts.snapshot(), *counts.sweep_snapshot())):
        grown = {k: v for k, v in grown.items() if v > 0}
        report.user_properties.append((key, json.dumps(grown, sort_keys=True)))
    report.user_properties.append((PARAMS_KEY, json.dumps(_params(item), sort_keys=True)))


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _is_fuzz_run(config: pytest.Config, state: ReportBuilder) -> bool:
    if config.getoption("report_dir") or config.getoption("replay"):
        return True
    return any(nodeid.startswith("fuzz/") for nodeid in state.tests)


def build_run(config: pytest.Config, state: ReportBuilder) -> Any:
    """The session as a :class:`fuzz.reporting.RunRecord`."""
    from aksara import __version__ as aksara_version
    from hypothesis import settings

    from fuzz.ledger import active_ledger
    from fuzz.reporting import KnownHit, NewRecord, RunRecord
    from targets.loader import split_targets

    ledger = active_ledger()
    run = RunRecord(
        aksara_version=aksara_version,
        target=f"{', '.join(split_targets(config.getoption('aksara_target')))} ({config.getoption('target_profile')})",
        fuzz_profile=config.getoption("fuzz_profile"),
        max_examples=settings.default.max_examples,
        tests=sorted(state.tests.values(), key=lambda t: t.nodeid),
        ledger=[{"id": d.id, "title": d.title, "property": d.property_id, "owner": d.owner} for d in ledger.active()],
        seconds=time.perf_counter() - state.started,
    )
    for defect_id, record in sorted(state.known.items()):
        defect = ledger.by_id(defect_id)
        run.known.append(KnownHit(defect_id, record.finding.property_id, record.count,
                                  defect.title if defect else "", record.finding.message,
                                  defect.owner if defect else "",
                                  record.finding.crash_facts().get("crash_state", ""), sorted(record.targets)))
    from fuzz.aksara_coverage import SUMMARY_KEY

    run.aksara_coverage = config.stash.get(SUMMARY_KEY, None)
    for prop, nodeid, directory in state.artifacts:
        message = crash_state = target = ""
        try:
            finding = read_finding(Path(directory))
            message, crash_state = finding.message, finding.crash_facts().get("crash_state", "")
            target = finding.facts.get("target", "")
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            pass
        run.new.append(NewRecord(prop, nodeid, str(directory), message, crash_state, target))
    return run


def min_examples(config: pytest.Config) -> int:
    chosen = config.getoption("matrix_min_examples")
    return chosen if chosen is not None else 1


def write_reports(config: pytest.Config, state: ReportBuilder) -> list[Path]:
    from fuzz import reporting

    directory = Path(config.getoption("report_dir") or DEFAULT_REPORT_DIR)
    run = build_run(config, state)
    written = [reporting.write_markdown(run, directory / "report.md"),
               reporting.write_json(run, directory / "report.json")]
    if config.getoption("sarif"):
        written.append(reporting.write_sarif(run, directory / "report.sarif"))
    matrix = Path(config.getoption("matrix_evidence") or directory / "security_matrix.yml")
    written.append(reporting.write_matrix(run, matrix, min_examples(config)))
    return written


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if hasattr(config, "workerinput") or state is None or not _is_fuzz_run(config, state):
        return
    try:
        config.stash[WRITTEN_KEY] = write_reports(config, state)
    except OSError as exc:
        config.stash[WRITTEN_KEY] = [Path(f"(could not write reports: {exc})")]


WRITTEN_KEY = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    written = config.stash.get(WRITTEN_KEY, None)
    if written:
        terminalreporter.write_line("aksara-fuzz reports: " + ", ".join(str(p) for p in written))
