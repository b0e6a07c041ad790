"""MCP endpoint properties against the live reference app: quiet on correct calls, loud on planted faults.

Planted faults patch one method of Aksara's real MCP runtime (``aksara.mcp.server``) for one test:
a tool that skips the tenant check, one that runs under another tenant's identity, one that writes
on a read, undocumented error codes, results that drift from the output schema or from REST.
"""

from __future__ import annotations


import json

import pytest

from fuzz.properties import mcp as props
from strategies.tokens import Claim, ClaimsCase
from strategies.jsonrpc import RawMessage, ToolArguments
from targets.mcp_client import parse_messages
from targets.transcript import Exchange


@pytest.fixture(scope="module")
def world(live_target):
    from fuzz.properties.http import known_ids

    live_target.reset()
    return props.build_world(live_target, known_ids(live_target))


@pytest.fixture
def fresh_world(world):
    world.live.reset()
    world.client.forget()
    return world


def _with_token(request, token):
    """The same request presenting another bearer token (for planted identity faults)."""
    from starlette.datastructures import Headers

    request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"] + [
        (b"authorization", f"Bearer {token}".encode())]
    request._headers = Headers(scope=request.scope)
    return request


def valid_case(**change) -> ClaimsCase:
    base = dict(exp=Claim("valid", offset=600), iat=Claim("now", offset=0), aud=Claim("right"),
                tenant=Claim("own"), scopes=("mcp:read:comment",), scope_form="list")
    return ClaimsCase(**{**base, **change})


def a_comment(world) -> str:
    rows = world.live.run(world.live.db.fetch_rows("comments"))
    tenant = world.info.tenants["A"]
    return next(str(r["id"]) for r in rows if str(r["tenant_id"]) == tenant)


def test_client_handshake_and_sse_parsing(fresh_world):
    reply = fresh_world.client.list_tools("agent_read")
    assert [e.route for e in reply.exchanges] == ["mcp:initialize", "mcp:initialized", "mcp:tools/list"]
    assert reply.handshake[0].status == 200 and reply.result["tools"]
    assert parse_messages(reply.exchange)[0]["id"] == reply.request["id"]
    assert "->" in reply.transcript() and "tools/list" in reply.transcript()
    before = fresh_world.client.initializations
    fresh_world.client.list_tools("agent_read")
    assert fresh_world.client.initializations == before  # the session is cached


def test_catalogue_names_every_model(world):
    assert {props.oracles.tool_resource(t, world.info).name for t in world.catalogue.values()} == {
        r.name for r in world.info.resources if r.ai_exposed}


# -- credential algebra --------------------------------------------------------------------------

@pytest.mark.parametrize("tool", ["comment_list", "ticket_summary", "category_list"])
def test_credential_quiet_on_valid_token(fresh_world, tool):
    scopes = (props.oracles.required_scope(fresh_world.tool(tool), fresh_world.info),)
    findings = props.credential_case(fresh_world, valid_case(scopes=scopes), tool)
    assert [f for f in findings if f.property_id == "mcp.credential_algebra"] == []


@pytest.mark.parametrize("change", [dict(aud=Claim("wrong")), dict(tenant=Claim("missing", present=False)),
                                    dict(scopes=("mcp:read:ticket",)), dict(exp=Claim("expired", offset=-600))])
def test_credential_quiet_on_refused_token(fresh_world, change):
    findings = props.credential_case(fresh_world, valid_case(**change), "comment_list")
    assert [f for f in findings if f.property_id == "mcp.credential_algebra"] == []


def test_credential_catches_tool_skipping_tenant_check(fresh_world, monkeypatch):
    from aksara.security.decisions import PolicyDecision

    monkeypatch.setattr("aksara.mcp.server.require_mcp_tenant", lambda principal: PolicyDecision.allow("planted"))
    findings = props.credential_case(fresh_world, valid_case(tenant=Claim("missing", present=False)), "comment_list")
    assert [f.facts["direction"] for f in findings if f.property_id == "mcp.credential_algebra"] == ["accepted"]


def test_credential_catches_expiry_accepting_missing_exp(fresh_world):
    # Aksara's own verifier (used by the app's bearer middleware) and MCP server: a real defect (AKSARA-MCP-001)
    findings = props.credential_case(fresh_world, valid_case(exp=Claim("missing", present=False)), "comment_list")
    assert any(f.property_id == "mcp.credential_algebra" and f.facts["reasons"] == "exp:missing" for f in findings)


