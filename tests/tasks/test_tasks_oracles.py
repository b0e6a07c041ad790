"""The tasks family's oracles catch planted faults in a real queue and stay quiet on Aksara's own.

Pure tests judge values; live tests run scripted steps of :class:`fuzz.properties.tasks.TasksMachine` on the
workers app (real Aksara, real PostgreSQL, several real ``TaskWorker`` instances), once with Aksara's own parts
and once with one part replaced by a planted fault (tests/support/plants/tasks.py).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.oracles import tasks as oracles
from fuzz.oracles.tasks import JobFacts
from fuzz.properties.tasks import Script, TasksMachine, replay_trace
from strategies.tasks import FAULT_KINDS, claim_labels, faults, hostile_claims
from targets.transcript import Exchange
from targets.workers.app import USERS
from targets.workers.lab import WorkersLab
from tests.support.find import find_any
from tests.support.plants import tasks as plants

# -- strategies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["foreign_tenant", "foreign_user", "system", "empty", "malformed", "nested"])
def test_hostile_claims_reach_every_class(label):
    find_any(hostile_claims(USERS, "alice"), lambda claims: label in claim_labels(claims, USERS, "alice"))


def test_hostile_claims_never_name_the_job():
    find_any(hostile_claims(USERS, "bob"), lambda claims: "job" not in claims)  # the machine adds the job last


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_faults_reach_every_kind(kind):
    find_any(faults(), lambda fault: fault[0] == kind)


# -- pure oracles -----------------------------------------------------------------------------------------


def _task(**kw: Any) -> JobFacts:
    return JobFacts("job-1", "task", "alice", "t1", **kw)


def _operation(**kw: Any) -> JobFacts:
    return JobFacts("op-1", "plain", "bob", "t2", operation="0f0f", command_job="cmd-1", **kw)


def _effect(kind: str = "task", tenant: str = "t1", principal: str = "alice", claim: int = 1,
            job: str = "job-1", operation: str | None = None) -> dict[str, Any]:
    return {"job": job, "kind": kind, "tenant": tenant, "principal": principal, "operation": operation, "claim": claim}


def _ids(findings: list[Finding]) -> set[str]:
    return {f.property_id for f in findings}


def test_provenance_flags_an_effect_under_a_claimed_tenant_or_principal():
    jobs = {"job-1": _task()}
    assert oracles.check_provenance(jobs, [_effect()], {}) == []
    wrong = oracles.check_provenance(jobs, [_effect(tenant="t2"), _effect(principal="bob")], {})
    assert [f.facts["problem"] for f in wrong] == ["effect_tenant", "effect_principal"]
    row = {"tenant_id": "t2"}
    assert _ids(oracles.check_provenance(jobs, [], {"job-1": row})) == {catalog.TASKS_PROVENANCE}


def test_provenance_of_an_operation_reads_its_reference():
    jobs = {"op-1": _operation()}
    good = {"tenant_id": "t2", "principal_reference": {"subject_id": "bob"}}
    assert oracles.check_provenance(jobs, [_effect("op", "t2", "bob", operation="0f0f", job="cmd-1")],
                                    {"op-1": good}) == []
    bad = {"tenant_id": "t2", "principal_reference": {"subject_id": "alice"}}
    assert [f.facts["problem"] for f in oracles.check_provenance(jobs, [], {"op-1": bad})] == ["row_principal"]


def test_enqueue_answer_needs_acceptance_and_the_callers_tenant():
    exchange = Exchange("POST", "/jobs", status=202)
    assert oracles.check_enqueue_answer(_task(), exchange, {"tenant_id": "t1"}) == []
    assert oracles.check_enqueue_answer(_task(), exchange, {"tenant_id": "t2"})[0].facts["problem"] == "enqueue_tenant"
    refused = oracles.check_enqueue_answer(_task(), Exchange("POST", "/jobs", status=500), {})
    assert refused[0].facts["problem"] == "refused"


def test_exactly_once_for_operations_and_tasks():
    op = _operation()
    effect = _effect("op", "t2", "bob", operation="0f0f", job="cmd-1")
    assert oracles.check_exactly_once(op, [effect], {"state": "succeeded"}) == []
    assert oracles.check_exactly_once(op, [], {"state": "cancelled"}) == []
    assert oracles.check_exactly_once(op, [effect, effect], {"state": "succeeded"})
    assert oracles.check_exactly_once(op, [effect], {"state": "failed"})
    external = JobFacts("op-1", "external", "bob", "t2", operation="0f0f", command_job="cmd-1",
                        effect_class="external_idempotent")
    assert oracles.check_exactly_once(external, [effect], {"state": "succeeded"}) == []
    assert oracles.check_exactly_once(external, [effect, effect], {"state": "succeeded"})
    assert oracles.check_exactly_once(external, [effect], {"state": "failed"})  # no lost answer armed
    lost = JobFacts("op-1", "external", "bob", "t2", operation="0f0f", command_job="cmd-1", allowance=1,
                    effect_class="external_idempotent")
    assert oracles.check_exactly_once(lost, [effect], {"state": "failed"}) == []
    assert oracles.check_exactly_once(lost, [effect, effect], {"state": "failed"})
    done = {"status": "completed", "attempts": 2, "result": {"attempt": 2}}
    assert oracles.check_exactly_once(_task(allowance=1), [_effect(claim=1), _effect(claim=2)], done) == []
    assert oracles.check_exactly_once(_task(), [_effect(claim=1), _effect(claim=2)], done)  # no fault allows a repeat
    assert oracles.check_exactly_once(_task(allowance=1), [_effect(claim=2), _effect(claim=2)], done)  # one claim twice
    stale = {"status": "completed", "attempts": 2, "result": {"attempt": 1}}
    problems = [f.facts["problem"] for f in oracles.check_exactly_once(_task(allowance=1), [_effect()], stale)]
    assert problems == ["stale_completion"]
    assert oracles.check_exactly_once(_task(), [_effect()], {"status": "pending", "attempts": 1})


def test_nothing_lost_allows_only_what_faults_and_decisions_explain():
    assert oracles.check_nothing_lost(_task(), {"status": "completed", "attempts": 1}, 3) == []
    failed = {"status": "failed", "attempts": 3, "last_error": "x"}
    assert oracles.check_nothing_lost(_task(fails=3), failed, 3) == []
    assert oracles.check_nothing_lost(_task(), failed, 3)
    assert oracles.check_nothing_lost(_task(), {"status": "running", "attempts": 1}, 3)
    assert oracles.check_nothing_lost(_operation(), {"state": "succeeded"}, 3) == []
    assert oracles.check_nothing_lost(_operation(cancelled=True), {"state": "succeeded"}, 3)
    assert oracles.check_nothing_lost(JobFacts("op-2", "approval", "alice", "t1"), {"state": "waiting_for_approval"},
                                      3) == []
    assert oracles.check_nothing_lost(_operation(), None, 3)
    assert oracles.check_queue_drained([{"status": "running", "id": 1}])


@pytest.mark.parametrize("effect_class", ["external_idempotent", "external_at_least_once", "external_nonretryable"])
def test_nothing_lost_after_a_lost_answer_by_effect_class(effect_class):
    """A lost answer may end an operation failed, as external_outcome_unknown only, when nothing can recover it
    or a cancellation closed it; a recoverable one must succeed."""
    def op(**kw: Any) -> JobFacts:
        return JobFacts("op-1", "x", "bob", "t2", operation="0f0f", command_job="cmd-1", effect_class=effect_class,
                        **kw)

    unknown = {"state": "failed", "error": {"code": oracles.OUTCOME_UNKNOWN}}
    other = {"state": "failed", "error": {"code": "executor_error"}}
    assert oracles.check_nothing_lost(op(allowance=1), {"state": "succeeded"}, 3) == []
    recoverable = effect_class != "external_nonretryable"
    assert bool(oracles.check_nothing_lost(op(allowance=1), unknown, 3)) is recoverable
    assert oracles.check_nothing_lost(op(allowance=1), other, 3)[0].facts["problem"] == (
        "operation_failed" if recoverable else "uncertainty_hidden")
    assert oracles.check_nothing_lost(op(allowance=1, cancelled=True), unknown, 3) == []
    assert oracles.check_nothing_lost(op(allowance=1, cancelled=True), {"state": "cancelled"}, 3) == []
    assert oracles.check_nothing_lost(op(allowance=1, cancelled=True), other, 3)[0].facts["problem"] == \
        "uncertainty_hidden"
    assert oracles.check_nothing_lost(op(allowance=1, fails=1), other, 3) == []  # planned failures explain it
    assert oracles.check_nothing_lost(op(), unknown, 3)  # no lost answer armed: nothing is uncertain


def test_backoff_is_the_documented_delay():
    assert oracles.expected_delay(1, 60, 2, 3600) == 60
    assert oracles.expected_delay(3, 60, 2, 3600) == 240
    assert oracles.expected_delay(9, 60, 2, 3600) == 3600
    assert oracles.check_backoff(_task(), 1, 59.5, 60) == []
    assert oracles.check_backoff(_task(), 1, 0.0, 60)
    assert oracles.check_not_early(_task(), 1, 1) == []
    assert oracles.check_not_early(_task(), 1, 2)


def test_documented_decisions():
    assert oracles.expected_decision("cancel", "ready", True, False) == (200, "cancelled")
    assert oracles.expected_decision("cancel", "running", True, False) == (200, "running")
    assert oracles.expected_decision("cancel", "succeeded", True, False) == (409, None)
    assert oracles.expected_decision("cancel", "ready", False, True) == (404, None)
    assert oracles.expected_decision("approve", "waiting_for_approval", True, False) == (403, None)
    assert oracles.expected_decision("approve", "ready", True, True) == (409, None)
    assert oracles.expected_decision("reject", "waiting_for_approval", True, True) == (200, "cancelled")
    ok = Exchange("POST", "/durable/operations/x/cancel", status=200)
    assert oracles.check_decision(_operation(), "cancel", "bob", "ready", (200, "cancelled"), ok,
                                  {"state": "cancelled"}) == []
    assert oracles.check_decision(_operation(), "cancel", "bob", "succeeded", (409, None), ok, {"state": "succeeded"})


def test_dispatch_expectations():
    assert oracles.expected_dispatch(None, "plain", {"job": "a"}) == "created"
    assert oracles.expected_dispatch(("plain", {"job": "a"}, "id"), "plain", {"job": "a"}) == "same"
    assert oracles.expected_dispatch(("plain", {"job": "a"}, "id"), "approval", {"job": "a"}) == "conflict"
    replay = Exchange("POST", "/workflows", status=200)
    assert oracles.check_dispatch(_operation(), "same", replay, {"created": False, "operation": "id"}, "id") == []
    assert oracles.check_dispatch(_operation(), "same", Exchange("POST", "/workflows", status=202),
                                  {"created": True, "operation": "other"}, "id")
    assert oracles.check_dispatch(_operation(), "conflict", replay, {"created": False, "operation": "id"}, "id")


# -- live: scripted machine steps on the real queue and on planted ones --------------------------------------


def run_steps(lab: WorkersLab, steps: Callable[[TasksMachine], None]) -> list[Finding]:
    """The findings of ``steps`` (scripted machine steps), of the invariant after them and of the final drain."""
    TasksMachine.lab = lab
    try:
        machine = TasksMachine()
        machine.collected = []
        steps(machine)
        machine.database_matches_model()
        machine.teardown()
        return machine.collected
    finally:
        TasksMachine.lab = None


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = WorkersLab(pg_server, database="tests")
    yield lab
    lab.close()


def _planted(pg_server: Any, name: str, **parts: Any) -> WorkersLab:
    return WorkersLab(pg_server, database=f"planted_{name}", **parts)


def _foreign_claims(m: TasksMachine) -> None:
    m.enqueue("alice", Script({"tenant_id": "t2", "principal": "bob"}))
    m.dispatch("alice", "plain", Script(None, {"tenant_id": "t2", "principal": "bob"}))
    m.work(3, False)


def _concurrent_claims(m: TasksMachine) -> None:
    m.enqueue("alice", Script({"owner": "bob"}))
    m.work(3, False)


def _crash_after_effect(m: TasksMachine) -> None:
    m.enqueue("carol", Script({"tenant": "t2"}))
    m.arm(Script("job-1", ("crash", 1)))
    m.work(1, False)
    m.dispatch("bob", "plain", Script(None, {"tenant_id": "t1"}))
    m.arm(Script("op-2", ("crash", 1)))
    m.work(2, False)


def _stale_owner_resumes(m: TasksMachine) -> None:
    m.enqueue("alice", Script({"principal": "carol"}))
    m.arm(Script("job-1", ("stall", 1)))
    m.work(1, False)  # stalls before its effect, attempt 1
    m.work(1, True)  # its lease expired: recovered, attempt 2 completes
    m.release(Script("job-1"))  # the old owner wakes up and finishes


def _failure_then_retry(m: TasksMachine) -> None:
    m.enqueue("bob", Script({"tenant_id": "t1"}))
    m.arm(Script("job-1", ("fail", 1)))
    m.work(1, False)
    m.work(2, False)  # before its delay: nobody may run it


def _replayed_dispatch(m: TasksMachine) -> None:
    m.dispatch("bob", "plain", Script("key-1", {"actor": "alice"}))
    m.dispatch("bob", "plain", Script("key-1", True, ("bob", "plain", {"actor": "alice", "job": "cmd-1"})))
    m.dispatch("bob", "approval", Script("key-1", True, ("bob", "plain", {"actor": "alice", "job": "cmd-1"})))


def _conflicting_decisions(m: TasksMachine) -> None:
    m.dispatch("alice", "approval", Script(None, {"tenant_id": "t2"}))
    m.decide("alice", "approve", Script("op-1"))  # not an approver: 403
    m.decide("bob", "approve", Script("op-1"))  # another tenant: 404
    m.decide("carol", "approve", Script("op-1"))
    m.decide("carol", "reject", Script("op-1"))  # decided: 409
    m.work(3, False)
    m.decide("alice", "cancel", Script("op-1"))  # succeeded: 409


def _external_lost_answer(m: TasksMachine) -> None:
    m.dispatch("alice", "external", Script(None, {"tenant_id": "t2", "principal": "bob"}))
    m.arm(Script("op-1", ("crash", 1)))
    m.work(1, False)  # the provider accepts the send, the worker dies before it hears back
    m.work(1, True)  # its lease expired: recovered, the next attempt sends again with the same key


def _unrecoverable_lost_answers(m: TasksMachine) -> None:
    """A lost answer for each external class that cannot resend safely, and one closed by a cancellation."""
    m.dispatch("alice", "reconciled", Script(None, {"tenant_id": "t2"}))
    m.dispatch("bob", "nonretryable", Script(None, {"principal": "alice"}))
    m.dispatch("carol", "external", Script(None, {}))
    for name in ("op-1", "op-2", "op-3"):
        m.arm(Script(name, ("crash", 1)))
    m.work(3, False)  # three sends accepted, three workers die before they hear back
    m.decide("carol", "cancel", Script("op-3"))  # running: cancellation is recorded, the send is not undone
    m.work(3, True)  # leases expired: reconciled, refused as unknown, closed as unknown


def _outbox_faults(m: TasksMachine) -> None:
    m.dispatch("alice", "plain", Script(None, {"tenant_id": "t2"}))
    m.dispatch("bob", "external", Script(None, {"tenant_id": "t1"}))
    m.work(3, False)
    m.export("t1", "fail")  # the sink refuses: retried later
    m.export("t2", "crash")  # the sink accepts, the exporter dies before its acknowledgement
    m.export("t2", "none")
    m.export("t1", "none")


def _tenant_workers(m: TasksMachine) -> None:
    m.dispatch("bob", "plain", Script(None, {"tenant_id": "t1"}))  # another tenant's work comes first
    m.dispatch("alice", "plain", Script(None, {}))
    m.dispatch("carol", "external", Script(None, {}))
    m.operate("t1")
    m.operate("t2")


SCENARIOS = {
    "foreign_claims": _foreign_claims, "concurrent_claims": _concurrent_claims,
    "crash_after_effect": _crash_after_effect, "stale_owner_resumes": _stale_owner_resumes,
    "failure_then_retry": _failure_then_retry, "replayed_dispatch": _replayed_dispatch,
    "conflicting_decisions": _conflicting_decisions, "external_lost_answer": _external_lost_answer,
    "unrecoverable_lost_answers": _unrecoverable_lost_answers, "outbox_faults": _outbox_faults,
    "tenant_workers": _tenant_workers,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_aksaras_own_queue_is_quiet(lab, scenario):
    assert run_steps(lab, SCENARIOS[scenario]) == []


def test_lost_answers_take_each_documented_recovery(lab):
    """The scenario reaches what its oracles judge: the reconciled send confirmed, the nonretryable one and the
    cancelled one failed as unknown, and no provider got a second send."""
    TasksMachine.lab = lab
    try:
        machine = TasksMachine()
        machine.collected = []
        _unrecoverable_lost_answers(machine)
        by_id = {str(row["id"]): row for row in lab.operations()}
        ends = {name: (by_id[job.operation]["state"], (by_id[job.operation]["error"] or {}).get("code"))
                for name, job in machine.jobs.items()}
        sends = lab.run(lab.db.fetch("SELECT job, sends FROM workers_provider"))
        machine.teardown()
    finally:
        TasksMachine.lab = None
    assert ends == {"op-1": ("succeeded", None), "op-2": ("failed", oracles.OUTCOME_UNKNOWN),
                    "op-3": ("failed", oracles.OUTCOME_UNKNOWN)}
    assert sorted(r["sends"] for r in sends) == [1, 1, 1]
    assert machine.collected == []


PLANTED = {  # name -> (scenario, the lab's planted part, the property that must catch it)
    "task_reads_payload_tenant": ("foreign_claims", {"task_body": plants.payload_tenant_task}, catalog.TASKS_PROVENANCE),
    "action_reads_command_tenant": ("foreign_claims", {"action_handler": plants.payload_tenant_handler},
                                    catalog.TASKS_PROVENANCE),
    "claim_without_skip_locked": ("concurrent_claims", {"worker_class": plants.UnlockedClaimWorker},
                                  catalog.TASKS_EXACTLY_ONCE),
    "no_lease_recovery": ("crash_after_effect", {"worker_class": plants.NoRecoveryWorker}, catalog.TASKS_NOTHING_LOST),
    "unfenced_completion": ("stale_owner_resumes", {"worker_class": plants.UnfencedCompletionWorker},
                            catalog.TASKS_EXACTLY_ONCE),
    "no_backoff": ("failure_then_retry", {"worker_class": plants.NoBackoffWorker}, catalog.TASKS_RETRY_BACKOFF),
    "keyless_dispatch": ("replayed_dispatch", {"service_class": plants.KeylessService},
                         catalog.TASKS_DURABLE_CONFLICTS),
    "external_key_per_attempt": ("external_lost_answer", {"external_handler": plants.per_attempt_effect_handler},
                                 catalog.TASKS_EXACTLY_ONCE),
    "external_sends_under_command_tenant": ("external_lost_answer",
                                            {"external_handler": plants.command_tenant_external_handler},
                                            catalog.TASKS_PROVENANCE),
    "blind_resend_after_lost_answer": ("unrecoverable_lost_answers",
                                       {"external_handler": plants.forgetful_intent_handler},
                                       catalog.TASKS_EXACTLY_ONCE),
    "lost_answer_reported_as_executor_error": ("unrecoverable_lost_answers",
                                               {"service_class": plants.CertainFailureService},
                                               catalog.TASKS_NOTHING_LOST),
    "outbox_ignores_scope": ("outbox_faults", {"exporter_class": plants.UnscopedExporter}, catalog.TASKS_PROVENANCE),
    "worker_claims_any_tenant": ("tenant_workers", {"service_class": plants.AnyTenantClaimService},
                                 catalog.TASKS_PROVENANCE),
    "outbox_acknowledges_first": ("outbox_faults", {"exporter_class": plants.AcknowledgeFirstExporter},
                                  catalog.TASKS_NOTHING_LOST),
}


@pytest.mark.parametrize("plant", sorted(PLANTED))
def test_planted_fault_is_caught(pg_server, plant):
    scenario, parts, property_id = PLANTED[plant]
    planted = _planted(pg_server, plant, **parts)
    try:
        found = run_steps(planted, SCENARIOS[scenario])
    finally:
        planted.close()
    assert property_id in _ids(found), [f.message for f in found]


def test_a_finding_replays_from_its_stored_trace(pg_server, lab):
    """The trace a finding stores re-runs the same steps: the planted fault again, Aksara's own queue quiet."""
    from fuzz.inputs import decode

    planted = _planted(pg_server, "no_backoff_replay", worker_class=plants.NoBackoffWorker)
    try:
        found = [f for f in run_steps(planted, _failure_then_retry) if f.property_id == catalog.TASKS_RETRY_BACKOFF]
        assert found and found[0].replay and found[0].replay["area"] == "tasks"
        trace = decode(found[0].replay["args"])["trace"]
        again = replay_trace(planted, trace)
    finally:
        planted.close()
    assert catalog.TASKS_RETRY_BACKOFF in _ids(again)
    assert replay_trace(lab, trace) == []


