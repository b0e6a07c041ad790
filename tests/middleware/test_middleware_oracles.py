"""The request-context header oracles catch planted faults on real Aksara and stay quiet on the reference app.

Each planted app is the hardened reference app with one deliberate fault in how it uses Aksara's
request-context middleware:

- a middleware that percent-decodes the request id into a response header (a split header);
- Aksara's ``TenantMiddleware`` mounted inside the bearer middleware, so the client's tenant header
  overrides the trusted tenant context (the docs: a tenant header is a selection, not membership);
- Aksara's ``LoggingMiddleware`` mounted outside the bearer middleware, so its record names the tenant the
  header selected instead of the caller's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from aksara import Aksara

from fuzz import catalog
from fuzz.findings import NewFinding, report
from fuzz.oracles.context import OracleContext
from fuzz.properties.middleware import check_context_request
from strategies.middleware import ContextRequest, context_requests
from targets.context_headers import context_headers
from targets.refapp.target import TENANT_A, TENANT_B, RefappTarget
from tests.support.find import find_any
from tests.support.planted import started_planted, started_target


def _ids(findings: list) -> set[str]:
    return {f.property_id for f in findings}


def decoded_request_id_header(app: Any) -> None:
    """Planted: the request id, percent-decoded, is echoed in an ``X-Correlation`` response header."""

    @app.middleware("http")
    async def correlate(request, call_next):
        response = await call_next(request)
        response.headers["x-correlation"] = unquote(request.headers.get("x-request-id", ""))
        return response


class TenantInsideAuth(RefappTarget):
    """Planted: ``TenantMiddleware`` innermost, so the header's tenant replaces the trusted tenant context."""

    def middlewares(self) -> list:
        stack = super().middlewares()
        tenant = [entry for entry in stack if entry[0].__name__ == "TenantMiddleware"]
        return [entry for entry in stack if entry[0].__name__ != "TenantMiddleware"] + tenant


class LoggingOutsideAuth(RefappTarget):
    """Planted: ``LoggingMiddleware`` just outside the bearer middleware (the logging guide's example order,
    request id and tenant, then logging), where only the client's tenant selection is known."""

    def middlewares(self) -> list:
        stack = [entry for entry in super().middlewares() if entry[0].__name__ != "LoggingMiddleware"]
        logging = [entry for entry in super().middlewares() if entry[0].__name__ == "LoggingMiddleware"]
        auth = next(i for i, entry in enumerate(stack) if entry[0].__name__ == "BearerAuthMiddleware")
        return stack[:auth] + logging + stack[auth:]


@pytest.fixture(scope="module")
def split_header_app(pg_server):
    with started_planted(pg_server, "hardened", decoded_request_id_header, "mw_split") as live:
        yield live


@pytest.fixture(scope="module")
def tenant_inside_app(pg_server):
    with started_target(pg_server, TenantInsideAuth("hardened"), "planted_mw_tenant") as live:
        yield live


@pytest.fixture(scope="module")
def logging_outside_app(pg_server):
    with started_target(pg_server, LoggingOutsideAuth("hardened"), "planted_mw_logging") as live:
        yield live


def test_the_hardened_reference_app_reads_every_context_header():
    from targets.refapp.target import context_middlewares

    app = Aksara(database_url=None, auto_discover_views=False, enable_admin=False,
                 middlewares=[*context_middlewares()[0], *context_middlewares()[1]])
    kinds = {kind for kind, _ in context_headers(app)}
    assert kinds == {"request_id", "tenant", "tenant_host", "locale", "timezone"}


def test_context_headers_follow_the_apps_header_names():
    from aksara.middleware import RequestIDMiddleware, TenantMiddleware

    app = Aksara(database_url=None, auto_discover_views=False, enable_admin=False,
                 middlewares=[(RequestIDMiddleware, {"header_name": "X-Correlation-ID"}), (TenantMiddleware, {})])
    assert context_headers(app) == (("request_id", "x-correlation-id"), ("tenant", "x-tenant-id"))
    assert context_headers(Aksara(database_url=None, auto_discover_views=False, enable_admin=False)) == ()


def test_a_decoded_request_id_in_a_response_header_is_caught(split_header_app):
    live = split_header_app
    ctx, headers = OracleContext(live.info), context_headers(live.app)

    def split(req):
        return catalog.MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED in _ids(check_context_request(live, ctx, req))

    found = find_any(context_requests(live.info, headers, "Category"), split, max_examples=1500)
    assert any(name == "x-request-id" and "%0" in value.lower() for name, value in found.headers)


def test_a_client_tenant_header_overriding_the_trusted_tenant_is_caught(tenant_inside_app):
    live = tenant_inside_app
    ctx = OracleContext(live.info)
    # a caller bound to no tenant (RLS shows it no tenant row) selects tenant B by header
    findings = check_context_request(live, ctx, ContextRequest("user_no_tenant", "Ticket",
                                                               (("x-tenant-id", TENANT_B),)))
    found = [f for f in findings if f.property_id == catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY]
    assert found and found[0].facts["problem"] == "rows"

    def overridden(req):
        return catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY in _ids(check_context_request(live, ctx, req))

    find_any(context_requests(live.info, context_headers(live.app), "Ticket"), overridden, max_examples=1500)


def test_a_request_record_naming_the_selected_tenant_is_caught(logging_outside_app):
    live = logging_outside_app
    ctx = OracleContext(live.info)
    findings = check_context_request(live, ctx, ContextRequest("user_a", "Ticket", (("x-tenant-id", TENANT_B),)))
    logged = [f for f in findings if f.property_id == catalog.MIDDLEWARE_LOG_CONTEXT_TRUSTED]
    assert logged and logged[0].observed == TENANT_B and logged[0].facts["logged"] == "header"


@pytest.mark.parametrize("principal, headers", [
    ("user_a", (("x-tenant-id", TENANT_B),)),
    ("user_b", (("x-tenant-id", TENANT_A), ("host", f"{TENANT_A}.example.com"))),
    ("anonymous", (("x-tenant-id", TENANT_A), ("x-request-id", "%0d%0aSet-Cookie: injected=1"))),
    ("agent_read", (("x-request-id", "%0D%0AX-Injected:%201"), ("accept-language", "fr;q=1e999"))),
])
def test_the_reference_app_is_quiet_on_the_planted_inputs(live_target, principal, headers):
    if not context_headers(live_target.app):
        pytest.skip("this profile of the reference app mounts no request-context middleware")
    findings = check_context_request(live_target, OracleContext(live_target.info),
                                     ContextRequest(principal, "Ticket", headers))
    middleware = {catalog.MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED, catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY,
                  catalog.MIDDLEWARE_LOG_CONTEXT_TRUSTED}
    assert not _ids(findings) & middleware, [f.message for f in findings]


def test_no_new_findings_on_the_reference_app(live_target):
    """Whatever the context headers carry, the hardened reference app shows no unknown defect."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    headers = context_headers(live_target.app)
    if not headers:
        pytest.skip("this profile of the reference app mounts no request-context middleware")

    @settings(max_examples=40, deadline=None)
    @given(req=context_requests(live_target.info, headers, "Comment"))
    def run(req):
        try:
            report(check_context_request(live_target, OracleContext(live_target.info), req))
        except NewFinding as exc:  # a new Aksara defect belongs in the ledger, not in this test
            pytest.fail(f"unknown defect: {exc}")

    run()
