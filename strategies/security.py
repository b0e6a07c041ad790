"""Inputs of Aksara's in-process security primitives: permission expressions over callers, and MCP token claims.

- :func:`permission_cases`: a route's declared permission list (Aksara's own classes, composed with
  ``&``/``|`` or ``AND``/``OR`` to any depth, as classes or instances) x a caller's server-side request
  state x an HTTP method x an object with owner fields (or none). Hostile classes reached: a missing,
  anonymous, inactive, staff-but-unauthenticated or id-less user; a truthy but non-``True`` AI flag; a
  tenant or Authorization header a client sent; request objects of the three documented shapes
  (Starlette ``request.state``, Django-style ``request.user``, neither); a pre-resolved principal or a
  look-alike that is not one; objects whose first populated owner field is someone else's.
- :func:`policy_cases`: a principal of every kind (anonymous, user, AI agent, MCP token, system; tenant-bound or
  not; scopes; audience metadata; expired) x a standard or unknown action x a generated model whose fields carry
  every policy flag and tenant marker x a resource (none, the model, an instance, a row with ai_allow) x the
  engine context x a payload (known, unknown, server and tenant keys; JSON values hiding protected names;
  non-mappings), and one enforcement helper (payload, request, bulk, upsert) to ask.
- :func:`claim_mappings`: raw MCP claim mappings with every alias Aksara reads (``sub``/``user_id``,
  ``jti``/``token_id``, ``aud``/``audience``, ``scope``/``scopes`` as a list or a space-separated string),
  ``exp``/``iat`` of every class of :func:`strategies.tokens.exp_claims`, empty values and extra keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from strategies.tokens import Claim, exp_claims, iat_claims, required_scopes, scope_patterns
from targets.permissions import PermissionSpec

LEAVES = ("AllowAny", "IsAuthenticated", "IsAdminUser", "IsActiveUser", "IsOwnerOrReadOnly", "DenyAI",
          "OperationPermission")
OPERATIONS = ("create", "read", "update", "delete")
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
OWNER_FIELDS = ("user_id", "owner_id", "author_id", "created_by")
USER_IDS = ("u1", "u2")
AUTH_METHODS = ("session", "jwt", "api_key", "mcp_token", "ai_agent", "system", "cookie")


@dataclass(frozen=True)
class UserState:
    """An application user object: ``None`` attributes are absent from it."""

    anonymous_user: bool = False  # aksara.identity.AnonymousUser instead of an application user
    authenticated: bool | None = True
    staff: bool | None = None
    superuser: bool | None = None
    active: bool | None = None
    id: str | None = "u1"


@dataclass(frozen=True)
class PermissionCase:
    """One permission check: declared entries, how each is given, the caller's request and the object."""

    entries: tuple[PermissionSpec, ...]
    as_class: tuple[bool, ...]  # entry i given as a class rather than an instance (leaves but OperationPermission)
    operators: bool  # two-part AND/OR built with & / | instead of AND(...)/OR(...)
    method: str
    shape: str  # starlette | django | bare
    user: UserState | None
    ai_flag: Any  # request.state.is_ai_agent: absent (None), True, or a truthy/falsy look-alike
    state_tenant: str | None
    header_tenant: str | None
    authorization: str | None
    auth_method: str | None
    preset: str | None  # request.state.principal: None, "user", "ai_agent", "anonymous" or "not_a_principal"
    owner: tuple[tuple[str, str | None], ...] | None  # the object's owner fields, or no object
    view_ai_allow: bool | None  # the view's ai_allow attribute (None: absent)


def _leaf() -> st.SearchStrategy[PermissionSpec]:
    def make(name: str, allow: tuple[str, ...]) -> PermissionSpec:
        return PermissionSpec(name=name, builtin=True, allow=allow if name == "OperationPermission" else ())
    return st.builds(make, st.sampled_from(LEAVES),
                     st.lists(st.sampled_from(OPERATIONS), max_size=4, unique=True).map(tuple))


