"""The console (admin and Studio) oracles catch planted faults and stay quiet on Aksara's own consoles."""

from __future__ import annotations

import pytest

from fuzz import catalog
from fuzz.oracles import studio as oracles
from fuzz.properties import studio as props
from strategies.studio import REDIRECT_TARGETS
from targets import features
from targets.transcript import Exchange
from tests.support.planted import started_planted, started_target
from tests.support.plants import studio as plants

pytestmark = pytest.mark.skipif(not (features.has("admin_site") and features.has("studio")),
                                reason=features.missing("studio") or features.missing("admin_site") or "")


@pytest.fixture(scope="module")
def planted(pg_server):
    with started_planted(pg_server, "hardened", plants.everything, "studio_planted") as live:
        yield live


def _routes(live):
    return {(r.method, r.path): r for r in props.console_routes(live)}


def _access(live, route, principal):
    routes = _routes(live)
    r = routes[route]
    ids = props.discover_ids(live, list(routes.values()))
    names = {s.name for s in live.info.console_principals}
    with props.scratch_cwd():
        return [f for f in props.console_call(live, principal, r.method, r.path, props.fill(r, ids),
                                              console=props.kind_of(r, live), console_principal=principal in names,
                                              kind=r.kind)
                if f.property_id == catalog.STUDIO_CONSOLE_REQUIRES_STAFF]


# -- studio.console_requires_staff --------------------------------------------------------------------

@pytest.mark.parametrize("principal", ["anonymous", "user_a", "agent_write", "user_session"])
def test_access_oracle_catches_an_open_admin_site(planted, principal):
    findings = _access(planted, ("GET", "/admin-open/"), principal)
    assert [f.facts["problem"] for f in findings] == ["served"]


def test_access_oracle_catches_a_studio_route_without_its_gate_and_one_an_api_token_opens(planted):
    assert [f.facts["problem"] for f in _access(planted, ("GET", "/studio/planted/open"), "anonymous")] == ["served"]
    # the reference app's staff API token is not one of Studio's two credentials
    assert [f.facts["caller_kind"] for f in _access(planted, ("GET", "/studio/planted/api-token"), "staff_a")] \
        == ["staff"]


@pytest.mark.parametrize("route", [("GET", "/admin/"), ("GET", "/admin/{app_label}/{model_name}/"),
                                   ("POST", "/admin/{app_label}/{model_name}/{pk}/delete/"),
                                   ("GET", "/studio/runtime/info"), ("POST", "/studio/gaps/run")])
@pytest.mark.parametrize("principal", ["anonymous", "user_a", "staff_a", "system", "agent_write", "user_session",
                                       "staff_session", "studio_token"])
def test_access_oracle_is_quiet_on_aksaras_consoles(planted, route, principal):
    assert _access(planted, route, principal) == []


def test_the_access_sweep_judges_an_admitted_callers_answer_for_server_errors(planted):
    """An admitted caller's 500 is http.no_server_error (here Aksara's own AKSARA-STUDIO-001); a refused
    caller's answer is console_requires_staff's alone."""
    from fuzz.ledger import active_ledger

    routes = _routes(planted)
    r = routes[("GET", "/studio/ai/context")]
    names = {s.name for s in planted.info.console_principals}

    def call(principal):
        with props.scratch_cwd():
            return props.console_call(planted, principal, r.method, r.path, r.path, console="studio",
                                      console_principal=principal in names, kind=r.kind)

    errors = [f for f in call("studio_token") if f.property_id == catalog.HTTP_NO_SERVER_ERROR]
    assert [active_ledger().match(f).id for f in errors] == ["AKSARA-STUDIO-001"]
    assert not [f for f in call("anonymous") if f.property_id == catalog.HTTP_NO_SERVER_ERROR]


