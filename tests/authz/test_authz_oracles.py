"""Authorization oracles catch planted faults and stay quiet on correct code."""

from __future__ import annotations

from typing import Any

import pytest
from aksara.api import action
from aksara.permissions import AllowAny
from fastapi import HTTPException, Request

from fuzz.properties import authz as props
from targets.base import describe_viewset
from targets.client import LiveTarget
from targets.refapp.views import TicketViewSet
from targets.routes import inventory
from tests.support.planted import started_planted


class TenantCheckedTickets(TicketViewSet):
    """Correct: detail routes go through the tenant-filtered queryset."""

    prefix = "/planted/checked-tickets"

    async def _own(self, request: Request, pk: str) -> Any:
        try:
            row = await self.get_queryset(request=request).filter(id=pk).first()
        except ValueError:
            raise HTTPException(status_code=400, detail="Invalid id format")
        if row is None:
            raise HTTPException(status_code=404, detail="Ticket not found")
        return row

    async def retrieve(self, pk: str, request: Request) -> Any:
        self.check_permissions(request)
        return self._serialize(await self._own(request, pk), request=request)

    async def update(self, pk: str, data: dict, request: Request) -> Any:
        await self._own(request, pk)
        return await super().update(pk=pk, data=data, request=request)

    async def delete(self, pk: str, request: Request) -> Any:
        await self._own(request, pk)
        return await super().delete(pk=pk, request=request)


class OpenAction(TicketViewSet):
    """Planted: a detail action that forgot its permission classes (AllowAny)."""

    prefix = "/planted/open-action"

    @action(detail=True, methods=["post"], permission_classes=[AllowAny])
    async def reopen(self, request: Request, pk: str) -> dict:
        return {"reopened": pk}


def extend(app: Any) -> None:
    app.register_viewsets([TenantCheckedTickets, OpenAction])

    @app.get("/planted/open-data")
    async def open_data() -> dict:  # planted: a route mounted without auth
        return {"secret": "rows"}


@pytest.fixture(scope="module")
def defaults_app(pg_server):
    with started_planted(pg_server, "defaults", extend, "authz_defaults") as live:
        yield live


def _foreign_ticket(live: LiveTarget, principal: str) -> str:
    mine = props.tenant_of(live, principal)
    model = props.TenantModel.from_db(live)
    return next(i for i, t in model.tenants("Ticket").items() if t != mine)


@pytest.mark.parametrize("operation", ["read", "update", "delete"])
def test_cross_tenant_oracle_catches_a_detail_route_without_the_tenant_filter(defaults_app, operation):
    stock = describe_viewset(TicketViewSet)  # in the defaults profile nothing else isolates tenants
    findings = props.cross_tenant(defaults_app, "user_a", stock, operation, _foreign_ticket(defaults_app, "user_a"))
    defaults_app.reset()
    assert findings and findings[0].facts["problem"] == "allowed"


@pytest.mark.parametrize("operation", ["read", "update", "delete"])
def test_cross_tenant_oracle_is_quiet_when_detail_routes_filter_by_tenant(defaults_app, operation):
    checked = describe_viewset(TenantCheckedTickets)
    findings = props.cross_tenant(defaults_app, "user_a", checked, operation, _foreign_ticket(defaults_app, "user_a"))
    defaults_app.reset()
    assert findings == []


def test_cross_tenant_oracle_catches_a_revealing_status(defaults_app):
    from fuzz.oracles.authz import check_cross_tenant_denied
    from targets.transcript import Exchange

    forbidden = Exchange("GET", "/x/1", status=403, route="/x/{pk}")
    missing = Exchange("GET", "/x/2", status=404, route="/x/{pk}")
    assert check_cross_tenant_denied(forbidden, missing, [], "read")[0].facts["problem"] == "existence_revealed"
    assert check_cross_tenant_denied(missing, missing, [], "read") == []


def test_route_inventory_finds_routes_openapi_hides(defaults_app):
    routes = {(r.method, r.path): r for r in inventory(defaults_app.app, defaults_app.info)}
    assert routes[("GET", "/planted/open-data")].kind == "other"
    assert routes[("POST", "/planted/open-action/{pk}/reopen")].kind == "other"
    assert routes[("GET", "/health")].public and routes[("GET", "/categories/")].public
    assert not routes[("GET", "/tickets/")].public


