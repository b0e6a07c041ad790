"""Facts about a strategy's examples: ``find_any`` (one satisfies), ``assert_all_examples``, ``assert_no_examples``."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable

from strategies.sweeps import quiet_find

FIND_SETTINGS = settings(
    max_examples=3000, phases=[Phase.generate], database=None, deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # reachability is a fact about the strategy, not about one run's luck
)


def find_any(strategy: Any, condition: Callable[[Any], bool], max_examples: int = 3000) -> Any:
    """An example of ``strategy`` satisfying ``condition``; fails when none turns up in ``max_examples`` tries."""
    try:
        return quiet_find(strategy, condition, settings(FIND_SETTINGS, max_examples=max_examples))
    except NoSuchExample:
        raise AssertionError(f"no example satisfying {condition.__name__!r} in {max_examples} tries") from None


def _counterexample(strategy: Any, condition: Callable[[Any], bool], max_examples: int) -> tuple[bool, Any]:
    """Whether ``strategy`` produced an example satisfying ``condition`` in ``max_examples`` tries, and the
    smallest such one (shrunk, so a failure shows the simplest offender)."""
    try:
        return True, quiet_find(strategy, condition, settings(
            FIND_SETTINGS, max_examples=max_examples, phases=[Phase.generate, Phase.shrink]))
    except (NoSuchExample, Unsatisfiable):
        return False, None


def assert_all_examples(strategy: Any, predicate: Callable[[Any], bool], max_examples: int = 300) -> None:
    """Every example ``strategy`` produces in ``max_examples`` tries satisfies ``predicate``."""
    found, example = _counterexample(strategy, lambda value: not predicate(value), max_examples)
    if found:
        raise AssertionError(f"{example!r} does not satisfy {predicate.__name__!r}")


def assert_no_examples(strategy: Any, predicate: Callable[[Any], bool] = lambda _: True,
                       max_examples: int = 300) -> None:
    """No example ``strategy`` produces in ``max_examples`` tries satisfies ``predicate`` (by default: it
    produces no example at all)."""
    found, example = _counterexample(strategy, predicate, max_examples)
    if found:
        raise AssertionError(f"{example!r} satisfies {predicate.__name__!r}")
