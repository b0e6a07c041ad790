"""Property bodies of the MCP endpoint: ``POST /mcp/`` of a started target (one example each, returning findings).

:func:`credential_case` (the token algebra through the endpoint), :func:`tools_list_case`,
:func:`tool_call_case`, :func:`malformed_case`, :func:`parity_case`. :class:`McpWorld` holds what
they share across examples. The in-process token properties are :mod:`fuzz.properties.tokens`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding, replayable, with_facts
from fuzz.judging import judged
from fuzz.oracles import mcp as oracles
from fuzz.oracles import tokens as algebra
from fuzz.oracles.http import check_health_after, run_exchange_checks
from strategies.jsonrpc import RawMessage, ToolArguments, is_valid
from strategies.tokens import ClaimsCase, claims_json
from targets.mcp_client import McpClient, McpReply, bearer

if TYPE_CHECKING:
    from targets.base import FieldSpec, ResourceSpec, TargetInfo
    from targets.client import LiveTarget

@dataclass
class McpWorld:
    """What the live MCP properties share across examples: client, tool catalogue, ids."""

    live: LiveTarget
    client: McpClient
    catalogue: dict[str, dict]
    ids: dict[str, list[str]]

    def __repr__(self) -> str:
        return f"<McpWorld {len(self.catalogue)} tools>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def info(self) -> TargetInfo:
        return self.live.info

    def tool(self, name: str) -> dict:
        return self.catalogue[name]


def ai_principals(info: TargetInfo) -> list[str]:
    """The names of the target's AI principals."""
    return [p.name for p in info.principals if p.is_ai]


def build_world(live: LiveTarget, ids: Mapping[str, list[str]]) -> McpWorld:
    """Open the MCP client and collect the tool catalogue (all tools any AI principal may be shown)."""
    client = McpClient(live)
    catalogue: dict[str, dict] = {}
    listers: list[tuple[str, tuple]] = [(p, ()) for p in ai_principals(live.info)]
    mint = getattr(live.target, "mint_agent_token", None)
    if mint is not None:
        now = int(time.time())
        tenant = next(iter(live.info.tenants.values()), None)
        claims = {"agent_id": "catalogue", "sub": "catalogue", "iat": now, "exp": now + 3600, "scopes": ["*"],
                  "tenant_id": tenant, "aud": _audience(live)}
        listers.append(("anonymous", bearer(mint(claims))))
    for principal, headers in listers:
        reply = client.list_tools(principal, headers=headers)
        for tool in (reply.result or {}).get("tools", []) if isinstance(reply.result, dict) else []:
            catalogue.setdefault(tool["name"], tool)
    return McpWorld(live, client, catalogue, {k: list(v) for k, v in ids.items()})


def ids_for_arguments(world: McpWorld, tool: Mapping[str, Any]) -> list[str]:
    """Known row ids to draw uuid arguments from: the tool's own model first, then every other one."""
    resource = oracles.tool_resource(tool, world.info)
    own = world.ids.get(resource.name, []) if resource else []
    return own + [i for name, ids in world.ids.items() if resource is None or name != resource.name for i in ids]


def _audience(live: LiveTarget) -> str | None:
    # the target's own settings: Aksara's settings object is process-wide, and another target built later in
    # this worker (the tasks app, a planted app) may have configured it since
    return live.setting("mcp_token_audience") or None


def own_tenant(info: TargetInfo, principal: str) -> str | None:
    """The tenant id ``principal`` is bound to, or None."""
    label = info.principal(principal).tenant
    return info.tenants.get(label) if label else None


def _default_arguments(world: McpWorld, tool: Mapping[str, Any]) -> dict[str, Any]:
    schema = tool.get("inputSchema") or {}
    if "pk" in (schema.get("properties") or {}):
        resource = oracles.tool_resource(tool, world.info)
        ids = world.ids.get(resource.name, []) if resource else []
        return {"pk": ids[0] if ids else "00000000-0000-4000-8000-000000000000"}
    return {}


@replayable("mcp", env=("world",))
def credential_case(world: McpWorld, case: ClaimsCase, tool_name: str) -> list[Finding]:
    """Mint ``case``'s claims with the target, call ``tool_name``; the decision must follow R8-R10."""
    live, info = world.live, world.info
    tool = world.tool(tool_name)
    tenants = list(info.tenants.values()) or ["tenant-a", "tenant-b"]
    audience = _audience(live)
    claims = case.materialize(int(time.time()), audience, tenants[0], tenants[-1], agent_id="fuzz-credential")
    token = live.target.mint_agent_token(claims)
    reply = world.client.call_tool("anonymous", tool_name, _default_arguments(world, tool), headers=bearer(token))
    world.client.forget("anonymous")
    required = oracles.required_scope(tool, info) or ""
    verdict = algebra.mcp_verdict(case, required, bool((tool.get("_meta") or {}).get("aksara/tenantScoped")),
                                  audience)
    case_facts = {"exp_class": case.exp.kind, "iat_class": case.iat.kind, "aud_class": case.aud.kind,
                  "tenant_class": case.tenant.kind, "scope_form": case.scope_form,
                  "wildcard_position": algebra.wildcard_position(algebra.granted_scopes(case)),
                  "granted": " ".join(algebra.granted_scopes(case)), "required": required,
                  "claims": claims_json(claims)}
    findings = oracles.check_credential_decision(reply, verdict, tool_name, case_facts)
    findings += _reply_checks(world, reply, tool, "anonymous")
    changed = live.changes()
    findings += oracles.check_db_effect(reply, tool, changed, _write_tables(world, tool))
    if changed:
        live.reset()
    return with_facts(findings, principal_kind="minted_agent", **{k: v for k, v in case_facts.items()
                                                                  if k != "claims"})


