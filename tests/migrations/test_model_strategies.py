"""The model-definition strategies reach every hostile class, and specs build into real models."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import Phase, find, given, settings
from aksara.registry import ModelRegistry

from strategies.migrations import build_models, isolated_registry, reproducer_source
from strategies.identifiers import identifier_classes
from targets.pg_identifiers import pg_truncate
from strategies.models import (
    INT_RANGES,
    RELATION_KINDS,
    SCALAR_KINDS,
    FieldSpec,
    ModelSpec,
    SchemaSpec,
    _drop_model,
    changed_schema,
    hostile_defaults,
    model_specs,
    relation_fields,
    scalar_fields,
    schemas,
)

# Reaching a class is the point, not the minimal example: no shrinking.
FIND = settings(max_examples=1000, database=None, phases=[Phase.generate], derandomize=True)
TWO_MODELS = SchemaSpec((
    ModelSpec("FuzzModel0", None, (FieldSpec("a", "Integer"), FieldSpec("b", "Text"))),
    ModelSpec("FuzzModel1", "t", (FieldSpec("r", "ForeignKey", target=0),)),
))


@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_every_scalar_kind_is_generated(kind):
    assert find(scalar_fields(), lambda f: f.kind == kind, settings=FIND).kind == kind


@pytest.mark.parametrize("kind", RELATION_KINDS)
def test_every_relation_kind_is_generated(kind):
    assert find(relation_fields(3), lambda f: f.kind == kind, settings=FIND).kind == kind


def _out_of_range(kind: str, value) -> bool:
    low, high = INT_RANGES[kind]
    return not low <= value <= high


@pytest.mark.parametrize("spec,predicate", [
    (FieldSpec("f", "Float"), lambda v: math.isnan(v)),
    (FieldSpec("f", "Float"), lambda v: math.isinf(v) and v < 0),
    (FieldSpec("f", "Float"), lambda v: v != 0 and abs(v) < 1e-300),
    (FieldSpec("d", "Decimal", max_digits=5, decimal_places=2), lambda v: v.is_nan()),
    (FieldSpec("d", "Decimal", max_digits=5, decimal_places=2), lambda v: v == Decimal("-999.99")),
    (FieldSpec("i", "SmallInteger"), lambda v: _out_of_range("SmallInteger", v)),
    (FieldSpec("i", "Integer"), lambda v: v == -(2**31)),
    (FieldSpec("i", "BigInteger"), lambda v: v == 2**63 - 1),
    (FieldSpec("s", "String", max_length=5), lambda v: "'" in v and "\\" in v and len(v) <= 5),
    (FieldSpec("s", "Text"), lambda v: "$$" in v),
    (FieldSpec("s", "Text"), lambda v: "aksara_fuzz_canary" in v),
    (FieldSpec("j", "JSON"), lambda v: isinstance(v, dict) and any("'" in k or '"' in k for k in v)),
    (FieldSpec("a", "ArrayText"), lambda v: any("'" in x for x in v)),
    (FieldSpec("a", "ArrayInt"), lambda v: -(2**31) in v),
    (FieldSpec("d", "Date"), lambda v: v.year < 100),
])
def test_hostile_defaults_are_generated(spec, predicate):
    find(hostile_defaults(spec), predicate, settings=FIND)


def test_hostile_fk_column_names_and_options_are_generated():
    find(relation_fields(2), lambda f: f.column_name is not None
         and identifier_classes(f.column_name) & {"double_quote", "single_quote"}, settings=FIND)
    find(relation_fields(2), lambda f: f.on_delete == "SET NULL" and not f.nullable, settings=FIND)
    find(scalar_fields(), lambda f: f.unique and f.db_index and f.nullable, settings=FIND)


def test_colliding_names_are_generated():
    def collides(model):
        stored = [pg_truncate(f.name) for f in model.fields]
        return len(stored) != len(set(stored))

    find(model_specs(0, 1), collides, settings=FIND)
    find(model_specs(0, 1), lambda m: any(f.name.lower() == g.name.lower() and f.name != g.name
                                          for f in m.fields for g in m.fields), settings=FIND)
    find(model_specs(0, 2), lambda m: any(f.kind == "ForeignKey" and f"{f.name}_id" in {g.name for g in m.fields}
                                          for f in m.fields), settings=FIND)


@pytest.mark.parametrize("change", ["add_field", "remove_field", "alter_field", "rename_field", "rename_table",
                                    "add_model", "drop_model"])
def test_every_change_kind_is_generated(change):
    description, _ = find(changed_schema(TWO_MODELS), lambda c: c[0].startswith(change), settings=FIND)
    assert description.startswith(change)


def test_drop_model_removes_relations_to_it():
    dropped = _drop_model(TWO_MODELS, 0)
    assert [m.class_name for m in dropped.models] == ["FuzzModel1"]
    assert dropped.models[0].fields == ()


@settings(max_examples=20, database=None)
@given(schemas())
def test_specs_build_into_models_and_the_registry_is_restored(schema):
    before = dict(ModelRegistry.all())
    with isolated_registry():
        try:
            models = build_models(schema)
        except ValueError:
            models = None  # Aksara refuses some definitions (e.g. SET NULL on a non-nullable FK)
        if models is not None:
            assert len(models) == len(schema.models)
            compile(reproducer_source([schema], "t"), "<reproducer>", "exec")
    assert dict(ModelRegistry.all()) == before
