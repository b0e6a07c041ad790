"""Planted mounting faults in ``aksara.app.Aksara``: a production app serves Studio whenever it is enabled
(``studio_expose_in_production`` ignored), or auto-mounts the admin outside debug.

As a plugin (``-p tests.support.plants.mounting``) it plants :func:`plant` (the Studio fault).
"""

from __future__ import annotations

from typing import Any

import pytest
from aksara.app import Aksara

from tests.support.plants import plugin


def plant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Studio mounts whenever ``enable_studio`` is set, in production too."""
    from aksara.conf import settings

    monkeypatch.setattr(Aksara, "_should_enable_studio", lambda self: bool(settings.enable_studio))


def plant_admin_outside_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin's auto-mount reads ``enable_admin is not False`` instead of also requiring debug mode."""
    real = Aksara._maybe_mount_admin

    def mounts_unless_refused(self: Any) -> None:
        if self.enable_admin is None:
            from aksara.contrib.admin import include_admin

            include_admin(self)
            return
        real(self)

    monkeypatch.setattr(Aksara, "_maybe_mount_admin", mounts_unless_refused)


pytest_configure, pytest_unconfigure = plugin(plant)
