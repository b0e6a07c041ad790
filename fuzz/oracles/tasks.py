"""Oracles for background tasks and durable workflows: provenance, exactly-once effects, nothing lost.

Each takes what the tasks machine (:mod:`fuzz.properties.tasks`) observed — effect rows, task and operation
rows, HTTP answers — and what its model knows (who enqueued each job, which faults were armed), and returns
findings. Choices where Aksara's docs leave room, written down here:

- Provenance: a job's effect runs under the tenant and principal of the request that enqueued it — the
  credential's, never a body's claim. For an ordinary ``@task`` Aksara keeps only the tenant (the
  background-tasks guide, "Identity boundary": the app carries the principal); for a durable operation the
  principal is the one Aksara's resolver rebuilt from the admitting principal's reference. A
  ``DurableOperationWorker`` runs for "one explicitly selected tenant" (its docstring; the durable-operations
  guide: "An application can poll one tenant explicitly"), so it claims that tenant's operations and no other's.
- Exactly once: a ``postgres_atomic`` operation's effect commits with its success, so a succeeded operation
  has exactly one effect and any other state none, whatever crashed or retried. An ``external_idempotent``
  operation's effect is a send to a provider that honours the downstream key (how-to/handle-external-effects.md:
  "a later Attempt uses the same downstream key. The provider must return the same logical result without
  delivering a second message"), so it too has exactly one effect once succeeded, however many sends retries
  made; no PostgreSQL transaction spans the provider ("Aksara does not claim exactly-once external effects"
  without one), so an operation that did not succeed may keep the effect of a send whose answer was lost (a
  crash armed after the send), never more than one. The other external classes meet providers that make every
  send an effect, so the same count holds only if Aksara never sends blindly after a lost answer: an
  ``external_at_least_once`` action's adapter "can reconcile before any repeat" (and this one reconciles
  truthfully), an ``external_nonretryable`` one has "no blind retry ... after an ambiguous send". Ordinary tasks are documented
  at-least-once: an execution that crashed after its effect, or stalled past its lease, may be repeated by
  the new owner. So a completed task has at least one effect and at most one more per such fault armed for
  it; one claim runs one execution (no two effects of one job share a claim number); and the completion
  recorded is the last claim's (the claim-token fence).
- Nothing lost: after the queue is drained no row is pending or running; a task completes unless planned
  failures used its whole attempt budget; an operation succeeds unless it was cancelled, rejected or failed
  by planned failures, or still waits for an approval no one gave. An external send whose answer may have been
  lost may also end the operation ``failed``, when it cannot be recovered (``external_nonretryable``) or was
  cancelled meanwhile ("cancellation is best effort and never rewrites the outcome as though the provider action
  was undone"); such a failure says ``external_outcome_unknown`` ("When neither idempotency nor reconciliation
  can establish the truth, the Operation fails with ``external_outcome_unknown``"), never another reason.
- Outbox export (how-to/export-durable-transitions.md): ``DurableOutboxExporter`` exports each committed
  transition record of the tenant scope it is given, and only those ("``None`` selects the non-tenant scope, not
  all tenants"), at least once: once drained every record is marked exported and the sink accepted it; a second
  delivery of one transition needs an exporter that died after the sink accepted and before its acknowledgement
  (one per such crash); a refused delivery is retried, never lost.
- Retry: a failed task is rescheduled ``delay * base ** (attempt - 1)`` seconds later (capped), and no
  worker runs it again before then.
- Durable conflicts: the documented answers of dispatch with an idempotency key, cancellation and approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from targets.transcript import Exchange

TERMINAL_OPERATION = {"succeeded", "failed", "cancelled", "expired"}
OUTCOME_UNKNOWN = "external_outcome_unknown"  # the failure reason of a send nothing could confirm


@dataclass
class JobFacts:
    """What the model knows of one job: who asked, what it is, which faults and decisions touched it."""

    job: str
    kind: str  # "task", or the operation kind ("plain", "approval", "external", ...)
    user: str
    tenant: str
    effect_class: str = "postgres_atomic"  # an operation's effect class (aksara.durable.EffectClass values)
    allowance: int = 0  # crash and stall faults armed: each may repeat one effect of an ordinary task
    fails: int = 0  # planned failures armed
    cancelled: bool = False  # an accepted cancellation or rejection
    approved: bool = False  # an accepted approval
    operation: str | None = None  # the operation's id, once dispatched
    command_job: str | None = None  # the ``job`` its command names (shared by operations of one command)

    @property
    def is_task(self) -> bool:
        return self.kind == "task"

    @property
    def is_external(self) -> bool:
        """An operation whose effect leaves PostgreSQL (an ``external_*`` effect class)."""
        return not self.is_task and self.effect_class.startswith("external_")

    @property
    def key(self) -> str:
        """What its effects carry: the job of a task, the id of an operation."""
        return self.job if self.is_task else str(self.operation)


def effect_key(effect: Mapping[str, Any]) -> str:
    """The job (task) or operation id (operation) an effect row belongs to."""
    return str(effect["operation"]) if effect["kind"] == "op" else str(effect["job"])


def _facts(job: JobFacts, problem: str, **more: Any) -> dict[str, str]:
    facts = {"job_kind": "task" if job.is_task else "operation", "problem": problem}
    facts.update({k: str(v) for k, v in more.items()})
    return facts


def check_provenance(jobs: Mapping[str, JobFacts], effects: Sequence[Mapping[str, Any]],
                     rows: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Every effect, task row and operation row of a job carries the enqueuing request's trusted tenant and principal."""
    findings: list[Finding] = []
    by_key = {j.key: j for j in jobs.values()}
    for effect in effects:
        job = by_key.get(effect_key(effect))
        if job is None:
            findings.append(Finding(catalog.TASKS_PROVENANCE, f"an effect of unknown job {effect_key(effect)!r}",
                                    observed=dict(effect), facts={"problem": "unknown_job"}))
            continue
        judged(catalog.TASKS_PROVENANCE)
        for what, got, want in (("tenant", effect["tenant"], job.tenant), ("principal", effect["principal"], job.user)):
            if got != want:
                findings.append(Finding(
                    catalog.TASKS_PROVENANCE, f"{job.kind} {job.job} ran under {what} {got!r}, enqueued by {want!r}",
                    observed=got, expected=want, facts=_facts(job, f"effect_{what}", field=what)))
    for name, row in rows.items():
        job = jobs[name]
        judged(catalog.TASKS_PROVENANCE)
        if row.get("tenant_id") != job.tenant:
            findings.append(Finding(
                catalog.TASKS_PROVENANCE, f"the row of {job.kind} {name} records tenant {row.get('tenant_id')!r}",
                observed=row.get("tenant_id"), expected=job.tenant, facts=_facts(job, "row_tenant")))
        subject = (row.get("principal_reference") or {}).get("subject_id", job.user) if not job.is_task else job.user
        if subject != job.user:
            findings.append(Finding(
                catalog.TASKS_PROVENANCE, f"operation {name} records principal {subject!r}",
                observed=subject, expected=job.user, facts=_facts(job, "row_principal")))
    return findings


