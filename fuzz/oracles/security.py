"""Oracles of Aksara's in-process security primitives: permission composition, principal resolution, MCP claims.

- ``security.permission_algebra``: every Aksara entry point that evaluates permission classes
  (``has_permission``, ``has_object_permission``, ``check_permissions``, ``check_ai_allowed``, the
  adapters ``decision_from_permission_classes`` and ``principal_allows_ai_access``) decides as the
  executable model of docs/api/permissions.md says (:mod:`fuzz.oracles.permissions`: the view phase,
  the object phase, ``&``/``|`` composition, ``ai_allow``), never raises, and a refusal carries a
  message.
- ``security.principal_resolution``: ``principal_from_request`` resolves the identity the trusted
  server-side request state holds, in its documented order (a pre-resolved ``Principal``; the AI flag
  when it is ``True``; an authenticated user; else anonymous), with the tenant from trusted state only
  (never a client header) and the roles the user's staff/superuser flags give; annotating a request
  with a principal never overwrites a trusted tenant.
- ``security.mcp_claims``: ``MCPCredentialClaims.from_claims_dict`` and ``principal_from_mcp_claims``
  grant no scope or role the claims do not, bind the claimed tenant, audience and subject, and read an
  ``exp`` that is present but unusable (not a finite number) as expired or refuse the claims; the
  ``require_*`` helpers compose ``Principal.has_scope`` as "any"/"all" with exact ``missing_scopes``.

Choices where the docs are silent: a missing ``exp`` is the verifier's business (tokens.agent_token_lifetime),
so the claims objects may call it unexpired; an exp within CLOCK_MARGIN seconds of now is "either" (the
claims are read on a loaded machine some time after they were made).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.permissions import Caller, ai_allow_of, list_verdict, names, object_verdict, verdict_of

CLOCK_MARGIN = 30  # seconds around now where expiry is "either": the clock moves between parsing and reading
VALID_AUTH_METHODS = ("session", "jwt", "api_key", "mcp_token", "ai_agent", "system")


# -- the caller as the model sees it -------------------------------------------------------------------

def user_of(case: Any) -> Any:
    """The user object a permission finds on the request (None: none)."""
    return None if case.shape == "bare" else case.user


def caller_of(case: Any) -> Caller:
    """What a permission class can see of ``case``'s caller."""
    user = user_of(case)
    ai = case.shape == "starlette" and case.ai_flag is True
    if user is None:
        return Caller(kind="ai_agent" if ai else "anonymous", authenticated=False, staff=False, ai_agent=ai)
    if user.anonymous_user:
        return Caller(kind="ai_agent" if ai else "anonymous", authenticated=False, staff=False, ai_agent=ai,
                      active=False)
    authenticated = bool(user.authenticated)
    staff = bool(user.staff) or bool(user.superuser)
    kind = "ai_agent" if ai else ("staff" if staff and authenticated else "user" if authenticated else "anonymous")
    return Caller(kind=kind, authenticated=authenticated, staff=staff, ai_agent=ai,
                  active=True if user.active is None else bool(user.active))


def user_id_of(case: Any) -> Any:
    user = user_of(case)
    return None if user is None or user.anonymous_user else user.id


def _facts(case: Any, **more: Any) -> dict[str, str]:
    caller = caller_of(case)
    return {"method": case.method, "shape": case.shape, "caller": caller.kind,
            "object": "none" if case.owner is None else "with_owner" if case.owner else "no_owner_field",
            "preset": str(getattr(case, "preset", None) or "none"),  # a principal already in request.state
            **{k: str(v) for k, v in more.items()}}


def _verdict_word(value: Any) -> str:
    return {True: "grant", False: "refuse", None: "unknown"}.get(value, str(value)) if not isinstance(value, str) \
        else value


# -- security.permission_algebra ---------------------------------------------------------------------

def expected_decisions(case: Any) -> dict[str, Any]:
    """The model's verdict for every decider the property observes (see :func:`check_permission_algebra`)."""
    caller, method = caller_of(case), case.method
    uid, owner = user_id_of(case), dict(case.owner) if case.owner is not None else None
    expected: dict[str, Any] = {}
    for index, spec in enumerate(case.entries):
        expected[f"has_permission[{index}]"] = verdict_of(spec, caller, method)
        expected[f"has_object_permission[{index}]"] = object_verdict(spec, method, uid, owner or {})
    expected["check_permissions"] = list_verdict(case.entries, caller, method, uid, owner)[0]
    expected["decision_from_permission_classes"] = list_verdict(case.entries, caller, method)[0]
    ai_ok = all(ai_allow_of(spec) for spec in case.entries)
    expected["check_ai_allowed"] = ai_ok
    kind = expected_principal(case)["kind"]
    is_ai = kind == "ai_agent" or (kind == "preset" and case.preset == "ai_agent")
    expected["principal_allows_ai_access"] = (not is_ai) or (case.view_ai_allow is not False and ai_ok)
    return expected


