"""The platform app's authentication adapter over Aksara's own identity machinery.

Aksara's layers run first, outermost to innermost:

- ``AIAgentMiddleware`` (installed by Aksara when ``ai_agent_token`` is set): a server-side
  agent presenting the shared ``X-Aksara-AI-Token`` is marked ``is_ai_agent`` and given
  Aksara's ``principal_from_request`` principal, which the app then replaces with the
  server-owned MCP identity that token selects (``Principal.for_mcp_agent``, as the MCP
  tutorial's adapter does: scopes, tenant, owner, token id, expiry and audience);
- ``AdminSessionMiddleware`` (``aksara.contrib.admin``): the ``session_token`` cookie of an
  ``aksara.contrib.auth`` session becomes ``request.state.user`` (a contrib ``User``);
- ``TenantMiddleware``: the ``X-Tenant-Id`` header becomes ``request.state.tenant_id``.

Then :class:`MembershipMiddleware`, the application's part (the authentication guide:
"Verify identity and membership before establishing trusted tenant context"): a tenant
selected by header must be one the user's account belongs to (the membership lives in the
contrib user's ``metadata``), cookie-authenticated writes need the ``X-Requested-With``
header (a CSRF guard: the app owns CSRF for cookie writes), and a bearer token is an HMAC
agent token whose claims become a principal through Aksara's ``principal_from_mcp_claims``.
It attaches the canonical Principal (``principal_from_user`` for accounts), the
user-shaped state and the tenant context variable.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, NamedTuple

from aksara.ai.auth import verify_agent_token
from aksara.middleware.context import tenant_id_var, user_id_var
from aksara.security.context import principal_from_mcp_claims, principal_from_user
from aksara.security.principal import Principal
from starlette.requests import Request

CSRF_HEADER = "x-requested-with"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Refusal(NamedTuple):
    """The response that refuses a request before it reaches the app."""

    status: int
    body: bytes


def _error(status: int, message: str, kind: str) -> Refusal:
    return Refusal(status, json.dumps({"error": {"status": status, "message": message, "type": kind}}).encode())


def membership(user: Any) -> tuple[str | None, tuple[str, ...]]:
    """The tenant and roles a contrib user's account holds (server-side state, never the request)."""
    meta = getattr(user, "metadata", None)
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = None
    meta = meta if isinstance(meta, dict) else {}
    tenant = meta.get("tenant_id")
    roles = meta.get("roles") or ()
    return (str(tenant) if tenant else None), tuple(str(r) for r in roles if isinstance(r, str))


class MembershipMiddleware:
    """Pure ASGI: turn Aksara's session user, tenant header and agent state into one trusted identity."""

    def __init__(self, app: Any, agent_secret: str, shared_agent: dict[str, Any]):
        self.app = app
        self.agent_secret = agent_secret
        self.shared_agent = shared_agent  # the identity behind ai_agent_token: agent id, tenant, scopes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = scope.setdefault("state", {})
        resolved = self.resolve(request, state)
        if isinstance(resolved, Refusal):
            status, body = resolved
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        principal, user = resolved
        state["principal"] = principal
        state["user"] = user
        state["is_ai_agent"] = principal.is_ai_agent
        state["tenant_id"] = principal.tenant_id
        state["auth_method"] = principal.auth_method
        tenant_token = tenant_id_var.set(principal.tenant_id)
        user_token = user_id_var.set(principal.user_id)
        try:
            await self.app(scope, receive, send)
        finally:
            user_id_var.reset(user_token)
            tenant_id_var.reset(tenant_token)

    def resolve(self, request: Request, state: dict) -> tuple[Principal, Any] | Refusal:
        """The caller's principal and user object, or the error response that refuses the request."""
        selected = state.get("tenant_id")  # TenantMiddleware: the client's choice, not yet trusted
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme:
            if scheme.lower() != "bearer" or token.count(".") != 2:
                return _error(401, "Invalid or expired credentials", "authentication_error")
            try:
                claims = verify_agent_token(token.strip(), self.agent_secret)
            except Exception:  # noqa: BLE001 - any verification failure is "invalid"
                return _error(401, "Invalid or expired credentials", "authentication_error")
            if not isinstance(claims, dict):
                return _error(401, "Invalid or expired credentials", "authentication_error")
            principal = principal_from_mcp_claims(claims)
            if selected is not None and str(selected) != str(principal.tenant_id):
                return _error(403, "The selected tenant is not this token's tenant", "permission_denied")
            return principal, _user_shape(principal)
        earlier = state.get("principal")
        if isinstance(earlier, Principal) and earlier.is_ai_agent:
            # AIAgentMiddleware verified the shared agent token; the token selects a server-owned MCP
            # identity (ai-mode/mcp.md: agent id, owner, tenant, token id, expiry, audience, narrow scopes)
            agent = self.shared_agent
            if selected is not None and str(selected) != agent["tenant_id"]:
                return _error(403, "The selected tenant is not this agent's tenant", "permission_denied")
            principal = Principal.for_mcp_agent(
                token_id=agent["token_id"], human_owner_id=agent["owner_id"], agent_id=agent["agent_id"],
                tenant_id=agent["tenant_id"], scopes=list(agent["scopes"]), expires_at=agent["expires_at"],
                metadata={"audience": agent["audience"]})
            return principal, _user_shape(principal)
        user = state.get("user")
        if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return Principal.anonymous(), None
        if request.method.upper() in UNSAFE and not request.headers.get(CSRF_HEADER):
            return _error(403, "Cookie-authenticated writes need the X-Requested-With header", "permission_denied")
        tenant, roles = membership(user)
        if selected is not None and str(selected) != str(tenant):
            return _error(403, "The selected tenant is not one of this account's tenants", "permission_denied")
        staff_roles = tuple(r for r, flag in (("staff", user.is_staff), ("admin", user.is_superuser)) if flag)
        principal = principal_from_user(user, tenant_id=tenant, roles=roles + staff_roles, auth_method="session")
        return principal, user


def _user_shape(principal: Principal) -> Any:
    """The user-shaped state permission classes read, for a token principal."""
    return SimpleNamespace(id=principal.user_id or principal.agent_id, is_authenticated=principal.is_authenticated,
                           is_active=principal.is_authenticated, is_staff=False, is_superuser=False)
