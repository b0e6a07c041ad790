"""Oracles of Aksara's migration executor and dependency graph: each ``check_*`` returns findings, never raises.

- ``migrations.executor_converges``: driving Aksara's executor over the migration files of a model history
  (migrate to a step, migrate again, list the pending files, roll back to an earlier step, migrate the rest)
  leaves after every stage what applying the same files' operations directly leaves: the catalog of the
  applied prefix, an applied-migrations record naming exactly that prefix, a run report naming exactly the
  files it applied (none on a repeated run), no error, and a pending list naming exactly the files not applied.
  Aksara 0.7.2 has no rollback command (its migrations guide: "A ``reverse_sql`` attribute does not imply a
  public automatic rollback command"); the rollback stage is built from the executor's parts the way a
  deployment tool would: the record (``get_applied_migrations``), the graph's execution order, each
  operation's ``reverse()`` and ``unrecord_migration``.
- ``migrations.graph_orders``: the graph built from migration files orders every file after its dependencies
  (written as ``(app_label, name)`` tuples or, as the migrations guide shows, as filename stems of the same
  app), names each app's heads and roots, reports an app with several heads as a conflict, and refuses a
  dependency cycle with a ``ValueError`` naming it, never a crash or an order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fuzz import catalog as property_catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.migrations import Context, _catalog_diff, _exc_text
from targets.pg_catalog import Catalog

# --------------------------------------------------------------------------- executor


@dataclass
class ExecutorState:
    """What one executor stage left (observed) or must leave (expected); None: not part of this stage."""

    stage: str
    applied: tuple[str, ...] | None = None  # names the run reports it applied
    records: tuple[str, ...] | None = None  # names in the applied-migrations table, in the order recorded
    catalog: Catalog | None = None
    pending: tuple[str, ...] | None = None
    errors: tuple[str, ...] = ()  # errors the run reported or raised
    facts: dict[str, str] = field(default_factory=dict)


def check_executor_stage(observed: ExecutorState, expected: ExecutorState, ctx: Context) -> list[Finding]:
    """After an executor stage, the run reports no error and exactly the files it applied, the record names
    exactly the applied prefix, the pending list exactly the rest, and the catalog equals the direct one."""
    judged(property_catalog.MIGRATIONS_EXECUTOR_CONVERGES)
    pid = property_catalog.MIGRATIONS_EXECUTOR_CONVERGES
    facts = {"stage": observed.stage, **observed.facts}
    if observed.errors:
        return [ctx.finding(pid, f"{observed.stage}: the executor failed on files that apply directly: "
                                 f"{observed.errors[0]}", observed=list(observed.errors), expected="no error",
                            problem="error", error=observed.errors[0][:300], **facts)]
    findings = []
    for what, problem in (("applied", "report"), ("records", "record"), ("pending", "pending")):
        want, got = getattr(expected, what), getattr(observed, what)
        if want is None or got == want:
            continue
        missing = [n for n in want if n not in got]
        extra = [n for n in got if n not in want]
        how = "missing" if missing and not extra else "extra" if extra and not missing else (
            "both" if missing else "order")
        findings.append(ctx.finding(
            pid, f"{observed.stage}: the {what} list differs ({how}): {len(got)} name(s) where {len(want)} expected",
            observed=list(got), expected=list(want), problem=problem, how=how, **facts))
    if expected.catalog is not None and observed.catalog is not None and observed.catalog.key() != expected.catalog.key():
        findings.append(ctx.finding(
            pid, f"{observed.stage}: the catalog differs from applying the same files directly",
            observed=_catalog_diff(expected.catalog, observed.catalog), expected="the direct catalog",
            problem="catalog", **facts))
    return findings


# --------------------------------------------------------------------------- graph


@dataclass
class GraphObservation:
    """What Aksara's graph answered for one set of migration files (an exception where it raised)."""

    order: list[tuple[str, str]] | None = None
    order_error: BaseException | None = None
    heads: dict[str, set[str]] = field(default_factory=dict)
    roots: dict[str, set[str]] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    cli_conflicts: set[str] = field(default_factory=set)
    message: str = ""  # format_conflict_message of the conflicts
    structure_error: BaseException | None = None  # building the graph, heads, roots or conflicts raised
    structure_call: str = ""


def _key(spec: Any, i: int) -> tuple[str, str]:
    return spec.nodes[i].app, spec.nodes[i].name


def _form(spec: Any, dependant: int, dependency: int) -> str:
    """How the edge is written in the file: as a bare stem (same app, stem form) or as a tuple."""
    node = spec.nodes[dependant]
    return "stem" if node.stem_form and node.app == spec.nodes[dependency].app else "tuple"


