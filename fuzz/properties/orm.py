"""The ORM family on a real PostgreSQL: programs of writes and reads, judged against a Python model.

An :class:`OrmLab` owns a scratch database (``fuzz_orm_<pid>``, C collation) on the suite's PostgreSQL
server, one ``aksara.Database`` of its own (installed as Aksara's current database only while the lab
runs, like the live targets do) and four models built in an isolated registry: ``OrmItem`` with one
nullable column per field class of :data:`strategies.orm.COLUMNS`, a ForeignKey to ``OrmOwner`` and a
ManyToMany to ``OrmTag``, and ``OrmProfile`` with a OneToOne to ``OrmItem``; their relations are finalized
(reverse accessors ``owner.ormitem_set``, ``tag.items``, ``item.profile``). Their tables come from Aksara's own autodetector; the junction table from
``ManyToMany.get_join_table_sql()`` (the autodetector emits none: AKSARA-MIGRATE ledger).

:meth:`OrmLab.run` runs a :class:`~strategies.orm.Program` (SQLancer style): the item table is emptied,
the program's rows are created (one ``bulk_create``; if that crashes, ``create()`` row by row, so a crash
of the seed does not hide the rest of the program), then each step runs through the ORM and is mirrored
in the model (:mod:`fuzz.oracles.orm`). After every write the whole table is read back *without* Aksara (asyncpg) and
compared with the model; every read's answer is compared with what the model computes. A program stops
before the first write that follows a finding (after a write that diverged, the model no longer describes
the table; reads change nothing, so the reads after a finding are still judged).

:meth:`OrmLab.attempt` sends one hostile value to one column through ``create()`` for the refusal
property. :func:`replayer` re-runs a finding's stored program on a lab of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any, Iterator

import asyncpg

from fuzz.findings import Finding, with_replay
from fuzz.oracles import orm as oracles
from fuzz.oracles.orm import Attempt, Model, ReadResult, Row
from strategies.orm import (
    BY_NAME, COLUMNS, OWNERS, TAGS, FRef, Leaf, Node, Program, Read, Rel, Search, Write, eval_program, f_value,
    program_source,
)
from targets.crash import exception_facts, raised_by_suite
from targets.database import drop_databases
from targets.reference import dependency_order

ITEMS, OWNER_TABLE, TAG_TABLE = "fuzz_orm_items", "fuzz_orm_owners", "fuzz_orm_tags"
PROFILE_TABLE = "fuzz_orm_profiles"


def _error_name(exc: BaseException) -> str:
    return type(exc).__name__


def _raised(exc: BaseException) -> ReadResult:
    """What a read that raised ``exc`` answered; the suite's own errors propagate."""
    if raised_by_suite(exc):
        raise exc
    return ReadResult(error=_error_name(exc), message=str(exc)[:300], crash=exception_facts(exc))


@contextlib.contextmanager
def _registry(models: dict[str, type]) -> Iterator[None]:
    """Aksara's model registry holding only ``models`` while the block runs; restored afterwards."""
    from aksara.registry import ModelRegistry

    saved, version = dict(ModelRegistry._models), ModelRegistry._version
    ModelRegistry._models.clear()
    ModelRegistry._models.update(models)
    try:
        yield
    finally:
        ModelRegistry._models.clear()
        ModelRegistry._models.update(saved)
        ModelRegistry._version = version


def build_models() -> dict[str, type]:
    """OrmOwner, OrmTag, OrmItem and OrmProfile, declared in an isolated registry (name -> class), their
    relations registered and reverse accessors attached (:func:`finalize`)."""
    from aksara import Model, fields
    from aksara.registry import ModelRegistry

    from strategies.migrations import isolated_registry

    with isolated_registry():
        type("OrmOwner", (Model,), {"__module__": __name__, "Meta": type("Meta", (), {"table_name": OWNER_TABLE}),
                                    "name": fields.String(max_length=20)})
        type("OrmTag", (Model,), {"__module__": __name__, "Meta": type("Meta", (), {"table_name": TAG_TABLE}),
                                  "label": fields.String(max_length=20)})
        namespace: dict[str, Any] = {"__module__": __name__, "Meta": type("Meta", (), {"table_name": ITEMS})}
        for column in COLUMNS:
            namespace[column.name] = getattr(fields, column.field_class)(nullable=True, **dict(column.kwargs))
        namespace["owner"] = fields.ForeignKey("OrmOwner", nullable=True, on_delete="SET NULL")  # reverse: ormitem_set
        namespace["tags"] = fields.ManyToMany("OrmTag", related_name="items")
        type("OrmItem", (Model,), namespace)
        type("OrmProfile", (Model,), {"__module__": __name__, "Meta": type("Meta", (), {"table_name": PROFILE_TABLE}),
                                      "item": fields.OneToOne("OrmItem", nullable=True, on_delete="SET NULL",
                                                              related_name="profile"),
                                      "bio": fields.String(max_length=20, nullable=True)})
        models = dict(ModelRegistry.all())
    finalize(models)
    return models


