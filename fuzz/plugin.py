"""The aksara-fuzz pytest plugin: options, profiles, PostgreSQL, targets, findings.

Loaded by the root ``conftest.py``. It

- adds the suite's options and validates them (bad input: one line, exit code 4);
- loads the defect ledger and the Hypothesis profile;
- starts PostgreSQL once (the xdist controller, or lazily in a single process) and
  gives every worker its own clone of a migrated, seeded template;
- creates the session's run (:mod:`fuzz.run`) and subscribes to it the artifact writer (each
  :class:`fuzz.findings.NewFinding` becomes an artifact directory) and the terminal findings table;
  an xdist worker sends its run's known defects and artifacts to the controller's run;
- prints the header (aksara version, provider, profile, seed) and the findings table,
  and with ``--known-defects=fail`` fails the run on known defects too;
- on SIGTERM or SIGINT stops every PostgreSQL server the run started and exits with one
  line (128 + signal number); xdist workers die with their controller; at start it
  stops the servers a killed run left behind (``targets.postgres.reap_orphans``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from hypothesis import settings as hypothesis_settings

from fuzz import profiles
from fuzz.artifacts import write_artifact
from fuzz.findings import NewFinding
from fuzz.ledger import DEFAULT_LEDGER, LedgerError, load_ledger
from fuzz.run import ArtifactFailed, ArtifactWritten, Event, FindingsSeen, NewFound, end_run, run_of
from targets.base import Target
from targets.client import LiveTarget
from targets.postgres import (PROVIDERS, PgServer, ProviderUnavailable, reap_orphans, start_server,
                              stop_started_servers)

if TYPE_CHECKING:
    from fuzz.oracles.context import OracleContext

EXIT_SETUP_ERROR = 3
DEFAULT_TARGETS = "refapp,platform"
FUZZ_DIR = Path(__file__).resolve().parent


@dataclass
class FuzzState:
    """Session state of the plugin (one per process)."""

    run_id: str
    server: PgServer | None = None
    owns_server: bool = False
    server_error: str | None = None
    lives: dict[str, LiveTarget] = field(default_factory=dict)  # target spec -> the target started on this worker
    targets: dict[str, Target] = field(default_factory=dict)  # target spec -> the Target object, not started
    unavailable: dict[str, str] = field(default_factory=dict)  # target spec -> why this Aksara cannot build it
    worker: str = "main"
    session: pytest.Session | None = None
    model_owners: dict[str, str] = field(default_factory=dict)  # model identity -> the target spec that defined it
    started: float = field(default_factory=time.perf_counter)
    reaped: list[str] = field(default_factory=list)


STATE_KEY = pytest.StashKey[FuzzState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aksara-fuzz")
    group.addoption("--fuzz-profile", choices=sorted(profiles.PROFILES),
                    default=os.environ.get("AKSARA_FUZZ_PROFILE", profiles.DEFAULT_PROFILE),
                    help="Hypothesis budget: dev (seconds), ci (release prep), nightly (hours)")
    group.addoption("--pg-provider", choices=("auto", *PROVIDERS), default="auto",
                    help="PostgreSQL provider (auto: DSN env, testcontainers, embedded, pg_ctl)")
    group.addoption("--allow-remote-db", action="store_true", default=False,
                    help="allow AKSARA_FUZZ_DATABASE_URL to point at a non-loopback host")
    group.addoption("--target-profile", choices=("hardened", "defaults"), default="hardened",
                    help="target profile: hardened (restricted role, forced RLS) or defaults")
    group.addoption("--aksara-target", default=os.environ.get("AKSARA_FUZZ_TARGET", DEFAULT_TARGETS),
                    help="comma-separated targets, each 'refapp', 'platform', 'example:<name>' (Aksara's example "
                         f"apps) or 'module:attr' (an Aksara app, or a factory); default {DEFAULT_TARGETS}: every "
                         "target-bound test runs once per target, its test id naming the target")
    group.addoption("--known-defects", choices=("report", "fail"), default="report",
                    help="report: known defects are listed but pass; fail: they fail the run")
    group.addoption("--ledger", action="append", default=[],
                    help="extra defect ledger YAML (repeatable); the built-in ledger is always loaded")
    group.addoption("--artifacts-dir", default="fuzz-artifacts", help="where finding artifacts are written")
    group.addoption("--aksara-version", default=None, metavar="X.Y.Z",
                    help="run this same command against that Aksara release, in a cached per-release "
                         "virtual environment (~/.cache/aksara-fuzz/venvs/); the interpreter's Aksara is untouched")
    group.addoption("--example-db", default=".hypothesis/examples",
                    help="Hypothesis example database: a directory, or redis://host:port/db shared across machines")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return (
        not hasattr(config, "workerinput")
        and bool(getattr(config.option, "numprocesses", None))
        and getattr(config.option, "dist", "no") != "no"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """With ``--aksara-version``, re-run the same command inside that release's environment."""
    wanted = config.getoption("aksara_version", None)
    if not wanted:
        return None
    from aksara import __version__ as installed

    if wanted == installed:
        return None
    from fuzz.releases import ReleaseError, rerun

    try:
        return rerun(wanted, list(config.invocation_params.args), config.invocation_params.dir)
    except ReleaseError as exc:
        sys.stderr.write(f"aksara-fuzz: {exc}\n")
        return pytest.ExitCode.USAGE_ERROR


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow_property: an expensive property that runs a scaled budget")
    config.addinivalue_line("markers", "aksara_features(*names): the Aksara features (targets/features.py) the "
                                       "test needs; it skips, naming the first missing one, on a release without")
    from aksara import __version__ as aksara_version

    os.environ.setdefault("AKSARA_SUPPRESS_RUNTIME_BRAND", "1")
    _schedule_as_one_queue(config)
    try:
        ledger = load_ledger([DEFAULT_LEDGER, *_target_ledgers(config), *map(Path, config.getoption("ledger"))],
                             aksara_version)
    except LedgerError as exc:
        raise pytest.UsageError(f"aksara-fuzz: {exc}") from None
    run_of(config).ledger = ledger

    # example database: a directory, or Redis shared across machines (fuzz/example_db.py)
    from fuzz.example_db import ExampleDbError, example_database

    try:
        database = example_database(config.getoption("example_db"), config.getoption("example_db_readonly", False))
    except ExampleDbError as exc:
        raise pytest.UsageError(f"aksara-fuzz: {exc}") from None
    profiles.register_profiles(database)
    hypothesis_settings.load_profile(config.getoption("fuzz_profile"))

    workerinput = getattr(config, "workerinput", None)
    state = FuzzState(run_id=(workerinput or {}).get("aksara_fuzz_run_id") or uuid.uuid4().hex[:8])
    state.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    config.stash[STATE_KEY] = state
    run = run_of(config)
    run.subscribe(ArtifactWriter(Path(config.getoption("artifacts_dir")),
                                 {"target_profile": config.getoption("target_profile"),
                                  "fuzz_profile": config.getoption("fuzz_profile")}, run.emit))
    config.stash[TABLE_KEY] = run.subscribe(FindingsTable())
    _install_signal_handlers(config)
    LiveTarget.echo_banners = config.option.verbose > 0  # Aksara's console banners only with -v
    if workerinput is None:
        state.reaped = reap_orphans()
    from targets.loader import model_identities

    before = model_identities()
    for spec in target_specs(config):
        _load_target(config, spec)  # a target that does not load is a usage error, reported here in one line
        after = model_identities()
        state.model_owners.update(dict.fromkeys(after - before, spec))
        before = after
    if workerinput and workerinput.get("aksara_fuzz_admin_dsn"):
        state.server = PgServer(
            workerinput["aksara_fuzz_provider"], workerinput["aksara_fuzz_admin_dsn"],
            workerinput["aksara_fuzz_start_seconds"],
        )
    elif _is_xdist_controller(config):
        _start_server(config, state)
        if state.server_error:
            raise pytest.UsageError(f"aksara-fuzz: {state.server_error}")