def test_credential_catches_wrong_denial_code(fresh_world, monkeypatch):
    from aksara.mcp.errors import ToolError
    from aksara.mcp.server import MCPRuntime

    original = MCPRuntime._error_result

    def relabel(error, *, details=None):
        if error.code == "wrong_audience":
            error = ToolError("missing_scope", error.category, error.message)
        return original(error, details=details)

    monkeypatch.setattr(MCPRuntime, "_error_result", staticmethod(relabel))
    findings = props.credential_case(fresh_world, valid_case(aud=Claim("wrong")), "comment_list")
    if fresh_world.info.profile == "hardened":
        assert any(f.facts.get("direction") == "wrong_code" for f in findings)


# -- tools/list -----------------------------------------------------------------------------------

def test_tools_list_quiet_for_named_principals(fresh_world):
    for principal in fresh_world.info.principals:
        assert props.tools_list_case(fresh_world, principal.name) == [], principal.name


def test_tools_list_catches_over_grant(fresh_world):
    findings = props.tools_list_case(fresh_world, "anonymous", ["mcp:*:category"])
    assert findings and findings[0].facts["direction"] == "over_grant"
    assert props.tools_list_case(fresh_world, "anonymous", ["mcp:read:*", "mcp:write:category"]) == []


def test_tool_schema_catches_hidden_field_in_schema(fresh_world, monkeypatch):
    from aksara.mcp import server

    original = server._tool_schema

    def leaky(tool):
        schema = original(tool)
        schema.setdefault("properties", {})["internal_notes"] = {"type": "string"}
        return schema

    monkeypatch.setattr(server, "_tool_schema", leaky)
    fresh_world.client.forget()
    findings = props.tools_list_case(fresh_world, "agent_write")
    assert any(f.property_id == "mcp.tool_schema_valid" and "internal_notes" in f.message for f in findings)


# -- tool calls -------------------------------------------------------------------------------------

def correct_calls(world):
    comment = a_comment(world)
    return [("agent_read", "comment_retrieve", ToolArguments("valid", {"pk": comment})),
            ("agent_read", "ticket_summary", ToolArguments("valid", {})),
            ("agent_read", "comment_update", ToolArguments("valid", {"pk": comment, "body": "x"})),
            ("agent_write", "comment_update", ToolArguments("valid", {"pk": comment, "body": "changed"})),
            ("agent_write", "comment_list", ToolArguments("unknown_property", {"tenant_id": "x"})),
            ("user_a", "comment_list", ToolArguments("valid", {})),
            ("agent_read", "no_such_tool", ToolArguments("valid", {}))]


def test_tool_calls_quiet_on_correct_calls(fresh_world):
    for principal, tool, args in correct_calls(fresh_world):
        assert props.tool_call_case(fresh_world, principal, tool, args) == [], (principal, tool)
    assert fresh_world.live.changes() == []


def test_tool_call_catches_tool_running_as_other_tenant(fresh_world, monkeypatch):
    from aksara.mcp.server import MCPRuntime

    other = fresh_world.live.target.agent_token("planted-b", ("mcp:read:comment",),
                                                tenant=fresh_world.info.tenants["B"])
    original = MCPRuntime._invoke_generated_api

    async def as_tenant_b(self, request, tool, arguments, invocation):
        return await original(self, _with_token(request, other), tool, arguments, invocation)

    monkeypatch.setattr(MCPRuntime, "_invoke_generated_api", as_tenant_b)
    findings = props.tool_call_case(fresh_world, "agent_read", "comment_list", ToolArguments("valid", {}))
    assert any(f.property_id == "mcp.tenant_isolation" for f in findings)


def test_tool_call_catches_read_tool_that_writes(fresh_world, monkeypatch):
    from aksara.mcp.server import MCPRuntime

    original = MCPRuntime._invoke_generated_api

    async def writes(self, request, tool, arguments, invocation):
        await self.app.db.execute("UPDATE categories SET description = coalesce(description, '') || '!'")
        return await original(self, request, tool, arguments, invocation)

    monkeypatch.setattr(MCPRuntime, "_invoke_generated_api", writes)
    findings = props.tool_call_case(fresh_world, "agent_read", "ticket_summary", ToolArguments("valid", {}))
    assert any(f.property_id == "mcp.db_change_only_when_allowed" for f in findings)
    assert fresh_world.live.changes() == []  # the property reset the database


