"""The executor and graph oracles catch faults planted in Aksara's real executor and graph, and stay quiet on
the unmodified code.

Faults are planted by monkeypatching ``aksara.migrations.executor`` / ``aksara.migrations.graph`` in place (a
migration record never written, a rollback that skips the latest migration, a record that is not removed, an
execution order that drops a file or ignores dependencies, a cycle that is ordered instead of refused); the
executor then runs on the real PostgreSQL over a generated history's migration files.
"""

from __future__ import annotations

import pytest
from aksara.migrations import executor as aksara_executor
from aksara.migrations import graph as aksara_graph

from fuzz.properties.migrations import executor_case, graph_case
from fuzz.properties.migrations_lab import MigrationLab
from strategies.migration_plans import ExecutorPlan, GraphNodeSpec, GraphSpec
from strategies.models import FieldSpec, ModelSpec, SchemaHistory, SchemaSpec


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = MigrationLab.on_server(pg_server)
    yield lab
    lab.close()


def model(index: int, *fields: FieldSpec, table: str) -> ModelSpec:
    return ModelSpec(f"FuzzModel{index}", table, tuple(fields))


AUTHORS = model(0, FieldSpec("title", "String", max_length=40, default="o'neil"), table="authors")
BOOKS = model(1, FieldSpec("writer", "ForeignKey", target=0, on_delete="RESTRICT"), table="books")
STATES = (
    SchemaSpec((AUTHORS,)),
    SchemaSpec((AUTHORS, BOOKS)),
    SchemaSpec((AUTHORS, model(1, *BOOKS.fields, FieldSpec("note", "Text", nullable=True), table="books"))),
    SchemaSpec((model(0, *AUTHORS.fields, FieldSpec("hits", "Integer", default=3), table="authors"),
                model(1, *BOOKS.fields, FieldSpec("note", "Text", nullable=True), table="books"))),
)
HISTORY = SchemaHistory(STATES, ("add_model", "add_field", "add_field"))


def plan(forward: int = 2, back: int = 0, sql: bool = False) -> ExecutorPlan:
    return ExecutorPlan(HISTORY, forward, back, sql)


def problems(findings) -> set[tuple[str, str]]:
    return {(f.facts.get("stage", ""), f.facts.get("problem", "")) for f in findings}


# ----------------------------------------------------------------------------- executor


@pytest.mark.parametrize("forward,back", [(0, -1), (2, 0), (3, 1), (3, 3), (1, -1)])
def test_executor_is_quiet_on_the_real_executor(lab, forward, back):
    findings = executor_case(lab, plan(forward, back))
    assert findings == [], [f.describe() for f in findings]


def test_legacy_sql_files_apply_as_their_python_twins(lab):
    findings = executor_case(lab, plan(3, 3, sql=True))
    assert problems(findings) <= {("pending", "error")}, [f.describe() for f in findings]  # AKSARA-MIGRATE-032


def test_legacy_sql_statement_split_wrongly_is_caught(lab, monkeypatch):
    real = aksara_executor._split_sql_statements
    monkeypatch.setattr(aksara_executor, "_split_sql_statements", lambda sql: real(sql)[:-1])
    findings = executor_case(lab, plan(3, 3, sql=True))
    assert ("migrate", "catalog") in problems(findings), [f.describe() for f in findings]


def test_record_not_written_is_caught(lab, monkeypatch):
    async def forgets(connection, name, checksum=None):
        return None

    monkeypatch.setattr(aksara_executor, "record_migration", forgets)
    findings = executor_case(lab, plan())
    assert ("migrate", "record") in problems(findings), [f.describe() for f in findings]


def test_record_of_one_migration_not_written_is_caught(lab, monkeypatch):
    real = aksara_executor.record_migration

    async def forgets_the_second(connection, name, checksum=None):
        if "_s001" not in name:
            await real(connection, name, checksum)

    monkeypatch.setattr(aksara_executor, "record_migration", forgets_the_second)
    findings = executor_case(lab, plan())
    assert ("migrate", "record") in problems(findings)