def model_heads(spec: Any) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Heads (no same-app dependant) and roots (no same-app dependency) of every app, from the spec."""
    heads = {n.app: set() for n in spec.nodes}
    roots = {n.app: set() for n in spec.nodes}
    edges = spec.edges()
    for i, node in enumerate(spec.nodes):
        if not any(d == i and spec.nodes[a].app == node.app for a, d in edges):
            heads[node.app].add(node.name)
        if not any(a == i and spec.nodes[d].app == node.app for a, d in edges):
            roots[node.app].add(node.name)
    return heads, roots


def _forms_into(spec: Any, names: set[tuple[str, str]], *, as_dependency: bool) -> str:
    """Forms of the same-app edges whose dependency (or dependant) is one of ``names``."""
    forms = set()
    for a, d in spec.edges():
        end = d if as_dependency else a
        if _key(spec, end) in names and spec.nodes[a].app == spec.nodes[d].app:
            forms.add(_form(spec, a, d))
    return ",".join(sorted(forms)) or "none"


def _cycle_forms(spec: Any) -> str:
    """Forms of the dependencies on the cycle: the closing one and those on a path from its dependency back."""
    a, d = spec.cycle
    n = len(spec.nodes)
    reaches = [{i} for i in range(n)]  # i -> nodes i depends on, transitively (acyclic part, creation order)
    for i, node in enumerate(spec.nodes):
        for dep in node.dependencies:
            reaches[i] |= reaches[dep]
    on_cycle = {i for i in reaches[d] if a in reaches[i]}
    forms = {_form(spec, a, d)} | {_form(spec, i, dep) for i in on_cycle for dep in spec.nodes[i].dependencies
                                   if dep in on_cycle}
    return ",".join(sorted(forms))


def check_graph_order(spec: Any, obs: GraphObservation, ctx: Context) -> list[Finding]:
    """An acyclic graph orders every file once, after all its dependencies; a cycle is refused with a
    ``ValueError`` naming the files on it, never another exception and never an order."""
    judged(property_catalog.MIGRATIONS_GRAPH_ORDERS)
    pid = property_catalog.MIGRATIONS_GRAPH_ORDERS
    if spec.cycle is not None:
        a, d = spec.cycle
        named = [f"{app}.{name}" for app, name in (_key(spec, a), _key(spec, d))]
        if isinstance(obs.order_error, ValueError) and "cycle" in str(obs.order_error).lower() and all(
                n in str(obs.order_error) for n in named):
            return []
        got = _exc_text(obs.order_error) if obs.order_error is not None else f"an order of {len(obs.order or [])}"
        return [ctx.finding(pid, f"a dependency cycle is not refused with a ValueError naming it: {got}",
                            observed=got, expected=f"ValueError naming {named}", problem="cycle_not_refused",
                            exception=type(obs.order_error).__name__ if obs.order_error else "",
                            forms=_cycle_forms(spec), self_loop=str(a == d).lower())]
    if obs.order_error is not None:
        return [ctx.finding(pid, f"ordering an acyclic graph raised {_exc_text(obs.order_error)}",
                            observed=_exc_text(obs.order_error), expected="an order", problem="order_error",
                            exception=type(obs.order_error).__name__, forms=_forms_into(
                                spec, {_key(spec, i) for i in range(len(spec.nodes))}, as_dependency=True))]
    order = obs.order or []
    want = {_key(spec, i) for i in range(len(spec.nodes))}
    if sorted(order) != sorted(want):
        return [ctx.finding(pid, "the execution order does not list every migration file exactly once",
                            observed=order, expected=sorted(want), problem="order_members", forms="none")]
    position = {key: p for p, key in enumerate(order)}
    late = [(a, d) for a, d in sorted(spec.edges()) if position[_key(spec, d)] > position[_key(spec, a)]]
    if not late:
        return []
    forms = ",".join(sorted({_form(spec, a, d) for a, d in late}))
    return [ctx.finding(pid, f"{len(late)} migration(s) ordered before a dependency",
                        observed=[f"{'.'.join(_key(spec, a))} before {'.'.join(_key(spec, d))}" for a, d in late],
                        expected="every dependency first", problem="order_violated", forms=forms,
                        cross_app=str(any(spec.nodes[a].app != spec.nodes[d].app for a, d in late)).lower())]


def check_graph_heads(spec: Any, obs: GraphObservation, ctx: Context) -> list[Finding]:
    """Each app's heads and roots are the files without a same-app dependant (dependency), and exactly the apps
    with more than one head are reported as conflicts, by ``find_conflicts`` and the ``migrate`` command's check."""
    judged(property_catalog.MIGRATIONS_GRAPH_ORDERS)
    pid = property_catalog.MIGRATIONS_GRAPH_ORDERS
    if obs.structure_error is not None:
        return [ctx.finding(pid, f"{obs.structure_call} raised {_exc_text(obs.structure_error)}",
                            observed=_exc_text(obs.structure_error), expected="an answer", problem="crash",
                            call=obs.structure_call, exception=type(obs.structure_error).__name__,
                            error=str(obs.structure_error)[:300],
                            forms=_forms_into(spec, {_key(spec, i) for i in range(len(spec.nodes))},
                                              as_dependency=True))]
    heads, roots = model_heads(spec)
    findings = []
    for what, want, got, as_dependency in (("heads", heads, obs.heads, True), ("roots", roots, obs.roots, False)):
        wrong = {(app, n) for app in want for n in want[app] ^ got.get(app, set())}
        if wrong:
            findings.append(ctx.finding(
                pid, f"the {what} of {len({a for a, _ in wrong})} app(s) differ from the dependencies",
                observed={a: sorted(v) for a, v in got.items()}, expected={a: sorted(v) for a, v in want.items()},
                problem=what, forms=_forms_into(spec, wrong, as_dependency=as_dependency)))
    conflicted = {app for app, names in heads.items() if len(names) > 1}
    for call, got in (("find_conflicts", obs.conflicts), ("check_migration_conflicts", obs.cli_conflicts)):
        if got != conflicted:
            apps = got ^ conflicted
            wrong = {_key(spec, i) for i, node in enumerate(spec.nodes) if node.app in apps}
            findings.append(ctx.finding(
                pid, f"{call} reports conflicts in {sorted(got)} where the dependencies leave {sorted(conflicted)}",
                observed=sorted(got), expected=sorted(conflicted), problem="conflicts", call=call,
                forms=_forms_into(spec, wrong, as_dependency=True)))
    unnamed = sorted(f"{app}.{name}" for app in conflicted & obs.conflicts for name in heads[app]
                     if f"{app}.{name}" not in obs.message)
    if unnamed:
        findings.append(ctx.finding(pid, f"the conflict message does not name {len(unnamed)} conflicting head(s)",
                                    observed=obs.message[:500], expected=unnamed, problem="conflict_message",
                                    forms="none"))
    return findings
