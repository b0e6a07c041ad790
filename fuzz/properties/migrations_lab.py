"""The migration round trip on a real PostgreSQL, one model history per example.

A :class:`MigrationLab` owns a scratch database (``fuzz_migrations_<pid>``) with a committed canary table,
one asyncpg connection and its event loop. Each example runs in one transaction that is rolled back: a
fresh schema first on the ``search_path``, then for every state of the history: build the models (isolated
registry) -> detect changes -> write and load the migration file -> record and parse the DDL -> apply it
with Aksara's executor -> canary -> catalog -> detect again -> reverse in a savepoint.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aksara.migrations import detect_changes, discover_migrations
from aksara.migrations.autodetector import operations_to_code
from aksara.migrations.executor import (
    apply_migration, create_migration_file, ensure_migrations_table, load_migration_module,
)
from aksara.migrations.operations import RunSQL

from fuzz.findings import Finding
from fuzz.oracles import migrations_handwritten as handwritten
from fuzz.oracles import migrations as oracles
from strategies.migrations import build_models, isolated_registry, reproducer_source
from targets.pg_catalog import Catalog, DefaultValue, canary_state, evaluate_default, plant_canary, read_catalog
from targets.migration_ddl import (
    hostile_unquoted_fk,
    needs_python_escaping,
    operation_names,
    parse_statement,
    record_ddl,
)
from fuzz.oracles.migrations_expected import ExpectedTable, expected_tables
from strategies.identifiers import primary_class
from targets.pg_identifiers import pg_truncate
from strategies.handwritten import HandMigrations, build_operations
from strategies.models import SchemaHistory
from targets.database import clone_database, drop_databases

EXAMPLE_SCHEMA = "fuzz_example"
GUARD_ENV = "AKSARA_ALLOW_DANGEROUS_MIGRATIONS"


@dataclass
class StepResult:
    findings: list[Finding] = field(default_factory=list)
    go_on: bool = True


def _names(models: dict[str, type]) -> str:
    """Identifier classes of the step's table names, for ledger facts."""
    return ",".join(sorted({primary_class(m.__tablename__) for m in models.values()}))


async def _evaluate_defaults(conn, tables: list[ExpectedTable], catalog: Catalog) -> dict[tuple[str, str], DefaultValue]:
    values = {}
    for table in tables:
        actual = catalog.tables.get(table.stored_name)
        if actual is None:
            continue
        for column in table.columns:
            got = actual.columns.get(pg_truncate(column.name))
            if column.default_mode == "value" and got is not None and got.default is not None:
                values[(table.stored_name, got.name)] = await evaluate_default(conn, got.default, got.type)
    return values


def _column_kinds(operations: list, models: dict[str, type]) -> str:
    """Runtime field classes of the columns ``operations`` touch (``table.name`` pairs)."""
    from aksara.fields import ForeignKey

    by_column = {}
    for model in models.values():
        for name, f in model._fields.items():
            column = f.db_column_name if isinstance(f, ForeignKey) else name
            by_column[(model.__tablename__, column)] = type(f).__name__
    kinds = {by_column.get((getattr(op, "table", None), getattr(op, "name", None)), "?") for op in operations}
    return ",".join(sorted(kinds))


