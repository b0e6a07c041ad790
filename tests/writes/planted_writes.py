"""Planted write faults: viewsets on the reference app's Ticket model, each broken in one way.

Every planted viewset is registered beside the reference app's own routes under its own
prefix, so the same real Aksara app (and database clone) serves a faulty write path and
the correct ones. :func:`planted_resource` describes a planted prefix with the Ticket
metadata the properties read.
"""

from __future__ import annotations

import asyncio
import time
import dataclasses
from typing import Any

from aksara.security.policy import get_policy_engine
from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from targets.base import ResourceSpec, TargetInfo
from aksara.api import action

from targets.refapp.views import TicketViewSet, json_body, server_create_fields, validated_item


def _principal(request: Request) -> Any:
    return getattr(request.state, "principal", None)


class StrippingTickets(TicketViewSet):
    """Fault: drops fields the principal may not write instead of rejecting the request."""

    prefix = "/planted-strip/tickets"

    def _strip(self, data: dict, request: Request) -> dict:
        allowed = set(get_policy_engine().writable_fields(_principal(request), self.model).allowed_fields)
        return {k: v for k, v in data.items() if k in allowed}

    async def create(self, data: dict, request: Request) -> dict:
        return await super().create(self._strip(data, request), request)

    async def update(self, pk: str, data: dict, request: Request) -> dict:
        return await super().update(pk, self._strip(data, request), request)


class CommitThenFailTickets(TicketViewSet):
    """Fault: stores the row, then answers 400."""

    prefix = "/planted-commit/tickets"

    async def create(self, data: dict, request: Request) -> dict:
        await super().create(data, request)
        raise HTTPException(status_code=400, detail="planted failure after the write")


class TopLevelOnlyTickets(TicketViewSet):
    """Fault: field enforcement looks at top-level keys only (JSON values are not searched)."""

    prefix = "/planted-toplevel/tickets"

    async def create(self, data: dict, request: Request) -> dict:
        flat = {k: (None if isinstance(v, (dict, list)) else v) for k, v in data.items()}
        decision = get_policy_engine().validate_payload(_principal(request), "create", self.model, flat,
                                                        **self._payload_policy_context())
        if decision.denied or decision.is_partial:
            raise HTTPException(status_code=403, detail={"denied_fields": list(decision.denied_fields)})
        self.check_permissions(request)
        instance = await self.model.objects.create(**data, **self._server_controlled_create_fields(request))
        return self._serialize(instance, request=request)


class ManglingTickets(TicketViewSet):
    """Fault: silently stores a different title than the one sent."""

    prefix = "/planted-mangle/tickets"

    async def create(self, data: dict, request: Request) -> dict:
        if isinstance(data.get("title"), str):
            data = {**data, "title": data["title"].strip().lower() + "!"}
        return await super().create(data, request)


class NullClearingTickets(TicketViewSet):
    """Correct: an update applies every sent value, ``null`` included (the reading the oracle expects)."""

    prefix = "/planted-nullok/tickets"

    async def update(self, pk: str, data: dict, request: Request) -> dict:
        self.check_permissions(request)
        instance = await self.model.objects.get(id=pk)
        decision = get_policy_engine().validate_payload(_principal(request), "update", self.model, data,
                                                        **self._payload_policy_context())
        if decision.denied or decision.is_partial:
            raise HTTPException(status_code=403, detail={"denied_fields": list(decision.denied_fields)})
        for key, value in data.items():
            setattr(instance, key, value)
        await instance.save()
        return self._serialize(instance, request=request)


class FragileListTickets(TicketViewSet):
    """Fault: once a row whose title contains ``planted-boom`` is stored, listing the table fails."""

    prefix = "/planted-fragile/tickets"

    async def list(self, request: Request, limit: int = 20, offset: int = 0, **filters: Any) -> dict:
        if await self.model.objects.filter(title__contains="planted-boom").count():
            raise RuntimeError("planted: a stored row breaks reads")
        return await super().list(request, limit, offset, **filters)


class FirstItemBulkTickets(TicketViewSet):
    """Fault: the bulk create checks the field policy of its first item only."""

    prefix = "/planted-bulkfirst/tickets"

    def check_bulk_policy(self, request: Request, data: list) -> None:
        super().check_bulk_policy(request, data[:1])


class PiecemealBulkTickets(TicketViewSet):
    """Fault: the bulk create checks and stores one item at a time, so a denied item leaves the earlier ones stored."""

    prefix = "/planted-bulkpiece/tickets"

    @action(detail=False, methods=["post"], path="bulk")
    async def bulk_create(self, request: Request) -> dict:
        items = await json_body(request)
        server_fields = server_create_fields(self, request)
        for index, item in enumerate(items):
            data = validated_item(self.create_schema, item, index)
            self.check_bulk_policy(request, [data])
            await self.model.objects.create(**data, **server_fields)
        return {"count": len(items)}


PLANTED_VIEWSETS = [StrippingTickets, CommitThenFailTickets, TopLevelOnlyTickets, ManglingTickets,
                    NullClearingTickets, FragileListTickets, FirstItemBulkTickets, PiecemealBulkTickets]
SLOW_PATH = "/planted-slow/tickets/"
HANG_PATH = "/planted-hang/tickets/"
HOG_PATH = "/planted-hog/tickets/"
LIMITED_PATH = "/planted-limited/tickets/"


def extend(app: Any) -> None:
    """Register the planted viewsets and the cost-related middleware."""
    app.register_viewsets(PLANTED_VIEWSETS)
    app.register_viewsets([type("SlowTickets", (TicketViewSet,), {"prefix": SLOW_PATH.rstrip("/")}),
                           type("HangTickets", (TicketViewSet,), {"prefix": HANG_PATH.rstrip("/")}),
                           type("HogTickets", (TicketViewSet,), {"prefix": HOG_PATH.rstrip("/")}),
                           type("LimitedTickets", (TicketViewSet,), {"prefix": LIMITED_PATH.rstrip("/")})])

    @app.middleware("http")
    async def planted_cost(request: Request, call_next: Any) -> Any:
        if request.url.path == SLOW_PATH and request.method == "POST":  # fault: a write that burns CPU
            until = time.process_time() + float(request.headers.get("x-planted-burn", "0.3"))
            while time.process_time() < until:
                pass
        if request.url.path == HANG_PATH and request.method == "POST":  # fault: a write that waits
            await asyncio.sleep(float(request.headers.get("x-planted-sleep", "0.3")))
        if request.url.path == HOG_PATH and request.method == "POST":
            hog = bytearray(96 * 1024 * 1024)  # fault: allocates 96 MiB per write
            hog[-1] = 1
            del hog
        if request.url.path == LIMITED_PATH and int(request.headers.get("content-length", "0")) > 1024 * 1024:
            # correct: the body-size limit the bounded-cost oracle expects
            return JSONResponse({"error": {"status": 413, "message": "Request body too large",
                                           "type": "payload_too_large"}}, status_code=413)
        return await call_next(request)


def planted_resource(info: TargetInfo, prefix: str) -> ResourceSpec:
    """The Ticket resource as served under a planted prefix (no custom actions but its bulk create)."""
    prefix = prefix.rstrip("/")
    return dataclasses.replace(info.resource("Ticket"), prefix=prefix, actions=(), bulk_create_path=f"{prefix}/bulk")