def check_enqueue_answer(job: JobFacts, exchange: Exchange, body: Any) -> list[Finding]:
    """An authenticated enqueue or dispatch is accepted and answers with the caller's tenant, whatever the body claims."""
    status = exchange.status
    if status not in (200, 202) or not isinstance(body, dict):
        return [Finding(catalog.TASKS_PROVENANCE, f"{job.kind} {job.job} by {job.user} refused with {status}",
                        observed={"status": status, "body": str(body)[:300]}, expected="202", exchanges=(exchange,),
                        facts=_facts(job, "refused"))]
    judged(catalog.TASKS_PROVENANCE)
    if body.get("tenant_id") != job.tenant:
        return [Finding(catalog.TASKS_PROVENANCE, f"{job.kind} {job.job} was recorded under tenant "
                        f"{body.get('tenant_id')!r}, the caller's is {job.tenant!r}",
                        observed=body.get("tenant_id"), expected=job.tenant, exchanges=(exchange,),
                        facts=_facts(job, "enqueue_tenant"))]
    return []


def check_exactly_once(job: JobFacts, effects: Sequence[Mapping[str, Any]], row: Mapping[str, Any] | None) -> list[Finding]:
    """A succeeded operation has exactly one effect (others none); a completed task one, plus at most one per repeat-allowing fault, one per claim, completed by its last claim."""
    mine = [e for e in effects if effect_key(e) == job.key]
    if row is None:
        return [Finding(catalog.TASKS_EXACTLY_ONCE, f"{job.kind} {job.job} has no row", facts=_facts(job, "no_row"))]
    judged(catalog.TASKS_EXACTLY_ONCE)
    findings: list[Finding] = []
    if not job.is_task:
        want = 1 if row["state"] == "succeeded" else 0
        if job.is_external and row["state"] != "succeeded" and job.allowance and len(mine) == 1:
            want = 1  # a send whose answer was lost: the provider has it, the operation never learnt
        if len(mine) != want:
            findings.append(Finding(
                catalog.TASKS_EXACTLY_ONCE, f"operation {job.job} is {row['state']} with {len(mine)} effects",
                observed=len(mine), expected=want, facts=_facts(job, "effect_count", state=row["state"])))
        return findings
    claims = [e["claim"] for e in mine]
    repeated = sorted({c for c in claims if claims.count(c) > 1})
    if repeated:
        findings.append(Finding(
            catalog.TASKS_EXACTLY_ONCE, f"task {job.job}: claim(s) {repeated} ran more than one execution",
            observed=claims, expected="one effect per claim", facts=_facts(job, "claim_ran_twice")))
    if row["status"] == "completed":
        low, high = 1, 1 + job.allowance
        if not low <= len(mine) <= high:
            findings.append(Finding(
                catalog.TASKS_EXACTLY_ONCE, f"task {job.job} completed with {len(mine)} effects "
                f"({job.allowance} repeat-allowing fault(s) armed)", observed=len(mine), expected=f"{low}..{high}",
                facts=_facts(job, "effect_count", status="completed")))
        result = row.get("result") or {}
        if not isinstance(result, dict) or result.get("attempt") != row["attempts"]:
            findings.append(Finding(
                catalog.TASKS_EXACTLY_ONCE, f"task {job.job}'s completion came from claim {result.get('attempt') if isinstance(result, dict) else result!r}, "
                f"not its last claim {row['attempts']}", observed=result, expected={"attempt": row["attempts"]},
                facts=_facts(job, "stale_completion")))
    elif len(mine) > job.allowance:
        findings.append(Finding(
            catalog.TASKS_EXACTLY_ONCE, f"task {job.job} is {row['status']} with {len(mine)} effects",
            observed=len(mine), expected=f"<= {job.allowance}", facts=_facts(job, "effect_count", status=row["status"])))
    if claims and max(claims) > row["attempts"]:
        findings.append(Finding(
            catalog.TASKS_EXACTLY_ONCE, f"task {job.job} ran claim {max(claims)} but records {row['attempts']} attempts",
            observed=row["attempts"], expected=max(claims), facts=_facts(job, "attempts")))
    return findings


