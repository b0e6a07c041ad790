"""Planted bulk fault: Aksara's batch validation checks only a batch's first item (later items' denied
fields go through)."""

from __future__ import annotations

import pytest
from aksara.security import enforcement

from tests.support.plants import plugin

_REAL = enforcement.validate_bulk_payload_policy


def _checks_the_first_item_only(*, payloads, **kwargs):
    return _REAL(payloads=list(payloads)[:1], **kwargs)


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(enforcement, "validate_bulk_payload_policy", _checks_the_first_item_only)


pytest_configure, pytest_unconfigure = plugin(plant)
