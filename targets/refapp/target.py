"""The reference Aksara app as a Target, in two profiles.

``hardened`` is Aksara's documented production profile: the app connects as a
restricted role (``NOSUPERUSER NOBYPASSRLS``, not the table owner) with
``FORCE ROW LEVEL SECURITY`` on tenant tables, and MCP tokens must carry the
service audience and a tenant. ``defaults`` is what a new project gets: the app
connects as the table owner (row-level security does not apply to it) and no
audience is configured.

The schema comes from Aksara's own migration autodetector, generated and
applied from Python; seed data is deterministic (faker with a fixed seed).

The target adapts to the installed release by feature detection (``targets.features``):
MCP is enabled only where Aksara has it (``info.mcp_path`` is ``None`` otherwise), and
settings the release's ``Settings`` does not accept are left out.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from targets import features
from targets.base import PrincipalSpec, TargetInfo, describe_viewset
from targets.reference import ReferenceTarget, ensure_rls, migrate, new_app
from targets.refapp import admin as refapp_admin
from targets.refapp import seed

TENANT_A = "a0000000-0000-4000-8000-00000000000a"
TENANT_B = "b0000000-0000-4000-8000-00000000000b"
AGENT_SECRET = "aksara-fuzz-agent-hmac-secret-7f3e9c1d2b8a4e6f"
SECRET_KEY = "aksara-fuzz-refapp-secret-key-3c9f1e7a5b2d8c4e6a0f"
APPROVAL_SECRET = "aksara-fuzz-approval-secret-5d1a9e3c7b4f2e8a"
AUDIENCE = "aksara-fuzz-refapp"
APP_ROLE = "aksara_fuzz_app"
APP_PASSWORD = "aksara-fuzz-app-password-9b7d5f3a1c"

STATIC_TOKENS = {
    "user_a": "tok-user-a-5f1c",
    "staff_a": "tok-staff-a-8e2d",
    "user_b": "tok-user-b-3a7b",
    "user_no_tenant": "tok-user-none-9c4e",
    "system": "tok-system-2d6f",
}
READ_SCOPES = ("mcp:read:ticket", "mcp:read:comment", "mcp:read:category")
WRITE_SCOPES = READ_SCOPES + ("mcp:write:ticket", "mcp:write:comment")


class RefappTarget(ReferenceTarget):
    """The reference app; ``profile`` is ``hardened`` or ``defaults``."""

    agent_secret, audience, default_tenant = AGENT_SECRET, AUDIENCE, TENANT_A
    app_role, app_password = APP_ROLE, APP_PASSWORD

    def __init__(self, profile: str = "hardened"):
        super().__init__(profile)
        from targets.refapp.views import build_viewsets

        self.viewsets = build_viewsets()
        self.mcp = features.has("mcp")
        self._agent_tokens = {
            "agent_read": self.agent_token("agent-read", READ_SCOPES),
            "agent_write": self.agent_token("agent-write", WRITE_SCOPES),
        }
        self.info = TargetInfo(
            name="refapp",
            profile=profile,
            resources=tuple(declared(describe_viewset(v), v) for v in self.viewsets),
            principals=self._principals(),
            tenants={"A": TENANT_A, "B": TENANT_B},
            health_path="/health",
            mcp_path="/mcp/" if self.mcp else None,
            public_paths=("/health", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect", "/"),
            # Categories are a public catalogue: anyone reads, staff writes (StaffWritesOthersRead, and
            # OperationPermission(allow=["read"]) | IsAdminUser() on /catalog).
            public_routes=(("GET", "/categories/"), ("GET", "/categories/{pk}"),
                           ("GET", "/catalog/"), ("GET", "/catalog/{pk}")),
            secrets=(AGENT_SECRET, SECRET_KEY, APPROVAL_SECRET, APP_PASSWORD,
                     refapp_admin.STUDIO_SECRET_TOKEN, refapp_admin.STUDIO_AUTH_TOKEN,
                     refapp_admin.STAFF_LOGIN["password"],
                     *(token for _, token in refapp_admin.SESSION_USERS.values())),
            console_principals=self._console_principals(),
            admin_prefixes=(refapp_admin.ADMIN_PREFIX,) if features.has("admin_site") else (),
            studio_allowed_origins=(refapp_admin.STUDIO_ORIGIN,) if profile == "hardened" else (),
        )

    # -- credentials -----------------------------------------------------------------
    def _principals(self) -> tuple[PrincipalSpec, ...]:
        def bearer(token: str) -> tuple[tuple[str, str], ...]:
            return (("authorization", f"Bearer {token}"),)

        return (
            PrincipalSpec("anonymous", "anonymous"),
            PrincipalSpec("user_a", "user", "A", bearer(STATIC_TOKENS["user_a"])),
            PrincipalSpec("staff_a", "staff", "A", bearer(STATIC_TOKENS["staff_a"])),
            PrincipalSpec("user_b", "user", "B", bearer(STATIC_TOKENS["user_b"])),
            PrincipalSpec("user_no_tenant", "user", None, bearer(STATIC_TOKENS["user_no_tenant"])),
            PrincipalSpec("agent_read", "ai_agent", "A", bearer(self._agent_tokens["agent_read"]), READ_SCOPES),
            PrincipalSpec("agent_write", "ai_agent", "A", bearer(self._agent_tokens["agent_write"]), WRITE_SCOPES),
            PrincipalSpec("system", "system", None, bearer(STATIC_TOKENS["system"])),
        )

    def _console_principals(self) -> tuple[PrincipalSpec, ...]:
        """A staff and an ordinary user holding Aksara's ``session_token`` cookie (admin and Studio sessions),
        and, where the profile configures it, Studio's own bearer token."""
        if not features.has("admin_site"):
            return ()
        specs = [PrincipalSpec(name, "staff" if refapp_admin.SESSION_USERS[email][0] else "user", None,
                               refapp_admin.session_cookie(email))
                 for name, email in refapp_admin.SESSION_PRINCIPALS.items()]
        if self.profile == "hardened" and features.has("studio"):
            specs.append(PrincipalSpec("studio_token", "console_token", None,
                                       (("authorization", f"Bearer {refapp_admin.STUDIO_AUTH_TOKEN}"),)))
        return tuple(specs)

    def session_prefixes(self) -> tuple[str, ...]:
        """Where the app takes Aksara's admin session cookie as its credential: the admin only."""
        return self.info.admin_prefixes

    def console_login(self) -> dict[str, str] | None:
        """Username and password of the staff account for the admin's login form."""
        return dict(refapp_admin.STAFF_LOGIN) if features.has("admin_site") else None

    def resolver(self):
        from targets.refapp.auth import TokenResolver, identity_for_system, identity_for_user

        static = {
            STATIC_TOKENS["user_a"]: identity_for_user("user-a", TENANT_A, staff=False),
            STATIC_TOKENS["staff_a"]: identity_for_user("staff-a", TENANT_A, staff=True),
            STATIC_TOKENS["user_b"]: identity_for_user("user-b", TENANT_B, staff=False),
            STATIC_TOKENS["user_no_tenant"]: identity_for_user("user-none", None, staff=False),
            STATIC_TOKENS["system"]: identity_for_system(),
        }
        return TokenResolver(static, AGENT_SECRET)

    # -- settings and app ------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """The settings this profile wants, less the keywords the installed ``Settings`` refuses."""
        hardened = self.profile == "hardened"
        wanted = dict(
            debug=False,
            tasks_enabled=False,
            mcp_enabled=self.mcp,
            mcp_require_scoped_tokens=True,
            mcp_token_audience=AUDIENCE if hardened else None,
            mcp_approval_secret=APPROVAL_SECRET,
        )
        if hardened:
            # request records as dictionaries, as Aksara's logging guide configures them (docs/middleware/logging.md)
            wanted.update(log_requests=True, log_json=True)
        wanted.update(refapp_admin.studio_settings(self.profile))
        return features.supported_settings(wanted)

    def configure(self) -> None:
        import aksara

        aksara.configure(**self.settings())
        logging.getLogger("httpx").setLevel(logging.ERROR)  # Aksara's and MCP's loggers are heard (targets.logs)

    def middlewares(self) -> list[tuple[Any, dict[str, Any]]]:
        """The app's middleware stack, outermost first.

        ``hardened`` mounts Aksara's own request-context middleware the way its docs place them
        (docs/middleware/): request id, tenant selection, locale and timezone outside the bearer
        middleware, which establishes the trusted principal and tenant context after them (a
        client's tenant header is a selection, never the tenant: docs/middleware/tenant.md), and
        request logging inside it, so its records carry the trusted context. ``defaults``: the
        bearer middleware alone.
        """
        from targets.refapp.auth import BearerAuthMiddleware

        auth = (BearerAuthMiddleware, {"resolver": self.resolver(),
                                       "session_prefixes": self.session_prefixes(),
                                       "own_auth_prefixes": (refapp_admin.STUDIO_PREFIX,)})
        if self.profile != "hardened":
            return [auth]
        outer, inner = context_middlewares()
        return outer + [auth] + inner

    def build_app(self, dsn: str) -> Any:
        self.configure()
        app = new_app(dsn, self.middlewares())
        app.register_viewsets(self.viewsets)
        from targets.refapp.models import MODELS
        from targets.refapp.views import document_action_bodies

        document_action_bodies(app)

        refapp_admin.mount_admin(app, list(MODELS.values()))
        return app

    # -- database -----------------------------------------------------------------------
    async def prepare_database(self, conn: Any, server: Any, database: str) -> None:
        """Create the schema with Aksara's migrations, apply the profile's DB posture, seed."""
        from targets.refapp.models import MODELS

        await migrate(conn, MODELS, [m.__tablename__ for m in MODELS.values()])
        tenant_tables = [m.__tablename__ for m in MODELS.values() if "tenant_id" in m._fields]
        if self.profile == "hardened":
            await self.grant_app_role(conn, database)
            if not features.has("startup_ddl_guard"):
                # The release runs CREATE TABLE IF NOT EXISTS at every start, which needs CREATE
                # on the schema even when the table exists, and then writes its content-type
                # table, created after this (see docs/release-triage.md).
                await conn.execute(f"GRANT CREATE ON SCHEMA public TO {APP_ROLE}")
                await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                                   f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
                await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
            for table in tenant_tables:
                await ensure_rls(conn, table)
                await conn.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        await seed.insert_seed(conn, {"A": TENANT_A, "B": TENANT_B})
        await refapp_admin.seed_sessions(conn, APP_ROLE if self.profile == "hardened" else None)


