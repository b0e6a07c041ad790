"""``aksara.workflows.DurableStep`` on a real PostgreSQL (oracle in fuzz/oracles/workflows.py).

A :class:`WorkflowLab` owns a scratch database (``fuzz_workflows_<pid>``) and an ``aksara.Database`` pool on it.
:func:`run_program` runs a :class:`~strategies.workflows.StepProgram`: each call's callers run
``DurableStep(workflow).run(step, body, force=...)`` at once; the body counts its runs, yields to the loop
(so concurrent callers meet a running step) and returns the call's value or raises. Then the step state table is
read back without Aksara.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from fuzz.findings import Finding, replayable
from fuzz.oracles import workflows as oracle
from strategies.workflows import StepCall, StepProgram
from targets.crash import exception_facts, raised_by_suite
from targets.database import clone_database, drop_databases


class StepBodyFailed(RuntimeError):
    """The error a failing step body raises."""


class WorkflowLab:
    """A scratch database with Aksara's step table, and a pool on it."""

    def __init__(self, server: Any, database: str | None = None):
        from aksara.db import Database

        self.server = server
        self.database = database or f"fuzz_workflows_{os.getpid()}"
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(clone_database(server, None, self.database))
        self.db = Database(server.dsn(self.database), min_size=1, max_size=6)
        self.loop.run_until_complete(self.db.connect())

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.db.disconnect())
            self.loop.run_until_complete(drop_databases(self.server, [self.database]))
        finally:
            self.loop.close()

    async def _call(self, workflow: str, call: StepCall) -> oracle.CallResult:
        from aksara.workflows import ConcurrentStepError, DurableStep

        runs = 0

        async def body() -> Any:
            nonlocal runs
            runs += 1
            await asyncio.sleep(0.01)
            if call.fails:
                raise StepBodyFailed(f"step {call.step} failed")
            return call.value

        async def one() -> Any:
            try:
                return await DurableStep(workflow, db=self.db).run(call.step, body, force=call.force)
            except (ConcurrentStepError, StepBodyFailed) as exc:
                return {"raised": type(exc).__name__}

        try:
            answers = await asyncio.gather(*(one() for _ in range(call.callers)))
        except Exception as exc:  # noqa: BLE001 - judged: no rule names this exception
            if raised_by_suite(exc):
                raise
            return oracle.CallResult(runs, (), exception_facts(exc))
        return oracle.CallResult(runs, tuple(answers))

    async def _table(self, workflow: str) -> dict[str, tuple[str, Any]]:
        from aksara.workflows import DURABLE_STATE_TABLE

        rows = await self.db.fetch(f'SELECT step_name, status, result FROM "{DURABLE_STATE_TABLE}" '
                                   "WHERE workflow_id = $1", workflow)
        out = {}
        for row in rows:
            result = row["result"]
            out[row["step_name"]] = (row["status"], json.loads(result) if isinstance(result, str) else result)
        return out

    async def _run(self, program: StepProgram) -> list[Finding]:
        from aksara.workflows import DURABLE_STATE_TABLE, DurableStep

        await DurableStep(program.workflow, db=self.db).ensure_table()
        await self.db.execute(f'DELETE FROM "{DURABLE_STATE_TABLE}"')
        results = []
        for call in program.calls:
            result = await self._call(program.workflow, call)
            results.append(result)
            if result.crash:
                break
        return oracle.check_step_once(program, results, await self._table(program.workflow))

    def run(self, program: StepProgram) -> list[Finding]:
        return self.loop.run_until_complete(self._run(program))


@replayable("workflows", env=("lab",))
def run_program(lab: WorkflowLab, program: StepProgram) -> list[Finding]:
    """One workflow's step calls, judged against the re-entry rules."""
    return lab.run(program)
