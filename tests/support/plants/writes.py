"""Planted write fault: REST create/update let fields the principal may not write through (no 403)."""

from __future__ import annotations

import pytest
from aksara.api import viewsets
from aksara.security.exceptions import PolicyDenied

from tests.support.plants import plugin

_REAL = viewsets.enforce_request_payload_policy


def _lets_denied_fields_through(**kwargs):
    try:
        return _REAL(**kwargs)
    except PolicyDenied as exc:
        if exc.decision.denied_fields:
            return exc.decision  # the field-level denial is lost; the write goes on
        raise


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(viewsets, "enforce_request_payload_policy", _lets_denied_fields_through)


pytest_configure, pytest_unconfigure = plugin(plant)