def test_export_scope_and_outbox_drain_oracles():
    jobs = {"op-1": _operation()}  # tenant t2, operation "0f0f"
    payload = {"operation_id": "0f0f", "state_version": 2}
    assert oracles.check_export_scope(jobs, [("t2", payload)]) == []
    assert oracles.check_export_scope(jobs, [("t1", payload)])[0].facts["problem"] == "export_scope"
    row = {"operation_id": "0f0f", "payload": payload, "exported_at": "now", "export_attempts": 1}
    assert oracles.check_outbox_drained(jobs, [row], [("t2", payload)], 0) == []
    assert oracles.check_outbox_drained(jobs, [row], [("t2", payload)] * 2, 1) == []  # one crash, one repeat
    assert oracles.check_outbox_drained(jobs, [row], [("t2", payload)] * 2, 0)[0].facts["problem"] == "export_repeated"
    assert oracles.check_outbox_drained(jobs, [row], [], 0)[0].facts["problem"] == "exported_undelivered"
    pending = {**row, "exported_at": None}
    assert oracles.check_outbox_drained(jobs, [pending], [("t2", payload)], 0)[0].facts["problem"] == "not_exported"
    other = {**row, "operation_id": "other"}
    assert oracles.check_outbox_drained(jobs, [other], [], 0) == []  # not an operation of this run


