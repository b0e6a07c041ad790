"""Durable workflow steps (``aksara.workflows.DurableStep``): programs of sequential, forced and concurrent step
calls whose bodies succeed or fail, on a scratch database. Property (oracle in fuzz/oracles/workflows.py):
``workflows.step_once``. Target-independent.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties.workflows import WorkflowLab, run_program
from strategies.workflows import step_programs


@pytest.fixture(scope="module")
def workflow_lab(pg_server):
    lab = WorkflowLab(pg_server)
    yield lab
    lab.close()


@judges(catalog.WORKFLOWS_STEP_ONCE)
@scaled(0.5)  # each call awaits its body on PostgreSQL; a program is up to 8 calls
@given(program=step_programs())
def test_durable_steps(workflow_lab, program):
    judge(run_program(workflow_lab, program))