def test_the_access_sweep_follows_the_change_lists_query_links_and_is_quiet_on_them(planted):
    routes = _routes(planted)
    pages = props.linked_pages(planted, list(routes.values()))
    params = {k for _, _, query in pages for k, _ in query}
    assert {"o", "p"} <= params and params & {"status", "is_urgent", "is_public", "ticket"}, params
    names = {s.name for s in planted.info.console_principals}
    for route, path, query in pages[:6]:
        for principal in ("anonymous", "user_a", "staff_a", "user_session", "staff_session"):
            findings = props.console_call(planted, principal, "GET", route.path, path, console="admin",
                                          console_principal=principal in names, kind=route.kind, query=query)
            assert findings == [], (principal, path, query)


# -- studio.cross_origin_refused ----------------------------------------------------------------------

def test_cross_origin_oracle_catches_a_studio_write_without_the_origin_check(planted):
    with props.scratch_cwd():
        findings = props.cross_origin_case(planted, "staff_session", "POST", "/studio/planted/write",
                                           "/studio/planted/write", "studio", "foreign_origin")
    assert sorted(f.facts["problem"] for f in findings) == ["accepted", "changed"]


@pytest.mark.parametrize("attack", props.ATTACKS["admin"])
def test_cross_origin_oracle_catches_admin_writes_when_csrf_is_off(planted, attack):
    routes = _routes(planted)
    ids = props.discover_ids(planted, list(routes.values()))
    route = routes[("POST", "/admin/{app_label}/{model_name}/{pk}/delete/")]
    with planted.settings_changed(admin_csrf_enabled=False):  # planted: the documented switch turned off
        findings = props.cross_origin_case(planted, "staff_session", "POST", route.path, props.fill(route, ids),
                                           "admin", attack)
    assert "accepted" in {f.facts["problem"] for f in findings}
    assert "changed" in {f.facts["problem"] for f in findings}  # the row is gone


def test_a_target_runs_with_its_own_settings_whatever_was_configured_since(planted):
    """Aksara's settings are process-wide: a target built later must not change this one's middleware."""
    import aksara
    from aksara.conf import settings

    async def read(name):
        return getattr(settings, name)

    own = planted.run(read("admin_rate_limit_requests"))
    before = dict(settings.__dict__)
    try:
        aksara.configure(admin_rate_limit_requests=1, admin_csrf_enabled=False)  # another target's configure()
        assert planted.run(read("admin_rate_limit_requests")) == own
        assert planted.run(read("admin_csrf_enabled")) is True
        assert settings.admin_rate_limit_requests == 1  # and the other target's values are back after the run
        with planted.settings_changed(admin_csrf_enabled=False):
            assert planted.run(read("admin_csrf_enabled")) is False
        assert planted.run(read("admin_csrf_enabled")) is True
    finally:
        settings.__dict__.clear()
        settings.__dict__.update(before)


@pytest.mark.parametrize("attack", props.ATTACKS["admin"])
def test_cross_origin_oracle_is_quiet_on_the_admin(planted, attack):
    routes = _routes(planted)
    ids = props.discover_ids(planted, list(routes.values()))
    for key in [("POST", "/admin/{app_label}/{model_name}/{pk}/delete/"), ("POST", "/admin/logout/")]:
        route = routes[key]
        assert props.cross_origin_case(planted, "staff_session", "POST", route.path, props.fill(route, ids),
                                       "admin", attack) == [], key


def test_the_admin_control_submits_the_change_form_the_admin_renders(planted):
    """The same-origin control of the cross-origin sweep is the write a browser makes: it saves the row."""
    routes = _routes(planted)
    ids = props.discover_ids(planted, list(routes.values()))
    path = props.fill(routes[("POST", "/admin/{app_label}/{model_name}/{pk}/change/")], ids)
    form = props.rendered_form(planted, "staff_session", path)
    assert form and props.CSRF_FIELD not in dict(form)
    planted.reset()
    headers, token_field = props._attack_request("control", "admin", "t0ken")
    control = props._send(planted, "staff_session", "POST", path, path, "admin", headers,
                          form + list(token_field.items()))
    planted.reset()
    assert control.status in (302, 303), (control.status, control.response_text[:500])


