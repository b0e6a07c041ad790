"""Replay is a test of the cause, for every finding kind.

For each kind (HTTP query, write sequence, bulk create, serializer API, app mounting, viewset registration, app lifecycle, an
exception raised in a route, durable workflow steps, token,
migration, hand-written migration, doctor) a fault is planted in real Aksara
(tests/support/plants/), the property runs on that build and records an artifact, and the artifact's
replay fails on the build with the fault (same cause) and passes on the clean build. The red replay is
the user's command, a subprocess ``pytest fuzz/ --replay <artifact> -p tests.support.plants.<fault>``;
the green one runs the same :func:`fuzz.replay.replay_artifact` in this process once the plant is undone
(a subprocess per replay costs a PostgreSQL and target start). tests/reporting/test_replay.py runs a
green replay through the command line.
"""

from __future__ import annotations

import os

import json

import pytest

from fuzz.artifacts import write_artifact
from fuzz.properties.doctor import verdict_case
from strategies.doctor import DoctorInput
from fuzz.properties.migrations_lab import MigrationLab
from fuzz.properties.migrations import handwritten_case, round_trip_case
from fuzz.properties import queries as query_props
from fuzz.replay import replay_artifact
from fuzz.properties.authz import discovery_exact
from fuzz.properties.http import raised_in_route
from fuzz.properties.lifecycle import LifecycleLab, lifecycle_case
from fuzz.properties.workflows import WorkflowLab, run_program
from fuzz.properties.serializers import run_direct
from fuzz.properties.studio import mounted_as_configured
from fuzz.properties.writes import run_bulk_case, run_write_case, with_steps
from strategies.http import RaisedCase
from strategies.lifecycle import LifecycleCase
from strategies.workflows import StepCall, StepProgram
from strategies.serializers import DirectCase
from strategies.studio import MountCase
from strategies.writes import BulkCase, WriteCase
from strategies.models import FieldSpec, ModelSpec, SchemaHistory, SchemaSpec
from strategies.payloads import WriteBody
from strategies.doctor import HARDENED_ENV
from tests.doctor import corrected_doctor
from tests.reporting.support import run_pytest
from tests.support.plants import bulk as bulk_plant
from tests.support.plants import doctor as doctor_plant
from tests.support.plants import handwritten as handwritten_plant
from tests.support.plants import migrations as migration_plant
from tests.support.plants import discovery as discovery_plant
from tests.support.plants import exceptions as exceptions_plant
from tests.support.plants import lifecycle as lifecycle_plant
from tests.support.plants import mounting as mounting_plant
from tests.support.plants import query as query_plant
from tests.support.plants import workflows as workflows_plant
from tests.support.plants import serializers as serializer_plant
from tests.support.plants import writes as write_plant


def replay(directory, *plants: str):
    args = [a for plant in plants for a in ("-p", f"tests.support.plants.{plant}")]
    return run_pytest("fuzz/", "--replay", str(directory), "--report-dir", str(directory.parent / "reports"), *args)


def replay_here(directory, request) -> None:
    """The artifact's replay in this process (on the clean build): raises while the violation is there."""
    replay_artifact(directory, request)


def assert_red(result, property_id: str) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"[{property_id}] still reproduces, same cause" in output, output
    assert "StillReproduces" in output and "1 failed" in output, output
    return output


def record(tmp_path, findings, property_id):
    found = [f for f in findings if f.property_id == property_id]
    assert found, [f.describe() for f in findings]
    assert found[0].replay and found[0].replay.get("args"), found[0].replay
    return write_artifact(tmp_path / "artifacts", found[0], "tests/reporting/test_replay_kinds.py")


# -- HTTP query -----------------------------------------------------------------------------------------

def test_query_finding_fails_its_replay_while_the_filter_500s_and_passes_once_fixed(
        live_target, monkeypatch, tmp_path, request):
    query_plant.plant(monkeypatch)
    world = query_props.QueryWorld.build(live_target)
    tickets = live_target.info.resource("Ticket")
    filters = [("title__icontains", "50%")]
    findings = query_props.with_example_facts(world, "user_a", tickets,
                                  query_props.filter_differential(world, "user_a", tickets, filters))
    live_target.reset()
    directory = record(tmp_path, findings, "http.no_server_error")  # the filter oracle leaves a 5xx to this one
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("queries", "filter_differential")

    output = assert_red(replay(directory, "query"), "http.no_server_error")
    assert "GET /tickets/" in output and "-> 500" in output  # the transcript of the replayed request
    replay_here(directory, request)


# -- write sequence -------------------------------------------------------------------------------------