def finalize(models: dict[str, type]) -> None:
    """Aksara's ``finalize_relations()`` over ``models`` alone: their relations join Aksara's relation registry
    (keyed by model class, so other apps' relations are untouched) and their reverse accessors are attached."""
    from aksara import finalize_relations
    from aksara.relations import RelationRegistry

    saved = (list(RelationRegistry._relations), {k: list(v) for k, v in RelationRegistry._by_target.items()},
             {k: list(v) for k, v in RelationRegistry._by_source.items()}, RelationRegistry._reverse_attrs_attached)
    RelationRegistry.clear()
    try:
        with _registry(models):
            finalize_relations()
        ours = list(RelationRegistry._relations)
    finally:
        RelationRegistry.clear()
        relations, by_target, by_source, attached = saved
        for relation in relations:
            RelationRegistry.register(relation)
        RelationRegistry._reverse_attrs_attached = attached
    for relation in ours:
        RelationRegistry.register(relation)


class OrmLab:
    """A scratch database with the ORM family's tables, and the programs run over it."""

    def __init__(self, server: Any, database: str | None = None) -> None:
        self.server = server
        self.database = database or f"fuzz_orm_{os.getpid()}"
        self.loop = asyncio.new_event_loop()
        self.timings: list[float] = []
        self.dirty = False  # a program left rows in the item table
        self.traces = 0  # trace sessions started (their request ids)
        self.models = build_models()
        self.Item, self.Owner, self.Tag = self.models["OrmItem"], self.models["OrmOwner"], self.models["OrmTag"]
        self.Profile = self.models["OrmProfile"]
        self.run_async(self._start())
        self.signal_log: list[tuple[str, Any]] = []  # the item's lifecycle signals received during one write
        self._connect_signals(True)

    # ------------------------------------------------------------------------------------------- set-up

    @contextlib.contextmanager
    def _current(self) -> Iterator[None]:
        from aksara.db.engine import Database

        saved = Database._instance
        Database._instance = self.db
        try:
            with _registry(self.models):
                yield
        finally:
            Database._instance = saved

    def run_async(self, coro: Any) -> Any:
        with self._current() if hasattr(self, "db") else contextlib.nullcontext():
            return self.loop.run_until_complete(coro)

    async def _start(self) -> None:
        from aksara.db.engine import Database
        from aksara.migrations import detect_changes

        admin = await asyncpg.connect(self.server.admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            await admin.execute(f"CREATE DATABASE \"{self.database}\" TEMPLATE template0 ENCODING 'UTF8' "
                                "LC_COLLATE 'C' LC_CTYPE 'C'")
        finally:
            await admin.close()
        saved = Database._instance  # each construction replaces the process-wide instance: keep the suite's
        try:
            self.db = Database(self.server.dsn(self.database), min_size=1, max_size=2)
        finally:
            Database._instance = saved
        await self.db.connect()
        with self._current():
            _, operations = detect_changes([], self.models)
            operations = dependency_order(operations, [OWNER_TABLE, TAG_TABLE, ITEMS, PROFILE_TABLE])  # name order before 0.5.54
            async with self.db.acquire() as conn:
                for operation in operations:
                    await operation.apply(conn)
                await conn.execute(self.Item._m2m_fields["tags"].get_join_table_sql())
            self.owner_objects = {name: await self.Owner.objects.create(name=name) for name in OWNERS}
            self.owners = {name: owner.id for name, owner in self.owner_objects.items()}
            self.tags = {label: await self.Tag.objects.create(label=label) for label in TAGS}
        m2m = self.Item._m2m_fields["tags"]
        self.join_table, self.join_source, self.join_target = m2m.join_table_name, m2m.source_column, m2m.target_column
        self.owner_names = {v: k for k, v in self.owners.items()}
        self.tag_labels = {t.id: label for label, t in self.tags.items()}

    def _connect_signals(self, on: bool) -> None:
        """Connect (or disconnect) one receiver per lifecycle signal of ``OrmItem`` (signals.md)."""
        from aksara import signals

        for name in ("pre_save", "post_save", "pre_delete", "post_delete"):
            signal = getattr(signals, name)
            receiver = getattr(self, f"_on_{name}")
            if on:
                signal.connect(receiver, sender=self.Item)
            else:
                signal.disconnect(receiver, sender=self.Item)

    async def _on_pre_save(self, sender: Any, instance: Any, is_new: Any = None, **_: Any) -> None:
        self.signal_log.append(("pre_save", is_new))

    async def _on_post_save(self, sender: Any, instance: Any, **_: Any) -> None:
        self.signal_log.append(("post_save", None))

    async def _on_pre_delete(self, sender: Any, instance: Any, **_: Any) -> None:
        self.signal_log.append(("pre_delete", None))

    async def _on_post_delete(self, sender: Any, instance: Any, **_: Any) -> None:
        self.signal_log.append(("post_delete", None))

    def close(self) -> None:
        self._connect_signals(False)

        async def stop() -> None:
            await self.db.disconnect()
            await drop_databases(self.server, [self.database])

        self.loop.run_until_complete(stop())
        self.loop.close()

    # ------------------------------------------------------------------------------------------- helpers

    def _value(self, column: str, value: Any) -> Any:
        """The value the ORM is given (an owner's name becomes its id; ``("F", c, k[, op])`` becomes ``F(c) + k``
        or the expression ``op`` names)."""
        if column == "owner":
            return None if value is None else self.owners[value]
        if isinstance(value, tuple) and value and value[0] == "F":
            return self._f(value[1], value[2], value[3] if len(value) > 3 else "+")
        return value

    def _kwargs(self, values: Any) -> dict[str, Any]:
        return {k: self._value(k, v) for k, v in dict(values).items()}

    def _q(self, cond: Any) -> Any:
        from aksara import Q

        if isinstance(cond, Node):
            parts = [self._q(c) for c in cond.children]
            if cond.op == "not":
                return ~parts[0]
            combined = parts[0]
            for part in parts[1:]:
                combined = (combined & part) if cond.op == "and" else (combined | part)
            return combined
        if isinstance(cond, FRef):
            return Q(**{f"{cond.column}__{cond.lookup}": self._f(cond.other, cond.offset, cond.op)})
        return Q(**{f"{cond.column}__{cond.lookup}": self._leaf_value(cond)})

    @staticmethod
    def _f(other: str, k: int, op: str) -> Any:
        """``F(other) + k`` (``F(other)`` alone for 0), ``- k``, ``* k``, ``k + F(other)`` or ``k - F(other)``."""
        from aksara import F

        ref = F(other)
        if op == "+":
            return ref + k if k else ref
        return {"-": lambda: ref - k, "*": lambda: ref * k, "k+": lambda: k + ref, "k-": lambda: k - ref}[op]()

    def _leaf_value(self, leaf: Leaf) -> Any:
        """The value a leaf passes: on ``owner`` the owner instance (a list of their ids for ``in``)."""
        if leaf.column != "owner" or leaf.lookup == "isnull":
            return leaf.value
        if leaf.lookup == "in":
            return [self.owners[name] for name in leaf.value]
        return self.owner_objects[leaf.value]

    def _filters(self, leaves: Any) -> dict[str, Any]:
        return {self._key(leaf): self._leaf_value(leaf) for leaf in leaves}

    @staticmethod
    def _key(leaf: Leaf) -> str:
        return leaf.column if leaf.lookup == "exact" else f"{leaf.column}__{leaf.lookup}"

    async def profiles(self) -> dict[Any, tuple[Any, Any]]:
        """The profile rows read with asyncpg alone: id -> (item id, bio)."""
        records = await self.db.fetch(f'SELECT id, item_id, bio FROM "{PROFILE_TABLE}"')
        return {r["id"]: (r["item_id"], r["bio"]) for r in records}

    async def table(self) -> dict[Any, tuple[dict[str, Any], Any, set[str]]]:
        """The item rows read with asyncpg alone: id -> (values, owner id, tag labels)."""
        async with self.db.acquire() as conn:
            records = await conn.fetch(f'SELECT * FROM "{ITEMS}"')
            links = await conn.fetch(f'SELECT {self.join_source} AS s, {self.join_target} AS t FROM "{self.join_table}"')
        out = {}
        for record in records:
            values = {c.name: oracles.from_raw(c.name, record[c.name]) for c in COLUMNS}
            out[record["id"]] = (values, record["owner_id"], set())
        for link in links:
            if link["s"] in out:
                out[link["s"]][2].add(self.tag_labels.get(link["t"], str(link["t"])))
        return out

    @staticmethod
    def _row(values: dict[str, Any], owner: Any) -> Row:
        return Row({k: oracles.stored(k, v) for k, v in values.items() if k != "owner"}, owner)

    # ------------------------------------------------------------------------------------------- programs

    def run(self, program: Program) -> list[Finding]:
        """Run ``program`` from an empty item table; the findings of its first failing step."""
        started = time.perf_counter()
        try:
            findings = self.run_async(self._traced(program))
        finally:
            self.timings.append(time.perf_counter() - started)
        return with_replay(findings, "orm", "run_program", source=program_source(program))

    @contextlib.contextmanager
    def _tracing(self) -> Iterator[None]:
        """Aksara's query tracing on (no cap on a session's calls) while the block runs; settings restored."""
        from aksara.conf import settings

        keys = ("db_trace_enabled", "db_trace_max_queries")
        saved = {k: settings.__dict__[k] for k in keys if k in settings.__dict__}
        settings.db_trace_enabled, settings.db_trace_max_queries = True, 10**6
        try:
            yield
        finally:
            for key in keys:
                settings.__dict__.pop(key, None)
            settings.__dict__.update(saved)

    async def _traced(self, program: Program) -> list[Finding]:
        """Run ``program`` inside a query trace session and a query capture, and judge the trace."""
        from aksara.db import capture_queries, get_trace_by_request_id, start_trace_session, stop_trace_session

        self.traces += 1
        request_id = f"fuzz-orm-{os.getpid()}-{self.traces}"
        with self._tracing():
            start_trace_session(request_id=request_id, path="orm-program", method="RUN")
            try:
                async with capture_queries() as log:
                    findings = await self._run(program)
            finally:
                batch = stop_trace_session()
        captured = [event.sql for event in log.queries]
        return findings + oracles.check_trace(batch, get_trace_by_request_id(request_id), captured,
                                              program_source(program))

    async def _run(self, program: Program) -> list[Finding]:
        source = program_source(program)
        await self.db.execute(f'DELETE FROM "{PROFILE_TABLE}"')
        await self.db.execute(f'DELETE FROM "{ITEMS}"')  # the junction rows go with them (ON DELETE CASCADE)
        self.dirty = True
        model = Model(owner_names=dict(self.owner_names))
        findings, recovered = await self._seed(program.rows, model, source)
        for step in program.steps:
            if len(findings) > recovered and not isinstance(step, Read):
                break  # after a write that diverged, the model no longer describes the table
            try:
                if isinstance(step, Read):
                    found = oracles.check_read(step, await self._read(step), model, self.owner_names, source)
                    findings += await self._with_culprits(found, step, model)
                elif isinstance(step, Rel):
                    findings += await self._relation(step, model, source)
                else:
                    findings += await self._write(step, model, source)
            except Exception as exc:  # noqa: BLE001 - an exception the model does not expect is a crash finding
                if raised_by_suite(exc):
                    raise
                findings += oracles.check_step_raised(step, _error_name(exc), str(exc), exception_facts(exc), source)
                if not isinstance(step, (Read, Rel)):
                    break  # what a crashed write left in the table is unknown: the model describes it no more
        return findings

    async def _seed(self, rows: tuple[Any, ...], model: Model, source: str) -> tuple[list[Finding], int]:
        """Create the program's ``rows`` with one ``bulk_create``, judged as a write. If it crashes, the crash is a
        finding and the rows are created one by one with ``create()`` instead (a row whose ``create()`` crashes
        too is one more finding and is left out; whatever a crashed call left in the table is removed), so the
        rest of the program is still judged: one crash of the seed (a known defect, often) must not hide the
        program's other findings. A seed that answers wrongly ends the program's writes as any write does.
        Returns the findings and how many of them are crashes the fallback recovered from (the model still
        describes the table after them)."""
        seed = Write("bulk_create", rows=rows)
        crashed: list[Finding] = []
        try:
            created = await self.Item.objects.bulk_create([self.Item(**self._kwargs(v)) for v in rows])
        except Exception as exc:  # noqa: BLE001 - a crash is judged like any step's
            if raised_by_suite(exc):
                raise
            crashed = oracles.check_step_raised(seed, _error_name(exc), str(exc), exception_facts(exc), source)
        if crashed:  # outside the except block: a crash of the fallback must not chain to the seed's own crash
            findings = crashed
            await self._keep_only(model)
            for values in rows:
                one = Write("create", rows=(values,))
                try:
                    instance = await self.Item.objects.create(**self._kwargs(values))
                except Exception as error:  # noqa: BLE001 - the same judgement, row by row
                    if raised_by_suite(error):
                        raise
                    findings += oracles.check_step_raised(one, _error_name(error), str(error), exception_facts(error), source)
                    await self._keep_only(model)
                    continue
                model.rows[instance.id] = self._row(values, self._value("owner", values.get("owner")))
            created_one_by_one = Write("create", rows=rows)
            return findings + oracles.check_table(created_one_by_one, await self.table(), model, source), len(findings)
        for values, instance in zip(rows, created):
            model.rows[instance.id] = self._row(values, self._value("owner", values.get("owner")))
        findings = oracles.check_write_answer(seed, len(created), len(rows), source)
        return findings + oracles.check_table(seed, await self.table(), model, source), 0

    async def _keep_only(self, model: Model) -> None:
        """Delete the item rows the model does not hold (what a crashed create left behind)."""
        async with self.db.acquire() as conn:
            await conn.execute(f'DELETE FROM "{ITEMS}" WHERE NOT (id = ANY($1))', list(model.rows))

    async def _with_culprits(self, found: list[Finding], read: Read, model: Model) -> list[Finding]:
        """Name the cause of a read's violations: the leaves of its condition that select the wrong rows on their
        own (fact ``culprits``; ``combination`` when each leaf alone is right)."""
        from dataclasses import replace

        from fuzz import catalog

        if not any(f.property_id == catalog.ORM_READ_DIFFERENTIAL for f in found):
            return found
        culprits = set()
        for leaf in {repr(x): x for x in oracles.leaves_of(oracles.conditions_of(read))}.values():
            alone = Read(search=leaf) if isinstance(leaf, Search) else Read(q=(leaf,))
            if oracles.check_read(alone, await self._read(alone), model, self.owner_names, ""):
                culprits.add(oracles.leaf_shape(leaf))
        named = " ".join(sorted(culprits)) or "combination"
        return [replace(f, facts={**f.facts, "culprits": named}) if f.property_id == catalog.ORM_READ_DIFFERENTIAL
                else f for f in found]

    async def _read(self, read: Read) -> ReadResult:
        from aksara import Avg, Count, F, Max, Min, Sum

        functions = {"Count": Count, "Sum": Sum, "Min": Min, "Max": Max, "Avg": Avg}
        manager = self.Item.objects
        qs: Any = None  # a read without conditions starts from the Manager's own shortcut of its first call

        def chain(method: str, *args: Any, **kwargs: Any) -> None:
            nonlocal qs
            qs = getattr(manager if qs is None else qs, method)(*args, **kwargs)

        try:
            if read.q or read.kwargs:
                qs = manager.filter(*[self._q(c) for c in read.q], **self._filters(read.kwargs))
        except Exception as exc:  # noqa: BLE001 - the oracle judges what was raised
            return _raised(exc)
        if read.search is not None:
            chain("search", read.search.term, list(read.search.fields))
        if read.annotations:
            chain("annotate", **{f"a{n}": F(src) if f == "F" else functions[f](src)
                                 for n, (f, src) in enumerate(read.annotations)})
        order = read.order
        if (read.limit is not None or read.offset is not None) and order and "id" not in [o.lstrip("-") for o in order]:
            order = order + ("id",)
        if order:
            chain("order_by", *order)
        if read.select_related:
            chain("select_related", "owner")
        if read.prefetch_related:
            chain("prefetch_related", "tags")
        if read.limit is not None or read.offset is not None or read.terminal in ("exists", "first", "fetch_with_count"):
            chain("filter")  # QuerySet only: limit, offset, exists, first, fetch_with_count
        if read.limit is not None:
            qs = qs.limit(read.limit)
        if read.offset is not None:
            qs = qs.offset(read.offset)
        if qs is None:
            qs = manager  # count(), aggregate() and all() are the Manager's own
        total = None
        try:
            if read.terminal == "count":
                return ReadResult(scalar=await qs.count())
            if read.terminal == "exists":
                return ReadResult(scalar=await qs.exists())
            if read.terminal == "aggregate":
                answer = await qs.aggregate(**{f"a{n}": functions[f](c) for n, (f, c) in enumerate(read.aggregates)})
                return ReadResult(scalar=[answer[f"a{n}"] for n in range(len(read.aggregates))])
            if read.terminal == "get":
                instances = [await self.Item.objects.get(**self._filters(read.kwargs))]
            elif read.terminal == "get_or_none":
                found = await self.Item.objects.get_or_none(*[self._q(c) for c in read.q], **self._filters(read.kwargs))
                instances = [found] if found is not None else []
            elif read.terminal == "fetch_with_count":
                instances, total = await qs.fetch_with_count()
            elif read.terminal == "first":
                first = await qs.first()
                instances = [first] if first is not None else []
            else:
                instances = await qs.all()
        except Exception as exc:  # noqa: BLE001 - the oracle judges what was raised
            return _raised(exc)
        rows = []
        for instance in instances:
            related = tags = None
            if read.select_related:
                owner = instance.get_related("owner")
                related = None if owner is None else (owner.id, owner.name)
            if read.prefetch_related:
                tags = {t.label for t in instance.get_prefetched_m2m("tags")}
            rows.append((instance.id, {c.name: getattr(instance, c.name) for c in COLUMNS},
                         instance._data.get("owner"), related, tags))
        annotated = {i.id: [getattr(i, f"a{n}", "<missing>") for n in range(len(read.annotations))] for i in instances}
        return ReadResult(rows=rows, scalar=total, annotated=annotated)

    @staticmethod
    def _item_row(instance: Any) -> tuple[Any, dict[str, Any], Any, Any, Any]:
        return (instance.id, {c.name: getattr(instance, c.name) for c in COLUMNS}, instance._data.get("owner"),
                None, None)

    async def _relation(self, rel: Rel, model: Model, source: str) -> list[Finding]:
        """One read through a relation manager, judged against the model."""
        ids = list(model.rows)
        if not rel.kind.startswith(("owner_", "tag_")) and rel.target >= len(ids):
            return []
        result = ReadResult()
        try:
            if rel.kind.startswith("owner_"):
                manager = self.owner_objects[rel.target].ormitem_set
                if rel.kind == "owner_items_count":
                    result.scalar = await manager.count()
                else:
                    found = await (manager.filter(**self._filters(rel.kwargs)) if rel.kind == "owner_items_filter"
                                   else manager.all())
                    result.rows = [self._item_row(i) for i in found]
            elif rel.kind.startswith("tag_"):
                manager = self.tags[rel.target].items
                if rel.kind == "tag_items_count":
                    result.scalar = await manager.count()
                else:
                    result.rows = [self._item_row(i) for i in await manager.all()]
            else:
                item = await self.Item.objects.get(id=ids[rel.target])
                if rel.kind == "item_tags":
                    result.scalar = sorted(t.label for t in await item.tags.all())
                elif rel.kind == "item_tag_ids":
                    result.scalar = sorted(self.tag_labels.get(i, str(i)) for i in await item.tags.ids())
                elif rel.kind == "item_tag_count":
                    result.scalar = await item.tags.count()
                else:
                    profile = await (item.profile.get() if rel.kind == "item_profile_get" else item.profile())
                    result.scalar = None if profile is None else (profile.id, profile.bio)
        except Exception as exc:  # noqa: BLE001 - the oracle judges what was raised
            result = _raised(exc)
        return oracles.check_relation(rel, result, model, ids, source)

    async def _write(self, write: Write, model: Model, source: str) -> list[Finding]:
        from aksara.exceptions import DatabaseError
        from aksara.manager import MultipleObjectsReturned

        ids = list(model.rows)
        findings: list[Finding] = []
        self.signal_log.clear()
        saves = deletes = 0  # the instances whose save() (insert: is_new) and delete() the write runs
        inserts = 0
        if write.kind == "create":
            inserts = 1
            values = write.rows[0]
            instance = await self.Item.objects.create(**self._kwargs(values))
            model.rows[instance.id] = self._row(values, self._value("owner", values.get("owner")))
        elif write.kind == "bulk_create":
            instances = [self.Item(**self._kwargs(values)) for values in write.rows]
            created = await self.Item.objects.bulk_create(instances)
            findings += oracles.check_write_answer(write, len(created), len(write.rows), source)
            for values, instance in zip(write.rows, created):
                model.rows[instance.id] = self._row(values, self._value("owner", values.get("owner")))
        elif write.kind == "bulk_update":
            chosen = ids[write.target:]
            if not chosen:
                return []
            instances = [await self.Item.objects.get(id=rid) for rid in chosen]
            for instance in instances:
                for column, value in write.values:
                    setattr(instance, column, value)
            answer = await self.Item.objects.bulk_update(instances, fields=[c for c, _ in write.values])
            findings += oracles.check_write_answer(write, answer, len(chosen), source)
            for rid in chosen:
                for column, value in write.values:
                    model.rows[rid].values[column] = oracles.stored(column, value)
        elif write.kind == "atomic_rollback":
            from aksara import transaction

            inserts = len(write.rows)
            class _Undo(Exception):
                pass

            try:
                async with transaction.atomic():
                    for values in write.rows:
                        await self.Item.objects.create(**self._kwargs(values))
                    await self.Item.objects.filter(self._q(write.q)).update(**self._kwargs(write.values))
                    raise _Undo()
            except _Undo:
                pass
            except Exception as exc:  # noqa: BLE001 - an error inside the block rolls it back as well
                if raised_by_suite(exc):
                    raise
                if not oracles.may_fail([write.q], model):
                    findings += oracles.check_write_answer(write, _error_name(exc), "rolled back", source,
                                                           exception_facts(exc))
        elif write.kind == "upsert":
            findings += await self._upsert(write, model, source)
        elif write.kind == "profile":
            item = None
            if write.target >= 0:
                if write.target >= len(ids):
                    return []
                item = ids[write.target]
            taken = item is not None and bool(model.profiles_of(item))
            from aksara.exceptions import UniqueConstraintError
            try:
                profile = await self.Profile.objects.create(item=item, bio=write.tag or None)
                answer: Any = "created"
            except UniqueConstraintError:
                profile, answer = None, "UniqueConstraintError"
            findings += oracles.check_write_answer(write, answer, "UniqueConstraintError" if taken else "created",
                                                   source)
            if profile is not None:
                model.profiles[profile.id] = [item, write.tag or None]
        elif write.kind in ("m2m_set", "m2m_clear", "instance_delete", "save", "m2m_add", "m2m_remove"):
            if write.target >= len(ids):
                return []
            rid = ids[write.target]
            instance = await self.Item.objects.get(id=rid)
            if write.kind == "m2m_set":
                await instance.tags.set([self.tags[label] for label in write.rows])
                model.rows[rid].tags = set(write.rows)
            elif write.kind == "m2m_clear":
                await instance.tags.clear()
                model.rows[rid].tags = set()
            elif write.kind == "instance_delete":
                await instance.delete()
                deletes = 1
                del model.rows[rid]
                for pid in model.profiles_of(rid):
                    model.profiles[pid][0] = None
            elif write.kind == "save":
                for column, value in self._kwargs(write.values).items():
                    setattr(instance, column, value)
                await instance.save()
                saves = 1
                row = model.rows[rid]
                for column, value in write.values:
                    if column == "owner":
                        row.owner = self._value("owner", value)
                    else:
                        row.values[column] = oracles.stored(column, value)
            else:
                tag = self.tags[write.tag]
                if write.kind == "m2m_add":
                    await instance.tags.add(tag)
                    model.rows[rid].tags.add(write.tag)
                else:
                    await instance.tags.remove(tag)
                    model.rows[rid].tags.discard(write.tag)
        elif write.kind == "get_or_create":
            lookup = write.q
            matches = oracles.selected([lookup], model)
            try:
                instance, created = await self.Item.objects.get_or_create(
                    defaults=self._kwargs(write.values), **{lookup.column: lookup.value})
                answer: Any = ("created" if created else "found", instance.id if not created else None)
            except MultipleObjectsReturned:
                answer, instance, created = ("MultipleObjectsReturned", None), None, False
            expected = (("found", matches[0]) if len(matches) == 1 else
                        ("created", None) if not matches else ("MultipleObjectsReturned", None))
            findings += oracles.check_write_answer(write, answer, expected, source)
            if created and instance is not None:
                inserts = 1
                values = {**dict(write.values), lookup.column: lookup.value}
                model.rows[instance.id] = self._row(values, self._value("owner", values.get("owner")))
        elif write.kind in ("update", "delete"):
            conds = [write.q]
            matched = oracles.selected(conds, model)
            risky = oracles.may_fail(conds, model)
            new_values: dict[Any, dict[str, Any]] = {}
            overflow = False
            for rid in matched:
                row = model.rows[rid]
                new_values[rid] = {}
                for column, value in write.values:
                    if isinstance(value, tuple) and value and value[0] == "F":
                        base = row.get(value[1])
                        op = value[3] if len(value) > 3 else "+"
                        result = None if base is None else f_value(op, base, value[2])
                        low, high = BY_NAME[value[1]].integer
                        tlow, thigh = BY_NAME[column].integer
                        if result is not None and not (low <= result <= high and tlow <= result <= thigh):
                            overflow = True
                        new_values[rid][column] = result
                    else:
                        new_values[rid][column] = value
            qs = self.Item.objects.filter(self._q(write.q))
            try:
                count: Any = await (qs.delete() if write.kind == "delete" else qs.update(**self._kwargs(write.values)))
            except DatabaseError as exc:
                count = f"DatabaseError: {str(exc)[:120]}"
            failed = isinstance(count, str)
            if failed and (overflow or risky):
                return oracles.check_table(write, await self.table(), model, source)
            findings += oracles.check_write_answer(write, "DatabaseError" if failed else count,
                                                   "DatabaseError" if overflow else len(matched), source)
            if not failed:
                for rid in matched:
                    if write.kind == "delete":  # the profile's foreign key is ON DELETE SET NULL in the database
                        del model.rows[rid]
                        for pid in model.profiles_of(rid):
                            model.profiles[pid][0] = None
                        continue
                    row = model.rows[rid]
                    for column, value in new_values[rid].items():
                        if column == "owner":
                            row.owner = self._value("owner", value)
                        else:
                            row.values[column] = oracles.stored(column, value)
        expected = ([("pre_save", True), ("post_save", None)] * inserts + [("pre_save", False), ("post_save", None)] * saves
                    + [("pre_delete", None), ("post_delete", None)] * deletes)
        findings += oracles.check_signals(write, list(self.signal_log), expected, source)
        return (findings + oracles.check_table(write, await self.table(), model, source)
                + oracles.check_profiles(write, await self.profiles(), model, source))

    async def _upsert(self, write: Write, model: Model, source: str) -> list[Finding]:
        """``upsert(id=..., defaults=..., update_fields=...)``; the timestamps Aksara does not fill in on this path
        (bulk-operations.md "Preparation, validation and signals") are passed as defaults."""
        import datetime

        ids = list(model.rows)
        if write.target >= 0:
            if write.target >= len(ids):
                return []
            rid = ids[write.target]
        else:
            rid = write.q
        now = datetime.datetime.now(datetime.timezone.utc)
        defaults = {**self._kwargs(write.values), "created_at": now, "updated_at": now}
        fields = None if write.fields is None else list(write.fields)
        exists = rid in model.rows
        expected = ("updated" if exists else "created", rid)
        try:
            instance, created = await self.Item.objects.upsert(id=rid, defaults=defaults, update_fields=fields)
        except Exception as exc:  # noqa: BLE001 - the oracle judges what was raised
            return oracles.check_write_answer(write, (_error_name(exc), str(exc)[:120]), expected, source,
                                              exception_facts(exc))
        findings = oracles.check_write_answer(write, ("created" if created else "updated", instance.id), expected,
                                              source)
        given = dict(write.values)
        if not exists:
            model.rows[rid] = self._row(given, self._value("owner", given.get("owner")))
        else:
            row = model.rows[rid]
            for column in (list(given) if write.fields is None else write.fields):
                value = given.get(column)  # a field missing from the defaults takes the insertion value: NULL
                if column == "owner":
                    row.owner = self._value("owner", value)
                else:
                    row.values[column] = oracles.stored(column, value)
        if instance.id in model.rows:
            findings += oracles.check_row_values(model.rows[instance.id], {c.name: getattr(instance, c.name)
                                                 for c in COLUMNS}, instance._data.get("owner"), "upsert", source)
        return findings

    # ------------------------------------------------------------------------------------------- refusal

    def attempt(self, column: str, input_class: str, value: Any) -> list[Finding]:
        """``create(column=value)`` of a hostile input, judged by the refusal and round-trip oracles."""
        source = f"await OrmItem.objects.create({column}={value!r})  # {BY_NAME[column].field_class} column"
        findings = self.run_async(self._attempt(column, input_class, value, source))
        return with_replay(findings, "orm", "attempt", column=column, input_class=input_class, source=source)

    async def _attempt(self, column: str, input_class: str, value: Any, source: str) -> list[Finding]:
        """The item table is emptied first when a program left rows; an attempt removes its own row."""
        if self.dirty:
            await self.db.execute(f'DELETE FROM "{ITEMS}"')
            self.dirty = False
        from aksara.db.debug import capture_queries

        attempt = Attempt(column, input_class, value)
        try:
            async with capture_queries() as log:
                instance = await self.Item.objects.create(**{column: value})
        except Exception as exc:  # noqa: BLE001 - the oracle judges what was raised
            attempt.error, attempt.error_module, attempt.message = (
                _error_name(exc), type(exc).__module__, str(exc))
            attempt.crash = exception_facts(exc)
            # a refusal before any statement (Aksara's query log is empty) cannot have written: skip the count
            if log.count:
                attempt.rows_added = await self.db.fetchval(f'SELECT count(*) FROM "{ITEMS}"')
        else:
            attempt.accepted = getattr(instance, column)
            async with self.db.acquire() as conn:
                record = await conn.fetchrow(f'SELECT (SELECT count(*) FROM "{ITEMS}") AS n, "{column}" AS v '
                                             f'FROM "{ITEMS}" WHERE id = $1', instance.id)
            attempt.rows_added = record["n"] if record is not None else 0
            attempt.stored_raw = oracles.from_raw(column, record["v"]) if record is not None else "<no row>"
            try:
                attempt.read_back = getattr(await self.Item.objects.get(id=instance.id), column)
            except Exception as exc:  # noqa: BLE001
                attempt.read_back = f"<{_error_name(exc)}: {exc}>"
        if attempt.rows_added:
            await self.db.execute(f'DELETE FROM "{ITEMS}"')
        return oracles.check_refusal(attempt, source)


# -- replay -----------------------------------------------------------------------------------------------

def replay_input(lab: OrmLab, call: str, args: dict[str, Any]) -> list[Finding]:
    """Run a stored input again on ``lab``: a program (``run_program``) or one hostile create (``attempt``)."""
    if call == "run_program":
        return lab.run(eval_program(args["source"]))
    if call == "attempt":
        column = args["column"]
        value = eval(args["source"].split("=", 1)[1].rsplit(")  #", 1)[0], {"__builtins__": {}},  # noqa: S307
                     {"datetime": __import__("datetime"), "Decimal": __import__("decimal").Decimal,
                      "UUID": __import__("uuid").UUID, "nan": float("nan"), "inf": float("inf")})
        return lab.attempt(column, args["input_class"], value)
    raise ValueError(f"no ORM input {call!r}")


def replayer(property_id: str) -> Any:
    """The replayer of an ORM finding: its stored program (or hostile create) on a lab of its own."""
    from fuzz.inputs import decode
    from fuzz.replay import NotReplayable

    def replay(finding: Finding, env: Any) -> list[Finding]:
        stored = finding.replay or {}
        if stored.get("area") != "orm":
            raise NotReplayable(f"[{property_id}] this artifact stores no ORM input")
        lab = OrmLab(env.pg_server, database=f"fuzz_orm_replay_{os.getpid()}")
        try:
            return replay_input(lab, stored["call"], decode(stored.get("args", {})))
        finally:
            lab.close()

    replay.__name__ = f"replay_{property_id.replace('.', '_')}"
    return replay
