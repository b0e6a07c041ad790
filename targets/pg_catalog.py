"""Read back what PostgreSQL really holds: tables, columns, types, defaults, constraints and indexes.

:func:`read_catalog` describes one schema from ``pg_catalog`` as plain data, so two catalogs can be compared
with ``==`` (the reverse oracle) and one can be compared with the declared models (the catalog oracle).
Column defaults are kept as expressions and evaluated on demand by :func:`evaluate_default`, cast to the
column's type, so they are compared by value.

The canary is a table outside the example schema that no generated DDL may touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from targets.pg_identifiers import CANARY_TABLE

CANARY_SCHEMA = "public"
CANARY_NOTE = "alive"
IGNORED_TABLES = frozenset({"aksara_migrations"})  # Aksara's own bookkeeping table
FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
#: Aksara field class -> the ``format_type`` spelling of the column it declares, for the classes whose column
#: type does not depend on their arguments (VARCHAR lengths, DECIMAL precision, arrays and relations do)
COLUMN_TYPES = {
    "UUIDField": "uuid", "TextField": "text", "URLField": "text", "EnumField": "text", "IntegerField": "integer",
    "BigIntegerField": "bigint", "SmallIntegerField": "smallint", "BooleanField": "boolean",
    "DateTimeField": "timestamp with time zone", "DateField": "date", "TimeField": "time without time zone",
    "DurationField": "interval", "JSONField": "jsonb", "FloatField": "double precision", "IPAddressField": "inet",
    "BinaryField": "bytea",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # p, u, f, c, x
    columns: tuple[str, ...]
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)

    def key(self) -> tuple:
        return (
            self.name,
            tuple(sorted(self.columns.items())),
            tuple(sorted((c.kind, c.columns, c.ref_table, c.ref_columns, c.on_delete) for c in self.constraints)),
            tuple(sorted((i.columns, i.unique, i.primary) for i in self.indexes)),
        )


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    other_objects: tuple[tuple[str, str], ...] = ()  # (relkind, name) of sequences, views, types ...

    def key(self) -> tuple:
        return tuple(sorted(t.key() for t in self.tables.values())), tuple(sorted(self.other_objects))


_TABLES = """
SELECT c.oid, c.relname, c.relkind::text AS relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
"""
_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS default
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype::text AS contype, con.confdeltype::text AS confdeltype, rc.relname AS ref_table,
       ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.n ORDER BY k.o) AS cols,
       ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.n ORDER BY k.o) AS ref_cols
FROM pg_constraint con LEFT JOIN pg_class rc ON rc.oid = con.confrelid
WHERE con.conrelid = ANY($1::oid[])
"""
_INDEXES = """
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary,
       ARRAY(SELECT attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
             JOIN pg_attribute ON attrelid = i.indrelid AND attnum = k.n ORDER BY k.o) AS cols
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = ANY($1::oid[])
"""


async def read_catalog(conn, schema: str, ignore: frozenset[str] = IGNORED_TABLES) -> Catalog:
    """Describe every table of ``schema`` (and count any other relation kinds there)."""
    catalog = Catalog()
    by_oid: dict[int, Table] = {}
    others = []
    for row in await conn.fetch(_TABLES, schema):
        if row["relname"] in ignore or row["relname"].startswith(tuple(f"{t}_" for t in ignore)):
            continue
        if row["relkind"] in ("r", "p"):
            by_oid[row["oid"]] = catalog.tables[row["relname"]] = Table(row["relname"])
        else:
            others.append((row["relkind"], row["relname"]))
    catalog.other_objects = tuple(sorted(others))
    oids = list(by_oid)
    if not oids:
        return catalog
    for row in await conn.fetch(_COLUMNS, oids):
        by_oid[row["attrelid"]].columns[row["attname"]] = Column(
            row["attname"], row["type"], row["attnotnull"], row["default"]
        )
    for row in await conn.fetch(_CONSTRAINTS, oids):
        by_oid[row["conrelid"]].constraints.append(Constraint(
            row["conname"], row["contype"], tuple(row["cols"] or ()), row["ref_table"],
            tuple(row["ref_cols"] or ()), FK_ACTIONS.get(row["confdeltype"]) if row["contype"] == "f" else None,
        ))
    for row in await conn.fetch(_INDEXES, oids):
        by_oid[row["indrelid"]].indexes.append(
            Index(row["relname"], tuple(row["cols"] or ()), row["indisunique"], row["indisprimary"])
        )
    return catalog


@dataclass(frozen=True)
class DefaultValue:
    """A column default evaluated and cast to the column type; ``error`` when PostgreSQL cannot."""

    value: Any = None
    text: str | None = None
    error: str | None = None


async def evaluate_default(conn, expression: str, type_name: str) -> DefaultValue:
    """Evaluate ``expression`` as an insert would (cast to ``type_name``), inside a savepoint."""
    sql = f"SELECT ({expression})::{type_name} AS v, (({expression})::{type_name})::text AS t"
    try:
        async with conn.transaction():
            row = await conn.fetchrow(sql)
    except Exception as exc:  # noqa: BLE001 - PostgreSQL's refusal is the observation
        return DefaultValue(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return DefaultValue(row["v"], row["t"])


async def plant_canary(conn) -> None:
    """Create the canary table (committed, outside every example's schema)."""
    await conn.execute(
        f'CREATE TABLE IF NOT EXISTS {CANARY_SCHEMA}."{CANARY_TABLE}" (id int PRIMARY KEY, note text NOT NULL)'
    )
    await conn.execute(
        f'INSERT INTO {CANARY_SCHEMA}."{CANARY_TABLE}" VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET note = $1',
        CANARY_NOTE,
    )


async def canary_state(conn) -> str:
    """``alive`` when the canary table and its row are intact, otherwise what happened to it."""
    try:
        async with conn.transaction():
            note = await conn.fetchval(f'SELECT note FROM {CANARY_SCHEMA}."{CANARY_TABLE}" WHERE id = 1')
    except Exception as exc:  # noqa: BLE001
        return f"unreadable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if note is None:
        return "row missing"
    return "alive" if note == CANARY_NOTE else f"row changed to {note!r}"
