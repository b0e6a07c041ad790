"""The workers app: routes that enqueue a background task and start durable operations.

Identity comes only from the credential: ``Authorization: Bearer <user>`` names one of :data:`USERS`, whose
tenant and roles the middleware puts on ``request.state`` and into Aksara's tenant context. Every request
body may claim another tenant or principal (``tenant_id``, ``principal``, ``user_id`` keys): a correct app
ignores those claims, and so must Aksara.

- ``POST /jobs`` enqueues :data:`TASK_NAME` (an ordinary ``@task``) with the caller's user id, as the
  background-tasks guide tells applications to carry the principal (the task record keeps only the tenant).
- ``POST /workflows`` admits a durable operation (``plain`` or ``approval``, both ``postgres_atomic``, or one
  of :data:`EXTERNAL_KINDS`, whose effect is a send to a :class:`Provider` through Aksara's
  ``ExternalEffectContext.perform``: ``external`` (``external_idempotent``, a provider that honours the
  downstream key), ``reconciled`` (``external_at_least_once``, a provider that does not deduplicate but answers
  reconciliation truthfully) and ``nonretryable`` (``external_nonretryable``, a provider with neither); all with
  ``executor_type="task"``) and links its task row (``enqueue_operation_task``); the ``Idempotency-Key`` header
  is passed on.
- Aksara's own durable router (``/durable/operations``) serves status, cancellation and approval decisions.

Every execution writes one row to ``workers_effects``: the job, the tenant and principal it ran under, and
which claim it was (a task's attempt number, an operation's fence), and the operation's id. The external
action's provider honours the downstream idempotency key as the handle-external-effects guide asks of a real
one: a send with a key it has seen is delivered again (``workers_provider.sends``) but is no new effect. The
other providers make every send an effect, as a provider without idempotency does.
:data:`FAULTS` lets a test make the next execution of a job fail, crash after its effect, or stall before it.
"""

# no "from __future__ import annotations": FastAPI reads the route signatures, whose types are local imports

import asyncio
from dataclasses import dataclass, field
from typing import Any

USERS: dict[str, tuple[str, tuple[str, ...]]] = {  # user -> (tenant, roles)
    "alice": ("t1", ("member",)),
    "carol": ("t1", ("member", "approver")),
    "bob": ("t2", ("member", "approver")),
}
TASK_NAME = "workers.record_effect"
NAMESPACE = "workers"
RESOLVER = ("workers-identity", "1")
ACTIONS = {"plain": ("workers.effect", "1"), "approval": ("workers.approved_effect", "1"),
           "external": ("workers.external_effect", "1"), "reconciled": ("workers.reconciled_effect", "1"),
           "nonretryable": ("workers.nonretryable_effect", "1")}
EXTERNAL = "external"  # the kind whose action is an external_idempotent one
#: kind -> (the action's effect class, its provider's supports_idempotency, supports_reconciliation), as the
#: handle-external-effects guide pairs them
EXTERNAL_KINDS: dict[str, tuple[str, bool, bool]] = {
    "external": ("external_idempotent", True, False),
    "reconciled": ("external_at_least_once", False, True),
    "nonretryable": ("external_nonretryable", False, False),
}
KIND_OF_ACTION = {name: kind for kind, (name, _) in ACTIONS.items()}
APPROVAL_KINDS = ("approval",)  # kinds whose operations wait for an approver's decision
EFFECTS_SQL = """
CREATE TABLE IF NOT EXISTS workers_effects (
    seq BIGSERIAL PRIMARY KEY,
    job TEXT NOT NULL,
    kind TEXT NOT NULL,
    tenant TEXT,
    principal TEXT,
    operation TEXT,
    claim INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS workers_provider (
    downstream_key TEXT PRIMARY KEY,
    job TEXT,
    sends INTEGER NOT NULL DEFAULT 1
)"""


class WorkerCrash(BaseException):
    """The worker process died here: nothing after this line of the worker runs (not an ``Exception``)."""