def _install_signal_handlers(config: pytest.Config) -> None:
    """SIGTERM/SIGINT: stop the servers this process started, say so in one line, exit 128+signal.

    A worker exits silently (its controller owns the server and speaks for the run), and asks
    the kernel for SIGTERM when its controller dies, so no worker outlives the run."""
    worker = hasattr(config, "workerinput")
    if worker:
        _die_with_parent()
        _quiet_when_orphaned()
    if threading.current_thread() is not threading.main_thread():
        return

    def on_signal(signum: int, frame: Any) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)  # a second signal must not interrupt the clean-up
        stopped = stop_started_servers()
        if not worker:
            name = signal.Signals(signum).name
            line = f"aksara-fuzz: interrupted by {name}"
            line += f"; stopped {stopped} PostgreSQL server(s) the run started" if stopped else ""
            _write_terminal(config, line)
        os._exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)


def _quiet_when_orphaned() -> None:
    """A worker whose controller is gone (its pipe broke) exits without a traceback: the controller
    already said in one line why the run stopped."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        if issubclass(kind, (BrokenPipeError, EOFError, ConnectionResetError)):
            os._exit(1)
        previous(kind, value, tb)

    sys.excepthook = hook


def _die_with_parent() -> None:
    """Linux: have the kernel send this process SIGTERM when its parent (the xdist controller) dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGTERM)  # the controller is already gone