def test_cross_origin_oracle_is_quiet_on_studio_writes(planted):
    with props.scratch_cwd():
        for attack in props.ATTACKS["studio"]:
            assert props.cross_origin_case(planted, "staff_session", "POST", "/studio/search/rebuild",
                                           "/studio/search/rebuild", "studio", attack) == []


# -- studio.redirect_on_site --------------------------------------------------------------------------

#: spellings a browser still reads as on-site even when echoed byte for byte
ON_SITE_EVEN_RAW = {"/%2Fevil.example/", "/%5Cevil.example/", "/admin/../..//evil.example/",
                    "//evil.example%2F@testserver/"}
#: spellings Starlette's RedirectResponse percent-encodes into harmless paths
ENCODED_BY_STARLETTE = {"/\\evil.example/", "\\\\evil.example/", "\\/evil.example/", "/\t/evil.example/",
                        "/\n/evil.example/", "\x01//evil.example/", " //evil.example/"}


@pytest.mark.parametrize("hostile", [t for t in REDIRECT_TARGETS if t not in ON_SITE_EVEN_RAW])
def test_redirect_oracle_catches_a_location_echoing_next(planted, hostile):
    findings = props.redirect_case(planted, "anonymous", "GET", "/admin-plant/raw-go", "/admin-plant/raw-go", hostile)
    assert findings and findings[0].facts["problem"] == "open_redirect"


@pytest.mark.parametrize("hostile", [t for t in REDIRECT_TARGETS if t not in ON_SITE_EVEN_RAW | ENCODED_BY_STARLETTE])
def test_redirect_oracle_catches_an_unchecked_next(planted, hostile):
    findings = props.redirect_case(planted, "anonymous", "GET", "/admin-plant/go", "/admin-plant/go", hostile)
    assert findings and findings[0].facts["problem"] == "open_redirect"


@pytest.mark.parametrize("hostile", sorted(ON_SITE_EVEN_RAW))
def test_redirect_oracle_is_quiet_on_spellings_that_stay_on_site(planted, hostile):
    assert props.redirect_case(planted, "anonymous", "GET", "/admin-plant/raw-go", "/admin-plant/raw-go", hostile) == []


@pytest.mark.parametrize("hostile", REDIRECT_TARGETS)
@pytest.mark.parametrize("principal,method", [("staff_session", "GET"), ("anonymous", "POST"),
                                              ("staff_a", "GET")])
def test_redirect_oracle_is_quiet_on_the_admin_login(planted, hostile, principal, method):
    assert props.redirect_case(planted, principal, method, "/admin/login/", "/admin/login/", hostile) == []


def test_the_login_case_really_logs_in(planted, monkeypatch):
    """The redirect case posts the staff's real password: the login succeeds and redirects to ``next``."""
    sent = []
    original = oracles.check_redirect_on_site
    monkeypatch.setattr(oracles, "check_redirect_on_site",
                        lambda exchange, *a: sent.append(exchange) or original(exchange, *a))
    assert props.redirect_case(planted, "anonymous", "POST", "/admin/login/", "/admin/login/", "/admin/x/") == []
    logged_in, wrong_password = sent
    assert logged_in.status == 302 and oracles.location_of(logged_in) == "/admin/x/"
    assert any(k == "set-cookie" and v.startswith("session_token=") for k, v in logged_in.response_headers)
    assert wrong_password.status == 200


