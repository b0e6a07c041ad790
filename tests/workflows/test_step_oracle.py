"""workflows.step_once on real Aksara and PostgreSQL: the programs reach every kind of call, the oracle is quiet on
the installed DurableStep, and each planted fault (tests/support/plants/workflows.py) is caught."""

from __future__ import annotations

import os

import pytest

from fuzz.properties.workflows import WorkflowLab, run_program
from strategies.workflows import StepCall, StepProgram, step_programs
from tests.support.find import find_any
from tests.support.plants import workflows as plants

pytestmark = pytest.mark.live

PROGRAM = StepProgram("order-1", (
    StepCall("fetch", value={"rows": [1, 2]}), StepCall("fetch", value="ignored"),  # cached
    StepCall("charge", fails=True), StepCall("charge", value=5, callers=3),  # failed, then retried by three
    StepCall("fetch", value="again", force=True), StepCall("notify", fails=True, callers=2)))


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = WorkflowLab(pg_server, f"fuzz_workflows_tests_{os.getpid()}")
    yield lab
    lab.close()


def problems(lab, program=PROGRAM):
    return sorted({(f.facts["problem"], f.facts["step"]) for f in run_program(lab, program)})


@pytest.mark.parametrize("description, condition", [
    ("a step called again", lambda p: len({c.step for c in p.calls}) < len(p.calls)),
    ("concurrent callers", lambda p: any(c.callers > 1 for c in p.calls)),
    ("a forced call", lambda p: any(c.force for c in p.calls)),
    ("a failing body then a call of the same step", lambda p: any(
        a.fails and b.step == a.step for i, a in enumerate(p.calls) for b in p.calls[i + 1:]))])
def test_programs_reach(description, condition):
    find_any(step_programs(), condition)


def test_quiet_on_the_installed_release(lab):
    assert problems(lab) == []


def test_a_completed_step_run_again_is_caught(lab, monkeypatch):
    plants.plant(monkeypatch)
    assert ("ran_again", "fetch") in problems(lab)


def test_a_swallowed_body_error_is_caught(lab, monkeypatch):
    plants.plant_errors_swallowed(monkeypatch)
    assert ("wrong_result", "charge") in problems(lab)
