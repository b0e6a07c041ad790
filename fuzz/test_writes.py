"""Write surface: create, update and custom-action routes, as every principal, with hostile bodies.

Properties (oracles in fuzz/oracles/writes.py, rule table and bounds in docs/writes.md):
- ``writes.denied_field_exactness``: fields a principal may not write are rejected with
  403 and exactly those ``denied_fields`` (nested ones by path); nothing is silently dropped;
- ``writes.round_trip``: what a successful write returns, stores and later reads equals
  what was sent (after the type's documented normalisation); ``null`` clears a nullable
  field; omitted fields keep their values on PATCH;
- ``writes.state_integrity``: any 4xx/5xx leaves every table exactly as it was;
- ``writes.stored_row_readable``: a stored row never makes later reads fail;
- ``writes.bounded_cost``: oversized and deep bodies are rejected with 400/413/422 within
  the time and memory bounds, and the app stays healthy;
- ``writes.bulk_as_single``: a bulk create route (where the target declares one) applies field
  policy to every item as a single create does, names every item's denied fields, and stores
  all of its items or none;
- ``writes.relation_replaced``: a route that replaces a many-to-many relation (where the target
  declares one) stores exactly the related ids an accepted request sent, and a refused one changes
  nothing (bodies: ``strategies.writes.relation_bodies``);
- the generic oracles (no 5xx, JSON envelope, no leak) on every write.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties.writes import run_bulk_case, run_write_case, with_steps
from fuzz.sweep import sweeps, swept
from strategies.writes import (bulk_cases, create_sweep, known_rows, oversized_cases, oversized_resources,
                              sequence_lengths, sequence_step_cases, write_cases)


WRITES = (catalog.WRITES_DENIED_FIELD_EXACTNESS, catalog.WRITES_ROUND_TRIP, catalog.WRITES_STATE_INTEGRITY,
          catalog.WRITES_STORED_ROW_READABLE, catalog.WRITES_BOUNDED_COST)
HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME,
        catalog.HTTP_HEALTH_AFTER)


@pytest.fixture(scope="module")
def seeded_rows(live_target):
    live_target.reset()  # the seed's rows, whatever ran before on this worker
    return known_rows(live_target)


def _write_sweep(live_target, seeded_rows, resource_name, **_):
    return create_sweep(live_target.info, seeded_rows, resource_name)


@judges(*WRITES, also=(*HTTP, catalog.WRITES_RELATION_REPLACED))
@sweeps((catalog.WRITES_DENIED_FIELD_EXACTNESS, catalog.WRITES_STATE_INTEGRITY), _write_sweep)
@given(data=st.data())
def test_hostile_write_bodies(live_target, oracle_context, seeded_rows, resource_name, data):
    """One create, update or custom-action write with any body, as any principal (the sweep first: every body
    class × field kind)."""
    case = data.draw(swept(write_cases(live_target.info, seeded_rows, resource_name)), label="case")
    outcome = run_write_case(live_target, oracle_context, case)
    judge(with_steps(outcome.findings, [case], [outcome.created_id]))


@judges(*WRITES, also=(*HTTP, catalog.WRITES_RELATION_REPLACED))
@given(data=st.data())
def test_write_sequences(live_target, oracle_context, seeded_rows, resource_name, data):
    """create → update → … → read back: each step checked against the state the previous ones left."""
    created: list[str] = []
    sent: list = []
    created_by_step: list[str | None] = []
    steps = data.draw(sequence_lengths(), label="steps")
    try:
        for step in range(steps):
            case = data.draw(sequence_step_cases(live_target.info, seeded_rows, resource_name, step, created),
                             label=f"step {step}")
            outcome = run_write_case(live_target, oracle_context, case, reset=False)
            if outcome.created_id:
                created.append(outcome.created_id)
            sent.append(case)
            created_by_step.append(outcome.created_id)
            judge(with_steps(outcome.findings, sent, created_by_step))
    finally:
        live_target.reset()


# Each example sends 1-50 MB and traces memory: a handful per run keeps CI cheap.
@judges(catalog.WRITES_BOUNDED_COST, also=(*WRITES, *HTTP))
@settings(scaled(0.05), deadline=None)
@given(data=st.data())
def test_oversized_bodies(live_target, oracle_context, seeded_rows, data):
    resource_name = data.draw(oversized_resources(live_target.info), label="resource")
    case = data.draw(oversized_cases(live_target.info, seeded_rows, resource_name), label="case")
    outcome = run_write_case(live_target, oracle_context, case, measure_memory=True)
    judge(with_steps(outcome.findings, [case], [outcome.created_id], measure_memory=True))


# Each example resets the database: a third of the profile's examples keeps the test within its budget.
@judges(catalog.WRITES_BULK_AS_SINGLE, also=(catalog.WRITES_STATE_INTEGRITY, *HTTP))
@settings(scaled(0.3))
@given(data=st.data())
def test_bulk_creates(live_target, oracle_context, seeded_rows, resource_name, data):
    """A batch of 1-4 create bodies (valid, restricted, nested-denied or unknown keys) as any principal."""
    if live_target.info.resource(resource_name).bulk_create_path is None:
        pytest.skip(f"{resource_name}: the target declares no bulk create route")
    case = data.draw(bulk_cases(live_target.info, seeded_rows, resource_name), label="case")
    judge(run_bulk_case(live_target, oracle_context, case))