def test_route_oracle_catches_an_unauthenticated_route_and_an_action_without_permissions(defaults_app):
    routes = {(r.method, r.path): r for r in inventory(defaults_app.app, defaults_app.info)}
    ids = {"pk": _foreign_ticket(defaults_app, "user_a")}
    for key in [("GET", "/planted/open-data"), ("POST", "/planted/open-action/{pk}/reopen")]:
        findings = props.route_requires_auth(defaults_app, routes[key], ids)
        assert [f.facts["problem"] for f in findings] == ["served"], key


def test_route_oracle_is_quiet_on_routes_that_require_auth(defaults_app):
    routes = {(r.method, r.path): r for r in inventory(defaults_app.app, defaults_app.info)}
    ids = {"pk": _foreign_ticket(defaults_app, "user_a")}
    for key in [("GET", "/tickets/"), ("GET", "/tickets/{pk}"), ("DELETE", "/tickets/{pk}"),
                ("POST", "/tickets/{pk}/close"), ("PATCH", "/comments/{pk}")]:
        assert props.route_requires_auth(defaults_app, routes[key], ids) == [], key


def test_list_oracle_catches_foreign_rows_and_the_tenant_required_oracle_catches_all_rows(defaults_app):
    model = props.TenantModel.from_db(defaults_app)
    tickets = defaults_app.info.resource("Ticket")
    # defaults: a principal without a tenant sees everyone's rows (the stock behaviour)
    findings = props.list_as(defaults_app, "user_no_tenant", tickets, "none", None, model)
    assert findings and findings[0].property_id == "authz.tenant_required"
    # a tenant principal's list is filtered by policy even in defaults: quiet, whatever the hint
    for hint in props.LIST_HINTS:
        assert props.list_as(defaults_app, "user_a", tickets, hint, defaults_app.info.tenants["B"], model) == []


def test_state_oracle_catches_a_row_moved_to_another_tenant():
    from fuzz.oracles.authz import check_state_matches_model

    expected = {"Ticket": {"1": "A", "2": "B"}}
    assert check_state_matches_model(expected, {"Ticket": {"1": "A", "2": "B"}}, None) == []
    findings = check_state_matches_model(expected, {"Ticket": {"1": "B", "2": "B", "3": "A"}}, None)
    # a moved row and an unexpected row are two violations, each judged on its own
    assert sorted(f.facts["problem"] for f in findings) == ["extra", "moved_tenant"]


def test_replay_oracle_catches_a_read_other_principals_can_repeat(defaults_app):
    stock = describe_viewset(TicketViewSet)
    principals = ["anonymous", "user_a", "user_b", "user_no_tenant"]
    row = _foreign_ticket(defaults_app, "user_b")  # a tenant-A row
    original = props.act(defaults_app, "user_a", stock, "read", row)
    findings = props.replay_as_others(defaults_app, original, stock, defaults_app.info.tenants["A"], principals)
    assert {f.exchanges[-1].principal for f in findings} >= {"user_b"}


def test_replay_oracle_is_quiet_when_detail_routes_filter_by_tenant(defaults_app):
    checked = describe_viewset(TenantCheckedTickets)
    row = _foreign_ticket(defaults_app, "user_b")
    original = props.act(defaults_app, "user_a", checked, "read", row)
    assert original.status == 200
    assert props.replay_as_others(defaults_app, original, checked, defaults_app.info.tenants["A"],
                                  ["anonymous", "user_a", "user_b"]) == []


def test_the_least_privileged_principal_is_checked_on_framework_routes(defaults_app):
    assert props.least_privileged(defaults_app.info) == "user_no_tenant"
    routes = {(r.method, r.path): r for r in inventory(defaults_app.app, defaults_app.info)}
    findings = props.route_requires_auth(defaults_app, routes[("GET", "/planted/open-data")], {}, "user_no_tenant")
    assert findings and findings[0].facts["caller"] == "user_no_tenant"
