"""``find_any``: assert a strategy can produce an example satisfying a condition."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

FIND_SETTINGS = settings(
    max_examples=3000, phases=[Phase.generate], database=None, deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # reachability is a fact about the strategy, not about one run's luck
)


def find_any(strategy: Any, condition: Callable[[Any], bool], max_examples: int = 3000) -> Any:
    try:
        return find(strategy, condition, settings=settings(FIND_SETTINGS, max_examples=max_examples))
    except NoSuchExample:
        raise AssertionError(f"no example satisfying {condition.__name__!r} in {max_examples} tries") from None
