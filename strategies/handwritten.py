"""Hand-written migrations: sequences of ``aksara.migrations.operations`` as a team writes them by hand.

A :class:`HandMigrations` is a list of migrations, each a list of :class:`OpDef` (an operation class of
``aksara.migrations.operations`` and its keyword arguments, fields as :class:`FieldDef`, indexes as
:class:`IndexDef`, defaults of non-JSON types as :class:`Lit`), so it is plain data that stores and replays;
:func:`build_operations` turns one migration into the real Aksara operation objects.

:func:`hand_migrations` draws them from a model of the schema (never from a database), so every
operation refers to tables, columns and indexes that exist at that point, as a hand-writer's would:

- ``CreateTable`` with an ``id`` UUID primary key and columns of every field class of the module (but
  ``VectorField``, which needs the pgvector extension, and ``ManyToManyField``, which is no column) with
  their keyword options (``nullable``, ``unique``, ``max_length``, ``max_digits``/``decimal_places``,
  ``sql_type``, ``auto_now_add``, ``allowed_values``, ``on_delete``...), sometimes with ``indexes``;
- ``AddField``, ``RemoveField``, ``RenameField``, ``AlterFieldType`` (within a type family, with a
  ``using`` cast as a careful writer adds, on columns without a default), ``AlterFieldNull``,
  ``AlterFieldDefault`` (set with or without ``field=``, or drop);
- ``RenameTable``, ``DropTable`` (of tables nothing references), ``CreateManyToManyTable``;
- ``AddIndex``/``RemoveIndex`` (unique, multi-column, partial, hash), ``RunSQL`` with its ``reverse_sql``
  (an added column with a hostile default, an index), spelled with the writer's own quoting;
- ``AddConstraint`` (a ``CHECK`` on a column, or on a hostile string literal, under a hostile name) and
  ``RemoveConstraint`` (of such a constraint, or of one that does not exist: ``if_exists`` is the default),
  so columns dropped, renamed or retyped under a constraint, and reversals over them, are reached too;
- every name from :mod:`strategies.identifiers` (hostile, over the byte limit, reserved...), every
  default from :func:`strategies.models.hostile_defaults`. Names are distinct after PostgreSQL's
  truncation (the generated family covers collisions).
"""

from __future__ import annotations

import datetime as _dt
import uuid as _uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from strategies.identifiers import hostile_identifiers, safe_identifiers
from strategies.models import FieldSpec, hostile_defaults
from targets.pg_catalog import COLUMN_TYPES
from targets.pg_identifiers import pg_truncate

# --------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Lit:
    """A default value stored as text (``kind`` says how to read it back) so every type replays."""

    kind: str  # decimal | date | datetime | time | uuid | timedelta | float
    text: str

    def value(self) -> Any:
        if self.kind == "decimal":
            return Decimal(self.text)
        if self.kind == "date":
            return _dt.date.fromisoformat(self.text)
        if self.kind == "datetime":
            return _dt.datetime.fromisoformat(self.text)
        if self.kind == "time":
            return _dt.time.fromisoformat(self.text)
        if self.kind == "uuid":
            return _uuid.UUID(self.text)
        if self.kind == "timedelta":
            days, seconds, micros = (int(p) for p in self.text.split(","))
            return _dt.timedelta(days=days, seconds=seconds, microseconds=micros)
        return float(self.text)


def lit(value: Any) -> Any:
    """``value`` as storable data: a :class:`Lit` for the types JSON cannot hold, itself otherwise."""
    if isinstance(value, Decimal):
        return Lit("decimal", str(value))
    if isinstance(value, _dt.datetime):
        return Lit("datetime", value.isoformat())
    if isinstance(value, _dt.date):
        return Lit("date", value.isoformat())
    if isinstance(value, _dt.time):
        return Lit("time", value.isoformat())
    if isinstance(value, _uuid.UUID):
        return Lit("uuid", str(value))
    if isinstance(value, _dt.timedelta):
        return Lit("timedelta", f"{value.days},{value.seconds},{value.microseconds}")
    if isinstance(value, float):
        return Lit("float", repr(value))
    return value


def unlit(value: Any) -> Any:
    return value.value() if isinstance(value, Lit) else value


