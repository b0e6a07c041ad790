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
    grants, never raises, and refuses with a message (the first refusing entry's own, when it is a single class)."""
    expected = expected_decisions(case)
    if all(v is None for v in expected.values()):
        return []
    judged(catalog.SECURITY_PERMISSION_ALGEBRA)
    findings: list[Finding] = []
    for decider, want in expected.items():
        got = observed.get(decider)
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
    return "numeric" if abs(exp) < 2.5e11 else "out_of_range"


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
