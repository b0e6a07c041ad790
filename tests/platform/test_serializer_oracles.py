"""The serializer oracles catch a planted fault on a real Aksara serializer path and stay quiet on the
platform target's correct ones (targets/platform/): the writes through serializer viewsets, and the serializer
API an application calls itself (a fault planted in Aksara's ModelSerializer, tests/support/plants/serializers.py)."""

from __future__ import annotations

import pytest

from fuzz.oracles.context import OracleContext
from fuzz.properties.serializers import own_rows, run_direct, run_parity, run_patch, run_read_only, seeded_rows
from strategies.serializers import DirectCase, SerializerCase, parity_subjects
from tests.support.planted import started_target
from tests.support.plants import serializers as serializer_plant
from tests.support.plants.platform import PlantedPlatform

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def planted(pg_server, request):
    target = PlantedPlatform(request.config.getoption("target_profile"))
    with started_target(pg_server, target, "planted_platform_serializers") as live:
        yield live


@pytest.fixture(scope="module")
def ctx(planted):
    return OracleContext(planted.info)


def props(findings, wanted):
    return [f for f in findings if f.property_id == wanted]


def first_row(live, resource):
    rows = own_rows(live, seeded_rows(live), resource, "user_a")
    return next(pk for pk in rows if live.run(live.db.conn.fetchval(
        f'SELECT priority FROM "{resource.table}" WHERE id = $1::uuid', pk)) != 3)


def test_parity_is_quiet_on_the_platform(planted, ctx):
    resource, sibling = parity_subjects(planted.info)[0]
    assert (resource.prefix, sibling.prefix) == ("/projects", "/project-board")
    case = SerializerCase("user_a", {"title": "Parity", "priority": 4, "budget": "12.50", "status": "paused"})
    assert props(run_parity(planted, ctx, resource, sibling, case), "serializers.round_trip_parity") == []


def test_parity_catches_a_serializer_that_stores_another_value(planted, ctx):
    _, sibling = parity_subjects(planted.info)[0]
    shouting = planted.target.planted_resource("/planted-shouting-projects")
    found = props(run_parity(planted, ctx, shouting, sibling, SerializerCase("user_a", {"title": "Parity"})),
                  "serializers.round_trip_parity")
    assert [(f.facts["problem"], f.facts["field"], f.facts["sent"]) for f in found] == [("rows_differ", "title", "yes")]


def test_patch_is_quiet_on_the_platform(planted, ctx):
    resource = planted.info.resource("Project")
    pk = first_row(planted, resource)
    findings = run_patch(planted, ctx, resource, SerializerCase("user_a", {"title": "Only the title"}), pk)
    assert props(findings, "serializers.patch_keeps_omitted") == []


def test_patch_catches_an_update_serializer_that_resets_omitted_defaults(planted, ctx):
    naive = planted.target.planted_resource("/planted-naive-projects")
    pk = first_row(planted, naive)
    found = props(run_patch(planted, ctx, naive, SerializerCase("user_a", {"title": "Only the title"}), pk),
                  "serializers.patch_keeps_omitted")
    assert {f.facts["field"] for f in found} >= {"priority"}
    assert all(f.facts["problem"] == "omitted_field_changed" for f in found)


def test_read_only_dropped_on_the_platform_is_the_documented_behaviour(planted, ctx):
    """Aksara's serializers drop a read-only value silently (documented): reported as that, and known."""
    from fuzz.ledger import active_ledger

    resource = planted.info.resource("Project")
    case = SerializerCase("user_a", {"title": "t", "slug": "ro-canary-abcdef"}, ("slug",))
    pk = first_row(planted, resource)
    for row in (None, pk):
        found = props(run_read_only(planted, ctx, resource, case, row), "serializers.read_only_never_applied")
        assert [(f.facts["problem"], f.facts["field"]) for f in found] == [("read_only_ignored", "slug")]
        defect = active_ledger().match(found[0])
        assert defect is not None and (defect.id, defect.owner) == ("AKSARA-SERIALIZER-001", "documented")