@pytest.mark.parametrize("location,foreign", [
    ("/\\evil.example/", "evil.example"), ("\\\\evil.example", "evil.example"), (" //evil.example", "evil.example"),
    ("/\t/evil.example", "evil.example"), ("https:evil.example", "evil.example"), ("http:evil", None),
    ("https:/evil.example", "evil.example"), ("///evil.example/", "evil.example"), ("javascript:alert(1)", "javascript:"),
    ("//evil.example%2F@testserver/", None), ("HTTPS://EVIL.example:443/", "evil.example"),
    ("/%5Cevil.example/", None), ("/admin/", None), ("http://testserver/admin/", None),
    ("https://testserver@evil.example/", "evil.example")])
def test_browser_location_resolution(location, foreign):
    assert oracles.off_site(location, "http://testserver/admin/login/") == foreign


# -- studio.session_api_boundary ----------------------------------------------------------------------

def test_session_oracle_catches_an_app_that_takes_the_session_cookie_on_its_api(pg_server):
    with started_target(pg_server, plants.session_everywhere("hardened"), "studio_session_everywhere") as live:
        findings = props.session_api_case(live, "staff_session", "GET", "/tickets/", "/tickets/")
    assert [f.facts["problem"] for f in findings] == ["session_authenticates_api"]


def test_session_oracle_is_quiet_on_the_reference_app(planted):
    for method, path in [("GET", "/tickets/"), ("POST", "/comments/")]:
        for principal in ("staff_session", "user_session"):
            assert props.session_api_case(planted, principal, method, path, path) == []


# -- studio.no_secret ---------------------------------------------------------------------------------

def test_secret_oracle_catches_a_settings_dump(planted):
    exchange = planted.request("staff_session", "GET", "/studio/planted/settings", route="/studio/planted/settings")
    findings = oracles.check_no_secret(exchange, props.console_secrets(planted), "studio")
    assert {f.facts["leak"] for f in findings} == {"secret", "setting"}


def test_secret_oracle_is_quiet_on_studio_and_admin_pages(planted):
    with props.scratch_cwd():
        for path in ("/studio/runtime/info", "/studio/handshake", "/studio/diagnostics", "/studio/search/index",
                     "/studio/ai/secrets", "/admin/"):
            exchange = planted.request("staff_session", "GET", path, route=path)
            assert exchange.status == 200, path
            assert oracles.check_no_secret(exchange, props.console_secrets(planted), "studio") == [], path


def test_secret_oracle_ignores_the_callers_own_credential_and_redacted_values():
    sent = Exchange("GET", "/studio/x", headers=(("authorization", "Bearer tok-12345678"),), status=200,
                    response_headers=(("content-type", "application/json"),),
                    response_text='{"echo": "tok-12345678", "secret_key": "***", "password": ""}', route="/studio/x")
    assert oracles.check_no_secret(sent, ("tok-12345678",), "studio") == []


# -- console routes with path parameters (the access sweep's values, hostile values) -------------------------

def test_path_parameter_values_come_from_the_consoles_own_answers(planted):
    """Studio's model inspector is reached with a model Studio itself lists (/studio/models/inspect/all), and
    answers it to an admitted caller."""
    routes = _routes(planted)
    ids = props.discover_ids(planted, list(routes.values()))
    model = ids["/studio/models/inspect/{model_name}"]["model_name"]
    # Studio lists every model registered in the process (other targets' too, under xdist), so the value is
    # judged against Studio's own listing, not the target's resources
    listing = planted.request("staff_session", "GET", "/studio/models/inspect/all", route="/studio/models/inspect/all")
    assert listing.status == 200 and f'"{model}"' in listing.response_text, ids
    path = props.fill(routes[("GET", "/studio/models/inspect/{model_name}")], ids)
    assert planted.request("staff_session", "GET", path, route=path).status == 200
    assert props.parameter_keys("model_name") == ("model_name", "name", "model")
    assert props.parameter_keys("session_id") == ("session_id", "id", "session")


