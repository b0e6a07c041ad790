"""One fuzz run: it receives what the properties judged and found, and emits it as events.

A :class:`Run` is created per pytest session (:func:`run_of`, held in ``config.stash``) and is the
current run of that session's context (:func:`current_run`): ``@judges``/``judge``
(:mod:`fuzz.judging`), ``@sweeps`` (:mod:`fuzz.sweep`) and :func:`fuzz.findings.report` emit into
it. Subscribers registered by the plugins receive every event, in the order emitted:

- the artifact writer (:mod:`fuzz.plugin`) turns a :class:`NewFound` into an artifact directory and
  emits :class:`ArtifactWritten`;
- the terminal findings table (:mod:`fuzz.plugin`) keeps the known defects and artifacts it lists;
- the report builder (:mod:`fuzz.reporting_plugin`) keeps each test's counts and the session's findings
  for ``report.json``/``report.md`` and the matrix evidence.

The run keeps its own totals too (:attr:`Run.counts`, :attr:`Run.known`, :attr:`Run.artifacts`): an
xdist worker sends them to the controller, which emits them into its own run again.

It also holds what the findings flow needs while a test runs, so no module keeps state of its own: the
ledger findings are judged by (:attr:`Run.ledger`, :func:`fuzz.ledger.active_ledger`), the running
``@judges`` test's scope and the properties the current example marked judged (:mod:`fuzz.judging`), and
the running ``@sweeps`` test's sweep (:mod:`fuzz.sweep`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import pytest

from fuzz.findings import Finding, KnownRecord

if TYPE_CHECKING:
    from fuzz.judging import Scope
    from fuzz.ledger import Ledger
    from fuzz.sweep import Sweep


# -- events ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Judged:
    """An example (or one ``judge()`` call of it) was judged under ``property_ids``; only known defects
    violated ``known_ids``."""

    property_ids: frozenset[str]
    known_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Steered:
    """An example was steered away after it was judged (see :mod:`fuzz.judging`)."""

    property_ids: frozenset[str]
    known_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Skipped:
    """A ``@judges`` test judged no example of its own properties, and skips with ``reason``."""

    property_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SweepDeclared:
    """A test declared ``size`` combinations of ``property_id`` for its sweep phase."""

    property_id: str
    size: int


@dataclass(frozen=True)
class Swept:
    """``n`` more declared combinations of ``property_id`` ran."""

    property_id: str
    n: int = 1


@dataclass(frozen=True)
class Known:
    """A finding matched the known defect ``defect_id`` of the ledger (``count`` times: a worker's hits)."""

    defect_id: str
    finding: Finding
    count: int = 1
    targets: frozenset[str] = frozenset()  # every target it was seen on (a worker's hits); else the finding's

    @functools.cached_property
    def size(self) -> int:
        """The finding's size (:meth:`Finding.size`), computed once for every subscriber."""
        return self.finding.size()


@dataclass(frozen=True)
class NewFound:
    """A test failed on a finding no ledger entry knows (``text``: the failure as pytest shows it)."""

    nodeid: str
    finding: Finding
    text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ArtifactWritten:
    """The artifact of a new finding of ``property_id`` found by ``nodeid`` is in ``directory``."""

    property_id: str
    nodeid: str
    directory: Path


@dataclass(frozen=True)
class ArtifactFailed:
    """The artifact of a new finding could not be written."""

    nodeid: str
    finding: Finding
    error: str


Event = Any
Subscriber = Callable[[Event], None]


# -- what a run keeps -----------------------------------------------------------------------------

def _add(counts: dict[str, int], keys: Iterable[str], n: int = 1) -> None:
    for key in keys:
        counts[key] = counts.get(key, 0) + n


@dataclass
class Counts:
    """Per property id: judged examples, those whose every violation was a known defect, steered ones,
    and sweep combinations declared and run."""

    examples: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    steered: dict[str, int] = field(default_factory=dict)
    steered_known: dict[str, int] = field(default_factory=dict)
    swept: dict[str, int] = field(default_factory=dict)
    sweep_size: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def __call__(self, event: Event) -> None:
        if isinstance(event, Judged):
            _add(self.examples, event.property_ids)
            _add(self.known, event.known_ids)
        elif isinstance(event, Steered):
            _add(self.steered, event.property_ids)
            _add(self.steered_known, event.known_ids)
        elif isinstance(event, SweepDeclared):
            _add(self.sweep_size, [event.property_id], event.size)
        elif isinstance(event, Swept):
            _add(self.swept, [event.property_id], event.n)
        elif isinstance(event, Skipped):
            _add(self.skipped, event.property_ids)

    def snapshot(self) -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
        """Judged, known, steered and steered-known examples per property id (copies)."""
        return dict(self.examples), dict(self.known), dict(self.steered), dict(self.steered_known)

    def sweep_snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        """Sweep combinations run and declared per property id (copies)."""
        return dict(self.swept), dict(self.sweep_size)


class KnownDefects(dict):
    """Known defect id -> the smallest example seen of it and how often it was seen."""

    def __init__(self) -> None:
        super().__init__()
        self._sizes: dict[str, int] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, Known):
            self.add(event.defect_id, event.finding, event.count, size=event.size, targets=event.targets)

    def add(self, defect_id: str, finding: Finding, count: int = 1, size: int | None = None,
            targets: frozenset[str] = frozenset()) -> None:
        size = finding.size() if size is None else size
        seen_on = set(targets) | ({finding.facts["target"]} if finding.facts.get("target") else set())
        record = self.get(defect_id)
        if record is None:
            self[defect_id] = KnownRecord(defect_id, finding, count, seen_on)
            self._sizes[defect_id] = size
            return
        record.count += count
        record.targets |= seen_on
        if size < self._sizes[defect_id]:
            record.finding, self._sizes[defect_id] = finding, size

    def to_json(self) -> str:
        """One ASCII JSON string: execnet refuses enums and lone surrogates, and a worker that cannot send its
        output is lost with every known-defect count it held."""
        return json.dumps({k: [r.count, r.finding.to_json(), sorted(r.targets)] for k, r in self.items()},
                          default=str)





