"""Properties of ``aksara doctor`` against the Production Hardening specification.

The bulk runs the doctor in-process; a scaled-down sample runs the real CLI with
``--format json`` in a clean subprocess (about 0.4 s per command).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given

from fuzz import catalog
from fuzz.properties.doctor import monotone_case, unloadable_case, verdict_case
from fuzz.oracles.doctor_spec import COMMANDS
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from strategies.doctor import doctor_commands, doctor_inputs, single_weakenings, unloadable_inputs, weakenings

pytestmark = pytest.mark.aksara_features("doctor")


def sweep(test):
    """Run first, in every profile, the hardened deployment and each single weakening of it (explicit examples)."""
    for _, inp in reversed(single_weakenings()):
        test = example(inp=inp)(test)
    return test


@judges(catalog.DOCTOR_VERDICT_MATCHES_SPEC, catalog.DOCTOR_NEVER_CRASHES)
@sweep
@given(inp=doctor_inputs())
def test_verdict_matches_spec_in_process(inp):
    judge(verdict_case(inp))


@judges(catalog.DOCTOR_VERDICT_MATCHES_SPEC, catalog.DOCTOR_NEVER_CRASHES)
@scaled(0.15)  # each example starts three aksara processes (~1.2 s)
@given(inp=doctor_inputs())
def test_verdict_matches_spec_cli(inp):
    judge(verdict_case(inp, "cli"))


@judges(catalog.DOCTOR_MONOTONE)
@given(inp=doctor_inputs(), weakening=weakenings(), command=doctor_commands(COMMANDS[1:]))
def test_weakening_never_passes_a_failing_verdict(inp, weakening, command):
    judge(monotone_case(inp, weakening, command))


@judges(catalog.DOCTOR_NEVER_CRASHES)
@scaled(0.1)  # one aksara process per example
@given(inp=unloadable_inputs(), command=doctor_commands(COMMANDS))
def test_cli_diagnoses_configurations_aksara_refuses(inp, command):
    judge(unloadable_case(inp, command))
