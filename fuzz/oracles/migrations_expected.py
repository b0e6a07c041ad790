"""What the catalog must hold for a set of Aksara model classes, derived from the runtime fields.

Readings (where Aksara's docs are silent):

- a declared table/column name is stored as PostgreSQL stores any quoted identifier: byte-truncated to 63
  bytes on a character boundary. Two *distinct* declared names that store identically are a collision;
- the column type is the runtime field's own ``sql_type`` (what the ORM reads and writes with);
- a non-callable ``default`` is a database default equal *by value* (cast to the column type) to the
  declared one; a callable default, the primary key and auto timestamps only need some/no default;
- ``unique=True`` and one-to-one need a unique constraint or index on exactly that column; ``db_index=True``
  needs an index on exactly that column (Aksara documents ``db_index`` as "Create database index");
- a ForeignKey/OneToOne column references the target table's ``id`` with the declared ``on_delete``;
- a ManyToMany field needs its junction table (docs: "Generate and apply migrations to create the junction
  table"), named ``join_table_name``, with the source/target columns the runtime manager queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aksara.fields import DateTime, ForeignKey, ManyToMany, OneToOne

from targets.pg_identifiers import pg_truncate

_TYPE_NAMES = {
    "TEXT": "text", "INTEGER": "integer", "BIGINT": "bigint", "SMALLINT": "smallint", "BOOLEAN": "boolean",
    "DOUBLE PRECISION": "double precision", "REAL": "real", "DATE": "date", "UUID": "uuid", "JSONB": "jsonb",
    "JSON": "json", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "TIMESTAMPTZ": "timestamp with time zone",
    "TIMESTAMP": "timestamp without time zone", "TIME": "time without time zone", "INET": "inet",
    "INTERVAL": "interval", "BYTEA": "bytea",
}


def pg_type_name(sql_type: str) -> str:
    """``format_type`` spelling of an Aksara ``sql_type`` (``VARCHAR(5)`` -> ``character varying(5)``)."""
    text = " ".join(sql_type.upper().split())
    array = text.endswith("[]")
    base = text[:-2].strip() if array else text
    match = re.fullmatch(r"(VARCHAR|CHARACTER VARYING|NUMERIC|DECIMAL)\s*\((\d+)(?:\s*,\s*(\d+))?\)", base)
    if match:
        kind, first, second = match.groups()
        if kind in ("VARCHAR", "CHARACTER VARYING"):
            name = f"character varying({first})"
        else:
            name = f"numeric({first},{second or 0})"
    else:
        name = _TYPE_NAMES.get(base, base.lower())
    return name + ("[]" if array else "")


@dataclass(frozen=True)
class ExpectedColumn:
    name: str            # declared name
    field_name: str      # model attribute
    field_kind: str      # runtime field class name
    type: str
    not_null: bool
    default_mode: str    # "value" | "none" | "any"
    default: Any = None


@dataclass
class ExpectedTable:
    name: str
    model: str
    columns: list[ExpectedColumn] = field(default_factory=list)
    unique: list[str] = field(default_factory=list)            # single-column unique requirements
    unique_sets: list[tuple[str, ...]] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)           # db_index columns
    fks: list[tuple[str, str, str | None]] = field(default_factory=list)  # (column, ref table, on_delete)
    named_indexes: list[tuple[str, tuple[str, ...], bool]] = field(default_factory=list)  # (name, columns, unique)
    primary: str | None = "id"

    @property
    def stored_name(self) -> str:
        return pg_truncate(self.name)


def _default_mode(name: str, f: Any) -> tuple[str, Any]:
    if f.primary_key:
        return "any", None
    if isinstance(f, DateTime) and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)):
        return "any", None
    if callable(f.default):
        return "any", None
    if f.default is None:
        return "none", None
    return "value", f.default


def expected_tables(models: dict[str, type]) -> list[ExpectedTable]:
    """The tables (model tables and junction tables) ``models`` declare."""
    tables: list[ExpectedTable] = []
    for model_name, model in models.items():
        table = ExpectedTable(model.__tablename__, model_name)
        for name, f in model._fields.items():
            column = f.db_column_name if isinstance(f, ForeignKey) else name
            mode, default = _default_mode(name, f)
            table.columns.append(ExpectedColumn(
                column, name, type(f).__name__, pg_type_name(f.sql_type),
                not f.nullable or bool(f.primary_key), mode, default,
            ))
            if (getattr(f, "unique", False) or isinstance(f, OneToOne)) and not f.primary_key:
                table.unique.append(column)
            if getattr(f, "db_index", False) and not f.primary_key:
                table.indexes.append(column)
            if isinstance(f, ForeignKey):
                table.fks.append((column, f.to_model.__tablename__, getattr(f, "on_delete", None)))
        tables.append(table)
        for name, m2m in getattr(model, "_m2m_fields", {}).items():
            if not isinstance(m2m, ManyToMany):
                continue
            source, target = m2m.source_column, m2m.target_column
            junction = ExpectedTable(m2m.join_table_name, f"{model_name}.{name}")
            for col, typ in (("id", "uuid"), (source, "uuid"), (target, "uuid"),
                             ("created_at", "timestamp with time zone")):
                junction.columns.append(ExpectedColumn(col, col, "ManyToMany", typ, True, "any"))
            junction.unique_sets.append((source, target))
            junction.fks += [(source, model.__tablename__, "CASCADE"), (target, m2m.to_model.__tablename__, "CASCADE")]
            tables.append(junction)
    return tables
