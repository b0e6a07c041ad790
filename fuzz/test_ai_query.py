"""The AI query plan executor every Aksara app mounts (``POST /ai/query/execute``) is a second query
executor: a plan asking what a valid list query asks answers exactly that query's rows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties import ai_query as props
from fuzz.properties.queries import QueryWorld, with_example_facts
from strategies.ai_query import plan_queries


@pytest.fixture(scope="module")
def world(live_target):
    return QueryWorld.build(live_target)


HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME)


def _plans(world, resource_name):
    """The resource and its plan strategy (built once per world and resource), or a skip with the reason."""
    cache = world.__dict__.setdefault("_plan_strategies", {})
    if resource_name not in cache:
        resource = world.live.info.resource(resource_name)
        if props.model_name(resource) is None:
            pytest.skip(f"{resource_name}: no registered model lists its table, so no plan can name it")
        if not world.principals_for(resource):
            pytest.skip(f"{resource_name}: the app lets none of the target's principals list it (401/403 to each)")
        cache[resource_name] = resource, plan_queries(resource, props.plan_view(world, resource),
                                                      world.collation.byte_order)
    return cache[resource_name]


@judges(catalog.AI_QUERY_PLAN_DIFFERENTIAL, also=HTTP)
@given(data=st.data())
def test_query_plans_answer_what_the_list_answers(world, resource_name, data):
    resource, plans = _plans(world, resource_name)
    principal, filters, ordering, offset, limit, select = data.draw(plans, label="plan")
    findings = props.plan_differential(world, principal, resource, filters, ordering, offset, limit, select)
    world.live.reset()
    judge(with_example_facts(world, principal, resource, findings))