def permission_specs() -> st.SearchStrategy[PermissionSpec]:
    """A permission expression over Aksara's classes: leaves and nested AND/OR of 1-3 parts."""
    return st.recursive(
        _leaf(),
        lambda parts: st.builds(lambda name, ps: PermissionSpec(name=name, builtin=True, parts=tuple(ps)),
                                st.sampled_from(("AND", "OR")), st.lists(parts, min_size=1, max_size=3)),
        max_leaves=6,
    )


def _users() -> st.SearchStrategy[UserState | None]:
    flag = st.sampled_from((None, True, False))
    return st.one_of(
        st.none(),
        st.just(UserState(anonymous_user=True, authenticated=False, id=None)),
        st.builds(UserState, authenticated=st.sampled_from((True, True, True, None, False)), staff=flag,
                  superuser=flag, active=flag, id=st.sampled_from((*USER_IDS, None))),
        st.builds(UserState, authenticated=st.just(True), staff=flag, superuser=flag, active=flag,
                  id=st.sampled_from(USER_IDS)),
    )


@st.composite
def permission_cases(draw: st.DrawFn) -> PermissionCase:
    """A declared permission list and one caller, method and object (see the module docstring)."""
    entries = tuple(draw(st.lists(permission_specs(), min_size=0, max_size=3)))
    as_class = tuple(draw(st.booleans()) if not e.parts and e.name != "OperationPermission" else False
                     for e in entries)
    shape = draw(st.sampled_from(("starlette", "starlette", "starlette", "django", "bare")))
    owner = draw(st.none() | st.lists(st.tuples(st.sampled_from(OWNER_FIELDS), st.sampled_from((*USER_IDS, None))),
                                      max_size=4, unique_by=lambda kv: kv[0]).map(tuple))
    return PermissionCase(
        entries=entries, as_class=as_class, operators=draw(st.booleans()),
        method=draw(st.sampled_from(METHODS)), shape=shape, user=draw(_users()),
        ai_flag=draw(st.sampled_from((None, True, False, 1, "true"))),
        state_tenant=draw(st.sampled_from((None, "tenant-a", ""))),
        header_tenant=draw(st.sampled_from((None, "tenant-b"))),
        authorization=draw(st.sampled_from((None, "Bearer abc", "Token abc", "Basic abc", "bearer abc"))),
        auth_method=draw(st.sampled_from((None, *AUTH_METHODS))),
        preset=draw(st.sampled_from((None, None, None, None, "user", "ai_agent", "anonymous", "not_a_principal"))),
        owner=owner, view_ai_allow=draw(st.sampled_from((None, True, False))),
    )


# -- MCP claims -----------------------------------------------------------------------------------

_id = st.sampled_from(("u1", "agent-7", "", "0", "t-a"))


@dataclass(frozen=True)
class ClaimMapping:
    """A raw claims mapping; ``exp``/``iat`` are resolved against the clock when it is used."""

    fixed: dict[str, Any]
    exp: Claim
    iat: Claim

    def materialize(self, now: int) -> dict[str, Any]:
        """The claims at ``now``."""
        claims = dict(self.fixed)
        for key, claim in (("exp", self.exp), ("iat", self.iat)):
            if claim.present:
                claims[key] = claim.value(now)
        return claims


@st.composite
def claim_mappings(draw: st.DrawFn, models: tuple[str, ...] = ("ticket", "comment")) -> ClaimMapping:
    """A raw claims mapping as a token issuer might write it (every alias, form and lifetime class)."""
    claims: dict[str, Any] = {}
    for keys in (("sub", "user_id"), ("human_owner_id",), ("agent_id",), ("tenant_id",), ("jti", "token_id"),
                 ("aud", "audience")):
        for key in keys:
            if draw(st.booleans()):
                claims[key] = draw(_id | st.none())
    scopes = draw(st.lists(scope_patterns(models), max_size=3))
    for key in draw(st.sampled_from(((), ("scopes",), ("scope",), ("scopes", "scope")))):
        claims[key] = " ".join(scopes) if draw(st.booleans()) else list(scopes)
        scopes = draw(st.lists(scope_patterns(models), max_size=2))
    for key in draw(st.sampled_from(((), ("roles",), ("role",)))):
        roles = draw(st.lists(st.sampled_from(("admin", "staff", "viewer")), max_size=2))
        claims[key] = " ".join(roles) if draw(st.booleans()) else list(roles)
    if draw(st.booleans()):
        claims[draw(st.sampled_from(("nonce", "org", "kid")))] = draw(_id)
    return ClaimMapping(claims, draw(exp_claims()), draw(iat_claims()))


