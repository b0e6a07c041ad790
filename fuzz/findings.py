"""Findings: a property violation as a value, and how a property reports it.

A :class:`Finding` carries everything needed to understand and replay one
violation: the property it broke, what was observed and expected, the HTTP
exchanges that led to it (or a Python reproducer for non-HTTP properties) and a
few string ``facts`` that ledger signatures match on.

Properties call :func:`report` with every finding of their oracles for one
example. Each is judged on its own: one that matches a known defect in the ledger
is recorded and the search goes on; the others together raise :class:`NewFinding`,
so Hypothesis shrinks the example and pytest fails the test.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from targets.crash import CrashState
from targets.transcript import Exchange

CRASH_FACTS = tuple(CrashState(exception="").facts())


@dataclass(frozen=True)
class Finding:
    """One violation of one property."""

    property_id: str
    message: str
    observed: Any = None
    expected: Any = None
    exchanges: Sequence[Exchange] = ()
    facts: Mapping[str, str] = field(default_factory=dict)
    reproducer: str | None = None
    #: The property's input as JSON (:func:`fuzz.inputs.replay_input`): what :mod:`fuzz.replay` re-runs.
    replay: Mapping[str, Any] | None = None

    def signature_facts(self) -> dict[str, str]:
        """Facts a ledger signature may match: the explicit facts plus the last exchange and its crash.

        The crash facts (``exception``, ``crash_frames``, ``crash_stack``, ``crash_state``,
        ``sqlstate``, ``sql_operation``, ``crash_message``, ``crash_wrapper``) identify a
        server error by its cause (see :mod:`targets.crash`); they are empty strings
        when the last exchange made the app raise nothing.
        """
        facts = {"property": self.property_id, "message": self.message}
        facts.update(dict.fromkeys(CRASH_FACTS, ""))
        if self.exchanges:
            last = self.exchanges[-1]
            if last.crash is not None:
                facts.update(last.crash.facts())
            facts.update(
                principal=last.principal,
                method=last.method,
                path=last.path,
                route=last.route or last.path,
                status=str(last.status),
                query=last.query_string(),
                body=last.response_text[:2000],
            )
        facts.update({k: str(v) for k, v in self.facts.items()})
        return facts

    def crash_facts(self) -> dict[str, str]:
        """The crash facts of the last exchange (empty when it made the app raise nothing); without exchanges,
        those the finding's own facts carry (a property that calls Aksara in process, e.g. the ORM family)."""
        crash = self.exchanges[-1].crash if self.exchanges else None
        if crash is not None:
            return crash.facts()
        if not self.exchanges and self.facts.get("crash_state"):
            return {k: str(self.facts.get(k, "")) for k in CRASH_FACTS}
        return {}

    def size(self) -> int:
        """A rough size used to keep the smallest example of a known defect."""
        return len(json.dumps(self.to_json(), default=str))

    def digest(self) -> str:
        """A short stable id for the finding's artifact directory."""
        raw = json.dumps(
            [self.property_id, self.message, [e.to_json() for e in self.exchanges], self.reproducer],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:10]

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.property_id,
            "message": self.message,
            "observed": _jsonable(self.observed),
            "expected": _jsonable(self.expected),
            "facts": dict(self.facts),
            "crash": self.crash_facts(),
            "exchanges": [e.to_json() for e in self.exchanges],
            "reproducer": self.reproducer,
            "replay": self.replay,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Finding":
        """The finding :meth:`to_json` wrote (artifacts, worker output)."""
        return cls(
            property_id=data["property"],
            message=data["message"],
            observed=data.get("observed"),
            expected=data.get("expected"),
            exchanges=tuple(Exchange.from_json(e) for e in data.get("exchanges", [])),
            facts=data.get("facts", {}),
            reproducer=data.get("reproducer"),
            replay=data.get("replay"),
        )

    def describe(self) -> str:
        lines = [f"[{self.property_id}] {self.message}"]
        if self.expected is not None:
            lines.append(f"  expected: {_short(self.expected)}")
        if self.observed is not None:
            lines.append(f"  observed: {_short(self.observed)}")
        crash = self.crash_facts()
        if crash:
            lines.append(f"  crash: {crash['crash_state']}: {_short(crash['crash_message'], 160)}"
                         + (f" (sqlstate {crash['sqlstate']})" if crash["sqlstate"] else ""))
            origin = crash.get("crash_origin", "")
            if origin and origin.split(":")[0] not in crash.get("crash_frames", ""):
                lines.append(f"  raised in: {origin} (outside the frames above: whose code failed decides the owner)")
        if self.facts:
            lines.append("  facts: " + _short(", ".join(f"{k}={v}" for k, v in sorted(self.facts.items())), 400))
        for exchange in self.exchanges[-3:]:
            lines.append("  " + exchange.one_line())
        return "\n".join(lines)


