"""Planted task and workflow faults, each a subclass or a replacement of one real part of the workers app.

- :func:`payload_tenant_task`: the ordinary task takes its tenant and principal from the payload's claims;
- :func:`payload_tenant_handler`: the durable action takes its tenant from the command;
- :class:`UnlockedClaimWorker`: a ``TaskWorker`` that claims with a plain read then an update (no
  ``FOR UPDATE SKIP LOCKED``, no status re-check): two workers take the same task;
- :class:`NoRecoveryWorker`: a ``TaskWorker`` whose stale-lock recovery does nothing (a crashed task stays
  running for ever);
- :class:`UnfencedCompletionWorker`: a ``TaskWorker`` whose completion does not check its claim token (a
  stale owner overwrites the new owner's result);
- :class:`NoBackoffWorker`: a ``TaskWorker`` that reschedules a failed task at once;
- :class:`KeylessService`: a ``DurableOperationService`` that drops the idempotency key;
- :func:`per_attempt_effect_handler`: the external action names its effect after the attempt's fence, so each
  attempt gets a new downstream key (the guide: keep the effect name and ordinal stable across retries);
- :func:`command_tenant_external_handler`: the external action sends under the command's ``tenant_id`` claim;
- :func:`forgetful_intent_handler`: Aksara's effect context forgets that a recorded intent's send began, so a
  recovery sends again without reconciling (blindly, for a provider without idempotency);
- :class:`CertainFailureService`: a ``DurableOperationService`` that records an unknown external outcome as an
  ordinary executor error;
- :class:`UnscopedExporter`: a ``DurableOutboxExporter`` that claims the next record of any tenant scope;
- :class:`AcknowledgeFirstExporter`: a ``DurableOutboxExporter`` that marks a record exported before its sink
  accepted it (a refused delivery is lost).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aksara.context_state import tenant_id_var
from aksara.db import atomic
from aksara.durable import DurableOperationService, DurableOutboxExporter
from aksara.tasks import TASKS_TABLE, TaskRecord, TaskWorker, get_registered_task

from targets.workers.app import Provider, _after_effect, _before_effect, external_effect, record_effect


async def payload_tenant_task(job: str, principal: str | None = None, requested: Any = None) -> dict[str, Any]:
    """Planted: the payload's ``tenant_id`` and ``principal`` claims win over the trusted context."""
    claims = requested if isinstance(requested, dict) else {}
    tenant = claims.get("tenant_id")
    token = tenant_id_var.set(tenant if isinstance(tenant, str) and tenant else tenant_id_var.get())
    try:
        claimed = claims.get("principal")
        return await record_effect(job, claimed if isinstance(claimed, str) and claimed else principal, requested)
    finally:
        tenant_id_var.reset(token)


async def payload_tenant_handler(context: Any, command: dict[str, Any]) -> dict[str, Any]:
    """Planted: the durable action writes its effect under the command's ``tenant_id`` claim."""
    job = str(command.get("job"))
    await _before_effect(job)
    claimed = command.get("tenant_id")
    tenant = claimed if isinstance(claimed, str) and claimed else context.tenant_id
    await context.database.execute(
        "INSERT INTO workers_effects (job, kind, tenant, principal, operation, claim) VALUES ($1, 'op', $2, $3, $4, $5)",
        job, tenant, context.principal.user_id, str(context.operation_id), int(context.fence))
    _after_effect(job)
    return {"job": job, "fence": int(context.fence)}


