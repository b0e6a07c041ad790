"""Planted token fault: ``verify_agent_token`` accepts an expired agent token (its expiry check is lost)."""

from __future__ import annotations

import json

import pytest
from aksara.ai import auth

from tests.support.plants import plugin

_REAL = auth.verify_agent_token


def _ignores_expiry(token, secret, *args, **kwargs):
    try:
        return _REAL(token, secret, *args, **kwargs)
    except ValueError as exc:
        if "expired" not in str(exc):
            raise
        return json.loads(auth._b64_decode(token.split(".")[1]))  # signature already checked


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "verify_agent_token", _ignores_expiry)


pytest_configure, pytest_unconfigure = plugin(plant)
