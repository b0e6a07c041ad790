"""Crash capture identifies a server error by its crash state, and ledger signatures match that state.

The planted routes run on the real reference app; the planted regression is a real Aksara
function replaced in this process for one test (the input stays one a known entry covers).
"""

from __future__ import annotations

import asyncio
import base64
import json

import aksara.fields
import httpx
import pytest
from fastapi import FastAPI, HTTPException

from fuzz.findings import Finding, NewFinding, report
from fuzz.ledger import active_ledger
from fuzz.oracles.context import OracleContext
from fuzz.properties.http import check_hostile_request
from strategies.http import HostileRequest, known_ids
from targets.crash import CrashState, chain, crash_state, instrument, normalise_message
from targets.transcript import Exchange
from tests.support.planted import raising_route, started_planted


def database_error_route(app):
    """GET /planted/dberror -> a failing UPDATE re-raised as HTTPException(500), the way Aksara's router does."""
    from aksara.db.engine import Database
    from aksara.exceptions import DatabaseError

    @app.get("/planted/dberror")
    async def planted_dberror() -> dict:
        try:
            await Database.get_instance().execute("UPDATE categories SET sort_order = sort_order / 0")
        except DatabaseError:
            raise HTTPException(status_code=500, detail="Database error occurred")
        except Exception:  # an older release that does not wrap driver errors
            raise HTTPException(status_code=500, detail="Database error occurred")
        return {}


def planted_routes(app):
    database_error_route(app)
    raising_route(app)


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"), planted_routes, "crash") as live:
        yield live


def hostile(live, principal, resource, query):
    return check_hostile_request(live, OracleContext(live.info), known_ids(live), HostileRequest(principal, resource, None, query))


def test_a_database_error_is_identified_by_root_cause_frames_sqlstate_and_operation(planted):
    exchange = planted.request("user_a", "GET", "/planted/dberror")
    assert exchange.status == 500
    crash = exchange.crash
    assert crash is not None
    assert crash.exception == "DivisionByZeroError"
    assert crash.wrapper == "HTTPException"
    assert crash.sqlstate == "22012"
    assert crash.sql_operation == "UPDATE"
    assert crash.frames and crash.frames[0] == "aksara.db.engine:execute"
    assert all(":" in f and not any(ch.isdigit() for ch in f.split(":")[1]) for f in crash.frames)


def test_a_python_exception_outside_aksara_is_identified_by_the_apps_own_frame(planted):
    exchange = planted.request("user_a", "GET", "/planted/raise")
    assert exchange.status == 500
    assert exchange.crash is not None
    assert exchange.crash.exception == "RuntimeError"
    assert exchange.crash.frames == ("tests.support.planted:planted_raise",)
    assert exchange.crash.sqlstate == "" and exchange.crash.sql_operation == ""
    assert exchange.crash.message == "planted failure"


def test_a_crash_inside_aksara_names_aksara_frames_nearest_the_raise_point(live_target):
    exchange = live_target.request("user_a", "GET", "/tickets/", query=[("priority", "abc")])
    assert exchange.status == 500
    assert exchange.crash.exception == "ValueError"
    assert exchange.crash.frames == (
        "aksara.fields:_coerce_strict_integer", "aksara.fields:to_db", "aksara.manager:_compile_filter_condition")
    assert exchange.crash.message == "Integer requires a base-<n> integer string, got <q>"


def test_handled_client_errors_and_successes_record_no_crash(live_target):
    missing = live_target.request("user_a", "GET", "/tickets/00000000-0000-4000-8000-000000000001")
    invalid = live_target.request("user_a", "GET", "/tickets/", query=[("limit", "abc")])
    fine = live_target.request("user_a", "GET", "/tickets/")
    assert (missing.status, invalid.status, fine.status) == (404, 422, 200)
    assert missing.crash is None and invalid.crash is None and fine.crash is None


def test_a_crash_is_not_carried_over_to_the_next_request(live_target):
    assert live_target.request("user_a", "GET", "/tickets/", query=[("priority", "abc")]).crash is not None
    assert live_target.request("user_a", "GET", "/tickets/").crash is None


