"""lifecycle.pool_released and lifecycle.fails_fast on real Aksara and PostgreSQL: quiet on the installed release
for every case of the sweep, and each planted fault (tests/support/plants/lifecycle.py) caught where it acts."""

from __future__ import annotations

import os

import pytest
from aksara.app import Aksara

from fuzz.properties.lifecycle import LifecycleLab, lifecycle_case
from strategies.lifecycle import LifecycleCase, lifecycle_cases
from tests.support.plants import lifecycle as plants

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def lab(pg_server):
    lab = LifecycleLab(pg_server, f"fuzz_lifecycle_tests_{os.getpid()}")
    yield lab
    lab.close()


def problems(lab, cases):
    return sorted({(f.property_id, f.facts["problem"], f.facts["kind"], f.facts["fault"])
                   for case in cases for f in lifecycle_case(lab, case)})


def test_the_sweep_covers_every_kind_and_fault():
    cases = lifecycle_cases()
    assert {(c.kind, c.fault) for c in cases} == {
        (k, f) for k in ("aksara", "aksara_user_lifespan", "fastapi_lifespan", "fastapi_init")
        for f in ("none", "unreachable")} | {("aksara_user_lifespan", "lifespan_raises")}
    assert {(c.requests, c.max_pool) for c in cases if c.fault == "none"} == {(0, 1), (0, 3), (3, 1), (3, 3)}


def test_quiet_on_the_installed_release(lab):
    if not hasattr(Aksara, "_cleanup_runtime_after_error"):
        pytest.skip("this release leaves its runtime running after a failed lifespan (AKSARA-LIFECYCLE-001)")
    assert problems(lab, lifecycle_cases()) == []


def test_a_failed_lifespan_that_keeps_the_pool_is_caught(lab, monkeypatch):
    if not hasattr(Aksara, "_cleanup_runtime_after_error"):
        pytest.skip("the installed release has no cleanup to break")
    plants.plant(monkeypatch)
    assert problems(lab, [LifecycleCase("aksara_user_lifespan", "lifespan_raises", 3, 1),
                          LifecycleCase("aksara", "none", 3, 1)]) == [
        ("lifecycle.pool_released", "connections_left", "aksara_user_lifespan", "lifespan_raises")]


def test_an_app_that_starts_without_its_database_is_caught(lab, monkeypatch):
    plants.plant_connect_swallows_errors(monkeypatch)
    found = problems(lab, [LifecycleCase(kind, "unreachable") for kind in ("aksara", "fastapi_lifespan")])
    # Aksara's own start-up reads the database right after connecting (content types), so it still fails
    assert found == [("lifecycle.fails_fast", "started_without_database", "fastapi_lifespan", "unreachable")]


def test_a_shutdown_that_forgets_the_pool_is_caught(lab, monkeypatch):
    plants.plant_disconnect_forgotten(monkeypatch)
    found = problems(lab, [LifecycleCase("fastapi_init", "none", 3, 3), LifecycleCase("aksara", "none", 0, 1)])
    assert found == [("lifecycle.pool_released", "connections_left", "aksara", "none"),
                     ("lifecycle.pool_released", "connections_left", "fastapi_init", "none")]
