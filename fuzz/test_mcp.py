"""Tool-call fuzzing, credentials and REST/MCP parity through the live ``POST /mcp/`` endpoint.

Properties: ``mcp.credential_algebra`` (tokens minted with generated claims: the decision follows the
token algebra of fuzz/test_tokens.py), ``mcp.tools_list_exact`` and ``mcp.tool_schema_valid`` (tools/list per principal and per
granted scope set), ``mcp.no_internal_error``, ``mcp.jsonrpc_response``, ``mcp.documented_denial``,
``mcp.output_schema``, ``mcp.arguments_validated``, ``mcp.db_change_only_when_allowed``,
``mcp.tenant_isolation``, ``mcp.hidden_fields`` (tools/call with valid and hostile arguments from each
tool's inputSchema, unknown tools, malformed JSON-RPC) and ``mcp.rest_parity`` (whose valid calls the
output-schema and tenant-isolation oracles judge too). Sweeps (fuzz/sweep.py): every credential class × tool
for the credential algebra, every REST/MCP twin × AI principal for parity. Sessions are cached
per principal. Readings: docs/mcp.md.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.draws import draw_from
from fuzz.judging import judge, judges
from fuzz.oracles.mcp import required_scope
from fuzz.profiles import scaled
from fuzz.properties import mcp as props
from fuzz.sweep import sweeps, swept
from targets import features
from strategies.jsonrpc import ToolArguments, malformed_messages, tool_arguments, valid_arguments
from strategies.sweeps import credential_tools, simplest, twins
from strategies.tokens import claims_cases, scope_sets

UNKNOWN_TOOLS = ("no_such_tool", "ticket_list ", "TICKET_LIST", "ticket_drop", "__import__")
HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME,
        catalog.HTTP_HEALTH_AFTER)
REPLY = (catalog.MCP_NO_INTERNAL_ERROR, catalog.MCP_JSONRPC_RESPONSE, catalog.MCP_DOCUMENTED_DENIAL, *HTTP)
TOOL_CALL = (catalog.MCP_NO_INTERNAL_ERROR, catalog.MCP_JSONRPC_RESPONSE, catalog.MCP_DOCUMENTED_DENIAL,
             catalog.MCP_OUTPUT_SCHEMA, catalog.MCP_ARGUMENTS_VALIDATED, catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED,
             catalog.MCP_TENANT_ISOLATION, catalog.MCP_HIDDEN_FIELDS)
CREDENTIAL = (catalog.MCP_NO_INTERNAL_ERROR, catalog.MCP_JSONRPC_RESPONSE, catalog.MCP_DOCUMENTED_DENIAL,
              catalog.MCP_OUTPUT_SCHEMA, catalog.MCP_HIDDEN_FIELDS, catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED,
              catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK,
              catalog.HTTP_RESPONDS_IN_TIME)


@pytest.fixture(scope="module")
def mcp_world(live_target):
    from fuzz.properties.http import known_ids

    if not live_target.info.mcp_path:
        pytest.skip(features.missing("mcp") or "the target does not expose MCP")
    live_target.reset()
    return props.build_world(live_target, known_ids(live_target))


def _credential_sweep(live_target, mcp_world, **_):
    """Every credential class (valid claims with one claim, scope form or granted-scope class changed) × MCP tool."""
    if not hasattr(live_target.target, "mint_agent_token"):
        return []
    tools = []
    for name, tool in sorted(mcp_world.catalogue.items()):
        meta = tool.get("_meta") or {}
        tools.append((name, required_scope(tool, live_target.info) or "",
                      (bool(meta.get("aksara/tenantScoped")), bool(meta.get("aksara/approvalRequired")))))
    models = [r.name for r in live_target.info.resources]
    return [(case, name) for _, case, name in credential_tools(tools, models)]


@judges(catalog.MCP_CREDENTIAL_ALGEBRA, also=CREDENTIAL)
@sweeps(catalog.MCP_CREDENTIAL_ALGEBRA, _credential_sweep)
@given(data=st.data())
def test_live_credential_algebra(live_target, mcp_world, data):
    """A minted token with any claims calls any tool (the sweep first: every credential class × tool)."""
    if not hasattr(live_target.target, "mint_agent_token"):
        pytest.skip("the target has no mint_agent_token(claims) capability")
    if not mcp_world.catalogue:
        pytest.skip("the target's MCP server lists no tools")
    models = [r.name for r in live_target.info.resources]
    case, tool = data.draw(swept(st.tuples(claims_cases(models), st.sampled_from(sorted(mcp_world.catalogue)))),
                           label="credential")
    judge(props.credential_case(mcp_world, case, tool))


@judges(catalog.MCP_TOOLS_LIST_EXACT, catalog.MCP_TOOL_SCHEMA_VALID, also=REPLY)
def test_tools_list_per_principal(live_target, mcp_world):
    findings = []
    for principal in live_target.info.principals:  # every principal listed before any finding is judged
        findings += props.tools_list_case(mcp_world, principal.name)
    judge(findings)


@judges(catalog.MCP_TOOLS_LIST_EXACT, catalog.MCP_TOOL_SCHEMA_VALID, also=REPLY)
@scaled(0.25)
@given(granted=st.data())
def test_tools_list_per_scope_set(live_target, mcp_world, granted):
    if not hasattr(live_target.target, "mint_agent_token"):
        pytest.skip("the target has no mint_agent_token(claims) capability")
    scopes = granted.draw(scope_sets([r.name for r in live_target.info.resources]), label="granted")
    judge(props.tools_list_case(mcp_world, "anonymous", scopes))


@judges(*TOOL_CALL, also=HTTP)
@given(data=st.data())
def test_tool_calls(live_target, mcp_world, data):
    principal = data.draw(st.sampled_from([p.name for p in live_target.info.principals]), label="principal")
    name = data.draw(st.sampled_from(sorted(mcp_world.catalogue) + list(UNKNOWN_TOOLS)), label="tool")
    tool = mcp_world.catalogue.get(name)
    if tool is None:
        args = ToolArguments("valid", {})
    else:
        args = data.draw(tool_arguments(tool.get("inputSchema") or {}, props.ids_for_arguments(mcp_world, tool)),
                         label="arguments")
    judge(props.tool_call_case(mcp_world, principal, name, args))


@judges(catalog.MCP_NO_INTERNAL_ERROR, catalog.MCP_JSONRPC_RESPONSE, catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED,
        also=REPLY)
@scaled(0.25)
@given(data=st.data())
def test_malformed_jsonrpc(live_target, mcp_world, data):
    principal = draw_from(data, props.ai_principals(live_target.info), "principal", "the target has no AI principal")
    message = data.draw(malformed_messages(sorted(mcp_world.catalogue)), label="message")
    judge(props.malformed_case(mcp_world, principal, message))


def _twin_arguments(mcp_world, name):
    tool = mcp_world.catalogue[name]
    return valid_arguments(tool.get("inputSchema") or {}, props.ids_for_arguments(mcp_world, tool))


def _twin_sweep(live_target, mcp_world, **_):
    """Every REST/MCP twin × AI principal, with the tool's simplest valid arguments."""
    return [(principal, name, simplest(_twin_arguments(mcp_world, name)).arguments)
            for principal, name in twins(sorted(mcp_world.catalogue), props.ai_principals(live_target.info))]


@judges(catalog.MCP_REST_PARITY, also=(catalog.MCP_OUTPUT_SCHEMA, catalog.MCP_TENANT_ISOLATION))
@sweeps(catalog.MCP_REST_PARITY, _twin_sweep)
@given(data=st.data())
def test_rest_mcp_parity(live_target, mcp_world, data):
    """One operation over REST and over MCP as the same AI principal (the sweep first: every twin × principal)."""
    principals = props.ai_principals(live_target.info)
    if not principals:
        pytest.skip("the target has no AI principal")
    if not mcp_world.catalogue:
        pytest.skip("the target's MCP server lists no tools")
    explore = st.tuples(st.sampled_from(principals), st.sampled_from(sorted(mcp_world.catalogue))).flatmap(
        lambda pair: _twin_arguments(mcp_world, pair[1]).map(lambda args: (*pair, args.arguments)))
    principal, name, arguments = data.draw(swept(explore), label="twin")
    judge(props.parity_case(mcp_world, principal, name, arguments))
