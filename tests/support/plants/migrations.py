"""Planted migration fault: Aksara's DDL generation stops quoting identifiers."""

from __future__ import annotations

import pytest
from aksara.migrations import operations as aksara_ops

from tests.support.plants import plugin


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aksara_ops, "_quote_ident", lambda name: name)


pytest_configure, pytest_unconfigure = plugin(plant)