def test_write_sequence_finding_replays_the_whole_sequence(live_target, oracle_context, monkeypatch, tmp_path,
                                                           request):
    """create, then an update of the created row naming a read-only field: the update is the finding."""
    write_plant.plant(monkeypatch)
    create = WriteCase("user_a", "Ticket", "create", WriteBody("valid", {"title": "replayed"}, clean=True))
    try:
        first = run_write_case(live_target, oracle_context, create, reset=False)
        assert first.created_id and not first.findings, [f.describe() for f in first.findings]
        update = WriteCase("user_a", "Ticket", "update", WriteBody("valid", {"reference_code": "RC-9"}, clean=True),
                           pk=first.created_id)
        second = run_write_case(live_target, oracle_context, update, reset=False)
        findings = with_steps(second.findings, [create, update], [first.created_id, second.created_id])
    finally:
        live_target.reset()
    directory = record(tmp_path, findings, "writes.denied_field_exactness")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert stored["call"] == "write_steps" and len(stored["args"]["steps"]["__tuple__"]) == 2

    assert_red(replay(directory, "writes"), "writes.denied_field_exactness")
    replay_here(directory, request)


# -- bulk create ----------------------------------------------------------------------------------------

def test_bulk_finding_replays_the_batch(live_target, oracle_context, monkeypatch, tmp_path, request):
    """A batch whose second item holds a denied field, accepted by a batch check that reads the first item only."""
    if live_target.info.resource("Ticket").bulk_create_path is None:
        pytest.skip("the installed Aksara has no bulk payload validation (the reference app serves no bulk route)")
    bulk_plant.plant(monkeypatch)
    case = BulkCase("user_a", "Ticket", (WriteBody("valid", {"title": "a"}, clean=True),
                                         WriteBody("valid", {"title": "b", "reference_code": "RC-9"}, clean=True)))
    findings = run_bulk_case(live_target, oracle_context, case)
    directory = record(tmp_path, findings, "writes.bulk_as_single")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("writes", "run_bulk_case")

    assert_red(replay(directory, "bulk"), "writes.bulk_as_single")
    replay_here(directory, request)


# -- serializer API (in the app's process, no HTTP) --------------------------------------------------------

def test_serializer_api_finding_replays_the_calls(live_target, oracle_context, monkeypatch, tmp_path, request):
    """A read-only key's value passed into validated_data: an in-process finding, replayed in process too."""
    categories = live_target.info.resource("Category")
    spec = next(s for s in categories.serializers if s.name.endswith(":CategorySerializer"))
    serializer_plant.plant(monkeypatch)
    case = DirectCase(spec.name, ({"name": "replayed", "id": "ro-canary-abcdef"},), 1)
    findings = run_direct(live_target, oracle_context, categories, case)
    directory = record(tmp_path, findings, "serializers.validation_contract")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("serializers", "run_direct")

    assert_red(replay(directory, "serializers"), "serializers.validation_contract")
    replay_here(directory, request)


# -- app mounting (an app built for one configuration, no target) -------------------------------------------

def test_mounting_finding_replays_the_configuration(monkeypatch, tmp_path, request):
    mounting_plant.plant(monkeypatch)
    findings = mounted_as_configured(MountCase(False, False, True, False, False))
    directory = record(tmp_path, findings, "studio.mounted_as_configured")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("studio", "mounted_as_configured")

    assert_red(replay(directory, "mounting"), "studio.mounted_as_configured")
    replay_here(directory, request)


# -- viewset registration (the target's viewsets in a module of their own) -----------------------------------

def test_discovery_finding_replays_the_registration(live_target, monkeypatch, tmp_path, request):
    discovery_plant.plant(monkeypatch)
    findings = discovery_exact(live_target, "include_app")
    directory = record(tmp_path, findings, "authz.discovery_exact")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("authz", "discovery_exact")

    assert_red(replay(directory, "discovery"), "authz.discovery_exact")
    replay_here(directory, request)


# -- durable workflow steps (a scratch database, no target) --------------------------------------------------

@pytest.mark.live
def test_workflow_finding_replays_the_program(pg_server, monkeypatch, tmp_path, request):
    lab = WorkflowLab(pg_server, f"fuzz_workflows_replay_kind_{os.getpid()}")
    try:
        workflows_plant.plant(monkeypatch)
        findings = run_program(lab, StepProgram("w", (StepCall("fetch", value=1), StepCall("fetch", value=2))))
    finally:
        lab.close()
    directory = record(tmp_path, findings, "workflows.step_once")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("workflows", "run_program")

    assert_red(replay(directory, "workflows"), "workflows.step_once")
    replay_here(directory, request)


# -- an exception raised in a route (an app of its own, no target) ------------------------------------------

def test_exception_mapping_finding_replays_the_route(monkeypatch, tmp_path, request):
    exceptions_plant.plant(monkeypatch)
    findings = raised_in_route(RaisedCase("DoesNotExist", "Ticket not found", "id", 0))
    directory = record(tmp_path, findings, "http.exception_mapping")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("http", "raised_in_route")

    assert_red(replay(directory, "exceptions"), "http.exception_mapping")
    replay_here(directory, request)


