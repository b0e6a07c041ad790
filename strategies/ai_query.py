"""AI query plans (``aksara.ai.query.AiQueryPlan``) that ask what a valid REST list query asks.

A plan is drawn as its REST twin first: valid filters over the rows a principal sees (never on a
field hidden from it, from :mod:`strategies.filters`), a total ordering, an offset and limit, and a
``select_fields`` subset (or none: all fields). :func:`as_plan` turns that twin into the plan's JSON:
each ``field__lookup=text`` becomes a condition whose value is the text as the JSON value of the
field's type (numbers and booleans as JSON numbers and booleans, ``in`` as a list, ``isnull`` as a
boolean, everything else as the text itself: JSON has no date, time, decimal or UUID; e-mail, URL and
slug values the field would refuse are left out, see :data:`FORMAT_KINDS`), and the row
scope the list route applies for that principal (its tenant, the live rows of a soft-delete model)
becomes explicit conditions, because the plan's executor receives no principal.
``fuzz/properties/ai_query.py`` sends the plan and applies the oracle.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from strategies.filters import valid_filters, valid_orderings
from targets.base import INTEGER_KINDS, ResourceSpec

#: One principal's view of a resource: its name, the rows it sees, the fields hidden from it.
View = tuple[str, Sequence[Mapping[str, Any]], Sequence[str]]
TRUE_WORDS = frozenset({"true", "yes", "1", "t", "on"})
#: the lookups an AiQueryPlan condition may name (aksara.ai.query.SUPPORTED_LOOKUPS, documented)
PLAN_LOOKUPS = ("exact", "gt", "gte", "lt", "lte", "in", "isnull", "icontains", "contains")
#: field kinds a plan condition cannot express as its REST twin does (JSON paths, arrays)
NO_PLAN_KINDS = frozenset({"json", "array", "other"})
PLAN_LIMIT_MAX = 500  # AiQueryPagination.limit's documented bound
#: kinds whose field validates a condition's value as it validates a stored one (the plan executor applies the
#: field's own conversion, which refuses a malformed e-mail, URL or slug with a 400): their exact, range and
#: ``in`` values are drawn from stored values only
FORMAT_KINDS = frozenset({"email", "url", "slug"})


def plan_value(kind: str, lookup: str, text: str) -> Any:
    """The JSON value of a plan condition equivalent to the REST filter value ``text``."""
    if lookup == "isnull":
        return text.strip().lower() in TRUE_WORDS
    if lookup == "in":
        return [plan_value(kind, "exact", item.strip()) for item in text.split(",") if item.strip()]
    if lookup in ("contains", "icontains"):
        return text
    if kind in INTEGER_KINDS:
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "boolean":
        return text.strip().lower() in TRUE_WORDS
    return text


def plan_condition(resource: ResourceSpec, key: str, text: str) -> dict | None:
    """The plan condition of one REST filter ``key=text`` (None for one a plan cannot express)."""
    name, *rest = key.split("__")
    field = next((f for f in resource.fields if name in (f.name, f.column)), None)
    if field is None or field.kind in NO_PLAN_KINDS or len(rest) > 1:
        return None
    lookup = rest[0] if rest else "exact"
    if lookup not in PLAN_LOOKUPS:
        return None
    return {"field": name, "lookup": lookup, "value": plan_value(field.kind, lookup, text)}


def scope_conditions(resource: ResourceSpec, tenant_id: str | None) -> list[dict]:
    """The row scope the list route applies to a caller of ``tenant_id``, as plan conditions."""
    conditions = []
    if resource.tenant_scoped and tenant_id is not None:
        tenant = next((f for f in resource.fields if f.tenant), None)
        if tenant is not None:
            conditions.append({"field": tenant.name, "lookup": "exact", "value": tenant_id})
    if resource.soft_delete:
        conditions.append({"field": "deleted_at", "lookup": "isnull", "value": True})
    return conditions


def as_plan(model: str, resource: ResourceSpec, filters: Sequence[tuple[str, str]], ordering: Sequence[str],
            offset: int, limit: int, select: Sequence[str] | None, scope: Sequence[dict] = ()) -> dict:
    """The AiQueryPlan JSON asking what the REST list query (``filters``, ``ordering``) asks, one window of it."""
    conditions = [c for c in (plan_condition(resource, k, v) for k, v in filters) if c is not None]
    sorting = [{"field": t.lstrip("-"), "direction": "desc" if t.startswith("-") else "asc"} for t in ordering]
    plan: dict[str, Any] = {"model": model, "filters": [*scope, *conditions], "sorting": sorting,
                            "pagination": {"limit": limit, "offset": offset}}
    if select is not None:
        plan["select_fields"] = list(select)
    return plan


def selectable(resource: ResourceSpec, hidden: Sequence[str]) -> list[str]:
    """Fields a plan may select for a principal: the model's own columns not hidden from it (a foreign key's
    attribute is a related object, not a value)."""
    return [f.name for f in resource.fields if f.name not in hidden and f.kind != "fk"]


def well_formed(resource: ResourceSpec, rows: Sequence[Mapping[str, Any]], key: str, text: str) -> bool:
    """Whether a plan condition from ``key=text`` holds values its field accepts (see :data:`FORMAT_KINDS`)."""
    name, *rest = key.split("__")
    field = next((f for f in resource.fields if name in (f.name, f.column)), None)
    lookup = rest[0] if rest else "exact"
    if field is None or field.kind not in FORMAT_KINDS or lookup in ("contains", "icontains", "isnull"):
        return True
    stored = {str(r.get(field.column)) for r in rows if r.get(field.column) is not None}
    values = [v.strip() for v in text.split(",") if v.strip()] if lookup == "in" else [text]
    return all(v in stored for v in values)


def plan_queries(resource: ResourceSpec, views: Sequence[View],
                 byte_order: bool) -> st.SearchStrategy[tuple[str, list[tuple[str, str]], list[str], int, int,
                                                               list[str] | None]]:
    """A principal, valid REST filters (maybe none) a plan can express, a total ordering (when the route
    orders at all), an offset, a limit and a ``select_fields`` choice (None: every field)."""
    seen = {principal: (rows, hidden) for principal, rows, hidden in views}

    @st.composite
    def draw_query(draw: Any) -> tuple:
        principal = draw(st.sampled_from([p for p, _, _ in views]), label="principal")
        rows, hidden = seen[principal]
        filters: list[tuple[str, str]] = []
        if draw(st.integers(0, 3), label="filtered") and any(
                f.kind not in NO_PLAN_KINDS for f in resource.fields if f.name in resource.router_filter_fields):
            filters = draw(valid_filters(resource, rows, byte_order, exclude=hidden), label="filters")
            filters = [(k, v) for k, v in filters
                       if plan_condition(resource, k, v) is not None and well_formed(resource, rows, k, v)]
        ordering: list[str] = []
        if resource.ordering_fields:
            ordering = draw(valid_orderings(resource, byte_order, exclude=hidden), label="ordering")
        if ordering:
            offset = draw(st.integers(0, len(rows) + 2) | st.sampled_from([0, 1]), label="offset")
            limit = draw(st.sampled_from([1, 2, 3, 7, PLAN_LIMIT_MAX]) | st.integers(1, PLAN_LIMIT_MAX),
                         label="limit")
        else:  # no total order to window by: the whole result, compared as a set
            offset, limit = 0, PLAN_LIMIT_MAX
        names = selectable(resource, hidden)
        select = None
        if hidden or draw(st.integers(0, 3), label="select fields"):  # all fields one time in four
            select = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True)
                          if names else st.just(["id"]), label="select_fields")
            if "id" not in select and draw(st.booleans(), label="with id"):
                select = ["id", *select]
        return principal, filters, ordering, offset, limit, select

    return draw_query()
