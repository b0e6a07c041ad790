"""How a fuzz test counts what it judged: one way, per catalogue property, honestly.

- An oracle (or the property body that feeds it) calls :func:`judged` with the ids of the
  properties whose oracle actually saw what it needs in this example — the filter
  differential a successful list, the round trip an accepted write, the error envelope an
  error response. A property that reports a violation has judged the example too.
- The test hands each example's findings to :func:`judge`: the example is counted under
  every property it judged (and, when every violation of a property was a known defect, as
  budget that known defects consumed); then the findings are reported
  (:func:`fuzz.findings.report`: known ones recorded, a new one fails the test).
- ``@judges(catalog.X, catalog.Y, also=(catalog.Z,))`` declares which catalogue properties a
  test judges: its own (positional) and those it judges along the way (``also``, e.g. the
  generic HTTP oracles on every exchange). A test that judged no example of any of its own
  properties ends SKIPPED with the reason, never passed; a test that judges a property it did
  not declare is an error.

Steering: once a test has seen a known defect :data:`SATURATION` times, a later Hypothesis example
whose every violation is an already-saturated known defect is rejected after it was recorded
(``hypothesis.reject``), so it does not consume the test's ``max_examples``; the budget goes to
inputs that can still show something new. Steering starts after :data:`WARMUP` examples (Hypothesis'
health checks need valid examples first), re-spends at most ``max_examples`` examples per test (so a
test costs at most twice its budget), never touches an example with a new finding, and is counted
per property (``steered`` in ``report.json``).

Counts are events of the current run (:mod:`fuzz.run`: ``Judged``, ``Steered``, ``Skipped``); the
reporting plugin's subscriber takes each test's share.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from fuzz import catalog
from fuzz.aksara_coverage import reached
from fuzz.findings import Finding, report
from fuzz.run import Judged, Skipped, Steered, current_run


class UndeclaredProperty(AssertionError):
    """A test judged a property its ``@judges`` does not declare."""


@dataclass
class Scope:
    """One running test declared with ``@judges``."""

    declared: tuple[str, ...]
    own: tuple[str, ...] = ()
    ran: int = 0  # examples started (Hypothesis examples, or judge() calls of a sweep)
    judged_calls: int = 0
    counted: dict[str, int] = field(default_factory=dict)
    known_hits: dict[str, int] = field(default_factory=dict)  # examples per known defect id
    steered: int = 0  # examples rejected by steering
    votes: list[bool | None] = field(default_factory=list)  # per judge() call of the example: steer it away?
    example_ids: set[str] = field(default_factory=set)  # properties the current example judged
    example_known: set[str] = field(default_factory=set)  # ... whose every violation was a known defect
    decisions: dict[str, bool] = field(default_factory=dict)  # steering decision per choice sequence
    reach: int | None = None  # Aksara arcs reached before the current example (coverage-guided runs only)


#: A known defect seen this many times in one test no longer deserves the test's budget.
SATURATION = 5
#: Examples a test runs before steering may reject any.
WARMUP = 10


def judged(*property_ids: str) -> None:
    """Mark that the oracles of ``property_ids`` saw what they need in the current example.

    Only inside a test declared with ``@judges``: elsewhere (an oracle's own tests) it does nothing.
    """
    run = current_run()
    if run.scope is not None:
        run.marks.update(property_ids)


def judge(findings: Iterable[Finding]) -> list[Finding]:
    """Count the current example under every property it judged, then report its findings."""
    from fuzz.ledger import active_ledger

    findings = list(findings)
    run = current_run()
    ids = set(run.marks) | {f.property_id for f in findings}
    run.marks.clear()
    scope = run.scope
    if scope is not None:
        undeclared = sorted(ids - set(scope.declared))
        if undeclared:
            raise UndeclaredProperty(f"judged {', '.join(undeclared)}, which the test's @judges does not declare")
        scope.judged_calls += 1
        for pid in ids:
            scope.counted[pid] = scope.counted.get(pid, 0) + 1
    ledger = active_ledger()
    defects = [ledger.match(f) for f in findings]
    violated = {f.property_id for f in findings}
    unknown = {f.property_id for f, d in zip(findings, defects) if d is None}
    run.emit(Judged(frozenset(ids), frozenset(violated - unknown)))
    known = report(findings)
    if scope is not None:
        _note_known(scope, {d.id for d in defects if d is not None}, ids, violated - unknown)
    return known


def _note_known(scope: Scope, defect_ids: set[str], judged_ids: Iterable[str], known_ids: Iterable[str]) -> None:
    """Count the known defects of this judge() call and whether it alone would be steered away."""
    for defect_id in defect_ids:
        scope.known_hits[defect_id] = scope.known_hits.get(defect_id, 0) + 1
    scope.example_ids.update(judged_ids)
    scope.example_known.update(known_ids)
    # None: the call showed no known defect, so the example is never steered whatever the history
    scope.votes.append(all(scope.known_hits[d] > SATURATION for d in defect_ids) if defect_ids else None)


def _choices_key() -> str | None:
    """The running example's choice sequence, as a key (None outside a Hypothesis example or on its final replay)."""
    try:
        from hypothesis.control import current_build_context

        context = current_build_context()
        if context.is_final:
            return None
        return hashlib.sha1(repr(context.data.choices).encode("utf-8", "surrogatepass")).hexdigest()
    except Exception:  # noqa: BLE001 - outside Hypothesis, or an internal that moved: no steering
        return None


def _steer_after_example(scope: Scope) -> None:
    """Reject the example that just finished when each of its judge() calls only showed saturated known defects.

    Decided after the test body returned, never in the middle: the example drew all it would draw, so
    Hypothesis sees the same draws whatever the decision (a rejection mid-example would make a replay of
    the same choices stop drawing earlier, which Hypothesis reports as a flaky strategy).
    """
    votes, scope.votes = scope.votes, []
    judged_ids, scope.example_ids = scope.example_ids, set()
    known_ids, scope.example_known = scope.example_known, set()
    if not votes or None in votes:  # decided by the example alone: no key to keep (the common, cheap case)
        return
    key = _choices_key()
    if key is None:
        return
    decided = scope.decisions.get(key)
    if decided is None:
        from fuzz.sweep import is_sweep_example
        from hypothesis import settings

        decided = all(votes) and scope.ran - scope.steered > WARMUP and not is_sweep_example() \
            and scope.steered < settings.default.max_examples
        # the same choices are always judged the same way: Hypothesis replays some of them (shrinking, its
        # own bookkeeping) and reports a changed outcome as a flaky test
        scope.decisions[key] = decided
    if not decided:
        return
    from hypothesis import reject

    scope.steered += 1
    current_run().emit(Steered(frozenset(judged_ids), frozenset(known_ids)))
    reject()


def _guide(scope: Scope) -> None:
    """In a coverage-guided run, score the example by the Aksara arcs it reached first (Hypothesis' target phase
    then mutates the examples that reached new code)."""
    if scope.reach is None:
        return
    now = reached()
    if now is None:
        return
    from hypothesis import target

    target(float(max(0, now - scope.reach)), label="new Aksara arcs")
    scope.reach = now


def _example_started() -> None:
    run = current_run()
    run.marks.clear()
    scope = run.scope
    if scope is not None:
        scope.ran += 1
        scope.votes, scope.example_ids, scope.example_known = [], set(), set()


def skip_reason(scope: Scope) -> str:
    ran = f"{scope.ran} example(s) ran" if scope.ran else f"{scope.judged_calls} case(s) ran"
    return (f"judged no example of {', '.join(scope.own)}: {ran}, and none reached what "
            f"{'its oracle needs' if len(scope.own) == 1 else 'their oracles need'} "
            "(e.g. a successful response, an applicable field or principal)")


def judges(*own: str, also: Iterable[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the catalogue properties a fuzz test judges (outermost decorator, above @given/@settings)."""
    property_ids = tuple(dict.fromkeys([*own, *also]))
    missing = [p for p in property_ids if p not in catalog.PROPERTIES]
    if missing or not own:
        raise ValueError(f"@judges needs catalogue property ids; not in fuzz/catalog.py: {missing}")

    def decorate(test: Callable[..., Any]) -> Callable[..., Any]:
        handle = getattr(test, "hypothesis", None)
        if handle is not None and hasattr(handle, "inner_test"):
            inner = handle.inner_test

            @functools.wraps(inner)
            def each_example(*args: Any, **kwargs: Any) -> Any:
                _example_started()
                result = inner(*args, **kwargs)
                scope = current_run().scope
                if scope is not None:
                    _guide(scope)
                    _steer_after_example(scope)
                return result

            handle.inner_test = each_example

        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            import pytest

            scope = Scope(property_ids, tuple(own), reach=reached())
            fuzz_run = current_run()
            previous, fuzz_run.scope = fuzz_run.scope, scope
            fuzz_run.marks.clear()
            try:
                result = test(*args, **kwargs)
            finally:
                fuzz_run.scope = previous
            if not any(scope.counted.get(p) for p in own):
                reason = skip_reason(scope)
                fuzz_run.emit(Skipped(tuple(own), reason))
                pytest.skip(reason)
            return result

        run.judges = tuple(property_ids)  # type: ignore[attr-defined]
        return run

    return decorate
