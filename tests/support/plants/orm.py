"""Planted ORM faults: one lookup's SQL, one field's conversion or validation, one write, one relation manager,
annotation or upsert, broken in real Aksara.

``plant(monkeypatch)`` plants the default fault (``gte`` compiled as ``>``); :data:`PLANTS` names each fault
for the ORM family's self-tests (tests/orm/).
"""

from __future__ import annotations

import decimal
from typing import Callable

import pytest
from aksara import fields, relations
from aksara.manager import Manager, QuerySet
from aksara.model.base import Model

from tests.support.plants import plugin

_COMPILE = QuerySet._compile_filter_condition
_DECIMAL_TO_PYTHON = fields.Decimal.to_python
_INTEGER_TO_DB = fields.Integer.to_db
_UPDATE = QuerySet.update
_UPSERT = Manager.upsert
_ANNOTATION = QuerySet._compile_annotation_expression
_FETCH_WITH_COUNT = QuerySet.fetch_with_count
_FK_TO_DB = fields.ForeignKey.to_db


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


def upsert_keeps_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Manager.upsert`` on a conflict updates nothing (as if ``update_fields=[]``): the defaults are lost."""
    async def upsert(self, defaults=None, update_fields=None, **kwargs):
        return await _UPSERT(self, defaults=defaults, update_fields=[], **kwargs)

    monkeypatch.setattr(Manager, "upsert", upsert)


def count_off_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``Count`` aggregate or annotation compiles to ``COUNT(...) + 1``."""
    def compile_(self, expression, values, join_state):
        sql = _ANNOTATION(self, expression, values, join_state)
        return f"({sql} + 1)" if sql.startswith("COUNT(") else sql

    monkeypatch.setattr(QuerySet, "_compile_annotation_expression", compile_)


def fetch_with_count_counts_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """``fetch_with_count`` answers the size of the page, not of the unsliced queryset."""
    async def fetch_with_count(self):
        instances, _total = await _FETCH_WITH_COUNT(self)
        return instances, len(instances)

    monkeypatch.setattr(QuerySet, "fetch_with_count", fetch_with_count)


def fk_instance_as_null(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ForeignKey.to_db`` turns a model instance into NULL: ``filter(owner=<owner>)`` selects nothing."""
    def to_db(self, value):
        if hasattr(value, "_data"):
            return None
        return _FK_TO_DB(self, value)

    monkeypatch.setattr(fields.ForeignKey, "to_db", to_db)


def m2m_remove_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ManyToManyManager.remove`` removes nothing."""
    async def remove(self, *instances):
        return None

    monkeypatch.setattr(fields.ManyToManyManager, "remove", remove)


def m2m_clear_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ManyToManyManager.clear`` removes nothing (``set()`` then only adds)."""
    async def clear(self):
        return None

    monkeypatch.setattr(fields.ManyToManyManager, "clear", clear)


def reverse_fk_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reverse ForeignKey manager's ``all()`` answers every row of the table, not the owner's."""
    async def all_(self):
        return await self._source_model.objects.all()

    monkeypatch.setattr(relations.ReverseFKManager, "all", all_)


def reverse_o2o_any_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reverse OneToOne accessor answers the first profile of the table, whoever it points at."""
    async def call(self):
        return await self._source_model.objects.filter().first()

    monkeypatch.setattr(relations.ReverseO2OAccessor, "__call__", call)


def instance_delete_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Model.delete()`` sends its signals and deletes nothing."""
    async def delete(self):
        return None

    monkeypatch.setattr(Model, "delete", delete)


def post_delete_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """``post_delete`` reaches no receiver."""
    from aksara import signals

    async def send(sender, **named):
        return []

    monkeypatch.setattr(signals.post_delete, "send", send)


def trace_skips_fetchval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Query tracing records no ``fetchval`` call (a count or exists read goes untraced)."""
    from aksara.db import engine, tracing

    fetchval = engine.Database.fetchval

    async def untraced(self, query, *args, **kwargs):
        session = tracing._trace_session_var.get()
        before = None if session is None else len(session)
        try:
            return await fetchval(self, query, *args, **kwargs)
        finally:
            if before is not None:
                del session[before:]

    monkeypatch.setattr(engine.Database, "fetchval", untraced)


def gte_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling a ``gte`` condition raises KeyError inside the QuerySet: a read crashes instead of answering."""
    def compile_(self, key, value, values, qualify_base=False):
        if key.endswith("__gte"):
            raise KeyError(key)
        return _COMPILE(self, key, value, values, qualify_base=qualify_base)

    monkeypatch.setattr(QuerySet, "_compile_filter_condition", compile_)


def update_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Database.execute`` raises RuntimeError for an UPDATE statement: a queryset update crashes inside Aksara."""
    from aksara.db import engine

    execute = engine.Database.execute

    async def execute_(self, query, *args, **kwargs):
        if query.lstrip().upper().startswith("UPDATE"):
            raise RuntimeError("planted: no UPDATE 42 today")
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(engine.Database, "execute", execute_)


def insert_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Database.fetch`` raises RuntimeError for an INSERT statement: every ``bulk_create`` crashes inside Aksara
    (``create()`` inserts with ``fetchrow`` and still works)."""
    from aksara.db import engine

    fetch = engine.Database.fetch

    async def fetch_(self, query, *args, **kwargs):
        if query.lstrip().upper().startswith("INSERT"):
            raise RuntimeError("planted: no INSERT of many rows today")
        return await fetch(self, query, *args, **kwargs)

    monkeypatch.setattr(engine.Database, "fetch", fetch_)


def insert_of_cd_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Database.fetchrow`` raises RuntimeError for an INSERT that carries the value ``"cd"`` after writing the
    row: ``create()`` of such a row crashes and leaves it behind."""
    from aksara.db import engine

    fetchrow = engine.Database.fetchrow

    async def fetchrow_(self, query, *args, **kwargs):
        record = await fetchrow(self, query, *args, **kwargs)
        if query.lstrip().upper().startswith("INSERT") and "cd" in args:
            raise RuntimeError("planted: the row of cd is written, then create() fails")
        return record

    monkeypatch.setattr(engine.Database, "fetchrow", fetchrow_)


PLANTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "gte_as_gt": gte_as_gt,
    "decimal_read_truncated": decimal_read_truncated,
    "integer_range_unchecked": integer_range_unchecked,
    "update_ignores_q": update_ignores_q,
    "upsert_keeps_row": upsert_keeps_row,
    "count_off_by_one": count_off_by_one,
    "fetch_with_count_counts_page": fetch_with_count_counts_page,
    "fk_instance_as_null": fk_instance_as_null,
    "m2m_remove_noop": m2m_remove_noop,
    "m2m_clear_noop": m2m_clear_noop,
    "reverse_fk_every_row": reverse_fk_every_row,
    "reverse_o2o_any_row": reverse_o2o_any_row,
    "instance_delete_noop": instance_delete_noop,
    "post_delete_not_sent": post_delete_not_sent,
    "trace_skips_fetchval": trace_skips_fetchval,
    "gte_crashes": gte_crashes,
    "update_crashes": update_crashes,
    "insert_crashes": insert_crashes,
    "insert_of_cd_crashes": insert_of_cd_crashes,
}


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    gte_as_gt(monkeypatch)


pytest_configure, pytest_unconfigure = plugin(plant)
