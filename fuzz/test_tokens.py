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

from fuzz.draws import draw_from
from fuzz.findings import COLLECTOR, report
from fuzz.properties import mcp as props
from strategies.credentials import approval_cases, claims_cases, required_scopes, scope_sets, tampers

SECRET = "token-algebra-secret-0123456789abcdef"
MODELS = ("ticket", "comment", "category")


@given(case=claims_cases(MODELS))
def test_agent_token_lifetime(case):
    COLLECTOR.count_example("tokens.agent_token_lifetime")
    report(props.verifier_case(case, SECRET))


@given(tamper=tampers())
def test_agent_token_integrity(tamper):
    COLLECTOR.count_example("tokens.agent_token_integrity")
    report(props.tamper_case(tamper, SECRET))


@given(granted=scope_sets(MODELS), required=required_scopes(MODELS))
def test_scope_algebra(granted, required):
    COLLECTOR.count_example("tokens.scope_algebra")
    report(props.scope_case(granted, required))


@given(case=approval_cases())
def test_approval_binding(case):
    COLLECTOR.count_example("tokens.approval_binding")
    report(props.approval_case(case, SECRET))


@pytest.fixture(scope="module")
def mcp_world(live_target):
    from fuzz.properties.robustness import known_ids

    live_target.reset()
    return props.build_world(live_target, known_ids(live_target))


@given(data=st.data())
def test_live_credential_algebra(live_target, mcp_world, data):
    if not hasattr(live_target.target, "mint_agent_token"):
        pytest.skip("the target has no mint_agent_token(claims) capability")
    models = [r.name for r in live_target.info.resources]
    case = data.draw(claims_cases(models), label="claims")
    tool = draw_from(data, sorted(mcp_world.catalogue), "tool", "the target's MCP server lists no tools")
    COLLECTOR.count_example("mcp.credential_algebra")
    report(props.credential_case(mcp_world, case, tool))
