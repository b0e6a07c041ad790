"""Planted faults in Aksara's exception handlers (``Aksara._register_orm_exceptions``): a missing row answers 500,
and a unique-constraint conflict loses its ``code``.

As a plugin (``-p tests.support.plants.exceptions``) it plants :func:`plant` (DoesNotExist answers 500).
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara.app import Aksara
from starlette.responses import JSONResponse

from tests.support.plants import plugin

_REGISTER = Aksara._register_orm_exceptions


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """``DoesNotExist`` is answered 500 instead of 404."""
    def registers_a_500(self: Any) -> None:
        from aksara.manager import DoesNotExist

        _REGISTER(self)

        @self.exception_handler(DoesNotExist)
        async def missing_is_a_crash(request: Any, exc: Exception) -> JSONResponse:
            return JSONResponse(status_code=500, content={"detail": str(exc)})

    monkeypatch.setattr(Aksara, "_register_orm_exceptions", registers_a_500)


def plant_conflict_without_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """``UniqueConstraintError`` answers 409 with its detail and field, but no ``code``."""
    def registers_without_code(self: Any) -> None:
        from aksara.exceptions import UniqueConstraintError

        _REGISTER(self)

        @self.exception_handler(UniqueConstraintError)
        async def conflict(request: Any, exc: Any) -> JSONResponse:
            return JSONResponse(status_code=409, content={"detail": str(exc), "field": exc.field_name})

    monkeypatch.setattr(Aksara, "_register_orm_exceptions", registers_without_code)


pytest_configure, pytest_unconfigure = plugin(plant)
