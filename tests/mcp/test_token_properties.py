"""Token-algebra properties: quiet on corrected implementations built on real Aksara, loud on planted faults."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings

from aksara.ai.auth import verify_agent_token
from fuzz.oracles.tokens import reference_scope_grants
from fuzz.properties import tokens as props
from strategies.tokens import (
    ApprovalCase, Claim, ClaimsCase, Tamper, approval_cases, claims_cases, required_scopes, scope_sets, tampers,
)
from targets.agent_tokens import AGENT_HEADER, b64url_strict_decode

SECRET = "self-test-secret-0123456789abcdef"
MODELS = ("ticket", "comment", "category")
QUICK = settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def strict_verify(token: str, secret: str, *, require_exp: bool = True) -> dict:
    """Aksara's verifier behind the checks the readings add (canonical encoding, header, finite numeric claims)."""
    parts = token.split(".")
    if len(parts) != 3 or any(b64url_strict_decode(p) is None for p in parts):
        raise ValueError("non-canonical token")
    if json.loads(b64url_strict_decode(parts[0])) != AGENT_HEADER:
        raise ValueError("unsupported header")
    payload = verify_agent_token(token, secret)
    if not isinstance(payload, dict):
        raise ValueError("payload is not an object")
    for key in ("exp", "iat"):
        value = payload.get(key)
        if value is None:
            if key == "exp" and require_exp:
                raise ValueError("exp required")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number")
    return payload


def corrected_verifier(token: str, secret: str) -> dict:
    try:
        return strict_verify(token, secret)
    except (TypeError, AttributeError) as exc:
        raise ValueError(str(exc)) from exc


def planted_missing_exp(token: str, secret: str) -> dict:
    """Planted fault: the corrected verifier, but an absent exp is accepted."""
    return strict_verify(token, secret, require_exp=False)


def valid_case(exp: Claim) -> ClaimsCase:
    return ClaimsCase(exp, Claim("now", offset=0), Claim("right"), Claim("own"), ("mcp:read:ticket",), "list")


@QUICK
@given(case=claims_cases(MODELS))
def test_lifetime_quiet_on_corrected_verifier(case):
    assert props.verifier_case(case, SECRET, corrected_verifier) == []


def test_lifetime_catches_missing_exp_plant():
    findings = props.verifier_case(valid_case(Claim("missing", present=False)), SECRET, planted_missing_exp)
    assert [f.property_id for f in findings] == ["tokens.agent_token_lifetime"]
    assert findings[0].facts["exp_class"] == "missing"
    assert props.verifier_case(valid_case(Claim("valid", offset=600)), SECRET, planted_missing_exp) == []


def test_lifetime_catches_expired_token_accepted():
    def accepts_everything(token, secret):
        return {}
    findings = props.verifier_case(valid_case(Claim("expired", offset=-3600)), SECRET, accepts_everything)
    assert findings and findings[0].facts["exp_class"] == "expired"


def test_lifetime_catches_valid_token_refused():
    def refuses_everything(token, secret):
        raise ValueError("no")
    findings = props.verifier_case(valid_case(Claim("valid", offset=600)), SECRET, refuses_everything)
    assert findings and "refused" in findings[0].message


def test_error_type_catches_type_error():
    findings = props.verifier_case(valid_case(Claim("non_numeric", literal="soon")), SECRET, verify_agent_token)
    assert any(f.property_id == "tokens.verify_raises_valueerror" and f.facts["exception"] == "TypeError"
               for f in findings)


@QUICK
@given(tamper=tampers())
def test_integrity_quiet_on_corrected_verifier(tamper):
    assert props.tamper_case(tamper, SECRET, corrected_verifier) == []


@pytest.mark.parametrize("tamper", [Tamper("swap_payload"), Tamper("wrong_secret"), Tamper("change_char", 1, 5, "Q")])
def test_integrity_catches_unchecked_signature(tamper):
    def no_signature_check(token, secret):
        return {"agent_id": "x"}
    findings = props.tamper_case(tamper, SECRET, no_signature_check)
    assert findings and findings[0].property_id == "tokens.agent_token_integrity"


def test_integrity_catches_aksara_lenient_signature_decoding():
    findings = props.tamper_case(Tamper("std_alphabet", part=2), SECRET, verify_agent_token)
    assert findings and findings[0].facts["same_bytes"] == "true"


def fixed_scope_matches(granted: str, required: str) -> bool:
    """A segment matcher written for the test: '*' is one segment, a trailing '*' the rest."""
    if granted == "*":
        return True
    g, r = granted.split(":"), required.split(":")
    if g[-1] == "*" and len(r) >= len(g):
        r = r[: len(g) - 1] + [":".join(r[len(g) - 1:])]
    return len(g) == len(r) and all(a == "*" or a == b for a, b in zip(g, r)) and bool(granted)


def test_fixed_matcher_is_not_the_reference_copy():
    assert fixed_scope_matches("mcp:*", "mcp:read:ticket") and not fixed_scope_matches("mcp:*:ticket", "mcp:read:x")
    assert reference_scope_grants("mcp:*", "mcp:read:ticket")


@QUICK
@given(granted=scope_sets(MODELS), required=required_scopes(MODELS))
def test_scope_algebra_quiet_when_aksara_matcher_fixed(granted, required):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("aksara.security.principal._scope_matches", fixed_scope_matches)
        assert props.scope_case(granted, required) == []


def test_scope_algebra_catches_aksara_over_grant():
    findings = props.scope_case(["mcp:*:ticket"], "mcp:write:comment")
    assert {f.facts["decider"] for f in findings} == {"Principal.has_scope", "require_scope", "PolicyEngine.can"}
    assert all(f.facts["direction"] == "over_grant" for f in findings)


def test_scope_algebra_catches_planted_case_insensitive_matcher(monkeypatch):
    monkeypatch.setattr("aksara.security.principal._scope_matches",
                        lambda g, r: fixed_scope_matches(g.lower(), r.lower()))
    monkeypatch.setattr("aksara.security.principal.Principal.has_scope",
                        lambda self, s: any(fixed_scope_matches(g.lower(), s.lower()) for g in self.scopes))
    findings = props.scope_case(["MCP:READ:TICKET"], "mcp:read:ticket")
    assert findings and findings[0].facts["direction"] == "over_grant"


@QUICK
@given(case=approval_cases())
def test_approval_binding_quiet_on_aksara(case):
    assert props.approval_case(case, SECRET) == []


def test_approval_binding_catches_skipped_tenant_check():
    from aksara.mcp.approval import ApprovalManager

    class NoTenantCheck(ApprovalManager):
        def verify(self, token, *, principal, tool_name, arguments):
            from dataclasses import replace
            import base64
            payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            if payload.get("tenant_id") != principal.tenant_id:
                principal = replace(principal, tenant_id=payload.get("tenant_id"))
            return super().verify(token, principal=principal, tool_name=tool_name, arguments=arguments)

    findings = props.approval_case(ApprovalCase("other_tenant", None), SECRET, NoTenantCheck)
    assert findings and findings[0].facts["mismatch"] == "other_tenant"
    assert props.approval_case(ApprovalCase("none", None), SECRET, NoTenantCheck) == []
