"""The platform app as a Target: Aksara's own identity, tenancy, serializer and soft-delete paths.

Callers authenticate the way Aksara's docs prescribe (see :mod:`targets.platform.auth`):
``aksara.contrib.auth`` accounts with sessions (the ``session_token`` cookie read by
Aksara's ``AdminSessionMiddleware``), a tenant selected with Aksara's ``TenantMiddleware``
and checked against the account's membership, MCP agents with HMAC agent tokens whose
claims become principals through ``principal_from_mcp_claims``, and a server-side agent
through Aksara's ``AIAgentMiddleware`` and its shared ``ai_agent_token``.

Profiles, as for the reference app: ``hardened`` connects as a restricted role
(``NOSUPERUSER NOBYPASSRLS``, not the owner) with forced row-level security on every
tenant table (``org_id`` for memos) and an MCP audience; ``defaults`` connects as the
table owner with no audience.

The app is put together the ways Aksara's docs show: the viewsets of
:mod:`targets.platform.views` are registered by hand (``app.register_viewsets``), those of
:mod:`targets.platform.planning.views` by Aksara's ``include_app_viewsets`` (which imports the
module and registers every viewset ``discover_viewsets`` finds there), and the app has its own
``lifespan``, which Aksara wraps: it reads the label catalogue, so it runs only once Aksara's
database runtime is up (:func:`platform_lifespan`).

Beyond :func:`targets.base.describe_viewset`, :class:`TargetInfo` says what the serializer
and soft-delete properties need: each resource's serializer ``read_only_fields``
(``serializer_read_only``), whether it is soft-deleting and where its trash listing is,
and the ``org_id`` tenant marker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from targets.base import FieldSpec, PrincipalSpec, ResourceSpec, TargetInfo, describe_viewset, relation_write
from targets.reference import ReferenceTarget, ensure_rls, migrate, new_app

TENANT_A = "a0000000-0000-4000-8000-0000000000aa"
TENANT_B = "b0000000-0000-4000-8000-0000000000bb"
AGENT_SECRET = "aksara-fuzz-platform-agent-hmac-secret-1c7e5a9d3f"
SECRET_KEY = "aksara-fuzz-platform-secret-key-8b2f6d0a4c9e1f3a"
APPROVAL_SECRET = "aksara-fuzz-platform-approval-secret-3e9a1c5f7b"
AI_AGENT_TOKEN = "aksara-fuzz-platform-shared-agent-token-6d4b2f8e0a"
AUDIENCE = "aksara-fuzz-platform"
APP_ROLE = "aksara_fuzz_platform_app"
APP_PASSWORD = "aksara-fuzz-platform-app-password-5a3c1e7d9f"
PASSWORD = "aksara-fuzz-platform-password-2b4d6f8a0c"
AGENT_TTL_SECONDS = 24 * 3600
NAMESPACE = uuid.UUID("3b7a9c1e-5d2f-4e8a-9b6c-0d1e2f3a4b5c")
EPOCH = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)

READ_SCOPES = ("mcp:read:project", "mcp:read:document", "mcp:read:memo", "mcp:read:label")
WRITE_SCOPES = READ_SCOPES + ("mcp:write:project", "mcp:write:document", "mcp:write:memo")

# contrib.auth accounts: principal -> (kind, tenant label, is_staff, roles)
ACCOUNTS = {
    "user_a": ("user", "A", False, ("member",)),
    "staff_a": ("staff", "A", True, ("member",)),
    "user_b": ("user", "B", False, ("member",)),
    "user_no_tenant": ("user", None, False, ("member",)),
}
# principals that also name their tenant with X-Tenant-Id (Aksara's TenantMiddleware header)
SELECTS_TENANT = frozenset({"user_b"})


def stable_id(kind: str, index: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{index}"))


def session_token(name: str) -> str:
    return f"aksara-fuzz-platform-session-{name}-{uuid.uuid5(NAMESPACE, name).hex}"


class PlatformTarget(ReferenceTarget):
    """The platform app; ``profile`` is ``hardened`` or ``defaults``."""

    agent_secret, audience, default_tenant = AGENT_SECRET, AUDIENCE, TENANT_A
    app_role, app_password = APP_ROLE, APP_PASSWORD

    def __init__(self, profile: str = "hardened"):
        super().__init__(profile)
        from targets.platform.views import build_viewsets

        self.viewsets = build_viewsets() + planning_viewsets()
        self._agent_tokens = {
            "agent_read": self.agent_token("agent-read", READ_SCOPES),
            "agent_write": self.agent_token("agent-write", WRITE_SCOPES),
        }
        self.info = TargetInfo(
            name="platform",
            profile=profile,
            resources=tuple(describe(v) for v in self.viewsets),
            principals=self._principals(),
            tenants={"A": TENANT_A, "B": TENANT_B},
            health_path="/health",
            mcp_path="/mcp/",
            public_paths=("/health", "/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect", "/"),
            # labels keep Aksara's default (empty) permission list: anyone reads them
            public_routes=(("GET", "/labels/"), ("GET", "/labels/{pk}")),
            secrets=(AGENT_SECRET, SECRET_KEY, APPROVAL_SECRET, AI_AGENT_TOKEN, APP_PASSWORD, PASSWORD,
                     *(session_token(n) for n in ACCOUNTS)),
        )

    # -- credentials -----------------------------------------------------------------
    def _principals(self) -> tuple[PrincipalSpec, ...]:
        out = [PrincipalSpec("anonymous", "anonymous")]
        tenants = {"A": TENANT_A, "B": TENANT_B}
        for name, (kind, tenant, _, _) in ACCOUNTS.items():
            headers = [("cookie", f"session_token={session_token(name)}"), ("x-requested-with", "aksara-fuzz")]
            if name in SELECTS_TENANT and tenant:
                headers.append(("x-tenant-id", tenants[tenant]))
            out.append(PrincipalSpec(name, kind, tenant, tuple(headers)))
        for name, scopes in (("agent_read", READ_SCOPES), ("agent_write", WRITE_SCOPES)):
            out.append(PrincipalSpec(name, "ai_agent", "A", (("authorization", f"Bearer {self._agent_tokens[name]}"),),
                                     scopes))
        # the server-side agent of Aksara's AIAgentMiddleware (shared ai_agent_token), read scopes only
        out.append(PrincipalSpec("agent_shared", "ai_agent", "A", (("x-aksara-ai-token", AI_AGENT_TOKEN),),
                                 READ_SCOPES))
        return tuple(out)

    # -- settings and app ------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        hardened = self.profile == "hardened"
        return dict(
            debug=False,
            tasks_enabled=False,
            mcp_enabled=True,
            mcp_require_scoped_tokens=True,
            mcp_token_audience=AUDIENCE if hardened else None,
            mcp_approval_secret=APPROVAL_SECRET,
            enable_studio=False,
            ai_agent_token=AI_AGENT_TOKEN,
            installed_apps=["aksara.contrib.auth"],
        )

    def build_app(self, dsn: str) -> Any:
        import aksara
        from aksara.contrib.admin.mount import AdminSessionMiddleware
        from aksara.middleware.tenant import TenantMiddleware

        from targets.platform.auth import MembershipMiddleware

        aksara.configure(**self.settings())
        logging.getLogger("httpx").setLevel(logging.ERROR)
        shared_agent = {"agent_id": "platform-shared-agent", "owner_id": "owner-of-platform-shared-agent",
                        "token_id": "platform-shared-agent-token", "tenant_id": TENANT_A, "scopes": READ_SCOPES,
                        "audience": AUDIENCE,
                        "expires_at": dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=AGENT_TTL_SECONDS)}
        from aksara.api import include_app_viewsets

        app = new_app(dsn, [
            (AdminSessionMiddleware, {}),
            (TenantMiddleware, {}),
            (MembershipMiddleware, {"agent_secret": AGENT_SECRET, "shared_agent": shared_agent}),
        ], lifespan=platform_lifespan)
        planned = set(planning_viewsets())
        app.register_viewsets([v for v in self.viewsets if v not in planned])
        registered = include_app_viewsets(app, PLANNING_APP, module_name="views")
        if set(registered) != planned:
            raise RuntimeError(f"include_app_viewsets registered {registered}, expected {sorted(map(str, planned))}")
        return app

    # -- database -----------------------------------------------------------------------
    async def prepare_database(self, conn: Any, server: Any, database: str) -> None:
        """Aksara's migrations (contrib.auth included), the profile's DB posture, accounts, sessions, seed."""
        import aksara
        from aksara.contrib.auth import session as contrib_session

        from targets.platform.models import MODELS

        aksara.configure(**self.settings())
        await migrate(conn, MODELS)
        # The autodetector emits no junction table for a ManyToMany field, and its CreateManyToManyTable
        # operation names columns the runtime manager does not read (source_id/target_id): the app
        # creates the table with the field's own DDL, as a reviewed RunSQL migration would.
        for model in MODELS.values():
            for m2m in getattr(model, "_m2m_fields", {}).values():
                await conn.execute(m2m.get_join_table_sql())
        await contrib_session._ensure_sessions_table(conn)
        if self.profile == "hardened":
            await self.grant_app_role(conn, database)
            for table, column in (("pf_projects", "tenant_id"), ("pf_documents", "tenant_id"), ("pf_memos", "org_id"),
                                  ("pf_milestones", "tenant_id")):
                await ensure_rls(conn, table, column)
                await conn.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        await insert_accounts(conn)
        await insert_seed(conn)


PLANNING_APP = "targets.platform.planning"


def planning_viewsets() -> list[type]:
    """The viewsets Aksara's ``discover_viewsets`` finds in the planning app's ``views`` module."""
    from aksara.api import discover_viewsets

    from targets.platform.planning import views

    return discover_viewsets(views)


@asynccontextmanager
async def platform_lifespan(app: Any) -> Any:
    """The application's own lifespan: it reads the label catalogue, which needs Aksara's database runtime
    started first (Aksara wraps a user lifespan inside its startup and shutdown)."""
    from targets.platform.models import Label

    app.state.label_names = sorted(label.name for label in await Label.objects.all())
    try:
        yield
    finally:
        app.state.label_names = None


def describe(viewset_cls: type) -> ResourceSpec:
    """:func:`describe_viewset` plus serializer read-only fields, soft delete, system_only and org_id."""
    from targets.platform.models import Document

    spec = describe_viewset(viewset_cls)
    model_fields = viewset_cls.model._fields
    fields: list[FieldSpec] = []
    for f in spec.fields:
        changes: dict[str, Any] = {}
        if getattr(model_fields.get(f.name), "system_only", False) or f.name == "deleted_at":
            changes["server_controlled"] = True
        if f.name == "org_id":
            changes.update(tenant=True, server_controlled=True)
        if changes.get("server_controlled"):
            changes["serializer_read_only"] = False
        fields.append(dataclasses.replace(f, **changes) if changes else f)
    extra: dict[str, Any] = {"fields": tuple(fields)}
    if viewset_cls.__name__ == "ProjectViewSet":
        # the labels action replaces the many-to-many relation (its serializer's default update)
        extra["relation_writes"] = (relation_write(viewset_cls.model, "labels", "Label",
                                                   spec.prefix.rstrip("/") + "/{pk}/labels"),)
    if viewset_cls.__name__ == "ProjectBoardViewSet":
        extra["name"] = "ProjectBoard"  # the second viewset of Project: resource names are unique (same table)
    if "org_id" in model_fields:
        extra["tenant_scoped"] = True
    if viewset_cls.model is Document:
        extra["trash_path"] = spec.prefix.rstrip("/") + "/trash"
    return dataclasses.replace(spec, **extra)


async def insert_accounts(conn: Any) -> None:
    """The contrib.auth accounts (hashed password, membership in metadata) and one session each."""
    from aksara.contrib.auth import hash_password

    hashed = hash_password(PASSWORD)
    tenants = {"A": TENANT_A, "B": TENANT_B}
    for index, (name, (_, tenant, staff, roles)) in enumerate(ACCOUNTS.items()):
        user_id = stable_id("user", index)
        meta = {"roles": list(roles)}
        if tenant:
            meta["tenant_id"] = tenants[tenant]
        await conn.execute(
            'INSERT INTO "aksara_users" (id, email, hashed_password, is_active, is_staff, is_superuser, metadata, '
            "created_at, updated_at) VALUES ($1, $2, $3, true, $4, false, $5::jsonb, $6, $6)",
            uuid.UUID(user_id), f"{name.replace('_', '-')}@platform.example.com", hashed, staff, json.dumps(meta),
            EPOCH)
        await conn.execute("INSERT INTO aksara_sessions (token, user_id, expires_at) VALUES ($1, $2, $3)",
                           session_token(name), user_id,
                           dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))


LABELS = ("bug", "feature", "Urgent", "urgent_", "50%", "Ünïcode")
TITLES = ("Apollo", "apollo", "Beta launch", "50% off_sale", "back\\slash", "emoji 🚀", "  padded  ", "Zeta")


MILESTONES = ("Kickoff", "kickoff", None, "Ünïcode ✓", "50% done_")


async def insert_seed(conn: Any) -> None:
    """Deterministic rows: labels, projects with labels, documents (some deleted), memos, milestones with
    labels; both tenants."""
    for i, name in enumerate(LABELS):
        await conn.execute('INSERT INTO "pf_labels" (id, name, color, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)',
                           uuid.UUID(stable_id("label", i)), name, f"#{i:02d}{i:02d}{i:02d}",
                           EPOCH + dt.timedelta(hours=i))
    join = await conn.fetchval("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'pf_projects%' "
                               "AND table_name <> 'pf_projects' ORDER BY table_name LIMIT 1")
    join_cols = [r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", join)] \
        if join else []
    n = 0
    for label, tenant in (("A", TENANT_A), ("B", TENANT_B)):
        for i, title in enumerate(TITLES):
            n += 1
            created = EPOCH + dt.timedelta(minutes=41 * n)
            pid = stable_id("project", n)
            await conn.execute(
                'INSERT INTO "pf_projects" (id, tenant_id, title, status, priority, budget, slug, secret_notes, '
                "approved, audit_code, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11)",
                uuid.UUID(pid), uuid.UUID(tenant), title, ("active", "paused", "archived")[i % 3], [3, 0, -1, 7, 3][i % 5],
                None if i % 4 == 0 else Decimal(1000 * i + 5) / 100, None if i % 3 == 2 else f"{label.lower()}-{i}",
                None if i % 2 else f"secret {label}-{i}", i % 3 == 1, None if i % 2 else f"AUD-{label}-{i}", created)
            if join and len(join_cols) >= 3:
                src = next(c for c in join_cols if "project" in c)
                dst = next(c for c in join_cols if "label" in c)
                for k in range(i % 3):
                    await conn.execute(f'INSERT INTO "{join}" (id, "{src}", "{dst}") VALUES ($1, $2, $3)',
                                       uuid.UUID(stable_id(f"join-{pid}", k)), uuid.UUID(pid),
                                       uuid.UUID(stable_id("label", (i + k) % len(LABELS))))
            deleted = created + dt.timedelta(days=1) if i % 3 == 0 else None
            await conn.execute(
                'INSERT INTO "pf_documents" (id, tenant_id, title, body, pinned, created_at, updated_at, deleted_at) '
                "VALUES ($1,$2,$3,$4,$5,$6,$6,$7)",
                uuid.UUID(stable_id("document", n)), uuid.UUID(tenant), f"Doc {title}",
                None if i % 4 == 1 else f"body {label}-{i}", i % 2 == 0, created, deleted)
            await conn.execute(
                'INSERT INTO "pf_memos" (id, org_id, subject, body, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5)',
                uuid.UUID(stable_id("memo", n)), uuid.UUID(tenant), f"Memo {title}",
                None if i % 3 == 1 else f"memo {label}-{i}", created)
    await insert_milestones(conn)


async def insert_milestones(conn: Any) -> None:
    """Milestones of both tenants, nulls in every client field somewhere, zero to two labels each."""
    from targets.platform.models import Milestone

    join = Milestone._m2m_fields["labels"].join_table_name
    n = 0
    for label, tenant in (("A", TENANT_A), ("B", TENANT_B)):
        for i, name in enumerate(MILESTONES):
            n += 1
            mid = stable_id("milestone", n)
            await conn.execute(
                'INSERT INTO "pf_milestones" (id, tenant_id, name, points, note, ref, created_at, updated_at) '
                "VALUES ($1,$2,$3,$4,$5,$6,$7,$7)",
                uuid.UUID(mid), uuid.UUID(tenant), name, None if i % 4 == 1 else [5, 0, 8, 13, 2][i],
                None if i % 2 else f"note {label}-{i}", None if i % 3 == 0 else f"MS-{label}-{i}",
                EPOCH + dt.timedelta(minutes=37 * n))
            for k in range(i % 3):
                await conn.execute(f'INSERT INTO "{join}" (id, pf_milestone_id, pf_label_id) VALUES ($1, $2, $3)',
                                   uuid.UUID(stable_id(f"join-{mid}", k)), uuid.UUID(mid),
                                   uuid.UUID(stable_id("label", (2 * i + k) % len(LABELS))))
