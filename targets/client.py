"""In-process HTTP to the target's ASGI app, and the live target a property talks to.

:class:`LiveTarget` owns one event loop for the whole session: the app's lifespan
(and so its asyncpg pool) lives on it, and every request, reset and database
query runs on it through :meth:`LiveTarget.run`, so properties stay plain
synchronous Hypothesis tests. Requests go through ``httpx.ASGITransport``, always
with ``Accept: application/json``, and come back as
:class:`targets.transcript.Exchange` values, with the crash state of a
request that made the app raise (:mod:`targets.crash`). Query strings are sent as raw bytes so
NUL bytes and lone surrogates reach the app exactly as generated.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

import httpx

from targets.base import Target, TargetInfo
from targets.bounded import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, exchange_parts, send_bounded
from targets.crash import instrument
from targets.logs import instrument as instrument_logs
from targets.database import WorkerDatabase
from targets.transcript import Exchange

ACCEPT_JSON = ("accept", "application/json")
BANNER_LOG = logging.getLogger("aksara_fuzz.banners")


@contextlib.contextmanager
def aksara_banners(echo: bool):
    """Aksara ``print()``s its start/stop banners; unless ``echo``, send them to a debug log instead.

    Only stdout is redirected: errors are raised (and logged) by Aksara, never printed."""
    if echo:
        yield
        return
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        for line in buffer.getvalue().splitlines():
            if line.strip():
                BANNER_LOG.debug("%s", line.strip())


def encode_query(pairs: Iterable[tuple[str, str]]) -> bytes:
    """Percent-encode query pairs, keeping lone surrogates as their UTF-8 bytes."""
    return "&".join(
        quote(str(k).encode("utf-8", "surrogatepass"), safe="") + "="
        + quote(str(v).encode("utf-8", "surrogatepass"), safe="")
        for k, v in pairs
    ).encode("ascii")


@contextlib.contextmanager
def settings_as(**values: Any) -> Iterator[None]:
    """Aksara's process-wide settings with ``values`` while the block runs; every setting is back afterwards
    (an app built in the block may change them too)."""
    from aksara.conf import settings

    saved = dict(settings.__dict__)
    settings.__dict__.update(values)
    try:
        yield
    finally:
        settings.__dict__.clear()
        settings.__dict__.update(saved)


class LiveTarget:
    """A started target: app, database clone, principals, and a request method."""

    echo_banners = False  # the plugin turns Aksara's console banners on with -v

    def __init__(self, target: Target, app: Any, database: WorkerDatabase, loop: asyncio.AbstractEventLoop):
        self.target = target
        self.app = app
        self.db = database
        self.loop = loop
        self.info: TargetInfo = target.info
        self.crashes = instrument(app)
        self.logs = instrument_logs()
        self._lifespan_task: asyncio.Task | None = None
        from aksara.conf import settings

        # Aksara's settings are one process-wide object (some middleware reads it per request): the values this
        # app was built with are kept and put back whenever it runs, as its database is (see run()).
        self._settings = dict(settings.__dict__)
        self._lifespan_stop: asyncio.Event | None = None
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            timeout=60.0,
        )
        self.requests = 0
        self.request_seconds = 0.0
        self.timeout = float(getattr(target, "request_timeout", DEFAULT_TIMEOUT))
        self.max_bytes = int(getattr(target, "response_max_bytes", DEFAULT_MAX_BYTES))

    def __repr__(self) -> str:
        return f"<LiveTarget {self.info.name}/{self.info.profile} db={self.db.name}>"

    def run(self, coro: Any) -> Any:
        """Run ``coro`` on this target's loop, with this app's database and settings as Aksara's current ones."""
        from aksara.conf import settings
        from aksara.db.engine import Database

        saved = Database._instance
        own = getattr(self.app, "db", None)
        if own is not None:
            Database._instance = own
        values = settings.__dict__
        saved_settings = None
        if values != self._settings:
            saved_settings = dict(values)
            values.clear()
            values.update(self._settings)
        try:
            return self.loop.run_until_complete(coro)
        finally:
            if own is not None:
                Database._instance = saved
            if saved_settings is not None:
                values.clear()
                values.update(saved_settings)

    def setting(self, name: str, default: Any = None) -> Any:
        """The value of Aksara setting ``name`` this app runs with (its own, whatever was configured since)."""
        return self._settings.get(name, default)

    @contextlib.contextmanager
    def settings_changed(self, **values: Any) -> Iterator[None]:
        """Within the block, this target runs with Aksara settings ``values`` changed (a planted fault, or a
        profile's variant); its own settings are back afterwards."""
        saved = dict(self._settings)
        self._settings.update(values)
        try:
            yield
        finally:
            self._settings.clear()
            self._settings.update(saved)

    async def _run_lifespan(self, started: asyncio.Event, stop: asyncio.Event) -> None:
        # anyio cancel scopes must be entered and exited by the same task
        async with self.app.router.lifespan_context(self.app):
            started.set()
            await stop.wait()

    async def start(self) -> None:
        started, self._lifespan_stop = asyncio.Event(), asyncio.Event()
        self._lifespan_task = asyncio.ensure_future(self._run_lifespan(started, self._lifespan_stop))
        waiter = asyncio.ensure_future(started.wait())
        with aksara_banners(self.echo_banners):
            await asyncio.wait({waiter, self._lifespan_task}, return_when=asyncio.FIRST_COMPLETED)
        if self._lifespan_task.done():
            waiter.cancel()
            self._lifespan_task.result()  # re-raise the startup error
        await self.db.connect()
        await self.db.install_tracking()
        await self.db.take_snapshot()

    async def stop(self) -> None:
        await self.client.aclose()
        if self._lifespan_task is not None and self._lifespan_stop is not None:
            task, self._lifespan_task = self._lifespan_task, None
            self._lifespan_stop.set()
            with aksara_banners(self.echo_banners):
                await task
        await self.db.close()

    def headers_for(self, principal: str) -> list[tuple[str, str]]:
        return list(self.info.principal(principal).headers)

    async def arequest(
        self,
        principal: str,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        route: str | None = None,
        raw_headers: bool = False,
        stream_window: float | None = None,
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request as ``principal``; return the exchange (never raises on HTTP errors).

        ``stream_window``: how long a declared stream is read after its head (``targets.bounded``);
        ``timeout``: a tighter time bound than the target's for this request."""
        sent_headers = [] if raw_headers else [ACCEPT_JSON]
        sent_headers += self.headers_for(principal)
        extra = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        sent_headers += extra
        body = content
        if json_body is not None and body is None:
            body = json.dumps(json_body, allow_nan=True).encode("utf-8", "surrogatepass")
            if not any(k.lower() == "content-type" for k, _ in sent_headers):
                sent_headers.append(("content-type", "application/json"))
        url = httpx.URL(path=path, query=encode_query(query))
        request = self.client.build_request(method, url, headers=sent_headers, content=body)
        self.crashes.clear()
        self.logs.attach()
        self.logs.take()  # records from before this request are not its own
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            bound = self.timeout if timeout is None else timeout
            window = {} if stream_window is None else {"stream_window": stream_window}
            bounded = await send_bounded(self.app, request, timeout=bound, max_bytes=self.max_bytes, **window)
            status, text, response_headers, notes = exchange_parts(bounded, bound)
        except Exception as exc:  # noqa: BLE001 - an app crash surfaces as a 500 transcript
            text = f"<app raised {type(exc).__name__}: {exc}>"
            status, response_headers, notes = 599, (), {}
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        self.requests += 1
        self.request_seconds += elapsed
        return Exchange(
            method=method,
            path=path,
            query=tuple((str(k), str(v)) for k, v in query),
            headers=tuple(sent_headers),
            body=body,
            principal=principal,
            route=route,
            status=status,
            response_headers=response_headers,
            response_text=text,
            elapsed_ms=elapsed * 1000,
            cpu_ms=cpu * 1000,
            crash=self.crashes.crash(),
            extra=notes,
            logs=self.logs.take(),
        )

    def request(self, principal: str, method: str, path: str, **kwargs: Any) -> Exchange:
        return self.run(self.arequest(principal, method, path, **kwargs))

    def replay(self, exchange: Exchange) -> Exchange:
        """Send the same request again (same headers as recorded, principal re-resolved)."""
        headers = [(k, v) for k, v in exchange.headers if k.lower() not in ("accept", "authorization")]
        return self.request(
            exchange.principal, exchange.method, exchange.path, query=exchange.query,
            content=exchange.body, headers=headers, route=exchange.route,
        )

    def reset(self) -> list[str]:
        return self.run(self.db.reset())

    def changes(self) -> list[str]:
        return self.run(self.db.changes())

    def fingerprint(self) -> dict[str, str]:
        return self.run(self.db.fingerprint())

    def changed_since(self, fingerprint: dict[str, str]) -> list[str]:
        """Tables whose content differs from an earlier :meth:`fingerprint`."""
        return self.run(self.db.changed_since(fingerprint))

    def healthy(self) -> Exchange:
        return self.request("anonymous", "GET", self.info.health_path)
