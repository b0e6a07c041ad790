"""Hostile values of the request headers the app's request-context middleware reads, on every list route.

Property: whatever request id, tenant selection, locale or timezone a request carries, the app never
answers 5xx, every error is the JSON envelope, nothing leaks, every response header is well formed,
the caller is served exactly what it is served without those headers (or refused), and the request
log record names the caller's trusted tenant.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties.middleware import check_context_request
from strategies.middleware import context_requests
from targets.context_headers import context_headers


@pytest.fixture(scope="module")
def read_headers(live_target):
    headers = context_headers(live_target.app)
    if not headers:
        pytest.skip("the target mounts none of Aksara's request-context middleware (request id, tenant, "
                    "locale, timezone, agent token)")
    return headers


@pytest.fixture(scope="module")
def request_strategies(live_target, read_headers):
    """One strategy per resource, built once (not per example)."""
    return {r.name: context_requests(live_target.info, read_headers, r.name) for r in live_target.info.resources}


@judges(catalog.MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED, catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY,
        catalog.MIDDLEWARE_LOG_CONTEXT_TRUSTED,
        also=(catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK,
              catalog.HTTP_RESPONDS_IN_TIME, catalog.HTTP_SAFE_METHOD_NO_WRITE))
@given(data=st.data())
def test_hostile_context_headers(live_target, oracle_context, read_headers, request_strategies, resource_name, data):
    request = data.draw(request_strategies[resource_name], label="request")
    judge(check_context_request(live_target, oracle_context, request))