def check_permission_algebra(case: Any, observed: Mapping[str, Any], messages: Mapping[str, Any],
                             reproducer: str) -> list[Finding]:
    """Each permission decider grants exactly what the model of Aksara's documented permission semantics
    grants, never raises, and refuses with a message (the first refusing entry's own, when it is a single class).
    A decider missing from ``observed`` was not called (its principal did not resolve: that failure is
    ``security.principal_resolution``'s) and is not judged."""
    expected = expected_decisions(case)
    if all(v is None for v in expected.values()):
        return []
    judged(catalog.SECURITY_PERMISSION_ALGEBRA)
    findings: list[Finding] = []
    for decider, want in expected.items():
        if decider not in observed:
            continue
        got = observed[decider]
        if want is None or got == want:
            continue
        index = decider.split("[", 1)[1].rstrip("]") if "[" in decider else ""
        spec = case.entries[int(index)] if index else None
        raised = isinstance(got, str)
        findings.append(Finding(
            catalog.SECURITY_PERMISSION_ALGEBRA,
            f"{decider.split('[')[0]} of {names([spec]) if spec else names(case.entries)} "
            f"{'raised ' + got if raised else _verdict_word(got) + 's'} {case.method} for a {caller_of(case).kind} "
            f"caller ({case.shape} request), the model {_verdict_word(want)}s",
            observed=got, expected=want, reproducer=reproducer,
            facts=_facts(case, decider=decider.split("[")[0], declared=names([spec]) if spec else names(case.entries),
                         direction="raised" if raised else "over_grant" if got else "under_grant"),
        ))
    allowed, message = messages.get("check_permissions", (None, None))
    first = list_verdict(case.entries, caller_of(case), case.method, user_id_of(case),
                         dict(case.owner) if case.owner is not None else None)[1]
    want_message = messages.get("first_message")
    problem = None
    if allowed is True and message is not None:
        problem = "granted with a message"
    elif allowed is False and not (isinstance(message, str) and message.strip()):
        problem = "refused without a message"
    elif allowed is False and first is not None and not case.entries[first].parts and want_message is not None \
            and message != want_message:
        problem = f"refused with {message!r}, not the refusing class's own {want_message!r}"
    if problem:
        findings.append(Finding(
            catalog.SECURITY_PERMISSION_ALGEBRA, f"check_permissions {problem}", observed=message,
            expected=want_message, reproducer=reproducer,
            facts=_facts(case, decider="check_permissions_message", declared=names(case.entries), direction=problem)))
    return findings


# -- security.principal_resolution -------------------------------------------------------------------

def expected_principal(case: Any) -> dict[str, Any]:
    """The principal the documented resolution order gives ``case``'s request (kind, user, tenant, roles, method)."""
    if case.shape == "starlette" and case.preset in ("user", "ai_agent", "anonymous"):
        return {"kind": "preset"}
    tenant = case.state_tenant if case.shape != "bare" else None
    if case.shape == "starlette" and case.ai_flag is True:
        return {"kind": "ai_agent", "tenant_id": tenant}
    user = user_of(case)
    if user is not None and not user.anonymous_user and user.authenticated:
        roles = (["admin"] if user.superuser else []) + (["staff"] if user.staff else [])
        method = case.auth_method if case.shape == "starlette" and case.auth_method in VALID_AUTH_METHODS else None
        if method is None:
            header = case.authorization or ""
            method = "jwt" if header.startswith("Bearer ") else "api_key" if header.startswith("Token ") else "session"
        return {"kind": "user", "user_id": user.id or "unknown", "tenant_id": tenant, "roles": sorted(roles),
                "auth_method": method}
    return {"kind": "anonymous", "tenant_id": None}


def describe_principal(principal: Any, preset: Any = None) -> dict[str, Any]:
    """The resolved principal in :func:`expected_principal`'s terms."""
    if preset is not None and principal is preset:
        return {"kind": "preset"}
    kind = "ai_agent" if principal.is_ai_agent else "user" if principal.is_authenticated and not principal.is_system \
        else "system" if principal.is_system else "anonymous"
    seen: dict[str, Any] = {"kind": kind, "tenant_id": principal.tenant_id}
    if kind == "user":
        seen.update(user_id=principal.user_id, roles=sorted(principal.roles), auth_method=principal.auth_method)
    return seen


def check_principal_resolution(case: Any, seen: Mapping[str, Any] | str, annotated: Mapping[str, Any] | None,
                               reproducer: str) -> list[Finding]:
    """The resolved principal is the one the trusted request state names, never a client header's tenant;
    annotating the request keeps its trusted tenant and makes the principal retrievable."""
    judged(catalog.SECURITY_PRINCIPAL_RESOLUTION)
    want = expected_principal(case)
    findings: list[Finding] = []
    if isinstance(seen, str):
        problems = {"raised": seen}
    else:
        problems = {}
        for key, value in want.items():
            got = seen.get(key)
            if key == "tenant_id":
                got, value = got or None, value or None
            if got != value:
                problems[key] = f"{got!r} (expected {value!r})"
        if case.header_tenant and not isinstance(seen, str) and seen.get("tenant_id") == case.header_tenant \
                and want.get("tenant_id") != case.header_tenant:
            problems["header_tenant"] = "the client's X-Tenant-Id became the principal's tenant"
    if annotated is not None:
        for key, value in annotated.items():
            if value is not True:
                problems[f"annotate.{key}"] = str(value)
    for key, text in problems.items():
        findings.append(Finding(
            catalog.SECURITY_PRINCIPAL_RESOLUTION,
            f"principal_from_request on a {case.shape} request ({want['kind']} expected): {key} {text}",
            observed=text, expected=want, reproducer=reproducer,
            facts=_facts(case, decider="annotate_request_state" if key.startswith("annotate.") else
                         "principal_from_request", attribute=key, expected_kind=want["kind"])))
    return findings


# -- security.mcp_claims -----------------------------------------------------------------------------

