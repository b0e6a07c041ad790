"""The MCP sweeps find a fault planted behind exactly one combination of each of their dimensions, on every seed.

Planted in the installed Aksara's MCP runtime for the test only:

- credential class × tool: the audience check of one tool (``category_retrieve``) accepts a token whose
  audience is the configured one with a trailing slash (the ``aud:suffix_variant`` class). Random claims
  rarely reach it: one aud class of ten, in a claims set whose other classes must all be valid, on one tool of
  sixteen;
- REST/MCP twin × principal: one list tool (``category_list``) drops every row but the first for one AI
  principal (``agent_write``) over MCP; REST answers the same call in full.

The property tests of ``fuzz/test_mcp.py`` run as the ci profile runs them (their budget, their sweep) under
several seeds and must fail with a new finding each time, for that combination.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from fuzz import test_mcp
from fuzz.findings import NewFinding
from fuzz.profiles import PROFILES
from fuzz.properties import mcp as props

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def mcp_world(live_target):
    from fuzz.properties.http import known_ids

    live_target.reset()
    return props.build_world(live_target, known_ids(live_target))


def run_ci(test, seed, monkeypatch, **fixtures) -> NewFinding:
    """Run the fuzz property ``test`` with the ci profile's budget and ``seed``; return the new finding it raised."""
    given_test = test.given_test
    monkeypatch.setattr(given_test, "_hypothesis_internal_use_settings", settings(
        max_examples=PROFILES["ci"], database=None, deadline=None, suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False))
    monkeypatch.setattr(given_test, "_hypothesis_internal_use_seed", seed)
    with pytest.raises(NewFinding) as raised:
        test(**fixtures)
    return raised.value


def test_the_credential_sweep_finds_the_one_class_and_tool_the_server_accepts(live_target, mcp_world, monkeypatch):
    from aksara.mcp import server
    from aksara.mcp.context import get_agent_invocation_context

    real = server.require_mcp_audience

    def audience(principal, expected):
        invocation = get_agent_invocation_context()
        actual = principal.metadata.get("audience") or principal.metadata.get("aud")
        if invocation is not None and invocation.tool_name == "category_retrieve" and actual == f"{expected}/":
            return real(principal, actual)  # planted: one tool compares the audience with itself
        return real(principal, expected)

    monkeypatch.setattr(server, "require_mcp_audience", audience)
    for seed in SEEDS:
        raised = run_ci(test_mcp.test_live_credential_algebra, seed, monkeypatch, live_target=live_target,
                        mcp_world=mcp_world)
        facts = raised.finding.facts
        assert raised.finding.property_id == "mcp.credential_algebra", raised
        assert (facts["aud_class"], facts["tool"], facts["direction"]) == ("suffix_variant", "category_retrieve",
                                                                            "accepted"), (seed, facts)
    mcp_world.client.forget()
    live_target.reset()


def test_the_twin_sweep_finds_the_one_tool_and_principal_whose_mcp_answer_differs(live_target, mcp_world,
                                                                                  monkeypatch):
    from aksara.mcp.server import MCPRuntime

    real = MCPRuntime._invoke_generated_api

    async def invoke(self, request, tool, arguments, invocation):
        response = await real(self, request, tool, arguments, invocation)
        if tool.name == "category_list" and invocation.principal.has_scope("mcp:write:ticket"):
            page = response.json()  # planted: one principal's list is cut to its first row
            return httpx.Response(response.status_code, json={**page, "results": page["results"][:1]},
                                  request=response.request)
        return response

    monkeypatch.setattr(MCPRuntime, "_invoke_generated_api", invoke)
    for seed in SEEDS:
        raised = run_ci(test_mcp.test_rest_mcp_parity, seed, monkeypatch, live_target=live_target,
                        mcp_world=mcp_world)
        finding = raised.finding
        assert finding.property_id == "mcp.rest_parity", raised
        assert finding.facts.get("tool") == "category_list", (seed, finding.facts)
        assert any("agent_write" in line for line in finding.reproducer.splitlines()), (seed, finding.reproducer)
    mcp_world.client.forget()
    live_target.reset()
