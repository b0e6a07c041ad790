"""Migration property bodies: one history or one ``RunSQL`` spelling in, findings out (with their input).

The area: :mod:`strategies.models`, :mod:`strategies.handwritten` and :mod:`strategies.raw_sql` generate,
:mod:`strategies.migrations` turns specs into model classes (isolated registry) and reproducer source;
:mod:`targets.migration_ddl` records and parses the DDL, :mod:`targets.pg_catalog` reads the catalog back
and keeps the canary; :mod:`fuzz.oracles.migrations` holds the checks, with what the catalog must hold in
:mod:`fuzz.oracles.migrations_expected` and :mod:`fuzz.oracles.migrations_handwritten`;
:mod:`fuzz.properties.migrations_lab` runs the round trips on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from fuzz.findings import Finding, replayable
from fuzz.oracles.migrations import Context, check_guardrail
from fuzz.oracles.migrations_executor import check_graph_heads, check_graph_order
from fuzz.properties.migrations_executor import observe_graph, run_executor
from strategies.handwritten import HandMigrations
from strategies.migration_plans import ExecutorPlan, GraphSpec
from strategies.models import SchemaHistory
from strategies.raw_sql import RawStatement


@replayable("migrations", env=("lab",))
def round_trip_case(lab: Any, history: SchemaHistory) -> list[Finding]:
    """``history`` survives generate -> apply -> catalog -> detect again -> reverse on the real PostgreSQL."""
    return lab.run(history)


@replayable("migrations", env=("lab",))
def handwritten_case(lab: Any, migrations: HandMigrations) -> list[Finding]:
    """Hand-written ``migrations`` apply, leave the catalog their operations describe, and reverse."""
    return lab.run_handwritten(migrations)


@replayable("migrations", env=("lab",))
def guardrail_case(lab: Any, item: RawStatement) -> list[Finding]:
    """This spelling of a blocked statement is blocked by ``RunSQL`` as its canonical spelling is."""
    outcome = lab.guardrail(item.statement, item.sql, item.canonical)
    ctx = Context(change="guardrail", reproducer=lambda: (
        "import asyncio, asyncpg\nfrom aksara.migrations.operations import RunSQL\n"
        f"op = RunSQL({item.sql!r})\nprint(op.dangerous)  # False: apply() runs it without "
        "AKSARA_ALLOW_DANGEROUS_MIGRATIONS\n"))
    return check_guardrail(outcome, ctx)


@replayable("migrations", env=("lab",))
def executor_case(lab: Any, plan: ExecutorPlan) -> list[Finding]:
    """Aksara's executor over ``plan``'s migration files leaves, after every stage, what applying them directly
    leaves (:mod:`fuzz.properties.migrations_executor`)."""
    return run_executor(lab, plan)


@replayable("migrations", env=("lab",))
def graph_case(lab: Any, spec: GraphSpec) -> list[Finding]:
    """Aksara's graph of ``spec``'s files orders them by their dependencies, names heads, roots and conflicts,
    and refuses a cycle clearly (``lab`` is unused: the graph needs no database)."""
    ctx = Context(change="graph")
    observation = observe_graph(spec)
    return check_graph_order(spec, observation, ctx) + check_graph_heads(spec, observation, ctx)