def test_tool_call_catches_undocumented_code_and_output_drift(fresh_world, monkeypatch):
    from aksara.mcp import server
    from aksara.mcp.errors import ToolError

    original_error, original_success = server.MCPRuntime._error_result, server.MCPRuntime._success_result
    monkeypatch.setattr(server.MCPRuntime, "_error_result", staticmethod(
        lambda error, *, details=None: original_error(ToolError("oops", "x", "planted"), details=details)))
    monkeypatch.setattr(server.MCPRuntime, "_success_result", staticmethod(
        lambda payload: original_success({**payload, "author": 5} if "author" in payload else payload)))
    denied = props.tool_call_case(fresh_world, "user_a", "comment_list", ToolArguments("valid", {}))
    assert any(f.property_id == "mcp.documented_denial" for f in denied)
    drift = props.tool_call_case(fresh_world, "agent_read", "comment_retrieve",
                                 ToolArguments("valid", {"pk": a_comment(fresh_world)}))
    assert any(f.property_id == "mcp.output_schema" for f in drift)


def test_tool_call_catches_unvalidated_arguments(fresh_world, monkeypatch):
    from aksara.mcp.server import MCPRuntime

    monkeypatch.setattr(MCPRuntime, "_validate_arguments", lambda self, tool, arguments: None)
    findings = props.tool_call_case(fresh_world, "agent_read", "ticket_summary",
                                    ToolArguments("unknown_property", {"surprise": 1}))
    assert any(f.property_id == "mcp.arguments_validated" for f in findings)


def test_tool_call_catches_internal_error(fresh_world):
    findings = props.tool_call_case(fresh_world, "agent_read", "ticket_list", ToolArguments("valid", {}))
    assert any(f.property_id == "mcp.no_internal_error" for f in findings)  # AKSARA-MCP-004, real


def test_malformed_quiet_and_unknown_method_refused(fresh_world):
    for message in (RawMessage("invalid_json", b"{"), RawMessage("unknown_method",
                    b'{"jsonrpc":"2.0","id":5,"method":"tools/destroy"}'), RawMessage("batch", b"[]")):
        assert props.malformed_case(fresh_world, "agent_read", message) == [], message.kind


# -- parity -----------------------------------------------------------------------------------------

def test_parity_quiet_on_reads_and_writes(fresh_world):
    comment = a_comment(fresh_world)
    for principal, tool, args in [("agent_read", "comment_retrieve", {"pk": comment}),
                                  ("agent_write", "comment_update", {"pk": comment, "body": "same"}),
                                  ("agent_read", "ticket_summary", {})]:
        assert props.parity_case(fresh_world, principal, tool, args) == [], tool


def test_parity_catches_result_drift(fresh_world, monkeypatch):
    from aksara.mcp.server import MCPRuntime

    original = MCPRuntime._success_result
    monkeypatch.setattr(MCPRuntime, "_success_result", staticmethod(
        lambda payload: original({**payload, "body": "drift"} if isinstance(payload, dict) else payload)))
    findings = props.parity_case(fresh_world, "agent_read", "comment_retrieve", {"pk": a_comment(fresh_world)})
    assert findings and findings[0].facts["difference"] == "data"


def test_parity_catches_mcp_allowing_what_rest_refuses(fresh_world, monkeypatch):
    from aksara.mcp.server import MCPRuntime

    existing = a_comment(fresh_world)
    original = MCPRuntime._invoke_generated_api

    async def ignores_pk(self, request, tool, arguments, invocation):
        return await original(self, request, tool, {**arguments, "pk": existing}, invocation)

    monkeypatch.setattr(MCPRuntime, "_invoke_generated_api", ignores_pk)
    missing = "00000000-0000-4000-8000-000000000000"
    findings = props.parity_case(fresh_world, "agent_read", "comment_retrieve", {"pk": missing})
    assert findings and findings[0].facts["difference"] == "decision"


def test_sse_data_lines_end_only_at_cr_or_lf_not_at_unicode_line_breaks():
    message = {"jsonrpc": "2.0", "id": 7, "result": {"text": "id format: \u0085 \u2028 \x1c"}}
    text = "event: message\r\ndata: " + json.dumps(message, ensure_ascii=False) + "\r\n\r\n"
    exchange = Exchange("POST", "/mcp/", status=200, response_headers=(("content-type", "text/event-stream"),),
                        response_text=text)
    assert parse_messages(exchange) == [message]