def required_scope_lists(models: tuple[str, ...] = ("ticket", "comment")) -> st.SearchStrategy[tuple[str, ...]]:
    """The scopes a tool may require all or any of (none included)."""
    return st.lists(required_scopes(models), max_size=3).map(tuple)


# -- security matrices ----------------------------------------------------------------------------

PLACEMENTS = ("explicit", "env", "explicit_missing", "env_missing")


def matrix_loads() -> st.SearchStrategy[tuple[Any, str]]:
    """A matrix document (:func:`strategies.matrix.matrices`) and where it is placed for the loader (through
    AKSARA_SECURITY_MATRIX_PATH only where the installed Aksara reads that variable: 0.6.1 on)."""
    from strategies.matrix import matrices
    from targets import features

    placements = ("explicit", "explicit", "env", "explicit_missing", "env_missing")
    if not features.has("matrix_path_env"):
        placements = tuple(p for p in placements if not p.startswith("env"))
    return st.tuples(matrices(), st.sampled_from(placements))


# -- PolicyEngine decisions and the payload enforcement helpers -----------------------------------

POLICY_FLAGS = ("read_only", "system_only", "ai_sensitive", "ai_locked")  # ai_locked: ai_agent_writable=False
TENANT_MARKERS = ("tenant_id", "org_id", "organisation_id", "organization_id", "tenant")
PLAIN_FIELDS = ("title", "notes", "total", "status")
JSON_FIELDS = ("meta", "extra_data")
SYSTEM_NAMES = ("id", "created_at", "updated_at")
UNKNOWN_KEYS = ("nope", "__class__", "Title")
TENANTS = ("t1", "t2")
STANDARD_ACTIONS = ("create", "read", "list", "update", "partial_update", "delete", "bulk_update", "upsert",
                    "mcp_call", "studio_access", "ai_prompt_export", "doctor_run", "migration_generate",
                    "migration_execute", "background_task_run")
UNKNOWN_ACTIONS = ("approve_refund", "", "READ", "export")
POLICY_GRANTS = ("mcp:read:ticket", "mcp:write:ticket", "mcp:read:comment", "mcp:read:*", "mcp:*", "*")
POLICY_REQUIRED = ("mcp:read:ticket", "mcp:write:ticket", "mcp:write:comment")
AUDIENCES = ("aksara-app", "other-app")
HELPERS = ("payload", "request", "bulk", "upsert")
REQUEST_SHAPES = ("none", "preset", "user_state", "anonymous_user", "ai_flag", "lookalike")


@dataclass(frozen=True)
class PolicyField:
    """One declared model field and the policy flags it carries."""

    name: str
    flags: tuple[str, ...] = ()
    json: bool = False  # a JSON field (its values may nest mappings and lists)


@dataclass(frozen=True)
class PolicyModel:
    """A model: a TenantModel or a plain Model with these fields; ``bare``: an object exposing no field metadata."""

    fields: tuple[PolicyField, ...]
    tenant_model: bool = False
    ai_allow: bool | None = None  # the class attribute ai_allow (None: absent)
    bare: bool = False


@dataclass(frozen=True)
class PrincipalSpec:
    """A principal: its kind (anonymous, user, ai_agent, mcp, system), tenant, scopes, audience metadata, expiry."""

    kind: str
    tenant: str | None = None
    scopes: tuple[str, ...] = ()
    audience: tuple[tuple[str, str], ...] = ()  # metadata entries: ("audience", x) and/or ("aud", y)
    expired: bool = False  # expires_at an hour ago (False: none, or an hour ahead when ``expires``)
    expires: bool = False