def test_rollback_skipping_the_latest_migration_is_caught(lab, monkeypatch):
    real = aksara_executor.get_applied_migrations

    async def all_but_latest(connection):
        return (await real(connection))[:-1]

    monkeypatch.setattr(aksara_executor, "get_applied_migrations", all_but_latest)
    findings = executor_case(lab, plan(2, 0))
    # the pending list reads the same record first: the skipped migration shows there, before the rollback
    assert {("pending", "pending"), ("rollback", "catalog"), ("rollback", "record")} & problems(findings)


def test_record_not_removed_by_rollback_is_caught(lab, monkeypatch):
    async def keeps(connection, name):
        return None

    monkeypatch.setattr(aksara_executor, "unrecord_migration", keeps)
    findings = executor_case(lab, plan(2, 0))
    assert ("rollback", "record") in problems(findings)


def test_executor_dropping_a_pending_file_is_caught(lab, monkeypatch):
    real = aksara_graph.MigrationGraph.execution_order

    def drops_last(self, app_label=None):
        return real(self, app_label)[:-1]

    monkeypatch.setattr(aksara_graph.MigrationGraph, "execution_order", drops_last)
    findings = executor_case(lab, plan(2, 0))
    assert {("migrate", "report"), ("migrate", "record"), ("migrate", "catalog")} <= problems(findings)


def test_rerun_that_applies_again_is_caught(lab, monkeypatch):
    monkeypatch.setattr(aksara_executor, "get_pending_migrations", lambda all_migrations, applied: list(all_migrations))
    findings = executor_case(lab, plan(1, 0))
    assert {("remigrate", "error"), ("remigrate", "report"), ("pending", "pending")} & problems(findings)


# ----------------------------------------------------------------------------- graph

CHAIN = GraphSpec((
    GraphNodeSpec("blog", "0002_first"),
    GraphNodeSpec("blog", "0001_second", (0,)),
    GraphNodeSpec("shop", "0000_third", (1,)),
    GraphNodeSpec("shop", "0003_fourth", (2,)),
))
FORK = GraphSpec(CHAIN.nodes + (GraphNodeSpec("blog", "0004_branch", (0,)),))
CYCLE = GraphSpec(CHAIN.nodes, cycle=(0, 3))


def graph_problems(spec: GraphSpec) -> set[str]:
    return {f.facts.get("problem", "") for f in graph_case(None, spec)}


def test_graph_is_quiet_on_the_real_graph():
    for spec in (CHAIN, FORK, CYCLE, GraphSpec(CHAIN.nodes, cycle=(2, 2))):
        findings = graph_case(None, spec)
        assert findings == [], [f.describe() for f in findings]


def test_order_by_name_is_caught(monkeypatch):
    monkeypatch.setattr(aksara_graph.MigrationGraph, "execution_order",
                        lambda self, app_label=None: sorted(self.nodes.values(), key=lambda n: n.name))
    assert "order_violated" in graph_problems(CHAIN)
    assert "cycle_not_refused" in graph_problems(CYCLE)


def test_cycle_refused_with_another_error_is_caught(monkeypatch):
    real = aksara_graph.MigrationGraph.execution_order

    def crashes(self, app_label=None):
        try:
            return real(self, app_label)
        except ValueError:
            raise RecursionError("maximum recursion depth exceeded") from None

    monkeypatch.setattr(aksara_graph.MigrationGraph, "execution_order", crashes)
    assert graph_problems(CYCLE) == {"cycle_not_refused"}
    assert graph_problems(CHAIN) == set()


def test_missed_conflict_is_caught(monkeypatch):
    monkeypatch.setattr(aksara_executor, "find_conflicts", lambda graph: {})
    assert "conflicts" in graph_problems(FORK)
    assert "conflicts" not in graph_problems(CHAIN)


def test_heads_across_apps_are_caught(monkeypatch):
    def any_child(self, app_label):
        return [n for n in self.nodes.values() if n.app_label == app_label and not n.children]

    monkeypatch.setattr(aksara_graph.MigrationGraph, "heads_for_app", any_child)
    assert "heads" in graph_problems(CHAIN)  # blog's 0001_second has only a child in shop: still blog's head
