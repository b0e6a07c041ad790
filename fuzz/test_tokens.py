"""Token algebra: HMAC agent tokens, scope patterns and approval grants, in process.

Properties: ``tokens.agent_token_lifetime``, ``tokens.verify_raises_valueerror``,
``tokens.agent_token_integrity``, ``tokens.scope_algebra``, ``tokens.approval_binding`` (pure
helpers, fast). The same algebra through the live MCP endpoint is ``mcp.credential_algebra``
(fuzz/test_mcp.py). Readings: docs/mcp.md.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties import tokens as props
from strategies.tokens import approval_cases, claims_cases, required_scopes, scope_sets, tampers

SECRET = "token-algebra-secret-0123456789abcdef"
MODELS = ("ticket", "comment", "category")


@judges(catalog.TOKENS_AGENT_TOKEN_LIFETIME, catalog.TOKENS_VERIFY_RAISES_VALUEERROR)
@given(case=claims_cases(MODELS))
def test_agent_token_lifetime(case):
    judge(props.verifier_case(case, SECRET))


@judges(catalog.TOKENS_AGENT_TOKEN_INTEGRITY)
@given(tamper=tampers())
def test_agent_token_integrity(tamper):
    judge(props.tamper_case(tamper, SECRET))


@judges(catalog.TOKENS_SCOPE_ALGEBRA)
@pytest.mark.aksara_features("principal", "scope_check", "policy_engine")
@given(granted=scope_sets(MODELS), required=required_scopes(MODELS))
def test_scope_algebra(granted, required):
    judge(props.scope_case(granted, required))


@judges(catalog.TOKENS_APPROVAL_BINDING)
@pytest.mark.aksara_features("principal", "mcp_approval")
@given(case=approval_cases())
def test_approval_binding(case):
    judge(props.approval_case(case, SECRET))
