"""Inputs of Aksara's in-process security primitives: permission expressions over callers, and MCP token claims.

- :func:`permission_cases`: a route's declared permission list (Aksara's own classes, composed with
  ``&``/``|`` or ``AND``/``OR`` to any depth, as classes or instances) x a caller's server-side request
  state x an HTTP method x an object with owner fields (or none). Hostile classes reached: a missing,
  anonymous, inactive, staff-but-unauthenticated or id-less user; a truthy but non-``True`` AI flag; a
  tenant or Authorization header a client sent; request objects of the three documented shapes
  (Starlette ``request.state``, Django-style ``request.user``, neither); a pre-resolved principal or a
  look-alike that is not one; objects whose first populated owner field is someone else's.
- :func:`claim_mappings`: raw MCP claim mappings with every alias Aksara reads (``sub``/``user_id``,
  ``jti``/``token_id``, ``aud``/``audience``, ``scope``/``scopes`` as a list or a space-separated string),
  ``exp``/``iat`` of every class of :func:`strategies.tokens.exp_claims`, empty values and extra keys.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """A matrix document (:func:`strategies.matrix.matrices`) and where it is placed for the loader."""
    from strategies.matrix import matrices

    return st.tuples(matrices(), st.sampled_from(("explicit", "explicit", "env", "explicit_missing", "env_missing")))