# -- the fault sweep ----------------------------------------------------------------------------------------


def test_fault_sweep_covers_every_kind_fault_and_cancellation():
    from fuzz.properties.tasks import sweep_cases
    from strategies.tasks import OPERATION_FAULT_KINDS, SWEPT_FAULTS
    from targets.workers.app import ACTIONS, APPROVAL_KINDS

    cases = sweep_cases()
    assert {(c.kind, c.fault, c.cancel) for c in cases} == (
        {("task", f, False) for f in SWEPT_FAULTS}
        | {(k, f, cancel) for k in ACTIONS for f in SWEPT_FAULTS if f[0] in OPERATION_FAULT_KINDS
           for cancel in (False, True)})
    assert {c.user for c in cases} == set(USERS)  # requesters rotate
    for case in cases:
        if case.kind in APPROVAL_KINDS:
            assert case.approver and USERS[case.approver][0] == USERS[case.user][0]
            assert "approver" in USERS[case.approver][1]
        else:
            assert case.approver is None


SWEEP_FINDS = {  # planted part -> the property the sweep alone must see it by
    "task_reads_payload_tenant": ({"task_body": plants.payload_tenant_task}, catalog.TASKS_PROVENANCE),
    "no_lease_recovery": ({"worker_class": plants.NoRecoveryWorker}, catalog.TASKS_NOTHING_LOST),
    "unfenced_completion": ({"worker_class": plants.UnfencedCompletionWorker}, catalog.TASKS_EXACTLY_ONCE),
    "external_key_per_attempt": ({"external_handler": plants.per_attempt_effect_handler}, catalog.TASKS_EXACTLY_ONCE),
    "blind_resend_after_lost_answer": ({"external_handler": plants.forgetful_intent_handler},
                                       catalog.TASKS_EXACTLY_ONCE),
    "lost_answer_reported_as_executor_error": ({"service_class": plants.CertainFailureService},
                                               catalog.TASKS_NOTHING_LOST),
    "worker_claims_any_tenant": ({"service_class": plants.AnyTenantClaimService}, catalog.TASKS_PROVENANCE),
}


