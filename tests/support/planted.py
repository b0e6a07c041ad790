"""Planted-fault apps: the reference app plus routes that break one property each.

Each planted app is the real reference app (real Aksara, real PostgreSQL, its own
database clone) with extra routes whose fault is deliberate, so a test can show an
oracle catching the fault and staying quiet on the reference app's correct routes.
Only one Aksara app can own ``Database._instance`` at a time, so
:func:`started_planted` restores the session target's database afterwards.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Iterator

from aksara.db.engine import Database
from fastapi import HTTPException, Request

from targets.base import Target
from targets.client import LiveTarget
from targets.loader import start_live_target
from targets.refapp.target import RefappTarget


class PlantedTarget(RefappTarget):
    """The reference app with ``extend(app)`` applied after its own routes."""

    def __init__(self, profile: str, extend: Callable[[Any], None]):
        super().__init__(profile)
        self._extend = extend

    def build_app(self, dsn: str) -> Any:
        app = super().build_app(dsn)
        self._extend(app)
        return app


@contextlib.contextmanager
def started_planted(server: Any, profile: str, extend: Callable[[Any], None] | None, name: str,
                    target: Target | None = None) -> Iterator[LiveTarget]:
    """The planted app (``target``, or the reference app with ``extend`` applied) started on its own database."""
    with started_target(server, target or PlantedTarget(profile, extend), f"planted_{name}") as live:
        yield live


@contextlib.contextmanager
def started_target(server: Any, target: Target, name: str) -> Iterator[LiveTarget]:
    """``target`` started on its own database clone; the session target's database is restored afterwards."""
    saved = Database._instance
    # xdist may run one module's tests on both workers: each gets its own clone (a shared name would
    # let one worker's set-up drop the database the other is using)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "t")
    live = start_live_target(server, target, name, worker)
    try:
        yield live
    finally:
        try:
            live.run(live.stop())
        finally:
            live.loop.close()
            Database._instance = saved


def raising_route(app: Any) -> None:
    """GET /planted/raise -> an unhandled exception (a 500)."""

    @app.get("/planted/raise")
    async def planted_raise() -> dict:
        raise RuntimeError("planted failure")


def leaking_route(app: Any) -> None:
    """GET /planted/leak -> a 400 whose detail is the text of a database exception."""

    @app.get("/planted/leak")
    async def planted_leak(q: str = "") -> dict:
        try:
            await Database.get_instance().fetch(f"SELECT * FROM tickets WHERE title = {q}")  # planted: string-built SQL
        except Exception as exc:  # noqa: BLE001 - the planted fault is echoing this text
            raise HTTPException(status_code=400, detail=f"query failed: SELECT * FROM tickets WHERE title = {q}: {exc}")
        return {}


def secret_route(secret: str) -> Callable[[Any], None]:
    def extend(app: Any) -> None:
        @app.get("/planted/secret")
        async def planted_secret() -> dict:
            return {"debug": {"agent_secret": secret}}

    return extend


def logging_route(secret: str) -> Callable[[Any], None]:
    """GET /planted/log-auth logs the caller's Authorization header and ``secret`` at DEBUG;
    GET /planted/log-quiet logs only which route ran."""

    def extend(app: Any) -> None:
        import logging

        log = logging.getLogger("aksara.planted")

        @app.get("/planted/log-auth")
        async def planted_log_auth(request: Request) -> dict:
            log.debug("request from %s with key %s", request.headers.get("authorization"), secret)
            return {"ok": True}

        @app.get("/planted/log-quiet")
        async def planted_log_quiet(request: Request) -> dict:
            log.debug("served %s for a caller with %d header(s)", request.url.path, len(request.headers))
            return {"ok": True}

    return extend


def plain_text_error_route(app: Any) -> None:
    """GET /planted/plain -> a 418 with a plain-text body instead of the envelope."""
    from fastapi.responses import PlainTextResponse

    @app.get("/planted/plain")
    async def planted_plain() -> Any:
        return PlainTextResponse("teapot", status_code=418)


def writing_get_route(app: Any) -> None:
    """GET /planted/touch -> updates a ticket (a safe method that writes)."""

    @app.get("/planted/touch")
    async def planted_touch(request: Request) -> dict:
        await Database.get_instance().execute("UPDATE categories SET sort_order = sort_order + 1 WHERE sort_order = 0")
        return {"ok": True}


def health_breaking_route(app: Any) -> None:
    """GET /planted/break -> afterwards the health route answers 503."""
    state = {"broken": False}

    @app.middleware("http")
    async def break_health(request: Request, call_next: Any) -> Any:
        if request.url.path == "/health" and state["broken"]:
            from fastapi.responses import JSONResponse

            return JSONResponse({"error": {"status": 503, "message": "down", "type": "unavailable"}}, 503)
        return await call_next(request)

    @app.get("/planted/break")
    async def planted_break() -> dict:
        state["broken"] = True
        return {"ok": True}
