"""One in-process ASGI request with a time bound and a byte bound.

``httpx.ASGITransport`` runs the app to completion before it returns, so an endless
response (Aksara's ``GET /{prefix}/stream`` server-sent events) hangs the caller.
:func:`send_bounded` drives the ASGI app itself: it returns as soon as the response
is complete, or when ``timeout`` seconds have passed, or when ``max_bytes`` of body
have arrived, whichever comes first; then it tells the app the client went away.
The result says which bound cut it: a response that never started is a timeout
(judged by ``http.responds_in_time``); a started stream cut by a bound is an
ordinary, judged response with a partial body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_TIMEOUT = 30.0  # generous: a loaded CI machine must not turn slow answers into findings
DEFAULT_MAX_BYTES = 1 << 20
STREAM_WINDOW = 1.0  # seconds a declared stream is read after its head arrived
STREAM_TYPES = ("text/event-stream", "application/x-ndjson")


@dataclass
class BoundedResponse:
    """What arrived within the bounds; ``cut`` is ``None``, ``"time"`` or ``"bytes"``."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    cut: str | None = None
    error: BaseException | None = None
    state: dict[str, Any] | None = None  # the request's ``scope["state"]``, as the app left it

    @property
    def started(self) -> bool:
        return self.status > 0

    @property
    def timed_out(self) -> bool:
        """No response head within the time bound."""
        return self.status == 0 and self.error is None

    @property
    def text(self) -> str:
        charset = "utf-8"
        for key, value in self.headers:
            if key.lower() == "content-type" and "charset=" in value:
                charset = value.split("charset=")[-1].split(";")[0].strip() or "utf-8"
        try:
            return self.body.decode(charset, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")


class RequestState(dict):
    """A request's ``scope["state"]`` that remembers whether anything marked the request an AI agent's
    (``is_ai_agent = True``): Aksara's ``AIAgentMiddleware`` clears the mark on its way out, so the state the app
    leaves behind no longer says what Aksara's REST AI gate saw."""

    marked_ai = False

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "is_ai_agent" and value is True:
            self.marked_ai = True
        super().__setitem__(key, value)


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    return {
        "state": RequestState(),
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,  # httpx has decoded it once; decoding again would turn %25 into a new escape
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port or 80),
        "client": ("127.0.0.1", 123),
        "root_path": "",
    }


async def send_bounded(app: Any, request: httpx.Request, *, timeout: float = DEFAULT_TIMEOUT,
                       max_bytes: int = DEFAULT_MAX_BYTES, stream_window: float = STREAM_WINDOW) -> BoundedResponse:
    """Send ``request`` to the ASGI ``app``; never wait longer than ``timeout`` seconds.

    A response that declares a stream (:data:`STREAM_TYPES`) is read for ``stream_window``
    seconds after its head, then cut: enough to judge its status, headers and first events.
    """
    body = request.read()
    sent_body = False
    disconnected = asyncio.Event()
    messages: asyncio.Queue = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        await messages.put(message)

    scope = _scope(request)

    async def run() -> None:
        try:
            await app(scope, receive, send)
        finally:
            await messages.put({"type": "aksara_fuzz.app_done"})

    task = asyncio.ensure_future(run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    result = BoundedResponse(0, (), b"")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                result.cut = "time"
                break
            try:
                message = await asyncio.wait_for(messages.get(), remaining)
            except asyncio.TimeoutError:
                result.cut = "time"
                break
            kind = message["type"]
            if kind == "http.response.start":
                result.status = int(message["status"])
                result.headers = tuple((k.decode("latin-1"), v.decode("latin-1"))
                                       for k, v in message.get("headers", ()))
                if is_stream(result.headers):
                    deadline = min(deadline, loop.time() + stream_window)
            elif kind == "http.response.body":
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                if not message.get("more_body", False):
                    break
                if size >= max_bytes:
                    result.cut = "bytes"
                    break
            elif kind == "aksara_fuzz.app_done":
                break
    finally:
        disconnected.set()
        if not task.done():
            task.cancel()
        try:
            await asyncio.wait_for(asyncio.shield(task), 1.0)
        except (asyncio.CancelledError, asyncio.TimeoutError):
            pass
        except Exception as exc:  # noqa: BLE001 - the app raised: like raise_app_exceptions=False
            result.error = exc
        if task.done() and not task.cancelled() and task.exception() is not None:
            result.error = task.exception()
    result.body = b"".join(chunks)[: max(max_bytes, 0) or None]
    state = scope.get("state")
    result.state = state if isinstance(state, dict) else None
    if result.status == 0 and result.error is not None:
        result.status = 500
    return result


def is_stream(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether a response declares a streaming content type (server-sent events, NDJSON)."""
    for key, value in headers:
        if key.lower() == "content-type" and value.split(";")[0].strip().lower() in STREAM_TYPES:
            return True
    return False


def exchange_parts(bounded: BoundedResponse, timeout: float) -> tuple[int, str, tuple, dict[str, Any]]:
    """Status, text, headers and notes for an exchange from a bounded response."""
    notes: dict[str, Any] = {}
    text = bounded.text
    if bounded.timed_out:
        notes["timed_out"] = timeout
        text = f"<no response within {timeout:g}s>"
    elif bounded.cut:
        notes["cut"] = bounded.cut
        notes["stream"] = is_stream(bounded.headers)
    if bounded.error is not None and not bounded.body:
        text = f"<app raised {type(bounded.error).__name__}: {bounded.error}>"
    roles = resolved_roles(bounded.state)
    if roles is not None:
        notes["roles"] = roles
    principal = (bounded.state or {}).get("principal")
    if getattr(principal, "is_ai_agent", None) is not None or "is_ai_agent" in (bounded.state or {}):
        # whether the request reached Aksara marked as an AI agent's (``request.state.is_ai_agent``, what its
        # REST AI gate reads) besides the kind of principal the app resolved
        marked = getattr(bounded.state, "marked_ai", False) or (bounded.state or {}).get("is_ai_agent") is True
        notes["ai_request"] = "yes" if marked else "no"
    return bounded.status, text, bounded.headers, notes


def resolved_roles(state: dict[str, Any] | None) -> str | None:
    """The roles of the principal the app resolved for a request (``request.state.principal``, Aksara's
    ``Principal``), comma-separated and sorted; ``None`` when the app set no principal with roles."""
    principal = (state or {}).get("principal")
    roles = getattr(principal, "roles", None)
    if roles is None or isinstance(roles, (str, bytes)):
        return None
    try:
        return ",".join(sorted(str(role) for role in roles))
    except TypeError:
        return None
