"""Planted registration faults in Aksara's routing helpers (aksara.api.router): discovery keeps only the classes
defined in the scanned module (the routing guide: imported subclasses are included too), and
``include_app_viewsets`` registers the first class it finds only.

As a plugin (``-p tests.support.plants.discovery``) it plants :func:`plant` (imported classes dropped).
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara import api
from aksara.api import router

from tests.support.plants import plugin

_DISCOVER = router.discover_viewsets
_INCLUDE_APP = router.include_app_viewsets


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """``discover_viewsets`` drops every class whose ``__module__`` is not the scanned module."""
    def defined_here_only(module: Any) -> list:
        return [cls for cls in _DISCOVER(module) if cls.__module__ == module.__name__]

    monkeypatch.setattr(router, "discover_viewsets", defined_here_only)
    monkeypatch.setattr(api, "discover_viewsets", defined_here_only)


def plant_first_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``include_app_viewsets`` registers (and returns) the first class only."""
    def first_only(app: Any, app_label: str, module_name: str = "api") -> list:
        from importlib import import_module

        try:
            found = _DISCOVER(import_module(f"{app_label}.{module_name}"))[:1]
        except ModuleNotFoundError:
            return []
        for cls in found:
            router.include_viewset(app, cls)
        return found

    monkeypatch.setattr(router, "include_app_viewsets", first_only)
    monkeypatch.setattr(api, "include_app_viewsets", first_only)


pytest_configure, pytest_unconfigure = plugin(plant)
