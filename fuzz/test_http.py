"""Hostile query strings on every list and detail route, as every principal; the public surface swept.

Property: whatever the query string and path id, the app never answers 5xx, every
error is the JSON envelope, no response leaks SQL, a traceback, a file path or a
secret, a GET changes no table, and the health route still answers afterwards.
The public routes (docs pages, the welcome page, health, routes the target declares
public, login pages) are each asked for once by every principal, as the JSON client
and as a browser, and judged by the same generic oracles.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties.http import check_hostile_request, check_public_route, public_sweep_calls, raised_in_route
from strategies.http import RAISED_EXCEPTIONS, hostile_requests, known_ids, raised_cases


@pytest.fixture(scope="module")
def seeded_ids(live_target):
    live_target.reset()  # the seed's ids, whatever ran before on this worker
    return known_ids(live_target)


@pytest.fixture(scope="module")
def request_strategies(live_target, seeded_ids):
    """One strategy per resource, built once (not per example)."""
    return {r.name: hostile_requests(live_target.info, seeded_ids, r.name) for r in live_target.info.resources}


@judges(catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME,
        catalog.HTTP_SAFE_METHOD_NO_WRITE, catalog.HTTP_HEALTH_AFTER)
@given(data=st.data())
def test_hostile_query_strings(live_target, oracle_context, seeded_ids, request_strategies, resource_name, data):
    request = data.draw(request_strategies[resource_name], label="request")
    judge(check_hostile_request(live_target, oracle_context, seeded_ids, request))


@judges(catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME,
        catalog.HTTP_SAFE_METHOD_NO_WRITE)
def test_public_routes_sweep(live_target, oracle_context, seeded_ids):
    """Every public GET route x principal x (JSON client, browser) once; every call is made before judging."""
    from fuzz.sweep import count as count_sweep

    calls = public_sweep_calls(live_target, seeded_ids)
    if not calls:
        pytest.skip("the target declares no public route")
    findings = []
    for route, principal, accept, ids in calls:
        findings += check_public_route(live_target, oracle_context, route, principal, accept, ids)
    count_sweep(catalog.HTTP_NO_SERVER_ERROR, len(calls), len(calls))
    judge(findings)


@judges(catalog.HTTP_EXCEPTION_MAPPING)
@pytest.mark.parametrize("exception", RAISED_EXCEPTIONS)
@scaled(0.25)  # one app built per example, no database: the table has six rows
@given(data=st.data())
def test_exception_raised_in_a_route(exception, data):
    """Each exception of Aksara's exception reference, raised in a route of an app of its own."""
    judge(raised_in_route(data.draw(raised_cases(exception), label="case")))
