"""The declared-permissions oracle: the model of Aksara's permission classes, per class and method,
and the sweep catching a route that declares ``IsAdminUser`` but checks less, quiet on correct routes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aksara.api import action
from aksara.permissions import (AND, OR, AllowAny, BasePermission, DenyAI, IsActiveUser, IsAdminUser,
                                IsAuthenticated, IsOwnerOrReadOnly, OperationPermission)
from fastapi import Request

from fuzz import catalog
from fuzz.oracles import permissions as perms
from fuzz.properties import authz as props
from targets.base import describe_viewset
from targets.client import LiveTarget
from targets.permissions import describe, describe_one
from targets.refapp.views import TicketViewSet
from targets.routes import inventory
from targets.transcript import Exchange
from tests.support.planted import PlantedTarget, started_planted

ANON, USER, STAFF, AGENT, SYSTEM = (perms.Caller.of(k) for k in ("anonymous", "user", "staff", "ai_agent", "system"))
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


class AppRule(BasePermission):
    """An application's own class: opaque to the model."""

    def has_permission(self, request: Any, view: Any = None) -> bool:
        return True


def _v(permissions: list, caller: perms.Caller, method: str, ai_exposed: bool = True) -> bool | None:
    return perms.verdict(describe(permissions), caller, method, ai_exposed)


# -- the model, per class and method ----------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_model_of_each_class_aksara_ships(method):
    safe = method == "GET"
    for caller in (ANON, USER, STAFF, AGENT, SYSTEM):
        assert _v([AllowAny], caller, method) is True
        assert _v([IsAuthenticated], caller, method) is (caller is not ANON)
        assert _v([IsActiveUser], caller, method) is (caller is not ANON)
        assert _v([IsAdminUser], caller, method) is (caller in (STAFF, SYSTEM))
        assert _v([IsOwnerOrReadOnly], caller, method) is True  # view level; the object phase decides writes
        assert _v([DenyAI], caller, method) is (caller is not AGENT)
        assert _v([OperationPermission(allow=["read"])], caller, method) is safe
        assert _v([OperationPermission(allow=["create", "delete"])], caller, method) is (method in ("POST", "DELETE"))


@pytest.mark.parametrize("method", METHODS)
def test_model_combines_a_list_with_and_and_instances_with_and_or(method):
    safe = method == "GET"
    or_read_only = OperationPermission(allow=["read"]) | IsAuthenticated()  # IsAuthenticatedOrReadOnly
    assert _v([or_read_only], ANON, method) is safe
    assert _v([or_read_only], USER, method) is True
    assert _v([IsAuthenticated, IsAdminUser], USER, method) is False
    assert _v([IsAuthenticated, IsAdminUser], STAFF, method) is True
    assert _v([AND(IsActiveUser(), IsAdminUser())], USER, method) is False
    assert _v([OR(IsAdminUser(), DenyAI())], AGENT, method) is False
    assert _v([OR(IsAdminUser(), DenyAI())], USER, method) is True


def test_model_leaves_application_classes_and_empty_lists_open_where_aksara_does():
    assert _v([AppRule], USER, "GET") is None
    assert _v([IsAuthenticated, AppRule], ANON, "GET") is False  # a shipped class already refuses
    assert _v([OR(AppRule(), IsAuthenticated())], USER, "GET") is True
    assert _v([OR(AppRule(), IsAuthenticated())], ANON, "GET") is None
    assert _v([], ANON, "GET") is True  # no class runs
    assert _v([], ANON, "POST") is None  # PolicyEngine decides writes
    assert perms.verdict(None, USER, "GET") is None  # nothing declared


def test_model_applies_the_ai_check_after_the_classes():
    assert _v([AllowAny], AGENT, "GET", ai_exposed=False) is False
    assert _v([AllowAny], USER, "GET", ai_exposed=False) is True
    assert _v([AppRule, DenyAI], AGENT, "GET") is False