@dataclass
class Faults:
    """What the next executions of a job do besides their work; set by the test, consumed by the execution."""

    fail: dict[str, int] = field(default_factory=dict)  # job -> executions left that raise before the effect
    crash: set[str] = field(default_factory=set)  # jobs whose next execution dies after its effect
    stall: dict[str, asyncio.Event] = field(default_factory=dict)  # job -> gate its next execution waits on
    waiting: dict[str, list[asyncio.Event]] = field(default_factory=dict)  # job -> gates executions wait on now
    sink_fail: int = 0  # outbox sink calls left that refuse the event (an ordinary exception: a retry is due)
    sink_crash: int = 0  # outbox sink calls left that accept the event, then the exporter process dies

    @property
    def stalled(self) -> int:
        """Executions waiting at a gate now."""
        return sum(len(gates) for gates in self.waiting.values())

    def release(self, job: str) -> None:
        """Open ``job``'s gates: the armed one and those executions wait on."""
        for gate in [self.stall.pop(job, None), *self.waiting.get(job, [])]:
            if gate is not None:
                gate.set()

    def clear(self) -> None:
        for job in {*self.stall, *self.waiting}:
            self.release(job)
        self.fail.clear()
        self.crash.clear()
        self.stall.clear()
        self.waiting.clear()
        self.sink_fail = self.sink_crash = 0


class TransientFailure(RuntimeError):
    """A planned failure the action declares retryable."""


FAULTS = Faults()
STATE: dict[str, Any] = {}  # "db": the lab's aksara Database


async def _before_effect(job: str) -> None:
    left = FAULTS.fail.get(job, 0)
    if left:
        FAULTS.fail[job] = left - 1
        raise TransientFailure(f"planned failure of {job}")
    gate = FAULTS.stall.pop(job, None)
    if gate is not None:
        FAULTS.waiting.setdefault(job, []).append(gate)
        try:
            await gate.wait()
        finally:
            waiting = FAULTS.waiting.get(job, [])
            if gate in waiting:
                waiting.remove(gate)


def _after_effect(job: str) -> None:
    if job in FAULTS.crash:
        FAULTS.crash.discard(job)
        raise WorkerCrash(job)


async def record_effect(job: str, principal: str | None = None, requested: Any = None) -> dict[str, Any]:
    """The ordinary task: one effect under the tenant Aksara restored and the principal the route recorded."""
    from aksara.context_state import tenant_id_var

    db = STATE["db"]
    # the claim this execution runs under: the row is ours (running) when the callable starts
    attempt = await db.fetchval(
        "SELECT attempts FROM aksara_tasks WHERE task_name = $1 AND status = 'running' "
        "AND payload->'kwargs'->>'job' = $2 ORDER BY attempts DESC LIMIT 1", TASK_NAME, job)
    await _before_effect(job)
    tenant = tenant_id_var.get()
    await db.execute("INSERT INTO workers_effects (job, kind, tenant, principal, claim) VALUES ($1, 'task', $2, $3, $4)",
                     job, None if tenant is None else str(tenant), principal, int(attempt or 0))
    _after_effect(job)
    return {"job": job, "attempt": attempt}


async def operation_effect(context: Any, command: dict[str, Any]) -> dict[str, Any]:
    """The durable action: one effect under the operation's tenant and resolved principal, in its transaction."""
    job = str(command.get("job"))
    await _before_effect(job)
    await context.database.execute(
        "INSERT INTO workers_effects (job, kind, tenant, principal, operation, claim) VALUES ($1, 'op', $2, $3, $4, $5)",
        job, context.tenant_id, context.principal.user_id, str(context.operation_id), int(context.fence))
    _after_effect(job)
    return {"job": job, "fence": int(context.fence)}


