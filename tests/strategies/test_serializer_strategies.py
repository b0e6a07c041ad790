"""The serializer-API cases reach every object-shaped body class, read-only canaries and several bodies, and every
serializer the reference app declares is described from its Meta (targets.base.describe_serializer)."""

from __future__ import annotations

import pytest

from strategies.serializers import CANARY_PREFIX, direct_cases, serializer_specs
from targets.refapp.target import RefappTarget
from tests.support.find import assert_all_examples, find_any

INFO = RefappTarget().info
CATEGORIES = INFO.resource("Category")
CATEGORY = next(s for s in serializer_specs(INFO, "Category") if s.name.endswith(":CategorySerializer"))
TICKET_BRIEF = next(s for s in serializer_specs(INFO, "Ticket") if s.name.endswith(":TicketBriefSerializer"))


def test_every_serializer_the_app_declares_is_described_from_its_meta():
    names = {s.name.rpartition(":")[2] for r in INFO.resources for s in r.serializers
             if not s.name.startswith("targets.base:")}
    assert names == {"CategorySerializer", "TicketBriefSerializer", "TicketBulkSerializer", "CommentThreadSerializer"}
    # two viewsets share it: described once, beside the suite's two for the model
    assert [s.name.rpartition(":")[2] for s in serializer_specs(INFO, "Category")] == [
        "CategorySerializer", "FuzzAllCategorySerializer@targets.refapp.models",
        "FuzzExcludeCategorySerializer@targets.refapp.models"]
    assert CATEGORY.read_only == ("id", "created_at", "updated_at")
    assert set(CATEGORY.input_fields) == {"name", "description", "sort_order"}
    assert TICKET_BRIEF.output_keys == ("id", "tenant_id", "title", "status")
    thread = next(s for s in serializer_specs(INFO, "Comment"))
    every, but_one = serializer_specs(INFO, "Ticket")[-2:]
    assert set(every.output_keys) == {f.column for f in INFO.resource("Ticket").fields}  # "__all__"
    assert len(but_one.output_keys) == len(every.output_keys) - 1  # "exclude" removes one
    assert "ticket_id" in thread.output_keys and thread.optional_keys == ("ticket",)  # FK column; expand optional


@pytest.mark.parametrize("description, condition", [
    ("a valid body", lambda c: any(set(b) <= {"name", "description", "sort_order"} and "name" in b for b in c.bodies)),
    ("a read-only canary", lambda c: any(str(b.get("id", "")).startswith(CANARY_PREFIX) or "created_at" in b
                                         for b in c.bodies)),
    ("an undeclared key", lambda c: any(k not in {f.input_key for f in CATEGORIES.fields} for b in c.bodies for k in b)),
    ("a wrongly typed value", lambda c: any(isinstance(b.get("sort_order"), (str, bool, list, dict))
                                            for b in c.bodies)),
    ("null for every field", lambda c: any(b and all(v is None for v in b.values()) for b in c.bodies)),
    ("several bodies (many=True)", lambda c: len(c.bodies) == 3),
    ("several rows", lambda c: c.rows == 3),
])
def test_direct_cases_reach(description, condition):
    find_any(direct_cases(CATEGORIES, CATEGORY), condition)


def test_direct_bodies_are_json_objects():
    assert_all_examples(direct_cases(CATEGORIES, CATEGORY), lambda c: all(isinstance(b, dict) for b in c.bodies))
