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

from fuzz import catalog
from fuzz.judging import judges
from fuzz.profiles import scaled
from fuzz.properties.tasks import TasksMachine
from targets.workers.lab import WorkersLab


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
@judges(catalog.TASKS_PROVENANCE, catalog.TASKS_EXACTLY_ONCE, catalog.TASKS_NOTHING_LOST,
        catalog.TASKS_RETRY_BACKOFF, catalog.TASKS_DURABLE_CONFLICTS)
def test_task_and_workflow_machine(workers_lab):
    TasksMachine.lab = workers_lab
    try:
        run_state_machine_as_test(TasksMachine, settings=scaled(0.5, stateful_step_count=20))
    finally:
        TasksMachine.lab = None