def claimed_scopes(claims: Mapping[str, Any], keys: Sequence[str] = ("scopes", "scope")) -> set[str]:
    """Every scope string any of ``keys`` claims (a list, or a space-separated string)."""
    found: set[str] = set()
    for key in keys:
        raw = claims.get(key)
        if isinstance(raw, str):
            found |= set(raw.split())
        elif isinstance(raw, (list, tuple)):
            found |= {s for s in raw if isinstance(s, str)}
    return found


def expiry_verdict(claims: Mapping[str, Any], now: float) -> str:
    """``expired``, ``live`` or ``either`` for a claims object's ``exp`` at ``now``."""
    exp = claims.get("exp")
    if exp is None:
        return "either"  # no expiry claim: the token verifier refuses it (tokens.agent_token_lifetime)
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        if isinstance(exp, str):
            try:
                exp = float(exp)
            except ValueError:
                return "expired"
            if not math.isfinite(exp):
                return "expired"
        else:
            return "expired"
    if not math.isfinite(exp):
        return "expired"
    if abs(exp - now) <= CLOCK_MARGIN:
        return "either"
    return "expired" if exp < now else "live"


def exp_class_of(claims: Mapping[str, Any]) -> str:
    """The class of a claims mapping's ``exp``: absent, null, nonfinite, numeric, out_of_range (beyond the
    years a datetime holds) or the value's type name."""
    if "exp" not in claims:
        return "absent"
    exp = claims["exp"]
    if exp is None:
        return "null"
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return type(exp).__name__
    if not math.isfinite(exp):
        return "nonfinite"
    try:  # the years a datetime holds: 1..9999, so beyond them on either side (not only far from 0)
        datetime.fromtimestamp(float(exp), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return "out_of_range"
    return "numeric"


def _first(claims: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        if claims.get(key):
            return str(claims[key])
    return None


def check_mcp_claims(claims: Mapping[str, Any], now: float, parsed: Mapping[str, Any], reproducer: str
                     ) -> list[Finding]:
    """The claims objects grant nothing beyond the claims, bind what they claim, and fail closed on an unusable exp."""
    judged(catalog.SECURITY_MCP_CLAIMS)
    findings: list[Finding] = []
    expiry = expiry_verdict(claims, now)
    for reader, seen in parsed.items():
        problems: dict[str, str] = {}
        if isinstance(seen, str):  # raised: the claims were refused, which is failing closed
            continue
        keys = ("scopes", "scope") if reader == "MCPCredentialClaims" else ("scopes",)
        extra = set(seen["scopes"]) - claimed_scopes(claims, keys)
        if extra or not all(isinstance(s, str) for s in seen["scopes"]):
            problems["scopes"] = f"holds {sorted(map(str, extra or seen['scopes']))} the claims do not grant"
        if set(seen["roles"]) - claimed_scopes(claims, ("roles", "role")):
            problems["roles"] = f"holds roles {sorted(map(str, seen['roles']))} the claims do not grant"
        for attribute, keys in (("tenant_id", ("tenant_id",)), ("audience", ("aud", "audience")),
                                ("agent_id", ("agent_id",)), ("token_id", ("token_id", "jti"))):
            if attribute in seen and (seen[attribute] or None) != _first(claims, *keys):
                problems[attribute] = f"{seen[attribute]!r}, claimed {_first(claims, *keys)!r}"
        if "tenant_gate" in seen and (seen["tenant_gate"] != bool(_first(claims, "tenant_id"))
                                      or seen["tenant_ungated"] is not True):
            problems["tenant_gate"] = (f"require_mcp_tenant allowed={seen['tenant_gate']} (ungated "
                                       f"{seen['tenant_ungated']}) for tenant claim {claims.get('tenant_id')!r}")
        if expiry != "either" and seen["expired"] != (expiry == "expired"):
            problems["exp"] = (f"exp {claims.get('exp')!r} reads as {'expired' if seen['expired'] else 'unexpired'} "
                               f"({seen['expires_at']})")
        for attribute, text in problems.items():
            exp = claims.get("exp")
            exp_class = exp_class_of(claims)
            findings.append(Finding(
                catalog.SECURITY_MCP_CLAIMS, f"{reader}: {attribute} {text}", observed=text,
                expected="the claims' own value; an unusable exp is expired", reproducer=reproducer,
                facts={"decider": reader, "attribute": attribute, "exp_class": exp_class, "expiry": expiry,
                       "parsed_exp": "none" if seen.get("expires_at") is None else "datetime"}))
    return findings


def check_scope_helpers(granted: Sequence[str], required: Sequence[str], has_scope: Mapping[str, bool],
                        decisions: Mapping[str, Any], reproducer: str) -> list[Finding]:
    """``require_any_scope`` allows when one required scope is held, ``require_all_scopes`` when every one is
    (an empty requirement: any holds none, all holds all), each denial naming exactly the missing scopes."""
    judged(catalog.SECURITY_MCP_CLAIMS)
    held = [s for s in required if has_scope[s]]
    missing = tuple(s for s in required if not has_scope[s])
    want = {"require_any_scope": (bool(held), tuple(required)), "Principal.has_any_scope": (bool(held), None),
            "require_all_scopes": (not missing, missing), "Principal.has_all_scopes": (not missing, None)}
    findings: list[Finding] = []
    for helper, (allowed, miss) in want.items():
        got = decisions[helper]
        if isinstance(got, str):
            problem = f"raised {got}"
        elif got[0] != allowed:
            problem = "allowed" if got[0] else "denied"
        elif not got[0] and miss is not None and tuple(got[1]) != miss:
            problem = f"named missing scopes {list(got[1])}, not {list(miss)}"
        else:
            continue
        findings.append(Finding(
            catalog.SECURITY_MCP_CLAIMS, f"{helper}({list(required)}) for granted {list(granted)}: {problem}",
            observed=str(got), expected=str((allowed, miss)), reproducer=reproducer,
            facts={"decider": helper, "attribute": "scopes", "direction": problem.split()[0],
                   "required": " ".join(required), "granted": " ".join(map(str, granted))}))
    return findings


# -- security.matrix_loader --------------------------------------------------------------------------

LAX_PROBLEMS = ("type", "blank")


def problem_kinds(text: str) -> list[str]:
    """The classes of :func:`fuzz.oracles.doctor_spec.matrix_problems`' reasons: syntax, not_mapping, missing,
    type (a present value of the wrong type), blank (an empty or blank string, enums included), reference,
    duplicate, enum."""
    import yaml

    from fuzz.oracles.doctor_spec import matrix_problems

    kinds = []
    for problem in matrix_problems(text):
        if problem == "not YAML":
            kinds.append("syntax")
        elif problem.startswith("top level"):
            kinds.append("not_mapping")
        elif problem.startswith("missing ") or " lacks " in problem:
            kinds.append("missing")
        elif "non-empty string" in problem:
            kinds.append("blank")
        elif "references unknown" in problem:
            kinds.append("reference")
        elif problem.startswith("duplicate"):
            kinds.append("duplicate")
        elif "is not one of" in problem:
            where, name = problem.split(" is not one of", 1)[0].rsplit(".", 1)
            section, index = where.split("[")
            value = yaml.safe_load(text)[section][int(index.rstrip("]"))][name]
            kinds.append("blank" if isinstance(value, str) and not value.strip() else
                         "type" if not isinstance(value, str) else "enum")
        elif problem.endswith("is not a mapping") and "[" in problem or problem.endswith("is not a list") \
                or problem == "metadata is not a mapping":
            kinds.append("structure")
        else:
            kinds.append("type")
    return sorted(set(kinds))


def expected_matrix(text: str) -> dict[str, Any]:
    """What a valid matrix loads as: version, metadata and every item's fields, as the file says them."""
    import yaml

    data = yaml.safe_load(text)
    meta = data["metadata"]
    return {"version": data["version"],
            "metadata": {k: meta[k] for k in ("name", "description", "owner", "status")},
            **{section: [dict(item) for item in data[section]] for section in ("surfaces", "actors", "risks",
                                                                                 "scenarios")}}


def check_matrix_load(doc: Any, placement: str, outcome: tuple[str, Any], reproducer: str) -> list[Finding]:
    """``load_security_matrix`` loads a valid matrix as written, refuses an invalid one with ``ValueError`` (a
    YAML syntax error may stay ``yaml.YAMLError``), and a missing file with ``FileNotFoundError``."""
    judged(catalog.SECURITY_MATRIX_LOADER)
    kinds = ["absent"] if placement.endswith("missing") else problem_kinds(doc.text)
    status, detail = outcome
    problem = None
    if kinds == ["absent"]:
        if status != "raised" or detail[0] != "FileNotFoundError":
            problem = "missing file not refused with FileNotFoundError"
    elif kinds:
        allowed = ("ValueError", "YAMLError", "ScannerError", "ParserError") if "syntax" in kinds else ("ValueError",)
        if status == "loaded":
            problem = "accepted"
        elif detail[0] not in allowed:
            problem = f"raised {detail[0]}"
    elif status != "loaded":
        problem = f"refused a valid matrix with {detail[0]}"
    elif detail != expected_matrix(doc.text):
        problem = "loaded other values than the file holds"
    if problem is None:
        return []
    return [Finding(
        catalog.SECURITY_MATRIX_LOADER, f"load_security_matrix ({placement}): {problem} ({doc.mutation}; {kinds})",
        observed=str(detail)[:500], expected="as written" if not kinds else "FileNotFoundError/ValueError",
        reproducer=reproducer,
        facts={"outcome": "accepted" if problem == "accepted" else problem.split(" with ")[-1].split()[-1]
               if problem.startswith(("raised", "refused")) else problem.split()[0],
               "problem_kinds": " ".join(kinds) or "none", "mutation": doc.mutation, "placement": placement,
               "lax_only": str(bool(kinds) and all(k in LAX_PROBLEMS for k in kinds)).lower()})]


# -- security.policy_decisions and security.payload_enforcement ------------------------------------
#
# The executable model below is written from Aksara's docs, not from aksara/security/policy.py:
# docs/security/field-level-permissions.md (read-only never writable, system principals only may write tenant
# and system-only fields, ai_agent_writable=False is not writable by AI/MCP principals, forbidden fields are
# refused with denied_fields and never stripped, a model exposing no field metadata is allowed after the
# action check, the error payload's keys, bulk and upsert helpers), docs/security/multi-tenancy.md (tenant A
# never reads or writes tenant B's data; tenant_required=True denies non-system principals that do not carry
# tenant context; system principals use explicit trusted tenant context), docs/security/threat-model.md and
# docs/notes/v0-5-49-security-architecture.md (expired tokens, required scopes and audience deny; cross-tenant
# resource access denies; ai_sensitive fields are hidden from AI principals in visible_fields; query_filter
# restricts a tenant-scoped principal to its tenant), docs/api/permissions.md (AllowAny is the route-level
# gate and does not disable field or tenant restrictions).
# Choices where the docs are silent (a security reviewer's expectations), each a verdict of "either" where
# the docs leave the outcome open:
# - anonymous principals are refused every write and every privileged standard action (Studio, MCP calls,
#   doctor runs, migrations, background task runs, AI prompt export); a public read or list, and an action the
#   engine does not know, are the route's business ("either");
# - a principal bound to a tenant never acts for another: neither a resource of another tenant nor an
#   explicit context tenant_id of another tenant is allowed, for a tenant-bound system principal too (only a
#   system principal without a tenant works across tenants); a principal without a tenant on a tenant-owned
#   resource is "either" unless tenant_required;
# - an AI write on a resource whose ai_allow is False is refused; with ai_allow absent it is "either";
# - system_only fields are hidden from non-system readers; tenant markers other than tenant_id (org_id, ...),
#   the server names id/created_at/updated_at and keys that name no field are "either" for writes;
# - a protected field name nested inside a writable JSON value is refused (the value smuggles a denied field),
#   and the refusal names it (by a path under the key).

WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "delete", "bulk_update", "upsert"})
PRIVILEGED_ACTIONS = frozenset({"mcp_call", "studio_access", "ai_prompt_export", "doctor_run", "migration_generate",
                                "migration_execute", "background_task_run"})