def test_a_new_crash_inside_aksara_behind_a_known_input_class_is_new(live_target, monkeypatch):
    """A planted regression in Aksara's own integer coercion, reached by the input AKSARA-QUERY-001 covers."""
    known = hostile(live_target, "user_a", "Ticket", [("priority", "abc")])
    assert known and active_ledger().match(known[0]).id == "AKSARA-QUERY-001"

    def regressed(value, field_name):
        return {}[field_name]  # planted: a KeyError where a ValueError was raised

    monkeypatch.setattr(aksara.fields, "_coerce_strict_integer", regressed)
    findings = hostile(live_target, "user_a", "Ticket", [("priority", "abc")])
    assert findings
    facts = findings[0].signature_facts()
    assert facts["exception"] == "KeyError"
    assert facts["crash_frames"].startswith("aksara.fields:to_db < aksara.manager:_compile_filter_condition")
    assert facts["query_shape"] == known[0].signature_facts()["query_shape"]
    assert active_ledger().match(findings[0]) is None
    with pytest.raises(NewFinding):
        report(findings[:1])


def test_a_known_defect_reached_by_another_input_still_matches(live_target):
    """An AI principal's uncoercible filter is AKSARA-QUERY-001 (its cause), not the AI-read defect."""
    by_agent = hostile(live_target, "agent_read", "Ticket", [("priority", "abc")])
    by_isnull = hostile(live_target, "user_a", "Ticket", [("resolved_at__isnull", "maybe")])
    assert by_agent and by_isnull
    assert active_ledger().match(by_agent[0]).id == "AKSARA-QUERY-001"
    assert active_ledger().match(by_isnull[0]).id == "AKSARA-QUERY-001"
    assert by_isnull[0].signature_facts()["crash_frames"].startswith("aksara.manager:_parse_isnull_value")


def test_a_cursor_whose_id_is_not_a_uuid_is_its_own_known_defect(live_target):
    cursor = base64.b64encode(json.dumps({"id": "abc"}).encode()).decode()
    by_cursor = hostile(live_target, "user_a", "Category", [("cursor", cursor)])
    by_filter = hostile(live_target, "user_a", "Category", [("id", "abc")])
    assert by_cursor and by_filter
    assert by_cursor[0].exchanges[-1].status == 500
    assert by_cursor[0].signature_facts()["crash_state"] == by_filter[0].signature_facts()["crash_state"]
    assert active_ledger().match(by_cursor[0]).id == "AKSARA-PAGE-002"
    assert active_ledger().match(by_filter[0]).id == "AKSARA-QUERY-001"


def test_crash_facts_are_in_signature_facts_and_finding_json(live_target):
    findings = hostile(live_target, "user_a", "Ticket", [("priority__contains", "1")])
    facts = findings[0].signature_facts()
    assert (facts["exception"], facts["sqlstate"], facts["sql_operation"]) == ("UndefinedFunctionError", "42883", "SELECT")
    assert facts["crash_state"] == f"UndefinedFunctionError @ {facts['crash_frames']}"
    data = findings[0].to_json()
    assert data["crash"]["exception"] == "UndefinedFunctionError"
    assert data["exchanges"][-1]["crash"]["sqlstate"] == "42883"
    quiet = Finding("http.no_server_error", "m", exchanges=(Exchange("GET", "/"),)).signature_facts()
    assert quiet["exception"] == "" and quiet["crash_state"] == ""


def test_exchange_round_trips_its_crash():
    crash = CrashState("ValueError", "HTTPException", ("aksara.a:f", "aksara.b:g"), ("aksara.a:f", "aksara.b:g", "aksara.c:h"),
                       "22000", "SELECT", "value <n>", 500)
    exchange = Exchange("GET", "/x", status=500, crash=crash)
    assert Exchange.from_json(json.loads(json.dumps(exchange.to_json()))) == exchange
    assert Exchange.from_json(Exchange("GET", "/x").to_json()).crash is None


