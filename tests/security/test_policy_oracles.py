"""security.policy_decisions: quiet on Aksara's PolicyEngine and enforcement helpers as installed (apart from
ledger-known defects), loud when one method of the real PolicyEngine (or one enforcement helper) is replaced by
a weaker variant for the test."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import aksara.security.enforcement as enforcement
import pytest
from aksara.security.policy import PolicyEngine

from fuzz import catalog
from fuzz.ledger import active_ledger
from fuzz.oracles import security as oracles
from fuzz.properties import security as props
from strategies.security import PolicyField, PolicyModel, PrincipalSpec, policy_cases
from tests.support.find import assert_no_examples, find_any


def new(case: Any) -> list:
    """The findings of ``case`` no ledger entry knows."""
    ledger = active_ledger()
    return [f for f in props.policy_case(case) if ledger.match(f) is None]


def caught(**facts: str) -> Any:
    """A generated case whose new findings include one of security.policy_decisions with ``facts`` (a fact
    listing several rules, flags or kinds matches any one of them)."""
    def hit(case: Any) -> bool:
        return any(f.property_id == catalog.SECURITY_POLICY_DECISIONS
                   and all(f.facts.get(k, "") == v or v in re.split("[, ]", f.facts.get(k, ""))
                           for k, v in facts.items())
                   for f in new(case))
    hit.__name__ = f"policy_decisions {facts}"
    return find_any(policy_cases(), hit, max_examples=2000)


def weaken(monkeypatch: pytest.MonkeyPatch, name: str, variant: Any) -> None:
    """Replace ``PolicyEngine.<name>`` by ``variant(real)`` on the real class."""
    real = getattr(PolicyEngine, name)
    monkeypatch.setattr(PolicyEngine, name, variant(real))


# -- quiet on Aksara as installed ---------------------------------------------------------------------------

def test_policy_decisions_only_known_findings_on_aksara():
    assert_no_examples(policy_cases(), lambda case: bool(new(case)), max_examples=200)


# -- the model itself --------------------------------------------------------------------------------------

MODEL = PolicyModel(fields=(PolicyField("title", ("read_only",)), PolicyField("notes", ("system_only",)),
                            PolicyField("total", ("ai_locked", "ai_sensitive")), PolicyField("org_id")),
                    tenant_model=True)


@pytest.mark.parametrize("kind, field, want", [
    ("system", "title", False),  # read-only: never writable, by system principals neither
    ("user", "notes", False), ("system", "notes", True),  # system-only
    ("user", "tenant_id", False), ("system", "tenant_id", True),  # tenant field
    ("ai_agent", "total", False), ("mcp", "total", False), ("user", "total", True),  # ai_agent_writable=False
    ("user", "org_id", None), ("user", "id", None),  # another tenant marker, a server field: either
])
def test_model_writable_fields_follow_the_docs(kind, field, want):
    assert oracles.expected_writable(PrincipalSpec(kind), MODEL, field) is want


@pytest.mark.parametrize("kind, field, want", [
    ("user", "notes", False), ("system", "notes", True), ("ai_agent", "total", False), ("mcp", "total", False),
    ("user", "total", True), ("system", "total", True),
])
def test_model_visible_fields_follow_the_docs(kind, field, want):
    assert oracles.expected_visible(PrincipalSpec(kind), MODEL, field) is want


# -- planted faults: one method of the real engine made weaker ---------------------------------------------

def test_catches_cross_tenant_check_removed(monkeypatch):
    weaken(monkeypatch, "can", lambda real: lambda self, principal, action, resource=None, **kw:
           real(self, principal, action, None, **kw))
    caught(decider="can", rule="cross_tenant", direction="over_grant", context_tenant="none")


def test_catches_audience_ignored(monkeypatch):
    def variant(real: Any) -> Any:
        def can(self: Any, principal: Any, action: str, resource: Any = None, **kw: Any) -> Any:
            kw.pop("required_audience", None)
            return real(self, principal, action, resource, **kw)
        return can
    weaken(monkeypatch, "can", variant)
    caught(decider="can", rule="audience", direction="over_grant")


def test_catches_expired_token_allowed(monkeypatch):
    weaken(monkeypatch, "can", lambda real: lambda self, principal, action, resource=None, **kw:
           real(self, dataclasses.replace(principal, expires_at=None), action, resource, **kw))
    caught(decider="can", rule="expired", direction="over_grant")


def test_catches_system_only_visible_to_users(monkeypatch):
    weaken(monkeypatch, "visible_fields", lambda real: lambda self, principal, model, **kw:
           real(self, dataclasses.replace(principal, is_system=True), model, **kw))
    caught(decider="visible_fields", rule="system_only", direction="over_grant")


def test_catches_ai_sensitive_visible_to_agents(monkeypatch):
    weaken(monkeypatch, "visible_fields", lambda real: lambda self, principal, model, **kw:
           real(self, dataclasses.replace(principal, is_ai_agent=False), model, **kw))
    caught(decider="visible_fields", rule="ai_sensitive", direction="over_grant")


def test_catches_ai_agent_writable_ignored(monkeypatch):
    weaken(monkeypatch, "writable_fields", lambda real: lambda self, principal, model, **kw:
           real(self, dataclasses.replace(principal, is_ai_agent=False), model, **kw))
    caught(decider="writable_fields", rule="ai_locked", direction="over_grant")


def test_catches_tenant_field_writable(monkeypatch):
    def variant(real: Any) -> Any:
        def writable_fields(self: Any, principal: Any, model: Any, **kw: Any) -> Any:
            d = real(self, principal, model, **kw)
            keep = tuple(n for n in d.denied_fields if n != "tenant_id")
            return dataclasses.replace(d, allowed_fields=d.allowed_fields + ("tenant_id",) * (keep != d.denied_fields),
                                       denied_fields=keep)
        return writable_fields
    weaken(monkeypatch, "writable_fields", variant)
    caught(decider="validate_payload", direction="accepted_denied", field_kind="tenant_id")


def test_catches_query_filter_without_tenant(monkeypatch):
    def variant(real: Any) -> Any:
        def query_filter(self: Any, principal: Any, model: Any, **kw: Any) -> Any:
            return dataclasses.replace(real(self, principal, model, **kw), metadata={"filters": {}})
        return query_filter
    weaken(monkeypatch, "query_filter", variant)
    caught(decider="query_filter", direction="over_grant", principal="user_tenant")


def test_catches_forbidden_fields_stripped(monkeypatch):
    def variant(real: Any) -> Any:
        def validate_payload(self: Any, principal: Any, action: str, model: Any, payload: Any, **kw: Any) -> Any:
            d = real(self, principal, action, model, payload, **kw)
            return dataclasses.replace(d, effect="allow", denied_fields=()) if d.is_partial else d
        return validate_payload
    weaken(monkeypatch, "validate_payload", variant)
    caught(decider="enforce_payload_policy", direction="accepted_denied", rule="fields")


def test_catches_nested_denied_field_missed(monkeypatch):
    import aksara.security.policy as policy

    monkeypatch.setattr(policy, "_find_nested_forbidden_fields", lambda *a, **kw: [])
    caught(decider="validate_payload", direction="accepted_denied", field_kind="nested")


def test_catches_error_payload_without_denied_fields(monkeypatch):
    real = enforcement.policy_denied_to_error_payload
    monkeypatch.setattr(enforcement, "policy_denied_to_error_payload",
                        lambda exc: {k: v for k, v in real(exc).items() if k != "denied_fields"})
    caught(decider="enforce_request_payload_policy", direction="shape")


def test_catches_bulk_checking_only_the_first_item(monkeypatch):
    real = enforcement.validate_bulk_payload_policy
    monkeypatch.setattr(enforcement, "validate_bulk_payload_policy",
                        lambda *, payloads, **kw: real(payloads=payloads[:1] if isinstance(payloads, (list, tuple))
                                                       else payloads, **kw))
    caught(decider="validate_bulk_payload_policy", direction="accepted_denied", rule="fields")
