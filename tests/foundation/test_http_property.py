"""The hostile-request property, driven by its own strategy, finds faults planted behind
specific inputs, and reports nothing new on routes that handle every input correctly."""

from __future__ import annotations

import pytest
from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz.findings import NewFinding, report
from fuzz.oracles.context import OracleContext
from fuzz.properties.http import check_hostile_request
from strategies.http import HostileRequest, hostile_requests, known_ids
from fuzz.query_shape import query_shape
from tests.support.find import find_any
from tests.support.planted import started_planted


def wildcard_search_crashes(app):
    """Planted: a LIKE wildcard in any query value on /categories routes answers 500."""

    @app.middleware("http")
    async def crash_on_wildcard(request, call_next):
        if request.url.path.startswith("/categories") and any("%" in v for v in request.query_params.values()):
            return JSONResponse({"error": {"status": 500, "message": "planted", "type": "internal_error"}}, 500)
        return await call_next(request)


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"),
                         wildcard_search_crashes, "robustness") as live:
        yield live


def test_the_property_finds_a_fault_behind_one_input_class(planted):
    ctx, ids = OracleContext(planted.info), known_ids(planted)

    def planted_500(req):
        return any('"planted"' in f.exchanges[-1].response_text
                   for f in check_hostile_request(planted, ctx, ids, req) if f.exchanges)

    found = find_any(hostile_requests(planted.info, ids, "Category"), planted_500, max_examples=1500)
    assert any("%" in v for _, v in found.query)


def test_findings_carry_the_query_shape_for_ledger_signatures(planted):
    ctx, ids = OracleContext(planted.info), known_ids(planted)

    findings = check_hostile_request(planted, ctx, ids, HostileRequest("anonymous", "Category", None, [("search", "%")]))
    assert findings and findings[0].facts["query_shape"] == "search"
    assert findings[0].facts["principal_kind"] == "anonymous"


@settings(max_examples=40)
@given(data=st.data())
def test_no_new_findings_on_the_category_routes_of_a_correct_app(live_target, data):
    """Categories (cursor pagination, serializer) handle hostile input without unknown defects."""
    ids = known_ids(live_target)
    req = data.draw(hostile_requests(live_target.info, ids, "Category"))
    try:
        report(check_hostile_request(live_target, OracleContext(live_target.info), ids, req))
    except NewFinding as exc:  # a new Aksara defect belongs in the ledger, not in this test
        pytest.fail(f"unknown defect on /categories/: {exc}")


def test_query_shape_names_each_parameter_class():
    from targets.refapp.target import RefappTarget

    tickets = RefappTarget().info.resource("Ticket")
    shape = query_shape(tickets, [
        ("priority", "abc"), ("priority__gt", "3"), ("title", "true"), ("meta__level__gt", "1"),
        ("status__foo", "x"), ("offset", str(2**63)), ("limit", "-1"), ("ordering", "x"),
        ("search", "a\x00"), ("nope", "1"), ("external_ref__in", "a0000000-0000-4000-8000-00000000000a"),
        ("id__in", "a0000000-0000-4000-8000-00000000000a"),
    ])
    assert shape.split() == sorted([
        "filter:integer:exact:uncoercible", "filter:integer:gt:coercible", "filter:string:exact:backend_coerced",
        "filter:json:path_gt:coercible", "filter:string:foo:unknown_lookup", "page:offset:huge",
        "page:limit:negative", "ordering", "search", "nul", "unknown_key", "filter:uuid:in:coercible",
        "filter:uuid:in:coercible:router",
    ])