@dataclass(frozen=True)
class FieldDef:
    """A field class of ``aksara.migrations.operations`` with its positional and keyword arguments."""

    cls: str
    args: tuple = ()
    options: tuple[tuple[str, Any], ...] = ()

    def option(self, key: str, default: Any = None) -> Any:
        return next((unlit(v) for k, v in self.options if k == key), default)

    def with_options(self, **changes: Any) -> "FieldDef":
        kept = tuple((k, v) for k, v in self.options if k not in changes)
        return FieldDef(self.cls, self.args, kept + tuple((k, lit(v)) for k, v in changes.items()))


@dataclass(frozen=True)
class IndexDef:
    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None
    method: str = "btree"


@dataclass(frozen=True)
class OpDef:
    """One operation: its class name and keyword arguments. ``effect`` is what a ``RunSQL`` does, as an
    operation of the module, for the schema model (RunSQL itself is opaque)."""

    op: str
    kwargs: tuple[tuple[str, Any], ...]
    effect: "OpDef | None" = None

    def arg(self, key: str, default: Any = None) -> Any:
        return next((v for k, v in self.kwargs if k == key), default)


@dataclass(frozen=True)
class HandMigrations:
    """Migrations applied one after the other; each is a tuple of operations (one transaction)."""

    migrations: tuple[tuple[OpDef, ...], ...]


# --------------------------------------------------------------------------- building real operations

def build_value(value: Any) -> Any:
    """The Aksara object (field, index, default) a stored argument stands for."""
    from aksara.migrations import operations as ops

    if isinstance(value, FieldDef):
        return getattr(ops, value.cls)(*[build_value(a) for a in value.args],
                                       **{k: build_value(v) for k, v in value.options})
    if isinstance(value, IndexDef):
        return ops.IndexOp(value.name, value.table, list(value.columns), unique=value.unique,
                           where=value.where, method=value.method)
    if isinstance(value, Lit):
        return value.value()
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) and len(v) == 2
                                                  and isinstance(v[1], FieldDef) for v in value):
        return [(name, build_value(f)) for name, f in value]  # CreateTable fields
    if isinstance(value, tuple) and value and all(isinstance(v, IndexDef) for v in value):
        return [build_value(v) for v in value]  # CreateTable indexes
    return value


def build_operation(op: OpDef) -> Any:
    from aksara.migrations import operations as ops

    return getattr(ops, op.op)(**{k: build_value(v) for k, v in op.kwargs})


def build_operations(migration: tuple[OpDef, ...]) -> list:
    """The real ``aksara.migrations.operations`` objects of one migration."""
    return [build_operation(op) for op in migration]


