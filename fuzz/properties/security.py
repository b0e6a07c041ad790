"""Property bodies of Aksara's in-process security primitives (one example each, returning findings).

:func:`permission_case` builds a case's permission list from Aksara's own classes and a request of the
documented shape, asks every decider and resolver, and hands the answers to
:mod:`fuzz.oracles.security`; :func:`claims_case` and :func:`scope_helpers_case` do the same for the MCP
claims objects and scope helpers. The Aksara functions under test are parameters with the real ones as
defaults, so ``tests/`` can hand in planted faults.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from fuzz.findings import Finding, replayable
from fuzz.oracles import security as oracles
from strategies.security import ClaimMapping, PermissionCase, PolicyCase, PolicyModel, PrincipalSpec


# -- the application side of a request: its user object, its request, its object ---------------------

class AppUser:
    """An application's user object: only the attributes its authentication adapter sets."""

    def __init__(self, state: Any) -> None:
        for attr, value in (("is_authenticated", state.authenticated), ("is_staff", state.staff),
                            ("is_superuser", state.superuser), ("is_active", state.active), ("id", state.id)):
            if value is not None:
                setattr(self, attr, value)

    def __repr__(self) -> str:
        return f"AppUser({vars(self)})"


class DjangoStyleRequest:
    """A request object of the Django style Aksara's permissions also read (``request.user``, no ``state``)."""

    def __init__(self, method: str, headers: dict[str, str]) -> None:
        self.method = method
        self.headers = headers


class BareRequest:
    """A request object carrying neither ``state`` nor ``user``."""

    def __init__(self, method: str, headers: dict[str, str]) -> None:
        self.method = method
        self.headers = headers


class Row:
    """An object under an object-level check, with the owner fields it has."""

    def __init__(self, owner: Sequence[tuple[str, Any]]) -> None:
        for name, value in owner:
            setattr(self, name, value)


class View:
    """A view, with an ``ai_allow`` attribute when the case sets one."""

    def __init__(self, ai_allow: bool | None) -> None:
        if ai_allow is not None:
            self.ai_allow = ai_allow


def build_permission(spec: Any, operators: bool) -> Any:
    """The Aksara permission instance ``spec`` describes (two-part AND/OR with ``&``/``|`` when ``operators``)."""
    from aksara import permissions as P

    if spec.name in ("AND", "OR"):
        parts = [build_permission(p, operators) for p in spec.parts]
        if operators and len(parts) == 2:
            return parts[0] & parts[1] if spec.name == "AND" else parts[0] | parts[1]
        return getattr(P, spec.name)(*parts)
    if spec.name == "OperationPermission":
        return P.OperationPermission(allow=list(spec.allow))
    return getattr(P, spec.name)()


def build_entries(case: PermissionCase) -> list[Any]:
    """The declared list: classes where the case says so, fresh instances otherwise."""
    from aksara import permissions as P

    return [getattr(P, spec.name) if as_class else build_permission(spec, case.operators)
            for spec, as_class in zip(case.entries, case.as_class)]


def preset_principal(kind: str | None) -> Any:
    from aksara.security.principal import Principal

    return {"user": lambda: Principal.for_user("u9", tenant_id="tenant-z", roles=["staff"]),
            "ai_agent": lambda: Principal.for_ai_agent(agent_id="a9", tenant_id="tenant-z"),
            "anonymous": Principal.anonymous,
            "not_a_principal": lambda: {"user_id": "u9", "is_ai_agent": True},
            None: lambda: None}[kind]()


