"""The workers app on a scratch PostgreSQL database, with several real ``TaskWorker`` instances.

One :class:`WorkersLab` per process owns an event loop, the database (Aksara's internal migrations applied:
``aksara_tasks`` and the durable-operation tables), the app behind an in-process ASGI client and the workers.
Each example starts from empty tables (:meth:`reset`). Besides the task workers, :meth:`operate` runs Aksara's
standalone ``DurableOperationWorker`` loop for one tenant, as its durable-operations guide deploys it.

Time: leases last :data:`LEASE_SECONDS`, retries wait ``RETRY_DELAY_SECONDS * 2 ** (attempt - 1)``. A run
cannot wait that long, so :meth:`advance` moves every lease, lock and availability time of the queue and of
the operations :data:`ADVANCE_SECONDS` into the past — what the rows look like once that much time has passed
with no heartbeat (a stalled or dead worker) — and then runs one worker's stale-lock recovery, as its loop
would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from targets.crash import instrument
from targets.database import clone_database, drop_databases
from targets.transcript import Exchange
from targets.workers import app as workers_app

LEASE_SECONDS = 30.0
RETRY_DELAY_SECONDS = 60.0
BACKOFF_BASE = 2.0
ADVANCE_SECONDS = 600.0
WORKERS = 3
SETTLE_SECONDS = 10.0


#: what keeps an operate() loop going: an operation of the tenant it could claim now, or one it is running
_OPERATOR_BUSY = """
SELECT (SELECT count(*) FROM aksara_operations WHERE tenant_id = $1
          AND ((state = 'ready' AND available_at <= clock_timestamp())
               OR (state = 'running' AND lease_expires_at <= clock_timestamp())))
     + (SELECT count(*) FROM aksara_operation_attempts WHERE worker_id = $2 AND state = 'running')
"""


class _ErrorRecords(logging.Handler):
    """The messages (with their exception) of the error records a worker's loop logs while it swallows them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        self.messages.append(f"{type(error).__name__}: {error}" if error else record.getMessage())


@dataclass
class Reply:
    """One HTTP exchange with the app: its status, parsed body and transcript (with the crash, if it raised)."""

    status: int
    json: Any
    exchange: Exchange


@dataclass
class PollResult:
    """What a round of concurrent polls did: polls that finished, and those still stalled or crashed."""

    finished: int = 0
    crashed: int = 0
    errors: list[str] = field(default_factory=list)
    hung: bool = False