def check_nothing_lost(job: JobFacts, row: Mapping[str, Any] | None, max_attempts: int) -> list[Finding]:
    """After the queue is drained each job is terminal, with the outcome its faults and decisions allow."""
    if row is None:
        return [Finding(catalog.TASKS_NOTHING_LOST, f"{job.kind} {job.job} disappeared", facts=_facts(job, "no_row"))]
    judged(catalog.TASKS_NOTHING_LOST)
    if job.is_task:
        status = row["status"]
        if status == "completed":
            return []
        if status == "failed" and job.fails and row["attempts"] >= max_attempts and row.get("last_error"):
            return []
        return [Finding(catalog.TASKS_NOTHING_LOST, f"task {job.job} ended {status} after {row['attempts']} attempts "
                        f"({job.fails} planned failure(s))", observed={"status": status, "attempts": row["attempts"]},
                        expected="completed" if not job.fails else "completed, or failed after its whole budget",
                        facts=_facts(job, f"task_{status}"))]
    state = row["state"]
    allowed = {"succeeded"}
    if job.cancelled:
        allowed = {"cancelled"}
    elif job.kind == "approval" and not job.approved:
        allowed = {"waiting_for_approval"}
    if job.fails and not job.cancelled:
        allowed.add("failed")
    # a send whose answer may have been lost, that nothing can recover or a cancellation closed: outcome unknown
    uncertain = job.is_external and job.allowance and (job.cancelled or job.effect_class == "external_nonretryable")
    if uncertain:
        allowed.add("failed")
    if state not in allowed:
        return [Finding(catalog.TASKS_NOTHING_LOST, f"operation {job.job} ended {state}",
                        observed=state, expected=sorted(allowed), facts=_facts(job, f"operation_{state}"))]
    code = (row.get("error") or {}).get("code") if isinstance(row.get("error"), dict) else None
    if state == "failed" and uncertain and not job.fails and code != OUTCOME_UNKNOWN:
        return [Finding(catalog.TASKS_NOTHING_LOST, f"operation {job.job} failed with {code!r} after a send whose "
                        f"answer was lost, not {OUTCOME_UNKNOWN!r}", observed=row.get("error"),
                        expected={"code": OUTCOME_UNKNOWN}, facts=_facts(job, "uncertainty_hidden"))]
    return []


