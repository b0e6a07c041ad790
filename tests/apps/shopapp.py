"""A small Aksara app that is neither the reference app nor an example: the derived-target fixture.

It builds itself at import from ``DATABASE_URL`` (as Aksara's examples do), authenticates
with an ``X-Api-Key`` header in its own middleware, serves Aksara's endless
``GET /api/gadgets/stream``, runs Aksara's background task worker, and redirects
``GET /old-gadgets`` and Aksara's admin (login page). ``GET /api/gadgets/{pk}/explode``
is a planted fault (an unhandled exception).
"""

from __future__ import annotations

import os

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.middleware.base import BaseHTTPMiddleware

import aksara
from aksara import Aksara, Model, ModelViewSet, action, fields, task
from aksara.identity import AnonymousUser
from aksara.permissions import IsAuthenticated
from aksara.security.principal import Principal

API_KEYS = {"shop-user-key-7d2f9a1c4e6b8d0f": "shop-user"}
aksara.configure(database_url=os.environ["DATABASE_URL"], tasks_enabled=True, mcp_enabled=False,
                 mcp_approval_secret="shop-approval-secret-3e5a7c9b1d2f4a6c")


class ShopGadget(Model):
    name = fields.String(max_length=80)
    price = fields.Integer(default=0)
    released = fields.Date(nullable=True)

    class Meta:
        table_name = "shop_gadgets"


class ShopOrder(Model):
    gadget = fields.ForeignKey(ShopGadget, on_delete="CASCADE")
    quantity = fields.Integer()
    placed_at = fields.DateTime(auto_now_add=True)

    class Meta:
        table_name = "shop_orders"


@task(name="shop.restock")
async def restock(gadget_id: str) -> None:
    gadget = await ShopGadget.objects.get(id=gadget_id)
    gadget.price += 1
    await gadget.save()


class GadgetViewSet(ModelViewSet):
    model = ShopGadget
    prefix = "/api/gadgets"
    ordering_fields = ["name", "price"]
    filterable_fields = ["name", "price"]

    @action(detail=True, methods=["get"])
    async def explode(self, request: Request, pk: str):
        raise RuntimeError("planted: detail action crashes")

    @action(detail=True, methods=["post"])
    async def restock(self, request: Request, pk: str):
        queued = await restock.enqueue(pk, db=app.db)
        return {"task_id": str(queued.id)}


class OrderViewSet(ModelViewSet):
    model = ShopOrder
    prefix = "/api/orders"
    permission_classes = [IsAuthenticated]


class ApiKeyMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        user_id = API_KEYS.get(request.headers.get("x-api-key", ""))
        if user_id is None:
            request.state.principal, request.state.user = Principal.anonymous(), AnonymousUser()
        else:
            request.state.principal = Principal.for_user(user_id, roles=("customer",))
            request.state.user = type("User", (), {"id": user_id, "is_authenticated": True, "is_staff": False})()
        request.state.is_ai_agent = False
        return await call_next(request)


app = Aksara(database_url=os.environ["DATABASE_URL"], debug=False, enable_admin=True, auto_discover_views=False)
app.add_middleware(ApiKeyMiddleware)
app.register_viewsets([GadgetViewSet, OrderViewSet])


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.get("/old-gadgets", include_in_schema=False)
async def old_gadgets() -> RedirectResponse:
    return RedirectResponse("/api/gadgets/", status_code=307)
