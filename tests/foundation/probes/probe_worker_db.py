"""Run by tests/foundation/test_cli.py under ``-n 2``: each worker records its database."""

import os

import pytest


@pytest.mark.parametrize("n", range(4))
def test_record_database(live_target, n):
    name = live_target.run(live_target.db.conn.fetchval("SELECT current_database()"))
    rows = live_target.run(live_target.db.conn.fetchval("SELECT count(*) FROM tickets"))
    with open(os.environ["PROBE_OUT"], "a") as out:
        out.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {name} {rows}\n")