@dataclass(frozen=True)
class ResourceSpec:
    """What ``can`` is asked about: nothing, the model class, an instance of it, or a plain row object."""

    kind: str  # none | model | instance | row
    tenant: str | None = None  # the instance's/row's tenant_id
    ai_allow: bool | None = None  # the row's ai_allow attribute (None: absent)


@dataclass(frozen=True)
class PolicyContext:
    """The trusted context a caller passes to the engine (None/False/empty: not passed)."""

    required_scopes: tuple[str, ...] = ()
    required_audience: str | None = None
    tenant_required: bool = False
    tenant_id: str | None = None
    route_permission_granted: bool | None = None


@dataclass(frozen=True)
class PolicyCase:
    """One principal x action x model x resource x context x payload(s), and the enforcement helper to ask."""

    principal: PrincipalSpec
    action: str
    model: PolicyModel
    resource: ResourceSpec
    context: PolicyContext
    payload: Any  # a mapping (most often), or a list/str/None/int
    helper: str  # payload | request | bulk | upsert
    request: str  # how the request of the ``request`` helper carries the principal (REQUEST_SHAPES)
    batch: Any = ()  # bulk: the items (or a non-sequence); upsert: the update payload (or None)
    conflict_target: tuple[Any, ...] = ()


@lru_cache(maxsize=None)
def policy_fields() -> st.SearchStrategy[PolicyField]:
    """A field with any combination of the policy flags, named plainly or as a tenant marker."""
    flags = st.just(()) | st.lists(st.sampled_from(POLICY_FLAGS), min_size=1, max_size=2, unique=True).map(tuple)
    return st.one_of(
        st.builds(PolicyField, st.sampled_from(PLAIN_FIELDS), flags),
        st.builds(PolicyField, st.sampled_from(JSON_FIELDS), flags, st.just(True)),
        st.builds(PolicyField, st.sampled_from(TENANT_MARKERS[1:]), flags),
    )


@lru_cache(maxsize=None)
def policy_models() -> st.SearchStrategy[PolicyModel]:
    """A model whose fields cover every policy flag and tenant marker (or a bare object with no field metadata)."""
    models = st.builds(
        PolicyModel,
        st.lists(policy_fields(), max_size=5, unique_by=lambda f: f.name).map(tuple),
        tenant_model=st.booleans(), ai_allow=st.sampled_from((None, True, False)))
    return st.one_of(models, models, models, st.just(PolicyModel(fields=(), bare=True)))


@lru_cache(maxsize=None)
def principal_specs() -> st.SearchStrategy[PrincipalSpec]:
    """Every principal kind, tenant-bound or not, with scopes, audience metadata and a past or future expiry."""
    audience = st.lists(st.tuples(st.sampled_from(("audience", "aud")), st.sampled_from(AUDIENCES)), max_size=2,
                        unique_by=lambda kv: kv[0]).map(tuple)
    tenant = st.sampled_from((None, *TENANTS))
    return st.one_of(
        st.just(PrincipalSpec("anonymous")),
        st.builds(PrincipalSpec, st.sampled_from(("user", "ai_agent", "mcp", "system")), tenant,
                  st.lists(st.sampled_from(POLICY_GRANTS), max_size=2, unique=True).map(tuple), audience,
                  st.sampled_from((False, False, False, True)), st.booleans()),
    )


@lru_cache(maxsize=None)
def policy_contexts() -> st.SearchStrategy[PolicyContext]:
    """The engine's context (none half the time): required scopes and audience, tenant_required, an explicit
    tenant, the route gate."""
    return st.just(PolicyContext()) | st.builds(
        PolicyContext,
        required_scopes=st.sampled_from(((),) * 3 + tuple((s,) for s in POLICY_REQUIRED) + (POLICY_REQUIRED[:2],)),
        required_audience=st.sampled_from((None, None, *AUDIENCES)),
        tenant_required=st.booleans(),
        tenant_id=st.sampled_from((None, None, *TENANTS)),
        route_permission_granted=st.sampled_from((None, True, False)),
    )


