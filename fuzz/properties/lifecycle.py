"""An app's database lifecycle on a real PostgreSQL (oracles in fuzz/oracles/lifecycle.py).

A :class:`LifecycleLab` owns a scratch database (``fuzz_lifecycle_<pid>``) on the suite's server. :meth:`run`
builds the app a :class:`~strategies.lifecycle.LifecycleCase` describes, with one route that reads through the
pool (``SELECT 1``), runs its ASGI lifespan on a loop of its own, sends the case's requests all at once, and
counts the server's connections to the scratch database (``pg_stat_activity``) while it runs and after it stopped.
Aksara's current database and settings are put back after every case.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any, AsyncIterator

import asyncpg
import httpx

from fuzz.findings import Finding, replayable
from fuzz.oracles import lifecycle as oracle
from strategies.lifecycle import LifecycleCase
from targets.client import settings_as
from targets.crash import exception_facts, raised_by_suite
from targets.database import clone_database, drop_databases


#: Seconds the concurrent requests may take together, and a whole case (start, requests, stop): a pool that
#: never hands out a connection shows as requests without an answer, not as a run that never ends.
REQUEST_DEADLINE, RUN_DEADLINE = 10.0, 30.0
SETTLE_SECONDS = 3.0
NO_ANSWER = 0  # the status recorded for a request that got no answer within the deadline


class LifespanFailed(RuntimeError):
    """The application's own lifespan failing after Aksara started (the ``lifespan_raises`` fault)."""


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_app(case: LifecycleCase, dsn: str) -> Any:
    """The app ``case`` describes on ``dsn``, with ``GET /q`` reading ``SELECT 1`` through its pool."""
    if case.kind.startswith("aksara"):
        from aksara import Aksara

        lifespan = None
        if case.kind == "aksara_user_lifespan":
            @contextlib.asynccontextmanager
            async def lifespan(app: Any) -> AsyncIterator[None]:
                if case.fault == "lifespan_raises":
                    raise LifespanFailed("the application's start-up failed")
                yield

        app = Aksara(database_url=dsn, debug=False, enable_admin=False, auto_discover_views=False,
                     min_pool_size=1, max_pool_size=case.max_pool, lifespan=lifespan)

        @app.get("/q")
        async def read() -> dict[str, Any]:
            return {"value": await app.db.fetchval("SELECT 1")}

        return app
    from fastapi import Depends, FastAPI
    from aksara import fastapi as integration

    if case.kind == "fastapi_lifespan":
        # create_lifespan with AksaraMiddleware, the request's session read with get_session() (the middleware's
        # docstring). The middleware and the get_db_session dependency each acquire a connection: used together,
        # a request needs two, so they are wired as alternatives, as their docstrings show them.
        from aksara.db import get_session

        app = FastAPI(lifespan=integration.create_lifespan(dsn, min_size=1, max_size=case.max_pool))
        app.add_middleware(integration.AksaraMiddleware)

        @app.get("/q")
        async def read_middleware_session() -> dict[str, Any]:
            return {"value": await get_session().fetchval("SELECT 1")}

        return app
    app = FastAPI()
    integration.init_aksara(app, dsn, min_pool_size=1, max_pool_size=case.max_pool)

    @app.get("/q")
    async def read_session(session: Any = Depends(integration.get_db_session)) -> dict[str, Any]:
        return {"value": await session.fetchval("SELECT 1")}

    return app


class LifecycleLab:
    """A scratch database for app lifecycles, and the admin connection that counts its connections."""

    def __init__(self, server: Any, database: str | None = None):
        self.server = server
        self.database = database or f"fuzz_lifecycle_{os.getpid()}"
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(clone_database(server, None, self.database))

    def close(self) -> None:
        try:
            self.loop.run_until_complete(drop_databases(self.server, [self.database]))
        finally:
            self.loop.close()

    async def _connections(self) -> int:
        conn = await asyncpg.connect(self.server.admin_dsn)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                                           "AND pid <> pg_backend_pid()", self.database))
        finally:
            await conn.close()

    async def _left_open(self) -> int:
        """Connections still open to the scratch database once a lifespan ended. A backend leaves
        ``pg_stat_activity`` a moment after its client closed the connection: count again for up to
        :data:`SETTLE_SECONDS` before calling a connection left open."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while True:
            count = await self._connections()
            if count == 0 or loop.time() >= deadline:
                return count
            await asyncio.sleep(0.05)

    async def _terminate_leftovers(self) -> None:
        """End every connection still open to the scratch database (after a leak), so the next case counts its own."""
        conn = await asyncpg.connect(self.server.admin_dsn)
        try:
            await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
                               "AND pid <> pg_backend_pid()", self.database)
        finally:
            await conn.close()

    async def _run(self, case: LifecycleCase) -> oracle.LifecycleRun:
        dsn = (f"postgresql://postgres@127.0.0.1:{_closed_port()}/{self.database}" if case.fault == "unreachable"
               else self.server.dsn(self.database))
        app = build_app(case, dsn)
        started, during, statuses = False, None, ()
        try:
            async with app.router.lifespan_context(app):
                started = True
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://lifecycle",
                                             timeout=30.0) as client:
                    try:
                        answers = await asyncio.wait_for(
                            asyncio.gather(*(client.get("/q") for _ in range(case.requests))), REQUEST_DEADLINE)
                        statuses = tuple(a.status_code for a in answers)
                    except asyncio.TimeoutError:
                        statuses = (NO_ANSWER,) * case.requests
                during = await self._connections()
        except Exception as exc:  # noqa: BLE001 - judged: what start-up raised is the observation
            if raised_by_suite(exc) and not isinstance(exc, LifespanFailed):
                raise
            return oracle.LifecycleRun(started, type(exc).__name__, during, statuses, await self._left_open(),
                                       exception_facts(exc) if not isinstance(exc, LifespanFailed) else {})
        return oracle.LifecycleRun(started, None, during, statuses, await self._left_open())

    def run(self, case: LifecycleCase) -> oracle.LifecycleRun:
        """Start, serve and stop ``case``'s app on an event loop of its own (closing it ends whatever the app
        left running, a task worker of a pool that was never closed); Aksara's current database and settings are
        restored after, and any connection left open is ended so the next case counts its own."""
        from aksara.db.engine import Database

        saved = Database._instance
        loop = asyncio.new_event_loop()
        try:
            with settings_as():
                return loop.run_until_complete(asyncio.wait_for(self._run(case), RUN_DEADLINE))
        except asyncio.TimeoutError:
            return oracle.LifecycleRun(False, "TimeoutError", after=loop.run_until_complete(self._left_open()))
        finally:
            Database._instance = saved
            _close(loop)
            self.loop.run_until_complete(self._terminate_leftovers())


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still pending on ``loop`` (let it unwind; unwinding may start more, a leaked pool's upkeep),
    then close it."""
    for _ in range(3):
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if not pending:
            break
        for task in pending:
            task.cancel()
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.wait(pending, timeout=5.0))
    loop.close()


@replayable("lifecycle", env=("lab",))
def lifecycle_case(lab: LifecycleLab, case: LifecycleCase) -> list[Finding]:
    """One app's start, requests and stop, judged by both lifecycle oracles."""
    run = lab.run(case)
    return oracle.check_pool_released(case, run) + oracle.check_fails_fast(case, run)