READ_ACTIONS = frozenset({"read", "list"})
SERVER_NAMES = frozenset({"id", "created_at", "updated_at"})
OTHER_TENANT_MARKERS = frozenset({"org_id", "organisation_id", "organization_id", "tenant"})
ERROR_KEYS = ("detail", "reason", "denied_fields", "required_scopes", "missing_scopes")
ERROR_DETAIL = "Payload contains fields not writable by this principal."


def action_class(action: str) -> str:
    """write, privileged, read or unknown."""
    return ("write" if action in WRITE_ACTIONS else "privileged" if action in PRIVILEGED_ACTIONS
            else "read" if action in READ_ACTIONS else "unknown")


def principal_label(p: Any) -> str:
    """The principal kind, with ``_tenant`` when it is tenant-bound and ``_expired`` when its token expired."""
    return p.kind + ("_tenant" if p.tenant else "") + ("_expired" if p.expired else "")


def is_ai(p: Any) -> bool:
    return p.kind in ("ai_agent", "mcp")


def audience_verdict(p: Any, required: str) -> str:
    """``match``, ``mismatch`` or ``either`` (the ``audience`` and ``aud`` metadata disagree)."""
    values = {v for _, v in p.audience}
    if len(values) > 1:
        return "either"
    return "match" if values == {required} else "mismatch"


