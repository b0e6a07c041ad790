"""OpenAPI fuzzing with Schemathesis over the target's generated schema, as every principal.

Property: for every operation of the generated OpenAPI document, Schemathesis' positive
and negative cases (NUL bytes allowed) and its stateful sequences over the inferred
links pass all of Schemathesis' checks and the suite's own oracles (no 5xx, JSON error
envelope, no leak, a GET writes nothing, tenant isolation, state integrity,
denied-field exactness). Skipped, with the reason in the summary, when Schemathesis
(the ``openapi`` extra) is not installed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from strategies import openapi as strategies

MISSING = strategies.schemathesis_missing()
if MISSING:
    pytest.skip(MISSING, allow_module_level=True)

from fuzz.properties import openapi as props  # noqa: E402 - needs Schemathesis, checked above

SUITE = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME,
         catalog.HTTP_SAFE_METHOD_NO_WRITE, catalog.HTTP_HEALTH_AFTER, catalog.TENANCY_ISOLATION,
         catalog.WRITES_STATE_INTEGRITY, catalog.WRITES_DENIED_FIELD_EXACTNESS)
SCHEMATHESIS = tuple(catalog.OPENAPI_CHECKS.values())


@pytest.fixture(scope="module")
def openapi_runner(live_target, oracle_context):
    try:
        return props.OpenApiRunner(live_target, oracle_context)
    except strategies.OpenApiUnavailable as exc:
        pytest.fail(f"the target's OpenAPI document cannot be loaded: {exc}")


@judges(*SCHEMATHESIS, also=SUITE)
@given(data=st.data())
def test_openapi_fuzzing(openapi_runner, principal_name, data):
    operation = data.draw(st.sampled_from(openapi_runner.operations), label="operation")
    case = data.draw(strategies.cases(operation), label="case")
    openapi_runner.live.reset()
    judge(openapi_runner.judge(principal_name, case))


@judges(*SCHEMATHESIS, also=SUITE)
def test_openapi_stateful(openapi_runner, principal_name):
    findings = props.StatefulFindings(judge)  # a failure Hypothesis cannot shrink (flaky replay) stays reported
    machine = props.stateful_machine(openapi_runner, principal_name, findings)
    # a scenario is up to stateful_step_count requests: a tenth of the profile's scenarios costs about
    # as much as the fuzzing test of the same principal
    with findings.reporting():
        run_state_machine_as_test(machine, settings=scaled(0.1,
            stateful_step_count=settings.default.stateful_step_count,
        ))