def quote_ident(name: str) -> str:
    """How a hand-writer quotes a name in RunSQL: double quotes, embedded ones doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------- field classes

# field class -> (FieldSpec kind for hostile_defaults or None, type family for AlterFieldType)
FIELD_CLASSES: dict[str, tuple[str | None, str]] = {
    "UUIDField": ("UUID", "uuid"),
    "StringField": ("String", "text"),
    "TextField": ("Text", "text"),
    "IntegerField": ("Integer", "number"),
    "BigIntegerField": ("BigInteger", "number"),
    "SmallIntegerField": ("SmallInteger", "number"),
    "BooleanField": ("Boolean", "bool"),
    "DateTimeField": ("DateTime", "datetime"),
    "DateField": ("Date", "date"),
    "JSONField": ("JSON", "json"),
    "ArrayField": (None, "array"),
    "FloatField": ("Float", "number"),
    "DecimalField": ("Decimal", "number"),
    "EmailField": ("Email", "text"),
    "FileField": ("String", "text"),
    "ImageField": ("String", "text"),
    "URLField": ("URL", "text"),
    "EnumField": (None, "text"),
    "SlugField": ("Slug", "text"),
    "TimeField": ("Time", "time"),
    "DurationField": (None, "interval"),
    "IPAddressField": (None, "inet"),
    "BinaryField": (None, "bytea"),
    "FilePathField": ("String", "text"),
    "ForeignKeyField": (None, "fk"),
    "OneToOneField": (None, "fk"),
}
SCALAR_CLASSES = tuple(c for c, (_, fam) in FIELD_CLASSES.items() if fam != "fk")
_WITH_UNIQUE = {"UUIDField", "StringField", "IntegerField", "BigIntegerField", "SmallIntegerField", "DecimalField",
                "EmailField", "FileField", "ImageField", "URLField", "SlugField", "IPAddressField", "FilePathField"}
_MAX_LENGTH = {"StringField": 255, "EmailField": 254, "FileField": 500, "ImageField": 500, "SlugField": 50,
               "FilePathField": 100}
_NULLABLE_BY_DEFAULT = {"JSONField", "ArrayField"}
ARRAY_TYPES = ("TEXT[]", "INTEGER[]", "BIGINT[]", "BOOLEAN[]", "UUID[]", "VARCHAR(20)[]", "NUMERIC(8,3)[]",
               "DOUBLE PRECISION[]", "DATE[]", "TIMESTAMPTZ[]", "JSONB[]")
ON_DELETE = ("CASCADE", "RESTRICT", "NO ACTION", "SET NULL")
DANGEROUS = ("DROP TABLE", "DROP DATABASE", "TRUNCATE", "DELETE FROM", "DROP SCHEMA")  # RunSQL's own list


def default_values(field_def: FieldDef) -> st.SearchStrategy[Any]:
    """A hostile, well-typed default for ``field_def`` (the generated family's defaults where they apply)."""
    cls = field_def.cls
    kind = FIELD_CLASSES[cls][0]
    if cls == "ArrayField":
        sql_type = field_def.args[0] if field_def.args else "TEXT[]"
        item = {"TEXT[]": "ArrayText", "INTEGER[]": "ArrayInt"}.get(sql_type)
        return hostile_defaults(FieldSpec("x", item)) if item else st.nothing()
    if cls == "EnumField":
        return st.sampled_from(field_def.option("allowed_values") or ["a"])
    if cls == "DurationField":
        return st.timedeltas(min_value=_dt.timedelta(days=-999), max_value=_dt.timedelta(days=999))
    if cls == "IPAddressField":
        return st.ip_addresses().map(str)
    if kind is None:
        return st.nothing()
    max_length = field_def.option("max_length", _MAX_LENGTH.get(cls))
    spec = FieldSpec("x", kind, max_length=max_length,
                     max_digits=field_def.option("max_digits", 10), decimal_places=field_def.option("decimal_places", 2))
    if max_length is not None:  # a writer's default fits the column (Email's fixed samples may not)
        return hostile_defaults(spec).filter(lambda v: len(v) <= max_length)
    return hostile_defaults(spec)


def has_defaults(field_def: FieldDef) -> bool:
    """Whether :func:`default_values` has values for this field (bytea and most arrays take none)."""
    if field_def.cls == "ArrayField":
        return (field_def.args[0] if field_def.args else "TEXT[]") in ("TEXT[]", "INTEGER[]")
    return field_def.cls != "BinaryField"


@st.composite
def scalar_field_defs(draw, cls: str | None = None, with_default: bool | None = None) -> FieldDef:
    """A scalar field class with drawn keyword options and, maybe, a hostile default."""
    cls = cls or draw(st.sampled_from(SCALAR_CLASSES))
    args: tuple = ()
    options: dict[str, Any] = {}
    if cls == "ArrayField":
        args = (draw(st.sampled_from(ARRAY_TYPES)),)
    if cls in _MAX_LENGTH and draw(st.booleans()):
        options["max_length"] = draw(st.sampled_from((1, 5, 64, 255, 1000)))
    if cls == "DecimalField":
        digits = draw(st.integers(1, 20))
        options.update(max_digits=digits, decimal_places=draw(st.integers(0, digits)))
    if cls == "EnumField":
        options["allowed_values"] = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=3, unique=True))
        if draw(st.booleans()):
            options["enum_name"] = draw(hostile_identifiers())
    if cls == "DateTimeField" and draw(st.integers(0, 3)) == 0:
        options[draw(st.sampled_from(("auto_now_add", "auto_now")))] = True
    if cls == "UUIDField" or cls in _WITH_UNIQUE:
        if draw(st.integers(0, 3)) == 0:
            options["unique"] = True
    options["nullable"] = draw(st.booleans())
    field_def = FieldDef(cls, args, tuple(options.items()))
    wants_default = draw(st.booleans()) if with_default is None else with_default
    if wants_default and not field_def.option("auto_now_add"):
        value = draw(st.one_of(st.none(), default_values(field_def)))
        if value is not None:
            field_def = field_def.with_options(default=value)
    return field_def


