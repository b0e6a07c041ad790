"""The generic HTTP oracles catch planted faults and stay quiet on the reference app."""

from __future__ import annotations

import pytest

from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import (
    check_error_envelope,
    check_health_after,
    check_no_leak,
    check_no_server_error,
    check_safe_method_no_write,
    run_exchange_checks,
)
from targets.refapp.target import AGENT_SECRET
from tests.support.planted import (
    health_breaking_route,
    leaking_route,
    logging_route,
    plain_text_error_route,
    raising_route,
    secret_route,
    started_planted,
    writing_get_route,
)


def _all_planted(app):
    for extend in (raising_route, leaking_route, plain_text_error_route, writing_get_route,
                   secret_route(AGENT_SECRET), logging_route(AGENT_SECRET)):
        extend(app)


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"), _all_planted, "generic") as live:
        yield live


@pytest.fixture(scope="module")
def ctx(planted):
    return OracleContext(planted.info)


def test_no_server_error_catches_a_raising_route(planted, ctx):
    exchange = planted.request("user_a", "GET", "/planted/raise")
    findings = check_no_server_error(exchange, ctx)
    assert [f.property_id for f in findings] == ["http.no_server_error"]
    assert findings[0].facts["status"] == "500"


def test_error_envelope_catches_plain_text_errors(planted, ctx):
    findings = check_error_envelope(planted.request("user_a", "GET", "/planted/plain"), ctx)
    assert len(findings) == 1 and "not JSON" in findings[0].message


def test_no_leak_catches_sql_and_exception_text(planted, ctx):
    exchange = planted.request("user_a", "GET", "/planted/leak", query=[("q", "1")])
    assert exchange.status == 400
    kinds = {f.facts["leak"] for f in check_no_leak(exchange, ctx)}
    assert "sql" in kinds


def test_no_leak_ignores_the_callers_own_input_echoed_back(planted, ctx):
    # A 404 for an id made of SQL words echoes the id: that is not a leak.
    exchange = planted.request("user_a", "GET", "/tickets/SELECT%20x%20FROM%20y")
    assert exchange.status >= 400
    assert check_no_leak(exchange, ctx) == []


def test_no_leak_catches_a_configured_secret(planted, ctx):
    findings = check_no_leak(planted.request("anonymous", "GET", "/planted/secret"), ctx)
    assert [f.facts["leak"] for f in findings] == ["secret"]
    assert findings[0].facts["secret_at"] == "debug.agent_secret"  # where it sits, for a signature to name


def test_a_secrets_place_is_its_json_path_without_list_positions():
    from targets.transcript import Exchange
    from fuzz.oracles.context import value_location

    def at(text: str, headers: tuple = ()) -> str:
        return value_location(Exchange("GET", "/x", status=200, response_text=text, response_headers=headers),
                              "s3cr3t-value")

    assert at('{"middleware": [{"config": {}}, {"config": {"key": "k=s3cr3t-value"}}]}') == "middleware[].config.key"
    assert at('not json s3cr3t-value') == "body"
    assert at('{}', (("X-Debug", "s3cr3t-value"),)) == "header:x-debug"
    # the body is where it is looked for first: a copy in a header does not move it
    assert at('{"a": {"b": "s3cr3t-value"}}', (("Set-Cookie", "k=s3cr3t-value"),)) == "a.b"


def test_no_leak_catches_a_credential_and_a_secret_in_a_log_record(planted, ctx):
    exchange = planted.request("user_a", "GET", "/planted/log-auth")
    assert exchange.logs, "the planted route's DEBUG record was not captured"
    found = {f.facts["leak"]: f for f in check_no_leak(exchange, ctx)}
    assert set(found) == {"log_secret", "log_credential"}
    assert found["log_credential"].facts["logger"] == "aksara.planted"
    assert AGENT_SECRET not in found["log_secret"].observed  # the report does not repeat the secret


def test_no_leak_is_quiet_on_a_log_record_without_secrets(planted, ctx):
    exchange = planted.request("user_a", "GET", "/planted/log-quiet")
    assert any("served /planted/log-quiet" in line for line in exchange.logs)
    assert check_no_leak(exchange, ctx) == []


def test_safe_method_oracle_catches_a_writing_get(planted):
    exchange = planted.request("user_a", "GET", "/planted/touch")
    changed = planted.changes()
    planted.reset()
    findings = check_safe_method_no_write(exchange, changed)
    assert changed == ["categories"] and len(findings) == 1


def test_health_oracle_catches_an_app_left_unhealthy(pg_server, request):
    profile = request.config.getoption("target_profile")
    with started_planted(pg_server, profile, health_breaking_route, "health") as live:
        before = check_health_after(live.healthy(), None)
        trigger = live.request("anonymous", "GET", "/planted/break")
        after = check_health_after(live.healthy(), trigger)
    assert before == [] and len(after) == 1 and after[0].facts["status"] == "503"


@pytest.mark.parametrize("principal", ["anonymous", "user_a", "staff_a", "user_b", "system"])
def test_generic_oracles_are_quiet_on_correct_routes(planted, ctx, principal):
    quiet = []
    for path, query in [("/categories/", []), ("/tickets/", [("limit", "5")]), ("/comments/", [("page", "1")]),
                        ("/tickets/00000000-0000-4000-8000-000000000000", []), ("/tickets/", [("limit", "0")]),
                        ("/health", [])]:
        exchange = planted.request(principal, "GET", path, query=query)
        quiet += run_exchange_checks(exchange, ctx)
        quiet += check_safe_method_no_write(exchange, planted.changes())
    assert quiet == []


def test_the_app_sees_the_path_decoded_exactly_once():
    """A percent-encoded ``%`` reaches the app as a literal ``%``: the ASGI path is decoded once, like a server's."""
    import asyncio

    import httpx

    from targets.bounded import send_bounded

    seen = {}

    async def echo(scope, receive, send):
        seen.update(path=scope["path"], raw_path=scope["raw_path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    request = httpx.Request("GET", httpx.URL("http://testserver", path="/tickets/%250A"))
    asyncio.run(send_bounded(echo, request, timeout=2))
    assert seen == {"path": "/tickets/%0A", "raw_path": b"/tickets/%250A"}


def test_an_ai_mark_cleared_on_the_way_out_still_counts():
    """Aksara's AIAgentMiddleware sets request.state.is_ai_agent and clears it after the response: the exchange
    still says the request was marked (else AKSARA-AI-008, which needs an unmarked request, absorbed a REST AI gate
    that stopped working on the platform target)."""
    import asyncio

    import httpx
    from starlette.requests import Request

    from targets.bounded import exchange_parts, send_bounded

    async def app(scope, receive, send, mark=True):
        request = Request(scope, receive)
        request.state.is_ai_agent = mark
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        request.state.is_ai_agent = False

    async def unmarked(scope, receive, send):
        await app(scope, receive, send, mark=False)

    request = httpx.Request("GET", "http://testserver/x")
    notes = [exchange_parts(asyncio.run(send_bounded(a, request, timeout=2)), 2)[3] for a in (app, unmarked)]
    assert [n.get("ai_request") for n in notes] == ["yes", "no"]
