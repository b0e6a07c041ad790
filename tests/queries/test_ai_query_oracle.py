"""ai_query.plan_differential catches a plan executor that answers a different query, and stays quiet on
Aksara's own executor (real Aksara, real PostgreSQL, the reference app)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request

from fuzz import catalog
from fuzz.ledger import active_ledger
from fuzz.properties import ai_query as props
from fuzz.properties.queries import QueryWorld
from strategies.ai_query import as_plan, plan_queries, plan_value, scope_conditions
from tests.support.find import find_any
from tests.support.planted import started_planted

DROPS_CONDITION = "/planted/ai/drops-condition"
SKIPS_A_ROW = "/planted/ai/skips-a-row"


def planted_executors(app: Any) -> None:
    """Two plan routes over Aksara's own executor, each answering a slightly different plan than it was sent."""
    from aksara.ai.query import AiQueryPlan, execute_ai_query_plan

    @app.post(DROPS_CONDITION)
    async def drops_condition(request: Request) -> dict:
        plan = AiQueryPlan.model_validate(await request.json())
        # planted: every condition on priority is dropped
        plan.filters = [c for c in plan.filters if c.field != "priority"]
        return (await execute_ai_query_plan(plan)).model_dump()

    @app.post(SKIPS_A_ROW)
    async def skips_a_row(request: Request) -> dict:
        plan = AiQueryPlan.model_validate(await request.json())
        if plan.pagination.offset:
            plan.pagination.offset += 1  # planted: every window after the first starts one row late
        result = await execute_ai_query_plan(plan)
        result.plan.pagination.offset -= 1 if plan.pagination.offset else 0
        return result.model_dump()


@pytest.fixture(scope="module")
def world(pg_server, request):
    profile = request.config.getoption("target_profile")
    with started_planted(pg_server, profile, planted_executors, "ai_query") as live:
        yield QueryWorld.build(live)


def problems(findings):
    return sorted(f.facts["problem"] for f in findings if f.property_id == catalog.AI_QUERY_PLAN_DIFFERENTIAL)


def test_a_dropped_condition_is_caught(world):
    ticket = world.live.info.resource("Ticket")
    findings = props.plan_differential(world, "user_a", ticket, [("priority__gt", "2")], ["id"], 0, 500, ["title"],
                                       path=DROPS_CONDITION)
    assert problems(findings) == ["extra"]


def test_a_window_that_starts_late_is_caught(world):
    category = world.live.info.resource("Category")
    findings = props.plan_differential(world, "user_a", category, [], ["name", "id"], 2, 3, None, path=SKIPS_A_ROW)
    assert "missing" in problems(findings) and "extra" in problems(findings)


def test_aksara_answers_the_same_plans_correctly(world):
    ticket, category = world.live.info.resource("Ticket"), world.live.info.resource("Category")
    for resource, filters, ordering, offset, limit, select in (
            (ticket, [("priority__gt", "2")], ["id"], 0, 500, ["title"]),
            (ticket, [("status__in", "open,closed"), ("amount__isnull", "false")], ["-priority", "id"], 1, 4,
             ["title", "priority", "amount", "resolved_at", "external_ref"]),
            (ticket, [("is_urgent", "true"), ("title__icontains", "A")], ["-id"], 0, 2, ["is_urgent", "score"]),
            (category, [], ["name", "id"], 2, 3, None),
            (category, [("sort_order__lte", "3")], ["-sort_order", "id"], 0, 500, ["name", "sort_order"])):
        findings = props.plan_differential(world, "user_a", resource, filters, ordering, offset, limit, select)
        assert findings == [], (filters, [f.message for f in findings])


def test_the_plan_strategy_finds_the_dropped_condition(world):
    ticket = world.live.info.resource("Ticket")
    views = props.plan_view(world, ticket)

    def new_difference(query):
        principal, filters, ordering, offset, limit, select = query
        if not any(k.startswith("priority") for k, _ in filters):
            return False
        select = select or ["title"]  # a plan without select_fields is AKSARA-AI-004 on Ticket
        found = props.plan_differential(world, principal, ticket, filters, ordering, offset, limit, select,
                                        path=DROPS_CONDITION)
        world.live.reset()
        return any(active_ledger().match(f) is None for f in found)

    find_any(plan_queries(ticket, views, world.collation.byte_order), new_difference, max_examples=300)


def test_a_plan_carries_the_list_routes_row_scope_and_typed_values(world):
    ticket = world.live.info.resource("Ticket")
    tenant = world.principals["user_a"]
    plan = as_plan("Ticket", ticket, [("priority__in", "1, 2"), ("is_urgent", "yes"), ("amount__isnull", "true")],
                   ["-priority", "id"], 3, 7, ["title"], scope_conditions(ticket, tenant))
    assert plan["filters"] == [
        {"field": "tenant_id", "lookup": "exact", "value": tenant},
        {"field": "priority", "lookup": "in", "value": [1, 2]},
        {"field": "is_urgent", "lookup": "exact", "value": True},
        {"field": "amount", "lookup": "isnull", "value": True}]
    assert plan["sorting"] == [{"field": "priority", "direction": "desc"}, {"field": "id", "direction": "asc"}]
    assert plan["pagination"] == {"limit": 7, "offset": 3} and plan["select_fields"] == ["title"]
    assert plan_value("float", "lt", "1.5") == 1.5 and plan_value("decimal", "gte", "12.50") == "12.50"
