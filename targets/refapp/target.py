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

import logging
import tempfile
from pathlib import Path
from typing import Any

from targets import features
from targets.base import PrincipalSpec, TargetInfo, describe_viewset
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
PROFILES = ("hardened", "defaults")
AGENT_TTL_SECONDS = 24 * 3600

STATIC_TOKENS = {
    "user_a": "tok-user-a-5f1c",
    "staff_a": "tok-staff-a-8e2d",
    "user_b": "tok-user-b-3a7b",
    "user_no_tenant": "tok-user-none-9c4e",
    "system": "tok-system-2d6f",
}
READ_SCOPES = ("mcp:read:ticket", "mcp:read:comment", "mcp:read:category")
WRITE_SCOPES = READ_SCOPES + ("mcp:write:ticket", "mcp:write:comment")


class RefappTarget:
    """The reference app; ``profile`` is ``hardened`` or ``defaults``."""

    def __init__(self, profile: str = "hardened"):
        if profile not in PROFILES:
            raise ValueError(f"unknown target profile {profile!r}; choose {', '.join(PROFILES)}")
        self.profile = profile
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
            resources=tuple(describe_viewset(v) for v in self.viewsets),
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
    def agent_token(self, agent_id: str, scopes: tuple[str, ...], *, tenant: str | None = TENANT_A,
                    audience: str | None = AUDIENCE, ttl: int = AGENT_TTL_SECONDS, **claims: Any) -> str:
        from aksara.ai.auth import sign_agent_token

        extra: dict[str, Any] = {"scopes": list(scopes), "sub": f"owner-of-{agent_id}", "jti": f"jti-{agent_id}"}
        if tenant is not None:
            extra["tenant_id"] = tenant
        if audience is not None:
            extra["aud"] = audience
        extra.update(claims)
        return sign_agent_token(agent_id, AGENT_SECRET, ttl_seconds=ttl, extra=extra)

    def mint_agent_token(self, claims: dict[str, Any], *, header: Any = None) -> str:
        """Sign exactly ``claims`` (nothing added) as an HMAC agent token with this app's agent secret.

        Optional Target capability used by the credential properties: it lets them present
        any claims set (missing ``exp``, foreign audience, ...) to the live app.
        """
        from targets.agent_tokens import AGENT_HEADER, encode_agent_token

        return encode_agent_token(claims, AGENT_SECRET, AGENT_HEADER if header is None else header)

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
        wanted.update(refapp_admin.studio_settings(self.profile))
        return features.supported_settings(wanted)

    def configure(self) -> None:
        import aksara

        aksara.configure(**self.settings())
        logging.getLogger("httpx").setLevel(logging.ERROR)  # Aksara's and MCP's loggers are heard (targets.logs)

    def build_app(self, dsn: str) -> Any:
        from aksara import Aksara

        from targets.refapp.auth import BearerAuthMiddleware

        self.configure()
        app = Aksara(
            database_url=dsn,
            debug=False,
            enable_admin=False,
            auto_discover_views=False,
            min_pool_size=1,
            max_pool_size=4,
            middlewares=[(BearerAuthMiddleware, {"resolver": self.resolver(),
                                                  "session_prefixes": self.session_prefixes(),
                                                  "own_auth_prefixes": (refapp_admin.STUDIO_PREFIX,)})],
        )

        @app.get("/health", include_in_schema=False)
        async def health() -> dict[str, str]:
            return {"status": "ok"}

        app.register_viewsets(self.viewsets)
        from targets.refapp.models import MODELS

        refapp_admin.mount_admin(app, list(MODELS.values()))
        return app

    def app_dsn(self, server: Any, database: str) -> str:
        if self.profile == "hardened":
            return server.dsn(database, user=APP_ROLE, password=APP_PASSWORD)
        return server.dsn(database)

    # -- database -----------------------------------------------------------------------
    async def prepare_database(self, conn: Any, server: Any, database: str) -> None:
        """Create the schema with Aksara's migrations, apply the profile's DB posture, seed."""
        from aksara.migrations import apply_migrations, detect_changes, discover_migrations
        from aksara.migrations.autodetector import operations_to_code
        from aksara.migrations.executor import create_migration_file

        from targets.refapp.models import MODELS

        with tempfile.TemporaryDirectory(prefix="aksara-fuzz-migrations-") as tmp:
            mig_dir = Path(tmp)
            _, ops = detect_changes(discover_migrations(mig_dir), dict(MODELS))
            ops = dependency_order(ops, [m.__tablename__ for m in MODELS.values()])
            create_migration_file(mig_dir, "initial", operations_to_code(ops))
            await apply_migrations(conn, mig_dir, include_internal=True, verbose=False)
        tenant_tables = [m.__tablename__ for m in MODELS.values() if "tenant_id" in m._fields]
        if self.profile == "hardened":
            await _ensure_app_role(conn)
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {APP_ROLE}')
            await conn.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
            await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
            await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
            if not features.has("startup_ddl_guard"):
                # The release runs CREATE TABLE IF NOT EXISTS at every start, which needs CREATE
                # on the schema even when the table exists, and then writes its content-type
                # table, created after this (see docs/release-triage.md).
                await conn.execute(f"GRANT CREATE ON SCHEMA public TO {APP_ROLE}")
                await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                                   f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}")
                await conn.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")
            for table in tenant_tables:
                await _ensure_rls(conn, table)
                await conn.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        await seed.insert_seed(conn, {"A": TENANT_A, "B": TENANT_B})
        await refapp_admin.seed_sessions(conn, APP_ROLE if self.profile == "hardened" else None)


def dependency_order(ops: list[Any], tables: list[str]) -> list[Any]:
    """``ops`` with each ``CreateTable`` (and the operations after it) in ``tables`` order.

    ``tables`` lists referenced tables before the tables that reference them (MODELS is
    declared that way). Aksara before 0.5.54 emits tables in name order, so a foreign key
    to a later table fails; newer releases already emit this order and nothing moves.
    """
    head: list[Any] = []
    groups: list[tuple[str | None, list[Any]]] = []
    for op in ops:
        if type(op).__name__ == "CreateTable":
            groups.append((getattr(op, "name", None), [op]))
        elif groups:
            groups[-1][1].append(op)
        else:
            head.append(op)
    rank = {table: i for i, table in enumerate(tables)}
    groups.sort(key=lambda group: rank.get(group[0], len(rank)))
    return head + [op for _, group in groups for op in group]


async def _ensure_app_role(conn: Any) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE)
    if not exists:
        await conn.execute(
            f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
            f"PASSWORD '{APP_PASSWORD}'"
        )


async def _ensure_rls(conn: Any, table: str) -> None:
    """Enable Aksara's tenant policy when the migration did not already create it."""
    from aksara.tenancy import build_enable_rls_sql, get_tenant_policy_name

    policy = await conn.fetchval(
        "SELECT 1 FROM pg_policies WHERE tablename = $1 AND policyname = $2",
        table, get_tenant_policy_name(table),
    )
    if not policy:
        await conn.execute(build_enable_rls_sql(table))