class Provider:
    """The external system of an external action, with the capabilities :data:`EXTERNAL_KINDS` gives its kind.

    A send records its downstream key. Its effect is one ``workers_effects`` row under the tenant the executor's
    context carries, the principal and operation the request names, the claim's fence. An idempotent provider
    (the ``external`` kind) makes only the first send of a key an effect, a repeat only counts a delivery; the
    others make every send an effect. A reconciling provider answers ``reconcile`` from what it received:
    confirmed with the first send's result, or not found. A crash armed on the job strikes after the provider
    accepted the send and before the executor hears of it: the "lost response" of the guide."""

    def __init__(self, fence: int, kind: str = EXTERNAL) -> None:
        self.fence = fence
        _, self.supports_idempotency, self.supports_reconciliation = EXTERNAL_KINDS[kind]

    async def perform(self, request: Any, *, idempotency_key: str) -> Any:
        from aksara.context_state import tenant_id_var
        from aksara.durable import ExternalEffectResult

        job = str(request.get("job"))
        tenant = tenant_id_var.get()
        await STATE["db"].execute(
            "WITH sent AS (INSERT INTO workers_provider (downstream_key, job) VALUES ($1, $2) "
            "ON CONFLICT (downstream_key) DO UPDATE SET sends = workers_provider.sends + 1 RETURNING sends) "
            "INSERT INTO workers_effects (job, kind, tenant, principal, operation, claim) "
            "SELECT $2, 'op', $3, $4, $5, $6 FROM sent WHERE sends = 1 OR NOT $7",
            idempotency_key, job, None if tenant is None else str(tenant), request.get("principal"),
            request.get("operation"), self.fence, self.supports_idempotency)
        _after_effect(job)
        return ExternalEffectResult({"job": job}, provider_reference=idempotency_key[:16])

    async def reconcile(self, *, idempotency_key: str, provider_reference: Any) -> Any:
        from aksara.durable.external import ExternalEffectResult, ReconciliationResult, ReconciliationStatus

        if not self.supports_reconciliation:
            raise NotImplementedError("the provider cannot reconcile")
        job = await STATE["db"].fetchval("SELECT job FROM workers_provider WHERE downstream_key = $1",
                                         idempotency_key)
        if job is None:
            return ReconciliationResult(ReconciliationStatus.NOT_FOUND)
        return ReconciliationResult(ReconciliationStatus.CONFIRMED,
                                    ExternalEffectResult({"job": job}, provider_reference=idempotency_key[:16]))


async def external_effect(context: Any, command: dict[str, Any]) -> Any:
    """An external action: one send through Aksara's effect context, effect identity ("effect", 1) stable across
    attempts, as the guide asks, to the provider of the action's kind; the request names the operation and the
    principal its claim carries."""
    job = str(command.get("job"))
    await _before_effect(job)
    request = {"job": job, "operation": str(context.operation_id),
               "principal": context.claim.principal_reference.subject_id}
    kind = KIND_OF_ACTION.get(context.claim.action_name, EXTERNAL)
    return await context.perform("effect", 1, request, Provider(int(context.claim.fence), kind))


class SinkUnavailable(RuntimeError):
    """A planned refusal of the outbox sink (the application's delivery failed): the exporter retries later."""


def outbox_sink(scope: str, deliveries: list[tuple[str, dict[str, Any]]]) -> Any:
    """The application's sink for ``DurableOutboxExporter``, bound to the tenant scope it exports (the export guide:
    the payload carries no tenant, the sink adapter adds trusted routing context). An accepted event is appended to
    ``deliveries`` as (scope, payload); :data:`FAULTS` makes a call refuse the event, or accept it and then kill the
    exporter before its acknowledgement (a ``BaseException``: nothing after it runs)."""

    async def sink(payload: Any) -> None:
        if FAULTS.sink_fail:
            FAULTS.sink_fail -= 1
            raise SinkUnavailable("planned sink failure")
        deliveries.append((scope, dict(payload)))
        if FAULTS.sink_crash:
            FAULTS.sink_crash -= 1
            raise WorkerCrash("the exporter died after the sink accepted the event")

    return sink


def principal_for(user: str) -> Any:
    from aksara.security.principal import Principal

    tenant, roles = USERS[user]
    return Principal.for_user(user, tenant_id=tenant, roles=roles, auth_method="token")


def resolve_identity(reference: Any) -> Any:
    """The current principal of a durable reference: a known user of the same tenant, else revoked."""
    from aksara.durable import PrincipalResolution, ResolutionStatus

    user = USERS.get(reference.subject_id or "")
    if user is None or user[0] != reference.tenant_id:
        return PrincipalResolution(ResolutionStatus.REVOKED, detail="unknown user")
    return PrincipalResolution.resolved(principal_for(reference.subject_id))


def principal_reference(principal: Any, request: Any = None) -> Any:
    from aksara.durable import PrincipalReference

    return PrincipalReference.from_principal(principal, resolver_key=RESOLVER[0], resolver_version=RESOLVER[1],
                                             identity_namespace=NAMESPACE)


def register_task(body: Any = record_effect) -> Any:
    """Register ``body`` as the ordinary task (a planted app registers its own body under the same name)."""
    from aksara.tasks import task

    return task(body, name=TASK_NAME, max_attempts=3)


