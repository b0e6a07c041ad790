"""What the reference targets (:mod:`targets.refapp`, :mod:`targets.platform`) share.

Both come in the same two profiles: ``hardened`` connects as a restricted role (``NOSUPERUSER NOBYPASSRLS``,
not the table owner) with forced row-level security on tenant tables and an MCP audience; ``defaults``
connects as the table owner with no audience. Both sign HMAC agent tokens with their own agent secret,
create their schema with Aksara's migration autodetector and serve a health route. A target module keeps
only what is its own: its secrets, principals, settings, middleware, tables and seed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence

PROFILES = ("hardened", "defaults")
AGENT_TTL_SECONDS = 24 * 3600
#: an ``agent_token`` argument left to the target: its first tenant, its audience
OWN: Any = object()


class ReferenceTarget:
    """A reference target in one profile; a subclass names its secret, audience, tenant and database role."""

    agent_secret: str
    audience: str
    default_tenant: str
    app_role: str
    app_password: str

    def __init__(self, profile: str = "hardened") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown target profile {profile!r}; choose {', '.join(PROFILES)}")
        self.profile = profile

    # -- credentials -----------------------------------------------------------------
    def agent_token(self, agent_id: str, scopes: tuple[str, ...], *, tenant: str | None = OWN,
                    audience: str | None = OWN, ttl: int = AGENT_TTL_SECONDS, **claims: Any) -> str:
        """A signed agent token for ``agent_id`` with ``scopes`` (``tenant``/``audience`` None: no such claim)."""
        from aksara.ai.auth import sign_agent_token

        tenant = self.default_tenant if tenant is OWN else tenant
        audience = self.audience if audience is OWN else audience
        extra: dict[str, Any] = {"scopes": list(scopes), "sub": f"owner-of-{agent_id}", "jti": f"jti-{agent_id}"}
        if tenant is not None:
            extra["tenant_id"] = tenant
        if audience is not None:
            extra["aud"] = audience
        extra.update(claims)
        return sign_agent_token(agent_id, self.agent_secret, ttl_seconds=ttl, extra=extra)

    def mint_agent_token(self, claims: dict[str, Any], *, header: Any = None) -> str:
        """Sign exactly ``claims`` (nothing added) as an HMAC agent token with this app's agent secret.

        Optional Target capability used by the credential properties: it lets them present
        any claims set (missing ``exp``, foreign audience, ...) to the live app.
        """
        from targets.agent_tokens import AGENT_HEADER, encode_agent_token

        return encode_agent_token(claims, self.agent_secret, AGENT_HEADER if header is None else header)

    # -- database -----------------------------------------------------------------------
    def app_dsn(self, server: Any, database: str) -> str:
        """The hardened profile connects as the restricted role, the defaults profile as the owner."""
        if self.profile == "hardened":
            return server.dsn(database, user=self.app_role, password=self.app_password)
        return server.dsn(database)

    async def grant_app_role(self, conn: Any, database: str) -> None:
        """Create the restricted role (once) and let it read and write every table of ``public``."""
        role = self.app_role
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
            await conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE "
                               f"PASSWORD '{self.app_password}'")
        await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        await conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


async def migrate(conn: Any, models: dict[str, type], table_order: Sequence[str] | None = None) -> None:
    """Create the schema of ``models`` with Aksara's autodetector and executor (one initial migration)."""
    from aksara.migrations import apply_migrations, detect_changes, discover_migrations
    from aksara.migrations.autodetector import operations_to_code
    from aksara.migrations.executor import create_migration_file

    with tempfile.TemporaryDirectory(prefix="aksara-fuzz-migrations-") as tmp:
        mig_dir = Path(tmp)
        _, ops = detect_changes(discover_migrations(mig_dir), dict(models))
        if table_order is not None:
            ops = dependency_order(ops, list(table_order))
        create_migration_file(mig_dir, "initial", operations_to_code(ops))
        await apply_migrations(conn, mig_dir, include_internal=True, verbose=False)


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


async def ensure_rls(conn: Any, table: str, column: str | None = None) -> None:
    """Enable Aksara's tenant policy on ``table`` (on ``column``, else Aksara's default tenant column) when the
    migration did not already create it."""
    from aksara.tenancy import build_enable_rls_sql, get_tenant_policy_name

    policy = await conn.fetchval("SELECT 1 FROM pg_policies WHERE tablename = $1 AND policyname = $2",
                                 table, get_tenant_policy_name(table))
    if not policy:
        await conn.execute(build_enable_rls_sql(table) if column is None
                           else build_enable_rls_sql(table, tenant_column=column))


def new_app(dsn: str, middlewares: list[tuple[type, dict[str, Any]]], lifespan: Any = None) -> Any:
    """An Aksara app on ``dsn`` with ``middlewares``, a small pool, no admin, and a ``/health`` route;
    ``lifespan`` is the application's own (Aksara runs it inside its runtime's startup and shutdown)."""
    from aksara import Aksara

    app = Aksara(
        database_url=dsn,
        debug=False,
        enable_admin=False,
        auto_discover_views=False,
        min_pool_size=1,
        max_pool_size=4,
        middlewares=middlewares,
        lifespan=lifespan,
    )

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app

