"""A team's own app, targeted with a few lines: metadata derived, a planted fault found, and its
endless stream, background worker and redirects cause no hang, false alarm or flaky error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import run_exchange_checks
from targets.derive import seed_id
from targets.loader import TargetError, load_target
from tests.support.planted import started_target

SPEC = "tests.apps.shop_target:make_target"


def test_the_user_code_is_at_most_twenty_lines():
    source = (Path(__file__).parent / "shop_target.py").read_text().splitlines()
    assert len([line for line in source if line.strip()]) <= 20


def test_metadata_is_derived_from_the_app():
    info = load_target(SPEC, "defaults").info
    gadgets, orders = info.resource("ShopGadget"), info.resource("ShopOrder")
    assert (gadgets.prefix, gadgets.paginator, gadgets.filterable_fields) == ("/api/gadgets", "limit_offset",
                                                                             ("name", "price"))
    assert {a.path for a in gadgets.actions} == {"/api/gadgets/{pk}/explode", "/api/gadgets/{pk}/restock"}
    assert orders.field("placed_at").server_controlled  # auto_now_add, not a fixed name
    assert orders.field("gadget").fk_target == "ShopGadget" and not orders.field("quantity").server_controlled
    assert gadgets.stream_enabled and info.health_path == "/health" and info.mcp_path is None
    assert [p.name for p in info.principals] == ["anonymous", "customer"]
    assert "shop-approval-secret-3e5a7c9b1d2f4a6c" in info.secrets  # read from the app's settings


@pytest.mark.parametrize("spec, needle", [
    ("tests.apps.no_such_module:app", "cannot import target module 'tests.apps.no_such_module'"),
    ("tests.apps.shopapp:API_KEYS", "neither an Aksara app nor a callable"),
    ("tests.apps.shopapp:nothing", "has no attribute 'nothing'"),
    ("example:nope", "unknown example 'nope'"),
])
def test_a_target_that_cannot_be_used_is_one_line(spec, needle):
    with pytest.raises(TargetError) as caught:
        load_target(spec, "defaults")
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_an_incomplete_adapter_names_what_is_missing():
    from targets.derive import Adapter, DeriveError, principal

    with pytest.raises(DeriveError, match="'customer' \\(user\\) has no headers"):
        Adapter(principals=[principal("customer", "user")]).check()
    with pytest.raises(DeriveError, match="tenant 'A' is not in adapter.tenants"):
        Adapter(principals=[principal("u", "user", "A", {"x": "y"})]).check()


@pytest.fixture(scope="module")
def shop(pg_server):
    with started_target(pg_server, load_target(SPEC, "defaults"), "shop") as live:
        yield live


def _judge(live, exchange):
    return run_exchange_checks(exchange, OracleContext(live.info))


def test_seed_rows_are_generated_deterministically(shop):
    reply = shop.request("customer", "GET", f"/api/gadgets/{seed_id('shop_gadgets', 2)}")
    assert reply.status == 200 and reply.response_json()["name"] == "name-3"
    assert shop.request("customer", "GET", "/api/orders/").response_json()["count"] == 6


def test_the_planted_fault_is_found(shop):
    reply = shop.request("customer", "GET", f"/api/gadgets/{seed_id('shop_gadgets', 0)}/explode")
    assert [f.property_id for f in _judge(shop, reply)] == ["http.no_server_error"]


def test_the_endless_stream_is_cut_and_judged_without_a_finding(shop):
    started = time.monotonic()
    reply = shop.request("customer", "GET", "/api/gadgets/stream")
    assert time.monotonic() - started < shop.timeout + 3
    assert reply.status == 200 and reply.extra.get("cut") and reply.extra.get("stream")
    assert _judge(shop, reply) == []


def test_a_route_that_never_answers_is_a_responds_in_time_finding(shop):
    import asyncio

    from targets.bounded import exchange_parts, send_bounded
    import httpx

    async def never(scope, receive, send):
        await asyncio.sleep(3600)

    bounded = shop.run(send_bounded(never, httpx.Request("GET", "http://testserver/x"), timeout=0.2))
    status, text, headers, notes = exchange_parts(bounded, 0.2)
    from targets.transcript import Exchange

    exchange = Exchange("GET", "/x", status=status, response_text=text, extra=notes)
    assert [f.property_id for f in _judge(shop, exchange)] == ["http.responds_in_time"]


def test_redirects_are_answers_not_errors(shop):
    for path in ("/old-gadgets", "/admin/"):
        reply = shop.request("anonymous", "GET", path)
        assert 300 <= reply.status < 400 and _judge(shop, reply) == []


def test_the_background_worker_does_not_make_reads_look_like_writes(shop):
    shop.reset()
    gadget = f"/api/gadgets/{seed_id('shop_gadgets', 1)}"
    price = shop.request("customer", "GET", gadget).response_json()["price"]
    queued = shop.request("customer", "POST", f"{gadget}/restock")
    assert queued.status == 200, queued.response_text
    time.sleep(1.5)  # the app's worker (tasks_enabled=True, 1 s poll) would have run the task by now
    assert shop.request("customer", "GET", gadget).response_json()["price"] == price  # the suite keeps it off
    mark = shop.fingerprint()
    for _ in range(3):
        shop.request("customer", "GET", "/api/gadgets/")
        time.sleep(0.2)
    assert shop.changed_since(mark) == []
    shop.reset()


def test_apps_signed_in_through_contrib_auth_sessions_get_those_principals_by_default(pg_server):
    """An app whose only authentication is ``aksara.contrib.auth`` sessions (Aksara's crm example: Aksara's
    middleware only, admin enabled) needs no adapter: a user and a staff account are created and signed in."""
    from targets.derive import Adapter, derive

    target = derive("aksara._examples.crm.main:app", Adapter(), "defaults", name="crm-contrib")
    assert [(p.name, p.kind) for p in target.info.principals] == [
        ("anonymous", "anonymous"), ("contrib_user", "user"), ("contrib_staff", "staff")]
    with started_target(pg_server, target, "crm_contrib") as live:
        answers = {name: live.request(name, "GET", "/admin/") for name in ("anonymous", "contrib_user", "contrib_staff")}
    assert answers["contrib_staff"].status == 200, answers["contrib_staff"].response_text[:200]
    assert answers["anonymous"].status in (302, 303, 307) and answers["contrib_user"].status != 200


def test_an_app_that_reads_aksaras_settings_at_import_gets_its_database(pg_server, monkeypatch):
    """Aksara reads its environment once, when first imported, and other families configure it in-process;
    an app module imported later that builds ``Aksara(database_url=settings.database_url)`` (the project
    scaffold's main.py) still sees the database the suite gives it, so its lifespan connects and its
    routes answer, not 500."""
    import aksara
    from aksara.conf import settings
    from targets.derive import PLACEHOLDER_DSN, Adapter, derive

    saved = dict(settings.__dict__)
    try:
        monkeypatch.setenv("DATABASE_URL", PLACEHOLDER_DSN)  # set by an earlier target of the run
        aksara.configure(database_url=None)  # what an in-process doctor or migration example leaves behind
        target = derive("tests.apps.settingsapp:app", Adapter(public_routes=["*"]), "defaults", name="settings")
    finally:
        settings.__dict__.clear()
        settings.__dict__.update(saved)
    with started_target(pg_server, target, "settings_app") as live:
        reply = live.request("anonymous", "GET", "/api/notes/")
    assert reply.status == 200, reply.response_text[:200]
    assert reply.response_json()["count"] == 6


def test_a_derived_app_keeps_what_its_module_configured_whatever_the_run_configured_since(pg_server):
    """The app's own ``configure()`` at import (an MCP audience) holds when the app is built, even after other
    families reconfigured Aksara or reset it from the environment, and when the module is derived again."""
    import aksara
    from aksara.conf import reset_settings, settings
    from targets.derive import Adapter, derive

    saved = dict(settings.__dict__)
    try:
        first = derive("tests.apps.settingsapp:app", Adapter(public_routes=["*"]), "defaults", name="settings")
        aksara.configure(mcp_token_audience="another-family")
        again = derive("tests.apps.settingsapp:app", Adapter(public_routes=["*"]), "defaults", name="settings2")
        reset_settings()
        for target, database in ((first, "settings_first"), (again, "settings_again")):
            with started_target(pg_server, target, database) as live:
                assert live.setting("mcp_token_audience") == "settings-app"
    finally:
        settings.__dict__.clear()
        settings.__dict__.update(saved)
