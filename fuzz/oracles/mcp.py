"""Oracles of the MCP endpoint (``POST /mcp/``); readings in docs/mcp.md, numbered R1..R12.

The token algebra these oracles hold the endpoint to is :mod:`fuzz.oracles.tokens`.

- ``mcp.credential_algebra``: through ``/mcp/`` a tool call passes the credential checks exactly
  when the token algebra says so, and a refusal carries one of the codes that apply (R8-R10).
- ``mcp.no_internal_error``: no HTTP 5xx, no JSON-RPC ``-32603``, no ``internal_error`` tool result.
- ``mcp.jsonrpc_response``: every request gets one JSON-RPC 2.0 response with its id (or an HTTP 4xx).
- ``mcp.documented_denial``: an ``isError`` result is ``{"ok": false, "error": {code, category,
  message, retryable}}`` and its code is one of Aksara's documented codes.
- ``mcp.output_schema``: a successful structured result validates against the tool's ``outputSchema``.
- ``mcp.arguments_validated``: arguments outside the ``inputSchema`` never execute.
- ``mcp.db_change_only_when_allowed``: a read tool or a refused call changes no table; a successful
  write changes only its model's table (and tables referencing it).
- ``mcp.tools_list_exact``: a scoped MCP principal is listed exactly the tools its scopes grant (R7).
- ``mcp.tool_schema_valid``: every listed ``inputSchema``/``outputSchema`` is valid JSON Schema and
  names no ``ai_sensitive`` field.
- ``mcp.rest_parity``: the same operation as the same principal gets the same decision and data
  over REST and MCP (R11, R12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from jsonschema.validators import validator_for

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.tokens import Verdict, reference_set_grants, wildcard_position
from targets.mcp_client import McpReply

if TYPE_CHECKING:
    from targets.base import ResourceSpec, TargetInfo
    from targets.transcript import Exchange

CREDENTIAL_CODES = frozenset({"unauthenticated", "invalid_principal_type", "credential_expired", "wrong_audience",
                              "tenant_context_required", "missing_scope"})
SCHEMA_CODES = frozenset({"schema_mismatch", "forbidden_field"})
DOCUMENTED_CODES = CREDENTIAL_CODES | SCHEMA_CODES | frozenset({
    "unknown_tool", "repeated_tool_request", "tool_timeout", "cancelled", "permission_denied", "not_found",
    "conflict", "infrastructure_error", "approval_required", "approval_unavailable", "approval_invalid",
    "approval_rejected", "approval_expired", "approval_mismatch", "approval_tenant_mismatch",
    "approval_principal_mismatch", "approval_arguments_mismatch", "internal_error",
})
INTERNAL_CODES = frozenset({"internal_error", "invalid_tool_schema", "unstructured_error"})
JSONRPC_INTERNAL = -32603

REASON_CODES = {"exp": {"credential_expired", "unauthenticated"}, "iat": {"unauthenticated"},
                "aud": {"wrong_audience"}, "tenant": {"tenant_context_required"}, "scope": {"missing_scope"}}


def codes_for(reasons: Iterable[str]) -> set[str]:
    """The credential error codes that a refusal for ``reasons`` may carry."""
    codes: set[str] = set()
    for reason in reasons:
        codes |= REASON_CODES.get(reason.split(":", 1)[0], set())
    return codes


# -- MCP reply checks -----------------------------------------------------------------------------

def tool_facts(reply: McpReply, tool: str | None = None, **more: str) -> dict[str, str]:
    """The facts of an MCP reply that name its cause: tool error code, JSON-RPC error, HTTP and app status."""
    facts = {"tool_error_code": reply.tool_error_code or "",
             "jsonrpc_error": str((reply.error or {}).get("code", "")) if isinstance(reply.error, dict) else "",
             "http_status": str(reply.exchange.status)}
    result = reply.result
    if isinstance(result, dict):
        structured = result.get("structuredContent")
        if isinstance(structured, dict) and isinstance(structured.get("application_error"), dict):
            app = structured["application_error"]
            error = app.get("error") if isinstance(app.get("error"), dict) else {}
            facts["app_status"] = str(error.get("status", app.get("status", "")))
            facts["app_error_type"] = str(error.get("type", ""))
    if tool:
        facts["tool"] = tool
    facts.update(more)
    return facts


def check_no_internal_error(reply: McpReply, tool: str | None = None) -> list[Finding]:
    """No HTTP 5xx, JSON-RPC -32603 or ``internal_error`` tool result: each counts as a server error."""
    judged(catalog.MCP_NO_INTERNAL_ERROR)
    problem = None
    if reply.exchange.status >= 500:
        problem = f"HTTP {reply.exchange.status}"
    elif isinstance(reply.error, dict) and reply.error.get("code") == JSONRPC_INTERNAL:
        problem = "JSON-RPC -32603"
    elif reply.tool_error_code in INTERNAL_CODES:
        problem = f"tool result {reply.tool_error_code}"
    if problem is None:
        return []
    return [Finding(catalog.MCP_NO_INTERNAL_ERROR, f"MCP {tool or 'request'} answered {problem}", observed=problem,
                    expected="a result or a documented client/authorization error", exchanges=reply.exchanges,
                    facts=tool_facts(reply, tool, problem=problem), reproducer=reply.transcript())]


def check_jsonrpc_response(reply: McpReply) -> list[Finding]:
    """A request with an id gets exactly one JSON-RPC 2.0 response carrying that id (or an HTTP 4xx)."""
    request = reply.request
    if not isinstance(request, dict) or "id" not in request or 400 <= reply.exchange.status < 500:
        return []
    judged(catalog.MCP_JSONRPC_RESPONSE)
    message = reply.message
    problem = None
    if not isinstance(message, dict):
        problem = "no JSON-RPC message in the response"
    elif message.get("jsonrpc") != "2.0" or message.get("id") != request["id"]:
        problem = f"jsonrpc={message.get('jsonrpc')!r} id={message.get('id')!r} (sent {request['id']!r})"
    elif ("result" in message) == ("error" in message):
        problem = "response must carry exactly one of result/error"
    if problem is None:
        return []
    return [Finding(catalog.MCP_JSONRPC_RESPONSE, problem, observed=reply.exchange.response_text[:500],
                    expected="a JSON-RPC 2.0 response", exchanges=reply.exchanges,
                    facts=tool_facts(reply, problem=problem), reproducer=reply.transcript())]


def check_documented_denial(reply: McpReply, tool: str | None = None) -> list[Finding]:
    """An error result has Aksara's structured error shape and a documented code."""
    result = reply.result
    if not isinstance(result, dict) or not result.get("isError"):
        return []
    judged(catalog.MCP_DOCUMENTED_DENIAL)
    structured = result.get("structuredContent")
    problems = []
    if not isinstance(structured, dict) or structured.get("ok") is not False or not isinstance(
            structured.get("error"), dict):
        problems.append("isError result without {'ok': false, 'error': {...}}")
    else:  # a missing key and an undocumented code are separate faults, each judged
        error = structured["error"]
        missing = [k for k in ("code", "category", "message", "retryable") if k not in error]
        nested = _nested_app_code(structured.get("application_error"))
        if missing:
            problems.append(f"error lacks {', '.join(missing)}")
        if "code" in error and error["code"] not in DOCUMENTED_CODES and error["code"] != nested:
            problems.append(f"undocumented error code {error['code']!r}")
    return [Finding(catalog.MCP_DOCUMENTED_DENIAL, problem, observed=structured, expected="documented tool error",
                    exchanges=reply.exchanges, facts=tool_facts(reply, tool, problem=problem),
                    reproducer=reply.transcript()) for problem in problems]