def _write_terminal(config: pytest.Config, line: str) -> None:
    """One line on the real terminal, even while pytest captures the test's output."""
    capman = config.pluginmanager.getplugin("capturemanager")
    try:
        if capman is not None:
            capman.suspend_global_capture(in_=True)
    except Exception:  # noqa: BLE001 - the line matters more than the capture state
        pass
    try:
        sys.stderr.write("\n" + line + "\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def target_specs(config: pytest.Config) -> list[str]:
    """The targets ``--aksara-target`` names, in order, each once (``refapp`` when it names none)."""
    from targets.loader import split_targets

    return split_targets(config.getoption("aksara_target"))


def _target_ledgers(config: pytest.Config) -> list[Path]:
    """The built-in example targets' own ledgers of the example apps' defects, where they have one."""
    paths = []
    for spec in target_specs(config):
        if not spec.startswith("example:"):
            continue
        from targets.examples import ledger_path

        path = ledger_path(spec.partition(":")[2])
        if path.exists():
            paths.append(path)
    return paths


def _start_server(config: pytest.Config, state: FuzzState) -> None:
    try:
        state.server = start_server(config.getoption("pg_provider"), config.getoption("allow_remote_db"))
        state.owns_server = True
    except ProviderUnavailable as exc:
        state.server_error = str(exc)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    state = node.config.stash[STATE_KEY]
    node.workerinput["aksara_fuzz_run_id"] = state.run_id
    if state.server is not None:
        node.workerinput["aksara_fuzz_admin_dsn"] = state.server.admin_dsn
        node.workerinput["aksara_fuzz_provider"] = state.server.provider
        node.workerinput["aksara_fuzz_start_seconds"] = state.server.start_seconds


def pytest_report_header(config: pytest.Config) -> list[str]:
    from aksara import __version__ as aksara_version

    from fuzz.ledger import active_ledger

    state = config.stash[STATE_KEY]
    seed = config.getoption("hypothesis_seed", default=None)
    lines = [
        f"aksara-fuzz: aksara-framework {aksara_version}; target {', '.join(target_specs(config))} "
        f"({config.getoption('target_profile')}); fuzz profile {config.getoption('fuzz_profile')} "
        f"({hypothesis_settings.default.max_examples} examples/property); "
        f"seed {seed if seed is not None else 'random (fix with --hypothesis-seed=N)'}",
        f"aksara-fuzz: ledger {len(active_ledger().active())} active known defect(s); "
        f"example db {_example_db_label(config)}",
    ]
    if state.server is not None:
        lines.append(_server_line(state.server))
    if state.reaped:
        lines.append(f"aksara-fuzz: stopped {len(state.reaped)} PostgreSQL server(s) left by a killed run")
    return lines


def _example_db_label(config: pytest.Config) -> str:
    from fuzz.example_db import redact

    label = redact(config.getoption("example_db"))
    return label + (" (read-only)" if config.getoption("example_db_readonly", False) else "")


def _server_line(server: PgServer) -> str:
    line = f"aksara-fuzz: PostgreSQL provider {server.provider}, started in {server.start_seconds:.2f}s"
    if server.notes:
        line += " (skipped: " + "; ".join(server.notes) + ")"
    return line


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """Start PostgreSQL now if any collected test needs it, and say which provider answered."""
    state = config.stash[STATE_KEY]
    if state.server is not None or hasattr(config, "workerinput"):
        return []
    if not any("pg_server" in getattr(item, "fixturenames", ()) for item in items):
        return []
    _start_server(config, state)
    if state.server_error:
        return []
    return [_server_line(state.server)]


# -- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> PgServer:
    """A running PostgreSQL the suite may create databases and roles on."""
    state = request.config.stash[STATE_KEY]
    if state.server is None and state.server_error is None:
        _start_server(request.config, state)
    if state.server is None:
        _setup_exit(request.config, f"aksara-fuzz: {state.server_error}")
    return state.server


def _setup_exit(config: pytest.Config, message: str) -> NoReturn:
    """End the run in one line because the suite cannot go on (no server, a target that does not start).

    On an xdist worker the line travels to the controller (``workeroutput`` and the session's
    ``shouldstop``), which ends the whole run with it in :func:`pytest_testnodedown`: a bare exit on a
    worker, in the middle of a test, is an internal error of xdist."""
    if hasattr(config, "workeroutput"):
        config.workeroutput[SETUP_EXIT_KEY] = message
        session = config.stash[STATE_KEY].session
        if session is not None:
            session.shouldstop = message
    pytest.exit(message, returncode=EXIT_SETUP_ERROR)


SETUP_EXIT_KEY = "aksara_fuzz_setup_exit"


def _load_target(config: pytest.Config, spec: str) -> Any:
    """The target ``spec``, or None when the installed Aksara lacks a feature it is built from."""
    from targets.loader import TargetError, TargetUnavailable, load_target

    state = config.stash[STATE_KEY]
    if spec in state.unavailable:
        return None
    if spec not in state.targets:
        try:
            state.targets[spec] = load_target(spec, config.getoption("target_profile"))
        except TargetUnavailable as exc:
            state.unavailable[spec] = str(exc)
            return None
        except TargetError as exc:
            raise pytest.UsageError(f"aksara-fuzz: {exc}") from None
    return state.targets[spec]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test whose ``aksara_features`` the installed Aksara lacks, naming the missing feature."""
    from targets import features

    for marker in item.iter_markers("aksara_features"):
        reason = features.first_missing(*marker.args)
        if reason:
            pytest.skip(reason)


# The order of the property families: the cheap ones whose faults are found in seconds first, the families
# whose every example costs real time (migrations on real DDL, the MCP credential sweep, Studio, streams, tasks,
# the OpenAPI stateful phase) last. A file not listed ranks at the ``None``.
RUN_ORDER = ("test_tokens", "test_security", "test_doctor", "test_queries", "test_writes", "test_http", "test_authz",
             "test_middleware", "test_serializers", "test_soft_delete", None, "test_orm", "test_migrations",
             "test_mcp", "test_ai_query", "test_studio", "test_streams", "test_tasks", "test_openapi")


def _schedule_as_one_queue(config: Any) -> None:
    """Unless the user chose ``--maxschedchunk``, let xdist hand out one test at a time: its load scheduling hands
    each worker a quarter of its share up front, so the second worker would start 30 tests into the run order;
    one at a time, the workers take the run order as one queue."""
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Interleave fuzz/'s property families so that each advances through its own tests at the same pace: a test's
    place is its position within its file as a fraction of the file's tests, ties broken by RUN_ORDER.

    A `-x` run stops at its first finding: families in sequence left the writes and migrations families minutes
    behind the queries family's 63 tests, and one test of each family per turn left the queries family's later
    tests as far behind; at an even pace every family has started within the first quarter of the run, and a
    family is x % through its tests when the run is x % through. Each file keeps its own order (after pytest has
    grouped items by their module fixtures); the self-tests keep theirs, first."""
    sizes: dict[Path, int] = {}
    for item in items:
        path = Path(str(item.path)).resolve()
        sizes[path] = sizes.get(path, 0) + 1
    seen: dict[Path, int] = {}
    keys: dict[int, tuple[float, int]] = {}
    for item in items:
        path = Path(str(item.path)).resolve()
        if path.parent != FUZZ_DIR:
            keys[id(item)] = (-1.0, -1)
            continue
        position = seen[path] = seen.get(path, -1) + 1
        keys[id(item)] = (position / sizes[path],
                          RUN_ORDER.index(path.stem) if path.stem in RUN_ORDER else RUN_ORDER.index(None))
    items.sort(key=lambda item: keys[id(item)])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize a target-bound property test of fuzz/ over the selected targets (``aksara_target``), and
    ``resource_name`` and ``principal_name`` over each target's own resources and principals; the test id
    starts with the target. Other tests (the self-tests, replays) use the first target."""
    names = metafunc.fixturenames
    wanted = [n for n in ("resource_name", "principal_name") if n in names]
    if "aksara_target" not in names and not wanted:
        return
    bound = "aksara_target" in names and FUZZ_DIR in Path(str(metafunc.definition.path)).resolve().parents
    cases: list[Any] = []
    for spec in target_specs(metafunc.config)[:None if bound else 1]:
        target = _load_target(metafunc.config, spec)
        if target is None:  # the installed Aksara cannot build it: one skipped case that says why
            skip = pytest.mark.skip(reason=metafunc.config.stash[STATE_KEY].unavailable[spec])
            case = (spec, *(["unavailable"] * len(wanted)))
            cases.append(pytest.param(*(case if bound else case[1:]), marks=skip, id="-".join(case)))
            continue
        # one parameter per model: a model served by two viewsets is one resource name (info.resource gives its
        # first viewset; a family that needs another one looks it up by what it needs)
        per_name = {"resource_name": list(dict.fromkeys(r.name for r in target.info.resources)),
                    "principal_name": [p.name for p in target.info.principals]}
        combos: list[tuple[str, ...]] = [(spec,)]
        for name in wanted:
            combos = [combo + (value,) for combo in combos for value in per_name[name]]
        cases += [pytest.param(*(combo if bound else combo[1:]), id="-".join(combo if bound else combo[1:]))
                  for combo in combos]
    if not bound:  # a self-test or replay: the first target, and its names as they were
        if wanted:
            metafunc.parametrize(wanted, cases)
        return
    # module scope: a module's tests are grouped by target, so its module fixtures (worlds, runners) are built
    # once per target, and modules stay in order; the target fixtures are module-scoped for that reason and
    # cheap (every target is started once per worker and kept in the plugin's state)
    metafunc.parametrize(["aksara_target", *wanted], cases, indirect=["aksara_target"], scope="module")


@pytest.fixture(scope="module")
def aksara_target(request: pytest.FixtureRequest) -> str:
    """The spec of the target this test runs against (one of --aksara-target's)."""
    return getattr(request, "param", None) or target_specs(request.config)[0]


@pytest.fixture(scope="module")
def fuzz_target(request: pytest.FixtureRequest, aksara_target: str) -> Any:
    """The Target object this test runs against, not started."""
    try:
        target = _load_target(request.config, aksara_target)
    except pytest.UsageError as exc:
        _setup_exit(request.config, str(exc))
    if target is None:
        pytest.skip(request.config.stash[STATE_KEY].unavailable[aksara_target])
    return target


def _live(config: pytest.Config, server: PgServer, spec: str) -> LiveTarget:
    """The target ``spec`` started on this worker's own database clone (once per worker and target)."""
    from targets.loader import TargetError, name_clash_hint, start_live_target

    state = config.stash[STATE_KEY]
    if spec not in state.lives:
        try:
            target = _load_target(config, spec)
            if target is None:
                pytest.skip(state.unavailable[spec])
            state.lives[spec] = start_live_target(server, target, state.run_id, state.worker)
        except TargetError as exc:
            _setup_exit(config, f"aksara-fuzz: {exc}{name_clash_hint(state.model_owners, spec)}")
        except pytest.UsageError as exc:  # already worded by _load_target
            _setup_exit(config, str(exc))
    return state.lives[spec]


@pytest.fixture(scope="module")
def live_target(request: pytest.FixtureRequest, pg_server: PgServer, aksara_target: str) -> LiveTarget:
    """The test's target started on this worker's own database clone."""
    return _live(request.config, pg_server, aksara_target)


@pytest.fixture(scope="session")
def live_targets(request: pytest.FixtureRequest, pg_server: PgServer) -> Any:
    """A function from a target spec to that target, started on this worker (a replay names its target)."""
    return lambda spec: _live(request.config, pg_server, spec or target_specs(request.config)[0])


@pytest.fixture(scope="module")
def oracle_context(live_target: LiveTarget) -> OracleContext:
    from fuzz.oracles.context import OracleContext

    return OracleContext(live_target.info)


@pytest.fixture
def fresh_target(live_target: LiveTarget) -> LiveTarget:
    """The live target, reset to its seed before the test."""
    live_target.reset()
    return live_target


# -- findings -----------------------------------------------------------------------------

class ArtifactWriter:
    """Subscriber: writes the artifact directory of every new finding, then emits where it went."""

    def __init__(self, root: Path, meta: dict[str, str], emit: Any) -> None:
        self.root, self.meta, self.emit = root, meta, emit

    def __call__(self, event: Event) -> None:
        if not isinstance(event, NewFound):
            return
        try:
            meta = {**self.meta, "target": event.finding.facts.get("target", "")}
            directory = write_artifact(self.root, event.finding, event.nodeid, event.text, meta=meta)
        except OSError as exc:
            self.emit(ArtifactFailed(event.nodeid, event.finding, str(exc)))
            return
        self.emit(ArtifactWritten(event.finding.property_id, event.nodeid, directory))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Any:
    """While a target-bound test runs, the run knows its target (each finding it reports names it)."""
    callspec = getattr(item, "callspec", None)
    spec = callspec.params.get("aksara_target") if callspec is not None else None
    run = run_of(item.config)
    run.target = spec if isinstance(spec, str) else None
    try:
        yield
    finally:
        run.target = None


class FindingsTable(FindingsSeen):
    """Subscriber: the known defects and artifacts the terminal's findings table lists."""

    def write(self, tr: Any, fail_on_known: bool) -> None:
        from fuzz.ledger import active_ledger

        ledger = active_ledger()
        tr.section("aksara-fuzz findings")
        tr.write_line(f"{'property':32} {'status':7} {'count':>5}  {'owner':10} defect / artifact")
        for defect_id, record in sorted(self.known.items()):
            defect = ledger.by_id(defect_id)
            title = defect.title if defect else ""
            owner = defect.owner if defect else "?"
            tr.write_line(f"{record.finding.property_id:32} {'known':7} {record.count:>5}  {owner:10} "
                          f"{defect_id}: {title}")
        for prop, nodeid, directory in self.artifacts:
            tr.write_line(f"{prop:32} {'NEW':7} {1:>5}  {'—':10} {directory}  ({nodeid})")
        if self.known and fail_on_known:
            tr.write_line("--known-defects=fail: known defects fail this run", red=True)


TABLE_KEY = pytest.StashKey[FindingsTable]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    findings = _new_findings(call.excinfo.value) if call.excinfo is not None else []
    if not findings:
        return
    run = run_of(item.config)
    text = report.longreprtext if hasattr(report, "longreprtext") else ""
    notes = "\n".join(getattr(call.excinfo.value, "__notes__", []) or [])
    with run.listening(ArtifactWritten, ArtifactFailed) as written:
        for finding in findings:  # every new finding of the failing example gets its own artifact
            run.emit(NewFound(item.nodeid, finding, text + "\n" + notes))
    for event in written:
        if isinstance(event, ArtifactFailed):
            report.sections.append(("aksara-fuzz", f"could not write artifact: {event.error}"))
            continue
        report.sections.append(("aksara-fuzz artifact", f"{event.directory}\nreplay: pytest {event.directory}"))
        report.user_properties.append(("aksara_fuzz_artifact", str(event.directory)))


def _new_findings(error: BaseException) -> list[Any]:
    """The new findings an outcome carries (Hypothesis groups several distinct failures)."""
    if isinstance(error, NewFinding):
        return list(error.findings)
    inner = getattr(error, "exceptions", None)  # an exception group (Python 3.11+)
    if isinstance(error, BaseException) and isinstance(inner, (list, tuple)):
        return [f for exc in inner if isinstance(exc, BaseException) for f in _new_findings(exc)]
    return []


def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE_KEY, None)
    if state is not None:
        state.session = session


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    run = run_of(config)
    if hasattr(config, "workeroutput"):
        config.workeroutput.update(run.worker_output())
    _teardown(state)
    if config.getoption("known_defects") == "fail" and run.known and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Emit a worker's known-defect hits and artifacts into the controller's run; end the run with a worker's
    one-line setup error (:func:`_setup_exit`)."""
    output = getattr(node, "workeroutput", {}) or {}
    run_of(node.config).merge_worker_output(output)
    if output.get(SETUP_EXIT_KEY):
        pytest.exit(output[SETUP_EXIT_KEY], returncode=EXIT_SETUP_ERROR)


def pytest_unconfigure(config: pytest.Config) -> None:
    end_run(config)


def _teardown(state: FuzzState) -> None:
    lives, state.lives = list(state.lives.values()), {}
    for live in lives:
        try:
            live.run(live.stop())
            from targets.database import drop_databases

            live.run(drop_databases(state.server, [live.db.name]))
        except Exception:  # noqa: BLE001 - teardown must not hide the test outcome
            pass
        finally:
            _cancel_pending(live.loop)
            live.loop.close()
    if state.owns_server and state.server is not None:
        state.server.stop()
        state.server = None


def _cancel_pending(loop: Any) -> None:
    """Cancel tasks the app left behind (e.g. MCP stream readers) so the loop closes cleanly."""
    import asyncio

    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    table = config.stash.get(TABLE_KEY, None)
    if table is None or (not table.known and not table.artifacts):
        return
    table.write(terminalreporter, config.getoption("known_defects") == "fail")
