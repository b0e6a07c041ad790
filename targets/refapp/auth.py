"""Bearer-token authentication for the reference app (Aksara resolves no credentials itself).

Static tokens identify human users, staff and the system principal; AI/MCP agents
present HMAC agent tokens (``aksara.ai.auth``) whose claims become an MCP principal.
The middleware sets everything Aksara reads: ``request.state.principal``, ``user``,
``is_ai_agent``, ``tenant_id``, ``auth_method`` and the tenant context variable that
drives PostgreSQL row-level security. A bearer token that does not verify gets a
401 in Aksara's JSON error envelope.

Where the release has Aksara's request resolvers (``aksara.security.context``,
``aksara.security.adapters``), the middleware does what its docs ask of an authentication
adapter and no more: it attaches the verified user-shaped state (``user``, ``tenant_id``,
``auth_method``) and lets Aksara's ``principal_from_request`` build the canonical principal
from it (``principal_from_user``: roles from ``is_superuser``/``is_staff``), written back with
``annotate_request_state``. Agent tokens keep ``principal_from_mcp_claims`` (their scopes
and audience are in the claims, which request state does not carry); the system and
anonymous principals come from ``aksara.security.context`` as well.

Releases without ``aksara.security`` (before 0.5.50) have no ``Principal``: there the
app's own :class:`AppPrincipal` carries the same facts and Aksara reads
``request.state.user`` / ``is_ai_agent`` / ``tenant_id`` as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from aksara.ai.auth import verify_agent_token
from aksara.context_state import tenant_id_var
from aksara.identity import AnonymousUser

from targets import features


@dataclass(frozen=True)
class AppPrincipal:
    """The app's own principal where the release has no ``aksara.security.principal``."""

    kind: str
    id: str | None = None
    tenant_id: str | None = None
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    auth_method: str = "anonymous"

    @property
    def is_ai_agent(self) -> bool:
        return self.kind == "ai_agent"


def _principal_class() -> Any:
    if features.has("principal"):
        from aksara.security.principal import Principal

        return Principal
    return None


def aksara_resolves() -> bool:
    """Whether the release resolves principals from request state (``principal_from_request``)."""
    return features.has("request_principal")


def anonymous_principal() -> Any:
    if aksara_resolves():
        from aksara.security.context import anonymous_principal as aksara_anonymous

        return aksara_anonymous()
    principal_cls = _principal_class()
    return principal_cls.anonymous() if principal_cls else AppPrincipal("anonymous")


def user_principal(user_id: str, tenant_id: str | None, roles: tuple[str, ...]) -> Any:
    principal_cls = _principal_class()
    if principal_cls:
        return principal_cls.for_user(user_id, tenant_id=tenant_id, roles=roles, auth_method="jwt")
    return AppPrincipal("user", user_id, tenant_id, roles, auth_method="jwt")


def system_principal(tenant_id: str | None) -> Any:
    if aksara_resolves():
        from aksara.security.context import system_principal as aksara_system

        return aksara_system("aksara-fuzz system principal", tenant_id=tenant_id)
    principal_cls = _principal_class()
    if principal_cls:
        return principal_cls.system("aksara-fuzz system principal", tenant_id=tenant_id)
    return AppPrincipal("system", "system", tenant_id, ("system",), auth_method="system")


def agent_principal(claims: dict[str, Any]) -> Any:
    """Aksara's mapping of MCP token claims to a principal, or the same facts read directly."""
    if features.has("mcp_claims"):
        from aksara.security.context import principal_from_mcp_claims

        return principal_from_mcp_claims(claims)
    scopes = claims.get("scopes") or ()
    roles = claims.get("roles") or ()
    return AppPrincipal("ai_agent", str(claims.get("agent_id") or claims.get("sub")), claims.get("tenant_id"),
                        tuple(roles) if isinstance(roles, (list, tuple)) else (),
                        tuple(scopes) if isinstance(scopes, (list, tuple)) else (), auth_method="agent_token")


@dataclass(frozen=True)
class FuzzUser:
    """The user object permission classes read (``is_authenticated``, ``is_staff``)."""

    id: str
    tenant_id: str | None
    is_staff: bool = False
    is_superuser: bool = False
    is_active: bool = True
    is_authenticated: bool = True


@dataclass(frozen=True)
class Identity:
    principal: Any
    user: Any
    tenant_id: str | None
    # the principal is Aksara's to resolve from the request state this identity attaches
    # (``principal`` is then what that resolution gives, for callers outside a request)
    from_state: bool = False


def anonymous_identity() -> Identity:
    return Identity(anonymous_principal(), AnonymousUser(), None)