def test_declared_permissions_are_described_as_aksara_applies_them():
    spec = describe_one(OperationPermission(allow=["update", "read"]))
    assert (spec.name, spec.builtin, spec.allow) == ("OperationPermission", True, ("read", "update"))
    assert not describe_one(AppRule).builtin and describe_one(DenyAI).ai_allow is False
    resource = describe_viewset(TicketViewSet)
    assert [p.name for p in resource.permissions] == ["IsAuthenticated", "AgentScopes"]
    close = next(a for a in resource.actions if a.name == "close")
    summary = next(a for a in resource.actions if a.name == "summary")
    assert [p.name for p in close.permissions] == ["IsAuthenticated", "IsAdminUser", "AgentScopes"]
    assert summary.permissions == resource.permissions  # no list of its own: the viewset's


def _answer(status: int, message: str = "") -> Exchange:
    import json

    body = json.dumps({"error": {"status": status, "message": message, "type": "http_exception"}})
    return Exchange("GET", "/x/", status=status, route="/x/", response_text=body)


def test_oracle_reads_refusals_and_blames_only_a_granting_class():
    admin = describe([IsAuthenticated, IsAdminUser])
    # a model refusal answered with data, or with a validation error, is a finding; a refusal is not
    assert perms.check_declared_permission(_answer(200), "/x/", admin, USER, "u")[0].facts["problem"] == "admitted"
    assert perms.check_declared_permission(_answer(422), "/x/", admin, USER, "u")[0].facts["problem"] == \
        "validated_before_auth"
    assert perms.check_declared_permission(_answer(403, "Admin access required."), "/x/", admin, USER, "u") == []
    assert perms.check_declared_permission(_answer(404), "/x/", admin, USER, "u") == []  # neither
    # a grant refused by the class that grants it is a finding; another layer's 403 is not the permissions'
    found = perms.check_declared_permission(_answer(403, "Admin access required."), "/x/", admin, STAFF, "s")
    assert found and found[0].facts["refused_by"] == "[IsAdminUser]"
    assert perms.check_declared_permission(_answer(403, "tenant context required"), "/x/", admin, STAFF, "s") == []
    mixed = describe([IsAuthenticated, AppRule])
    found = perms.check_declared_permission(_answer(403, "Authentication required."), "/x/", mixed, USER, "u")
    assert found and found[0].facts["model"] == "unknown"


def test_oracle_holds_application_classes_consistent_and_monotone():
    rule = describe([AppRule])
    refused = _answer(403, AppRule.message)
    user_b = perms.Caller.of("user")
    # two users equal in every attribute a permission sees: one verdict
    found = perms.check_opaque_consistency("/x/", "GET", rule, {"user_a": (USER, _answer(200)),
                                                                  "user_b": (user_b, refused)})
    assert [f.facts["problem"] for f in found] == ["inconsistent"]
    # fewer privileges, more access
    found = perms.check_opaque_consistency("/x/", "GET", rule, {"anonymous": (ANON, _answer(200)),
                                                                  "staff_a": (STAFF, refused)})
    assert [f.facts["problem"] for f in found] == ["not_monotone"]
    assert perms.check_opaque_consistency("/x/", "GET", rule, {"anonymous": (ANON, refused),
                                                                 "staff_a": (STAFF, _answer(200))}) == []


def _with_roles(exchange: Exchange, roles: str) -> Exchange:
    return replace(exchange, extra={**exchange.extra, "roles": roles})


def test_roles_the_app_resolved_are_an_attribute_an_application_class_may_read():
    """The tenancy tutorial's permission admits an editor and refuses a reader of the same kind and tenant:
    not inconsistent; two callers with the same resolved roles still get one verdict."""
    rule = describe([AppRule])
    refused = _answer(403, AppRule.message)
    editor, reader = _with_roles(_answer(201), "editor"), _with_roles(refused, "reader")
    assert perms.check_opaque_consistency("/x/", "POST", rule, {"editor_a": (USER, editor),
                                                                  "reader_a": (USER, reader)}) == []
    found = perms.check_opaque_consistency("/x/", "POST", rule, {"editor_a": (USER, editor),
                                                                   "editor_b": (USER, _with_roles(refused, "editor"))})
    assert [f.facts["problem"] for f in found] == ["inconsistent"]
    # more privilege but without the role the lower caller has: no monotonicity claim
    assert perms.check_opaque_consistency("/x/", "POST", rule, {"editor_a": (USER, editor),
                                                                  "staff_a": (STAFF, _with_roles(refused, ""))}) == []
    found = perms.check_opaque_consistency("/x/", "POST", rule, {
        "editor_a": (USER, editor), "staff_a": (STAFF, _with_roles(refused, "editor,staff"))})
    assert [f.facts["problem"] for f in found] == ["not_monotone"]