def can_rules(case: Any, resource_tenant: str | None, resource_ai_allow: bool | None,
              route_gate: bool = False) -> tuple[set[str], set[str]]:
    """The model's reasons to deny ``case``'s action, and its doubts ("either"), for the given resource.
    ``route_gate``: validate_payload's call with ``route_permission_granted`` (the route admitted the caller)."""
    from fuzz.oracles.tokens import reference_set_grants

    p, ctx, action = case.principal, case.context, case.action
    deny: set[str] = set()
    doubt: set[str] = set()
    if p.expired:
        deny.add("expired")
    if any(not reference_set_grants(p.scopes, s) for s in ctx.required_scopes):
        deny.add("scopes")
    if ctx.required_audience is not None:
        seen = audience_verdict(p, ctx.required_audience)
        (deny if seen == "mismatch" else doubt if seen == "either" else set()).add("audience")
    if ctx.tenant_required and p.kind != "system" and not p.tenant:
        deny.add("tenant_required")
    bound = p.tenant
    if bound is not None:
        if resource_tenant is not None and resource_tenant != bound:
            deny.add("cross_tenant")
        if ctx.tenant_id is not None and ctx.tenant_id != bound:
            deny.add("context_tenant")
    elif p.kind != "system" and resource_tenant is not None:
        doubt.add("tenantless")
    if is_ai(p) and action in WRITE_ACTIONS:
        (deny if resource_ai_allow is False else doubt if resource_ai_allow is None else set()).add("ai_allow")
    if p.kind == "anonymous":
        kind = action_class(action)
        if kind in ("write", "privileged") and not route_gate:
            deny.add("anonymous")
        elif kind in ("read", "unknown"):
            doubt.add("anonymous")
    return deny, doubt


def verdict(deny: set[str], doubt: set[str]) -> str:
    """deny when any rule denies, either when any doubts, else allow."""
    return "deny" if deny else "either" if doubt else "allow"


def model_field_names(model: Any) -> tuple[str, ...]:
    """The fields a generated model declares (TenantModel's tenant_id and Aksara's server fields included)."""
    if model.bare:
        return ()
    return tuple(f.name for f in model.fields) + (("tenant_id",) if model.tenant_model else ()) + \
        tuple(sorted(SERVER_NAMES))


def field_flags(model: Any, name: str) -> tuple[str, ...]:
    for f in model.fields:
        if f.name == name:
            return f.flags
    return ()


def field_kind(name: str) -> str:
    """tenant_id, tenant_marker, server or plain."""
    return name if name == "tenant_id" else "tenant_marker" if name in OTHER_TENANT_MARKERS else \
        "server" if name in SERVER_NAMES else "plain"


def expected_writable(p: Any, model: Any, name: str) -> bool | None:
    """Whether ``p`` may write field ``name`` of ``model`` (None: either)."""
    flags, system = field_flags(model, name), p.kind == "system"
    if "read_only" in flags or ("system_only" in flags and not system) \
            or (name == "tenant_id" and not system) or ("ai_locked" in flags and is_ai(p)):
        return False
    if name in SERVER_NAMES or (name in OTHER_TENANT_MARKERS and not system):
        return None
    return True