class WorkersLab:
    """The app, its database and its workers, driven synchronously from a test or a state machine.

    A planted lab swaps one real part for a faulty one: ``worker_class`` (a ``TaskWorker`` subclass),
    ``task_body`` (the ordinary task's function), ``action_handler`` (the ``postgres_atomic`` actions' handler),
    ``external_handler`` (the external action's handler), ``exporter_class`` (a ``DurableOutboxExporter``
    subclass) or ``service_class`` (a ``DurableOperationService`` subclass). ``database`` names its scratch database (with
    the process id: one per process)."""

    def __init__(self, server: Any, *, worker_class: Any = None, task_body: Any = None,
                 action_handler: Any = None, service_class: Any = None, database: str | None = None,
                 external_handler: Any = None, exporter_class: Any = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = server
        # one database per process: xdist may run one module's tests on both workers, and each set-up drops and
        # recreates its database (a shared name would pull it away from under the other worker)
        self.database = f"fuzz_workers_{database or 'lab'}_{os.getpid()}"
        self.worker_class = worker_class
        self.task_body = task_body or workers_app.record_effect
        self.action_handler = action_handler or workers_app.operation_effect
        self.external_handler = external_handler or workers_app.external_effect
        self.exporter_class = exporter_class
        self.deliveries: list[tuple[str, dict[str, Any]]] = []  # (tenant scope, payload) the outbox sink accepted
        self.exports = 0
        self.service_class = service_class
        self.background: list[asyncio.Task[Any]] = []
        self.timings: list[float] = []
        self.operators: dict[str, str] = {}  # worker id of each operate() -> the tenant it was run for
        self.loop.run_until_complete(self._start())

    # -------------------------------------------------------------------------------------------- set-up

    async def _start(self) -> None:
        from aksara.db.engine import Database
        from aksara.migrations import apply_migrations
        from aksara.tasks import TaskWorker, _TASK_REGISTRY

        await clone_database(self.server, None, self.database)
        saved = Database._instance  # each construction replaces the process-wide instance: keep the suite's
        try:
            self.db = Database(self.server.dsn(self.database), min_size=1, max_size=WORKERS * 2 + 2)
        finally:
            Database._instance = saved
        await self.db.connect()
        with tempfile.TemporaryDirectory(prefix="aksara-fuzz-workers-") as empty:
            result = await apply_migrations(self.db, empty, verbose=False, include_internal=True)
        if result.get("errors"):
            raise RuntimeError(f"Aksara's internal migrations failed: {result['errors']}")
        await self.db.execute(workers_app.EFFECTS_SQL)
        names = await self.db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND "
                                    "(tablename LIKE 'aksara_operation%' OR tablename IN ('aksara_tasks', 'workers_effects', 'workers_provider'))")
        self.tables = sorted(r["tablename"] for r in names)
        workers_app.STATE["db"] = self.db
        self._previous_task = _TASK_REGISTRY.get(workers_app.TASK_NAME)
        self.task = workers_app.register_task(self.task_body)
        self._registered = _TASK_REGISTRY.get(workers_app.TASK_NAME)
        self.service = workers_app.build_service(self.db, self.action_handler, self.service_class,
                                                 self.external_handler)
        self.app = workers_app.build_app(self.db, self.service, self.task)
        worker_class = self.worker_class or TaskWorker
        self.workers = [worker_class(self.db, durable_service=self.service, worker_id=f"worker-{i}",
                                     stale_lock_timeout_seconds=LEASE_SECONDS, retry_delay_seconds=RETRY_DELAY_SECONDS,
                                     retry_backoff_base=BACKOFF_BASE, poll_interval=0.05)
                        for i in range(WORKERS)]
        self.crashes = instrument(self.app)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")

    def close(self) -> None:
        from aksara.tasks import _TASK_REGISTRY

        async def stop() -> None:
            await self._drop_background()
            await self.client.aclose()
            await self.db.disconnect()
            await drop_databases(self.server, [self.database])

        try:
            self.loop.run_until_complete(stop())
        finally:
            self.loop.close()
            workers_app.STATE.pop("db", None)
            if self._previous_task is not None:
                _TASK_REGISTRY[workers_app.TASK_NAME] = self._previous_task
            else:
                _TASK_REGISTRY.pop(workers_app.TASK_NAME, None)

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _drop_background(self) -> None:
        workers_app.FAULTS.clear()  # releases every stalled execution
        for task in self.background:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background.clear()

    def reset(self) -> None:
        """Empty tables, no faults, no stalled execution: the start of an example.

        The lab also becomes the process's active one again: the app's effects and providers write through
        ``STATE["db"]`` and the workers look the task up in Aksara's registry, both process-wide, and another
        lab started and closed meanwhile (a planted one in tests/) leaves them pointing at its closed database."""
        from aksara.tasks import _TASK_REGISTRY

        workers_app.STATE["db"] = self.db
        _TASK_REGISTRY[workers_app.TASK_NAME] = self._registered

        async def reset() -> None:
            await self._drop_background()
            await self.db.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables) + " RESTART IDENTITY CASCADE")

        self.run(reset())
        self.deliveries.clear()
        self.operators.clear()

    # -------------------------------------------------------------------------------------------- HTTP

    def request(self, method: str, path: str, user: str | None, body: Any = None,
                headers: dict[str, str] | None = None) -> Reply:
        sent = {"accept": "application/json", **(headers or {})}
        if user is not None:
            sent["authorization"] = f"Bearer {user}"

        content = None if body is None else json.dumps(body).encode()
        if content is not None:
            sent["content-type"] = "application/json"

        async def send() -> httpx.Response:
            return await self.client.request(method, path, content=content, headers=sent)

        self.crashes.clear()
        started = time.perf_counter()
        response = self.run(send())
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        exchange = Exchange(method, path, headers=tuple(sent.items()), body=content, principal=user or "anonymous",
                            status=response.status_code, response_headers=tuple(response.headers.items()),
                            response_text=response.text, elapsed_ms=(time.perf_counter() - started) * 1000,
                            crash=self.crashes.crash())
        return Reply(response.status_code, payload, exchange)

    # -------------------------------------------------------------------------------------------- workers

    def poll(self, count: int) -> PollResult:
        """``count`` workers each poll once, concurrently; wait until each finished, crashed or stalled."""
        started = time.perf_counter()
        result = self.run(self._poll(count))
        self.timings.append(time.perf_counter() - started)
        return result

    async def _poll(self, count: int) -> PollResult:
        stalled_before = workers_app.FAULTS.stalled
        polls = [asyncio.ensure_future(w.poll_once()) for w in self.workers[:count]]
        deadline = time.monotonic() + SETTLE_SECONDS
        result = PollResult()
        while True:
            await asyncio.sleep(0.002)
            running = [p for p in polls if not p.done()]
            stalled_now = workers_app.FAULTS.stalled - stalled_before
            if len(running) <= stalled_now:
                break
            if time.monotonic() > deadline:
                result.hung = True
                break
        if any(p.done() and isinstance(p.exception(), workers_app.WorkerCrash) for p in polls):
            await self._bury_heartbeats()
        for p in polls:
            if not p.done():
                self.background.append(p)  # a stalled execution resumes when its gate opens
                continue
            error = p.exception()
            if error is None:
                result.finished += 1
            elif isinstance(error, workers_app.WorkerCrash):
                result.crashed += 1
            else:
                result.errors.append(f"{type(error).__name__}: {error}")
        return result

    def operate(self, tenant: str) -> PollResult:
        """Aksara's ``DurableOperationWorker`` for ``tenant`` runs its loop (``run(tenant_id=...)``) until it is
        idle — nothing of the tenant left to claim, nothing of its own running — or its execution stalled or
        crashed; then it is stopped. A poll the loop logs as failed is an error of the result."""
        started = time.perf_counter()
        result = self.run(self._operate(tenant))
        self.timings.append(time.perf_counter() - started)
        return result

    async def _operate(self, tenant: str) -> PollResult:
        from aksara.durable import DurableOperationWorker

        worker_id = f"operator-{tenant}-{len(self.operators) + 1}"
        self.operators[worker_id] = tenant
        worker = DurableOperationWorker(self.service, worker_id=worker_id, lease_seconds=LEASE_SECONDS,
                                        poll_interval=0.02)
        failures = _ErrorRecords()
        log = logging.getLogger(DurableOperationWorker.__module__)
        log.addHandler(failures)
        stalled_before = workers_app.FAULTS.stalled
        loop = asyncio.ensure_future(worker.run(tenant_id=tenant))
        deadline = time.monotonic() + SETTLE_SECONDS
        result = PollResult()
        try:
            while not loop.done() and workers_app.FAULTS.stalled == stalled_before:
                await asyncio.sleep(0.01)
                if await self.db.fetchval(_OPERATOR_BUSY, tenant, worker_id) == 0:
                    break
                if time.monotonic() > deadline:
                    result.hung = True
                    break
            worker.stop()
            await asyncio.wait({loop}, timeout=1.0)
        finally:
            log.removeHandler(failures)
        if not loop.done():
            self.background.append(loop)  # a stalled execution resumes when its gate opens, then the loop ends
        elif isinstance(loop.exception(), workers_app.WorkerCrash):
            result.crashed += 1
            await self._bury_heartbeats()
        elif loop.exception() is not None:
            result.errors.append(f"{type(loop.exception()).__name__}: {loop.exception()}")
        else:
            result.finished += 1
        result.errors += failures.messages
        return result

    def attempts(self) -> list[dict[str, Any]]:
        """Every operation attempt: which worker made it, for which operation."""
        rows = self.run(self.db.fetch("SELECT operation_id::text AS operation_id, worker_id, state "
                                      "FROM aksara_operation_attempts ORDER BY started_at"))
        return [dict(r) for r in rows]

    @staticmethod
    async def _bury_heartbeats() -> None:
        """Stop the lease renewals of executions a crash ended: a killed worker's heartbeat dies with it.

        (An external operation's execution runs beside a renewal task, ``DurableOperationWorker.
        _renew_external_claim``; the crash, a ``BaseException``, leaves that task behind in this process.)"""
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            if getattr(coro, "__qualname__", "").endswith("_renew_external_claim") and not task.done():
                execution = (getattr(coro, "cr_frame", None) and coro.cr_frame.f_locals.get("execution"))
                if execution is None or execution.done():
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    def release(self, job: str) -> None:
        """Open the gate of ``job``'s stalled execution and let it run to its end."""
        async def release() -> None:
            workers_app.FAULTS.release(job)
            for _ in range(2000):
                await asyncio.sleep(0.002)
                pending = [t for t in self.background if not t.done()]
                if len(pending) <= workers_app.FAULTS.stalled:
                    break
            done = [t for t in self.background if t.done()]
            for t in done:
                if not t.cancelled():
                    t.exception()  # retrieved: a crash of a resumed execution is part of the plan
            self.background = [t for t in self.background if not t.done()]

        self.run(release())

    def advance(self) -> int:
        """Let :data:`ADVANCE_SECONDS` pass for leases, locks and retry delays; then recover stale locks."""
        # a lock's expiry is its own column from 0.7.2 (lock_expires_at); before, locked_at + the timeout
        times = [c for c in ("available_at", "updated_at", "locked_at", "lock_expires_at") if c in self.task_columns()]

        async def advance() -> int:
            shift = f"INTERVAL '{ADVANCE_SECONDS} seconds'"
            await self.db.execute(f"UPDATE aksara_tasks SET {', '.join(f'{c} = {c} - {shift}' for c in times)}")
            await self.db.execute(
                f"UPDATE aksara_operations SET lease_expires_at = lease_expires_at - {shift}, "
                f"available_at = available_at - {shift} WHERE state IN ('running', 'ready')")
            await self.db.execute(
                f"UPDATE aksara_operation_attempts SET lease_expires_at = lease_expires_at - {shift} "
                "WHERE state = 'running'")
            await self.db.execute(
                f"UPDATE aksara_operation_outbox SET next_attempt_at = next_attempt_at - {shift}, "
                f"claim_expires_at = claim_expires_at - {shift} WHERE exported_at IS NULL")
            return await self.workers[0].recover_stale_locks()

        return self.run(advance())

    def export(self, tenant: str) -> tuple[bool, bool, str | None]:
        """One ``DurableOutboxExporter.export_once`` for ``tenant``'s scope, into :func:`workers_app.outbox_sink`
        (claim :data:`LEASE_SECONDS`, retry :data:`RETRY_DELAY_SECONDS`): (exported, the exporter crashed, error)."""
        from aksara.durable import DurableOutboxExporter

        self.exports += 1
        exporter = (self.exporter_class or DurableOutboxExporter)(
            self.service, workers_app.outbox_sink(tenant, self.deliveries), worker_id=f"outbox-{self.exports}",
            claim_seconds=LEASE_SECONDS, retry_seconds=RETRY_DELAY_SECONDS)
        try:
            return bool(self.run(exporter.export_once(tenant_id=tenant))), False, None
        except workers_app.WorkerCrash:
            return False, True, None
        except Exception as error:  # noqa: BLE001 - judged by the machine: an exporter must not raise
            return False, False, f"{type(error).__name__}: {error}"

    def outbox(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT id, operation_id::text AS operation_id, tenant_scope, payload, exported_at, export_attempts "
            "FROM aksara_operation_outbox ORDER BY id", "payload")

    # -------------------------------------------------------------------------------------------- state

    def effects(self) -> list[dict[str, Any]]:
        rows = self.run(self.db.fetch("SELECT job, kind, tenant, principal, operation, claim FROM workers_effects ORDER BY seq"))
        return [dict(r) for r in rows]

    def task_columns(self) -> frozenset[str]:
        """The columns of the installed release's task table (they differ between releases)."""
        if not hasattr(self, "_task_columns"):
            self._task_columns = frozenset(r["column_name"] for r in self.run(self.db.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'aksara_tasks'")))
        return self._task_columns

    def tasks(self) -> list[dict[str, Any]]:
        # the worker that holds a row's lock is recorded from 0.7.2 (locked_by); older task tables lack the column
        locked_by = ", locked_by" if "locked_by" in self.task_columns() else ""
        return self._rows(
            "SELECT id, task_name, tenant_id, payload, status, attempts, max_attempts, result, last_error, "
            f"operation_id, available_at, updated_at{locked_by} FROM aksara_tasks ORDER BY created_at",
            "payload", "result")

    def operations(self) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT o.id, o.tenant_id, o.state, o.attempt_count, o.principal_reference, o.result, o.error, "
            "c.payload AS command FROM aksara_operations o JOIN aksara_operation_commands c ON c.operation_id = o.id "
            "ORDER BY o.created_at",
            "principal_reference", "result", "error", "command")

    def _rows(self, sql: str, *json_columns: str) -> list[dict[str, Any]]:
        """The rows of ``sql`` as dicts, the ``json_columns`` decoded where the driver returned their text."""
        out = []
        for r in self.run(self.db.fetch(sql)):
            row = dict(r)
            for key in json_columns:
                if isinstance(row[key], str):
                    row[key] = json.loads(row[key])
            out.append(row)
        return out

    def open_tasks(self) -> list[dict[str, Any]]:
        """Task rows still pending or running, but those of operations waiting for an approval."""
        rows = self.run(self.db.fetch(
            "SELECT t.id, t.status, t.attempts, t.operation_id, o.state AS operation_state FROM aksara_tasks t "
            "LEFT JOIN aksara_operations o ON o.id = t.operation_id WHERE t.status IN ('pending', 'running') "
            "AND (o.state IS NULL OR o.state <> 'waiting_for_approval')"))
        return [dict(r) for r in rows]

    def operation_state(self, operation_id: str) -> str | None:
        return self.run(self.db.fetchval("SELECT state FROM aksara_operations WHERE id = $1::uuid", operation_id))
