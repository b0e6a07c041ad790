"""Turn a :class:`strategies.models.SchemaSpec` into real Aksara model classes, and back into source.

Aksara registers every model class in a process-wide registry. :func:`isolated_registry` snapshots its
contents, clears it for the generated models and restores the snapshot afterwards, so other modules' models
(the reference app's) are neither seen by the autodetector nor disturbed.
"""

from __future__ import annotations

import inspect
import math
from contextlib import contextmanager
from typing import Any, Iterator

from aksara import Model, fields
from aksara.registry import ModelRegistry

from strategies.models import FieldSpec, ModelSpec, SchemaHistory, SchemaSpec
from targets.pg_identifiers import CANARY_TABLE

MODULE = "fuzz_migrations_models"

_SCALAR = {
    "String": (fields.String, {}),
    "Text": (fields.Text, {}),
    "Integer": (fields.Integer, {}),
    "BigInteger": (fields.BigInteger, {}),
    "SmallInteger": (fields.SmallInteger, {}),
    "Boolean": (fields.Boolean, {}),
    "Float": (fields.Float, {}),
    "Decimal": (fields.Decimal, {}),
    "Date": (fields.Date, {}),
    "DateTime": (fields.DateTime, {}),
    "Time": (fields.Time, {}),
    "UUID": (fields.UUID, {}),
    "JSON": (fields.JSON, {}),
    "ArrayText": (fields.Array, {"item_type": str}),
    "ArrayInt": (fields.Array, {"item_type": int}),
    "Email": (fields.Email, {}),
    "URL": (fields.URL, {}),
    "Slug": (fields.Slug, {}),
}


@contextmanager
def isolated_registry() -> Iterator[None]:
    """Run with an empty model registry; restore the previous contents (same mapping object) afterwards."""
    saved = dict(ModelRegistry._models)
    version = ModelRegistry._version
    ModelRegistry.clear()
    try:
        yield
    finally:
        ModelRegistry._models.clear()
        ModelRegistry._models.update(saved)
        ModelRegistry._version = version


