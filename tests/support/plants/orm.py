"""Planted ORM faults: one lookup's SQL, one field's conversion or validation, one write, broken in real Aksara.

``plant(monkeypatch)`` plants the default fault (``gte`` compiled as ``>``); :data:`PLANTS` names each fault
for the ORM family's self-tests (tests/orm/).
"""

from __future__ import annotations

import decimal
from typing import Callable

import pytest
from aksara import fields
from aksara.manager import QuerySet

from tests.support.plants import plugin

_COMPILE = QuerySet._compile_filter_condition
_DECIMAL_TO_PYTHON = fields.Decimal.to_python
_INTEGER_TO_DB = fields.Integer.to_db
_UPDATE = QuerySet.update


def gte_as_gt(monkeypatch: pytest.MonkeyPatch) -> None:
    """``column__gte`` compiles to ``>``: the row equal to the bound is lost."""
    def compile_(self, key, value, values, qualify_base=False):
        if key.endswith("__gte"):
            key = key[:-5] + "__gt"
        return _COMPILE(self, key, value, values, qualify_base=qualify_base)

    monkeypatch.setattr(QuerySet, "_compile_filter_condition", compile_)


def decimal_read_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Decimal.to_python`` drops the fraction: what is read is not what was saved."""
    def to_python(self, value):
        result = _DECIMAL_TO_PYTHON(self, value)
        return None if result is None else result.to_integral_value(rounding=decimal.ROUND_DOWN)

    monkeypatch.setattr(fields.Decimal, "to_python", to_python)


def integer_range_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Integer.to_db`` passes any int through: PostgreSQL refuses an out-of-range value (a database error)."""
    def to_db(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return _INTEGER_TO_DB(self, value)

    monkeypatch.setattr(fields.Integer, "to_db", to_db)


def update_ignores_q(monkeypatch: pytest.MonkeyPatch) -> None:
    """``QuerySet.update`` drops the queryset's Q conditions: every row is updated."""
    async def update(self, **kwargs):
        return await _UPDATE(self._clone(q_objects=[]), **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)


PLANTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "gte_as_gt": gte_as_gt,
    "decimal_read_truncated": decimal_read_truncated,
    "integer_range_unchecked": integer_range_unchecked,
    "update_ignores_q": update_ignores_q,
}


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    gte_as_gt(monkeypatch)


pytest_configure, pytest_unconfigure = plugin(plant)