def test_every_console_route_with_a_path_parameter_is_a_combination(planted):
    combos = props.parameter_combinations(planted)
    routes = {(method, route) for _, method, route, _, _ in combos}
    assert {("GET", "/studio/models/inspect/{model_name}"), ("GET", "/studio/db/queries/{request_id}"),
            ("POST", "/studio/ai/investigate/{session_id}/run"), ("GET", "/admin/{app_label}/{model_name}/")} <= routes
    assert not any("{path:path}" in route for _, _, route, _, _ in combos)
    callers = {principal for principal, *_ in combos}
    assert {"anonymous", "user_a", "staff_session", "studio_token"} <= callers


def test_parameter_case_catches_an_inspector_that_shows_ai_sensitive_values(planted):
    assert props.sensitive_values(planted)  # the seed has internal_notes (ai_sensitive) values
    findings = props.parameter_case(planted, "staff_session", "GET", "/studio/planted/models/{model_name}",
                                    {"model_name": "Ticket"})
    assert [(f.property_id, f.facts.get("leak")) for f in findings] == [(catalog.STUDIO_NO_SECRET, "ai_sensitive")]


@pytest.mark.parametrize("name", ["' OR '1'='1", "__class__", "ticket", "Ticket\x00"])
def test_parameter_case_catches_a_server_error_for_a_hostile_model_name(planted, name):
    findings = props.parameter_case(planted, "studio_token", "GET", "/studio/planted/models/{model_name}",
                                    {"model_name": name})
    assert [f.property_id for f in findings] == [catalog.HTTP_NO_SERVER_ERROR]


def test_parameter_case_catches_an_inspector_without_its_gate(planted):
    findings = props.parameter_case(planted, "anonymous", "GET", "/studio/planted/schema/{model_name}",
                                    {"model_name": "Category"})
    assert [(f.property_id, f.facts["problem"]) for f in findings] == [(catalog.STUDIO_CONSOLE_REQUIRES_STAFF,
                                                                        "served")]


@pytest.mark.parametrize("name", ["Category", "Comment", "' OR '1'='1", "__class__", "ticket", "Ticket\x00", "..",
                                  "x" * 5000, "\ud800", "all"])
@pytest.mark.parametrize("principal", ["anonymous", "user_a", "staff_a", "agent_write", "user_session",
                                       "staff_session", "studio_token"])
def test_parameter_case_is_quiet_on_aksaras_model_inspector(planted, name, principal):
    assert props.parameter_case(planted, principal, "GET", "/studio/models/inspect/{model_name}",
                                {"model_name": name}) == []


@pytest.mark.parametrize("principal", ["staff_session", "studio_token"])
def test_the_model_inspector_crash_on_choice_pairs_is_known(planted, principal):
    """Ticket's status choices are (value, label) pairs: Aksara's inspector answers 500 (AKSARA-STUDIO-003)."""
    from fuzz.ledger import active_ledger

    findings = props.parameter_case(planted, principal, "GET", "/studio/models/inspect/{model_name}",
                                    {"model_name": "Ticket"})
    assert [active_ledger().match(f).id for f in findings] == ["AKSARA-STUDIO-003"]
    assert props.parameter_case(planted, "anonymous", "GET", "/studio/models/inspect/{model_name}",
                                {"model_name": "Ticket"}) == []  # refused before the crash


def test_sensitive_values_oracle_is_studio_only_and_ignores_what_the_caller_sent():
    value = "a stored secret note"
    answer = Exchange("GET", "/x", status=200, response_headers=(("content-type", "application/json"),),
                      response_text='{"note": "a stored secret note"}', route="/x")
    assert oracles.check_no_secret(answer, (), "studio", (value,))[0].facts["leak"] == "ai_sensitive"
    assert oracles.check_no_secret(answer, (), "admin", (value,)) == []  # the admin shows rows to staff
    echoed = Exchange("POST", "/x", body=b'{"q": "a stored secret note"}', status=200,
                      response_headers=(("content-type", "application/json"),),
                      response_text='{"note": "a stored secret note"}', route="/x")
    assert oracles.check_no_secret(echoed, (), "studio", (value,)) == []
