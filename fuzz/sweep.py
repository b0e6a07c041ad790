"""The sweep phase of a property test: every declared combination once, then random exploration.

``@sweeps(property_ids, combinations)`` sits between ``@judges`` and ``@given``. Before Hypothesis
starts, ``combinations(**fixtures)`` lists the test's combinations from target metadata
(:mod:`strategies.sweeps`); the test's budget grows by their number (so exploration keeps its
own), and inside the test :func:`swept` turns them into the leading phase of the test's own
strategy (:func:`strategies.sweeps.leading`): each example of the phase runs one combination,
as the property's ordinary input, through the same body, oracles, ``judge``, ledger, shrinking
and artifacts as a random example.

Counts are events of the current run (:mod:`fuzz.run`): ``SweepDeclared`` (``sweep_size``
combinations declared) and ``Swept`` (combinations run), per property id. The reporting plugin's
subscriber takes each test's share into ``report.json``/``report.md``.
Authorization sweeps that are plain loops over the route inventory count with :func:`count`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from hypothesis import settings
from hypothesis import strategies as st

from fuzz.run import SweepDeclared, Swept, current_run
from strategies.sweeps import leading


@dataclass
class Sweep:
    """One test run's combinations and the indices of those already drawn."""

    property_ids: tuple[str, ...]
    combinations: list[Any]
    drawn: set[int] = field(default_factory=set)
    _built: tuple[Any, Any] | None = field(default=None, repr=False)

    def mark(self, index: int | None) -> None:
        run = current_run()
        run.example_is_sweep = index is not None
        if index is not None and index not in self.drawn:
            self.drawn.add(index)
            for property_id in self.property_ids:
                run.emit(Swept(property_id))

    def then(self, explore: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        if self._built is None or self._built[0] is not explore:  # built once per test for a cached explore
            self._built = (explore, leading(self.combinations, explore, self.mark))
        return self._built[1]


def current() -> Sweep | None:
    """The running ``@sweeps`` test's sweep (held by the current run)."""
    return current_run().sweep


def is_sweep_example() -> bool:
    """Whether the running example is one of the sweep's combinations (steering leaves those alone: the sweep
    runs each once, on a budget of its own, and a replayed combination must be judged the same way)."""
    run = current_run()
    return run.example_is_sweep and run.sweep is not None


def swept(explore: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The running test's combinations, first, then ``explore`` (just ``explore`` outside ``@sweeps``)."""
    sweep = current()
    return explore if sweep is None else sweep.then(explore)


def count(property_id: str, size: int, swept_combinations: int) -> None:
    """Count a sweep run as a plain loop (every combination once, outside Hypothesis)."""
    run = current_run()
    run.emit(SweepDeclared(property_id, size))
    run.emit(Swept(property_id, swept_combinations))


def sweeps(property_ids: str | Sequence[str],
           combinations: Callable[..., Sequence[Any]]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a ``@given`` test a sweep phase of ``combinations(**its fixtures)``, counted under ``property_ids``."""
    ids = (property_ids,) if isinstance(property_ids, str) else tuple(property_ids)

    def decorate(test: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            combos = list(combinations(**kwargs))
            sweep = Sweep(ids, combos)
            run = current_run()
            for property_id in ids:
                run.emit(SweepDeclared(property_id, len(combos)))
            base = test._hypothesis_internal_use_settings  # what @given/@settings attached
            test._hypothesis_internal_use_settings = settings(base, max_examples=base.max_examples + len(combos))
            previous, run.sweep = run.sweep, sweep
            try:
                return test(*args, **kwargs)
            finally:
                run.sweep, run.example_is_sweep = previous, False
                test._hypothesis_internal_use_settings = base

        run.given_test = test  # type: ignore[attr-defined]  # tests set seeds and settings on it
        return run

    return decorate