def build_service(db: Any, handler: Any = operation_effect, service_class: Any = None,
                  external_handler: Any = external_effect) -> Any:
    """The durable service with its actions and the identity resolver, in registries of its own."""
    from aksara.durable import (DurableAction, DurableActionRegistry, DurableOperationService, EffectClass,
                                PrincipalResolverRegistry)

    actions = DurableActionRegistry()
    for kind, (name, version) in ACTIONS.items():
        external = kind in EXTERNAL_KINDS
        actions.register(DurableAction(
            name=name, version=version, handler=external_handler if external else handler,
            effect_class=EffectClass(EXTERNAL_KINDS[kind][0]) if external else EffectClass.POSTGRES_ATOMIC,
            executor_type="task", approval_required=kind in APPROVAL_KINDS,
            approval_authorizer=lambda principal, command: "approver" in principal.roles,
            retry_classifier=lambda error: isinstance(error, TransientFailure)))
    resolvers = PrincipalResolverRegistry()
    resolvers.register(*RESOLVER, resolve_identity)
    return (service_class or DurableOperationService)(db, application_namespace=NAMESPACE, actions=actions,
                                                      resolvers=resolvers)


def build_app(db: Any, service: Any, registered_task: Any) -> Any:
    """The ASGI app: credential middleware, ``/jobs``, ``/workflows`` and Aksara's durable router."""
    from fastapi import Header, Request
    from fastapi.responses import JSONResponse

    from aksara import Aksara
    from aksara.context_state import tenant_id_var
    from aksara.durable import create_durable_operations_router
    from aksara.durable.errors import DurableOperationError, IdempotencyConflict
    from aksara.identity import AnonymousUser
    from aksara.security.principal import Principal
    from aksara.tasks import enqueue_operation_task

    app = Aksara(debug=False, enable_admin=False, auto_discover_views=False)

    @app.middleware("http")
    async def authenticate(request: Request, call_next: Any) -> Any:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token in USERS:
            principal = principal_for(token)
            request.state.principal = principal
            request.state.user = _User(token)
            request.state.tenant_id = principal.tenant_id
        else:
            request.state.principal = Principal.anonymous()
            request.state.user = AnonymousUser()
            request.state.tenant_id = None
        request.state.is_ai_agent = False
        reset = tenant_id_var.set(request.state.tenant_id)
        try:
            return await call_next(request)
        finally:
            tenant_id_var.reset(reset)

    def _caller(request: Request) -> Any:
        principal = request.state.principal
        return None if principal.is_anonymous else principal

    @app.post("/jobs", status_code=202)
    async def enqueue_job(request: Request) -> Any:
        principal = _caller(request)
        if principal is None:
            return JSONResponse({"error": "not authenticated"}, status_code=401)
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("job"), str):
            return JSONResponse({"error": "job required"}, status_code=422)
        record = await registered_task.enqueue(job=body["job"], principal=principal.user_id, requested=body, db=db)
        return {"task": str(record.id), "tenant_id": record.tenant_id}

    @app.post("/workflows", status_code=202)
    async def start_workflow(request: Request, idempotency_key: str | None = Header(default=None)) -> Any:
        principal = _caller(request)
        if principal is None:
            return JSONResponse({"error": "not authenticated"}, status_code=401)
        body = await request.json()
        if not isinstance(body, dict) or body.get("kind") not in ACTIONS or not isinstance(body.get("command"), dict):
            return JSONResponse({"error": "kind and command required"}, status_code=422)
        name, version = ACTIONS[body["kind"]]
        try:
            admission = await service.admit(name, version, body["command"], principal_reference(principal),
                                            idempotency_key=idempotency_key)
            await enqueue_operation_task(admission.operation.id, service=service, tenant_id=principal.tenant_id)
        except IdempotencyConflict as error:
            return JSONResponse({"error": error.code}, status_code=409)
        except DurableOperationError as error:
            return JSONResponse({"error": error.code}, status_code=422)
        operation = admission.operation
        return JSONResponse({"operation": str(operation.id), "created": admission.created,
                             "state": operation.state.value, "tenant_id": operation.tenant_id},
                            status_code=202 if admission.created else 200)

    app.include_router(create_durable_operations_router(service, principal_reference_factory=principal_reference))
    return app


class _User:
    """The ``request.state.user`` of an authenticated caller."""

    is_authenticated = True
    is_staff = False

    def __init__(self, name: str) -> None:
        self.id = self.username = name
