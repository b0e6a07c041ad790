"""An app's database lifecycle: every way Aksara wires an app to PostgreSQL (its own lifespan, a wrapped
application lifespan, aksara.fastapi's create_lifespan with AksaraMiddleware, init_aksara) x every fault
(none, an unreachable database, the application's lifespan failing) x no or three concurrent requests x a pool of
one or three, each app started, used and stopped on a scratch database.

Properties (oracles in fuzz/oracles/lifecycle.py): ``lifecycle.pool_released`` and ``lifecycle.fails_fast``.
Target-independent: it builds its own apps.
"""

from __future__ import annotations

import pytest

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties.lifecycle import LifecycleLab, lifecycle_case
from strategies.lifecycle import lifecycle_cases


@pytest.fixture(scope="module")
def lifecycle_lab(pg_server):
    lab = LifecycleLab(pg_server)
    yield lab
    lab.close()


@judges(catalog.LIFECYCLE_POOL_RELEASED, catalog.LIFECYCLE_FAILS_FAST)
def test_lifecycle_sweep(lifecycle_lab):
    """The whole sweep: each case's findings are judged together (a known defect never hides a new one)."""
    judge([f for case in lifecycle_cases() for f in lifecycle_case(lifecycle_lab, case)])