def test_the_roles_of_the_principal_the_app_resolved_are_recorded_on_the_exchange(pg_server):
    """A real app that sets ``request.state.principal`` (Aksara's Principal with roles): each exchange
    carries the roles the app resolved, so role-based application classes are judged per role."""
    from targets.derive import Adapter, derive, principal

    adapter = Adapter(principals=[principal("editor", "user", headers={"Authorization": "Bearer editor-token-1"}),
                                  principal("reader", "user", headers={"Authorization": "Bearer reader-token-2"})],
                      secrets=["editor-token-1", "reader-token-2"])
    target = derive("tests.apps.rolesapp:app", adapter, "defaults", name="roles")
    from tests.support.planted import started_target

    with started_target(pg_server, target, "roles_app") as live:
        editor = live.request("editor", "POST", "/api/role-notes/", json_body={"text": "x"})
        reader = live.request("reader", "POST", "/api/role-notes/", json_body={"text": "x"})
        anonymous = live.request("anonymous", "GET", "/api/role-notes/")
    assert (editor.status, editor.extra.get("roles")) == (201, "editor"), (editor.crash, editor.response_text[:200])
    assert (reader.status, reader.extra.get("roles")) == (403, "reader")
    assert anonymous.extra.get("roles") == ""
    assert editor.extra.get("ai_request") == "no"


def test_an_ai_principal_the_app_resolved_without_marking_the_request_is_judged_and_says_so(pg_server):
    """The MCP tutorial's middleware resolves an AI-agent Principal but sets no ``request.state.is_ai_agent``,
    the flag Aksara's REST AI gate reads: the agent reads an ``ai_exposed = False`` viewset, a finding whose
    ``ai_request`` fact says the request never reached Aksara marked as an agent's."""
    from targets.derive import Adapter, derive, principal
    from tests.support.planted import started_target

    adapter = Adapter(principals=[principal("agent", "ai_agent", headers={"Authorization": "Bearer agent-token-3"},
                                            scopes=("mcp:read:rolenote",))], secrets=["agent-token-3"])
    target = derive("tests.apps.rolesapp:app", adapter, "defaults", name="roles_ai")
    with started_target(pg_server, target, "roles_ai") as live:
        reply = live.request("agent", "GET", "/api/role-notes/")
    assert (reply.status, reply.extra.get("ai_request")) == (200, "no")
    declared = describe([IsAuthenticated])
    found = perms.check_declared_permission(replace(reply, route="/api/role-notes/"), "/api/role-notes/", declared,
                                            AGENT, "agent", ai_exposed=False)
    assert [(f.facts["problem"], f.facts["ai_request"]) for f in found] == [("admitted", "no")]


# -- the sweep on planted routes ----------------------------------------------------------------------

class StaffOnly(TicketViewSet):
    """Correct: staff only, as declared."""

    prefix = "/planted/staff-only"
    permission_classes = [IsAdminUser]


class StaffOnlyChecksLess(TicketViewSet):
    """Planted: declares IsAdminUser, but its permissions are replaced by IsAuthenticated at runtime."""

    prefix = "/planted/staff-weak"
    permission_classes = [IsAdminUser]

    def get_permissions(self) -> list:
        return [IsAuthenticated()]


class StaffActionBypassed(TicketViewSet):
    """Planted: a staff-only action whose declared classes are bypassed at runtime."""

    prefix = "/planted/staff-action"
    permission_classes = [IsAuthenticated]

    @action(detail=False, methods=["get"], permission_classes=[IsAdminUser])
    async def report(self, request: Request) -> dict:
        return {"report": True}

    def get_action_permissions(self, action_method: Any) -> list:
        return [IsAuthenticated()]


class PublicTickets(TicketViewSet):
    """Correct: AllowAny."""

    prefix = "/planted/public"
    permission_classes = [AllowAny]


