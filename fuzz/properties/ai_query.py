"""Property body for AI query plans: one plan, sent to the plan executor's route, returning findings.

The world is the query area's :class:`fuzz.properties.queries.QueryWorld` (seeded rows, collation,
principals with a well-defined visible set). The expected rows are the independent model's answer to
the plan's REST twin over what the principal sees (:mod:`fuzz.oracles.pg_model`), so a divergence is
the plan executor's own: the REST list is held to the same model by ``query.filter_differential``.
The route authorizes nobody (AKSARA-AI-002): the plan carries the list route's row scope as explicit
conditions, and never filters or selects a field hidden from the principal, so it asks only what the
principal may ask of the list.
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import urlencode

from aksara.registry import ModelRegistry

from fuzz.findings import Finding, replayable
from fuzz.oracles import ai_query as oracles
from fuzz.oracles.http import run_exchange_checks
from fuzz.oracles.pg_model import order_rows, predicate
from fuzz.properties.queries import QueryWorld
from fuzz.query_shape import query_shape
from strategies.ai_query import as_plan, plan_condition, scope_conditions
from targets.base import ResourceSpec

AI_QUERY_PATH = "/ai/query/execute"


def model_name(resource: ResourceSpec) -> str | None:
    """The registered model name whose table ``resource`` lists (what a plan's ``model`` names)."""
    for name, model in ModelRegistry.all().items():
        if getattr(model, "__tablename__", None) == resource.table:
            return name
    return None


def model_fields(resource: ResourceSpec) -> list[str]:
    """The model's own field names (what a plan without ``select_fields`` returns besides ``id``)."""
    name = model_name(resource)
    return list(ModelRegistry.get(name)._fields) if name else []


def expected_rows(world: QueryWorld, principal: str, resource: ResourceSpec, filters: Sequence[tuple[str, str]],
                  ordering: Sequence[str]) -> list[dict]:
    """The rows the independent model selects for the REST twin, in ``ordering``'s order."""
    rows = world.visible(principal, resource)
    for key, value in filters:
        test = predicate(resource, key, value, world.collation)
        rows = [r for r in rows if test(r)]
    return order_rows(rows, resource, ordering, world.collation) if ordering else rows


@replayable("ai_query", env=("world",), names=("resource",))
def plan_differential(world: QueryWorld, principal: str, resource: ResourceSpec, filters: Sequence[tuple[str, str]],
                      ordering: Sequence[str], offset: int, limit: int, select: Sequence[str] | None,
                      path: str = AI_QUERY_PATH) -> list[Finding]:
    """Send the plan equivalent to the REST list query (``filters``, ``ordering``) and judge its answer."""
    name = model_name(resource)
    if name is None:
        return []
    scope = scope_conditions(resource, world.principals.get(principal))
    plan = as_plan(name, resource, filters, ordering, offset, limit, select, scope)
    exchange = world.live.request(principal, "POST", path, json_body=plan, route=path)
    findings = list(run_exchange_checks(exchange, world.context))
    if exchange.status >= 500:
        return findings  # the generic oracle reports it (and the ledger may know it)
    expected = expected_rows(world, principal, resource, filters, ordering)
    if select:
        keys = ["id", *[n for n in select if n != "id"]]
    else:
        keys = ["id", *model_fields(resource)]
    compared = {f.name: f.column for f in resource.fields
                if f.kind in oracles.COMPARED_KINDS and f.name in keys and f.name != "id"}
    kinds = {name: f.kind for f in resource.fields for name in (f.name, f.column)}
    lookups = sorted({f"{kinds[c['field']]}:{c['lookup']}"
                      for c in (plan_condition(resource, k, v) for k, v in filters) if c})
    facts = {"query": urlencode(list(filters)), "lookups": " ".join(lookups),
             "sorting": "yes" if ordering else "no", "select": "all" if not select else "subset",
             "query_shape": query_shape(resource, filters), "resource": resource.name,
             "principal_kind": world.live.info.principal(principal).kind}
    return findings + oracles.check_plan_differential(exchange, plan, expected, bool(ordering), compared, keys,
                                                      facts)


def plan_view(world: QueryWorld, resource: ResourceSpec) -> list[tuple[str, list[dict], list[str]]]:
    """What each principal that may list ``resource`` sees of it: its rows and the fields hidden from it."""
    return [(p, world.visible(p, resource), world.hidden_fields(p, resource)) for p in world.principals_for(resource)]

