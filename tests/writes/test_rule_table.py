"""The write rule table and normalisation, on the reference app's metadata (pure: no app, no database)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from fuzz.oracles.writes import UNDOCUMENTED, expected_denials, normalise, same_value
from targets.refapp.target import RefappTarget

INFO = RefappTarget().info
TICKET, COMMENT = INFO.resource("Ticket"), INFO.resource("Comment")
BODY = {"title": "t", "internal_notes": "n", "approved": True, "reference_code": "R", "tenant_id": "x", "id": "y",
        "created_at": "2020-01-01T00:00:00Z", "meta": {"a": [{"tenant_id": 1}, {"approved": 1}],
                                                     "reference_code": {"tenant_id": 2}, "id": 3}}


@pytest.mark.parametrize("kind,denied", [
    ("anonymous", {"reference_code", "tenant_id", "id", "created_at", "meta.a[0].tenant_id", "meta.reference_code"}),
    ("user", {"reference_code", "tenant_id", "id", "created_at", "meta.a[0].tenant_id", "meta.reference_code"}),
    ("staff", {"reference_code", "tenant_id", "id", "created_at", "meta.a[0].tenant_id", "meta.reference_code"}),
    ("ai_agent", {"reference_code", "tenant_id", "id", "created_at", "approved", "meta.a[0].tenant_id",
                  "meta.a[1].approved", "meta.reference_code"}),
    ("system", {"reference_code", "tenant_id", "id", "created_at", "meta.reference_code"}),
])
def test_rule_table_per_principal_kind(kind, denied):
    expectation = expected_denials(TICKET, kind, BODY)
    assert expectation.denied == denied
    assert expectation.server_keys == {"tenant_id", "id", "created_at"}
    assert "internal_notes" in expectation.writable  # ai_sensitive hides, it does not forbid writing
    assert expectation.unknown == set()


def test_aliases_and_unknown_keys():
    expectation = expected_denials(COMMENT, "user", {"ticket_id": str(uuid.uuid4()), "ticket": "x", "nope": 1,
                                                     "tenant_id": "x"})
    assert expectation.writable == {"ticket_id"}
    assert expectation.unknown == {"ticket", "nope"}  # the FK field name is not its input key
    assert expectation.denied == {"tenant_id"}


def test_nested_walk_has_no_depth_or_position_bound():
    value: object = {"tenant_id": 1}
    for _ in range(5000):
        value = {"a": value}
    padded = [0] * 150 + [{"reference_code": 1}]
    expectation = expected_denials(TICKET, "user", {"meta": {"deep": value, "list": padded}})
    assert "meta.list[150].reference_code" in expectation.denied
    assert any(p.count(".a") == 5000 for p in expectation.denied)


def test_non_object_bodies_expect_nothing():
    assert not expected_denials(TICKET, "user", [{"reference_code": 1}]).must_reject


@pytest.mark.parametrize("kind,sent,stored", [
    ("integer", True, 1), ("integer", "7", 7), ("integer", 7.0, 7), ("decimal", "1.5", Decimal("1.50")),
    ("boolean", "yes", True), ("boolean", 0, False), ("float", "2.5", 2.5), ("uuid", "ABCDEF00-0000-4000-8000-000000000000",
                                                                              uuid.UUID("abcdef00-0000-4000-8000-000000000000")),
    ("datetime", "2024-01-01T00:00:00", dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)),
    ("date", "2024-02-29", dt.date(2024, 2, 29)),
])
def test_normalisation_follows_the_documented_coercions(kind, sent, stored):
    spec = next(f for f in TICKET.fields if f.kind == kind)
    assert normalise(spec, sent) == normalise(spec, stored) == stored


def test_undocumented_inputs_and_structural_equality():
    assert normalise(TICKET.field("priority"), {"a": 1}) is UNDOCUMENTED
    assert normalise(TICKET.field("title"), 5) is UNDOCUMENTED
    assert same_value({"a": [1, 2.0]}, {"a": [1.0, 2]}) and not same_value({"a": True}, {"a": 1})