def _reply_checks(world: McpWorld, reply: McpReply, tool: Mapping[str, Any] | None, principal: str
                  ) -> list[Finding]:
    from fuzz.oracles.context import OracleContext

    name = tool.get("name") if tool else None
    findings = run_exchange_checks(reply.exchange, OracleContext(world.info))
    findings += oracles.check_no_internal_error(reply, name)
    findings += oracles.check_jsonrpc_response(reply)
    findings += oracles.check_documented_denial(reply, name)
    if tool is not None:
        findings += oracles.check_output_schema(reply, tool)
        resource = oracles.tool_resource(tool, world.info)
        if resource is not None:
            findings += oracles.check_hidden_fields(reply, name, [f.name for f in resource.fields if f.ai_sensitive])
    return findings


def _write_tables(world: McpWorld, tool: Mapping[str, Any]) -> list[str]:
    resource = oracles.tool_resource(tool, world.info)
    if resource is None:
        return []
    tables = [resource.table, *(table for table, _ in resource.join_tables)]
    for other in world.info.resources:
        if any(_references(f, resource) for f in other.fields):
            tables.append(other.table)
        tables += [table for table, model in other.join_tables if model == resource.name]
    return tables


def _references(field_spec: FieldSpec, resource: ResourceSpec) -> bool:
    """Whether a foreign key points at ``resource`` (by its target, or by its name when the target is unknown)."""
    if field_spec.kind != "fk":
        return False
    if field_spec.fk_target:
        return field_spec.fk_target == resource.name
    return field_spec.name.lower() in (resource.name.lower(), resource.table.lower())


@replayable("mcp", env=("world",))
def tools_list_case(world: McpWorld, principal: str, granted: Sequence[str] | None = None) -> list[Finding]:
    """tools/list as ``principal`` (or as a minted agent holding ``granted``): exactly the granted tools."""
    info = world.info
    if granted is None:
        spec = info.principal(principal)
        reply = world.client.list_tools(principal)
        scopes = list(spec.scopes) if spec.is_ai else None
        who = principal
    else:
        now = int(time.time())
        tenant = next(iter(info.tenants.values()), None)
        token = world.live.target.mint_agent_token({"agent_id": "lister", "sub": "lister", "iat": now,
                                                    "exp": now + 600, "scopes": list(granted), "tenant_id": tenant,
                                                    "aud": _audience(world.live)})
        reply = world.client.list_tools("anonymous", headers=bearer(token))
        world.client.forget("anonymous")
        scopes, who = list(granted), "minted_agent"
    findings = oracles.check_tools_list(reply, who, scopes, list(world.catalogue.values()), info)
    findings += oracles.check_tool_schemas(reply, info)
    findings += _reply_checks(world, reply, None, principal)
    return with_facts(findings, principal_kind=info.principal(principal).kind if granted is None else "minted_agent")