def test_message_classes_drop_values_and_keep_code_names():
    assert normalise_message("Invalid isoformat string: 'abc12' for a0000000-0000-4000-8000-00000000000a") == \
        "Invalid isoformat string: <q> for <uuid>"
    assert normalise_message("'str' object has no attribute 'toordinal'") == "'str' object has no attribute 'toordinal'"
    assert normalise_message("__in lookup requires a list, got <class 'str'>") == "__in lookup requires a list, got <class 'str'>"


def test_plain_fastapi_apps_and_unknown_objects_are_instrumented_without_breaking():
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> dict:
        raise LookupError("nope")

    @app.get("/teapot")
    async def teapot() -> dict:
        raise HTTPException(418, "teapot")

    recorder = instrument(app)
    assert instrument(app) is recorder

    async def go(path):
        recorder.clear()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            status = (await client.get(path)).status_code
        return status, recorder.crash()

    status, crash = asyncio.run(go("/boom"))
    assert status == 500 and crash.exception == "LookupError"
    assert crash.frames[0].endswith(":boom")
    status, crash = asyncio.run(go("/teapot"))
    assert status == 418 and crash is None

    class Bare:
        __slots__ = ()

    assert instrument(Bare()).crash() is None


def test_an_exception_group_is_a_wrapper_and_the_chain_goes_on_into_its_first_exception():
    def fail() -> None:
        raise KeyError("inner")

    try:
        try:
            fail()
        except KeyError as inner:
            raise BaseExceptionGroup("unhandled errors in a TaskGroup", [inner])
    except BaseExceptionGroup as group:
        causes = chain(group)
    assert [type(e).__name__ for e in causes] == ["ExceptionGroup", "KeyError"]


def test_an_exception_re_raised_out_of_its_own_group_is_the_root_cause():
    """Starlette lets a middleware's lone exception out of its task group by raising it inside the group's
    handler, so the group becomes that exception's context: the group is no part of the chain."""
    def fail() -> None:
        raise TypeError("list() got an unexpected keyword argument 'limit'")

    try:
        try:
            try:
                fail()
            except TypeError as inner:
                raise BaseExceptionGroup("unhandled errors in a TaskGroup", [inner])
        except BaseExceptionGroup as group:
            raise group.exceptions[0]
    except TypeError as escaped:
        state = crash_state(escaped)
        causes = chain(escaped)
    assert [type(e).__name__ for e in causes] == ["TypeError"]
    assert (state.exception, state.wrapper) == ("TypeError", "")


def test_a_crash_raised_in_application_code_that_aksara_called_names_that_code_as_its_origin():
    """Aksara's frames identify the crash (the ledger matches them); the raise point outside them says whose
    code failed: a viewset override of the app raising inside Aksara's router is the app's defect."""
    app_code = {"__name__": "myapp.views"}
    exec("def normalize(value):\n    return value.strip()\n", app_code)
    router = {"__name__": "aksara.api.router", "normalize": app_code["normalize"]}
    exec("def update_item(value):\n    return normalize(value)\n", router)
    with pytest.raises(AttributeError) as raised:
        router["update_item"](None)
    crash = crash_state(raised.value)
    assert crash.frames == ("aksara.api.router:update_item",)
    assert crash.origin == "myapp.views:normalize" == crash.facts()["crash_origin"]
    assert CrashState.from_json(crash.to_json()) == crash
    exchange = Exchange("PATCH", "/x/1", status=500, crash=crash)
    assert "raised in: myapp.views:normalize" in Finding("http.no_server_error", "500", exchanges=(exchange,)).describe()


def test_the_recording_layer_adds_nothing_an_app_would_export_from_its_middleware():
    # Aksara's AI context exports each middleware's kwargs as JSON: the suite's recorder must not be among them
    import json

    from fastapi import FastAPI
    from starlette.middleware.gzip import GZipMiddleware

    from targets.crash import instrument

    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=100)
    recorder = instrument(app)
    assert len(app.user_middleware) == 2
    for entry in app.user_middleware:
        json.dumps(dict(entry.kwargs))
    assert app.user_middleware[1].cls.recorder is recorder
