"""Planted stream faults on the reference app's comments: a stream without the tenant filter, one without
the viewset's permissions, one that serializes every subscriber's sends behind one lock, and a correct one.
Each listens on a connection of its own (never a pooled one), so none of them exhausts the pool."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse

from targets.refapp.views import CommentViewSet



def planted_stream(request: Request, model: Any, *, tenant_filter: bool = True,
                   lock: asyncio.Lock | None = None) -> StreamingResponse:
    """Aksara's stream protocol (NOTIFY on the model's channel, ``ready`` then one event per payload), listening
    on a connection of its own rather than a pooled one."""
    import asyncpg
    from aksara.api.streaming import encode_sse_event, get_model_stream_channel, should_deliver_model_event
    from aksara.db.engine import Database

    db = Database.get_instance()
    channel = get_model_stream_channel(model)
    tenant = getattr(request.state, "tenant_id", None)

    async def events():
        queue: asyncio.Queue[str] = asyncio.Queue()

        def listener(connection, pid, name, payload):
            queue.put_nowait(payload)

        conn = await asyncpg.connect(db.database_url)
        await conn.add_listener(channel, listener)
        try:
            yield encode_sse_event({"channel": channel, "status": "connected"}, event="ready")
            while True:
                payload = json.loads(await queue.get())
                if tenant_filter and not should_deliver_model_event(payload, tenant):
                    continue
                if lock is None:
                    yield encode_sse_event(payload)
                else:
                    async with lock:  # planted: the next subscriber waits until this one's client has read
                        yield encode_sse_event(payload)
        finally:
            conn.terminate()

    return StreamingResponse(events(), media_type="text/event-stream")


def extend(app: Any) -> None:
    lock = asyncio.Lock()

    class AllTenantsStream(CommentViewSet):
        prefix = "/planted/all-tenants-comments"
        stream_enabled = True

        async def stream(self, request: Request):
            self.check_permissions(request)
            return planted_stream(request, self.model, tenant_filter=False)  # planted: no tenant filter

    class UncheckedStream(CommentViewSet):
        prefix = "/planted/unchecked-comments"
        stream_enabled = True

        async def stream(self, request: Request):
            return planted_stream(request, self.model)  # planted: no permission check

    class SerializedStream(CommentViewSet):
        prefix = "/planted/serialized-comments"
        stream_enabled = True

        async def stream(self, request: Request):
            self.check_permissions(request)
            return planted_stream(request, self.model, lock=lock)

    class DedicatedStream(CommentViewSet):
        prefix = "/planted/dedicated-comments"
        stream_enabled = True

        async def stream(self, request: Request):
            self.check_permissions(request)
            return planted_stream(request, self.model)  # correct: no pooled connection held

    for cls in (AllTenantsStream, UncheckedStream, SerializedStream, DedicatedStream):
        cls.__qualname__ = cls.__name__
    app.register_viewsets([AllTenantsStream, UncheckedStream, SerializedStream, DedicatedStream])
