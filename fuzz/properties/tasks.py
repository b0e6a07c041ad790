"""The tasks machine: a model of the queue and the durable operations, run against real workers.

Rules draw only from the model (users, the jobs it created, the keys and commands it sent), never from
live rows, so a replay draws the same steps:

- ``enqueue``: ``POST /jobs`` as a user, the body claiming another tenant or principal;
- ``dispatch``: ``POST /workflows`` (a plain, an approval or an external-effect operation of each external
  effect class) with no key, a new
  key, or a key already used (same or changed command), the command claiming another tenant or principal;
- ``arm``: the next execution of a job fails (1-3 times), crashes after its effect, or stalls (tasks only);
- ``work``: 1-3 real ``TaskWorker`` instances poll once each, concurrently, on one database; before that,
  optionally, time passes beyond every lease and retry delay and stale locks are recovered;
- ``operate``: Aksara's standalone ``DurableOperationWorker`` loop runs for one tenant until it is idle (the
  durable-operations guide's explicit per-tenant worker, beside the task adapter);
- ``release``: a stalled execution resumes (its lease is gone by then if time advanced: a late
  heartbeat and a late completion from the old owner);
- ``cancel`` / ``decide``: Aksara's durable router, as a user of the same or another tenant;
- ``export``: Aksara's ``DurableOutboxExporter`` exports one transition of a tenant's scope to the application's
  sink, which may refuse it or accept it and then see the exporter die before its acknowledgement.

After every step the database is compared with the model (provenance, exactly-once effects); after a poll,
retry delays; after an export, the scope of what the sink got; at the end of a run the queue is drained (stalls
released, time advanced, workers polled), then each tenant's outbox, and nothing may be lost.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fuzz.findings import Finding, with_replay
from fuzz.judging import judge
from fuzz.oracles import tasks as oracles
from fuzz.oracles.tasks import JobFacts
from strategies.tasks import (OPERATION_FAULT_KINDS, FaultCase, fault_sweep, faults, hostile_claims, idempotency_keys,
                              representative_claims)
from targets.workers.app import ACTIONS, APPROVAL_KINDS, EXTERNAL_KINDS, FAULTS, USERS
from targets.workers.lab import BACKOFF_BASE, RETRY_DELAY_SECONDS, WorkersLab

MAX_ATTEMPTS = 3
RETRY_CAP = 3600.0
DRAIN_ROUNDS = 12
TENANTS = sorted({tenant for tenant, _ in USERS.values()})


class _Recorded:
    """``st.data()`` that remembers what it drew (the trace a replay re-runs), or a replay's script of draws."""

    def __init__(self, data: Any, drawn: list[Any], script: list[Any] | None = None) -> None:
        self.data, self.drawn, self.script = data, drawn, script

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        value = self.script.pop(0) if self.script is not None else self.data.draw(strategy, label=label)
        self.drawn.append(value)
        return value