def test_read_only_catches_an_update_serializer_that_applies_it(planted, ctx):
    applying = planted.target.planted_resource("/planted-applying-projects")
    pk = first_row(planted, applying)
    case = SerializerCase("user_a", {"slug": "ro-canary-abcdef"}, ("slug",))
    found = props(run_read_only(planted, ctx, applying, case, pk), "serializers.read_only_never_applied")
    assert [(f.facts["problem"], f.facts["field"]) for f in found] == [("read_only_applied", "slug")]
    from fuzz.ledger import active_ledger

    assert active_ledger().match(found[0]) is None  # a stored read-only value is never the documented dropping


# -- the serializer API as an application uses it (serializers.validation_contract / representation_contract) --

PROJECT = "targets.platform.views:ProjectSerializer"
LABELS = "targets.platform.views:ProjectLabelsSerializer"
CONTRACTS = ("serializers.validation_contract", "serializers.representation_contract")


def direct(live, ctx, serializer, *bodies, rows=2):
    findings = run_direct(live, ctx, live.info.resource("Project"), DirectCase(serializer, tuple(bodies), rows))
    return [f for f in findings if f.property_id in CONTRACTS]


def problems(findings):
    return sorted({(f.property_id.split(".")[1], f.facts["problem"]) for f in findings})


def test_serializer_api_is_quiet_on_the_platform(planted, ctx):
    bodies = ({"title": "ok", "priority": 2}, {"title": "t", "slug": "ro-canary-abcdef", "is_admin": True},
              {"title": 5, "priority": "many"})
    for name in (PROJECT, LABELS, "targets.platform.views:ProjectUpdateSerializer"):
        assert direct(planted, ctx, name, *bodies, rows=3) == [], name


def test_serializer_api_catches_validation_passing_a_read_only_value(planted, ctx, monkeypatch):
    serializer_plant.plant(monkeypatch)
    found = direct(planted, ctx, PROJECT, {"title": "ok", "slug": "ro-canary-abcdef", "is_admin": True})
    assert [(f.facts["problem"], f.facts["field"], f.facts["read_only"]) for f in found] == [
        ("omitted_key_passed", "is_admin", "no"), ("omitted_key_passed", "slug", "yes")]


@pytest.mark.parametrize("fault, bodies, expected", [
    ("crash_on_unknown_key", ({"title": "ok", "is_admin": True},), [("validation_contract", "raised")]),
    ("errors_forgotten", ({"title": "ok", "priority": "many"},), [("validation_contract", "invalid_without_errors")]),
    ("raise_exception_ignored", ({"title": "ok", "priority": "many"},), [("validation_contract", "strict_disagrees")]),
    ("many_checks_the_first", ({"title": "ok"}, {"title": "ok", "priority": "many"}),
     [("validation_contract", "many_disagrees")]),
    ("one_object_is_many", ({"title": "ok"},), [("validation_contract", "object_as_many_accepted")]),
    ("nothing_is_none", ({"title": "ok"},), [("representation_contract", "nothing_represented")]),
])
def test_serializer_api_catches_a_broken_clause(planted, ctx, monkeypatch, fault, bodies, expected):
    getattr(serializer_plant, f"plant_{fault}")(monkeypatch)
    found = direct(planted, ctx, PROJECT, *bodies)
    assert problems(found) == expected, [f.describe() for f in found]
    if fault == "crash_on_unknown_key":
        assert found[0].facts["exception"] == "KeyError" and found[0].facts["serializer"] == PROJECT


def test_serializer_api_catches_a_representation_beyond_meta_fields(planted, ctx, monkeypatch):
    serializer_plant.plant_fields_ignored(monkeypatch)
    found = direct(planted, ctx, LABELS, {"labels": []})
    assert problems(found) == [("representation_contract", "undeclared_key")]
    assert "secret_notes" in {f.facts["field"] for f in found}


def test_serializer_api_catches_serialize_many_losing_a_row(planted, ctx, monkeypatch):
    serializer_plant.plant_serialize_many_drops_the_last(monkeypatch)
    found = direct(planted, ctx, PROJECT, {"title": "ok"}, rows=2)
    assert problems(found) == [("representation_contract", "many_disagrees")]
    assert found[0].facts["call"] == "serialize_many"
