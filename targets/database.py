"""Per-worker databases from a migrated, seeded template, and cheap exact resets.

The first worker of a run builds the template (the target's migrations, roles,
row-level security and seed) under an advisory lock; every worker then clones it
with ``CREATE DATABASE … TEMPLATE``. Inside each clone the suite installs:

- ``aksara_fuzz.dirty``: statement-level triggers on every application table record
  which tables a *committed* statement touched (a rolled-back write leaves no mark);
- ``aksara_fuzz.snap_<table>``: a copy of each table taken after the app started.

:meth:`WorkerDatabase.reset` restores only the dirty tables from their snapshots
(DELETE + INSERT … SELECT with triggers off), and :meth:`WorkerDatabase.changes`
tells exactly which tables differ from the snapshot, by content hash, which is what
the state-integrity oracles use. The app's own transactions are never rolled back
by the suite, so "a failed request changed the database" stays visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from targets.base import Target

SCHEMA = "aksara_fuzz"
CANARY_TABLE = "aksara_fuzz_canary"
# Created before the target's own schema so any grant the target gives its app role covers it.
CANARY_SQL = f"""
    CREATE TABLE public.{CANARY_TABLE} (id integer PRIMARY KEY, note text NOT NULL);
    INSERT INTO public.{CANARY_TABLE} VALUES (1, 'if this row changes, SQL escaped its quoting');
"""
_LOCK_KEY = 0x0A45A2A


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def database_name(run_id: str, suffix: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", f"aksara_fuzz_{run_id}_{suffix}".lower())
    return name[:63]


async def ensure_template(server: Any, target: Target, run_id: str) -> str:
    """Build the run's template database once (first caller wins); return its name."""
    template = database_name(run_id, f"tpl_{target.info.name}_{target.info.profile}")
    admin = await asyncpg.connect(server.admin_dsn)
    try:
        await admin.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template)
            if not exists:
                await admin.execute(f"CREATE DATABASE {_ident(template)}")
                conn = await asyncpg.connect(server.dsn(template))
                try:
                    await conn.execute(CANARY_SQL)
                    await target.prepare_database(conn, server, template)
                finally:
                    await conn.close()
                await _sync_content_types(server.dsn(template))
        finally:
            await admin.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await admin.close()
    return template


async def _sync_content_types(dsn: str) -> None:
    """Give every clone the same content-type ids (Aksara caches them process-wide at startup)."""
    from aksara.contenttypes import sync_content_types
    from aksara.db.engine import Database

    saved = Database._instance
    database = Database(dsn, min_size=1, max_size=1)
    try:
        await database.connect()
        await sync_content_types(database, prune_stale=True)
    finally:
        await database.disconnect()
        Database._instance = saved


