"""Planted console faults: an open admin site, Studio routes without their gates, an open redirect, a
settings dump, a model inspector that shows stored rows (ai_sensitive values included) and crashes on an
unknown model name, and an app that takes the admin session cookie as an API credential."""

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

    @app.get("/studio/planted/models/{model_name}", dependencies=[Depends(verify_studio_auth)])
    async def planted_model_rows(model_name: str) -> dict:
        """Planted: an inspector that samples stored rows (ai_sensitive fields included) and looks the model up
        without handling an unknown name (KeyError: 500)."""
        from aksara.registry import ModelRegistry

        from aksara.context_state import tenant_id_var

        from targets.refapp.target import TENANT_A

        model = ModelRegistry.get(model_name)
        token = tenant_id_var.set(TENANT_A)  # the rows of one tenant (RLS is forced under hardened)
        try:
            rows = await Database.get_instance().fetch(f'SELECT * FROM "{model.meta.table_name}" LIMIT 3')
        finally:
            tenant_id_var.reset(token)
        return {"model": model_name, "sample": [{k: str(v) for k, v in dict(r).items()} for r in rows]}

    @app.get("/studio/planted/schema/{model_name}")
    async def planted_model_schema(model_name: str) -> dict:  # planted: Aksara's inspector without the gate
        from aksara.studio.utils import build_model_inspector

        result = build_model_inspector(model_name)
        return {} if result is None else {"name": result.name, "fields": [f.name for f in result.fields]}

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
