"""Relation writes: the platform's ``labels`` action replaces a project's many-to-many labels through Aksara's
default serializer ``update``; ``writes.relation_replaced`` stays quiet on it, catches a planted action that
keeps labels it was told to drop, and ``relation_bodies`` reaches every body class."""

from __future__ import annotations

from typing import Any

import pytest

from fuzz import catalog
from fuzz.oracles.context import OracleContext
from fuzz.properties.writes import fetch_related, run_write_case
from strategies.payloads import WriteBody
from strategies.writes import WriteCase, known_rows, relation_bodies, write_cases
from targets.platform.target import PlatformTarget
from tests.support.find import find_any
from tests.support.planted import started_target

pytestmark = pytest.mark.live


class AddOnlyLabels(PlatformTarget):
    """Planted: the labels action adds the labels sent and never removes one (``add`` for ``set``)."""

    def build_app(self, dsn: str) -> Any:
        from targets.platform.models import Label, Project

        app = super().build_app(dsn)

        @app.middleware("http")
        async def add_only(request, call_next):
            if request.method == "POST" and request.url.path.endswith("/labels"):
                import json

                from aksara.context_state import tenant_id_var
                from fastapi.responses import JSONResponse

                from targets.platform.target import TENANT_A

                body = json.loads(await request.body() or b"null")
                pk = request.url.path.split("/")[2]
                token = tenant_id_var.set(TENANT_A)  # the plant runs outside the app's membership middleware
                try:
                    project = await Project.objects.filter(id=pk).first()
                    ids = body.get("labels") if isinstance(body, dict) else None
                    if project is not None and isinstance(ids, list) and ids:
                        await project.labels.add(*await Label.objects.filter(id__in=ids).all())
                        return JSONResponse({"id": pk, "labels": sorted(ids)})
                finally:
                    tenant_id_var.reset(token)
            return await call_next(request)

        return app


@pytest.fixture(scope="module")
def live(pg_server, request):
    with started_target(pg_server, PlatformTarget(request.config.getoption("target_profile")),
                        "platform_relations") as started:
        yield started


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_target(pg_server, AddOnlyLabels(request.config.getoption("target_profile")),
                        "planted_relations") as started:
        yield started


def _case(live, principal, labels) -> tuple[WriteCase, Any]:
    resource = live.info.resource("Project")
    rows = known_rows(live)
    pk = next(pk for pk, tenant in rows["Project"] if tenant == "A")
    relation = resource.relation_writes[0]
    return WriteCase(principal, "Project", "action", WriteBody("relation_valid", {"labels": labels}, clean=True),
                     pk, relation.path), relation


def _labels(live, count):
    return [pk for pk, _ in known_rows(live)["Label"]][:count]


def test_the_platform_declares_the_labels_action_as_a_relation_write(live):
    relation = live.info.resource("Project").relation_writes[0]
    assert (relation.field, relation.related, relation.path) == ("labels", "Label", "/projects/{pk}/labels")


def test_an_accepted_replacement_is_judged_and_quiet(live):
    ctx = OracleContext(live.info)
    for labels in (_labels(live, 3), _labels(live, 1) * 2, []):
        case, relation = _case(live, "user_a", labels)
        outcome = run_write_case(live, ctx, case, reset=False)
        assert outcome.exchange.status == 200, outcome.exchange.response_text
        assert fetch_related(live, relation, case.pk) == set(labels)
        assert not [f for f in outcome.findings if f.property_id == catalog.WRITES_RELATION_REPLACED]
    live.reset()


def test_refused_replacements_change_nothing(live):
    ctx = OracleContext(live.info)
    for principal, labels, status in (("user_a", ["not-a-uuid"], 400), ("user_a", _labels(live, 1) + [
            "00000000-0000-4000-8000-000000000000"], 422), ("user_b", _labels(live, 1), 404),
            ("anonymous", _labels(live, 1), 403)):
        case, _ = _case(live, principal, labels)
        outcome = run_write_case(live, ctx, case)
        assert outcome.exchange.status in (status, 401), (principal, labels, outcome.exchange.response_text)
        assert not [f for f in outcome.findings if f.property_id == catalog.WRITES_RELATION_REPLACED]


def test_a_replacement_that_keeps_old_labels_is_caught(planted):
    ctx = OracleContext(planted.info)
    first, relation = _case(planted, "user_a", _labels(planted, 2))
    run_write_case(planted, ctx, first, reset=False)
    second, _ = _case(planted, "user_a", [_labels(planted, 3)[2]])
    findings = run_write_case(planted, ctx, second).findings
    found = [f for f in findings if f.property_id == catalog.WRITES_RELATION_REPLACED]
    assert found and found[0].facts["problem"] == "stored_other_set"


@pytest.mark.parametrize("hostile_class", ["relation_valid", "relation_unknown", "relation_malformed"])
def test_relation_bodies_reach_every_class(live, hostile_class):
    relation = live.info.resource("Project").relation_writes[0]
    found = find_any(relation_bodies(relation, _labels(live, 4)), lambda b: b.hostile_class == hostile_class)
    assert set(found.document) == {"labels"}


def test_write_cases_send_relation_bodies_to_the_declared_route(live):
    cases = write_cases(live.info, known_rows(live), "Project", operations=("action",))
    found = find_any(cases, lambda c: c.action_path == "/projects/{pk}/labels"
                     and c.body.hostile_class == "relation_valid" and len(c.body.document["labels"]) >= 2)
    assert found.operation == "action"


def test_the_write_sweep_sends_each_relation_body_class(live):
    from strategies.writes import create_sweep

    swept = [c for c in create_sweep(live.info, known_rows(live), "Project") if c.operation == "action"]
    assert sorted(c.body.hostile_class for c in swept) == [
        "relation_malformed", "relation_unknown", "relation_valid", "relation_valid"]
    assert {c.action_path for c in swept} == {"/projects/{pk}/labels"}
    assert {c.operation for c in create_sweep(live.info, known_rows(live), "Label")} == {"create"}


@pytest.mark.parametrize("raw", [b"", b"{}"])
def test_a_request_that_sends_no_relation_is_judged_by_what_it_changed(live, raw):
    """No body (the action's read) or a body without the relation key replaces nothing: accepted, the relation
    must stay as it was, and is judged so (the oracle would have called the empty body "accepted malformed")."""
    from fuzz.oracles.writes import check_relation_replaced
    from strategies.payloads import NO_DOCUMENT

    ctx = OracleContext(live.info)
    case, relation = _case(live, "user_a", _labels(live, 2))
    run_write_case(live, ctx, case, reset=False)
    body = WriteBody("malformed_json", NO_DOCUMENT if not raw else {}, raw=raw, content_type="application/json")
    outcome = run_write_case(live, ctx, WriteCase("user_a", "Project", "action", body, case.pk, relation.path))
    assert not [f for f in outcome.findings if f.property_id == catalog.WRITES_RELATION_REPLACED]
    held = _labels(live, 2)
    changed = check_relation_replaced(outcome.exchange, relation, NO_DOCUMENT, held, held[:1])
    assert [f.facts["problem"] for f in changed] == (["changed_unsent"] if outcome.exchange.status < 300 else [
        "refused_but_changed"])