def expected_visible(p: Any, model: Any, name: str) -> bool:
    """Whether ``p`` sees field ``name`` of ``model``."""
    flags = field_flags(model, name)
    return not (("system_only" in flags and p.kind != "system") or ("ai_sensitive" in flags and is_ai(p)))


def key_writable(p: Any, model: Any, key: Any) -> bool | None:
    """A payload key's verdict: a field's :func:`expected_writable`, either for a key naming no field."""
    names = model_field_names(model)
    if not isinstance(key, str) or key not in names:
        return None
    return expected_writable(p, model, key)


def nested_hits(value: Any, names: dict[str, bool | None], path: str) -> list[tuple[str, bool | None]]:
    """Every (path, verdict) of a key of ``names`` nested anywhere in ``value`` (verdict False: protected)."""
    found: list[tuple[str, bool | None]] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            sub = f"{path}.{k}"
            if k in names and names[k] is not True:
                found.append((sub, names[k]))
                continue
            found.extend(nested_hits(v, names, sub))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found.extend(nested_hits(v, names, f"{path}[{i}]"))
    return found


def payload_expectation(case: Any, principal: Any, action: str, payload: Any) -> dict[str, Any]:
    """What the model says of one payload: ``refused`` (True/False/None for either), the gate's rules, the keys
    that must be named (``must``), those that must not be (``never``) and nested paths (``nested``)."""
    model = case.model
    if not isinstance(payload, Mapping):
        return {"refused": True, "rule": "not_mapping", "must": [], "never": [], "nested": []}
    view = type("V", (), {"principal": principal, "context": case.context, "action": action})
    deny, doubt = can_rules(view, None, model.ai_allow if not model.bare else None,
                            route_gate=case.context.route_permission_granted is True)
    gate = verdict(deny, doubt)
    rule = ",".join(sorted(deny or doubt)) or "fields"
    if gate == "deny":
        return {"refused": True, "rule": rule, "must": [], "never": [], "nested": []}
    if model.bare:
        return {"refused": None if gate == "either" else False, "rule": rule, "must": [], "never": [],
                "nested": []}
    verdicts = {k: key_writable(principal, model, k) for k in payload}
    names = {n: expected_writable(principal, model, n) for n in model_field_names(model)}
    json_names = {f.name for f in model.fields if f.json}
    nested = [hit for k, v in payload.items() if verdicts[k] is not False and k in json_names
              for hit in nested_hits(v, names, str(k))]
    must = [k for k, v in verdicts.items() if v is False]
    sure_nested = [path for path, v in nested if v is False]
    if must or sure_nested:
        refused: bool | None = True
    elif any(v is None for v in verdicts.values()) or nested or gate == "either":
        refused = None
    else:
        refused = False
    never = [] if gate == "either" else [k for k, v in verdicts.items() if v is True and k not in json_names]
    return {"refused": refused, "rule": rule if gate == "either" and not (must or sure_nested) else "fields",
            "must": must, "never": never, "nested": sure_nested}


def context_tenant_of(case: Any, principal: Any) -> str:
    """The explicit context tenant_id against the principal's: none, same, other (the principal's is another
    tenant) or unbound (the principal has no tenant)."""
    tenant = case.context.tenant_id
    return "none" if tenant is None else "unbound" if not principal.tenant else \
        "same" if tenant == principal.tenant else "other"


def payload_class(*payloads: Any) -> str:
    """empty (every payload an empty mapping), keys, or not_mapping."""
    if any(not isinstance(p, Mapping) for p in payloads if p is not None):
        return "not_mapping"
    return "empty" if all(not p for p in payloads) else "keys"


def _policy_facts(case: Any, principal: Any = None, **more: Any) -> dict[str, str]:
    principal = principal or case.principal
    return {"principal": principal_label(principal), "action_class": action_class(case.action),
            "action": case.action, "context_tenant": context_tenant_of(case, principal),
            **{k: str(v) for k, v in more.items()}}


