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


def broken_public_pages(app):
    """Planted on public pages: ``/redoc`` asked for by a browser answers 500, and the welcome page carries
    the app's first configured secret."""
    from fastapi.responses import HTMLResponse

    from targets.refapp.target import RefappTarget

    secret = RefappTarget().info.secrets[0]

    @app.middleware("http")
    async def break_pages(request, call_next):
        if request.url.path == "/redoc" and "text/html" in request.headers.get("accept", ""):
            return HTMLResponse("<h1>planted</h1>", status_code=500)
        if request.url.path == "/":
            return HTMLResponse(f"<script>var key = '{secret}';</script>")
        return await call_next(request)


@pytest.fixture(scope="module")
def planted_pages(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"),
                         broken_public_pages, "public_pages") as live:
        yield live


def _public_sweep(live):
    from fuzz.properties.http import check_public_route, public_sweep_calls

    ctx, ids = OracleContext(live.info), known_ids(live)
    calls = public_sweep_calls(live, ids)
    return calls, [f for call in calls for f in check_public_route(live, ctx, *call)]


def test_the_public_sweep_asks_for_every_docs_page_as_every_principal(live_target):
    calls, _ = _public_sweep(live_target)
    routes = {route for route, _, _, _ in calls}
    # Aksara serves its own docs pages (no OAuth2 redirect page: it turns FastAPI's docs off)
    assert {"/", "/docs", "/redoc", "/openapi.json", live_target.info.health_path} <= routes
    principals = {p.name for p in live_target.info.principals}
    assert {(p, a) for r, p, a, _ in calls if r == "/docs"} == {(p, a) for p in principals for a in ("json", "html")}


def test_the_public_sweep_catches_a_broken_and_a_leaking_docs_page(planted_pages):
    from fuzz import catalog

    _, findings = _public_sweep(planted_pages)
    crashed = {(f.exchanges[-1].route, f.facts.get("accept")) for f in findings
               if f.property_id == catalog.HTTP_NO_SERVER_ERROR}
    leaked = {f.exchanges[-1].route for f in findings if f.property_id == catalog.HTTP_NO_LEAK}
    assert crashed == {("/redoc", "html")}  # the JSON client gets the page: only the browser's request fails
    assert leaked == {"/"}
    # a browser's HTML error page is not held to the JSON envelope; the JSON client's error would be
    assert not [f for f in findings if f.property_id == catalog.HTTP_ERROR_ENVELOPE]


def test_the_public_sweep_reports_nothing_new_on_the_reference_app(live_target):
    _, findings = _public_sweep(live_target)
    try:
        report(findings)
    except NewFinding as exc:
        pytest.fail(f"unknown defect on a public route: {exc}")
