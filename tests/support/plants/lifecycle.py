"""Planted lifecycle faults in real Aksara: a failed application lifespan leaves Aksara's runtime running (its pool
open, as before 0.6), a database that refuses connections is ignored at start-up, and shutdown forgets the pool.

As a plugin (``-p tests.support.plants.lifecycle``) it plants :func:`plant` (no cleanup after a failed lifespan).
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara.app import Aksara
from aksara.db.engine import Database

from tests.support.plants import plugin

_CONNECT = Database.connect


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing is released when start-up or the application's lifespan fails."""
    async def keeps_everything(self: Any, stage: str) -> None:
        return None

    monkeypatch.setattr(Aksara, "_cleanup_runtime_after_error", keeps_everything)


def plant_connect_swallows_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Database.connect`` logs nothing and returns when the server refuses: the app starts without a pool."""
    async def swallows(self: Any) -> None:
        try:
            await _CONNECT(self)
        except Exception:  # noqa: BLE001 - the planted fault
            return None

    monkeypatch.setattr(Database, "connect", swallows)


def plant_disconnect_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Database.disconnect`` forgets its pool without closing it."""
    async def forgets(self: Any) -> None:
        self._pool = None

    monkeypatch.setattr(Database, "disconnect", forgets)


pytest_configure, pytest_unconfigure = plugin(plant)
