"""Planted query fault: ``AksaraFilterBackend`` raises on an ``icontains`` value holding a LIKE wildcard (a 500)."""

from __future__ import annotations

import pytest
from aksara.api.filters import AksaraFilterBackend

from tests.support.plants import plugin

_REAL = AksaraFilterBackend._coerce_lookup_value


def _faulty(self, lookup, value):
    if lookup == "icontains" and "%" in value:
        raise RuntimeError("planted: a LIKE wildcard reached the pattern unescaped")
    return _REAL(self, lookup, value)


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AksaraFilterBackend, "_coerce_lookup_value", _faulty)


pytest_configure, pytest_unconfigure = plugin(plant)