def identity_for_user(user_id: str, tenant_id: str | None, staff: bool) -> Identity:
    user = FuzzUser(user_id, tenant_id, is_staff=staff, is_superuser=staff)
    if aksara_resolves():
        from aksara.security.context import principal_from_user

        return Identity(principal_from_user(user, tenant_id=tenant_id, auth_method="jwt"), user, tenant_id,
                        from_state=True)
    principal = user_principal(user_id, tenant_id, ("staff",) if staff else ("user",))
    return Identity(principal, user, tenant_id)


def identity_for_system(tenant_id: str | None = None) -> Identity:
    principal = system_principal(tenant_id)
    user = FuzzUser("system", tenant_id, is_staff=True, is_superuser=True)
    return Identity(principal, user, tenant_id)


def identity_for_agent_claims(claims: dict[str, Any]) -> Identity:
    principal = agent_principal(claims)
    user = FuzzUser(str(claims.get("sub") or claims.get("agent_id")), principal.tenant_id)
    return Identity(principal, user, principal.tenant_id)


class TokenResolver:
    """Maps a bearer token to an :class:`Identity`; ``None`` means the token is invalid."""

    def __init__(self, static: dict[str, Identity], agent_secret: str, clock_skew: int = 0):
        self.static = static
        self.agent_secret = agent_secret
        self.clock_skew = clock_skew
        self.anonymous = anonymous_identity()

    def __call__(self, token: str) -> Identity | None:
        if token in self.static:
            return self.static[token]
        if token.count(".") != 2:
            return None
        try:
            claims = verify_agent_token(token, self.agent_secret, clock_skew_seconds=self.clock_skew)
        except Exception:  # noqa: BLE001 - any verification failure is "invalid"
            return None
        if not isinstance(claims, dict):
            return None
        return identity_for_agent_claims(claims)


_UNAUTHORIZED = json.dumps(
    {"error": {"status": 401, "message": "Invalid or expired credentials", "type": "authentication_error"}}
).encode()


class BearerAuthMiddleware:
    """Pure ASGI middleware resolving ``Authorization: Bearer <token>`` into request state."""

    def __init__(self, app: Any, resolver: Callable[[str], Identity | None], session_prefixes: tuple[str, ...] = (),
                 own_auth_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.resolver = resolver
        # admin: the session cookie Aksara's admin middleware resolved is the credential there
        self.session_prefixes = tuple(p.rstrip("/") for p in session_prefixes)
        # Studio: checks its own bearer token; one this app does not know is left to it (anonymous here)
        self.own_auth_prefixes = tuple(p.rstrip("/") for p in own_auth_prefixes)
        self.anonymous = getattr(resolver, "anonymous", None) or anonymous_identity()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        identity = self.anonymous
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                raw = value.decode("latin-1")
                scheme, _, token = raw.partition(" ")
                resolved = self.resolver(token.strip()) if scheme.lower() == "bearer" else None
                if resolved is None and _under(scope.get("path", ""), self.own_auth_prefixes):
                    break
                if resolved is None:
                    await _reject(send)
                    return
                identity = resolved
                break
        state = scope.setdefault("state", {})
        if identity is self.anonymous and self._session_path(scope.get("path", "")):
            identity = session_identity(state.get("user")) or identity
        principal = identity.principal
        state["user"] = identity.user
        state["is_ai_agent"] = principal.is_ai_agent
        state["tenant_id"] = identity.tenant_id
        state["auth_method"] = principal.auth_method
        if identity.from_state and scope["type"] == "http":
            state.pop("principal", None)
            resolve_principal(scope)
        else:
            state["principal"] = principal
        token = tenant_id_var.set(identity.tenant_id)
        try:
            await self.app(scope, receive, send)
        finally:
            tenant_id_var.reset(token)


    def _session_path(self, path: str) -> bool:
        """Whether ``path`` is under a prefix where the admin's session cookie is the credential."""
        return _under(path, self.session_prefixes)


def resolve_principal(scope: dict) -> Any:
    """Aksara's principal for the verified state already in ``scope``, written back to the request state."""
    from aksara.security.adapters import annotate_request_state
    from aksara.security.context import principal_from_request
    from starlette.requests import Request

    request = Request(scope)
    principal = principal_from_request(request)
    annotate_request_state(request, principal)
    return principal


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def session_identity(user: Any) -> Identity | None:
    """The identity of a user Aksara's admin session middleware resolved from ``session_token``, if any."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return None
    staff = bool(getattr(user, "is_staff", False))
    return Identity(user_principal(str(user.id), None, ("staff",) if staff else ("user",)), user, None)


async def _reject(send: Any) -> None:
    await send({
        "type": "http.response.start",
        "status": 401,
        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
    })
    await send({"type": "http.response.body", "body": _UNAUTHORIZED})
