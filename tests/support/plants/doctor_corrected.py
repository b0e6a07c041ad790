"""The corrected doctor (tests/doctor/corrected_doctor.py) for a whole run: Aksara's doctor with its
known defects replaced, the clean build a doctor replay is judged on."""

from __future__ import annotations

import pytest

from tests.doctor import corrected_doctor
from tests.support.plants import plugin


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    corrected_doctor.install(monkeypatch)


pytest_configure, pytest_unconfigure = plugin(plant)
