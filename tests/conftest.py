"""Two kinds of self-test, told apart by the ``live`` marker (as Hypothesis' own tests split cover/nocover).

- *Pure* tests need neither PostgreSQL nor an app: strategies reach their corners, oracles judge values,
  the ledger, the catalogue, the reports. ``pytest tests/ -m "not live"`` runs only these (fast).
- *Live* tests start something: PostgreSQL and a planted-fault app (any test whose fixtures reach
  :data:`LIVE_FIXTURES`, marked here automatically), or the suite itself in a subprocess (marked
  ``@pytest.mark.live`` by hand, next to the ``run_pytest`` call).
"""

from __future__ import annotations

from pathlib import Path

import pytest

LIVE_FIXTURES = frozenset({"pg_server", "live_target", "redis_url"})
TESTS_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: starts PostgreSQL and an app, a server, or the suite in a subprocess "
                                       "(deselect with -m 'not live')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if TESTS_DIR in Path(item.path).resolve().parents and LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)
