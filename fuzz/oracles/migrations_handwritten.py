"""Hand-written migrations: the schema their operations describe, and their source for reproducers.

:func:`expected_after` walks ``aksara.migrations.operations`` objects (a ``RunSQL`` by the effect its
writer states) over the expected tables of :mod:`fuzz.oracles.migrations_expected`, from the declared arguments
only, never from the database nor from Aksara's SQL. Readings:

- a column's type is the PostgreSQL type the field class stands for (:data:`targets.pg_catalog.COLUMN_TYPES`, ``format_type``
  spelling; ``max_length``, ``max_digits``/``decimal_places``, an array's ``sql_type`` and an FK's
  ``column_type`` taken into account);
- ``nullable`` False (the default of every class but JSON and arrays) is NOT NULL; the ``id`` primary key
  is NOT NULL with some default; ``auto_now_add`` needs some default; a non-None ``default`` is a database
  default equal by value; ``unique=True`` and one-to-one need a unique constraint or index;
- a ForeignKey/OneToOne column references ``to_table(id)`` with its ``on_delete``; a
  ``CreateManyToManyTable`` is the junction ``<source>_<field>`` with ``source_id``/``target_id``;
- ``AlterFieldType`` changes only the type, ``AlterFieldNull`` only the nullability,
  ``AlterFieldDefault`` only the default; renames carry columns, indexes and references along; dropping a
  column drops the indexes on it;
- an index of ``AddIndex`` (or of ``CreateTable(indexes=...)``) exists under its (truncated) name, on
  exactly its columns, unique when declared;
- ``AddConstraint``/``RemoveConstraint`` (CHECK constraints) change nothing the catalog oracle compares.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Iterable

from strategies.migrations import py_literal
from fuzz.oracles.migrations_expected import ExpectedColumn, ExpectedTable, pg_type_name
from strategies.handwritten import FieldDef, HandMigrations, IndexDef, Lit, OpDef, build_operation
from targets.pg_catalog import COLUMN_TYPES
from targets.pg_identifiers import pg_truncate

VARCHAR = {"StringField", "EmailField", "FileField", "ImageField", "SlugField", "FilePathField"}
RELATIONS = {"ForeignKeyField", "OneToOneField"}
JUNCTION = "m2m."


def column_type(f: Any) -> str:
    """The ``format_type`` spelling of the column a field class declares."""
    kind = type(f).__name__
    if kind in VARCHAR:
        return f"character varying({f.max_length})"
    if kind == "DecimalField":
        return f"numeric({f.max_digits},{f.decimal_places})"
    if kind == "ArrayField":
        return pg_type_name(f.sql_type)
    if kind in RELATIONS:
        return pg_type_name(f.column_type)
    return COLUMN_TYPES[kind]


def field_kind(f: Any) -> str:
    """The field class's own name (``IntegerField``), so a finding is never taken for a generated field's."""
    return type(f).__name__


def _column(name: str, f: Any) -> ExpectedColumn:
    default = getattr(f, "default", None)
    if getattr(f, "primary_key", False) or getattr(f, "auto_now_add", False):
        mode = "any"
    elif default is not None:
        mode = "value"
    else:
        mode = "none"
    not_null = not getattr(f, "nullable", False) or bool(getattr(f, "primary_key", False))
    return ExpectedColumn(name, name, field_kind(f), column_type(f), not_null, mode,
                          default if mode == "value" else None)


def _add_column(table: ExpectedTable, name: str, f: Any) -> None:
    table.columns.append(_column(name, f))
    if not getattr(f, "primary_key", False) and (getattr(f, "unique", False) or type(f).__name__ == "OneToOneField"):
        table.unique.append(name)
    if type(f).__name__ in RELATIONS:
        table.fks.append((name, f.to_table, f.on_delete.upper()))


def _replace_column(table: ExpectedTable, column: str, **changes: Any) -> None:
    table.columns = [dataclasses.replace(c, **changes) if c.name == column else c for c in table.columns]


class Schema:
    """The expected tables, changed operation by operation."""

    def __init__(self) -> None:
        self.tables: dict[str, ExpectedTable] = {}

    def copy(self) -> "Schema":
        other = Schema()
        other.tables = copy.deepcopy(self.tables)
        return other

    def _named(self, name: str) -> ExpectedTable:
        return self.tables[name]

    def apply(self, op: Any, effect: Any = None) -> None:
        kind = type(op).__name__
        if kind == "RunSQL":
            if effect is not None:
                self.apply(effect)
            return
        if kind == "CreateTable":
            table = ExpectedTable(op.name, "table")
            for name, f in op.fields:
                _add_column(table, name, f)
            self.tables[op.name] = table
            for index in op.indexes:
                self._add_index(index)
        elif kind == "CreateManyToManyTable":
            junction = ExpectedTable(op.join_table_name, JUNCTION + op.field_name)
            junction.columns += [
                ExpectedColumn("id", "id", "ManyToMany", "uuid", True, "any"),
                ExpectedColumn("source_id", "source_id", "ManyToMany", "uuid", True, "none"),
                ExpectedColumn("target_id", "target_id", "ManyToMany", "uuid", True, "none"),
                ExpectedColumn("created_at", "created_at", "ManyToMany", "timestamp with time zone", True, "any"),
            ]
            junction.unique_sets.append(("source_id", "target_id"))
            junction.fks += [("source_id", op.source_table, "CASCADE"), ("target_id", op.target_table, "CASCADE")]
            self.tables[op.join_table_name] = junction
        elif kind == "DropTable":
            del self.tables[op.name]
        elif kind == "RenameTable":
            table = self.tables.pop(op.old_name)
            table.name = op.new_name
            self.tables[op.new_name] = table
            for other in self.tables.values():
                other.fks = [(c, op.new_name if ref == op.old_name else ref, a) for c, ref, a in other.fks]
        elif kind == "AddField":
            _add_column(self._named(op.table), op.name, op.field)
        elif kind == "RemoveField":
            table = self._named(op.table)
            table.columns = [c for c in table.columns if c.name != op.name]
            table.unique = [c for c in table.unique if c != op.name]
            table.fks = [fk for fk in table.fks if fk[0] != op.name]
            table.named_indexes = [i for i in table.named_indexes if op.name not in i[1]]
        elif kind == "RenameField":
            table = self._named(op.table)
            _replace_column(table, op.old_name, name=op.new_name, field_name=op.new_name)
            rename = lambda c: op.new_name if c == op.old_name else c  # noqa: E731
            table.unique = [rename(c) for c in table.unique]
            table.fks = [(rename(c), ref, a) for c, ref, a in table.fks]
            table.named_indexes = [(n, tuple(rename(c) for c in cols), u) for n, cols, u in table.named_indexes]
        elif kind == "AlterFieldType":
            _replace_column(self._named(op.table), op.name, type=column_type(op.new_field),
                            field_kind=field_kind(op.new_field))
        elif kind == "AlterFieldNull":
            _replace_column(self._named(op.table), op.name, not_null=not op.nullable)
        elif kind == "AlterFieldDefault":
            if op.drop_default or op.new_default is None:
                _replace_column(self._named(op.table), op.name, default_mode="none", default=None)
            else:
                _replace_column(self._named(op.table), op.name, default_mode="value", default=op.new_default)
        elif kind == "AddIndex":
            self._add_index(op.index)
        elif kind == "RemoveIndex":
            for table in self.tables.values():
                table.named_indexes = [i for i in table.named_indexes if i[0] != op.name]
        elif kind in ("AddConstraint", "RemoveConstraint"):
            pass  # CHECK constraints: the catalog oracle reads none; the reverse oracle compares whole catalogs
        else:
            raise ValueError(f"no expected-schema reading for {kind}")

    def _add_index(self, index: Any) -> None:
        self._named(index.table).named_indexes.append((index.name, tuple(index.columns), bool(index.unique)))


def effects(migration: Iterable[OpDef]) -> list[Any]:
    """The operation a ``RunSQL`` stands for (None for the others), built like the operations."""
    return [build_operation(op.effect) if op.effect is not None else None for op in migration]


# --------------------------------------------------------------------------- reproducer source

def _value_source(value: Any) -> str:
    if isinstance(value, FieldDef):
        args = [_value_source(a) for a in value.args] + [f"{k}={_value_source(v)}" for k, v in value.options]
        return f"op.{value.cls}({', '.join(args)})"
    if isinstance(value, IndexDef):
        extra = (", unique=True" if value.unique else "") + (f", where={value.where!r}" if value.where else "") + (
            f", method={value.method!r}" if value.method != "btree" else "")
        return f"op.IndexOp({value.name!r}, {value.table!r}, {list(value.columns)!r}{extra})"
    if isinstance(value, Lit):
        return py_literal(value.value())
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return "[" + ", ".join(f"({n!r}, {_value_source(f)})" for n, f in value) + "]"
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_source(v) for v in value) + "]"
    return py_literal(value)


def operation_source(op: OpDef) -> str:
    return f"op.{op.op}(" + ", ".join(f"{k}={_value_source(v)}" for k, v in op.kwargs) + ")"


def reproducer_source(migrations: HandMigrations, upto: int, note: str) -> str:
    """A standalone script applying the hand-written migrations 0..``upto`` to ``$DATABASE_URL``."""
    lines = [
        f"# {note}",
        "import asyncio, datetime, decimal, os, uuid",
        "import asyncpg",
        "from aksara.migrations import operations as op",
        "",
        "MIGRATIONS = [",
    ]
    for migration in migrations.migrations[: upto + 1]:
        lines.append("    [")
        lines.extend(f"        {operation_source(o)}," for o in migration)
        lines.append("    ],")
    lines += [
        "]",
        "",
        "",
        "async def main():",
        "    conn = await asyncpg.connect(os.environ['DATABASE_URL'])",
        "    for n, operations in enumerate(MIGRATIONS):",
        "        async with conn.transaction():  # as Aksara's executor runs one migration",
        "            for operation in operations:",
        "                print(n, operation.describe())",
        "                await operation.apply(conn)",
        "",
        "",
        "asyncio.run(main())",
    ]
    return "\n".join(lines) + "\n"
