"""The soft-delete oracles catch a planted fault on a real Aksara soft-delete model and stay quiet on the
platform target's correct trash listing and delete (targets/platform/)."""

from __future__ import annotations

import pytest

from fuzz.oracles.context import OracleContext
from fuzz.properties.soft_delete import rows_by_id, run_trash_case
from strategies.soft_delete import TrashCase
from tests.support.planted import started_target
from tests.support.plants.platform import PlantedPlatform
from targets.platform.target import TENANT_A, TENANT_B

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def planted(pg_server, request):
    target = PlantedPlatform(request.config.getoption("target_profile"))
    with started_target(pg_server, target, "planted_platform_soft_delete") as live:
        yield live


@pytest.fixture(scope="module")
def ctx(planted):
    return OracleContext(planted.info)


def active(live, resource, tenant):
    rows = rows_by_id(live, resource)
    return sorted(pk for pk, r in rows.items() if r["deleted_at"] is None and str(r["tenant_id"]) == tenant)


def problems(findings, wanted):
    return sorted({f.facts["problem"] for f in findings if f.property_id == wanted})


def test_trash_and_delete_are_quiet_on_the_platform(planted, ctx):
    resource = planted.info.resource("Document")
    own, foreign = active(planted, resource, TENANT_A)[0], active(planted, resource, TENANT_B)[0]
    case = TrashCase(deletes=(("user_a", own), ("user_a", foreign), ("user_b", own)), viewer="user_b",
                     query=(("tenant_id", TENANT_A),))
    findings = run_trash_case(planted, ctx, resource, case)
    assert problems(findings, "soft_delete.trash_scoped") == []
    assert problems(findings, "soft_delete.delete_is_soft") == []


def test_trash_catches_a_listing_outside_the_viewset_queryset(planted, ctx):
    leaky = planted.target.planted_resource("/planted-documents")
    found = problems(run_trash_case(planted, ctx, leaky, TrashCase(deletes=(), viewer="user_a", query=())),
                     "soft_delete.trash_scoped")
    assert "active_row" in found
    # without forced RLS (the defaults profile) the unscoped queryset also shows the other tenant's rows
    assert ("foreign_row" in found) == (planted.info.profile == "defaults")


def test_delete_catches_a_physical_delete(planted, ctx):
    leaky = planted.target.planted_resource("/planted-documents")
    pk = active(planted, leaky, TENANT_A)[0]
    found = run_trash_case(planted, ctx, leaky, TrashCase(deletes=(("user_a", pk),), viewer="user_a", query=()))
    assert problems(found, "soft_delete.delete_is_soft") == ["row_removed"]