@lru_cache(maxsize=None)
def _nested(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A JSON value that often hides one of ``names`` as a key in a nested mapping or list (shallow)."""
    scalar = st.sampled_from((1, "x", None, True))
    key = st.sampled_from(names + ("a",)) if names else st.just("a")
    leaf = scalar | st.dictionaries(key, scalar, min_size=1, max_size=2)
    return st.recursive(leaf, lambda inner: st.lists(inner, min_size=1, max_size=2)
                        | st.dictionaries(key, inner, min_size=1, max_size=2), max_leaves=4)


_ONE_IN_20 = st.integers(0, 19)
_NON_MAPPINGS = st.sampled_from(([], "title=x", None, 7, [("title", "x")]))
_SCALARS = st.sampled_from(("x", 3, None))


@lru_cache(maxsize=512)
def payload_for(model: PolicyModel) -> st.SearchStrategy[Any]:
    """A write payload for ``model``: known, unknown, server and tenant keys, JSON values hiding protected names;
    sometimes not a mapping at all."""
    return _payload_for(model)


@lru_cache(maxsize=512)
def _payload_parts(model: PolicyModel) -> tuple[st.SearchStrategy[Any], frozenset[str], st.SearchStrategy[Any]]:
    names = tuple(f.name for f in model.fields) + (("tenant_id",) if model.tenant_model else ())
    keys = st.sampled_from(names + SYSTEM_NAMES[:1] + UNKNOWN_KEYS[:1]) if names else \
        st.sampled_from(PLAIN_FIELDS + UNKNOWN_KEYS)
    return (st.lists(keys, max_size=4, unique=True), frozenset(f.name for f in model.fields if f.json),
            _nested(names + SYSTEM_NAMES[1:2]))


@st.composite
def _payload_for(draw: st.DrawFn, model: PolicyModel) -> Any:
    if draw(_ONE_IN_20) == 0:
        return draw(_NON_MAPPINGS)
    keys, json_names, nested = _payload_parts(model)
    return {key: draw(nested) if key in json_names else draw(_SCALARS) for key in draw(keys)}


_RESOURCE_KINDS = st.sampled_from(("none", "model", "instance", "row"))
_TENANT_OR_NONE = st.sampled_from((None, *TENANTS))
_AI_ALLOW = st.sampled_from((None, True, False))
_HELPERS = st.sampled_from(HELPERS)
_ACTIONS = st.sampled_from(STANDARD_ACTIONS + STANDARD_ACTIONS[:6] + UNKNOWN_ACTIONS)
_REQUESTS = st.sampled_from(REQUEST_SHAPES)
_BULK_ODD = st.sampled_from(("title", None, {"title": "x"}))


@lru_cache(maxsize=512)
def _helper_parts(model: PolicyModel) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    items = payload_for(model)
    targets = tuple(f.name for f in model.fields) + ("id", "nope", 3)
    return (st.one_of(st.lists(items, max_size=3).map(tuple), _BULK_ODD), st.none() | items,
            st.lists(st.sampled_from(targets), max_size=2).map(tuple))


@st.composite
def policy_cases(draw: st.DrawFn) -> PolicyCase:
    """A PolicyEngine question and an enforcement helper call over one generated model (module docstring)."""
    model = draw(policy_models())
    resource_kind = draw(_RESOURCE_KINDS)
    resource = ResourceSpec(resource_kind, tenant=draw(_TENANT_OR_NONE) if resource_kind != "model" else None,
                            ai_allow=draw(_AI_ALLOW) if resource_kind == "row" else None)
    helper = draw(_HELPERS)
    bulk, update, targets = _helper_parts(model)
    batch: Any = draw(bulk) if helper == "bulk" else draw(update) if helper == "upsert" else ()
    return PolicyCase(
        principal=draw(principal_specs()), action=draw(_ACTIONS), model=model, resource=resource,
        context=draw(policy_contexts()), payload=draw(payload_for(model)), helper=helper, request=draw(_REQUESTS),
        batch=batch, conflict_target=draw(targets) if helper == "upsert" else (),
    )