class NewFinding(AssertionError):
    """Raised for the findings of an example that match no known defect: the test fails on them.

    ``finding`` is the first; ``findings`` lists every unknown one of the example."""

    def __init__(self, finding: Finding, *more: Finding):
        self.finding = finding
        self.findings = (finding, *more)
        if not more:
            super().__init__(finding.describe())
        else:
            super().__init__(f"{len(self.findings)} new findings in one example:\n"
                             + "\n".join(f.describe() for f in self.findings))


@dataclass
class KnownRecord:
    """The smallest example seen of one known defect in a run (:class:`fuzz.run.KnownDefects`)."""

    defect_id: str
    finding: Finding
    count: int = 1
    targets: set[str] = field(default_factory=set)  # the targets it was seen on


def with_facts(findings: Iterable[Finding], **facts: str) -> list[Finding]:
    """The same findings with extra facts (for ledger signatures), explicit facts winning."""
    return [replace(f, facts={**facts, **f.facts}) for f in findings]


def with_replay(findings: Iterable[Finding], area: str, call: str, **args: Any) -> list[Finding]:
    """The same findings carrying the input that produced them (``call(**args)`` of ``area``), for replay."""
    findings = list(findings)
    if not findings:
        return findings
    from fuzz.inputs import replay_input

    stored = replay_input(area, call, **args)
    return [f if f.replay is not None else replace(f, replay=stored) for f in findings]


def replayable(area: str, *, env: Sequence[str] = (), names: Sequence[str] = ()) -> Callable:
    """Decorate a property function so its findings carry its input (its arguments but ``env``).

    ``env`` names the arguments that are the environment (world, live target, planted deciders): a
    replay supplies its own. ``names`` names arguments stored by their ``.name`` (e.g. a resource).
    """
    def wrap(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            findings = fn(*args, **kwargs)
            if not findings:
                return findings
            bound = signature.bind(*args, **kwargs)
            stored = {k: (v.name if k in names else v) for k, v in bound.arguments.items() if k not in env}
            return with_replay(findings, area, fn.__name__, **stored)

        return inner

    return wrap


def report(findings: Iterable[Finding]) -> list[Finding]:
    """Judge every finding on its own: record each known one, then raise :class:`NewFinding`
    naming every unknown one (a known finding never hides a new one, nor a new one a known one).

    Each known one is emitted into the current run (:class:`fuzz.run.Known`). Every finding names the
    run's current target (fact ``target``) when a target-bound test reports it. Returns the known
    findings, so a property may add them to its own statistics.
    """
    from fuzz.ledger import active_ledger
    from fuzz.run import Known, current_run

    ledger, run = active_ledger(), current_run()
    if getattr(run, "target", None):
        findings = with_facts(findings, target=run.target)
    known: list[Finding] = []
    new: list[Finding] = []
    for finding in findings:
        defect = ledger.match(finding)
        if defect is None:
            new.append(finding)
            continue
        run.emit(Known(defect.id, finding))
        known.append(finding)
    if new:
        raise NewFinding(*new)
    return known


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (enums, tuples and other subclasses normalised), else its repr."""
    try:
        return json.loads(json.dumps(value, allow_nan=True))
    except (TypeError, ValueError):
        return repr(value)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
