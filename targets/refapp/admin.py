"""Aksara's admin and Studio on the reference app, mounted as Aksara's docs describe.

Admin (``aksara.contrib.admin``): an ``AdminSite`` of the reference models mounted with
``include_admin`` at ``/admin`` (the admin docs' "Mounting the Admin": construct the app with
``enable_admin=False`` and mount explicitly). Its default site gate is an authenticated staff
user read from ``request.state.user``; CSRF and the admin rate limit stay on (Production
Hardening: ``AKSARA_ADMIN_RATE_LIMIT_ENABLED=true``). The rate limit's count is raised so a
fuzzing run is not throttled; the limit itself is not a property of this suite.

Studio (``aksara.studio``) in production mounts only with ``studio_expose_in_production=True``.
``hardened`` exposes it the way the Studio configuration page says an exposed Studio must be:
``studio_require_auth=True``, a separate bearer ``studio_auth_token``, and an explicit
``studio_allowed_origins`` list. ``defaults`` is a careless deployment: it turns Studio on and
exposes it, and leaves every other Studio setting at Aksara's default.

Browser sessions: two accounts of Aksara's own ``aksara.contrib.auth.User`` (a staff member and
an ordinary user), each with a database-backed ``session_token`` (``aksara_sessions``), are the
browser callers. The reference app's bearer middleware honours the session user that Aksara's
admin session middleware resolved only under the admin prefix: the session cookie is the admin's
credential, never the API's (the API docs make cookie authentication and its CSRF protection the
application's job; the reference app does not offer it).
"""

from __future__ import annotations

from typing import Any

from targets import features

ADMIN_PREFIX = "/admin"
STUDIO_PREFIX = "/studio"
STUDIO_SECRET_TOKEN = "aksara-fuzz-studio-secret-token-6e2b9d4f1a7c3e5b"
STUDIO_AUTH_TOKEN = "aksara-fuzz-studio-auth-token-1f8c3a6e9b2d5f7a"
STUDIO_ORIGIN = "https://studio.refapp.example"
# account email -> (is_staff, session token)
SESSION_USERS = {
    "staff@refapp.example": (True, "sess-staff-4b9e1c7a2f5d8e3b6a0c9f1d"),
    "user@refapp.example": (False, "sess-user-7d2a5f8c1e4b9a6d3f0e2c5b"),
}
SESSION_PRINCIPALS = {"staff_session": "staff@refapp.example", "user_session": "user@refapp.example"}
USER_IDS = {
    "staff@refapp.example": "5e550000-0000-4000-8000-0000000005af",
    "user@refapp.example": "5e550000-0000-4000-8000-000000000a5e",
}
STAFF_LOGIN = {"username": "staff@refapp.example", "password": "aksara-fuzz-staff-password-2c8e4a6f"}
# the ordinary user has a hash nobody can log in with (its session is seeded)
UNUSABLE_HASH = "!unusable"


def password_hash(password: str) -> str:
    """Aksara's password hash (SHA-256 pre-hash, bcrypt) at the lowest bcrypt cost, so a login is cheap."""
    import bcrypt
    from aksara.contrib.auth.hashing import _prehash

    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=4)).decode("utf-8")


def studio_settings(profile: str) -> dict[str, Any]:
    """The Studio and admin settings of ``profile`` (Aksara's keywords)."""
    wanted: dict[str, Any] = dict(
        enable_studio=features.has("studio"),
        studio_secret_token=STUDIO_SECRET_TOKEN,
        studio_expose_in_production=True,
        admin_rate_limit_requests=1_000_000,
    )
    if profile == "hardened":
        wanted.update(studio_require_auth=True, studio_auth_token=STUDIO_AUTH_TOKEN,
                      studio_allowed_origins=[STUDIO_ORIGIN])
    return wanted


# The change-list options of each model's ModelAdmin (the admin docs' "ModelAdmin options"): columns, search,
# filters on a choice, a boolean and a foreign key, ordering, and a page small enough that the seeded rows page.
MODEL_ADMIN_OPTIONS: dict[str, dict[str, Any]] = {
    "Ticket": dict(list_display=["title", "status", "priority", "is_urgent", "due_date"], search_fields=["title", "body"],
                   list_filter=["status", "is_urgent"], ordering=["-priority", "title"], list_per_page=10,
                   readonly_fields=["views"]),
    "Comment": dict(list_display=["author", "ticket", "is_public"], search_fields=["author", "body"],
                    list_filter=["is_public", "ticket"], ordering=["author"], list_per_page=10),
    "Category": dict(list_display=["name", "sort_order"], search_fields=["name"], ordering=["sort_order", "name"],
                     list_per_page=10),
}


def mount_admin(app: Any, models: list[Any]) -> str | None:
    """An admin site of ``models`` mounted at :data:`ADMIN_PREFIX`; its prefix, or None without admin sites."""
    if not features.has("admin_site"):
        return None
    from aksara.contrib.admin import AdminSite, ModelAdmin, include_admin

    site = AdminSite(name="refapp", site_header="Reference app")
    for model in models:
        options = MODEL_ADMIN_OPTIONS.get(model.__name__, {})
        site.register(model, admin_class=type(f"{model.__name__}Admin", (ModelAdmin,), dict(options)))
    include_admin(app, prefix=ADMIN_PREFIX, site=site)
    return ADMIN_PREFIX


def session_cookie(email: str) -> tuple[tuple[str, str], ...]:
    return (("cookie", f"session_token={SESSION_USERS[email][1]}"),)


async def seed_sessions(conn: Any, grant_to: str | None) -> None:
    """Aksara's user and session tables with the two browser accounts and their live sessions."""
    exists = await conn.fetchval("SELECT to_regclass('public.aksara_users') IS NOT NULL")
    if not exists:
        return
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS aksara_sessions (token TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), expires_at TIMESTAMPTZ NOT NULL)")
    if grant_to:
        await conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON aksara_users, aksara_sessions TO {grant_to}")
    for email, (staff, token) in SESSION_USERS.items():
        await conn.execute(
            "INSERT INTO aksara_users (id, email, hashed_password, is_active, is_staff, is_superuser, created_at, "
            "updated_at) VALUES ($1::uuid, $2, $3, true, $4, false, now(), now()) ON CONFLICT (email) DO NOTHING",
            USER_IDS[email], email,
            password_hash(STAFF_LOGIN["password"]) if email == STAFF_LOGIN["username"] else UNUSABLE_HASH, staff)
        await conn.execute(
            "INSERT INTO aksara_sessions (token, user_id, expires_at) VALUES ($1, $2, now() + interval '30 days') "
            "ON CONFLICT (token) DO NOTHING", token, USER_IDS[email])