class Artifacts(list):
    """(property id, node id, directory) of every artifact written, in order."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, ArtifactWritten):
            self.append((event.property_id, event.nodeid, event.directory))


class FindingsSeen:
    """Subscriber: the known defects of a run and the artifacts it wrote (what its tables and reports list)."""

    def __init__(self) -> None:
        self.known = KnownDefects()
        self.artifacts = Artifacts()

    def __call__(self, event: Event) -> None:
        self.known(event)
        self.artifacts(event)


# -- the run ---------------------------------------------------------------------------------------

class Run:
    """One session's findings flow: emit events, and every subscriber receives them in order."""

    def __init__(self, ledger: Ledger | None = None) -> None:
        self.counts = Counts()
        self.known = KnownDefects()
        self.artifacts = Artifacts()
        self.target: str | None = None  # the target of the test running now (its findings name it)
        self._subscribers: list[Subscriber] = [self.counts, self.known, self.artifacts]
        #: the ledger findings are judged by (None: :func:`fuzz.ledger.active_ledger` loads the default file)
        self.ledger = ledger
        #: the running ``@judges`` test, and the properties the current example marked judged
        self.scope: Scope | None = None
        self.marks: set[str] = set()
        #: the running ``@sweeps`` test, and whether the current example is one of its combinations
        self.sweep: Sweep | None = None
        self.example_is_sweep = False

    def subscribe(self, subscriber: Subscriber) -> Subscriber:
        """Have ``subscriber`` receive every later event; returns it."""
        self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.remove(subscriber)

    def emit(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)

    @contextlib.contextmanager
    def listening(self, *kinds: type) -> Iterator[list[Event]]:
        """The events of ``kinds`` emitted inside the block, as a list."""
        seen: list[Event] = []

        def keep(event: Event) -> None:
            if isinstance(event, kinds):
                seen.append(event)

        self.subscribe(keep)
        try:
            yield seen
        finally:
            self.unsubscribe(keep)

    def worker_output(self) -> dict[str, Any]:
        """What an xdist worker sends its controller: known-defect hits and artifacts."""
        return {"aksara_fuzz_known": self.known.to_json(),
                "aksara_fuzz_artifacts": [(p, n, str(d)) for p, n, d in self.artifacts]}

    def merge_worker_output(self, output: dict[str, Any]) -> None:
        """Emit a worker's known-defect hits and artifacts into this (the controller's) run."""
        for defect_id, (count, data, *targets) in json.loads(output.get("aksara_fuzz_known", "{}")).items():
            self.emit(Known(defect_id, Finding.from_json(data), count, frozenset(targets[0] if targets else ())))
        for prop, nodeid, directory in output.get("aksara_fuzz_artifacts", []):
            self.emit(ArtifactWritten(prop, nodeid, Path(directory)))


RUN_KEY = pytest.StashKey[Run]()
TOKEN_KEY = pytest.StashKey[Any]()
_CURRENT: contextvars.ContextVar[Run | None] = contextvars.ContextVar("aksara_fuzz_run", default=None)


def current_run() -> Run:
    """The run of this context: the pytest session's; outside a session, a run of its own for this context."""
    run = _CURRENT.get()
    if run is None:
        run = Run()
        _CURRENT.set(run)
    return run


@contextlib.contextmanager
def using_run(run: Run | None = None, *, ledger: Ledger | None = None) -> Iterator[Run]:
    """``run`` as the current run inside the block; by default a fresh one judging by ``ledger``, or by the
    ledger of the run current before the block."""
    if run is None:
        outer = _CURRENT.get()
        run = Run(ledger if ledger is not None else outer.ledger if outer is not None else None)
    token = _CURRENT.set(run)
    try:
        yield run
    finally:
        _CURRENT.reset(token)


def run_of(config: Any) -> Run:
    """The session's run, created on first use and made the current run of the session."""
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        run = config.stash[RUN_KEY] = Run()
        config.stash[TOKEN_KEY] = _CURRENT.set(run)
    return run


def end_run(config: Any) -> None:
    """The session is over: its run is no longer the current run."""
    token = config.stash.get(TOKEN_KEY, None)
    if token is not None:
        del config.stash[TOKEN_KEY]
        try:
            _CURRENT.reset(token)
        except ValueError:  # set in another context: leave it
            _CURRENT.set(None)
