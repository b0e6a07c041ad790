"""Planted faults in real Aksara, selectable for a subprocess pytest run with ``-p tests.support.plants.<name>``.

Each module is a pytest plugin: ``plant(monkeypatch)`` breaks one thing in the installed Aksara (a test
calls it with its own ``monkeypatch``), and loading the module as a plugin plants the same fault for a
whole run (undone at unconfigure). Nothing here is imported unless a test names it.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest


def plugin(plant: Callable[[pytest.MonkeyPatch], None]) -> tuple[Callable, Callable]:
    """``pytest_configure``/``pytest_unconfigure`` hooks planting ``plant`` for the run."""
    patches: list[pytest.MonkeyPatch] = []

    def pytest_configure(config: Any) -> None:
        patch = pytest.MonkeyPatch()
        plant(patch)
        patches.append(patch)

    def pytest_unconfigure(config: Any) -> None:
        while patches:
            patches.pop().undo()

    return pytest_configure, pytest_unconfigure
