"""Plans for Aksara's migration executor and dependency graphs, as plain data.

An :class:`ExecutorPlan` is a model history (:func:`strategies.models.schema_histories`, one migration file per
state that changes something) with a deployment plan: migrate to step ``forward_to``, then roll back to
``rollback_to`` (``-1``: every file); a quarter of the plans write the files as legacy ``.sql`` migrations. A :class:`GraphSpec` is a set of migration files in one to three apps
whose dependencies form a DAG, written as ``(app_label, name)`` tuples or, as Aksara's migrations guide shows,
as bare filename stems of the same app; optionally one more dependency closes a cycle.

Hostile classes reached: the history's identifiers and defaults (see :mod:`strategies.models`); file names
whose sort order disagrees with their dependency order; dependencies across apps; several heads in one app;
dependency cycles of length one to the whole graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from strategies.models import SchemaHistory, schema_histories

APP_LABELS = ("blog", "shop", "crm_app")


@dataclass(frozen=True)
class ExecutorPlan:
    """Migrate a history's files up to state ``forward_to``, then roll back to state ``rollback_to``."""

    history: SchemaHistory
    forward_to: int
    rollback_to: int
    legacy_sql: bool = False  # files written as legacy SQL migrations (the operations' DDL), not Python


@st.composite
def executor_plans(draw, max_changes: int = 3, max_models: int = 2) -> ExecutorPlan:
    """A history of up to ``max_changes + 1`` states, a forward target and a rollback target at or before it."""
    history = draw(schema_histories(max_changes=max_changes, max_models=max_models, min_changes=1))
    forward = draw(st.integers(0, len(history.states) - 1))
    return ExecutorPlan(history, forward, draw(st.integers(-1, forward)), draw(st.integers(0, 3)) == 0)


@dataclass(frozen=True)
class GraphNodeSpec:
    """One migration file: its app, its file stem and its dependencies (indexes of other nodes)."""

    app: str
    name: str
    dependencies: tuple[int, ...] = ()
    stem_form: bool = False  # same-app dependencies written as bare filename stems


@dataclass(frozen=True)
class GraphSpec:
    nodes: tuple[GraphNodeSpec, ...]
    cycle: tuple[int, int] | None = None  # node cycle[0] also depends on node cycle[1], which depends on it

    def edges(self) -> set[tuple[int, int]]:
        """(dependant, dependency) pairs, the cycle-closing one included."""
        pairs = {(i, d) for i, node in enumerate(self.nodes) for d in node.dependencies}
        if self.cycle is not None:
            pairs.add(self.cycle)
        return pairs


@st.composite
def migration_graphs(draw, max_nodes: int = 8) -> GraphSpec:
    """Migration files of 1-3 apps with acyclic dependencies (creation order), names in an unrelated order."""
    n = draw(st.integers(1, max_nodes))
    apps = draw(st.lists(st.sampled_from(APP_LABELS), min_size=1, max_size=3, unique=True))
    order = draw(st.permutations(range(n)))  # file names sort in this order, not in dependency order
    stems = draw(st.integers(0, 3)) == 0  # a quarter of the graphs write some same-app dependencies as stems
    nodes = []
    for i in range(n):
        app = draw(st.sampled_from(apps))
        deps = draw(st.lists(st.integers(0, i - 1), max_size=min(i, 3), unique=True)) if i else []
        nodes.append(GraphNodeSpec(app, f"{order[i]:04d}_step{i}", tuple(sorted(deps)),
                                   stems and draw(st.booleans())))
    cycle = None
    if draw(st.integers(0, 3)) == 0:
        # close a cycle: a node depends on one of its dependants (or on itself)
        dependants: dict[int, set[int]] = {i: {i} for i in range(n)}
        for i in range(n):  # creation order: every dependency of i was created before i
            for d in nodes[i].dependencies:
                for j in range(n):
                    if d in dependants[j]:
                        dependants[j].add(i)
        target = draw(st.integers(0, n - 1))
        cycle = (target, draw(st.sampled_from(sorted(dependants[target]))))
    return GraphSpec(tuple(nodes), cycle)
