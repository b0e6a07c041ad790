"""Aksara model definitions and sequences of model changes, as plain data.

A :class:`SchemaSpec` describes the models of one app state (class name, ``Meta.table_name``, fields with
their options and hostile defaults, relations by model index); :func:`schema_histories` yields a first state
plus a sequence of changes (add, remove, alter and rename field; rename table; add and drop model).
``strategies.migrations`` turns a spec into real model classes.

Hostile classes reached:

- identifiers: every class of :mod:`strategies.identifiers` as table names, field names (Python names and
  names only a dynamically built model can carry), FK column names; names colliding after truncation or case
  folding (``collision`` changes), a field named like an FK's column (``fk_column_collision``);
- defaults of every field type: quotes, backslashes, dollar quoting, comment and injection payloads in
  strings; int16/int32/int64 edges and values out of the column's range; NaN, +/-Infinity, -0.0, subnormal
  and huge floats; decimals at their precision limit and Decimal NaN; date/time extremes; UUIDs; JSON with
  quotes, unicode and nesting; arrays of hostile strings and integer edges;
- options: nullable, unique, db_index; relations: ForeignKey (with on_delete), OneToOne, ManyToMany,
  self references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from strategies.identifiers import (
    IDENTIFIER_SWEEP,
    case_fold_pairs,
    hostile_identifiers,
    python_identifiers,
    truncation_collision_pairs,
)
from targets.base import INTEGER_BOUNDS
from targets.pg_identifiers import CANARY_TABLE

NO_DEFAULT = None  # Aksara reads default=None as "no default"

SCALAR_KINDS = (
    "String", "Text", "Integer", "BigInteger", "SmallInteger", "Boolean", "Float", "Decimal", "Date",
    "DateTime", "Time", "UUID", "JSON", "ArrayText", "ArrayInt", "Email", "URL", "Slug",
)
RELATION_KINDS = ("ForeignKey", "OneToOne", "ManyToMany")
ON_DELETE = ("CASCADE", "SET NULL", "RESTRICT", "PROTECT", "NO ACTION")

#: spec kind -> its integer range (the widths of :data:`targets.base.INTEGER_BOUNDS`)
INT_RANGES = {kind: (-INTEGER_BOUNDS[width], INTEGER_BOUNDS[width] - 1) for kind, width in (
    ("SmallInteger", "smallint"), ("Integer", "integer"), ("ArrayInt", "integer"), ("BigInteger", "bigint"))}

HOSTILE_TEXT = (
    "'", "''", "\\", "\\'", "'\\", "$$", "$x$ $x$", "$$;$$", ";", "--", "/* */", '"', '\\"', "%s", "{}",
    "\n", "\t", "é日😀", "NULL", "DEFAULT", "E'\\x41'", "0", "true",
    f"'); DROP TABLE {CANARY_TABLE}; --",
    f"$$); DROP TABLE {CANARY_TABLE}; --",
    "' || pg_sleep(0) || '",
)


@dataclass(frozen=True)
class FieldSpec:
    """One declared field. ``default`` None means no default; ``target`` is a model index for relations."""

    name: str
    kind: str
    nullable: bool = False
    unique: bool = False
    db_index: bool = False
    default: Any = NO_DEFAULT
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    target: int | None = None
    column_name: str | None = None
    on_delete: str = "CASCADE"


@dataclass(frozen=True)
class ModelSpec:
    class_name: str
    table_name: str | None
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class SchemaSpec:
    models: tuple[ModelSpec, ...]


@dataclass(frozen=True)
class SchemaHistory:
    """A first schema and the states after each change; ``changes[i]`` led to ``states[i + 1]``."""

    states: tuple[SchemaSpec, ...]
    changes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- defaults

def _text(max_size: int | None = None) -> st.SearchStrategy[str]:
    chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    plain = st.text(chars, max_size=20 if max_size is None else min(max_size, 20))
    hostile = st.lists(st.sampled_from(HOSTILE_TEXT), min_size=1, max_size=3).map("".join)
    strategy = st.one_of(hostile, plain)
    if max_size is not None:
        strategy = strategy.filter(lambda s: len(s) <= max_size)
    return strategy


def _ints(kind: str) -> st.SearchStrategy[int]:
    low, high = INT_RANGES[kind]
    edges = st.sampled_from((low, high, -1, 0, 1))
    return st.one_of(edges, st.integers(low, high))


def out_of_range_ints(kind: str) -> st.SearchStrategy[int]:
    """Integers just outside (or far outside) the column type's range."""
    low, high = INT_RANGES[kind]
    return st.sampled_from((low - 1, high + 1, 10**30, -(10**30)))