class _StatementRecorder:
    """A connection that remembers the last statement it executed and forwards everything."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.last = ""

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self.last = sql
        return await self._conn.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _field_kind(operation: Any) -> str:
    field_op = getattr(operation, "new_field", None) or getattr(operation, "field", None)
    return type(field_op).__name__ if field_op is not None else ""


async def apply_in_savepoint(conn: Any, operations: list) -> None:
    """Apply ``operations`` in one savepoint and keep them, or roll it back and raise what PostgreSQL refused, also
    when an operation swallowed the error and left the transaction aborted (its next statement is refused)."""
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        for operation in operations:
            await operation.apply(conn)
        await conn.execute("SELECT 1")
    except BaseException:
        await savepoint.rollback()
        raise
    await savepoint.commit()


async def failing_operation(conn: Any, operations: list) -> dict[str, str]:
    """Which operation of a failed migration PostgreSQL rejects: replay them one by one in a savepoint.

    The facts name the cause, not what the history contains: the failing operation's class
    (``failed_operation``), the field operation it carries (``failed_field_kind``), the Python type
    of an ``AlterFieldDefault``'s new default (``failed_default_type``), the rejected statement
    (``failed_statement``) and how it failed (``failed_how``): ``raised`` when the operation raised PostgreSQL's
    error, ``swallowed`` when it returned normally but left the transaction aborted. A swallowed error surfaces
    as whatever the next statement meets (25P02, or a syntax error, which PostgreSQL reports before it looks
    at the transaction), so the error of the whole apply does not name the cause; these facts do. Empty when
    no single operation fails on its own.
    """
    facts = {"failed_operation": "", "failed_field_kind": "", "failed_default_type": "", "failed_statement": "",
             "failed_how": ""}
    recorder = _StatementRecorder(conn)
    savepoint = conn.transaction()
    await savepoint.start()
    try:
        for operation in operations:
            recorder.last = ""
            how = "raised"
            try:
                await operation.apply(recorder)
                how = "swallowed"
                await conn.execute("SELECT 1")  # an operation that swallowed PostgreSQL's error left the transaction aborted
            except Exception:  # noqa: BLE001 - the first rejected operation is the cause
                facts.update(
                    failed_how=how,
                    failed_operation=type(operation).__name__,
                    failed_field_kind=_field_kind(operation),
                    failed_default_type=(type(operation.new_default).__name__
                                         if type(operation).__name__ == "AlterFieldDefault" else ""),
                    failed_statement=" ".join(recorder.last.split())[:4000],
                )
                break
    finally:
        await savepoint.rollback()
    return facts


class MigrationLab:
    """A scratch database, a connection and the round trip over it."""

    def __init__(self, server: Any, database: str | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.database = database or f"fuzz_migrations_{os.getpid()}"
        self._server = server
        self.timings: list[float] = []
        self.loop.run_until_complete(self._start())

    @classmethod
    def on_server(cls, server: Any, database: str | None = None) -> "MigrationLab":
        return cls(server, database)

    async def _start(self) -> None:
        await clone_database(self._server, None, self.database)
        self.conn = await asyncpg.connect(self._server.dsn(self.database))
        await self.conn.execute("SET statement_timeout = '10s'; SET lock_timeout = '5s'; SET client_min_messages = warning")
        await plant_canary(self.conn)
        # apply_migrations() creates the bookkeeping table before apply_migration(); up to 0.5.47 the latter
        # expects it, so the lab creates it once as the documented command would
        await ensure_migrations_table(self.conn)

    def close(self) -> None:
        async def stop() -> None:
            await self.conn.close()
            await drop_databases(self._server, [self.database])

        self.loop.run_until_complete(stop())
        self.loop.close()

    # ----------------------------------------------------------------- round trip

    def run(self, history: SchemaHistory) -> list[Finding]:
        started = time.perf_counter()
        try:
            return self.loop.run_until_complete(self._run(history))
        finally:
            self.timings.append(time.perf_counter() - started)

    async def _in_example(self, body) -> Any:
        """Run ``body()`` inside a transaction with a fresh first schema on the search path; roll back."""
        if self.conn.is_in_transaction():  # a previous example's DDL ended our transaction: start clean
            await self.conn.execute("ROLLBACK")
        tr = self.conn.transaction()
        await tr.start()
        try:
            await self.conn.execute(f"DROP SCHEMA IF EXISTS {EXAMPLE_SCHEMA} CASCADE; CREATE SCHEMA {EXAMPLE_SCHEMA}; "
                                    f"SET LOCAL search_path TO {EXAMPLE_SCHEMA}, public")
            return await body()
        finally:
            if self.conn.is_in_transaction():
                await tr.rollback()

    async def _run(self, history: SchemaHistory) -> list[Finding]:
        modules_before = set(sys.modules)
        workdir = Path(tempfile.mkdtemp(prefix="aksara-fuzz-mig-"))
        findings: list[Finding] = []

        async def body() -> None:
            previous = await read_catalog(self.conn, EXAMPLE_SCHEMA)
            for step, state in enumerate(history.states):
                ctx = oracles.Context(
                    step=step, change=history.changes[step - 1] if step else "initial",
                    reproducer=lambda n=step: reproducer_source(
                        list(history.states[: n + 1]), f"changes: {list(history.changes[:n])}"),
                )
                with isolated_registry():
                    result, catalog = await self._step(step, state, workdir, previous, ctx)
                findings.extend(result.findings)
                if not result.go_on:
                    break
                previous = catalog

        try:
            await self._in_example(body)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            for name in set(sys.modules) - modules_before:
                if name.startswith("aksara_migration_"):
                    sys.modules.pop(name, None)
        return findings

    async def _step(self, step: int, state, workdir: Path, previous: Catalog, ctx) -> tuple[StepResult, Catalog]:
        result = StepResult()
        stop = StepResult(result.findings, go_on=False)
        try:
            models = build_models(state)
        except Exception as exc:  # noqa: BLE001 - a refusal or a crash: the oracle decides
            result.findings += oracles.check_rejection(exc, ctx, "define")
            return stop, previous
        try:
            _, operations = detect_changes(discover_migrations(workdir), models)
            tables = expected_tables(models)
            memory_ddl = await record_ddl(operations)
        except Exception as exc:  # noqa: BLE001
            result.findings += oracles.check_rejection(exc, ctx, "generate")
            return stop, previous
        names = _names(models)
        ctx.facts["table_classes"] = names
        ctx.facts["operations"] = ",".join(sorted({type(op).__name__ for op in operations}))
        ctx.facts["unquoted_fk"] = "yes" if any(hostile_unquoted_fk(s) for s in memory_ddl) else "no"
        ctx.facts["source_hostile_names"] = (
            "yes" if any(needs_python_escaping(n) for n in operation_names(operations)) else "no")
        result.findings += oracles.check_ddl_parses([parse_statement(s) for s in memory_ddl], ctx)

        path, source_ok = None, True
        if operations:
            try:
                path = create_migration_file(workdir, f"s{step:03d}", operations_to_code(operations))
            except Exception as exc:  # noqa: BLE001
                result.findings += oracles.check_rejection(exc, ctx, "generate")
                return stop, previous
            loaded_ddl, source_error = None, None
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
                loaded_ddl = await record_ddl(load_migration_module(path)().operations)
            except Exception as exc:  # noqa: BLE001
                source_error = exc
            source_findings = oracles.check_source(source_error, memory_ddl, loaded_ddl, ctx, names)
            result.findings += source_findings
            if source_findings:
                source_ok = False
                path.unlink()

        apply_error = None
        try:
            if path is not None and source_ok:
                async with self.conn.transaction():  # a savepoint: an executor that opens none keeps the example usable
                    await apply_migration(self.conn, path.stem, path, verbose=False)
            elif operations:
                await apply_in_savepoint(self.conn, operations)
        except Exception as exc:  # noqa: BLE001
            apply_error = exc
            ctx.facts.update(await failing_operation(self.conn, operations))
        result.findings += oracles.check_canary(await canary_state(self.conn), ctx)
        result.findings += oracles.check_apply(apply_error, ctx, names)
        if apply_error is not None:
            return stop, previous

        catalog = await read_catalog(self.conn, EXAMPLE_SCHEMA)
        defaults = await _evaluate_defaults(self.conn, tables, catalog)
        catalog_findings = oracles.check_catalog(tables, catalog, defaults, ctx)
        result.findings += catalog_findings
        if any(f.facts.get("problem") == "truncation_collision" for f in catalog_findings):
            # Several declared tables share one PostgreSQL table: later steps would only repeat that.
            result.go_on = False
            return result, catalog

        if source_ok:
            try:
                _, again = detect_changes(discover_migrations(workdir), models)
            except Exception as exc:  # noqa: BLE001
                result.findings += oracles.check_rejection(exc, ctx, "generate")
                return stop, catalog
            result.findings += oracles.check_idempotent(again, ctx, _column_kinds(again, models))

        reverses = [op.reverse() for op in reversed(operations)]
        if operations and all(r is not None for r in reverses):
            restored, error = await self._reversed(reverses)
            kinds = ",".join(sorted({type(op).__name__ for op in operations}))
            result.findings += oracles.check_reverse(previous, restored, error, ctx, kinds)
        result.go_on = source_ok
        return result, catalog

    async def _reversed(self, reverses: list) -> tuple[Catalog | None, BaseException | None]:
        """Apply ``reverses`` in a savepoint (rolled back after) and read the catalog they leave, or their error."""
        restored, error = None, None
        savepoint = self.conn.transaction()
        await savepoint.start()
        try:
            for operation in reverses:
                await operation.apply(self.conn)
            restored = await read_catalog(self.conn, EXAMPLE_SCHEMA)
        except Exception as exc:  # noqa: BLE001
            error = exc
        finally:
            await savepoint.rollback()
        return restored, error

    # ----------------------------------------------------------------- hand-written migrations

    def run_handwritten(self, migrations: HandMigrations) -> list[Finding]:
        """Apply each hand-written migration, compare the catalog with what its operations describe, reverse it."""
        started = time.perf_counter()
        try:
            return self.loop.run_until_complete(self._in_example(lambda: self._run_handwritten(migrations)))
        finally:
            self.timings.append(time.perf_counter() - started)

    async def _run_handwritten(self, migrations: HandMigrations) -> list[Finding]:
        findings: list[Finding] = []
        expected = handwritten.Schema()
        previous = await read_catalog(self.conn, EXAMPLE_SCHEMA)
        for step, migration in enumerate(migrations.migrations):
            kinds = ",".join(sorted({op.op for op in migration}))
            ctx = oracles.Context(
                step=step, change=f"handwritten {kinds}",
                reproducer=lambda n=step: handwritten.reproducer_source(
                    migrations, n, f"hand-written migrations 0..{n} (operations: {kinds})"),
            )
            ctx.facts["source"] = "handwritten"
            ctx.facts["operations"] = kinds
            try:
                operations = build_operations(migration)
                runsql_effects = handwritten.effects(migration)
                memory_ddl = await record_ddl(operations)
            except Exception as exc:  # noqa: BLE001 - a refusal or a crash: the oracle decides
                findings += oracles.check_handwritten(oracles.check_rejection(exc, ctx, "define"))
                break
            after = expected.copy()
            for operation, effect in zip(operations, runsql_effects):
                after.apply(operation, effect)
            tables = list(after.tables.values())
            names = ",".join(sorted({primary_class(t.name) for t in tables}))
            ctx.facts["table_classes"] = names
            ctx.facts["unquoted_fk"] = "yes" if any(hostile_unquoted_fk(s) for s in memory_ddl) else "no"

            apply_error = None
            try:
                await apply_in_savepoint(self.conn, operations)  # one migration, one transaction, as the executor runs it
            except Exception as exc:  # noqa: BLE001
                apply_error = exc
                ctx.facts.update(await failing_operation(self.conn, operations))
            step_findings = oracles.check_canary(await canary_state(self.conn), ctx)
            step_findings += oracles.check_apply(apply_error, ctx, names)
            if apply_error is not None:
                findings += oracles.check_handwritten(step_findings)
                break

            catalog = await read_catalog(self.conn, EXAMPLE_SCHEMA)
            defaults = await _evaluate_defaults(self.conn, tables, catalog)
            step_findings += oracles.check_catalog(tables, catalog, defaults, ctx)

            reverses = [op.reverse() for op in reversed(operations)]
            if all(r is not None for r in reverses):
                restored, error = await self._reversed(reverses)
                step_findings += oracles.check_reverse(previous, restored, error, ctx, kinds)
            findings += oracles.check_handwritten(step_findings)
            expected, previous = after, catalog
        return findings

    # ----------------------------------------------------------------- RunSQL guardrail

    def guardrail(self, statement: str, variant: str, canonical: str) -> oracles.GuardrailOutcome:
        return self.loop.run_until_complete(self._in_example(lambda: self._guardrail(statement, variant, canonical)))

    async def _guardrail(self, statement: str, variant: str, canonical: str) -> oracles.GuardrailOutcome:
        saved = os.environ.pop(GUARD_ENV, None)
        try:
            canonical_blocked, _ = await self._run_sql(canonical, statement)
            blocked, effective = await self._run_sql(variant, statement)
        finally:
            if saved is not None:
                os.environ[GUARD_ENV] = saved
        return oracles.GuardrailOutcome(statement, variant, blocked, effective, canonical_blocked)

    async def _run_sql(self, sql: str, statement: str) -> tuple[bool, bool]:
        """(blocked by RunSQL, did its damage) for ``sql`` run through ``RunSQL.apply`` in a savepoint."""
        conn = self.conn
        savepoint = conn.transaction()
        await savepoint.start()
        try:
            await conn.execute("CREATE TABLE victim (id int); INSERT INTO victim VALUES (1); "
                               "CREATE SCHEMA victim_schema")
            try:
                await RunSQL(sql).apply(conn)
            except RuntimeError as exc:
                if "DANGEROUS MIGRATION BLOCKED" in str(exc):
                    return True, False
                raise
            except asyncpg.PostgresError as exc:
                # DROP DATABASE refuses to run in a transaction only after RunSQL let it through.
                ran = statement == "DROP DATABASE" and exc.sqlstate == "25001"
                return False, ran
            tables = await conn.fetchval("SELECT count(*) FROM pg_class WHERE relname = 'victim' "
                                         "AND relnamespace = current_schema()::regnamespace")
            rows = await conn.fetchval("SELECT count(*) FROM victim") if tables else 0
            schemas = await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'victim_schema'")
            return False, bool(tables == 0 or rows == 0 or schemas == 0)
        finally:
            await savepoint.rollback()
