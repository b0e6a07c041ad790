"""The security-primitive oracles: quiet on Aksara as installed (apart from ledger-known defects), loud when a
real Aksara function is broken in place (monkeypatched for the test)."""

from __future__ import annotations

from typing import Any, Callable

import aksara.permissions as P
import aksara.security.context as context
import aksara.security.matrix as matrix
import aksara.security.mcp as mcp
import pytest

from fuzz.ledger import active_ledger
from fuzz.oracles import security as oracles
from fuzz.properties import security as props
from strategies.security import (ClaimMapping, PermissionCase, UserState, claim_mappings, matrix_loads,
                                 permission_cases, required_scope_lists)
from strategies.tokens import Claim, scope_sets
from targets.permissions import PermissionSpec
from tests.support.find import assert_no_examples, find_any

MODELS = ("ticket", "comment")


def new(findings: list) -> list:
    """The findings no ledger entry knows."""
    ledger = active_ledger()
    return [f for f in findings if ledger.match(f) is None]


def permission_findings(case: PermissionCase) -> list:
    return new(props.permission_case(case))


def claims_findings(mapping: ClaimMapping) -> list:
    return new(props.claims_case(mapping))


def scope_findings(pair: Any) -> list:
    return new(props.scope_helpers_case(*pair))


def matrix_findings(load: Any) -> list:
    return new(props.matrix_case(*load))


def caught(strategy: Any, body: Callable[[Any], list], property_id: str, **facts: str) -> Any:
    """An example of ``strategy`` whose new findings include one of ``property_id`` with ``facts``."""
    def hit(value: Any) -> bool:
        return any(f.property_id == property_id and all(f.facts.get(k) == v for k, v in facts.items())
                   for f in body(value))
    hit.__name__ = f"{property_id} {facts}"
    return find_any(strategy, hit, max_examples=2000)


# -- quiet on Aksara as installed -----------------------------------------------------------------------

def test_permission_algebra_and_principal_resolution_quiet_on_aksara():
    assert_no_examples(permission_cases(), lambda c: bool(permission_findings(c)), max_examples=150)


def test_mcp_claims_only_known_findings_on_aksara():
    assert_no_examples(claim_mappings(MODELS), lambda m: bool(claims_findings(m)), max_examples=150)


def test_scope_helpers_quiet_on_aksara():
    from hypothesis import strategies as st

    assert_no_examples(st.tuples(scope_sets(MODELS), required_scope_lists(MODELS)),
                       lambda p: bool(scope_findings(p)), max_examples=150)


def test_matrix_loader_only_known_findings_on_aksara():
    assert_no_examples(matrix_loads(), lambda load: bool(matrix_findings(load)), max_examples=150)


# -- the model itself ------------------------------------------------------------------------------------

def leaf(name: str, *allow: str) -> PermissionSpec:
    return PermissionSpec(name=name, builtin=True, allow=tuple(allow))


def case(*entries: PermissionSpec, method: str = "DELETE", user: UserState | None = UserState(id="u2"),
         owner: tuple | None = (("owner_id", "u1"),), **kw: Any) -> PermissionCase:
    base = dict(entries=entries, as_class=(False,) * len(entries), operators=True, method=method,
                shape="starlette", user=user, ai_flag=None, state_tenant="tenant-a", header_tenant="tenant-b",
                authorization=None, auth_method=None, preset=None, owner=owner, view_ai_allow=None)
    base.update(kw)
    return PermissionCase(**base)


def test_a_decider_the_lab_could_not_call_is_not_judged():
    """principal_allows_ai_access needs the principal principal_from_request resolves; when that raised (Starlette's
    request.user without AuthenticationMiddleware, Aksara 0.5.50-0.5.54) the decider was never asked, which is no
    refusal: the raise is security.principal_resolution's finding."""
    anonymous = case(method="GET", user=None, owner=None)
    want = oracles.expected_decisions(anonymous)
    assert want.get("principal_allows_ai_access") is not None
    observed = {k: v for k, v in want.items() if k != "principal_allows_ai_access"}
    assert oracles.check_permission_algebra(anonymous, observed, {}, "") == []
    observed["principal_allows_ai_access"] = not want["principal_allows_ai_access"]
    [wrong] = oracles.check_permission_algebra(anonymous, observed, {}, "")
    assert wrong.facts["decider"] == "principal_allows_ai_access"


