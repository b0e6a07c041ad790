"""Planted doctor fault, on the corrected doctor: the cookie check passes whatever the settings."""

from __future__ import annotations

import pytest
from aksara.security import checks

from tests.doctor import corrected_doctor
from tests.support.plants import plugin


def _always_pass():
    return checks.SecurityCheckResult("security.cookies", "Cookie security", "info", "pass", "")


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    corrected_doctor.install(monkeypatch)
    monkeypatch.setattr(checks, "check_cookies", _always_pass)


pytest_configure, pytest_unconfigure = plugin(plant)
