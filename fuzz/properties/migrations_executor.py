"""Aksara's migration executor and dependency graph driven over generated migration files.

:func:`run_executor` writes one migration file per changing state of a history, in a directory laid out as an
app's (``<app>/migrations``), each depending on the previous one as ``aksara makemigrations`` writes it. In
one rolled-back transaction of the :class:`~fuzz.properties.migrations_lab.MigrationLab`: apply every file's
operations directly, each in a savepoint, reading the catalog after each (the reference) and checking that
its reversal restores the previous catalog; then, in a fresh schema, drive the executor:

1. ``migrate``: the deployed directory holds the files up to ``forward_to``; ``apply_migrations`` applies them;
2. ``remigrate``: the same call again applies nothing;
3. ``pending``: with every file deployed, ``get_pending_migrations`` lists exactly the unapplied ones;
4. ``rollback`` to ``rollback_to``: applied files after it, in reverse graph order, reversed and unrecorded;
5. ``migrate_rest``: ``apply_migrations`` applies every file not applied, and a last run applies nothing.

:func:`observe_graph` writes a :class:`~strategies.migration_plans.GraphSpec`'s files (no operations, only
dependencies) and asks Aksara's graph for its order, heads, roots and conflicts.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from aksara.migrations import detect_changes, discover_migrations
from aksara.migrations.autodetector import operations_to_code
from aksara.migrations import executor as aksara_executor
from aksara.migrations.graph import find_conflicts, format_conflict_message

from fuzz.findings import Finding
from fuzz.oracles import migrations_executor as oracles
from fuzz.oracles.migrations import Context
from fuzz.properties.migrations_lab import EXAMPLE_SCHEMA, apply_in_savepoint
from strategies.migration_plans import ExecutorPlan, GraphSpec
from strategies.migrations import build_models, isolated_registry, reproducer_source
from targets.migration_ddl import record_ddl
from targets.pg_catalog import Catalog, read_catalog

APP = "fuzzapp"
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'')
_DOLLAR_IN_NAME = re.compile(r"[A-Za-z0-9_\x80-\uffff]\$[A-Za-z0-9_]*\$")


def dollar_in_identifier(sql: str) -> bool:
    """Whether an unquoted identifier carries ``$tag$`` (legal in PostgreSQL: ``$`` continues an identifier),
    which a statement splitter must not read as the start of a dollar-quoted string."""
    return bool(_DOLLAR_IN_NAME.search(_QUOTED.sub("", sql)))


def _set_dependency(path: Path, app: str, previous: str | None) -> None:
    """Make ``path`` depend on ``previous`` as ``aksara makemigrations`` writes it: ``[("<app>", "<stem>")]``."""
    if previous is None:
        return
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    dependencies = []\n", f"    dependencies = [({app!r}, {previous!r})]\n", 1),
                    encoding="utf-8")


def _forget_modules(before: set[str]) -> None:
    for name in set(sys.modules) - before:
        if name.startswith("aksara_migration_"):
            sys.modules.pop(name, None)


def _write_files(history: Any, pool: Path, sql_pool: Path | None = None) -> list[tuple[int, Path, Path]]:
    """(state index, Python file, deployed file) of every state that generates, loads and changes something, up
    to the first that does not (generation defects are the round-trip property's to judge). With ``sql_pool``
    the deployed file is a legacy SQL migration of the same stem holding the operations' DDL, one statement
    each, ``;``-terminated."""
    files: list[tuple[int, Path, Path]] = []
    for step, state in enumerate(history.states):
        try:
            with isolated_registry():
                _, operations = detect_changes(discover_migrations(pool), build_models(state))
                if not operations:
                    continue
                path = aksara_executor.create_migration_file(pool, f"s{step:03d}", operations_to_code(operations))
            _set_dependency(path, APP, files[-1][1].stem if files else None)
            loaded = aksara_executor.load_migration_module(path)().operations
            deployed = path
            if sql_pool is not None:
                loop = asyncio.new_event_loop()
                try:
                    statements = loop.run_until_complete(record_ddl(loaded))
                finally:
                    loop.close()
                deployed = sql_pool / f"{path.stem}.sql"
                deployed.write_text(f"-- Migration: {path.stem}\n" + "".join(f"{sql};\n" for sql in statements),
                                    encoding="utf-8")
        except Exception:  # noqa: BLE001 - judged by migrations.generation_valid
            for leftover in pool.glob(f"*_s{step:03d}.py"):
                leftover.unlink()
            break
        files.append((step, path, deployed))
    return files


async def _records(conn: Any) -> tuple[str, ...]:
    """Names in the example schema's applied-migrations table, in the order recorded (none without the table)."""
    if await conn.fetchval(f"SELECT to_regclass('{EXAMPLE_SCHEMA}.aksara_migrations')") is None:
        return ()
    return tuple(r["name"] for r in await conn.fetch(f"SELECT name FROM {EXAMPLE_SCHEMA}.aksara_migrations ORDER BY id"))


async def _fresh_schema(conn: Any) -> None:
    await conn.execute(f"DROP SCHEMA {EXAMPLE_SCHEMA} CASCADE; CREATE SCHEMA {EXAMPLE_SCHEMA}")


async def _reference(conn: Any, files: list[tuple[int, Path]]) -> tuple[list[Catalog], list[bool]]:
    """Catalog before any file and after each applied directly; whether each file's reversal restores its
    predecessor's catalog. Stops at the first file that does not apply (the round-trip property judges it)."""
    catalogs = [await read_catalog(conn, EXAMPLE_SCHEMA)]
    reversible: list[bool] = []
    for _, path, _deployed in files:
        operations = aksara_executor.load_migration_module(path)().operations
        try:
            await apply_in_savepoint(conn, operations)
        except Exception:  # noqa: BLE001 - judged by migrations.apply_succeeds
            break
        catalogs.append(await read_catalog(conn, EXAMPLE_SCHEMA))
        reverses = [op.reverse() for op in reversed(operations)]
        ok = all(r is not None for r in reverses)
        if ok:
            savepoint = conn.transaction()
            await savepoint.start()
            try:
                for operation in reverses:
                    await operation.apply(conn)
                ok = (await read_catalog(conn, EXAMPLE_SCHEMA)).key() == catalogs[-2].key()
            except Exception:  # noqa: BLE001 - judged by migrations.reverse_restores
                ok = False
            finally:
                await savepoint.rollback()
        reversible.append(ok)
    return catalogs, reversible


async def rollback_to(conn: Any, directory: Path, keep: set[str]) -> None:
    """Roll back every applied migration not in ``keep``: latest first in the graph's order, each one's
    operations reversed and its record removed in one transaction."""
    applied = set(await aksara_executor.get_applied_migrations(conn))
    files = aksara_executor.discover_migrations(directory)
    paths = dict(files)
    order = aksara_executor.build_migration_graph(migrations_list=files, include_internal=False).execution_order()
    for node in reversed(order):
        if node.name not in applied or node.name in keep:
            continue
        operations = aksara_executor.load_migration_module(paths[node.name])().operations
        async with conn.transaction():
            for operation in reversed(operations):
                await operation.reverse().apply(conn)
            await aksara_executor.unrecord_migration(conn, node.name)


async def _migrate(conn: Any, directory: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names applied, errors) of one ``apply_migrations`` run over ``directory`` (user files only)."""
    try:
        result = await aksara_executor.apply_migrations(conn, directory, verbose=False, include_internal=False)
    except Exception as exc:  # noqa: BLE001 - the oracle judges a refusal
        return (), (oracles._exc_text(exc),)
    return tuple(result["applied"]), tuple(f"{n}: {e}" for n, e in result["errors"])


async def _observe(conn: Any, stage: str, applied: tuple[str, ...] | None, errors: tuple[str, ...],
                   facts: dict[str, str], pending: tuple[str, ...] | None = None) -> oracles.ExecutorState:
    return oracles.ExecutorState(stage, applied=applied, records=await _records(conn), pending=pending,
                                 catalog=await read_catalog(conn, EXAMPLE_SCHEMA), errors=errors, facts=facts)


def run_executor(lab: Any, plan: ExecutorPlan) -> list[Finding]:
    """Every stage of the executor run over ``plan``'s files, judged against applying them directly."""
    modules_before = set(sys.modules)
    root = Path(tempfile.mkdtemp(prefix="aksara-fuzz-exec-"))
    pool, deployed = root / "pool" / APP / "migrations", root / APP / "migrations"
    sql_pool = root / "sql" if plan.legacy_sql else None
    for directory in (pool, deployed, sql_pool):
        if directory is not None:
            directory.mkdir(parents=True)
    try:
        files = _write_files(plan.history, pool, sql_pool)
        return lab.loop.run_until_complete(lab._in_example(lambda: _run(lab.conn, plan, files, deployed)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _forget_modules(modules_before)


async def _run(conn: Any, plan: ExecutorPlan, files: list[tuple[int, Path, Path]], deployed: Path) -> list[Finding]:
    if not files:
        return []
    catalogs, reversible = await _reference(conn, files)
    files = files[: len(catalogs) - 1]
    if not files:
        return []
    await _fresh_schema(conn)
    names = [path.stem for _, path, _ in files]
    upto = sum(1 for step, _, _ in files if step <= plan.forward_to) or 1
    keep = sum(1 for step, _, _ in files if step <= plan.rollback_to)
    keep = min(keep, upto)
    history = plan.history
    ctx = Context(step=files[upto - 1][0], change=f"executor {len(files)} files, to {upto}, back to {keep}",
                  reproducer=lambda: reproducer_source(
                      list(history.states), f"changes: {list(history.changes)}; migrate the files of states 0.."
                      f"{plan.forward_to}, migrate again, roll back to state {plan.rollback_to}, migrate the rest"
                      + (" (files written as legacy .sql migrations of the operations' DDL)" if plan.legacy_sql else "")))
    facts = {"files": str(len(files)), "file_format": "sql" if plan.legacy_sql else "py",
             "dollar_in_identifier": "yes" if plan.legacy_sql and any(
                 dollar_in_identifier(deployed.read_text(encoding="utf-8")) for _, _, deployed in files) else "no"}
    findings: list[Finding] = []

    def expect(stage: str, applied, records: int, pending=None) -> oracles.ExecutorState:
        return oracles.ExecutorState(stage, applied=applied, records=tuple(names[:records]),
                                     catalog=catalogs[records], pending=pending)

    for _, _, path in files[:upto]:
        shutil.copy2(path, deployed / path.name)
    applied, errors = await _migrate(conn, deployed)
    findings += oracles.check_executor_stage(await _observe(conn, "migrate", applied, errors, facts),
                                             expect("migrate", tuple(names[:upto]), upto), ctx)
    if findings:
        return findings
    applied, errors = await _migrate(conn, deployed)
    findings += oracles.check_executor_stage(await _observe(conn, "remigrate", applied, errors, facts),
                                             expect("remigrate", (), upto), ctx)

    for _, _, path in files[upto:]:
        shutil.copy2(path, deployed / path.name)
    pending = aksara_executor.get_pending_migrations(
        aksara_executor.discover_migrations(deployed), await aksara_executor.get_applied_migrations(conn))
    graph = aksara_executor.build_migration_graph(migrations_list=aksara_executor.discover_migrations(deployed),
                                                  include_internal=False)
    conflicts = aksara_executor.check_migration_conflicts(graph, list(names[:upto]))
    observed = await _observe(conn, "pending", None, (), facts, tuple(n for n, _ in pending))
    if conflicts:
        observed.errors = (f"check_migration_conflicts: {sorted(conflicts)} in a linear history",)
    findings += oracles.check_executor_stage(observed, expect("pending", None, upto, tuple(names[upto:])), ctx)
    if findings:
        return findings

    if not plan.legacy_sql and all(reversible[keep:upto]):
        try:
            await rollback_to(conn, deployed, set(names[:keep]))
            errors = ()
        except Exception as exc:  # noqa: BLE001 - every file reverses on its own: the oracle judges it
            errors = (oracles._exc_text(exc),)
        findings += oracles.check_executor_stage(await _observe(conn, "rollback", None, errors, facts),
                                                 expect("rollback", None, keep), ctx)
        if findings:
            return findings
    else:
        keep = upto  # an irreversible file (judged by migrations.reverse_restores) or a SQL file is not rolled back
    applied, errors = await _migrate(conn, deployed)
    findings += oracles.check_executor_stage(await _observe(conn, "migrate_rest", applied, errors, facts),
                                             expect("migrate_rest", tuple(names[keep:]), len(names)), ctx)
    if findings:
        return findings
    applied, errors = await _migrate(conn, deployed)
    findings += oracles.check_executor_stage(await _observe(conn, "remigrate", applied, errors, facts),
                                             expect("remigrate", (), len(names)), ctx)
    return findings


# --------------------------------------------------------------------------- graph


def _graph_source(spec: GraphSpec, i: int) -> str:
    node = spec.nodes[i]
    deps = [d for a, d in sorted(spec.edges()) if a == i]
    written = []
    for d in deps:
        dep = spec.nodes[d]
        written.append(repr(dep.name) if node.stem_form and dep.app == node.app else repr((dep.app, dep.name)))
    return ("from aksara.migrations import Migration as BaseMigration\n\n\n"
            "class Migration(BaseMigration):\n"
            f"    dependencies = [{', '.join(written)}]\n"
            "    operations = []\n")


def observe_graph(spec: GraphSpec) -> oracles.GraphObservation:
    """Write ``spec``'s files (``<app>/migrations/<name>.py``) and ask Aksara's graph about them."""
    modules_before = set(sys.modules)
    root = Path(tempfile.mkdtemp(prefix="aksara-fuzz-graph-"))
    obs = oracles.GraphObservation()
    try:
        for i, node in enumerate(spec.nodes):
            directory = root / node.app / "migrations"
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"{node.name}.py").write_text(_graph_source(spec, i), encoding="utf-8")
        files = [f for app in sorted({n.app for n in spec.nodes})
                 for f in aksara_executor.discover_migrations(root / app / "migrations")]
        obs.structure_call = "build_migration_graph"
        try:
            graph = aksara_executor.build_migration_graph(migrations_list=files, include_internal=False)
        except Exception as exc:  # noqa: BLE001 - the oracle judges it
            obs.structure_error = exc
            return obs
        try:
            obs.order = [node.key for node in graph.execution_order()]
        except Exception as exc:  # noqa: BLE001
            obs.order_error = exc
        for call in ("heads_for_app", "roots_for_app", "find_conflicts", "check_migration_conflicts"):
            obs.structure_call = call
            try:
                if call == "heads_for_app":
                    obs.heads = {app: {n.name for n in graph.heads_for_app(app)} for app in graph.get_app_labels()}
                elif call == "roots_for_app":
                    obs.roots = {app: {n.name for n in graph.roots_for_app(app)} for app in graph.get_app_labels()}
                elif call == "find_conflicts":
                    conflicts = find_conflicts(graph)
                    obs.conflicts = set(conflicts)
                    obs.message = format_conflict_message(conflicts)
                else:
                    obs.cli_conflicts = set(aksara_executor.check_migration_conflicts(graph, []))
            except Exception as exc:  # noqa: BLE001
                obs.structure_error = exc
                return obs
        obs.structure_call = ""
        return obs
    finally:
        shutil.rmtree(root, ignore_errors=True)
        _forget_modules(modules_before)