def _nested_app_code(app_error: Any) -> Any:
    detail = app_error.get("detail") if isinstance(app_error, dict) else None
    return detail.get("code") if isinstance(detail, dict) else None


def check_output_schema(reply: McpReply, tool: Mapping[str, Any]) -> list[Finding]:
    """A successful result's ``structuredContent`` validates against the tool's ``outputSchema``."""
    schema = tool.get("outputSchema")
    if not reply.tool_succeeded or not isinstance(schema, dict):
        return []
    judged(catalog.MCP_OUTPUT_SCHEMA)
    structured = reply.result.get("structuredContent")
    errors = sorted(validator_for(schema)(schema).iter_errors(structured),
                    key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))
    by_rule: dict[tuple, Any] = {}  # one finding per schema rule broken (rows breaking the same rule share it)
    for error in errors:
        by_rule.setdefault((str(error.validator), tuple(map(str, error.absolute_schema_path))), error)
    return [Finding(catalog.MCP_OUTPUT_SCHEMA, f"{tool['name']} result violates its outputSchema: {error.message[:200]}",
                    observed=error.message[:500], expected="structuredContent valid for outputSchema",
                    exchanges=reply.exchanges,
                    facts=tool_facts(reply, tool["name"], rule=str(error.validator),
                                     at="/".join(map(str, error.absolute_path))),
                    reproducer=reply.transcript()) for error in by_rule.values()]