class TasksMachine(RuleBasedStateMachine):
    """Draws queue and workflow steps; compares the database with the model after each.

    ``lab`` is the started :class:`~targets.workers.lab.WorkersLab`, set on the class before the machine runs."""

    lab: WorkersLab | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.lab is not None
        self.lab.reset()
        self.jobs: dict[str, JobFacts] = {}
        self.keys: dict[tuple[str, str], tuple[str, Any, str | None]] = {}  # (user, key) -> (kind, command, op id)
        self.commands: list[tuple[str, str, Any]] = []  # (user, kind, command) dispatched, for replays
        self.stalls: list[str] = []  # jobs with a stall armed (drawn, not observed)
        self.backing_off: dict[str, int] = {}  # task job -> attempts when its failure was seen
        self.steps: list[str] = []
        self.trace: list[list[Any]] = []  # [rule, its own arguments, what it drew]: the input a replay re-runs
        self.collected: list[Finding] | None = None  # a replay collects findings instead of judging them
        self.export_crashes = 0  # exporters that died after their sink accepted (each may repeat one transition)

    # ------------------------------------------------------------------------------------ helpers

    def _new_job(self, kind: str, user: str) -> JobFacts:
        name = f"{'job' if kind == 'task' else 'op'}-{len(self.jobs) + 1}"
        return JobFacts(name, kind, user, USERS[user][0],
                        effect_class=EXTERNAL_KINDS.get(kind, ("postgres_atomic",))[0])

    def _data(self, rule: str, args: dict[str, Any], data: Any) -> _Recorded:
        drawn: list[Any] = []
        self.trace.append([rule, args, drawn])
        return _Recorded(data, drawn, getattr(data, "script", None))

    def _judge(self, findings: list[Finding]) -> None:
        if findings:
            steps = " | ".join(self.steps[-25:])
            findings = [Finding(f.property_id, f.message, f.observed, f.expected, f.exchanges,
                                {**f.facts}, reproducer=f"steps: {steps}") for f in findings]
            findings = with_replay(findings, "tasks", "replay_trace", trace=[list(t) for t in self.trace])
        if self.collected is not None:
            self.collected += findings
            return
        judge(findings)

    # ------------------------------------------------------------------------------------ rules

    @initialize(user=st.sampled_from(sorted(USERS)), data=st.data())
    def first_job(self, user: str, data: st.DataObject) -> None:
        """Every run starts with one task in the queue, most often with a fault armed on it."""
        self.enqueue(user, data)
        data = self._data("first_job", {"user": user}, data)
        if self.jobs and data.draw(st.booleans(), label="arm a fault on it"):
            self._arm(self.jobs[sorted(self.jobs)[0]], *data.draw(faults(), label="fault"))

    @rule(user=st.sampled_from(sorted(USERS)), data=st.data())
    def enqueue(self, user: str, data: st.DataObject) -> None:
        data = self._data("enqueue", {"user": user}, data)
        job = self._new_job("task", user)
        claims = data.draw(hostile_claims(USERS, user), label="claims")
        reply = self.lab.request("POST", "/jobs", user, {**claims, "job": job.job})
        self.steps.append(f"enqueue {job.job} as {user} claiming {claims}")
        findings = oracles.check_enqueue_answer(job, reply.exchange, reply.json)
        if reply.status == 202:
            self.jobs[job.job] = job
        self._judge(findings)

    @rule(user=st.sampled_from(sorted(USERS)), kind=st.sampled_from(list(ACTIONS)), data=st.data())
    def dispatch(self, user: str, kind: str, data: st.DataObject) -> None:
        data = self._data("dispatch", {"user": user, "kind": kind}, data)
        key = data.draw(idempotency_keys(), label="idempotency key")
        mine = [c for c in self.commands if c[0] == user]
        if mine and data.draw(st.booleans(), label="repeat an earlier command"):
            _, kind, command = data.draw(st.sampled_from(mine), label="earlier command")
        else:
            command = {**data.draw(hostile_claims(USERS, user), label="claims"), "job": f"cmd-{len(self.commands) + 1}"}
        previous = self.keys.get((user, key)) if key else None
        expectation = oracles.expected_dispatch(previous, kind, command)
        job = self._new_job(kind, user)
        job.command_job = command["job"]
        reply = self.lab.request("POST", "/workflows", user, {"kind": kind, "command": command},
                                 headers={"idempotency-key": key} if key else None)
        self.steps.append(f"dispatch {kind} {command['job']} as {user} key={key} ({expectation})")
        findings: list[Finding] = []
        if expectation == "created":  # a refused new operation is judged by provenance, once
            findings += oracles.check_enqueue_answer(job, reply.exchange, reply.json)
        if expectation != "created" or reply.status < 500:
            findings += oracles.check_dispatch(job, expectation, reply.exchange, reply.json,
                                               previous[2] if previous else None)
        body = reply.json if isinstance(reply.json, dict) else {}
        if expectation == "created" and reply.status == 202:
            job.operation = body.get("operation")
            # armed faults are per command: an operation repeating a command shares them
            twin = next((j for j in self.jobs.values() if j.command_job == job.command_job), None)
            if twin is not None:
                job.fails, job.allowance = twin.fails, twin.allowance
            self.jobs[job.job] = job
            if (user, kind, command) not in self.commands:
                self.commands.append((user, kind, command))
            if key:
                self.keys[(user, key)] = (kind, command, job.operation)
        self._judge(findings)

    @rule(data=st.data())
    def arm(self, data: st.DataObject) -> None:
        data = self._data("arm", {}, data)
        if not self.jobs:
            return
        job = self.jobs[data.draw(st.sampled_from(sorted(self.jobs)), label="job")]
        self._arm(job, *data.draw(faults() if job.is_task else faults(OPERATION_FAULT_KINDS), label="fault"))

    def _arm(self, job: JobFacts, fault: str, count: int) -> None:
        target = job.job if job.is_task else str(job.command_job)
        sharing = [j for j in self.jobs.values() if (j.job if j.is_task else j.command_job) == target]
        if fault == "fail":
            FAULTS.fail[target] = FAULTS.fail.get(target, 0) + count
        elif fault == "crash":
            FAULTS.crash.add(target)
        else:
            FAULTS.stall[target] = asyncio.Event()
            self.stalls.append(target)
        for j in sharing:
            if fault == "fail":
                j.fails += count
            else:
                j.allowance += 1
        self.steps.append(f"arm {fault}x{count} on {target}")

    @rule(count=st.integers(1, 3), later=st.booleans())
    def work(self, count: int, later: bool) -> None:
        self.trace.append(["work", {"count": count, "later": later}, []])
        if later:  # time passes first: leases and retry delays expire, stale locks are recovered
            self.lab.advance()
            self.backing_off.clear()
        before = self._task_rows()
        result = self.lab.poll(count)
        self.steps.append(f"{'advance, ' if later else ''}work x{count}")
        findings = oracles.check_workers_healthy(result.errors, result.hung)
        for name, row in self._task_rows().items():
            job = self.jobs[name]
            if name in self.backing_off:
                findings += oracles.check_not_early(job, self.backing_off[name], row["attempts"])
            moved = row["attempts"] > before.get(name, {}).get("attempts", 0)
            if moved and row["status"] == "pending" and row["last_error"] and row["attempts"] < row["max_attempts"]:
                want = oracles.expected_delay(row["attempts"], RETRY_DELAY_SECONDS, BACKOFF_BASE, RETRY_CAP)
                findings += oracles.check_backoff(job, row["attempts"], row["due_in"], want)
                self.backing_off[name] = row["attempts"]
        self._judge(findings)

    @rule(tenant=st.sampled_from(TENANTS))
    def operate(self, tenant: str) -> None:
        self.trace.append(["operate", {"tenant": tenant}, []])
        before = self.lab.operations()
        result = self.lab.operate(tenant)
        self.steps.append(f"operate {tenant}")
        findings = oracles.check_workers_healthy(result.errors, result.hung)
        findings += oracles.check_worker_scope(self.jobs, tenant, before, self.lab.operations())
        self._judge(findings)

    @precondition(lambda self: bool(self.stalls))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        data = self._data("release", {}, data)
        name = data.draw(st.sampled_from(self.stalls), label="stalled job")
        self.stalls.remove(name)
        self.lab.release(name)
        self.steps.append(f"release {name}")

    @rule(user=st.sampled_from(sorted(USERS)), action=st.sampled_from(["cancel", "approve", "reject"]),
          data=st.data())
    def decide(self, user: str, action: str, data: st.DataObject) -> None:
        data = self._data("decide", {"user": user, "action": action}, data)
        operations = sorted(n for n, j in self.jobs.items() if not j.is_task)
        if not operations:
            return
        name = data.draw(st.sampled_from(operations), label="operation")
        job = self.jobs[name]
        pre_state = self.lab.operation_state(job.operation)
        same_tenant = USERS[user][0] == job.tenant
        want = oracles.expected_decision(action, pre_state, same_tenant, "approver" in USERS[user][1])
        path = f"/durable/operations/{job.operation}/" + ("cancel" if action == "cancel" else "decision")
        body = {"reason": "fuzz"} if action == "cancel" else {"approve": action == "approve"}
        reply = self.lab.request("POST", path, user, body)
        self.steps.append(f"{action} {name} ({pre_state}) as {user} -> {reply.status}")
        if reply.status == 200:
            if action == "approve":
                job.approved = True
            else:
                job.cancelled = True
        self._judge(oracles.check_decision(job, action, user, pre_state, want, reply.exchange, reply.json))

    @rule(tenant=st.sampled_from(TENANTS), fault=st.sampled_from(["none", "fail", "crash"]))
    def export(self, tenant: str, fault: str) -> None:
        self.trace.append(["export", {"tenant": tenant, "fault": fault}, []])
        self._export(tenant, fault)

    def _export(self, tenant: str, fault: str) -> bool:
        FAULTS.sink_fail, FAULTS.sink_crash = int(fault == "fail"), int(fault == "crash")
        seen = len(self.lab.deliveries)
        try:
            exported, crashed, error = self.lab.export(tenant)
        finally:
            FAULTS.sink_fail = FAULTS.sink_crash = 0
        self.export_crashes += int(crashed)
        self.steps.append(f"export {tenant}{'' if fault == 'none' else ' ' + fault} -> "
                          f"{'crashed' if crashed else exported}")
        findings = oracles.check_export_scope(self.jobs, self.lab.deliveries[seen:])
        findings += oracles.check_workers_healthy([error] if error else [], False)
        self._judge(findings)
        return exported

    # ------------------------------------------------------------------------------------ model vs database

    def _task_rows(self) -> dict[str, dict[str, Any]]:
        rows = {}
        now = time.time()
        for row in self.lab.tasks():
            if row["operation_id"] is None:
                name = (row["payload"].get("kwargs") or {}).get("job")
                row["job"] = name
                row["due_in"] = row["available_at"].timestamp() - now
                rows[name] = row
        return rows

    def _rows(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = dict(self._task_rows())
        by_id = {j.operation: n for n, j in self.jobs.items() if j.operation}
        for row in self.lab.operations():
            name = by_id.get(str(row["id"]))
            if name is not None:
                rows[name] = row
        return rows

    @invariant()
    def database_matches_model(self) -> None:
        effects = self.lab.effects()
        rows = self._rows()
        findings = oracles.check_provenance(self.jobs, effects, rows)
        for name, job in self.jobs.items():
            findings += oracles.check_exactly_once(job, effects, rows.get(name))
        self._judge(findings)

    def teardown(self) -> None:
        try:
            if self.jobs:
                self._drain()
        finally:
            self.lab.reset()

    def _drain(self) -> None:
        for name in list(self.stalls):
            self.lab.release(name)
        self.stalls.clear()
        FAULTS.crash.clear()
        findings: list[Finding] = []
        for _ in range(DRAIN_ROUNDS):
            self.lab.advance()
            result = self.lab.poll(3)
            findings += oracles.check_workers_healthy(result.errors, result.hung)
            if not self.lab.open_tasks():
                break
        self.steps.append("drain")
        findings += oracles.check_queue_drained(self.lab.open_tasks())
        findings += self._drain_outbox()
        rows = self._rows()
        for name, job in self.jobs.items():
            findings += oracles.check_nothing_lost(job, rows.get(name), MAX_ATTEMPTS)
        self._judge(findings)
        self.database_matches_model()


    def _drain_outbox(self) -> list[Finding]:
        """Export every tenant's outbox until nothing is left (time advanced between rounds), then judge it."""
        tenants = TENANTS
        for _ in range(DRAIN_ROUNDS * 4):
            pending = {row["tenant_scope"] for row in self.lab.outbox() if row["exported_at"] is None}
            if not pending & set(tenants):
                break
            self.lab.advance()
            for tenant in tenants:
                if tenant in pending:
                    while self._export(tenant, "none"):
                        pass
        self.steps.append("drain outbox")
        return oracles.check_outbox_drained(self.jobs, self.lab.outbox(), self.lab.deliveries, self.export_crashes)


class Script:
    """Stands in for ``st.data()`` in a replay or a scripted test: each draw takes the next scripted value."""

    def __init__(self, *values: Any) -> None:
        self.script = list(values)

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self.script.pop(0)


def run_trace(lab: WorkersLab, trace: list[Any], *, judge_findings: bool = False) -> list[Finding]:
    """Run a machine's ``trace`` (``[rule, arguments, draws]`` per step) on ``lab``; return its findings.

    The database is compared with the model after every step and the run ends with the drain, as in the
    machine. With ``judge_findings`` the findings are judged (a new one raises) instead of returned."""
    TasksMachine.lab = lab
    try:
        machine = TasksMachine()
        if not judge_findings:
            machine.collected = []
        play(machine, trace)
        machine.teardown()
        return list(machine.collected or [])
    finally:
        TasksMachine.lab = None


def play(machine: TasksMachine, trace: list[Any]) -> None:
    """Each step of ``trace`` on ``machine``, the database compared with the model after each (no drain)."""
    for rule, args, draws in trace:
        if rule in ("work", "export", "operate"):  # rules that draw nothing
            getattr(machine, rule)(**args)
        elif rule == "first_job":  # enqueue's own draws were recorded as the step before
            if machine.jobs and draws and draws[0]:
                machine._arm(machine.jobs[sorted(machine.jobs)[0]], *draws[1])
            machine.trace.append([rule, args, list(draws)])
        else:
            getattr(machine, rule)(**args, data=Script(*draws))
        machine.database_matches_model()


def sweep_cases() -> list[FaultCase]:
    """The fault sweep of the workers app: each of its operation kinds and its tasks under each fault."""
    return fault_sweep(list(ACTIONS), USERS, approval_kinds=APPROVAL_KINDS)


def sweep_trace(case: FaultCase) -> list[list[Any]]:
    """The machine's steps for one sweep case, as a trace (so its findings replay like the machine's): the job,
    its fault, an approval where it needs one, a poll, the cancellation, time past every lease with more polls
    (a stalled execution released after its successor ran); the drain follows."""
    first = "job-1" if case.kind == "task" else "op-1"
    claims = representative_claims(USERS, case.user)
    if case.kind == "task":
        trace: list[list[Any]] = [["enqueue", {"user": case.user}, [claims]]]
    else:
        trace = [["dispatch", {"user": case.user, "kind": case.kind}, [None, claims]]]
    trace.append(["arm", {}, [first, case.fault]])
    if case.approver:
        trace.append(["decide", {"user": case.approver, "action": "approve"}, [first]])
    trace.append(["work", {"count": 1, "later": False}, []])
    if case.cancel:
        trace.append(["decide", {"user": case.user, "action": "cancel"}, [first]])
    if case.fault[0] == "stall":
        trace += [["work", {"count": 1, "later": True}, []], ["release", {}, [first]]]
    trace.append(["work", {"count": 2, "later": True}, []])
    return trace


def scope_trace() -> list[list[Any]]:
    """The machine's steps that put every tenant's operations before each tenant's own durable worker: one
    operation per user and kind, the first tenant's dispatched last (a worker that ignored its tenant would claim
    the others' first); the first of them crashes its worker once, the loop of a second worker recovers it after
    its lease; then every tenant's worker runs."""
    trace: list[list[Any]] = []
    for user in sorted(USERS, key=lambda user: USERS[user][0] == TENANTS[0]):
        for n, kind in enumerate(k for k in sorted(ACTIONS) if k not in APPROVAL_KINDS):
            # draws: no idempotency key, (after the user's first) not a repeat of an earlier command, the claims
            draws = [None, *([False] if n else []), representative_claims(USERS, user)]
            trace.append(["dispatch", {"user": user, "kind": kind}, draws])
    trace.append(["arm", {}, [f"op-{len(trace)}", ("crash", 1)]])
    trace += [["operate", {"tenant": TENANTS[0]}, []], ["work", {"count": 1, "later": True}, []]]
    trace += [["operate", {"tenant": tenant}, []] for tenant in TENANTS]
    return trace


def run_sweep_case(lab: WorkersLab, case: FaultCase) -> list[Finding]:
    """The findings of one sweep case on ``lab`` (each carries the trace that replays it)."""
    return run_trace(lab, sweep_trace(case))


def replay_trace(lab: WorkersLab, trace: list[Any]) -> list[Finding]:
    """A stored trace again on a fresh workers lab: the replay of any ``tasks.*`` finding."""
    return run_trace(lab, trace)
