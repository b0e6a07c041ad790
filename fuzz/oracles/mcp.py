"""Oracles for agent credentials and the MCP endpoint.

Token algebra (readings written down in docs/mcp.md, numbered R1..R12):

- ``tokens.agent_token_lifetime``: an HMAC agent token is accepted only when ``exp`` is present,
  numeric, finite and not in the past, and ``iat`` (when present) is numeric, finite and not in
  the future, both with the configured clock skew (R1-R3). Second-exact boundaries are "either".
- ``tokens.verify_raises_valueerror``: every refusal of ``verify_agent_token`` is a ``ValueError``
  (its documented contract), never a ``TypeError``/``AttributeError`` (R4).
- ``tokens.agent_token_integrity``: any change to a signed token's text is refused, including
  non-canonical re-encodings, and a header naming another algorithm is refused even when
  re-signed (R5, R6).
- ``tokens.scope_algebra``: a granted pattern authorizes exactly the scopes of the reference
  matcher :func:`reference_scope_grants` — every component of Aksara that decides on scopes
  (``Principal.has_scope``, ``require_scope``, ``PolicyEngine.can``) agrees with it (R7).
- ``tokens.approval_binding``: an approval grant is accepted only untampered and bound to the
  same tool, tenant, principal and arguments, unexpired and approved; each mismatch is refused
  with its documented ``approval_*`` code and nothing but ``ApprovalError`` is raised.

MCP endpoint:

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

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from jsonschema.validators import validator_for

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from targets.mcp_client import McpReply

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


# -- the reference scope matcher -----------------------------------------------------------

def reference_scope_grants(granted: str, required: str) -> bool:
    """R7: exact match; ``*`` alone grants all; a ``*`` segment matches exactly one segment, except a
    trailing ``*`` which matches one or more; matching is case-sensitive; no partial-segment wildcards."""
    if not granted or not required:
        return False
    if granted == "*":
        return True
    g, r = granted.split(":"), required.split(":")
    for index, part in enumerate(g):
        last = index == len(g) - 1
        if index >= len(r):
            return False
        if part == "*" and last:
            return True
        if part != "*" and part != r[index]:
            return False
    return len(g) == len(r)


def reference_set_grants(granted: Iterable[str], required: str) -> bool:
    return any(reference_scope_grants(g, required) for g in granted if isinstance(g, str))


# -- token verdicts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What the algebra says about a credential: ``accept``, ``reject`` or ``either``, and why."""

    must: str
    reasons: frozenset[str] = field(default_factory=frozenset)
    doubts: frozenset[str] = field(default_factory=frozenset)


def combine(reject: set[str], doubt: set[str]) -> Verdict:
    if reject:
        return Verdict("reject", frozenset(reject), frozenset(doubt))
    if doubt:
        return Verdict("either", frozenset(), frozenset(doubt))
    return Verdict("accept")


EXP_REJECT = {"missing", "null", "expired", "boundary_past", "non_numeric", "nonfinite", "negative"}
EXP_EITHER = {"boundary_now"}
IAT_REJECT = {"future", "far_future", "non_numeric", "nonfinite"}
IAT_EITHER = {"boundary"}


def lifetime_verdict(case: Any) -> Verdict:
    """R1-R3: the verifier's part of the algebra (signature assumed good)."""
    reject, doubt = set(), set()
    if case.exp.kind in EXP_REJECT:
        reject.add(f"exp:{case.exp.kind}")
    elif case.exp.kind in EXP_EITHER:
        doubt.add(f"exp:{case.exp.kind}")
    if case.iat.kind in IAT_REJECT:
        reject.add(f"iat:{case.iat.kind}")
    elif case.iat.kind in IAT_EITHER:
        doubt.add(f"iat:{case.iat.kind}")
    return combine(reject, doubt)


def granted_scopes(case: Any) -> tuple[str, ...]:
    """The scopes a claims case grants under R9 (list as is, a string split on whitespace)."""
    if case.scope_form == "list":
        return tuple(case.scopes)
    if case.scope_form == "string":
        return tuple(" ".join(case.scopes).split())
    return ()


def mcp_verdict(case: Any, required_scope: str, tenant_scoped: bool, audience: str | None) -> Verdict:
    """R8-R10: the whole algebra for one tool call: lifetime, audience, tenant binding, scope."""
    base = lifetime_verdict(case)
    reject, doubt = set(base.reasons), set(base.doubts)
    if audience:
        if case.aud.kind in ("list_with_right", "alt_key"):
            doubt.add(f"aud:{case.aud.kind}")
        elif case.aud.kind != "right":
            reject.add(f"aud:{case.aud.kind}")
    if tenant_scoped:
        if case.tenant.kind in ("missing", "empty", "null"):
            reject.add(f"tenant:{case.tenant.kind}")
        elif case.tenant.kind in ("non_string", "malformed", "unknown_uuid"):
            doubt.add(f"tenant:{case.tenant.kind}")
    if case.scope_form == "scope_key":
        doubt.add("scope:scope_key")
    elif not reference_set_grants(granted_scopes(case), required_scope):
        reject.add("scope:not_granted")
    return combine(reject, doubt)


