"""pytest plugin of the mutation benchmark's coverage map: each test's lines are recorded under its node id.

coverage.py's own ``dynamic_context = test_function`` names the first frame whose function starts with
``test``, which for a Hypothesis test is Hypothesis' engine, not the test; this plugin switches the
context of the running coverage to the test's node id (without its parametrization) around each test,
its fixture set-up included.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import coverage

    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid.split("[", 1)[0])
    try:
        yield
    finally:
        if cov is not None:
            cov.switch_context("")
