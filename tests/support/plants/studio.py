"""Planted console faults: an open admin site, Studio routes without their gates, an open redirect, a
settings dump, and an app that takes the admin session cookie as an API credential."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from targets.refapp.target import RefappTarget
from tests.support.planted import PlantedTarget

OPEN_ADMIN_PREFIX = "/admin-open"


def open_admin(app: Any) -> None:
    """A second admin site whose permission classes let anyone in (AllowAny), at /admin-open."""
    from aksara.contrib.admin import AdminSite, include_admin
    from aksara.permissions import AllowAny

    from targets.refapp.models import Category

    site = AdminSite(name="planted_open", permission_classes=[AllowAny])
    site.register(Category)
    include_admin(app, prefix=OPEN_ADMIN_PREFIX, site=site)


def studio_faults(app: Any) -> None:
    """Studio-prefixed routes that each drop one of Studio's gates."""
    from aksara.conf import settings
    from aksara.db.engine import Database
    from aksara.studio.fastapi import verify_studio_auth

    @app.get("/studio/planted/open")
    async def planted_open() -> dict:  # planted: no Studio dependency at all
        return {"models": ["Ticket"]}

    @app.get("/studio/planted/api-token")
    async def planted_api_token(request: Request) -> dict:  # planted: any staff user of the API opens it
        user = getattr(request.state, "user", None)
        if not getattr(user, "is_staff", False):
            from fastapi import HTTPException

            raise HTTPException(status_code=401, detail="Studio requires authentication")
        return {"ok": True}

    @app.post("/studio/planted/write", dependencies=[Depends(verify_studio_auth)])
    async def planted_write() -> dict:  # planted: authenticated, but no Origin check
        await Database.get_instance().execute(
            "INSERT INTO categories (id, name, description, sort_order, created_at, updated_at) "
            "VALUES (gen_random_uuid(), 'planted-' || gen_random_uuid(), '', 0, now(), now())")
        return {"written": True}

    @app.get("/studio/planted/settings", dependencies=[Depends(verify_studio_auth)])
    async def planted_settings() -> dict:  # planted: a settings dump for a staff session
        return {"settings": {"debug": settings.debug, "studio_secret_token": settings.studio_secret_token}}


def open_redirect(app: Any) -> None:
    """GET /admin-plant/go redirects to its ``next`` parameter unchecked (Starlette percent-encodes it);
    GET /admin-plant/raw-go puts it in ``Location`` byte for byte."""
    from fastapi import Response

    @app.get("/admin-plant/go")
    async def planted_go(request: Request) -> RedirectResponse:
        return RedirectResponse(request.query_params.get("next", "/"), status_code=302)

    @app.get("/admin-plant/raw-go")
    async def planted_raw_go(request: Request) -> Response:
        return Response(status_code=302, headers={"location": request.query_params.get("next", "/")})


def everything(app: Any) -> None:
    open_admin(app)
    studio_faults(app)
    open_redirect(app)


class SessionEverywhereTarget(PlantedTarget):
    """Planted: the app takes the admin session cookie as its credential on every path, the API included."""

    def session_prefixes(self) -> tuple[str, ...]:
        return ("",)


def session_everywhere(profile: str) -> RefappTarget:
    return SessionEverywhereTarget(profile, lambda app: None)