def check_arguments_validated(reply: McpReply, tool: Mapping[str, Any], arguments_valid: bool,
                              kind: str) -> list[Finding]:
    """Arguments the ``inputSchema`` rejects never reach execution."""
    if arguments_valid:
        return []
    judged(catalog.MCP_ARGUMENTS_VALIDATED)
    code = reply.tool_error_code
    if code in SCHEMA_CODES | CREDENTIAL_CODES or reply.error is not None or reply.exchange.status >= 400:
        return []
    return [Finding(catalog.MCP_ARGUMENTS_VALIDATED, f"{tool['name']} executed arguments outside its inputSchema ({kind})",
                    observed=code or "success", expected="schema_mismatch or forbidden_field",
                    exchanges=reply.exchanges, facts=tool_facts(reply, tool["name"], arguments=kind),
                    reproducer=reply.transcript())]


def check_db_effect(reply: McpReply, tool: Mapping[str, Any], changed: Sequence[str],
                    allowed_tables: Sequence[str]) -> list[Finding]:
    """Refused calls and read tools change nothing; a successful write touches only its own tables."""
    judged(catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED)
    if not changed:
        return []
    method = str((tool.get("_meta") or {}).get("aksara/httpMethod", "")).upper()
    if reply.tool_succeeded and method not in ("GET", "HEAD", "OPTIONS"):
        stray = [t for t in changed if t not in allowed_tables]
        if not stray:
            return []
        problem = f"write changed unrelated tables {', '.join(stray)}"
    elif reply.tool_succeeded:
        problem = f"read tool changed {', '.join(changed)}"
    else:
        problem = f"refused call changed {', '.join(changed)}"
    return [Finding(catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED, f"{tool.get('name')}: {problem}", observed=list(changed),
                    expected=list(allowed_tables) if reply.tool_succeeded else [], exchanges=reply.exchanges,
                    facts=tool_facts(reply, str(tool.get("name")), tables=",".join(changed)),
                    reproducer=reply.transcript())]


def check_credential_decision(reply: McpReply, verdict: Verdict, tool: str, case_facts: Mapping[str, str]
                              ) -> list[Finding]:
    """R8-R10: the call passes the credential checks iff the algebra says so; refusals name a reason."""
    if "timed_out" in (reply.exchange.extra or {}):
        return []  # no answer is neither a refusal nor a pass: http.responds_in_time and mcp.jsonrpc_response judge it
    refused_by_app = reply.exchange.status == 401
    code = reply.tool_error_code
    refused = refused_by_app or code in CREDENTIAL_CODES
    facts = tool_facts(reply, tool, **case_facts, verdict=verdict.must,
                       reasons=",".join(sorted(verdict.reasons)), doubts=",".join(sorted(verdict.doubts)))
    if verdict.must != "either":
        judged(catalog.MCP_CREDENTIAL_ALGEBRA)
    if verdict.must == "reject" and not refused:
        return [Finding(catalog.MCP_CREDENTIAL_ALGEBRA, f"{tool}: a credential that must be refused "
                        f"({', '.join(sorted(verdict.reasons))}) passed the MCP checks",
                        observed=code or "executed", expected="refused", exchanges=reply.exchanges,
                        facts={**facts, "direction": "accepted"}, reproducer=reply.transcript())]
    if verdict.must == "accept" and refused:
        return [Finding(catalog.MCP_CREDENTIAL_ALGEBRA, f"{tool}: a valid credential was refused ({code or 'HTTP 401'})",
                        observed=code or "HTTP 401", expected="accepted", exchanges=reply.exchanges,
                        facts={**facts, "direction": "refused"}, reproducer=reply.transcript())]
    if verdict.must == "reject" and code in CREDENTIAL_CODES:
        applicable = codes_for(verdict.reasons | verdict.doubts)
        if code not in applicable:
            return [Finding(catalog.MCP_CREDENTIAL_ALGEBRA, f"{tool}: refused with {code}, but the reasons are "
                            f"{', '.join(sorted(verdict.reasons))}", observed=code, expected=sorted(applicable),
                            exchanges=reply.exchanges, facts={**facts, "direction": "wrong_code"},
                            reproducer=reply.transcript())]
    return []