def check_policy_decisions(case: Any, observed: Mapping[str, Any], reproducer: str) -> list[Finding]:
    """PolicyEngine's can, visible_fields, writable_fields, query_filter and validate_payload decide security
    outcomes (allowed or denied; which fields are hidden or not writable; the tenant filter; a refused payload
    and the fields it names) as the documented policy model does, and never raise."""
    judged(catalog.SECURITY_POLICY_DECISIONS)
    p, model, res = case.principal, case.model, case.resource
    findings: list[Finding] = []

    def add(decider: str, message: str, got: Any, want: Any, **facts: Any) -> None:
        findings.append(Finding(catalog.SECURITY_POLICY_DECISIONS, f"{decider}: {message}", observed=got,
                                expected=want, reproducer=reproducer, facts=_policy_facts(case, decider=decider,
                                                                                        **facts)))

    for decider, got in observed.items():
        if isinstance(got, str):
            add(decider, f"raised {got}", got, "a PolicyDecision", direction="raised", rule="", field_kind="")
    # can()
    got = observed.get("can")
    if not isinstance(got, str):
        effect, missing = got
        resource_tenant = res.tenant if res.kind in ("row", "instance") and (res.kind == "row" or model.tenant_model
                                                                             or model.bare) else None
        resource_ai = res.ai_allow if res.kind == "row" else None if res.kind == "none" or model.bare and \
            res.kind == "model" else model.ai_allow
        deny, doubt = can_rules(case, resource_tenant, resource_ai)
        want = verdict(deny, doubt)
        refused = effect == "deny"
        if want != "either" and refused != (want == "deny"):
            add("can", f"{'denied' if refused else 'allowed'} {case.action!r} for a {principal_label(p)} principal "
                f"(resource {res.kind}, tenant {resource_tenant!r}; context {case.context}); the model "
                f"{'denies (' + ','.join(sorted(deny)) + ')' if deny else 'allows'}", effect, want,
                direction="under_grant" if refused else "over_grant", rule=",".join(sorted(deny)) or "none",
                field_kind="")
        want_missing = tuple(s for s in case.context.required_scopes if not _grants(p.scopes, s))
        if refused and missing and tuple(missing) != want_missing:
            add("can", f"names missing scopes {list(missing)}, not {list(want_missing)}", missing, want_missing,
                direction="reason", rule="scopes", field_kind="")
    # visible_fields() and writable_fields()
    names = model_field_names(model)
    for decider, expect in (("visible_fields", expected_visible), ("writable_fields", expected_writable)):
        got = observed.get(decider)
        if isinstance(got, str):
            continue
        allowed, denied = set(got[0]), set(got[1])
        for name in names:
            want_in = expect(p, model, name)
            if name in allowed and name in denied or (name not in allowed | denied):
                add(decider, f"field {name!r} is {'both allowed and denied' if name in allowed else 'in neither list'}",
                    sorted(allowed), sorted(denied), direction="shape", rule=" ".join(field_flags(model, name)),
                    field_kind=field_kind(name))
            elif want_in is not None and (name in allowed) != want_in:
                add(decider, f"field {name!r} ({'+'.join(field_flags(model, name)) or 'no flags'}) is "
                    f"{'allowed' if name in allowed else 'denied'} for a {principal_label(p)} principal",
                    name in allowed, want_in, direction="over_grant" if name in allowed else "under_grant",
                    rule=" ".join(field_flags(model, name)) or "none", field_kind=field_kind(name))
    # query_filter()
    got = observed.get("query_filter")
    if not isinstance(got, str):
        effect, filters = got
        aware = True if model.tenant_model else None if not model.bare and any(
            f.name in OTHER_TENANT_MARKERS for f in model.fields) else False
        problem = query_filter_problem(p, aware, case.context.tenant_required, effect, filters)
        if problem:
            add("query_filter", f"{problem} for a {principal_label(p)} principal on a "
                f"{'tenant-aware' if aware else 'tenant-free'} model (tenant_required={case.context.tenant_required})",
                (effect, filters), "the principal's tenant filter", direction=problem.split(":")[0], rule="tenant",
                field_kind="tenant_id" if aware else "plain")
    # validate_payload()
    got = observed.get("validate_payload")
    if not isinstance(got, str):
        want = payload_expectation(case, p, case.action, case.payload)
        findings.extend(Finding(catalog.SECURITY_POLICY_DECISIONS, f"validate_payload: {text}", observed=got,
                                expected=want, reproducer=reproducer,
                                facts=_policy_facts(case, decider="validate_payload",
                                                    payload=payload_class(case.payload), **facts))
                        for text, facts in payload_problems(want, got[0] in ("deny", "partial"), got[1]))
    return findings


def _grants(granted: Sequence[str], required: str) -> bool:
    from fuzz.oracles.tokens import reference_set_grants

    return reference_set_grants(granted, required)


def query_filter_problem(p: Any, aware: bool | None, tenant_required: bool, effect: str,
                         filters: Mapping[str, Any]) -> str | None:
    """What is wrong with a query_filter decision, or None."""
    tenant = filters.get("tenant_id") if isinstance(filters, Mapping) else None
    if p.kind == "system" and not p.tenant:
        return None  # a system principal without a tenant works across tenants (documented exemption)
    if p.tenant:
        if aware is True and (effect == "deny" or tenant != p.tenant):
            return f"over_grant: filter {dict(filters)!r} ({effect}), not tenant {p.tenant!r}"
        if aware is False and p.kind != "system" and (effect == "deny" or tenant is not None):
            return f"under_grant: filter {dict(filters)!r} ({effect}) on a model without tenant fields"
        return None
    if aware is True and (effect == "allow" or tenant is not None):
        return f"over_grant: {effect} with filter {dict(filters)!r} without tenant context"
    if aware is True and tenant_required and effect != "deny":
        return f"over_grant: {effect}, not deny, with tenant_required and no tenant context"
    if aware is False and (effect == "deny" or tenant is not None):
        return f"under_grant: filter {dict(filters)!r} ({effect}) on a model without tenant fields"
    return None


def payload_problems(want: Mapping[str, Any], refused: bool, denied: Sequence[str]) -> list[tuple[str, dict]]:
    """The differences between a payload verdict of the model and an observed refusal and its denied_fields."""
    problems: list[tuple[str, dict]] = []
    if want["refused"] is not None and refused != want["refused"]:
        kinds = sorted({field_kind(k) for k in want["must"]} | ({"nested"} if want["nested"] else set()))
        problems.append((f"{'refused' if refused else 'accepted'} a payload the model "
                         f"{'refuses (' + want['rule'] + ')' if want['refused'] else 'accepts'}; "
                         f"must name {want['must'] + want['nested']}, named {list(denied)}",
                         {"direction": "refused_allowed" if refused else "accepted_denied", "rule": want["rule"],
                          "field_kind": " ".join(kinds)}))
        return problems
    if refused and want["rule"] == "fields":
        denied = [str(d) for d in denied]
        unnamed = [k for k in want["must"] if k not in denied]
        unnamed += [path for path in want["nested"] if not any(d.startswith(path.split(".")[0].split("[")[0])
                                                               and d.endswith(path.rsplit(".", 1)[-1])
                                                               for d in denied)]
        wrong = [k for k in want["never"] if k in denied]
        if unnamed or wrong:
            problems.append((f"denied_fields {list(denied)} " + (f"miss {unnamed}" if unnamed else "")
                             + (f" name writable {wrong}" if wrong else ""),
                             {"direction": "denied_fields", "rule": "fields",
                              "field_kind": " ".join(sorted({field_kind(k.split('.')[-1]) for k in unnamed + wrong}))}))
    return problems