def declared(spec: Any, viewset: type) -> Any:
    """``spec`` with what the viewset's code says and its metadata cannot: its bulk create route."""
    bulk = getattr(viewset, "bulk_create", None)
    if bulk is None:
        return spec
    path = next((a.path for a in spec.actions if a.name == "bulk_create"), None)
    return dataclasses.replace(spec, bulk_create_path=path)


def context_middlewares() -> tuple[list[tuple[Any, dict[str, Any]]], list[tuple[Any, dict[str, Any]]]]:
    """Aksara's request-context middleware present in the installed release: (outside auth, inside auth).

    Options as the docs' examples pass them: the tenant from the header or else the host's first
    label (docs/middleware/tenant.md), locales and timezone default from the settings
    (docs/advanced/internationalization-and-timezones.md); every header name is the default.
    """
    import aksara.middleware as middleware
    from aksara.conf import settings

    options = {
        "RequestIDMiddleware": {},
        "TenantMiddleware": {"use_subdomain": True},  # docs/middleware/tenant.md: the host's first label as well
        "LocaleMiddleware": {"supported_locales": ["en", "fr", "de"], "default_locale": "en"},
        "TimezoneMiddleware": {"default_timezone": getattr(settings, "time_zone", "UTC") or "UTC"},
        "LoggingMiddleware": {},
    }
    present = {name: (getattr(middleware, name), kwargs) for name, kwargs in options.items()
               if hasattr(middleware, name)}
    outer = [present[n] for n in ("RequestIDMiddleware", "TenantMiddleware", "LocaleMiddleware",
                                  "TimezoneMiddleware") if n in present]
    inner = [present[n] for n in ("LoggingMiddleware",) if n in present]
    return outer, inner