def build_request(case: PermissionCase) -> tuple[Any, Any]:
    """A request of ``case``'s shape carrying its server-side state (and the client's headers); its preset."""
    from aksara.identity import AnonymousUser
    from starlette.requests import Request

    user = None if case.user is None else AnonymousUser() if case.user.anonymous_user else AppUser(case.user)
    headers = {k: v for k, v in (("x-tenant-id", case.header_tenant), ("authorization", case.authorization)) if v}
    preset = preset_principal(case.preset)
    if case.shape == "starlette":
        request = Request({"type": "http", "method": case.method, "path": "/", "query_string": b"",
                           "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
        request.state.user = user
        for attr, value in (("is_ai_agent", case.ai_flag), ("tenant_id", case.state_tenant),
                            ("auth_method", case.auth_method), ("principal", preset)):
            if value is not None:
                setattr(request.state, attr, value)
        return request, preset
    request = (DjangoStyleRequest if case.shape == "django" else BareRequest)(case.method, headers)
    if case.shape == "django":
        if user is not None:
            request.user = user
        if case.state_tenant is not None:
            request.tenant_id = case.state_tenant
    return request, None


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - raising is the observation
        return f"{type(exc).__name__}: {exc}"


def aksara_permission_deciders(case: PermissionCase) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """Every Aksara decider's answer for ``case`` (fresh permission instances for each), the check_permissions
    message, the resolved principal and the request it was resolved from."""
    from aksara.permissions import check_ai_allowed, check_permissions
    from aksara.security.adapters import decision_from_permission_classes, principal_allows_ai_access
    from aksara.security.context import principal_from_request

    request, _ = build_request(case)
    view, row = View(case.view_ai_allow), Row(case.owner or ())
    observed: dict[str, Any] = {}
    for index, entry in enumerate(build_entries(case)):
        perm = entry() if isinstance(entry, type) else entry
        observed[f"has_permission[{index}]"] = _call(perm.has_permission, request, view)
    for index, entry in enumerate(build_entries(case)):
        perm = entry() if isinstance(entry, type) else entry
        observed[f"has_object_permission[{index}]"] = _call(perm.has_object_permission, request, view, row)
    result = _call(check_permissions, build_entries(case), request, view, Row(case.owner) if case.owner is not None
                   else None)
    observed["check_permissions"] = result if isinstance(result, str) else result[0]
    messages: dict[str, Any] = {"check_permissions": (None, None) if isinstance(result, str) else result}
    first = oracles.list_verdict(case.entries, oracles.caller_of(case), case.method, oracles.user_id_of(case),
                                 dict(case.owner) if case.owner is not None else None)[1]
    if first is not None:
        entry = build_entries(case)[first]
        messages["first_message"] = getattr(entry() if isinstance(entry, type) else entry, "message", None)
    decision = _call(decision_from_permission_classes, build_entries(case), request, view, action="fuzz")
    observed["decision_from_permission_classes"] = decision if isinstance(decision, str) else decision.allowed
    observed["check_ai_allowed"] = _call(check_ai_allowed, build_entries(case))
    principal = _call(principal_from_request, request)
    if not isinstance(principal, str):
        observed["principal_allows_ai_access"] = _call(principal_allows_ai_access, principal, view,
                                                       permission_classes=build_entries(case))
    return observed, messages, principal, request


def annotation_checks(case: PermissionCase, request: Any, principal: Any) -> dict[str, Any]:
    """Annotate ``request`` with ``principal``: it is retrievable (from a request with state), and a trusted
    tenant already on the state is kept. Each value is True or what went wrong."""
    from aksara.security.adapters import annotate_request_state, principal_from_request_state

    found = _call(annotate_request_state, request, principal)
    if isinstance(found, str):
        return {"annotate": found}
    got = principal_from_request_state(request)
    checks: dict[str, Any] = {"retrievable": True if (got is principal if case.shape == "starlette" else got is None)
                              else f"principal_from_request_state gave {got!r}"}
    if case.shape == "starlette" and case.state_tenant:
        kept = getattr(request.state, "tenant_id", None)
        checks["tenant_kept"] = True if kept == case.state_tenant else f"trusted tenant became {kept!r}"
    return checks


def _reproducer(case: PermissionCase) -> str:
    return ("from fuzz.properties.security import permission_case\n"
            f"permission_case({case!r})")


@replayable("security", env=("deciders",))
def permission_case(case: PermissionCase,
                    deciders: Callable[[PermissionCase], tuple[dict, dict, Any, Any]] = aksara_permission_deciders
                    ) -> list[Finding]:
    """Every permission decider against the model, and the request's principal against the resolution order."""
    observed, messages, principal, request = deciders(case)
    reproducer = _reproducer(case)
    findings = oracles.check_permission_algebra(case, observed, messages, reproducer)
    if isinstance(principal, str):
        return findings + oracles.check_principal_resolution(case, principal, None, reproducer)
    seen = oracles.describe_principal(principal, getattr(request.state, "principal", None)
                                      if case.shape == "starlette" else None)
    annotated = annotation_checks(case, request, principal)
    return findings + oracles.check_principal_resolution(case, seen, annotated, reproducer)


# -- MCP claims and scope helpers ---------------------------------------------------------------------

def aksara_claim_readers(claims: Mapping[str, Any]) -> dict[str, Any]:
    """What ``MCPCredentialClaims.from_claims_dict`` and ``principal_from_mcp_claims`` make of ``claims``."""
    from aksara.security.context import principal_from_mcp_claims
    from aksara.security.mcp import MCPCredentialClaims, require_mcp_tenant

    def credential() -> dict[str, Any]:
        c = MCPCredentialClaims.from_claims_dict(claims)
        return {"scopes": c.scopes, "roles": c.roles, "tenant_id": c.tenant_id, "audience": c.audience,
                "agent_id": c.agent_id, "token_id": c.token_id, "expired": c.expired, "expires_at": c.expires_at}

    def principal() -> dict[str, Any]:
        p = principal_from_mcp_claims(claims)
        return {"scopes": p.scopes, "roles": p.roles, "tenant_id": p.tenant_id,
                "audience": p.metadata.get("audience"), "agent_id": p.agent_id, "token_id": p.token_id,
                "expired": p.is_expired, "expires_at": p.expires_at,
                "tenant_gate": require_mcp_tenant(p).allowed,
                "tenant_ungated": require_mcp_tenant(p, tenant_required=False).allowed}

    return {"MCPCredentialClaims": _call(credential), "principal_from_mcp_claims": _call(principal)}


@replayable("security", env=("readers",))
def claims_case(mapping: ClaimMapping,
                readers: Callable[[Mapping[str, Any]], Mapping[str, Any]] = aksara_claim_readers) -> list[Finding]:
    """Parse ``mapping``'s claims (at the current clock) with both claims readers and judge them."""
    now = int(time.time())
    claims = mapping.materialize(now)
    reproducer = ("from aksara.security.mcp import MCPCredentialClaims\n"
                  f"MCPCredentialClaims.from_claims_dict({claims!r})  # now={now}")
    return oracles.check_mcp_claims(claims, now, readers(claims), reproducer)


def aksara_scope_helpers(granted: Sequence[str], required: Sequence[str]) -> tuple[dict[str, bool], dict[str, Any]]:
    """``Principal.has_scope`` for each required scope, and the any/all helpers' decisions."""
    from aksara.security.mcp import require_all_scopes, require_any_scope
    from aksara.security.principal import Principal

    principal = Principal.for_mcp_agent(agent_id="fuzz", scopes=list(granted), tenant_id="t")
    has = {s: principal.has_scope(s) for s in required}

    def decide(helper: Callable[..., Any]) -> Any:
        d = _call(helper, principal, list(required))
        return d if isinstance(d, str) else (d.allowed, tuple(d.missing_scopes))

    return has, {"require_any_scope": decide(require_any_scope), "require_all_scopes": decide(require_all_scopes),
                 "Principal.has_any_scope": (principal.has_any_scope(required), None),
                 "Principal.has_all_scopes": (principal.has_all_scopes(required), None)}


@replayable("security", env=("helpers",))
def scope_helpers_case(granted: Sequence[str], required: Sequence[str],
                       helpers: Callable[[Sequence[str], Sequence[str]], tuple[dict, dict]] = aksara_scope_helpers
                       ) -> list[Finding]:
    """The any/all scope helpers against ``Principal.has_scope`` on each required scope."""
    has, decisions = helpers(granted, required)
    reproducer = ("from aksara.security.mcp import require_any_scope, require_all_scopes\n"
                  f"# granted {list(granted)!r}, required {list(required)!r}")
    return oracles.check_scope_helpers(granted, required, has, decisions, reproducer)


# -- the security matrix loader -----------------------------------------------------------------------

def matrix_summary(matrix: Any) -> dict[str, Any]:
    """A loaded :class:`SecurityMatrix` in :func:`fuzz.oracles.security.expected_matrix`'s terms."""
    from dataclasses import asdict

    return {"version": matrix.version,
            "metadata": {k: getattr(matrix.metadata, k) for k in ("name", "description", "owner", "status")},
            **{section: [asdict(item) for item in getattr(matrix, section)] for section in ("surfaces", "actors",
                                                                                          "risks", "scenarios")}}


def aksara_matrix_loader(path: str | None) -> Any:
    from aksara.security.matrix import load_security_matrix

    return load_security_matrix(path)


@replayable("security", env=("loader",))
def matrix_case(doc: Any, placement: str, loader: Callable[[str | None], Any] = aksara_matrix_loader
                ) -> list[Finding]:
    """Write ``doc`` where ``placement`` says (an explicit path, or AKSARA_SECURITY_MATRIX_PATH; ``*_missing``:
    a path that names no file) and load it; an ``env`` placement judges nothing where Aksara does not read the
    variable."""
    import os
    import tempfile

    from targets import features

    if placement.startswith("env") and not features.has("matrix_path_env"):
        return []

    with tempfile.TemporaryDirectory(prefix="aksara-matrix-") as tmp:
        path = os.path.join(tmp, "security_matrix.yml")
        if not placement.endswith("missing"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(doc.text)
        saved = os.environ.get("AKSARA_SECURITY_MATRIX_PATH")
        try:
            if placement.startswith("env"):
                os.environ["AKSARA_SECURITY_MATRIX_PATH"] = path
            try:
                outcome: tuple[str, Any] = ("loaded", matrix_summary(loader(None if placement.startswith("env")
                                                                            else path)))
            except Exception as exc:  # noqa: BLE001 - the refusal is the observation
                outcome = ("raised", (type(exc).__name__, str(exc)[:300]))
        finally:
            if saved is None:
                os.environ.pop("AKSARA_SECURITY_MATRIX_PATH", None)
            else:
                os.environ["AKSARA_SECURITY_MATRIX_PATH"] = saved
    reproducer = ("from aksara.security.matrix import load_security_matrix\n"
                  f"# security_matrix.yml ({placement}):\n" + "".join(f"#   {line}\n" for line in
                                                                doc.text.splitlines()[:40])
                  + "load_security_matrix(path)")
    return oracles.check_matrix_load(doc, placement, outcome, reproducer)


# -- PolicyEngine decisions and the payload enforcement helpers -----------------------------------------

_MODELS: dict[PolicyModel, type] = {}


class BareResource:
    """An object that exposes no field metadata (the documented fallback of validate_payload)."""


class ResourceRow:
    """A resource row with the tenant and ai_allow attributes the case gives it."""

    def __init__(self, tenant: str | None, ai_allow: bool | None) -> None:
        if tenant is not None:
            self.tenant_id = tenant
        if ai_allow is not None:
            self.ai_allow = ai_allow


def build_model(spec: PolicyModel) -> type:
    """The real Aksara model class ``spec`` describes (built once, outside the global model registry)."""
    if spec.bare:
        return BareResource
    if spec in _MODELS:
        return _MODELS[spec]
    import aksara
    from aksara import fields as F
    from aksara.registry import ModelRegistry

    attrs: dict[str, Any] = {}
    for f in spec.fields:
        kind = F.JSON if f.json else F.String
        extra = {} if f.json else {"max_length": 50}
        attrs[f.name] = kind(nullable=True, ai_sensitive="ai_sensitive" in f.flags,
                             ai_agent_writable="ai_locked" not in f.flags, **extra)
    if spec.ai_allow is not None:
        attrs["ai_allow"] = spec.ai_allow
    name = f"PolicyFuzz{len(_MODELS)}"
    attrs["Meta"] = type("Meta", (), {"table_name": name.lower()})
    attrs["__module__"] = __name__
    saved, version = dict(ModelRegistry._models), ModelRegistry._version
    try:
        cls = type(name, (aksara.TenantModel if spec.tenant_model else aksara.Model,), attrs)
    finally:
        ModelRegistry._models.clear()
        ModelRegistry._models.update(saved)
        ModelRegistry._version = version
    for f in spec.fields:
        for flag in ("read_only", "system_only"):
            if flag in f.flags:
                setattr(cls._fields[f.name], flag, True)
    _MODELS[spec] = cls
    return cls


def build_principal(spec: PrincipalSpec) -> Any:
    """The Aksara principal ``spec`` describes."""
    import dataclasses
    from datetime import datetime, timedelta, timezone

    from aksara.security.principal import Principal

    meta = dict(spec.audience)
    if spec.kind == "anonymous":
        return Principal.anonymous()
    if spec.kind == "user":
        p = Principal.for_user("u1", tenant_id=spec.tenant, scopes=spec.scopes, metadata=meta)
    elif spec.kind == "ai_agent":
        p = Principal.for_ai_agent(agent_id="a1", tenant_id=spec.tenant, scopes=spec.scopes, metadata=meta)
    elif spec.kind == "mcp":
        p = Principal.for_mcp_agent(agent_id="a1", token_id="j1", tenant_id=spec.tenant, scopes=spec.scopes,
                                    metadata=meta)
    else:
        p = dataclasses.replace(Principal.system("fuzz", tenant_id=spec.tenant, metadata=meta), scopes=spec.scopes)
    if spec.expired or spec.expires:
        now = datetime.now(tz=timezone.utc)
        p = dataclasses.replace(p, expires_at=now + timedelta(hours=-1 if spec.expired else 1))
    return p


def build_resource(case: PolicyCase, model: type) -> Any:
    """The resource ``can`` is asked about."""
    res = case.resource
    if res.kind == "none":
        return None
    if res.kind == "model":
        return model
    if res.kind == "row":
        return ResourceRow(res.tenant, res.ai_allow)
    if case.model.bare:
        return ResourceRow(res.tenant, None)
    return model(tenant_id=res.tenant) if case.model.tenant_model else model()


def engine_context(case: PolicyCase) -> dict[str, Any]:
    """The keyword context the case passes to the engine (only what it sets)."""
    ctx = case.context
    out: dict[str, Any] = {}
    for key, value in (("required_scopes", ctx.required_scopes), ("required_audience", ctx.required_audience),
                       ("tenant_required", ctx.tenant_required), ("tenant_id", ctx.tenant_id),
                       ("route_permission_granted", ctx.route_permission_granted)):
        if value not in (None, False, ()):
            out[key] = value
    return out


def aksara_policy_engine(case: PolicyCase) -> dict[str, Any]:
    """What Aksara's PolicyEngine answers for ``case`` (a string: what it raised)."""
    from aksara.security.policy import PolicyEngine

    engine, model = PolicyEngine(), build_model(case.model)
    principal, ctx = build_principal(case.principal), engine_context(case)

    def can() -> Any:
        d = engine.can(principal, case.action, build_resource(case, model), **ctx)
        return d.effect, tuple(d.missing_scopes)

    def fields(method: str) -> Any:
        d = getattr(engine, method)(principal, model)
        return tuple(d.allowed_fields), tuple(d.denied_fields)

    def query_filter() -> Any:
        d = engine.query_filter(principal, model, tenant_required=case.context.tenant_required)
        return d.effect, dict(d.metadata.get("filters") or {})

    def validate() -> Any:
        d = engine.validate_payload(principal, case.action, model, case.payload, **ctx)
        return d.effect, tuple(d.denied_fields)

    return {"can": _call(can), "visible_fields": _call(fields, "visible_fields"),
            "writable_fields": _call(fields, "writable_fields"), "query_filter": _call(query_filter),
            "validate_payload": _call(validate)}


def enforcement_request(case: PolicyCase, principal: Any) -> tuple[Any, PrincipalSpec]:
    """The request the ``request`` helper is given, and the principal the documented resolution gives it."""
    from types import SimpleNamespace

    from aksara.identity import AnonymousUser
    from starlette.requests import Request

    spec = case.principal
    if case.request == "none":
        return None, PrincipalSpec("anonymous")
    request = Request({"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []})
    if case.request == "preset":
        request.state.principal = principal
        return request, spec
    if case.request == "anonymous_user":
        request.state.user = AnonymousUser()
        return request, PrincipalSpec("anonymous")
    if case.request == "lookalike":  # a principal-shaped object that is no Principal claims to be system
        request.state.principal = SimpleNamespace(is_system=True, is_authenticated=True, tenant_id=None,
                                                  is_ai_agent=False, scopes=("*",))
        request.state.user = None
        return request, PrincipalSpec("anonymous")
    if spec.tenant is not None:
        request.state.tenant_id = spec.tenant
    if case.request == "ai_flag":
        request.state.is_ai_agent = True
        return request, PrincipalSpec("ai_agent", tenant=spec.tenant)
    request.state.user = SimpleNamespace(is_authenticated=True, id="u1", is_staff=False, is_superuser=False)
    return request, PrincipalSpec("user", tenant=spec.tenant)


def aksara_enforcement(case: PolicyCase) -> tuple[dict[str, Any], PrincipalSpec]:
    """Call the case's enforcement helper: whether and what it raised, and the error payload it translates to."""
    from aksara.security import enforcement as E
    from aksara.security.exceptions import PolicyDenied

    model, principal, spec = build_model(case.model), build_principal(case.principal), case.principal
    ctx = engine_context(case)
    calls: dict[str, Callable[[], Any]] = {
        "payload": lambda: E.enforce_payload_policy(principal=principal, action=case.action, model=model,
                                                    payload=case.payload, surface="fuzz", context=ctx),
        "bulk": lambda: E.validate_bulk_payload_policy(principal=principal, action=case.action, model=model,
                                                       payloads=case.batch, surface="fuzz", context=ctx),
        "upsert": lambda: E.validate_upsert_payload_policy(principal=principal, model=model,
                                                           insert_payload=case.payload, update_payload=case.batch,
                                                           conflict_target=case.conflict_target, surface="fuzz",
                                                           context=ctx),
    }
    if case.helper == "request":
        request, spec = enforcement_request(case, principal)
        calls["request"] = lambda: E.enforce_request_payload_policy(request=request, action=case.action,
                                                                    model=model, payload=case.payload,
                                                                    surface="fuzz", context=ctx)
    outcome: dict[str, Any] = {"raised": None}
    try:
        calls[case.helper]()
    except PolicyDenied as exc:
        error = E.policy_denied_to_error_payload(exc)
        outcome.update(raised="PolicyDenied", error=tuple(error), detail=error.get("detail"),
                       denied=error.get("denied_fields"),
                       denied_items=tuple(exc.decision.metadata.get("denied_items") or ()))
    except Exception as exc:  # noqa: BLE001 - raising anything else is the observation
        outcome.update(raised=type(exc).__name__, message=str(exc)[:300])
    return outcome, spec


def _policy_reproducer(case: PolicyCase) -> str:
    return ("from fuzz.properties.security import policy_case\n"
            f"policy_case({case!r})")


@replayable("security", env=("engine", "enforcement"))
def policy_case(case: PolicyCase,
                engine: Callable[[PolicyCase], dict[str, Any]] = aksara_policy_engine,
                enforcement: Callable[[PolicyCase], tuple[dict[str, Any], PrincipalSpec]] = aksara_enforcement
                ) -> list[Finding]:
    """Ask PolicyEngine every question of ``case`` and call its enforcement helper; judge both against the model."""
    reproducer = _policy_reproducer(case)
    findings = oracles.check_policy_decisions(case, engine(case), reproducer)
    outcome, principal = enforcement(case)
    return findings + oracles.check_payload_enforcement(case, principal, outcome, reproducer)
