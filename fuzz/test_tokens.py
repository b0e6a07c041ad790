"""Token algebra: HMAC agent tokens, scope patterns and approval grants, in process and through /mcp/.

Properties: ``tokens.agent_token_lifetime``, ``tokens.verify_raises_valueerror``,
``tokens.agent_token_integrity``, ``tokens.scope_algebra``, ``tokens.approval_binding`` (pure
helpers, fast) and ``mcp.credential_algebra`` (minted tokens through the live MCP endpoint).
Readings: docs/mcp.md.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.draws import draw_from
from fuzz.judging import judge, judges
from targets import features
from fuzz.properties import mcp as props
from strategies.credentials import approval_cases, claims_cases, required_scopes, scope_sets, tampers

SECRET = "token-algebra-secret-0123456789abcdef"
MODELS = ("ticket", "comment", "category")
LIVE = (catalog.MCP_NO_INTERNAL_ERROR, catalog.MCP_JSONRPC_RESPONSE, catalog.MCP_DOCUMENTED_DENIAL,
        catalog.MCP_OUTPUT_SCHEMA, catalog.MCP_HIDDEN_FIELDS, catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED,
        catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME)


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


@pytest.fixture(scope="module")
def mcp_world(live_target):
    from fuzz.properties.robustness import known_ids

    if not live_target.info.mcp_path:
        pytest.skip(features.missing("mcp") or "the target does not expose MCP")
    live_target.reset()
    return props.build_world(live_target, known_ids(live_target))


@judges(catalog.MCP_CREDENTIAL_ALGEBRA, also=LIVE)
@given(data=st.data())
def test_live_credential_algebra(live_target, mcp_world, data):
    if not hasattr(live_target.target, "mint_agent_token"):
        pytest.skip("the target has no mint_agent_token(claims) capability")
    models = [r.name for r in live_target.info.resources]
    case = data.draw(claims_cases(models), label="claims")
    tool = draw_from(data, sorted(mcp_world.catalogue), "tool", "the target's MCP server lists no tools")
    judge(props.credential_case(mcp_world, case, tool))