REASON_CODES = {"exp": {"credential_expired", "unauthenticated"}, "iat": {"unauthenticated"},
                "aud": {"wrong_audience"}, "tenant": {"tenant_context_required"}, "scope": {"missing_scope"}}


def codes_for(reasons: Iterable[str]) -> set[str]:
    codes: set[str] = set()
    for reason in reasons:
        codes |= REASON_CODES.get(reason.split(":", 1)[0], set())
    return codes


# -- pure-layer checks --------------------------------------------------------------------------

def check_lifetime(case: Any, claims: Mapping[str, Any], accepted: bool, error: str | None,
                   reproducer: str) -> list[Finding]:
    """An agent token is accepted exactly when R1-R3 say so (``either`` cases are not judged)."""
    verdict = lifetime_verdict(case)
    if verdict.must != "either":
        judged(catalog.TOKENS_AGENT_TOKEN_LIFETIME)
    if verdict.must == "either" or (verdict.must == "accept") == accepted:
        return []
    return [Finding(
        catalog.TOKENS_AGENT_TOKEN_LIFETIME,
        f"verify_agent_token {'accepted' if accepted else 'refused'} a token whose claims say "
        f"{verdict.must} ({', '.join(sorted(verdict.reasons)) or 'valid lifetime'})",
        observed="accepted" if accepted else f"refused: {error}", expected=verdict.must,
        facts={"exp_class": case.exp.kind, "iat_class": case.iat.kind,
               "exp_value": _claim_repr(claims, "exp"), "iat_value": _claim_repr(claims, "iat"),
               "layer": "verifier"},
        reproducer=reproducer,
    )]


def _claim_repr(claims: Mapping[str, Any], key: str) -> str:
    if key not in claims:
        return "<absent>"
    value = claims[key]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return type(value).__name__


def check_verify_error_type(case: Any, exc: BaseException | None, reproducer: str) -> list[Finding]:
    """R4: ``verify_agent_token`` refuses with ``ValueError`` only."""
    if exc is not None:
        judged(catalog.TOKENS_VERIFY_RAISES_VALUEERROR)
    if exc is None or isinstance(exc, ValueError):
        return []
    return [Finding(
        catalog.TOKENS_VERIFY_RAISES_VALUEERROR,
        f"verify_agent_token raised {type(exc).__name__} instead of ValueError",
        observed=f"{type(exc).__name__}: {exc}", expected="ValueError",
        facts={"exception": type(exc).__name__, "exp_class": case.exp.kind if case else "",
               "iat_class": case.iat.kind if case else ""},
        reproducer=reproducer,
    )]


def check_tamper(tamper: Any, original: str, tampered: str, accepted: bool, same_bytes: bool,
                 reproducer: str) -> list[Finding]:
    """R5/R6: a token whose text differs from the signed one is refused.

    ``same_bytes`` says whether the tampered token decodes to the same header, payload and
    signature bytes (a non-canonical encoding); it is a fact, not an excuse.
    """
    if tampered != original:
        judged(catalog.TOKENS_AGENT_TOKEN_INTEGRITY)
    if tampered == original or not accepted:
        return []
    return [Finding(
        catalog.TOKENS_AGENT_TOKEN_INTEGRITY,
        f"verify_agent_token accepted a token changed by {tamper.kind}",
        observed="accepted", expected="refused",
        facts={"tamper": tamper.kind, "part": str(tamper.part), "same_bytes": str(same_bytes).lower(),
               "resigned": str(bool(getattr(tamper, "resign", False))).lower(),
               "alg": repr(getattr(tamper, "alg", None))},
        reproducer=reproducer,
    )]


def check_scope_decisions(granted: Sequence[str], required: str, decisions: Mapping[str, bool],
                          reproducer: str) -> list[Finding]:
    """R7: every scope decider agrees with :func:`reference_scope_grants`."""
    judged(catalog.TOKENS_SCOPE_ALGEBRA)
    expected = reference_set_grants(granted, required)
    findings = []
    for decider, allowed in decisions.items():
        if allowed == expected:
            continue
        culprit = next((g for g in granted if isinstance(g, str)
                        and reference_scope_grants(g, required) != expected), "") if expected else next(
            (g for g in granted if isinstance(g, str) and "*" in g), "")
        findings.append(Finding(
            catalog.TOKENS_SCOPE_ALGEBRA,
            f"{decider}: granted {list(granted)!r} {'authorizes' if allowed else 'does not authorize'} {required!r}",
            observed=allowed, expected=expected,
            facts={"decider": decider, "direction": "over_grant" if allowed else "under_grant",
                   "wildcard_position": _wildcard_position(granted), "required": required,
                   "granted": " ".join(map(str, granted)), "culprit": str(culprit)},
            reproducer=reproducer,
        ))
    return findings