# --------------------------------------------------------------------------- the schema model

@dataclass
class _Table:
    columns: dict[str, FieldDef] = field(default_factory=dict)
    junction: bool = False


@dataclass
class _Schema:
    """What a hand-writer knows about the schema at this point of the migrations."""

    tables: dict[str, _Table] = field(default_factory=dict)
    indexes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # name -> (table, columns)
    fks: list[tuple[str, str, str]] = field(default_factory=list)  # (table, column, referenced table)
    checks: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # CHECK name -> (table, column)

    def stored(self) -> set[str]:
        names = {pg_truncate(t) for t in self.tables} | {pg_truncate(i) for i in self.indexes}
        return names | {pg_truncate(f"{t}_pkey") for t in self.tables}

    def referenced(self, table: str) -> bool:
        return any(ref == table and src != table for src, _, ref in self.fks)

    def model_tables(self) -> list[str]:
        return [t for t, v in self.tables.items() if not v.junction]


def _fresh(draw, taken: set[str], names: st.SearchStrategy[str] | None = None) -> str | None:
    for _ in range(3):
        name = draw(names if names is not None else hostile_identifiers())
        if pg_truncate(name) not in taken and name.lower() not in ("id", "source_id", "target_id", "created_at"):
            return name
    return None


def _column_names(table: _Table) -> set[str]:
    return {pg_truncate(c) for c in table.columns}


@st.composite
def _fk_def(draw, schema: _Schema, cls: str) -> FieldDef | None:
    targets = schema.model_tables()
    if not targets:
        return None
    nullable = draw(st.booleans())
    actions = ON_DELETE if nullable else ON_DELETE[:3]
    options = {"on_delete": draw(st.sampled_from(actions)), "nullable": nullable}
    return FieldDef(cls, (draw(st.sampled_from(targets)),), tuple(options.items()))


@st.composite
def _create_table(draw, schema: _Schema) -> OpDef | None:
    name = _fresh(draw, schema.stored())
    if name is None:
        return None
    fields: list[tuple[str, FieldDef]] = [("id", FieldDef("UUIDField", (), (("primary_key", True),)))]
    taken = {"id"}
    for _ in range(draw(st.integers(1, 4))):
        column = _fresh(draw, taken)
        if column is None:
            continue
        if draw(st.integers(0, 5)) == 0:
            fk = draw(_fk_def(schema, draw(st.sampled_from(("ForeignKeyField", "OneToOneField")))))
            if fk is None:
                continue
            fields.append((column, fk))
        else:
            fields.append((column, draw(scalar_field_defs())))
        taken.add(pg_truncate(column))
    kwargs: list[tuple[str, Any]] = [("name", name), ("fields", tuple(fields))]
    table = _Table(dict(fields))
    indexes = ()
    if len(fields) > 1 and draw(st.integers(0, 3)) == 0:
        schema.tables[name] = table
        index = draw(_index_def(schema, name))
        del schema.tables[name]
        if index is not None:
            indexes = (index,)
            kwargs.append(("indexes", indexes))
    schema.tables[name] = table
    for column, f in fields:
        if f.cls in ("ForeignKeyField", "OneToOneField"):
            schema.fks.append((name, column, f.args[0]))
    for index in indexes:
        schema.indexes[index.name] = (name, index.columns)
    return OpDef("CreateTable", tuple(kwargs))


_HASHABLE = {"StringField", "TextField", "IntegerField", "BigIntegerField", "UUIDField", "SlugField", "EmailField"}


@st.composite
def _index_def(draw, schema: _Schema, table: str) -> IndexDef | None:
    name = _fresh(draw, schema.stored() | {pg_truncate(table)})
    columns = [c for c in schema.tables[table].columns if c != "id"]
    if name is None or not columns:
        return None
    chosen = tuple(draw(st.lists(st.sampled_from(columns), min_size=1, max_size=min(3, len(columns)), unique=True)))
    unique = draw(st.booleans())
    method = "btree"
    if len(chosen) == 1 and not unique and schema.tables[table].columns[chosen[0]].cls in _HASHABLE \
            and draw(st.integers(0, 3)) == 0:
        method = "hash"
    where = f"{quote_ident(chosen[0])} IS NOT NULL" if draw(st.integers(0, 4)) == 0 else None
    return IndexDef(name, table, chosen, unique, where, method)


