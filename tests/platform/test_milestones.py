"""The platform target's milestones (targets/platform/planning/): Aksara's default ModelSerializer create and
update, an expanded many-to-many relation, discovery-based registration and a user lifespan; the serializer
oracles stay quiet on it and catch a planted fault in Aksara's default update."""

from __future__ import annotations

import pytest

from fuzz.oracles.context import OracleContext
from fuzz.properties.serializers import own_rows, run_patch, run_read_only, seeded_rows
from strategies.serializers import SerializerCase
from targets.platform.target import LABELS, PlatformTarget
from tests.support.planted import started_target

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(pg_server, request):
    target = PlatformTarget(request.config.getoption("target_profile"))
    with started_target(pg_server, target, "platform_milestones") as started:
        yield started


@pytest.fixture(scope="module")
def ctx(live):
    return OracleContext(live.info)


def props(findings, wanted):
    return [f for f in findings if f.property_id == wanted]


def full_row(live, resource):
    """A seeded milestone of user_a's tenant with every client field set."""
    rows = own_rows(live, seeded_rows(live), resource, "user_a")
    return next(pk for pk in rows if live.run(live.db.conn.fetchval(
        f'SELECT name IS NOT NULL AND points IS NOT NULL AND note IS NOT NULL FROM "{resource.table}" '
        "WHERE id = $1::uuid", pk)))


def stored_labels(live, pk):
    rows = live.run(live.db.conn.fetch(
        'SELECT l.id, l.name, l.color FROM "pf_milestones_labels" j JOIN "pf_labels" l ON l.id = j.pf_label_id '
        "WHERE j.pf_milestone_id = $1::uuid", pk))
    return sorted((str(r["id"]), r["name"], r["color"]) for r in rows)


def test_the_app_is_put_together_the_documented_ways(live):
    resource = live.info.resource("Milestone")
    assert (resource.prefix, resource.create_serializer, resource.update_serializer) == ("/milestones", True, True)
    assert [f.name for f in resource.fields if f.serializer_read_only] == ["ref"]
    # the user lifespan ran inside Aksara's runtime: it could read the database
    assert live.app.state.label_names == sorted(LABELS)
    # include_app_viewsets registered the planning app's viewset beside the hand-registered ones
    paths = {getattr(route, "path", None) for route in live.app.routes}
    assert {"/milestones/", "/milestones/{pk}"} <= paths
    assert live.request("user_a", "GET", "/projects/", route="/projects/").status == 200


def test_milestones_read_their_labels_expanded(live):
    live.reset()
    listing = live.request("user_a", "GET", "/milestones/", query=[("limit", "50")], route="/milestones/")
    assert listing.status == 200, listing.response_json()
    results = listing.response_json()["results"]
    assert results and any(item["labels"] for item in results)
    for item in results:
        got = sorted((label["id"], label["name"], label["color"]) for label in item["labels"])
        assert got == stored_labels(live, item["id"])
    pk = next(item["id"] for item in results if item["labels"])
    one = live.request("user_a", "GET", f"/milestones/{pk}", route="/milestones/{pk}")
    assert one.status == 200
    assert sorted((x["id"], x["name"], x["color"]) for x in one.response_json()["labels"]) == stored_labels(live, pk)


def test_the_hooks_refuse_what_the_schema_declares(live):
    live.reset()
    for body in ({"name": "   "}, {"points": -1}):
        exchange = live.request("user_a", "POST", "/milestones/", json_body=body, route="/milestones/")
        assert exchange.status == 422, (body, exchange.status)
    created = live.request("user_a", "POST", "/milestones/", json_body={"name": "Ship", "points": 3},
                           route="/milestones/")
    assert created.status == 200 or created.status == 201, created.response_json()
    assert {k: created.response_json()[k] for k in ("name", "points", "note", "labels")} == \
        {"name": "Ship", "points": 3, "note": None, "labels": []}


def test_patch_is_quiet_on_milestones(live, ctx):
    resource = live.info.resource("Milestone")
    pk = full_row(live, resource)
    findings = run_patch(live, ctx, resource, SerializerCase("user_a", {"name": "Only the name"}), pk)
    assert findings == []
    case = SerializerCase("user_a", {"note": "n", "ref": "ro-canary-abcdef"}, ("ref",))
    assert [f.facts["problem"] for f in run_read_only(live, ctx, resource, case, pk)] == ["read_only_ignored"]


def test_patch_catches_a_default_update_that_applies_omitted_fields(live, ctx, monkeypatch):
    from aksara.api.serializers import ModelSerializer

    async def overwriting(self, instance, validated_data):
        for key, value in validated_data.items():
            if key not in self._m2m_field_names:
                setattr(instance, key, value)  # planted: None (an omitted field) is applied as well
        await instance.save()
        return instance

    monkeypatch.setattr(ModelSerializer, "update", overwriting)
    resource = live.info.resource("Milestone")
    pk = full_row(live, resource)
    found = props(run_patch(live, ctx, resource, SerializerCase("user_a", {"name": "Only the name"}), pk),
                  "serializers.patch_keeps_omitted")
    assert {f.facts["field"] for f in found} == {"points", "note"}
    assert all(f.facts["problem"] == "omitted_field_changed" for f in found)


def test_a_many_to_many_key_is_refused_by_the_payload_policy(live):
    """Why the app writes labels through an action: on the generated PATCH route (its generated update schema
    lists ``labels``) the payload policy refuses the key for every principal, staff included."""
    live.reset()
    project = live.request("staff_a", "GET", "/projects/", query=[("limit", "1")], route="/projects/")
    pk = project.response_json()["results"][0]["id"]
    label = live.request("staff_a", "GET", "/labels/", query=[("limit", "1")], route="/labels/")
    label_id = label.response_json()["results"][0]["id"]
    refused = live.request("staff_a", "PATCH", f"/projects/{pk}", json_body={"labels": [label_id]},
                           route="/projects/{pk}")
    assert refused.status == 403, refused.response_json()
    assert "labels" in str(refused.response_json())