class UnlockedClaimWorker(TaskWorker):
    """Planted: an ordinary task is claimed by a read, then an update of that id whatever its status."""

    async def _claim_task(self) -> TaskRecord | None:
        database = self._db
        task_id = await database.fetchval(
            f'SELECT id FROM "{TASKS_TABLE}" WHERE status = \'pending\' AND available_at <= CURRENT_TIMESTAMP '
            "AND operation_id IS NULL ORDER BY available_at, created_at LIMIT 1")
        if task_id is None:
            return await super()._claim_task()
        await asyncio.sleep(0.3)  # the other workers read the same row meanwhile (opening connections included)
        record = await database.fetchrow(
            f'UPDATE "{TASKS_TABLE}" SET status = \'running\', attempts = attempts + 1, locked_at = clock_timestamp(), '
            "locked_by = $2, claim_token = gen_random_uuid(), lock_expires_at = clock_timestamp() + "
            "($3::double precision * INTERVAL '1 second'), updated_at = clock_timestamp() WHERE id = $1 RETURNING *",
            task_id, self.worker_id, self.stale_lock_timeout_seconds)
        return TaskRecord.from_record(record) if record is not None else None


class NoRecoveryWorker(TaskWorker):
    """Planted: stale-lock recovery never resets an expired lease."""

    async def recover_stale_locks(self) -> int:
        return 0


class UnfencedCompletionWorker(TaskWorker):
    """Planted: an ordinary task's completion is written whoever owns the row now."""

    async def _process_task(self, task_record: TaskRecord) -> None:
        if task_record.operation_id is not None:
            return await super()._process_task(task_record)
        token = tenant_id_var.set(task_record.tenant_id)
        try:
            result = await self._execute_callable(get_registered_task(task_record.task_name), task_record.payload)
        except Exception as exc:  # noqa: BLE001 - as the real worker: a failed attempt
            await self._mark_failure(task_record, str(exc), db=self._db)
            return
        finally:
            tenant_id_var.reset(token)
        await self._db.execute(
            f'UPDATE "{TASKS_TABLE}" SET status = \'completed\', result = $1, last_error = NULL, locked_at = NULL, '
            "locked_by = NULL, claim_token = NULL, lock_expires_at = NULL, completed_at = clock_timestamp(), "
            "updated_at = clock_timestamp() WHERE id = $2", json.dumps(result), task_record.id)


class NoBackoffWorker(TaskWorker):
    """Planted: a failed task is due again at once, whatever the configured delay."""

    async def _mark_failure(self, task_record: TaskRecord, error: str, *, db: Any = None) -> None:
        delay, self.retry_delay_seconds = self.retry_delay_seconds, 0.0
        try:
            await super()._mark_failure(task_record, error, db=db)
        finally:
            self.retry_delay_seconds = delay