class ReadOnlyUnlessAuthenticated(TicketViewSet):
    """Correct: IsAuthenticatedOrReadOnly, written with the classes Aksara ships."""

    prefix = "/planted/read-only"
    permission_classes = [OperationPermission(allow=["read"]) | IsAuthenticated()]


PLANTED = [StaffOnly, StaffOnlyChecksLess, StaffActionBypassed, PublicTickets, ReadOnlyUnlessAuthenticated]


class DeclaredTarget(PlantedTarget):
    """The reference app with the planted viewsets, described like its own."""

    def __init__(self, profile: str):
        super().__init__(profile, lambda app: app.register_viewsets(PLANTED))
        self.info = replace(self.info, resources=self.info.resources + tuple(describe_viewset(v) for v in PLANTED))


@pytest.fixture(scope="module")
def planted_app(pg_server):
    with started_planted(pg_server, "hardened", None, "declared_permissions", DeclaredTarget("hardened")) as live:
        yield live


def _sweep(live: LiveTarget, prefix: str) -> list:
    live.reset()
    findings = []
    for route in props.declared_routes(live):
        if route.path.startswith(prefix + "/"):
            findings += props.declared_permissions(live, route)
    return [f for f in findings if f.property_id == catalog.AUTHZ_DECLARED_PERMISSIONS]


def test_planted_routes_carry_their_declared_permissions(planted_app):
    routes = {(r.method, r.path): r for r in inventory(planted_app.app, planted_app.info)}
    assert perms.names(routes[("GET", "/planted/staff-weak/")].permissions) == "[IsAdminUser]"
    assert perms.names(routes[("GET", "/planted/staff-action/report")].permissions) == "[IsAdminUser]"
    assert routes[("GET", "/health")].permissions is None  # not a viewset route: nothing declared


@pytest.mark.parametrize("prefix", ["/planted/staff-weak", "/planted/staff-action"])
def test_sweep_catches_a_staff_route_that_admits_ordinary_users(planted_app, prefix):
    findings = _sweep(planted_app, prefix)
    admitted = {(f.facts["caller"], f.facts["method"]) for f in findings if f.facts["problem"] == "admitted"}
    assert ("user_a", "GET") in admitted
    assert all(f.facts["model"] == "deny" for f in findings)
    assert not any(f.facts["caller"] in ("anonymous", "staff_a") for f in findings)


@pytest.mark.parametrize("prefix", ["/planted/staff-only", "/planted/public", "/planted/read-only"])
def test_sweep_is_quiet_on_correct_staff_only_public_and_read_only_routes(planted_app, prefix):
    routes = [r for r in props.declared_routes(planted_app) if r.path.startswith(prefix + "/")]
    assert len(routes) >= 5 and all(r.permissions for r in routes)  # CRUD and the inherited actions
    assert _sweep(planted_app, prefix) == []


def test_a_declared_permissions_finding_replays_to_the_same_cause(planted_app):
    from fuzz.replay import AREAS, ReplayEnv, judge

    [finding] = [f for f in _sweep(planted_app, "/planted/staff-action")
                 if f.facts["caller"] == "user_a" and f.facts["route"].endswith("/report")]
    again = AREAS["authz"](finding, ReplayEnv(planted_app))
    assert "same cause" in judge(finding, again)


def test_a_create_validated_before_its_permission_check_is_the_known_cause(planted_app):
    """An empty create body: Aksara answers 422 to a caller the declared classes refuse (AKSARA-AUTHZ-003)."""
    from fuzz.findings import with_facts
    from fuzz.ledger import DEFAULT_LEDGER, load_ledger

    route = next(r for r in props.declared_routes(planted_app) if (r.method, r.path) == ("POST", "/tickets/"))
    exchange = planted_app.request("anonymous", "POST", "/tickets/", json_body={}, route=route.path)
    planted_app.reset()
    findings = with_facts(perms.check_declared_permission(exchange, route.path, route.permissions, ANON, "anonymous",
                                                          route.ai_exposed), route_kind=route.kind)
    [finding] = findings
    assert finding.facts["problem"] == "validated_before_auth"
    assert load_ledger([DEFAULT_LEDGER], "0.7.2").match(finding).id == "AKSARA-AUTHZ-003"