def check_queue_drained(open_rows: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """No task row stays pending or running once the workers drained the queue (approval waits aside)."""
    judged(catalog.TASKS_NOTHING_LOST)
    return [Finding(catalog.TASKS_NOTHING_LOST, f"a {row['status']} task row outlived the drain",
                    observed={k: str(v) for k, v in row.items()}, facts={"problem": f"left_{row['status']}"})
            for row in open_rows]


def expected_delay(attempts: int, base_delay: float, backoff: float, cap: float) -> float:
    """The documented retry delay after failed attempt number ``attempts``."""
    return min(base_delay * backoff ** (attempts - 1), cap)


def check_backoff(job: JobFacts, attempts: int, seconds_until_available: float, want: float,
                  tolerance: float = 2.0) -> list[Finding]:
    """A failed task with budget left is rescheduled after exactly its backoff delay."""
    judged(catalog.TASKS_RETRY_BACKOFF)
    if abs(seconds_until_available - want) > tolerance:
        return [Finding(catalog.TASKS_RETRY_BACKOFF, f"task {job.job} failed attempt {attempts} and is due again in "
                        f"{seconds_until_available:.1f} s, not {want:.1f} s", observed=round(seconds_until_available, 1),
                        expected=want, facts=_facts(job, "delay"))]
    return []


def check_not_early(job: JobFacts, backing_off_at: int, attempts_now: int) -> list[Finding]:
    """No worker claims a task again before its retry delay has passed."""
    judged(catalog.TASKS_RETRY_BACKOFF)
    if attempts_now > backing_off_at:
        return [Finding(catalog.TASKS_RETRY_BACKOFF, f"task {job.job} was claimed again (attempt {attempts_now}) "
                        "before its retry delay passed", observed=attempts_now, expected=backing_off_at,
                        facts=_facts(job, "early_retry"))]
    return []


def expected_dispatch(previous: tuple[str, Any, str | None] | None, kind: str, command: Any) -> str:
    """What a dispatch should do: ``created`` (new key or none), ``same`` (identical replay) or ``conflict``."""
    if previous is None:
        return "created"
    before_kind, before_command, _ = previous
    return "same" if (before_kind, before_command) == (kind, command) else "conflict"


def check_dispatch(job: JobFacts, expectation: str, exchange: Exchange, body: Any,
                   previous_id: str | None) -> list[Finding]:
    """A dispatch with an idempotency key creates one operation; an identical replay returns it; a changed one is 409."""
    judged(catalog.TASKS_DURABLE_CONFLICTS)
    status = exchange.status
    body = body if isinstance(body, dict) else {}
    if expectation == "conflict":
        ok = status == 409 and body.get("error") == "idempotency_conflict"
        want: Any = "409 idempotency_conflict"
    elif expectation == "same":
        ok = status in (200, 202) and body.get("created") is False and body.get("operation") == previous_id
        want = {"created": False, "operation": previous_id}
    else:
        ok = status == 202 and body.get("created") is True and body.get("operation") != previous_id
        want = {"created": True}
    if ok:
        return []
    return [Finding(catalog.TASKS_DURABLE_CONFLICTS, f"dispatch expected {expectation}, got {status}",
                    observed={"status": status, "body": str(body)[:300]}, expected=want, exchanges=(exchange,),
                    facts=_facts(job, f"dispatch_{expectation}"))]


def expected_decision(action: str, pre_state: str | None, same_tenant: bool, approver: bool) -> tuple[int, str | None]:
    """The documented answer to a cancellation or approval decision: (status, the operation's state after)."""
    if not same_tenant or pre_state is None:
        return 404, None
    if action == "cancel":
        if pre_state in TERMINAL_OPERATION:
            return 409, None
        return 200, "running" if pre_state == "running" else "cancelled"
    if not approver:
        return 403, None
    if pre_state != "waiting_for_approval":
        return 409, None
    return 200, "ready" if action == "approve" else "cancelled"


def check_decision(job: JobFacts, action: str, user: str, pre_state: str | None, want: tuple[int, str | None],
                   exchange: Exchange, body: Any) -> list[Finding]:
    """Cancellation and approval answer as documented: 404 across tenants, 403 for a non-approver, 409 on a conflict."""
    judged(catalog.TASKS_DURABLE_CONFLICTS)
    status = exchange.status
    state = body.get("state") if isinstance(body, dict) else None
    if status == want[0] and (want[1] is None or state == want[1]):
        return []
    return [Finding(catalog.TASKS_DURABLE_CONFLICTS, f"{action} of a {pre_state} operation by {user}: {status} "
                    f"{state or ''}, expected {want[0]} {want[1] or ''}",
                    observed={"status": status, "state": state, "body": str(body)[:300]},
                    expected={"status": want[0], "state": want[1]}, exchanges=(exchange,),
                    facts=_facts(job, f"{action}_{pre_state}"))]


def check_workers_healthy(errors: Iterable[str], hung: bool) -> list[Finding]:
    """No worker poll raises or hangs (a planned crash aside)."""
    judged(catalog.TASKS_NOTHING_LOST)
    findings = [Finding(catalog.TASKS_NOTHING_LOST, f"a worker poll raised {error}", observed=error,
                        facts={"problem": "worker_error", "error": error.split(":", 1)[0]}) for error in errors]
    if hung:
        findings.append(Finding(catalog.TASKS_NOTHING_LOST, "a worker poll neither finished nor stalled in time",
                                facts={"problem": "worker_hung"}))
    return findings


def check_worker_scope(jobs: Mapping[str, JobFacts], tenant: str, before: Sequence[Mapping[str, Any]],
                       after: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """A durable worker run for a tenant changes no other tenant's operation (claims, executes or closes none)."""
    was = {str(row["id"]): (row["state"], row["attempt_count"]) for row in before}
    is_ = {str(row["id"]): (row["state"], row["attempt_count"]) for row in after}
    findings: list[Finding] = []
    for name, job in jobs.items():
        if job.is_task or not job.operation or job.tenant == tenant:
            continue
        judged(catalog.TASKS_PROVENANCE)
        now = is_.get(job.operation)
        if now != was.get(job.operation):
            findings.append(Finding(
                catalog.TASKS_PROVENANCE, f"the durable worker of tenant {tenant!r} changed {name} of tenant "
                f"{job.tenant!r} (state, attempts {was.get(job.operation)} -> {now})",
                observed=list(now or ()), expected=list(was.get(job.operation) or ()),
                facts={"job_kind": "operation", "problem": "worker_scope"}))
    return findings


def transition_key(payload: Mapping[str, Any]) -> tuple[str, Any]:
    """The identity of an exported transition: its operation and state version."""
    return str(payload.get("operation_id")), payload.get("state_version")


def check_export_scope(jobs: Mapping[str, JobFacts], deliveries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Finding]:
    """An exporter given a tenant's scope delivers only transitions of that tenant's operations."""
    by_operation = {j.operation: j for j in jobs.values() if j.operation}
    findings: list[Finding] = []
    for scope, payload in deliveries:
        judged(catalog.TASKS_PROVENANCE)
        job = by_operation.get(str(payload.get("operation_id")))
        if job is None or job.tenant != scope:
            findings.append(Finding(
                catalog.TASKS_PROVENANCE, f"the exporter of scope {scope!r} delivered a transition of "
                f"{'an unknown operation' if job is None else f'{job.job} (tenant {job.tenant!r})'}",
                observed=dict(payload), expected=f"transitions of tenant {scope!r} only",
                facts={"job_kind": "outbox", "problem": "export_scope"}))
    return findings


def check_outbox_drained(jobs: Mapping[str, JobFacts], rows: Sequence[Mapping[str, Any]],
                         deliveries: Sequence[tuple[str, Mapping[str, Any]]], crashes: int) -> list[Finding]:
    """Once drained, every transition record is exported and was delivered; a repeat needs an exporter crash."""
    ours = {j.operation for j in jobs.values() if j.operation}
    delivered: dict[tuple[str, Any], int] = {}
    for _scope, payload in deliveries:
        key = transition_key(payload)
        delivered[key] = delivered.get(key, 0) + 1
    findings: list[Finding] = []
    for row in rows:
        if str(row["operation_id"]) not in ours:
            continue
        judged(catalog.TASKS_NOTHING_LOST)
        key = transition_key(row["payload"])
        if row["exported_at"] is None:
            findings.append(Finding(catalog.TASKS_NOTHING_LOST, f"transition {key} was never marked exported "
                                    f"({row['export_attempts']} attempt(s))", observed=str(row["exported_at"]),
                                    expected="exported", facts={"job_kind": "outbox", "problem": "not_exported"}))
        elif not delivered.get(key):
            findings.append(Finding(catalog.TASKS_NOTHING_LOST, f"transition {key} is marked exported but the sink "
                                    "never accepted it", observed=0, expected=">= 1 delivery",
                                    facts={"job_kind": "outbox", "problem": "exported_undelivered"}))
    judged(catalog.TASKS_EXACTLY_ONCE)
    repeats = sum(n - 1 for n in delivered.values() if n > 1)
    if repeats > crashes:
        findings.append(Finding(catalog.TASKS_EXACTLY_ONCE, f"the sink got {repeats} repeated transition(s) with "
                                f"{crashes} exporter crash(es)", observed=repeats, expected=f"<= {crashes}",
                                facts={"job_kind": "outbox", "problem": "export_repeated"}))
    return findings
