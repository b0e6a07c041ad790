"""Planted faults in ``aksara.workflows.DurableStep``: the state read loses completed steps (their body runs again
under a fresh claim), and a failing body's error is swallowed into a ``None`` result.

As a plugin (``-p tests.support.plants.workflows``) it plants :func:`plant` (completed steps forgotten).
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara import workflows

from tests.support.plants import plugin

_GET_STATE = workflows.DurableStep.get_state
_RUN = workflows.DurableStep.run


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """A completed step is read as absent, and claiming it overwrites it: the body runs again."""
    async def forgets_completed(self: Any, step_name: str) -> Any:
        state = await _GET_STATE(self, step_name)
        return None if state is not None and state.status == "completed" else state

    async def reruns(self: Any, step_name: str, func: Any, *args: Any, force: bool = False, **kwargs: Any) -> Any:
        state = await _GET_STATE(self, step_name)
        return await _RUN(self, step_name, func, *args, force=force or (state is not None and state.status == "completed"),
                          **kwargs)

    monkeypatch.setattr(workflows.DurableStep, "get_state", forgets_completed)
    monkeypatch.setattr(workflows.DurableStep, "run", reruns)


def plant_errors_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing body's error is swallowed: the call returns None and the step is left failed."""
    async def swallows(self: Any, step_name: str, func: Any, *args: Any, force: bool = False, **kwargs: Any) -> Any:
        try:
            return await _RUN(self, step_name, func, *args, force=force, **kwargs)
        except workflows.ConcurrentStepError:
            raise
        except Exception:  # noqa: BLE001 - the planted fault
            return None

    monkeypatch.setattr(workflows.DurableStep, "run", swallows)


pytest_configure, pytest_unconfigure = plugin(plant)
