"""Planted faults in Aksara's ``ModelSerializer`` API (aksara.api.serializers), one per clause of its contract.

As a plugin (``-p tests.support.plants.serializers``) it plants :func:`plant`: validation passes the values sent
for keys the input model omits (read-only and undeclared ones) into ``validated_data``.
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara.api import serializers as module

from tests.support.plants import plugin

ModelSerializer = module.ModelSerializer
_VALIDATE_SINGLE = ModelSerializer._validate_single
_VALIDATE_MANY = ModelSerializer._validate_many
_IS_VALID = ModelSerializer.is_valid
_SERIALIZE_MANY = module.serialize_many


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """``validated_data`` carries every key sent, the input model's omissions undone."""
    def passes_what_was_sent(self: Any, data: dict) -> dict:
        return {**data, **_VALIDATE_SINGLE(self, data)}

    monkeypatch.setattr(ModelSerializer, "_validate_single", passes_what_was_sent)


def plant_crash_on_unknown_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation looks every sent key up among the input model's fields: an unknown key raises KeyError."""
    def looks_keys_up(self: Any, data: dict) -> dict:
        for key in data:
            self._input_model.model_fields[key]  # noqa: B018 - the planted lookup
        return _VALIDATE_SINGLE(self, data)

    monkeypatch.setattr(ModelSerializer, "_validate_single", looks_keys_up)


def plant_errors_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused body's Pydantic errors are lost: ``errors`` is empty after ``is_valid()`` answered False."""
    monkeypatch.setattr(ModelSerializer, "_format_pydantic_errors", lambda self, error: {})


def plant_raise_exception_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """``is_valid(raise_exception=True)`` answers False instead of raising."""
    monkeypatch.setattr(ModelSerializer, "is_valid", lambda self, raise_exception=False: _IS_VALID(self, False))


def plant_many_checks_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """``many=True`` validates the first item and passes the others as sent."""
    def first_only(self: Any, data_list: list) -> list:
        if not isinstance(data_list, list):
            return _VALIDATE_MANY(self, data_list)
        head = _VALIDATE_MANY(self, list(data_list)[:1])
        return head + [dict(item) for item in list(data_list)[1:]]

    monkeypatch.setattr(ModelSerializer, "_validate_many", first_only)


def plant_one_object_is_many(monkeypatch: pytest.MonkeyPatch) -> None:
    """``many=True`` over one object validates it as a list of one, instead of refusing what is no list."""
    def wraps_an_object(self: Any, data: Any) -> list:
        return _VALIDATE_MANY(self, data if isinstance(data, list) else [data])

    monkeypatch.setattr(ModelSerializer, "_validate_many", wraps_an_object)


def plant_nothing_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """A serializer given no instance represents ``None`` instead of ``{}``."""
    real = ModelSerializer.to_representation

    def none_for_nothing(self: Any, instance: Any = None) -> Any:
        if instance is None and self.instance is None:
            return None
        return real(self, instance)

    monkeypatch.setattr(ModelSerializer, "to_representation", none_for_nothing)


def plant_fields_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The representation selects every model field, whatever ``Meta.fields`` says."""
    monkeypatch.setattr(ModelSerializer, "_get_field_names", classmethod(lambda cls: list(cls.Meta.model._fields)))


def plant_serialize_many_drops_the_last(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serialize_many`` leaves the last row out."""
    monkeypatch.setattr(module, "serialize_many", lambda rows, cls: _SERIALIZE_MANY(list(rows)[:-1], cls))


pytest_configure, pytest_unconfigure = plugin(plant)
