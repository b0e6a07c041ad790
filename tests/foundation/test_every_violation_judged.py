"""Every violation of an example is judged: a known one never hides a new one in the same example.

A planted route answers one response that breaks several properties at once; one of them matches a
ledger entry, the others do not, and the example goes red on exactly the new ones while the known one
is still recorded. The route inventory checks every route before judging, and understands redirects:
a redirect to a login page is a refusal, any other redirect is followed to where it ends.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.responses import RedirectResponse

from fuzz import test_authz as authz_tests
from fuzz.findings import Finding, NewFinding, report
from fuzz.oracles.authz import check_route_requires_auth
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import run_exchange_checks
from targets.routes import inventory
from targets.transcript import Exchange
from tests.support.ledgers import planted_ledger as planted_ledger_of
from tests.support.planted import started_planted

PLANTED_LEDGER = textwrap.dedent("""
    defects:
      - id: PLANTED-500
        title: the planted route answers 500
        owner: app
        property: http.no_server_error
        affected: ">=0.1"
        signature: {route: "^/planted/double-fault$"}
        examples: {match: {route: /planted/double-fault}, no_match: {route: /elsewhere}}
        reproducer: GET /planted/double-fault
      - id: PLANTED-SQL
        title: the planted route's error names the SQL it ran
        owner: app
        property: http.no_leak
        affected: ">=0.1"
        signature: {route: "^/planted/double-fault$", leak: "^sql$"}
        examples: {match: {route: /planted/double-fault, leak: sql}, no_match: {route: /planted/double-fault, leak: path}}
        reproducer: GET /planted/double-fault
""")


def extend(app: Any) -> None:
    @app.get("/planted/double-fault")
    async def double_fault() -> dict:  # planted: a 500 whose message leaks SQL (known) and a traceback (new)
        raise HTTPException(status_code=500, detail='syntax error at or near "x" -- File "/srv/app/views.py", line 7')

    @app.get("/planted/open-data")
    async def open_data() -> dict:  # planted: served to anyone
        return {"rows": [1, 2, 3]}

    @app.get("/planted/login-guarded")
    async def login_guarded() -> Any:  # correct: anonymous callers are sent to the login page
        return RedirectResponse("http://testserver/admin/login?next=/planted/login-guarded", status_code=302)

    @app.get("/planted/bounce")
    async def bounce() -> Any:  # planted: a redirect that ends on data
        return RedirectResponse("/planted/open-data", status_code=307)

    @app.get("/planted/bounce-guarded")
    async def bounce_guarded() -> Any:  # correct: a redirect that ends on the login page
        return RedirectResponse("/planted/login-guarded", status_code=302)


@pytest.fixture(scope="module")
def planted(pg_server):
    with started_planted(pg_server, "hardened", extend, "judged") as live:
        yield live


@pytest.fixture
def ledger_with_planted_entries(tmp_path):
    with planted_ledger_of(tmp_path, PLANTED_LEDGER) as collector:
        yield collector


def test_one_response_with_a_known_and_a_new_violation_goes_red_on_the_new_one(planted, ledger_with_planted_entries):
    exchange = planted.request("anonymous", "GET", "/planted/double-fault", route="/planted/double-fault")
    findings = run_exchange_checks(exchange, OracleContext(planted.info))
    assert {(f.property_id, f.facts.get("leak", "")) for f in findings} >= {
        ("http.no_server_error", ""), ("http.no_leak", "sql"), ("http.no_leak", "traceback"), ("http.no_leak", "path")}
    with pytest.raises(NewFinding) as raised:
        report(findings)
    new = raised.value.findings
    assert {(f.property_id, f.facts.get("leak")) for f in new} == {("http.no_leak", "traceback"), ("http.no_leak", "path")}
    assert raised.value.finding is new[0]
    assert "2 new findings" in str(raised.value)
    # the known violations of the same example were recorded, wherever they stood in the list
    assert set(ledger_with_planted_entries.known) == {"PLANTED-500", "PLANTED-SQL"}


def test_known_findings_after_a_new_one_are_still_recorded(ledger_with_planted_entries):
    known = Finding("http.no_server_error", "500", exchanges=(
        Exchange("GET", "/planted/double-fault", status=500, route="/planted/double-fault"),))
    new = Finding("http.no_server_error", "500", exchanges=(Exchange("GET", "/elsewhere", status=500),))
    with pytest.raises(NewFinding) as raised:
        report([new, known, new])
    assert raised.value.findings == (new, new)
    assert ledger_with_planted_entries.known["PLANTED-500"].count == 1


def test_route_inventory_checks_every_route_and_follows_redirects(planted, ledger_with_planted_entries):
    routes = [r for r in inventory(planted.app, planted.info)
              if r.path.startswith("/planted/") and r.path != "/planted/double-fault" or r.path == "/ai/context/routes"]
    assert {r.path for r in routes} >= {"/planted/open-data", "/planted/bounce", "/ai/context/routes",
                                        "/planted/login-guarded", "/planted/bounce-guarded"}
    any_ids = {"pk": "00000000-0000-4000-8000-000000000000"}
    with pytest.raises(NewFinding) as raised:
        authz_tests.test_every_non_public_route_rejects_anonymous_callers(planted, routes, any_ids)
    new = [f for f in raised.value.findings if f.property_id == "authz.route_requires_auth"]
    # both routes, each as the anonymous caller and as the least-privileged user
    assert sorted((f.facts["route"], f.facts["caller"]) for f in new) == [
        ("/planted/bounce", "anonymous"), ("/planted/bounce", "user_no_tenant"),
        ("/planted/open-data", "anonymous"), ("/planted/open-data", "user_no_tenant")]
    bounced = next(f for f in new if f.facts["route"] == "/planted/bounce")
    assert bounced.facts["problem"] == "served" and bounced.facts["redirected_to"] == "/planted/open-data"
    assert [e.status for e in bounced.exchanges] == [307, 200]
    # the known /ai/* exposure on the same run was recorded, not hidden by (or hiding) the new ones
    assert "AKSARA-AI-001" in ledger_with_planted_entries.known


def _redirect(location: str | None, status: int = 302) -> Exchange:
    headers = (("location", location),) if location else ()
    return Exchange("GET", "/admin/", status=status, route="/admin/", response_headers=headers)


@pytest.mark.parametrize("location", ["/admin/login?next=/admin/", "http://testserver/accounts/sign-in",
                                      "/auth/", "/sso/start"])
def test_a_redirect_to_a_login_page_is_a_refusal(location):
    assert check_route_requires_auth(_redirect(location), "admin") == []


def test_a_redirect_is_not_served_but_where_it_ends_is_judged():
    [finding] = check_route_requires_auth(_redirect(None, 301), "admin")  # nothing to follow: judged as it is
    assert finding.facts["problem"] == "served"
    ended = Exchange("GET", "/admin/dashboard", status=200, route="/admin/dashboard")
    [finding] = check_route_requires_auth(ended, "admin", redirects=[_redirect("/admin/dashboard")])
    assert finding.facts["route"] == "/admin/" and finding.facts["redirected_to"] == "/admin/dashboard"