# -- tool catalogue checks --------------------------------------------------------------------------

def tool_resource(tool: Mapping[str, Any], info: TargetInfo) -> ResourceSpec | None:
    """The resource a tool operates on, from its published ``aksara/path`` and the target metadata."""
    return info.resource_at(str((tool.get("_meta") or {}).get("aksara/path", "")))


def required_scope(tool: Mapping[str, Any], info: TargetInfo) -> str | None:
    """Aksara's documented convention: ``mcp:read:<model>`` for GET tools, ``mcp:write:<model>`` otherwise."""
    resource = tool_resource(tool, info)
    if resource is None:
        return None
    method = str((tool.get("_meta") or {}).get("aksara/httpMethod", "GET")).upper()
    return f"mcp:{'read' if method == 'GET' else 'write'}:{resource.name.lower()}"


def check_tools_list(reply: McpReply, principal: str, scopes: Sequence[str] | None, catalogue: Sequence[Mapping],
                     info: TargetInfo) -> list[Finding]:
    """A scoped MCP principal (``scopes`` not None) is listed exactly the catalogue tools its scopes grant."""
    result = reply.result
    if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
        return [Finding(catalog.MCP_TOOLS_LIST_EXACT, f"tools/list for {principal} gave no tool list",
                        observed=reply.exchange.response_text[:300], expected="a tools list",
                        exchanges=reply.exchanges, facts=tool_facts(reply, problem="no_list"),
                        reproducer=reply.transcript())]
    if scopes is None:
        return []
    judged(catalog.MCP_TOOLS_LIST_EXACT)
    listed = {t.get("name") for t in result["tools"]}
    expected = {t["name"] for t in catalogue if (rs := required_scope(t, info)) and reference_set_grants(scopes, rs)}
    extra, missing = sorted(listed - expected), sorted(expected - listed)
    return [Finding(catalog.MCP_TOOLS_LIST_EXACT, f"tools/list for scopes {list(scopes)!r}: {label} {tools}",
                    observed=sorted(listed), expected=sorted(expected), exchanges=reply.exchanges,
                    facts=tool_facts(reply, direction=direction,
                                     wildcard_position=wildcard_position(scopes), granted=" ".join(scopes)),
                    reproducer=reply.transcript())
            for direction, label, tools in (("over_grant", "extra", extra), ("under_grant", "missing", missing))
            if tools]  # an over-grant and an under-grant are judged apart


def check_tool_schemas(reply: McpReply, info: TargetInfo) -> list[Finding]:
    """Every listed schema is valid JSON Schema and names no ``ai_sensitive`` field."""
    result = reply.result
    tools = result.get("tools") if isinstance(result, dict) else None
    if tools:
        judged(catalog.MCP_TOOL_SCHEMA_VALID)
    findings = []
    for tool in tools or []:
        resource = tool_resource(tool, info)
        hidden = {f.name for f in resource.fields if f.ai_sensitive} if resource else set()
        for key in ("inputSchema", "outputSchema"):
            schema = tool.get(key)
            if schema is None:
                continue
            problem = None
            try:
                validator_for(schema).check_schema(schema)
            except Exception as exc:  # noqa: BLE001 - SchemaError or a malformed schema object
                problem = f"invalid JSON Schema: {str(exc).splitlines()[0][:200]}"
            named = hidden & _property_names(schema)
            if problem is None and named:
                problem = f"names ai_sensitive field(s) {', '.join(sorted(named))}"
            if problem:
                findings.append(Finding(catalog.MCP_TOOL_SCHEMA_VALID, f"{tool.get('name')} {key}: {problem}",
                                        observed=problem, expected="valid schema without hidden fields",
                                        exchanges=reply.exchanges,
                                        facts=tool_facts(reply, str(tool.get("name")), schema=key, problem=problem),
                                        reproducer=reply.transcript()))
    return findings


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names |= set(value)
            names |= _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= _property_names(item)
    return names


# -- data oracles on tool results ----------------------------------------------------------------

def _walk(value: Any, key: str) -> list[Any]:
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found += _walk(v, key)
    elif isinstance(value, list):
        for item in value:
            found += _walk(item, key)
    return found