HELPER_FUNCTIONS = {"payload": "enforce_payload_policy", "request": "enforce_request_payload_policy",
                    "bulk": "validate_bulk_payload_policy", "upsert": "validate_upsert_payload_policy"}


def check_payload_enforcement(case: Any, principal: Any, outcome: Mapping[str, Any], reproducer: str
                              ) -> list[Finding]:
    """The enforcement helpers (enforce_payload_policy, enforce_request_payload_policy, the bulk and upsert
    validators) refuse with PolicyDenied exactly the payloads the documented model refuses (a bulk or upsert as
    a whole when any part is refused), name the denied fields, and the error payload has the documented keys."""
    helper = case.helper
    if helper == "bulk":
        want = bulk_expectation(case, principal)
    elif helper == "upsert":
        want = upsert_expectation(case, principal)
    else:
        want = payload_expectation(case, principal, case.action, case.payload)
    findings: list[Finding] = []

    decider = HELPER_FUNCTIONS[helper]
    payloads = (case.payload, case.batch) if helper == "upsert" else tuple(case.batch) if helper == "bulk" and \
        isinstance(case.batch, (list, tuple)) else (case.batch,) if helper == "bulk" else (case.payload,)

    def add(text: str, **facts: Any) -> None:
        findings.append(Finding(catalog.SECURITY_POLICY_DECISIONS, f"{decider}: {text}", observed=dict(outcome),
                                expected=want, reproducer=reproducer,
                                facts={**_policy_facts(case, principal, decider=decider,
                                                       payload=payload_class(*payloads),
                                                       request=case.request if helper == "request" else "", **facts),
                                       **({"action": "upsert", "action_class": "write"} if helper == "upsert"
                                          else {})}))

    if outcome["raised"] not in (None, "PolicyDenied"):
        add(f"raised {outcome['raised']}: {outcome.get('message')}", direction="raised", rule="", field_kind="")
        return findings
    refused = outcome["raised"] == "PolicyDenied"
    if refused and tuple(outcome["error"]) != ERROR_KEYS or refused and outcome["detail"] != ERROR_DETAIL \
            or refused and not isinstance(outcome["denied"], list):
        add(f"error payload {outcome['error']} is not the documented shape", direction="shape", rule="",
            field_kind="")
    for text, facts in payload_problems(want, refused, outcome.get("denied") or []):
        add(text, **facts)
    if helper == "bulk" and refused and want.get("items") is not None:
        sure, maybe = want["items"]
        got = set(outcome.get("denied_items") or ())
        if not sure <= got or not got <= sure | maybe:
            add(f"denied_items {sorted(got)}, the model refuses items {sorted(sure)} (either {sorted(maybe)})",
                direction="accepted_denied" if not sure <= got else "refused_allowed", rule=want["rule"],
                field_kind="items")
    return findings


def bulk_expectation(case: Any, principal: Any) -> dict[str, Any]:
    """A bulk batch is refused when it is not a sequence of items, or when any item is refused."""
    items = case.batch
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        return {"refused": True, "rule": "not_sequence", "must": [], "never": [], "nested": [], "items": None}
    sure: set[int] = set()
    maybe: set[int] = set()
    must: list[str] = []
    nested: list[str] = []
    rules: set[str] = set()
    for index, item in enumerate(items):
        one = payload_expectation(case, principal, case.action, item)
        if one["refused"] is True:
            sure.add(index)
            must += one["must"]
            nested += one["nested"]
            rules.add(one["rule"])
        elif one["refused"] is None:
            maybe.add(index)
    refused = True if sure else None if maybe else False
    return {"refused": refused, "rule": "fields" if rules <= {"fields"} else ",".join(sorted(rules)),
            "must": list(dict.fromkeys(must)), "never": [], "nested": nested, "items": (sure, maybe)}


def upsert_expectation(case: Any, principal: Any) -> dict[str, Any]:
    """An upsert is refused when its insert payload is refused as a create, its update payload as an update, or
    a conflict target names no model field."""
    parts = [payload_expectation(case, principal, "create", case.payload)]
    if case.batch is not None:
        parts.append(payload_expectation(case, principal, "update", case.batch))
    names = model_field_names(case.model)
    bad_targets = [t for t in case.conflict_target if not isinstance(t, str) or t not in names]
    if bad_targets or any(part["refused"] is True for part in parts):
        rules = {part["rule"] for part in parts if part["refused"] is True} | ({"conflict_target"} if bad_targets
                                                                                  else set())
        gated = not bad_targets and all(part["rule"] == "fields" for part in parts if part["refused"] is True)
        return {"refused": True, "rule": "fields" if gated else ",".join(sorted(rules)),
                "must": [k for part in parts if part["refused"] is True for k in part["must"]],
                "never": [], "nested": [p for part in parts if part["refused"] is True for p in part["nested"]]}
    refused = None if any(part["refused"] is None for part in parts) else False
    return {"refused": refused, "rule": "fields", "must": [], "never": [], "nested": []}
