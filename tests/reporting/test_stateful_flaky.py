"""The OpenAPI stateful phase keeps a failure Hypothesis cannot shrink.

The phase's steps are drawn from the server's earlier answers, so a replay of the same choices can draw other
steps (``FlakyStrategyDefinition`` while shrinking). A state machine whose draws depend on a counter outside
Hypothesis stands for such a server: the new finding it raised must still fail the test as that finding, which
the plugin turns into an artifact; without a finding, Hypothesis' own error stands.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from fuzz.findings import Finding, NewFinding

pytest.importorskip("schemathesis")

from fuzz.properties.openapi import StatefulFindings, flaky_replay  # noqa: E402 - needs Schemathesis

SETTINGS = settings(max_examples=50, stateful_step_count=5, database=None, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _judge(findings):
    if findings:
        raise NewFinding(*findings)
    return []


def _machine(on_findings, answers):
    class ServerDependent(RuleBasedStateMachine):
        @rule(data=st.data())
        def step(self, data):
            answers["n"] += 1  # the "server" changes its answer every second time it is asked
            drawn = data.draw(st.integers(0, 3) if answers["n"] // 2 % 2 else st.booleans(), label="next step")
            if drawn is True or drawn == 1:
                on_findings([Finding("http.no_server_error", f"a 500 after {drawn!r}", facts={"step": str(drawn)})])

    return ServerDependent


def test_without_the_wrapper_hypothesis_reports_a_flaky_strategy_and_no_finding():
    with pytest.raises(FlakyStrategyDefinition):
        run_state_machine_as_test(_machine(_judge, {"n": 0}), settings=SETTINGS)


def test_a_flaky_replay_after_a_new_finding_fails_with_that_finding():
    findings = StatefulFindings(_judge)
    with pytest.raises(NewFinding) as raised:
        with findings.reporting():
            run_state_machine_as_test(_machine(findings, {"n": 0}), settings=SETTINGS)
    assert raised.value.finding.property_id == "http.no_server_error"
    assert isinstance(raised.value.__cause__, FlakyStrategyDefinition) and flaky_replay(raised.value.__cause__)
    assert any("could not replay" in note for note in raised.value.__notes__)


def test_without_a_finding_the_flaky_error_stands_and_other_errors_pass_through():
    findings = StatefulFindings(lambda found: [])
    with pytest.raises(Flaky):
        with findings.reporting():
            raise Flaky("inconsistent data generation")
    findings.last = NewFinding(Finding("http.no_server_error", "a 500"))
    with pytest.raises(KeyError):
        with findings.reporting():
            raise KeyError("the suite's own bug")
