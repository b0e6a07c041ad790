"""Background tasks and durable workflows on real workers: provenance and reliability.

Runs on its own target (:mod:`targets.workers`) whatever ``--aksara-target`` says. A state machine
(:class:`fuzz.properties.tasks.TasksMachine`) enqueues tasks and dispatches durable operations over HTTP with
bodies claiming another tenant or principal, arms faults (a failure, a worker killed after its effect, an
execution stalled past its lease), runs several real ``TaskWorker`` instances concurrently on one
PostgreSQL database, lets leases and retry delays expire, and cancels, approves or rejects operations
through Aksara's durable router. After every step the database must match the model; at the end the
queue is drained and nothing may be lost.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from fuzz import catalog, sweep
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties.tasks import TasksMachine, run_sweep_case, run_trace, scope_trace, sweep_cases
from targets.workers.lab import WorkersLab

PROPERTIES = (catalog.TASKS_PROVENANCE, catalog.TASKS_EXACTLY_ONCE, catalog.TASKS_NOTHING_LOST,
              catalog.TASKS_RETRY_BACKOFF, catalog.TASKS_DURABLE_CONFLICTS)


@pytest.fixture(scope="module")
def workers_lab(pg_server):
    lab = WorkersLab(pg_server)
    yield lab
    if lab.timings:
        timings = sorted(lab.timings)
        print(f"\nworker polls: {len(timings)}, median {timings[len(timings) // 2] * 1000:.1f} ms, "
              f"max {timings[-1] * 1000:.1f} ms")
    lab.close()


@pytest.mark.aksara_features("durable")
@judges(*PROPERTIES)
def test_fault_sweep(workers_lab):
    """Every job kind x every fault it takes x cancelled or not, once, ahead of the machine's random programs, and
    every tenant's operations before each tenant's own durable worker: the findings of all cases are judged
    together (a known defect never hides a new one)."""
    cases = sweep_cases()
    findings = [f for case in cases for f in run_sweep_case(workers_lab, case)]
    findings += run_trace(workers_lab, scope_trace())
    for property_id in (catalog.TASKS_PROVENANCE, catalog.TASKS_EXACTLY_ONCE, catalog.TASKS_NOTHING_LOST):
        sweep.count(property_id, len(cases) + 1, len(cases) + 1)  # the fault cases and the scope trace
    judge(findings)


@pytest.mark.aksara_features("durable")
@judges(*PROPERTIES)
def test_task_and_workflow_machine(workers_lab):
    TasksMachine.lab = workers_lab
    try:
        run_state_machine_as_test(TasksMachine, settings=scaled(0.5, stateful_step_count=20))
    finally:
        TasksMachine.lab = None