def _floats() -> st.SearchStrategy[float]:
    edges = st.sampled_from((math.nan, math.inf, -math.inf, -0.0, 1e308, -1e308, 5e-324, 0.1))
    return st.one_of(edges, st.floats(allow_nan=True, allow_infinity=True))


def _decimals(max_digits: int, places: int) -> st.SearchStrategy[Decimal]:
    whole = max_digits - places
    largest = Decimal(10) ** whole - Decimal(1).scaleb(-places)
    at_precision = st.sampled_from((largest, -largest, Decimal(0).scaleb(-places), Decimal("NaN")))
    inside = st.decimals(min_value=-largest, max_value=largest, places=places, allow_nan=False,
                         allow_infinity=False)
    return st.one_of(at_precision, inside)


def _json() -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False),
                       _text())
    tree = st.recursive(leaves, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(_text(), c, max_size=3)),
                        max_leaves=6)
    return st.one_of(st.dictionaries(_text(), tree, min_size=1, max_size=3), st.lists(tree, min_size=0, max_size=3),
                     leaves)


def hostile_defaults(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """A hostile but well-typed default for ``spec`` (strings fit max_length, numbers fit the type)."""
    kind = spec.kind
    if kind in ("String", "Slug"):
        return _text(spec.max_length or 50)
    if kind == "Text":
        return _text()
    if kind == "Email":
        return st.sampled_from(("o'neil@example.com", "a\\b@example.com", "x$$y@example.com"))
    if kind == "URL":
        return st.sampled_from(("https://example.com/?q='x'&a=$$", "https://example.com/\\path", "http://é.example/"))
    if kind in INT_RANGES and kind != "ArrayInt":
        return st.one_of(_ints(kind), out_of_range_ints(kind))
    if kind == "Boolean":
        return st.booleans()
    if kind == "Float":
        return _floats()
    if kind == "Decimal":
        return _decimals(spec.max_digits or 10, spec.decimal_places if spec.decimal_places is not None else 2)
    if kind == "Date":
        return st.dates()
    if kind == "DateTime":
        return st.datetimes(timezones=st.just(timezone.utc))
    if kind == "Time":
        return st.times()
    if kind == "UUID":
        return st.uuids()
    if kind == "JSON":
        return _json()
    if kind == "ArrayText":
        return st.lists(_text(), max_size=3)
    if kind == "ArrayInt":
        return st.lists(_ints("ArrayInt"), max_size=3)
    return st.none()


# --------------------------------------------------------------------------- fields and models

def field_names() -> st.SearchStrategy[str]:
    """Python attribute names most of the time, any hostile string (dynamic models) otherwise."""
    return st.one_of(python_identifiers(), hostile_identifiers())


@st.composite
def scalar_fields(draw, name: str | None = None) -> FieldSpec:
    kind = draw(st.sampled_from(SCALAR_KINDS))
    spec = FieldSpec(
        name=name if name is not None else draw(field_names()),
        kind=kind,
        nullable=draw(st.booleans()),
        unique=draw(st.booleans()),
        db_index=draw(st.booleans()),
    )
    if kind == "String":
        spec = replace(spec, max_length=draw(st.sampled_from((1, 5, 64, 255))))
    if kind == "Decimal":
        digits = draw(st.integers(1, 20))
        spec = replace(spec, max_digits=digits, decimal_places=draw(st.integers(0, digits)))
    if draw(st.booleans()):
        spec = replace(spec, default=draw(hostile_defaults(spec)))
    return spec


@st.composite
def relation_fields(draw, n_models: int, name: str | None = None) -> FieldSpec:
    kind = draw(st.sampled_from(RELATION_KINDS))
    nullable = draw(st.booleans())
    return FieldSpec(
        name=name if name is not None else draw(field_names()),
        kind=kind,
        nullable=nullable,
        target=draw(st.integers(0, n_models - 1)),
        column_name=draw(st.one_of(st.none(), hostile_identifiers())) if kind != "ManyToMany" else None,
        on_delete=draw(st.sampled_from(ON_DELETE)) if kind != "ManyToMany" else "CASCADE",
    )


@st.composite
def model_specs(draw, index: int, n_models: int) -> ModelSpec:
    fields: list[FieldSpec] = []
    names: set[str] = set()
    n_scalar = draw(st.integers(1, 3))
    n_rel = draw(st.integers(0, 2))
    shape = draw(st.sampled_from(("plain", "plain", "truncation_collision", "case_collision", "fk_column_collision")))
    if shape == "truncation_collision":
        for name in draw(truncation_collision_pairs()):
            fields.append(draw(scalar_fields(name=name)))
    elif shape == "case_collision":
        for name in draw(case_fold_pairs()):
            fields.append(draw(scalar_fields(name=name)))
    names.update(f.name for f in fields)
    for _ in range(n_scalar):
        spec = draw(scalar_fields())
        if spec.name not in names and spec.name not in ("id", "created_at", "updated_at"):
            fields.append(spec)
            names.add(spec.name)
    for _ in range(n_rel):
        spec = draw(relation_fields(n_models))
        if spec.name not in names and spec.name not in ("id", "created_at", "updated_at"):
            fields.append(spec)
            names.add(spec.name)
    if shape == "fk_column_collision":
        fk = next((f for f in fields if f.kind in ("ForeignKey", "OneToOne")), None)
        if fk is not None:
            clash = fk.column_name or f"{fk.name}_id"
            if clash not in names:
                fields.append(draw(scalar_fields(name=clash)))
    table = draw(st.one_of(st.none(), hostile_identifiers()))
    return ModelSpec(class_name=f"FuzzModel{index}", table_name=table, fields=tuple(fields))


@st.composite
def schemas(draw, max_models: int = 3) -> SchemaSpec:
    """One app state: 1..max_models models, hostile names, defaults, options and relations."""
    n = draw(st.integers(1, max_models))
    models = [draw(model_specs(i, n)) for i in range(n)]
    if n > 1 and draw(st.integers(0, 4)) == 0:
        first, second = draw(st.one_of(truncation_collision_pairs(), case_fold_pairs()))
        models[0] = replace(models[0], table_name=first)
        models[1] = replace(models[1], table_name=second)
    return SchemaSpec(tuple(models))


def identifier_sweep() -> list[SchemaHistory]:
    """One schema per identifier class (:data:`strategies.identifiers.IDENTIFIER_SWEEP`): its name as a table, as a
    unique indexed column with a quote in a sibling's default, and as a foreign key's column; the sweep every
    seed runs before random histories."""
    histories = []
    for _, name in IDENTIFIER_SWEEP:
        owner = ModelSpec("FuzzModel0", name, (
            FieldSpec(name, "String", unique=True, db_index=True, max_length=64),
            FieldSpec("note", "Text", nullable=True, default="'"),
        ))
        child = ModelSpec("FuzzModel1", None, (
            FieldSpec("title", "Text"),
            FieldSpec("owner", "ForeignKey", nullable=True, target=0, column_name=name, on_delete="SET NULL"),
        ))
        histories.append(SchemaHistory((SchemaSpec((owner, child)),)))
    return histories


# --------------------------------------------------------------------------- changes

def _drop_model(schema: SchemaSpec, index: int) -> SchemaSpec:
    """Remove model ``index`` and every relation pointing at it; shift later targets down."""
    models = []
    for i, model in enumerate(schema.models):
        if i == index:
            continue
        kept = []
        for f in model.fields:
            if f.target is None:
                kept.append(f)
            elif f.target != index:
                kept.append(replace(f, target=f.target - (1 if f.target > index else 0)))
        models.append(replace(model, fields=tuple(kept)))
    return SchemaSpec(tuple(models))


@st.composite
def changed_schema(draw, schema: SchemaSpec) -> tuple[str, SchemaSpec]:
    """One change applied to ``schema``: returns (description, new schema)."""
    models = list(schema.models)
    i = draw(st.integers(0, len(models) - 1))
    model = models[i]
    kinds = ["add_field", "rename_table", "add_model"]
    if model.fields:
        kinds += ["remove_field", "alter_field", "rename_field"]
    if len(models) > 1:
        kinds.append("drop_model")
    change = draw(st.sampled_from(kinds))
    names = {f.name for f in model.fields}
    if change == "add_field":
        new = draw(st.one_of(scalar_fields(), relation_fields(len(models))))
        if new.name in names or new.name in ("id", "created_at", "updated_at"):
            return "noop", schema
        models[i] = replace(model, fields=model.fields + (new,))
        return f"add_field {model.class_name}.{new.name!r} {new.kind}", SchemaSpec(tuple(models))
    if change == "rename_table":
        table = draw(hostile_identifiers())
        models[i] = replace(model, table_name=table)
        return f"rename_table {model.class_name} -> {table!r}", SchemaSpec(tuple(models))
    if change == "add_model":
        next_index = 1 + max(int(m.class_name.removeprefix("FuzzModel")) for m in models)
        new_model = draw(model_specs(next_index, len(models) + 1))
        return f"add_model {new_model.class_name}", SchemaSpec(tuple(models) + (new_model,))
    if change == "drop_model":
        return f"drop_model {model.class_name}", _drop_model(schema, i)
    j = draw(st.integers(0, len(model.fields) - 1))
    old = model.fields[j]
    fields = list(model.fields)
    if change == "remove_field":
        del fields[j]
    elif change == "rename_field":
        name = draw(field_names())
        if name in names or name in ("id", "created_at", "updated_at"):
            return "noop", schema
        fields[j] = replace(old, name=name)
    else:  # alter_field: nullability, uniqueness, index, default or the whole type
        what = draw(st.sampled_from(("nullable", "unique", "db_index", "default", "type")))
        if what == "type" or old.kind in RELATION_KINDS:
            fields[j] = draw(scalar_fields(name=old.name))
        elif what == "default":
            fields[j] = replace(old, default=draw(st.one_of(st.none(), hostile_defaults(old))))
        else:
            fields[j] = replace(old, **{what: not getattr(old, what)})
        change = f"alter_field({what})"
    models[i] = replace(model, fields=tuple(fields))
    return f"{change} {model.class_name}.{old.name!r}", SchemaSpec(tuple(models))


@st.composite
def schema_histories(draw, max_changes: int = 2, max_models: int = 3, min_changes: int = 0) -> SchemaHistory:
    """A first schema followed by ``min_changes`` to ``max_changes`` changes (fewer when a change is a no-op)."""
    states = [draw(schemas(max_models))]
    changes: list[str] = []
    for _ in range(draw(st.integers(min_changes, max_changes))):
        description, state = draw(changed_schema(states[-1]))
        if description == "noop":
            continue
        changes.append(description)
        states.append(state)
    return SchemaHistory(tuple(states), tuple(changes))