def test_model_follows_the_documented_or_object_phase():
    """docs/api/permissions.md: each phase of an OR evaluates its own checks, and a default object check grants:
    "admin or owner" admits a non-owner non-admin for DELETE; "owner" alone refuses them."""
    admin_or_owner = PermissionSpec(name="OR", builtin=True, parts=(leaf("IsAdminUser"), leaf("IsOwnerOrReadOnly")))
    assert oracles.expected_decisions(case(admin_or_owner))["check_permissions"] is True
    assert oracles.expected_decisions(case(leaf("IsOwnerOrReadOnly")))["check_permissions"] is False
    assert oracles.expected_decisions(case(leaf("IsOwnerOrReadOnly"), user=UserState(id="u1")))["check_permissions"]


def test_principal_model_never_takes_the_header_tenant():
    assert oracles.expected_principal(case(leaf("AllowAny")))["tenant_id"] == "tenant-a"
    assert oracles.expected_principal(case(leaf("AllowAny"), state_tenant=None))["tenant_id"] is None


# -- loud on planted faults --------------------------------------------------------------------------------

def test_catches_an_or_whose_object_phase_needs_every_part(monkeypatch):
    def all_parts(self, request, view, obj):
        return all(p.has_object_permission(request, view, obj) for p in self.permissions)
    monkeypatch.setattr(P.OR, "has_object_permission", all_parts)
    found = caught(permission_cases(), permission_findings, "security.permission_algebra",
                   decider="has_object_permission")
    assert any(e.name == "OR" or e.parts for e in found.entries)


def test_catches_an_admin_check_that_admits_any_authenticated_user(monkeypatch):
    monkeypatch.setattr(P.IsAdminUser, "has_permission",
                        lambda self, request, view=None: bool(getattr(self.get_user(request), "is_authenticated", 0)))
    caught(permission_cases(), permission_findings, "security.permission_algebra", direction="over_grant")


def test_catches_an_owner_check_that_ignores_the_owner(monkeypatch):
    monkeypatch.setattr(P.IsOwnerOrReadOnly, "has_object_permission", lambda self, request, view, obj: True)
    caught(permission_cases(), permission_findings, "security.permission_algebra", decider="check_permissions")


def test_catches_an_ai_flag_that_or_composition_loses(monkeypatch):
    original = P.OR.__init__

    def init(self, *permissions):
        original(self, *permissions)
        self.ai_allow = True
    monkeypatch.setattr(P.OR, "__init__", init)
    caught(permission_cases(), permission_findings, "security.permission_algebra", decider="check_ai_allowed")


def test_catches_a_resolver_that_trusts_the_tenant_header(monkeypatch):
    original = context._extract_tenant_id

    def from_header(request, state):
        headers = getattr(request, "headers", {}) or {}
        return headers.get("x-tenant-id") or original(request, state)
    monkeypatch.setattr(context, "_extract_tenant_id", from_header)
    caught(permission_cases(), permission_findings, "security.principal_resolution", attribute="tenant_id")


def test_catches_a_resolver_that_reads_a_truthy_ai_flag_as_a_user(monkeypatch):
    original = context.principal_from_request

    def resolver(request):
        state = getattr(request, "state", None)
        if state is not None and getattr(state, "is_ai_agent", False) is True and getattr(state, "user", None):
            state.is_ai_agent = False
        return original(request)
    monkeypatch.setattr(context, "principal_from_request", resolver)
    caught(permission_cases(), permission_findings, "security.principal_resolution", attribute="kind")


