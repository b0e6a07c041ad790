"""Planted hand-written migration fault: ``IndexOp`` forgets ``unique=True`` (a plain index is created)."""

from __future__ import annotations

import pytest
from aksara.migrations import operations as aksara_ops

from tests.support.plants import plugin


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    original = aksara_ops.IndexOp.to_sql

    def forgets_unique(self) -> str:
        return original(self).replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1)

    monkeypatch.setattr(aksara_ops.IndexOp, "to_sql", forgets_unique)


pytest_configure, pytest_unconfigure = plugin(plant)