# -- app lifecycle (an app started and stopped on a scratch database) ---------------------------------------

@pytest.mark.live
def test_lifecycle_finding_replays_the_app(pg_server, monkeypatch, tmp_path, request):
    from aksara.app import Aksara

    if not hasattr(Aksara, "_cleanup_runtime_after_error"):
        pytest.skip("the installed release has no cleanup to break (AKSARA-LIFECYCLE-001)")
    lab = LifecycleLab(pg_server, f"fuzz_lifecycle_replay_kind_{os.getpid()}")
    try:
        lifecycle_plant.plant(monkeypatch)
        findings = lifecycle_case(lab, LifecycleCase("aksara_user_lifespan", "lifespan_raises", 0, 1))
    finally:
        lab.close()
    directory = record(tmp_path, findings, "lifecycle.pool_released")
    monkeypatch.undo()
    stored = json.loads((directory / "finding.json").read_text())["replay"]
    assert (stored["area"], stored["call"]) == ("lifecycle", "lifecycle_case")

    assert_red(replay(directory, "lifecycle"), "lifecycle.pool_released")
    replay_here(directory, request)


# -- token (through the real plugin) -------------------------------------------------------------------

@pytest.mark.live
def test_token_finding_from_a_fuzz_run_fails_its_replay_on_the_faulty_verifier_only(tmp_path, request):
    """The property runs in a subprocess with the planted verifier and writes the artifact itself."""
    artifacts = tmp_path / "artifacts"
    run = run_pytest("fuzz/test_tokens.py::test_agent_token_lifetime", "-p", "tests.support.plants.tokens",
                     "--artifacts-dir", str(artifacts), "--example-db", str(tmp_path / "db"),
                     "--report-dir", str(tmp_path / "rep"), "--hypothesis-seed=1")
    assert run.returncode == 1, run.stdout + run.stderr
    [directory] = [d for d in artifacts.iterdir() if d.name.startswith("tokens.agent_token_lifetime-")]
    data = json.loads((directory / "finding.json").read_text())
    assert data["replay"]["area"] == "tokens" and data["observed"] == "accepted"

    output = assert_red(replay(directory, "tokens"), "tokens.agent_token_lifetime")
    assert "PostgreSQL provider" not in output  # a pure replay starts no PostgreSQL and no target
    replay_here(directory, request)


# -- migration ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab(pg_server):
    lab = MigrationLab.on_server(pg_server)
    yield lab
    lab.close()


def test_migration_finding_fails_its_replay_while_ddl_is_unquoted(lab, monkeypatch, tmp_path, request):
    migration_plant.plant(monkeypatch)
    history = SchemaHistory((SchemaSpec((ModelSpec("FuzzModel0", "Order Lines",
                                                   (FieldSpec("title", "String", max_length=5),)),)),))
    findings = round_trip_case(lab, history)
    monkeypatch.undo()
    assert round_trip_case(lab, history) == []  # the clean DDL
    directory = record(tmp_path, findings, findings[0].property_id)

    assert_red(replay(directory, "migrations"), findings[0].property_id)
    replay_here(directory, request)


def test_handwritten_migration_finding_fails_its_replay_while_unique_indexes_are_plain(lab, monkeypatch, tmp_path,
                                                                                       request):
    from strategies.handwritten import FieldDef, HandMigrations, IndexDef, OpDef

    handwritten_plant.plant(monkeypatch)
    fields = (("id", FieldDef("UUIDField", (), (("primary_key", True),))),
              ("Code No.", FieldDef("StringField", (), (("max_length", 20),))))
    migrations = HandMigrations(((OpDef("CreateTable", (("name", "Order Lines"), ("fields", fields))),
                                  OpDef("AddIndex", (("index", IndexDef("by code", "Order Lines", ("Code No.",),
                                                                        unique=True)),))),))
    findings = handwritten_case(lab, migrations)
    monkeypatch.undo()
    assert handwritten_case(lab, migrations) == []  # the clean build
    directory = record(tmp_path, findings, "migrations.catalog_matches")

    assert_red(replay(directory, "handwritten"), "migrations.catalog_matches")
    replay_here(directory, request)


# -- doctor ---------------------------------------------------------------------------------------------

def test_doctor_finding_fails_its_replay_while_the_check_ignores_its_condition(monkeypatch, tmp_path, request):
    doctor_plant.plant(monkeypatch)
    findings = verdict_case(DoctorInput(env=dict(HARDENED_ENV, AKSARA_COOKIE_SECURE="false")))
    monkeypatch.undo()
    directory = record(tmp_path, findings, "doctor.verdict_matches_spec")

    output = assert_red(replay(directory, "doctor"), "doctor.verdict_matches_spec")
    assert "security.cookies" in output
    corrected_doctor.install(monkeypatch)  # the clean build: the doctor without its known defects
    replay_here(directory, request)
