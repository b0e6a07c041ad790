"""One example of the hostile-request property on a list or detail route (the request: strategies/http.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fuzz.findings import Finding, replayable, with_facts
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import (
    EXCHANGE_CHECKS,
    check_error_envelope,
    check_exception_mapping,
    check_health_after,
    check_safe_method_no_write,
    run_exchange_checks,
)
from fuzz.query_shape import query_shape
from targets.transcript import Exchange
# the strategy (strategies/http.py); fuzz/test_mcp.py and inputs stored before it moved name them here too
from strategies.http import HostileRequest, KnownIds, RaisedCase, hostile_requests, known_ids  # noqa: F401

if TYPE_CHECKING:
    from targets.client import LiveTarget


def _segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@replayable("http", env=("live", "context", "ids"))
def check_hostile_request(live: LiveTarget, context: OracleContext, ids: KnownIds, req: HostileRequest) -> list[Finding]:
    """Send ``req``; return every generic-oracle finding (no 5xx, envelope, leak, GET-safe, health)."""
    resource = live.info.resource(req.resource)
    if req.pk is None:
        path = route = resource.list_path
    else:
        path, route = resource.detail_path(_segment(req.pk)), resource.detail_path("{pk}")
    exchange = live.request(req.principal, "GET", path, query=req.query, route=route)
    findings = run_exchange_checks(exchange, context)
    findings += check_safe_method_no_write(exchange, live.changes())
    findings += check_health_after(live.healthy(), exchange)
    live.reset()
    shape = query_shape(resource, req.query)
    if req.pk is not None:
        shape += " detail:" + ("existing" if req.pk in ids.get(req.resource, []) else "other")
    kind = live.info.principal(req.principal).kind
    return with_facts(findings, principal_kind=kind, resource=req.resource, query_shape=shape.strip())


# -- the public surface: docs pages, the welcome page, health and declared public routes ----------------

#: How the public pages are asked for: as the API's JSON client does, and as a browser opening them does.
PUBLIC_ACCEPTS = ("json", "html")
BROWSER_ACCEPT = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8")


def public_routes(live: LiveTarget) -> list[tuple[str, str]]:
    """Every (GET, path) of the app's route inventory that the target declares public (docs, health, public
    API routes) or that is a login page, except the MCP endpoint (judged by the MCP properties)."""
    from targets.routes import inventory

    seen: dict[tuple[str, str], None] = {}
    for route in inventory(live.app, live.info):
        if route.public and route.method == "GET" and route.kind != "mcp":
            seen[(route.method, route.path)] = None
    return list(seen)


def public_sweep_calls(live: LiveTarget, ids: KnownIds) -> list[tuple[str, str, str, dict[str, str]]]:
    """(route, principal, accept, path ids) for every public GET route, every principal and both ways of asking;
    a path id is a seeded row of the resource that owns the route."""
    calls = []
    for _, path in public_routes(live):
        resource = live.info.resource_at(path)
        rows = ids.get(resource.name, []) if resource is not None else []
        values = {"pk": rows[0]} if rows else {}
        calls += [(path, principal.name, accept, values) for principal in live.info.principals
                  for accept in PUBLIC_ACCEPTS]
    return calls


@replayable("http", env=("live", "context"))
def check_public_route(live: LiveTarget, context: OracleContext, route: str, principal: str, accept: str,
                       ids: dict[str, str]) -> list[Finding]:
    """GET a public route as ``principal`` (``accept``: the JSON client's or a browser's Accept header); every
    generic-oracle finding: no 5xx, the error envelope for a JSON client, no leak, in time, no write."""
    from targets.routes import RouteInfo

    path = RouteInfo("GET", route, "public", True).fill(ids)
    if accept == "html":
        exchange = live.request(principal, "GET", path, headers=[BROWSER_ACCEPT], route=route, raw_headers=True)
        # a browser asks for HTML: an HTML error page is what it should get, not the JSON envelope
        checks = [c for c in EXCHANGE_CHECKS if c is not check_error_envelope]
        findings = run_exchange_checks(exchange, context, checks)
    else:
        exchange = live.request(principal, "GET", path, route=route)
        findings = run_exchange_checks(exchange, context)
    findings += check_safe_method_no_write(exchange, live.changes())
    if findings:
        live.reset()
    kind = live.info.principal(principal).kind
    return with_facts(findings, principal_kind=kind, route_kind="public", accept=accept)


# -- exceptions raised in a route (http.exception_mapping) -----------------------------------------------------

def raising_exception(case: RaisedCase) -> BaseException | None:
    """The exception ``case`` describes, built as application code builds it; None where the release lacks it."""
    import importlib

    from fastapi import HTTPException

    if case.exception == "HTTPException":
        return HTTPException(status_code=case.number, detail=case.message)
    module = "aksara.manager" if case.exception in ("DoesNotExist", "MultipleObjectsReturned") else "aksara.exceptions"
    cls = getattr(importlib.import_module(module), case.exception, None)
    if cls is None:
        return None
    if case.exception == "UniqueConstraintError":
        return cls(case.message, field_name=case.field)
    if case.exception == "ValidationError":
        return cls(case.message, errors={case.field: case.message})
    if case.exception == "RestrictedError":
        return cls(case.message, model_name=case.field, related_model=case.message, related_count=case.number)
    return cls(case.message)


@replayable("http")
def raised_in_route(case: RaisedCase) -> list[Finding]:
    """A standard Aksara app (no database, as in the exception reference's own example) whose one route raises
    ``case``'s exception; its answer to a JSON client is judged against the reference's table."""
    import asyncio

    import httpx
    from aksara import Aksara

    from targets.client import settings_as

    exc = raising_exception(case)
    if exc is None:
        return []
    with settings_as():
        app = Aksara(database_url=None, auto_discover_views=False, debug=False, enable_admin=False)

        @app.get("/raises")
        async def raises() -> None:
            raise exc

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.get("/raises", headers={"accept": "application/json"})

        loop = asyncio.new_event_loop()
        try:
            response = loop.run_until_complete(send())
        finally:
            loop.close()
    exchange = Exchange("GET", "/raises", headers=(("accept", "application/json"),), route="/raises",
                        status=response.status_code, response_headers=tuple(response.headers.items()),
                        response_text=response.text)
    return check_exception_mapping(case, str(exc) if case.exception != "HTTPException" else case.message, exchange)