@replayable("mcp", env=("world",))
def tool_call_case(world: McpWorld, principal: str, tool_name: str, args: ToolArguments,
                   headers: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    """One tools/call with generated arguments: every reply oracle, DB effect, tenant isolation."""
    live, info = world.live, world.info
    tool = world.catalogue.get(tool_name)
    reply = world.client.call_tool(principal, tool_name, args.arguments if isinstance(args.arguments, dict)
                                   else {}, headers=headers) if isinstance(args.arguments, dict) else \
        world.client.rpc(principal, "tools/call", {"name": tool_name, "arguments": args.arguments}, headers=headers)
    findings = _reply_checks(world, reply, tool, principal)
    if tool is None:
        judged(catalog.MCP_DOCUMENTED_DENIAL)
        if reply.tool_error_code not in ("unknown_tool",) and reply.error is None:
            findings.append(Finding(catalog.MCP_DOCUMENTED_DENIAL, f"unknown tool {tool_name!r} was not refused as unknown",
                                    observed=reply.tool_error_code or "success", expected="unknown_tool",
                                    exchanges=reply.exchanges, facts=oracles.tool_facts(reply, tool_name),
                                    reproducer=reply.transcript()))
    else:
        schema = tool.get("inputSchema") or {}
        valid = isinstance(args.arguments, dict) and is_valid(schema, args.arguments)
        findings += oracles.check_arguments_validated(reply, tool, valid, args.kind)
        findings += oracles.check_tenant_isolation(reply, tool_name, own_tenant(info, principal))
    changed = live.changes()
    findings += oracles.check_db_effect(reply, tool or {"name": tool_name}, changed,
                                        _write_tables(world, tool) if tool else [])
    if changed:
        live.reset()
    if reply.exchange.status >= 500 or reply.tool_error_code in oracles.INTERNAL_CODES:
        findings += check_health_after(live.healthy(), reply.exchange)
    kind = info.principal(principal).kind
    return with_facts(findings, principal_kind=kind, arguments=args.kind, tool=tool_name, pk_shape=pk_shape(args),
                      target_profile=info.profile)


def pk_shape(args: ToolArguments) -> str:
    """How the ``pk`` argument looks: absent, empty, a dot segment, a lone line break, ending in a slash, or an
    ordinary value."""
    if not isinstance(args.arguments, dict) or "pk" not in args.arguments:
        return "absent"
    pk = args.arguments["pk"]
    if pk == "":
        return "empty"
    if pk in (".", ".."):
        return "dot_segment"
    if pk == "\n":
        return "line_break"
    if isinstance(pk, str) and pk.endswith("/"):
        return "trailing_slash"
    return "value"


@replayable("mcp", env=("world",))
def malformed_case(world: McpWorld, principal: str, message: RawMessage) -> list[Finding]:
    """Malformed JSON-RPC: no 5xx, no -32603, no internal_error, no table change, app healthy."""
    reply = world.client.send_raw(principal, message.content)
    findings = _reply_checks(world, reply, None, principal)
    changed = world.live.changes()
    judged(catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED)
    if changed:
        findings.append(Finding(catalog.MCP_DB_CHANGE_ONLY_WHEN_ALLOWED, f"malformed {message.kind} changed "
                                f"{', '.join(changed)}", observed=changed, expected=[], exchanges=reply.exchanges,
                                facts=oracles.tool_facts(reply, tables=",".join(changed)),
                                reproducer=reply.transcript()))
        world.live.reset()
    if reply.exchange.status >= 500:
        findings += check_health_after(world.live.healthy(), reply.exchange)
        world.client.forget(principal)
    return with_facts(findings, malformed=message.kind, principal_kind=world.info.principal(principal).kind,
                      tool=_called_tool(message.content))


def _called_tool(content: bytes) -> str:
    """The tool a (possibly malformed) message names, when it can be read at all."""
    import json

    try:
        body = json.loads(content)
    except ValueError:
        return ""
    params = body.get("params") if isinstance(body, dict) else None
    name = params.get("name") if isinstance(params, dict) else None
    return name if isinstance(name, str) else ""


# -- parity -------------------------------------------------------------------------------------------

def query_value(value: Any) -> str:
    """How httpx (MCP's re-dispatch) renders a query value."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _rows(live: LiveTarget, table: str) -> list[dict]:
    rows = live.run(live.db.fetch_rows(table))
    skip = {"id", "created_at", "updated_at"}
    return sorted(({k: str(v) for k, v in dict(r).items() if k not in skip} for r in rows), key=repr)


@replayable("mcp", env=("world",))
def parity_case(world: McpWorld, principal: str, tool_name: str, arguments: Mapping[str, Any]) -> list[Finding]:
    """The same operation over REST and over MCP, as the same principal, from the same seed state."""
    live = world.live
    tool = world.tool(tool_name)
    meta = tool.get("_meta") or {}
    method = str(meta.get("aksara/httpMethod", "GET")).upper()
    args = dict(arguments)
    pk = args.pop("pk", None)
    path = str(meta.get("aksara/path", ""))
    if "{pk}" in path:
        from urllib.parse import quote

        path = path.replace("{pk}", quote(str(pk), safe=""))
    resource = oracles.tool_resource(tool, world.info)
    live.reset()
    if method == "GET":
        rest = live.request(principal, method, path, query=[(k, query_value(v)) for k, v in args.items()],
                            route=f"parity:{tool_name}")
        rest_data = rest.response_json()
        reply = world.client.call_tool(principal, tool_name, arguments)
        mcp_data = reply.result.get("structuredContent") if reply.tool_succeeded else None
    else:
        rest = live.request(principal, method, path, json_body=args if args else None, route=f"parity:{tool_name}")
        rest_data = _rows(live, resource.table) if resource else None
        live.reset()
        reply = world.client.call_tool(principal, tool_name, arguments)
        mcp_data = _rows(live, resource.table) if resource else None
        live.reset()
    findings = oracles.check_parity(tool_name, rest, reply, rest_data, mcp_data)
    # the reply to a valid call is what the result oracles need most: judge it too
    findings += oracles.check_output_schema(reply, tool)
    findings += oracles.check_tenant_isolation(reply, tool_name, own_tenant(world.info, principal))
    return with_facts(findings, principal_kind=world.info.principal(principal).kind, operation=method,
                      pk_shape=pk_shape(ToolArguments("valid", dict(arguments))))