def _safe_sql(*texts: str) -> bool:
    return not any(k in t.upper() for t in texts for k in DANGEROUS)


_CASTS = {"number": ("IntegerField", "BigIntegerField", "SmallIntegerField", "FloatField", "DecimalField"),
          "text": ("StringField", "TextField", "EmailField", "URLField", "SlugField", "FilePathField")}
_SQL_TYPES = {c: COLUMN_TYPES[c] for c in ("IntegerField", "BigIntegerField", "SmallIntegerField", "FloatField",
                                            "TextField", "URLField")}


@st.composite
def _operation(draw, schema: _Schema) -> OpDef | None:
    """One operation valid against ``schema``; ``schema`` is updated to the state after it."""
    tables = schema.model_tables()
    if not tables:
        return draw(_create_table(schema))
    kind = draw(st.sampled_from((
        "CreateTable", "AddField", "AddField", "RemoveField", "RenameField", "AlterFieldType", "AlterFieldNull",
        "AlterFieldDefault", "AlterFieldDefault", "RenameTable", "DropTable", "AddIndex", "AddIndex",
        "RemoveIndex", "RunSQL", "CreateManyToManyTable", "AddConstraint", "AddConstraint", "RemoveConstraint")))
    table = draw(st.sampled_from(tables))
    model = schema.tables[table]
    columns = [c for c, f in model.columns.items() if c != "id"]
    plain = [c for c in columns if model.columns[c].cls in SCALAR_CLASSES]
    if kind == "CreateTable":
        return draw(_create_table(schema))
    if kind == "AddField":
        column = _fresh(draw, _column_names(model) | {"id"})
        if column is None:
            return None
        relation = draw(st.sampled_from(("ForeignKeyField", "OneToOneField"))) if draw(st.integers(0, 5)) == 0 else None
        f = draw(_fk_def(schema, relation)) if relation else draw(scalar_field_defs())
        if f is None:
            return None
        model.columns[column] = f
        if relation:
            schema.fks.append((table, column, f.args[0]))
        return OpDef("AddField", (("table", table), ("name", column), ("field", f)))
    if kind == "RemoveField" and columns:
        column = draw(st.sampled_from(columns))
        if any(src == table and col == column for src, col, _ in schema.fks):
            schema.fks = [fk for fk in schema.fks if not (fk[0] == table and fk[1] == column)]
        del model.columns[column]
        schema.indexes = {n: v for n, v in schema.indexes.items() if not (v[0] == table and column in v[1])}
        # PostgreSQL drops the table constraints that involve a dropped column
        schema.checks = {n: v for n, v in schema.checks.items() if v != (table, column)}
        return OpDef("RemoveField", (("table", table), ("name", column)))
    if kind == "RenameField" and columns:
        old = draw(st.sampled_from(columns))
        new = _fresh(draw, _column_names(model) | {"id"})
        if new is None:
            return None
        model.columns = {(new if c == old else c): f for c, f in model.columns.items()}
        schema.fks = [(s, new if (s, c) == (table, old) else c, r) for s, c, r in schema.fks]
        schema.indexes = {n: (t, tuple(new if (t == table and c == old) else c for c in cols))
                          for n, (t, cols) in schema.indexes.items()}
        schema.checks = {n: (t, new if (t, c) == (table, old) else c) for n, (t, c) in schema.checks.items()}
        return OpDef("RenameField", (("table", table), ("old_name", old), ("new_name", new)))
    if kind == "AlterFieldType":
        candidates = [c for c in plain if FIELD_CLASSES[model.columns[c].cls][1] in _CASTS
                      and model.columns[c].option("default") is None and not model.columns[c].option("unique")]
        if not candidates:
            return None
        column = draw(st.sampled_from(candidates))
        old = model.columns[column]
        family = FIELD_CLASSES[old.cls][1]
        new = draw(scalar_field_defs(cls=draw(st.sampled_from(_CASTS[family])), with_default=False))
        new = new.with_options(nullable=old.option("nullable", old.cls in _NULLABLE_BY_DEFAULT), unique=False) \
            if new.cls in _WITH_UNIQUE else new.with_options(nullable=old.option("nullable", False))
        kwargs: list[tuple[str, Any]] = [("table", table), ("name", column), ("new_field", new)]
        if new.cls in _SQL_TYPES and draw(st.booleans()):
            kwargs.append(("using", f"{quote_ident(column)}::{_SQL_TYPES[new.cls]}"))
        model.columns[column] = new
        return OpDef("AlterFieldType", tuple(kwargs))
    if kind == "AlterFieldNull" and plain:
        column = draw(st.sampled_from(plain))
        current = model.columns[column]
        nullable = not current.option("nullable", current.cls in _NULLABLE_BY_DEFAULT)  # a change, as written
        model.columns[column] = model.columns[column].with_options(nullable=nullable)
        return OpDef("AlterFieldNull", (("table", table), ("name", column), ("nullable", nullable)))
    with_defaults = [c for c in plain if has_defaults(model.columns[c])]
    if kind == "AlterFieldDefault" and with_defaults:
        column = draw(st.sampled_from(with_defaults))
        current = model.columns[column]
        if draw(st.integers(0, 3)) == 0:
            model.columns[column] = current.with_options(default=None)
            return OpDef("AlterFieldDefault", (("table", table), ("name", column), ("drop_default", True)))
        value = draw(default_values(current))
        kwargs = [("table", table), ("name", column), ("new_default", lit(value))]
        if current.cls in ("JSONField", "ArrayField") or draw(st.booleans()):
            kwargs.append(("field", current))  # the documented shape; JSON and arrays need it
        model.columns[column] = current.with_options(default=value)
        return OpDef("AlterFieldDefault", tuple(kwargs))
    if kind == "RenameTable":
        new = _fresh(draw, schema.stored())
        if new is None:
            return None
        schema.tables = {(new if t == table else t): v for t, v in schema.tables.items()}
        schema.fks = [(new if s == table else s, c, new if r == table else r) for s, c, r in schema.fks]
        schema.indexes = {n: (new if t == table else t, cols) for n, (t, cols) in schema.indexes.items()}
        schema.checks = {n: (new if t == table else t, c) for n, (t, c) in schema.checks.items()}
        for t in schema.tables.values():  # FK fields name their target table: a writer's model follows the rename
            t.columns = {c: (FieldDef(f.cls, (new,), f.options) if f.cls in ("ForeignKeyField", "OneToOneField")
                             and f.args[0] == table else f) for c, f in t.columns.items()}
        return OpDef("RenameTable", (("old_name", table), ("new_name", new)))
    if kind == "DropTable" and not schema.referenced(table):
        del schema.tables[table]
        schema.fks = [fk for fk in schema.fks if fk[0] != table]
        schema.indexes = {n: v for n, v in schema.indexes.items() if v[0] != table}
        schema.checks = {n: v for n, v in schema.checks.items() if v[0] != table}
        return OpDef("DropTable", (("name", table),))
    if kind == "AddIndex":
        index = draw(_index_def(schema, table))
        if index is None:
            return None
        schema.indexes[index.name] = (table, index.columns)
        return OpDef("AddIndex", (("index", index),))
    if kind == "RemoveIndex":
        mine = [n for n, (t, _) in schema.indexes.items() if t == table]
        if not mine:
            return None
        name = draw(st.sampled_from(mine))
        del schema.indexes[name]
        return OpDef("RemoveIndex", (("name", name), ("table", table)))
    if kind == "RunSQL":
        return draw(_run_sql(schema, table))
    if kind == "AddConstraint":
        return draw(_check_constraint(schema, table, plain))
    if kind == "RemoveConstraint":
        mine = [n for n, (t, _) in schema.checks.items() if t == table]
        if mine and draw(st.integers(0, 3)):
            name = draw(st.sampled_from(mine))
            del schema.checks[name]
        else:  # one that does not exist (never added, or dropped with its column): a no-op with if_exists
            name = _fresh(draw, _constraint_names(schema), _CHECK_NAMES)
            if name is None:
                return None
        return OpDef("RemoveConstraint", (("table", table), ("name", name)))
    if kind == "CreateManyToManyTable":
        target = draw(st.sampled_from(tables))
        field_name = draw(st.one_of(safe_identifiers(), hostile_identifiers()))
        junction = f"{table}_{field_name}"
        if pg_truncate(junction) in schema.stored():
            return None
        schema.tables[junction] = _Table({"source_id": FieldDef("UUIDField"), "target_id": FieldDef("UUIDField")},
                                         junction=True)
        schema.fks += [(junction, "source_id", table), (junction, "target_id", target)]
        return OpDef("CreateManyToManyTable", (("source_table", table), ("target_table", target),
                                               ("field_name", field_name)))
    return None