async def clone_database(server: Any, template: str | None, name: str) -> None:
    """(Re)create ``name``: a copy of ``template``, or an empty database when it is None."""
    admin = await asyncpg.connect(server.admin_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")
        source = f" TEMPLATE {_ident(template)}" if template else ""
        await admin.execute(f"CREATE DATABASE {_ident(name)}{source}")
    finally:
        await admin.close()


async def drop_databases(server: Any, names: list[str]) -> None:
    admin = await asyncpg.connect(server.admin_dsn)
    try:
        for name in names:
            await admin.execute(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")
    finally:
        await admin.close()


@dataclass
class WorkerDatabase:
    """One worker's clone: snapshot, dirty tracking, reset and change detection."""

    dsn: str
    name: str
    conn: asyncpg.Connection | None = None
    tables: list[str] = field(default_factory=list)
    snapshot_hash: dict[str, str] = field(default_factory=dict)
    resets: int = 0

    async def connect(self) -> None:
        self.conn = await asyncpg.connect(self.dsn)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None

    async def install_tracking(self) -> None:
        """Create the dirty-table triggers (idempotent)."""
        conn = self.conn
        assert conn is not None
        await conn.execute(f"""
            CREATE SCHEMA IF NOT EXISTS {SCHEMA};
            CREATE UNLOGGED TABLE IF NOT EXISTS {SCHEMA}.dirty (table_name text PRIMARY KEY);
            CREATE OR REPLACE FUNCTION {SCHEMA}.mark_dirty() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
            BEGIN
                INSERT INTO {SCHEMA}.dirty VALUES (TG_TABLE_NAME) ON CONFLICT DO NOTHING;
                RETURN NULL;
            END $$;
        """)
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        self.tables = [r["tablename"] for r in rows]
        for table in self.tables:
            await conn.execute(f"""
                DROP TRIGGER IF EXISTS aksara_fuzz_dirty ON public.{_ident(table)};
                CREATE TRIGGER aksara_fuzz_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                    ON public.{_ident(table)} FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.mark_dirty();
            """)

    async def take_snapshot(self) -> None:
        """Copy every application table as it is now; this state is what reset restores."""
        conn = self.conn
        assert conn is not None
        for table in self.tables:
            snap = _ident(f"snap_{table}")
            await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{snap}")
            await conn.execute(f"CREATE TABLE {SCHEMA}.{snap} AS SELECT * FROM public.{_ident(table)}")
        await conn.execute(f"TRUNCATE {SCHEMA}.dirty")
        self.snapshot_hash = {t: await self._hash(f"public.{_ident(t)}") for t in self.tables}

    async def _hash(self, relation: str) -> str:
        assert self.conn is not None
        return await self.conn.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {relation} t"
        )

    async def dirty_tables(self) -> list[str]:
        assert self.conn is not None
        rows = await self.conn.fetch(f"SELECT table_name FROM {SCHEMA}.dirty")
        return [r["table_name"] for r in rows]

    async def changes(self) -> list[str]:
        """Tables whose content differs from the snapshot (exact, by content hash), or that vanished."""
        assert self.conn is not None
        changed = []
        present = {r["tablename"] for r in await self.conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        changed += [t for t in self.tables if t not in present]
        for table in await self.dirty_tables():
            if table in present and table in self.snapshot_hash and \
                    await self._hash(f"public.{_ident(table)}") != self.snapshot_hash[table]:
                changed.append(table)
        return sorted(set(changed))

    async def _table_hash(self, table: str) -> str:
        try:
            return await self._hash(f"public.{_ident(table)}")
        except asyncpg.UndefinedTableError:
            return "<dropped>"

    async def fingerprint(self) -> dict[str, str]:
        """Content hashes of the tables committed statements touched since the snapshot
        (every other table still equals its snapshot)."""
        return {t: await self._table_hash(t) for t in await self.dirty_tables()}

    async def changed_since(self, mark: dict[str, str]) -> list[str]:
        """Tables whose content differs from an earlier :meth:`fingerprint`."""
        dirty = set(await self.dirty_tables())
        changed = {t for t in dirty & set(mark) if await self._table_hash(t) != mark[t]}
        newly_dirty = dirty - set(mark)
        if newly_dirty:
            changed |= set(await self.changes()) & newly_dirty
        return sorted(changed)

    async def canary_intact(self) -> bool:
        return CANARY_TABLE not in await self.changes()

    async def reset(self) -> list[str]:
        """Restore every table a committed statement touched; return their names."""
        conn = self.conn
        assert conn is not None
        dirty = await self.dirty_tables()
        if not dirty:
            return []
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            for table in dirty:
                if table not in self.snapshot_hash:
                    continue
                await conn.execute(f"DELETE FROM public.{_ident(table)}")
                await conn.execute(
                    f"INSERT INTO public.{_ident(table)} SELECT * FROM {SCHEMA}.{_ident('snap_' + table)}"
                )
            await conn.execute(f"DELETE FROM {SCHEMA}.dirty")
        self.resets += 1
        return dirty

    async def first_records(self, table: str, count: int) -> list[Any]:
        """The first ``count`` rows of ``table`` by ``id``, as the driver's records (what an ORM loads rows from)."""
        assert self.conn is not None
        return await self.conn.fetch(f"SELECT * FROM public.{_ident(table)} ORDER BY id LIMIT {int(count)}")

    async def fetch_rows(self, table: str) -> list[dict[str, Any]]:
        """All current rows of ``table`` (as the database owner sees them), in a stable order.

        Ordered by ``id`` (else by the whole row), not in heap order, which resets and vacuum
        change: strategies draw positions in this list, and a position must name the same row
        in every run that replays an example."""
        assert self.conn is not None
        rows = await self.conn.fetch(f"SELECT * FROM public.{_ident(table)} t ORDER BY t::text")
        result = [dict(r) for r in rows]
        if all("id" in r for r in result):
            result.sort(key=lambda r: str(r["id"]))
        return result