def check_tenant_isolation(reply: McpReply, tool: str, own_tenant: str | None) -> list[Finding]:
    """A tenant-bound agent's successful results carry only its own tenant's rows."""
    if not reply.tool_succeeded or own_tenant is None:
        return []
    judged(catalog.MCP_TENANT_ISOLATION)
    foreign = sorted({str(v) for v in _walk(reply.result.get("structuredContent"), "tenant_id")
                      if v is not None and str(v) != own_tenant})
    if not foreign:
        return []
    return [Finding(catalog.MCP_TENANT_ISOLATION, f"{tool} returned rows of tenant(s) {', '.join(foreign)}",
                    observed=foreign, expected=[own_tenant], exchanges=reply.exchanges,
                    facts=tool_facts(reply, tool, foreign_tenants=",".join(foreign)), reproducer=reply.transcript())]


def check_hidden_fields(reply: McpReply, tool: str, hidden: Iterable[str]) -> list[Finding]:
    """No ``ai_sensitive`` field name appears in any MCP result (success or error)."""
    result = reply.result
    hidden = list(hidden)
    if not isinstance(result, dict) or not hidden:
        return []
    judged(catalog.MCP_HIDDEN_FIELDS)
    shown = sorted(name for name in hidden if _walk(result.get("structuredContent"), name))
    return [Finding(catalog.MCP_HIDDEN_FIELDS, f"{tool} result shows ai_sensitive field {name}",
                    observed=shown, expected=[], exchanges=reply.exchanges,
                    facts=tool_facts(reply, tool, fields=name), reproducer=reply.transcript())
            for name in shown]  # each hidden field judged on its own


# -- REST/MCP parity ---------------------------------------------------------------------------------

def rest_decision(status: int) -> str:
    """The decision a REST status stands for: allowed, denied, not_found, invalid or error."""
    if status < 300:
        return "allowed"
    if status in (401, 403):
        return "denied"
    if status == 404:
        return "not_found"
    if status in (400, 409, 422):
        return "invalid"
    return "error"


def mcp_decision(reply: McpReply) -> str:
    """The decision an MCP reply stands for, in :func:`rest_decision`'s terms (plus ``schema``)."""
    if reply.tool_succeeded:
        return "allowed"
    code = reply.tool_error_code
    structured = (reply.result or {}).get("structuredContent") if isinstance(reply.result, dict) else None
    app_error = structured.get("application_error") if isinstance(structured, dict) else None
    if code == "forbidden_field" and app_error is None:
        return "schema"  # refused by MCP's own argument validation
    if code in CREDENTIAL_CODES or code in ("permission_denied", "forbidden_field"):
        return "denied"
    if code == "not_found":
        return "not_found"
    if code in ("schema_mismatch", "conflict"):
        return "schema" if app_error is None else "invalid"
    if reply.exchange.status >= 400 or reply.error is not None:
        return "schema"
    return "error" if code in INTERNAL_CODES else "invalid"


def check_parity(operation: str, rest: Exchange, reply: McpReply, rest_data: Any, mcp_data: Any) -> list[Finding]:
    """R11/R12: the same decision (allowed or refused), and the same data when both allow.

    MCP-only schema refusals are not judged (MCP validates arguments first, R11); among refusals the
    reason may differ with the order of checks, so only allowed-versus-refused is compared.
    """
    left, right = rest_decision(rest.status), mcp_decision(reply)
    exchanges = (rest, *reply.exchanges)
    facts = tool_facts(reply, operation, rest_status=str(rest.status), rest_decision=left, mcp_decision=right)
    if right == "schema":
        return []
    judged(catalog.MCP_REST_PARITY)
    if (left == "allowed") != (right == "allowed"):
        return [Finding(catalog.MCP_REST_PARITY, f"{operation}: REST {left} ({rest.status}) but MCP {right}",
                        observed=right, expected=left, exchanges=exchanges,
                        facts={**facts, "difference": "decision"}, reproducer=reply.transcript())]
    if left == "allowed" and rest_data != mcp_data:
        return [Finding(catalog.MCP_REST_PARITY, f"{operation}: REST and MCP returned different data",
                        observed=_short_repr(mcp_data), expected=_short_repr(rest_data), exchanges=exchanges,
                        facts={**facts, "difference": "data"}, reproducer=reply.transcript())]
    return []


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 1500 else text[:1500] + "…"
