"""An app whose own permission class reads the roles of the principal its middleware resolves (the pattern
of Aksara's tenancy tutorial): an editor may write, a reader may only read. Its middleware also resolves an
MCP-agent principal the way the MCP tutorial does (``request.state.principal`` only)."""

from __future__ import annotations

import os
from types import SimpleNamespace

from starlette.middleware.base import BaseHTTPMiddleware

from aksara import Aksara, Model, ModelViewSet, fields, include_viewset
from aksara.permissions import BasePermission, IsAuthenticated
from aksara.security.principal import Principal

TOKENS = {"editor-token-1": ("editor-1", "editor"), "reader-token-2": ("reader-1", "reader")}
AGENT_TOKEN = "agent-token-3"


class RoleNote(Model):
    text = fields.String(max_length=40)

    class Meta:
        table_name = "role_notes"


class EditorsWrite(BasePermission):
    message = "Writing needs the editor role"

    def has_permission(self, request, view=None):
        principal = getattr(request.state, "principal", None)
        if request.method.upper() in ("GET", "HEAD", "OPTIONS"):
            return True
        return isinstance(principal, Principal) and principal.has_role("editor")


class RoleNoteViewSet(ModelViewSet):
    model = RoleNote
    prefix = "/api/role-notes"
    permission_classes = [IsAuthenticated, EditorsWrite]
    ai_exposed = False
    stream_enabled = False


class TokenMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        user = TOKENS.get(token) if scheme.lower() == "bearer" else None
        if token == AGENT_TOKEN and scheme.lower() == "bearer":  # an MCP agent, as the MCP tutorial resolves one
            principal = Principal.for_mcp_agent(token_id="notes-agent", human_owner_id="editor-1",
                                                agent_id="notes-client", roles=("editor",), scopes=("mcp:read:rolenote",))
        else:
            principal = (Principal.for_user(user[0], roles=(user[1],), auth_method="api_key")
                         if user else Principal.anonymous())
        request.state.principal = principal
        request.state.user = SimpleNamespace(id=principal.user_id, is_authenticated=principal.is_authenticated,
                                             is_active=principal.is_authenticated, is_staff=False, is_superuser=False)
        return await call_next(request)


app = Aksara(database_url=os.environ["DATABASE_URL"], title="roles app")
include_viewset(app, RoleNoteViewSet)
app.add_middleware(TokenMiddleware)
