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

import hashlib
import json
import threading
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from fuzz.transcript import Exchange


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

    def signature_facts(self) -> dict[str, str]:
        """Facts a ledger signature may match: the explicit facts plus the last exchange."""
        facts = {"property": self.property_id, "message": self.message}
        if self.exchanges:
            last = self.exchanges[-1]
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
            "exchanges": [e.to_json() for e in self.exchanges],
            "reproducer": self.reproducer,
        }

    def describe(self) -> str:
        lines = [f"[{self.property_id}] {self.message}"]
        if self.expected is not None:
            lines.append(f"  expected: {_short(self.expected)}")
        if self.observed is not None:
            lines.append(f"  observed: {_short(self.observed)}")
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
    """The smallest example seen of one known defect in this session."""

    defect_id: str
    finding: Finding
    count: int = 1


class FindingsCollector:
    """Session-wide store of known-defect hits and new findings (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.known: dict[str, KnownRecord] = {}
        self.new: list[tuple[str, Finding]] = []
        self.examples: dict[str, int] = {}

    def record_known(self, defect_id: str, finding: Finding) -> None:
        with self._lock:
            record = self.known.get(defect_id)
            if record is None:
                self.known[defect_id] = KnownRecord(defect_id, finding)
                return
            record.count += 1
            if finding.size() < record.finding.size():
                record.finding = finding

    def record_new(self, nodeid: str, finding: Finding) -> None:
        with self._lock:
            self.new.append((nodeid, finding))

    def count_example(self, property_id: str) -> None:
        with self._lock:
            self.examples[property_id] = self.examples.get(property_id, 0) + 1


COLLECTOR = FindingsCollector()


def with_facts(findings: Iterable[Finding], **facts: str) -> list[Finding]:
    """The same findings with extra facts (for ledger signatures), explicit facts winning."""
    return [replace(f, facts={**facts, **f.facts}) for f in findings]


def report(findings: Iterable[Finding]) -> list[Finding]:
    """Judge every finding on its own: record each known one, then raise :class:`NewFinding`
    naming every unknown one (a known finding never hides a new one, nor a new one a known one).

    Returns the known findings, so a property may add them to its own statistics.
    """
    from fuzz.ledger import active_ledger

    ledger = active_ledger()
    known: list[Finding] = []
    new: list[Finding] = []
    for finding in findings:
        defect = ledger.match(finding)
        if defect is None:
            new.append(finding)
            continue
        COLLECTOR.record_known(defect.id, finding)
        known.append(finding)
    if new:
        raise NewFinding(*new)
    return known


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