_CHECK_NAMES = st.one_of(safe_identifiers(), hostile_identifiers()).map(lambda name: "ck_" + name)


def _constraint_names(schema: _Schema) -> set[str]:
    """Names a new CHECK constraint must avoid: every constraint and relation name the writer knows of."""
    return schema.stored() | {pg_truncate(n) for n in schema.checks}


@st.composite
def _check_constraint(draw, schema: _Schema, table: str, columns: list[str]) -> OpDef | None:
    """An ``AddConstraint`` with a CHECK every row satisfies, on a column or on a quoted hostile literal."""
    name = _fresh(draw, _constraint_names(schema), _CHECK_NAMES)
    if name is None:
        return None
    column = draw(st.sampled_from(columns)) if columns and draw(st.booleans()) else None
    if column is not None:
        sql = f"CHECK ({quote_ident(column)} IS NULL OR {quote_ident(column)} IS NOT NULL)"
    else:
        sql = f"CHECK (length({quote_literal(draw(hostile_defaults(FieldSpec('x', 'Text'))))}) >= 0)"
    if not _safe_sql(sql):
        return None
    schema.checks[name] = (table, column)
    return OpDef("AddConstraint", (("table", table), ("name", name), ("constraint_sql", sql)))


@st.composite
def _run_sql(draw, schema: _Schema, table: str) -> OpDef | None:
    """A RunSQL with its reverse, quoting names and literals as a careful writer does."""
    model = schema.tables[table]
    if draw(st.booleans()):
        column = _fresh(draw, _column_names(model) | {"id"})
        if column is None:
            return None
        default = draw(hostile_defaults(FieldSpec("x", "Text")))
        sql = (f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(column)} TEXT "
               f"DEFAULT {quote_literal(default)}")
        reverse = f"ALTER TABLE {quote_ident(table)} DROP COLUMN {quote_ident(column)}"
        if not _safe_sql(sql, reverse):
            return None
        f = FieldDef("TextField", (), (("nullable", True), ("default", default)))
        model.columns[column] = f
        effect = OpDef("AddField", (("table", table), ("name", column), ("field", f)))
    else:
        index = draw(_index_def(schema, table))
        if index is None:
            return None
        index = IndexDef(index.name, index.table, index.columns, index.unique)
        cols = ", ".join(quote_ident(c) for c in index.columns)
        sql = (f"CREATE {'UNIQUE ' if index.unique else ''}INDEX {quote_ident(index.name)} "
               f"ON {quote_ident(table)} ({cols})")
        reverse = f"DROP INDEX {quote_ident(index.name)}"
        if not _safe_sql(sql, reverse):
            return None
        schema.indexes[index.name] = (table, index.columns)
        effect = OpDef("AddIndex", (("index", index),))
    return OpDef("RunSQL", (("sql", sql), ("reverse_sql", reverse)), effect=effect)


@st.composite
def hand_migrations(draw, max_migrations: int = 3, max_operations: int = 4) -> HandMigrations:
    """One to ``max_migrations`` hand-written migrations; the first creates a table."""
    schema = _Schema()
    migrations = []
    for n in range(draw(st.integers(1, max_migrations))):
        ops: list[OpDef] = []
        if n == 0:
            first = draw(_create_table(schema))
            if first is not None:
                ops.append(first)
        for _ in range(draw(st.integers(0 if n == 0 else 1, max_operations))):
            op = draw(_operation(schema))
            if op is not None:
                ops.append(op)
        if ops:
            migrations.append(tuple(ops))
    return HandMigrations(tuple(migrations))
