"""Properties of ``aksara doctor`` against the Production Hardening specification.

The bulk runs the doctor in-process; a scaled-down sample runs the real CLI with
``--format json`` in a clean subprocess (about 0.4 s per command).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.doctor.oracles import check_monotone, check_never_crashes, check_verdict_matches_spec
from fuzz.doctor.runner import run_cli, run_in_process
from fuzz.doctor.spec_model import COMMANDS, verdict
from fuzz.findings import report
from fuzz.profiles import scaled
from strategies.settings import WEAKENINGS, doctor_inputs, unloadable_inputs, weakenings

pytestmark = pytest.mark.aksara_features("doctor")


@given(inp=doctor_inputs())
def test_verdict_matches_spec_in_process(inp):
    findings = []
    for command in COMMANDS:
        run = run_in_process(inp, command)
        findings += check_never_crashes(inp, run)
        findings += check_verdict_matches_spec(inp, run, verdict(inp, command))
    report(findings)


@scaled(0.15)  # each example starts three aksara processes (~1.2 s)
@given(inp=doctor_inputs())
def test_verdict_matches_spec_cli(inp):
    findings = []
    for command in COMMANDS:
        run = run_cli(inp, command)
        findings += check_never_crashes(inp, run)
        findings += check_verdict_matches_spec(inp, run, verdict(inp, command))
    report(findings)


@given(inp=doctor_inputs(), weakening=weakenings(), command=st.sampled_from(COMMANDS[1:]))
def test_weakening_never_passes_a_failing_verdict(inp, weakening, command):
    weakened = WEAKENINGS[weakening](inp)
    report(check_monotone(inp, weakened, weakening, run_in_process(inp, command), run_in_process(weakened, command)))


@scaled(0.1)  # one aksara process per example
@given(inp=unloadable_inputs(), command=st.sampled_from(COMMANDS))
def test_cli_diagnoses_configurations_aksara_refuses(inp, command):
    report(check_never_crashes(inp, run_cli(inp, command)))