class KeylessService(DurableOperationService):
    """Planted: dispatch ignores the idempotency key (every dispatch is a new operation)."""

    async def admit(self, *args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
        return await super().admit(*args, idempotency_key=None, **kwargs)


class AnyTenantClaimService(DurableOperationService):
    """Planted: a worker's claim ignores the tenant it runs for (the repository's tenant filter dropped): it takes
    the first claimable operation of any tenant."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scoped = self.repository.claim_row

        async def claim_row(connection: Any, tenant_scope: str, namespace: str, *, operation_id: Any = None) -> Any:
            first = await connection.fetchval(
                "SELECT tenant_scope FROM aksara_operations WHERE application_namespace = $1 AND ($2::uuid IS NULL "
                "OR id = $2) AND ((state = 'ready' AND available_at <= clock_timestamp()) OR (state = 'running' AND "
                "lease_expires_at <= clock_timestamp())) ORDER BY available_at, created_at LIMIT 1",
                namespace, operation_id)
            return await scoped(connection, first or tenant_scope, namespace, operation_id=operation_id)

        self.repository.claim_row = claim_row


async def per_attempt_effect_handler(context: Any, command: dict[str, Any]) -> Any:
    """Planted: the effect identity changes with each attempt, so a retry after a lost answer sends anew."""
    job = str(command.get("job"))
    await _before_effect(job)
    request = {"job": job, "operation": str(context.operation_id),
               "principal": context.claim.principal_reference.subject_id}
    return await context.perform(f"effect-{context.claim.fence}", 1, request, Provider(int(context.claim.fence)))


async def command_tenant_external_handler(context: Any, command: dict[str, Any]) -> Any:
    """Planted: the external send runs under the command's ``tenant_id`` claim, not the operation's tenant."""
    job = str(command.get("job"))
    await _before_effect(job)
    claimed = command.get("tenant_id")
    token = tenant_id_var.set(claimed if isinstance(claimed, str) and claimed else tenant_id_var.get())
    try:
        request = {"job": job, "operation": str(context.operation_id),
                   "principal": context.claim.principal_reference.subject_id}
        return await context.perform("effect", 1, request, Provider(int(context.claim.fence)))
    finally:
        tenant_id_var.reset(token)


async def forgetful_intent_handler(context: Any, command: dict[str, Any]) -> Any:
    """Planted: the effect context reads every recorded intent as never sent (``execution_count`` 0), so a
    recovery after a lost answer skips reconciliation and the no-blind-retry rule and sends again."""
    load = context._record_or_load_intent

    async def forgetful(*args: Any, **kwargs: Any) -> Any:
        return {**dict(await load(*args, **kwargs)), "execution_count": 0}

    context._record_or_load_intent = forgetful
    return await external_effect(context, command)


class CertainFailureService(DurableOperationService):
    """Planted: a failure whose external outcome is unknown is recorded as an ordinary executor error."""

    async def fail_attempt(self, claim: Any, *, code: str, **kwargs: Any) -> Any:
        if code == "external_outcome_unknown":
            code = "executor_error"
        return await super().fail_attempt(claim, code=code, **kwargs)


_CLAIM = """
    WITH candidate AS (
        SELECT o.id FROM aksara_operation_outbox o JOIN aksara_operations p ON p.id = o.operation_id
        WHERE {scope} p.application_namespace = $1 AND o.exported_at IS NULL
          AND o.next_attempt_at <= clock_timestamp()
          AND (o.claim_expires_at IS NULL OR o.claim_expires_at <= clock_timestamp())
        ORDER BY o.id FOR UPDATE SKIP LOCKED LIMIT 1)
    UPDATE aksara_operation_outbox o SET claimed_by = $2,
        claim_expires_at = clock_timestamp() + ($3::double precision * INTERVAL '1 second'),
        export_attempts = export_attempts + 1
    FROM candidate WHERE o.id = candidate.id RETURNING o.*"""


async def _payload(record: Any) -> dict[str, Any]:
    payload = record["payload"]
    return dict(json.loads(payload) if isinstance(payload, str) else payload)


class UnscopedExporter(DurableOutboxExporter):
    """Planted: the claim ignores the tenant scope it was given (the next record of any tenant is exported)."""

    async def export_once(self, *, tenant_id: str | None) -> bool:
        async with atomic(db=self.service.db) as connection:
            record = await connection.fetchrow(_CLAIM.format(scope=""), self.service.application_namespace,
                                               self.worker_id, self.claim_seconds)
        if record is None:
            return False
        await self.sink(await _payload(record))
        async with atomic(db=self.service.db) as connection:
            await connection.execute("UPDATE aksara_operation_outbox SET exported_at = clock_timestamp(), "
                                     "claimed_by = NULL, claim_expires_at = NULL WHERE id = $1", record["id"])
        return True


class AcknowledgeFirstExporter(DurableOutboxExporter):
    """Planted: the record is marked exported before the sink is called; a refused delivery is never retried."""

    async def export_once(self, *, tenant_id: str | None) -> bool:
        async with atomic(db=self.service.db) as connection:
            record = await connection.fetchrow(_CLAIM.format(scope="o.tenant_scope = $4 AND"),
                                               self.service.application_namespace, self.worker_id,
                                               self.claim_seconds, tenant_id)
            if record is None:
                return False
            await connection.execute("UPDATE aksara_operation_outbox SET exported_at = clock_timestamp(), "
                                     "claimed_by = NULL, claim_expires_at = NULL WHERE id = $1", record["id"])
        try:
            await self.sink(await _payload(record))
        except Exception:  # noqa: BLE001 - as the real exporter, a sink failure is not raised
            return False
        return True