@pytest.mark.parametrize("plant", sorted(SWEEP_FINDS))
def test_the_fault_sweep_alone_finds_a_planted_fault(pg_server, plant):
    from fuzz.properties.tasks import run_sweep_case, run_trace, scope_trace, sweep_cases

    parts, property_id = SWEEP_FINDS[plant]
    planted = _planted(pg_server, f"sweep_{plant}", **parts)
    try:
        found = [f for case in sweep_cases() for f in run_sweep_case(planted, case)]
        found += run_trace(planted, scope_trace())
    finally:
        planted.close()
    assert property_id in _ids(found), [f.message for f in found]


def test_the_fault_sweep_is_quiet_on_aksaras_own_queue(lab):
    from fuzz.properties.tasks import run_sweep_case, run_trace, scope_trace, sweep_cases

    found = [f for case in sweep_cases() for f in run_sweep_case(lab, case)]
    found += run_trace(lab, scope_trace())
    assert found == [], [f.message for f in found]


def test_the_scope_trace_runs_each_tenants_worker_through_a_crash(lab):
    """What the scope trace reaches: every operation it dispatched ends succeeded (the crashed one recovered by
    a later worker's loop), and each durable worker made attempts only on its own tenant's operations."""
    from fuzz.properties.tasks import play, scope_trace

    TasksMachine.lab = lab
    try:
        machine = TasksMachine()
        machine.collected = []
        play(machine, scope_trace())
        operations = lab.operations()
        attempts = lab.attempts()
        operators = dict(lab.operators)
        machine.teardown()
    finally:
        TasksMachine.lab = None
    assert machine.collected == [], [f.message for f in machine.collected]
    assert {row["state"] for row in operations} == {"succeeded"}
    tenant_of = {str(row["id"]): row["tenant_id"] for row in operations}
    by_worker: dict[str, list[tuple[str, str]]] = {}
    for attempt in attempts:
        by_worker.setdefault(attempt["worker_id"], []).append((tenant_of[attempt["operation_id"]], attempt["state"]))
    assert operators == {"operator-t1-1": "t1", "operator-t1-2": "t1", "operator-t2-3": "t2"}
    assert ("t1", "abandoned") in by_worker["operator-t1-1"] or ("t1", "running") in by_worker["operator-t1-1"]
    for worker, tenant in operators.items():  # each loop worked, on its own tenant's operations only
        assert by_worker.get(worker) and {t for t, _ in by_worker[worker]} == {tenant}, by_worker


def test_worker_scope_oracle():
    jobs = {"op-1": _operation(), "job-1": _task()}  # op-1: tenant t2, operation "0f0f"
    ready = [{"id": "0f0f", "state": "ready", "attempt_count": 0}]
    done = [{"id": "0f0f", "state": "succeeded", "attempt_count": 1}]
    assert oracles.check_worker_scope(jobs, "t2", ready, done) == []  # its own tenant's worker
    assert oracles.check_worker_scope(jobs, "t1", ready, ready) == []  # another's, which left it alone
    wrong = oracles.check_worker_scope(jobs, "t1", ready, done)
    assert [f.facts["problem"] for f in wrong] == ["worker_scope"]