def test_catches_claims_that_grant_an_unclaimed_scope(monkeypatch):
    original = context.principal_from_mcp_claims

    def escalated(claims):
        p = original(claims)
        return type(p)(**{**{f: getattr(p, f) for f in p.__dataclass_fields__}, "scopes": (*p.scopes, "*")})
    monkeypatch.setattr(context, "principal_from_mcp_claims", escalated)
    caught(claim_mappings(MODELS), claims_findings, "security.mcp_claims", attribute="scopes")


def test_catches_claims_whose_past_exp_is_dropped(monkeypatch):
    original = mcp.MCPCredentialClaims.from_claims_dict.__func__

    def dropped(cls, claims):
        return original(cls, {k: v for k, v in claims.items() if k != "exp"})
    monkeypatch.setattr(mcp.MCPCredentialClaims, "from_claims_dict", classmethod(dropped))
    caught(claim_mappings(MODELS), claims_findings, "security.mcp_claims", attribute="exp", parsed_exp="none",
           exp_class="numeric")
    assert claims_findings(ClaimMapping({"agent_id": "a"}, Claim("expired", offset=-3600), Claim("now", offset=0)))


def test_catches_a_tenant_gate_that_lets_an_unbound_token_through(monkeypatch):
    monkeypatch.setattr(mcp, "require_mcp_tenant", lambda p, *, tenant_required=True: mcp.PolicyDecision.allow("x"))
    caught(claim_mappings(MODELS), claims_findings, "security.mcp_claims", attribute="tenant_gate")


def test_catches_an_all_scopes_helper_that_needs_only_one(monkeypatch):
    from hypothesis import strategies as st

    monkeypatch.setattr(mcp, "require_all_scopes", mcp.require_any_scope)
    caught(st.tuples(scope_sets(MODELS), required_scope_lists(MODELS)), scope_findings, "security.mcp_claims",
           decider="require_all_scopes")


def test_catches_a_validator_that_accepts_everything(monkeypatch):
    monkeypatch.setattr(matrix, "validate_security_matrix", lambda data: [])
    caught(matrix_loads(), matrix_findings, "security.matrix_loader", outcome="accepted", lax_only="false")


def test_catches_a_loader_that_drops_scenarios(monkeypatch):
    original = matrix.load_security_matrix

    def dropping(path=None):
        loaded = original(path)
        loaded.scenarios = loaded.scenarios[:-1]
        return loaded
    monkeypatch.setattr(matrix, "load_security_matrix", dropping)
    caught(matrix_loads(), matrix_findings, "security.matrix_loader", outcome="loaded")


def test_catches_a_loader_that_ignores_a_missing_file(monkeypatch):
    original = matrix.load_security_matrix

    def lenient(path=None):
        try:
            return original(path)
        except FileNotFoundError:  # an empty matrix instead of the refusal
            return matrix.SecurityMatrix(1, matrix.MatrixMetadata("", "", "", "", 0), [], [], [], [])
    monkeypatch.setattr(matrix, "load_security_matrix", lenient)
    caught(matrix_loads(), matrix_findings, "security.matrix_loader", placement="explicit_missing")


@pytest.mark.parametrize("reader", ["MCPCredentialClaims", "principal_from_mcp_claims"])
def test_known_defect_nonfinite_exp_is_the_ledger_entry(reader):
    mapping = ClaimMapping({"agent_id": "a"}, Claim("nonfinite", literal=float("inf")), Claim("now", offset=0))
    found = [f for f in props.claims_case(mapping) if f.facts["decider"] == reader]
    assert found and all(active_ledger().match(f).id == "AKSARA-MCPCLAIMS-001" for f in found)


def test_exp_class_marks_both_ends_of_the_datetime_range():
    """An exp a datetime cannot hold is out_of_range on either side (seed 722: one second before year 1 had been
    called numeric, so AKSARA-MCPCLAIMS-001 did not take it)."""
    from fuzz.oracles.security import exp_class_of

    assert [exp_class_of({"exp": v}) for v in (-62135596800, 0, 1.5e9, 253402300799)] == ["numeric"] * 4
    assert [exp_class_of({"exp": v}) for v in (-62135596801, 253402300800, -10**12, 10**12)] == ["out_of_range"] * 4