def _accepted(cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(cls.__init__).parameters
    return {k: v for k, v in kwargs.items() if k in params}


def field_kwargs(spec: FieldSpec) -> tuple[type, dict[str, Any]]:
    """The field class and constructor keyword arguments for ``spec`` (only those the class accepts)."""
    if spec.kind in ("ForeignKey", "OneToOne"):
        cls = fields.ForeignKey if spec.kind == "ForeignKey" else fields.OneToOne
        kwargs = {"nullable": spec.nullable, "on_delete": spec.on_delete}
        if spec.column_name is not None:
            kwargs["column_name"] = spec.column_name
        return cls, kwargs
    if spec.kind == "ManyToMany":
        return fields.ManyToMany, {}
    cls, fixed = _SCALAR[spec.kind]
    kwargs = dict(fixed)
    kwargs.update(nullable=spec.nullable, unique=spec.unique, db_index=spec.db_index, default=spec.default)
    if spec.max_length is not None:
        kwargs["max_length"] = spec.max_length
    if spec.max_digits is not None:
        kwargs.update(max_digits=spec.max_digits, decimal_places=spec.decimal_places)
    return cls, _accepted(cls, kwargs)


def build_models(schema: SchemaSpec) -> dict[str, type]:
    """Create the model classes of ``schema`` in the (isolated) registry; return name -> class."""
    names = [m.class_name for m in schema.models]
    for model in schema.models:
        namespace: dict[str, Any] = {"__module__": MODULE, "__qualname__": model.class_name}
        if model.table_name is not None:
            namespace["Meta"] = type("Meta", (), {"table_name": model.table_name})
        for spec in model.fields:
            cls, kwargs = field_kwargs(spec)
            if spec.target is not None:
                namespace[spec.name] = cls(names[spec.target], **kwargs)
            else:
                namespace[spec.name] = cls(**kwargs)
        type(model.class_name, (Model,), namespace)
    return dict(ModelRegistry.all())


# --------------------------------------------------------------------------- reproducer source

def py_literal(value: Any) -> str:
    """Python source for ``value`` that evaluates back to it (floats, decimals, dates, UUIDs included)."""
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
    if type(value).__module__ == "datetime":
        return repr(value)  # datetime.date(...), datetime.datetime(..., tzinfo=datetime.timezone.utc)
    if type(value).__name__ == "Decimal":
        return f"decimal.Decimal({str(value)!r})"
    if type(value).__name__ == "UUID":
        return f"uuid.UUID({str(value)!r})"
    return repr(value)


def _class_default(cls: type, key: str) -> Any:
    """The default of ``cls``'s keyword ``key`` (``inspect.Parameter.empty`` when it has none)."""
    param = inspect.signature(cls.__init__).parameters.get(key)
    return param.default if param is not None else inspect.Parameter.empty


def _field_source(spec: FieldSpec, names: list[str]) -> str:
    cls, kwargs = field_kwargs(spec)
    args = [repr(names[spec.target])] if spec.target is not None else []
    for key, value in kwargs.items():
        if key == "item_type":
            args.append(f"item_type={value.__name__}")
        elif key in ("nullable", "unique", "db_index", "default") and _class_default(cls, key) == value and (
                value is None or isinstance(value, bool)):
            continue  # the class's own default: the reproducer says only what the fuzzed model changed
        else:
            args.append(f"{key}={py_literal(value)}")
    return f"fields.{cls.__name__}({', '.join(args)})"


def model_source(model: ModelSpec, names: list[str]) -> str:
    lines = [f"type({model.class_name!r}, (Model,), {{", f"    '__module__': {MODULE!r},"]
    if model.table_name is not None:
        lines.append(f"    'Meta': type('Meta', (), {{'table_name': {model.table_name!r}}}),")
    for spec in model.fields:
        lines.append(f"    {spec.name!r}: {_field_source(spec, names)},")
    lines.append("})")
    return "\n".join(lines)


def reproducer_source(states: list[SchemaSpec], note: str) -> str:
    """A standalone script that declares each state's models and prints the migrations Aksara generates."""
    parts = [
        f"# {note}",
        "import datetime, decimal, pathlib, tempfile, uuid",
        "from aksara import Model, fields",
        "from aksara.registry import ModelRegistry",
        "from aksara.migrations import detect_changes, discover_migrations",
        "from aksara.migrations.autodetector import operations_to_code",
        "from aksara.migrations.executor import create_migration_file",
        "",
        "migrations = pathlib.Path(tempfile.mkdtemp())",
    ]
    for n, state in enumerate(states):
        names = [m.class_name for m in state.models]
        parts.append("")
        parts.append(f"# state {n}")
        parts.append("ModelRegistry.clear()")
        parts.extend(model_source(m, names) for m in state.models)
        parts.append("diff, ops = detect_changes(discover_migrations(migrations), dict(ModelRegistry.all()))")
        parts.append("source = operations_to_code(ops)")
        parts.append("print(source)")
        parts.append(f"create_migration_file(migrations, 's{n:03d}', source)")
    return "\n".join(parts) + "\n"


# An FK column_name crafted for the unquoted FOREIGN KEY clause of AddField: no double quote, so the
# generated migration file loads and Aksara's own executor runs it.
_INJECTED_COLUMN = f"x FOREIGN KEY (id) REFERENCES victims(id); DROP TABLE {CANARY_TABLE}; --"
_VICTIMS = ModelSpec("FuzzModel0", "victims", (FieldSpec("name", "Text"),))
FK_COLUMN_INJECTION = SchemaHistory(
    (SchemaSpec((_VICTIMS,)),
     SchemaSpec((ModelSpec("FuzzModel0", "victims", _VICTIMS.fields + (
         FieldSpec("owner", "ForeignKey", nullable=True, target=0, column_name=_INJECTED_COLUMN,
                   on_delete="SET NULL"),)),))),
    ("add_field FuzzModel0.'owner' ForeignKey",),
)
