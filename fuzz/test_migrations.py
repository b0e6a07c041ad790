"""Migrations: hostile identifiers and defaults, DDL round trip on the real PostgreSQL.

Properties (oracles in :mod:`fuzz.oracles.migrations`): generation rejects cleanly or yields loadable
source and parseable DDL; the DDL applies; the catalog holds exactly what the models declare; detection is
idempotent; reversal restores the catalog; no identifier or default escapes its quoting (canary); the
``RunSQL`` guardrail blocks every spelling of the statements it claims to block; hand-written operation
sequences pass the same apply, catalog, reverse and canary oracles; Aksara's executor over a history's files
(migrate, migrate again, pending, roll back, migrate the rest) converges to applying them directly; the
dependency graph orders files by their dependencies and refuses cycles clearly.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties.migrations_lab import MigrationLab
from fuzz.properties.migrations import (
    executor_case, graph_case, guardrail_case, handwritten_case, round_trip_case,
)
from strategies.handwritten import hand_migrations
from strategies.migrations import FK_COLUMN_INJECTION
from strategies.migration_plans import executor_plans, migration_graphs
from strategies.models import identifier_sweep, schema_histories
from strategies.raw_sql import dangerous_statements


@pytest.fixture(scope="session")
def migration_lab(pg_server):
    lab = MigrationLab.on_server(pg_server)
    yield lab
    if lab.timings:
        timings = sorted(lab.timings)
        print(f"\nmigration round trip: {len(timings)} examples, median {timings[len(timings) // 2] * 1000:.1f} ms, "
              f"max {timings[-1] * 1000:.1f} ms")
    lab.close()


def identifier_classes(test):
    """Run first, in every profile, one schema per identifier class (explicit examples, never shrunk)."""
    for history in reversed(identifier_sweep()):
        test = example(history=history)(test)
    return test


@judges(catalog.MIGRATIONS_GENERATION_VALID, catalog.MIGRATIONS_APPLY_SUCCEEDS, catalog.MIGRATIONS_CATALOG_MATCHES,
        catalog.MIGRATIONS_IDEMPOTENT, catalog.MIGRATIONS_REVERSE_RESTORES, catalog.MIGRATIONS_QUOTING_HOLDS)
@identifier_classes
@given(history=schema_histories())
@example(history=FK_COLUMN_INJECTION)
def test_migration_round_trip(migration_lab, history):
    """Model histories with hostile identifiers and defaults survive generate -> apply -> catalog -> reverse."""
    judge(round_trip_case(migration_lab, history))


@judges(catalog.MIGRATIONS_HANDWRITTEN_ROUND_TRIP,
        also=(catalog.MIGRATIONS_GENERATION_VALID, catalog.MIGRATIONS_APPLY_SUCCEEDS, catalog.MIGRATIONS_CATALOG_MATCHES,
              catalog.MIGRATIONS_REVERSE_RESTORES, catalog.MIGRATIONS_QUOTING_HOLDS))
@given(migrations=hand_migrations())
def test_handwritten_migrations(migration_lab, migrations):
    """Hand-written operation sequences apply, leave the schema their operations describe, and reverse."""
    judge(handwritten_case(migration_lab, migrations))


@judges(catalog.MIGRATIONS_GUARDRAIL_BLOCKS)
@given(item=dangerous_statements())
def test_run_sql_guardrail(migration_lab, item):
    """Every whitespace, comment, case or quoting spelling of a blocked statement is blocked."""
    judge(guardrail_case(migration_lab, item))


@judges(catalog.MIGRATIONS_EXECUTOR_CONVERGES)
@given(plan=executor_plans())
def test_executor_converges(migration_lab, plan):
    """Migrate to a step, again, roll back to an earlier one, migrate the rest: each leaves the direct state."""
    judge(executor_case(migration_lab, plan))


@judges(catalog.MIGRATIONS_GRAPH_ORDERS)
@given(spec=migration_graphs())
def test_graph_orders(migration_lab, spec):
    """Migration files of several apps are ordered by their dependencies; a cycle is refused with its name."""
    judge(graph_case(migration_lab, spec))
