"""Programs of calls to ``aksara.workflows.DurableStep`` (the evolving workflow-step cache).

A :class:`StepProgram` is one workflow's calls, in order: each :class:`StepCall` names a step (three names, so
steps repeat), whether its body returns a JSON value or raises, whether the call forces a re-run, and how many
callers make it at once (1, or 2-3 concurrent callers of the same step). No I/O: fuzz/properties/workflows.py runs
them on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

STEPS = ("fetch", "charge", "notify")
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53),
                         st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text("abcdef", min_size=1, max_size=4), inner, max_size=3)),
    max_leaves=6)


@dataclass(frozen=True)
class StepCall:
    """``callers`` calls of ``DurableStep.run(step, body, force=force)`` at once; the body returns ``value`` or,
    when ``fails``, raises."""

    step: str
    fails: bool = False
    value: Any = None
    force: bool = False
    callers: int = 1


@dataclass(frozen=True)
class StepProgram:
    """One workflow's step calls, in order."""

    workflow: str
    calls: tuple[StepCall, ...]


def step_calls() -> st.SearchStrategy[StepCall]:
    return st.builds(StepCall, st.sampled_from(STEPS), st.booleans(), JSON_VALUES,
                     st.sampled_from((False, False, False, True)), st.sampled_from((1, 1, 2, 3)))


def step_programs() -> st.SearchStrategy[StepProgram]:
    """A workflow id (any text) and 1-8 calls."""
    return st.builds(StepProgram, st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1,
                                          max_size=30),
                     st.lists(step_calls(), min_size=1, max_size=8).map(tuple))
