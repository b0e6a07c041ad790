"""The migration reproducer declares the fuzzed model exactly: source evaluated back gives the same field."""

from __future__ import annotations

import pytest
from aksara import fields

from strategies.migrations import _SCALAR, FieldSpec, _field_source, field_kwargs


@pytest.mark.parametrize("kind", sorted(_SCALAR))
@pytest.mark.parametrize("nullable", [True, False])
def test_field_source_evaluates_to_the_field_it_describes(kind, nullable):
    spec = FieldSpec("a", kind, nullable=nullable, unique=not nullable)
    built = eval(_field_source(spec, []), {"fields": fields})  # noqa: S307 - our own generated source
    cls, kwargs = field_kwargs(spec)
    expected = cls(**kwargs)
    for attr in ("nullable", "unique", "db_index"):
        assert getattr(built, attr, None) == getattr(expected, attr, None), (kind, attr, _field_source(spec, []))
