"""Server-sent event streams of a live app: the events of a bounded read, and a subscriber that stalls.

A stream read through :meth:`targets.client.LiveTarget.arequest` (``stream_window``) comes back as an
exchange whose body is what arrived in the window; :func:`events` parses it (lines end only at CR, LF or
CRLF, as the SSE format says). :func:`stalled_subscriber` opens a stream and never reads past its head:
after its greeting its ASGI ``send`` blocks, as a client whose socket buffer is full would make it block.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from targets.bounded import _scope
from targets.transcript import Exchange

SSE_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name and its data (parsed as JSON when it is JSON)."""

    name: str
    data: Any


def events(exchange: Exchange) -> list[Event]:
    """The events of a stream exchange (nothing for a response that is not ``text/event-stream``)."""
    content_type = next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "")
    if "text/event-stream" not in content_type:
        return []
    out: list[Event] = []
    name, data = "message", []
    for line in SSE_LINE_BREAK.split(exchange.response_text) + [""]:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif not line and data:
            text = "\n".join(data)
            try:
                out.append(Event(name, json.loads(text)))
            except ValueError:
                out.append(Event(name, text))
            name, data = "message", []
        elif not line:
            name = "message"
    return out


async def stalled_subscriber(app: Any, headers: list[tuple[str, str]], path: str, started: asyncio.Event,
                             release: asyncio.Event, reads: int = 1, drain: float = 20.0) -> int:
    """Open ``path`` as a stream, read its first ``reads`` body messages (the greeting), then block every
    further ``send`` until ``release``, as a client that stopped reading; return the response status."""
    request = httpx.Request("GET", httpx.URL("http://testserver" + path), headers=headers)
    status = 0
    disconnected = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not getattr(receive, "sent", False):
            receive.sent = True  # type: ignore[attr-defined]
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            started.set()
        elif message["type"] == "http.response.body":
            started.set()
            nonlocal reads
            if reads > 0 or not message.get("body"):
                reads -= 1 if message.get("body") else 0
                return
            await release.wait()  # the stalled client reads nothing more

    task = asyncio.ensure_future(app(_scope(request), receive, send))
    await release.wait()
    disconnected.set()
    # Let the app notice the disconnect itself (Aksara's loop looks between events and keepalives): a
    # cancellation can strand the stream's body task, and with it a pooled connection, behind the
    # BaseHTTPMiddleware layers. Cancel only if it has not finished by then.
    try:
        await asyncio.wait_for(asyncio.shield(task), drain)
    except BaseException:  # noqa: BLE001 - still running, or raised: cancel below
        pass
    if not task.done():
        task.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(task), 2.0)
        except BaseException:  # noqa: BLE001 - cancelled or raised: the subscriber is gone either way
            pass
    return status