def _wildcard_position(granted: Sequence[str]) -> str:
    positions = set()
    for pattern in granted:
        if not isinstance(pattern, str) or "*" not in pattern:
            continue
        parts = pattern.split(":")
        for index, part in enumerate(parts):
            if part == "*":
                positions.add("last" if index == len(parts) - 1 else f"segment{index}")
            elif "*" in part:
                positions.add("partial")
    return ",".join(sorted(positions)) or "none"


APPROVAL_CODES = {"none": None, "rejected": "approval_rejected", "expired": "approval_expired",
                  "other_tool": "approval_mismatch", "other_tenant": "approval_tenant_mismatch",
                  "other_principal": "approval_principal_mismatch",
                  "other_arguments": "approval_arguments_mismatch", "missing": "approval_required"}


def check_approval(case: Any, changed: bool, outcome: str | None, exc: BaseException | None,
                   reproducer: str) -> list[Finding]:
    """A grant is accepted only untampered and fully bound; each mismatch has its documented code.

    ``outcome`` is the ``ApprovalError.code`` (``None`` when accepted); ``changed`` says whether the
    tampering changed the token text.
    """
    judged(catalog.TOKENS_APPROVAL_BINDING)
    facts = {"mismatch": case.mismatch, "tamper": case.tamper.kind if case.tamper else "none"}
    if exc is not None:
        return [Finding(catalog.TOKENS_APPROVAL_BINDING, f"ApprovalManager.verify raised {type(exc).__name__}",
                        observed=repr(exc), expected="ApprovalError", facts={**facts, "exception": type(exc).__name__},
                        reproducer=reproducer)]
    expected = APPROVAL_CODES[case.mismatch]
    if case.mismatch == "missing":
        allowed = {expected}
    elif changed:  # a tampered grant is invalid; one cut down to nothing is a missing one
        allowed = {"approval_invalid", "approval_required"} | ({expected} if expected else set())
    else:
        allowed = {expected}
    if outcome in allowed:
        return []
    return [Finding(catalog.TOKENS_APPROVAL_BINDING, f"approval grant ({facts['mismatch']}, {facts['tamper']}) gave "
                    f"{outcome or 'acceptance'}", observed=outcome or "accepted", expected=sorted(map(str, allowed)),
                    facts=facts, reproducer=reproducer)]


# -- MCP reply checks -----------------------------------------------------------------------------

def tool_facts(reply: McpReply, tool: str | None = None, **more: str) -> dict[str, str]:
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

def tool_resource(tool: Mapping[str, Any], info: Any) -> Any:
    """The resource a tool operates on, from its published ``aksara/path`` and the target metadata."""
    path = str((tool.get("_meta") or {}).get("aksara/path", ""))
    best = None
    for resource in info.resources:
        prefix = resource.prefix.rstrip("/")
        if path == prefix or path.startswith(prefix + "/"):
            if best is None or len(prefix) > len(best.prefix.rstrip("/")):
                best = resource
    return best


def required_scope(tool: Mapping[str, Any], info: Any) -> str | None:
    """Aksara's documented convention: ``mcp:read:<model>`` for GET tools, ``mcp:write:<model>`` otherwise."""
    resource = tool_resource(tool, info)
    if resource is None:
        return None
    method = str((tool.get("_meta") or {}).get("aksara/httpMethod", "GET")).upper()
    return f"mcp:{'read' if method == 'GET' else 'write'}:{resource.name.lower()}"


def check_tools_list(reply: McpReply, principal: str, scopes: Sequence[str] | None, catalogue: Sequence[Mapping],
                     info: Any) -> list[Finding]:
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
                                     wildcard_position=_wildcard_position(scopes), granted=" ".join(scopes)),
                    reproducer=reply.transcript())
            for direction, label, tools in (("over_grant", "extra", extra), ("under_grant", "missing", missing))
            if tools]  # an over-grant and an under-grant are judged apart


def check_tool_schemas(reply: McpReply, info: Any) -> list[Finding]:
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


def check_parity(operation: str, rest: Any, reply: McpReply, rest_data: Any, mcp_data: Any) -> list[Finding]:
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
