"""The write-body strategies reach every hostile class they promise (pure: no app, no database)."""

from __future__ import annotations

import json

import pytest

from fuzz.oracles.writes import expected_denials
from strategies import json_values as jv
from strategies.payloads import (
    NO_DOCUMENT,
    OVERSIZED_SIZES,
    body_classes,
    oversized_bodies,
    write_bodies,
)
from targets.refapp.target import RefappTarget
from tests.support.find import assert_all_examples, find_any

INFO = RefappTarget().info
TICKET = INFO.resource("Ticket")
COMMENT = INFO.resource("Comment")
FK_IDS = {"Ticket": ["f6fadfa7-e5c1-4b62-9362-da5cc13da58a"]}


def classes(resource=TICKET, partial=False):
    return body_classes(resource, FK_IDS, partial)


def test_every_class_is_generated_by_write_bodies():
    for name in [*classes(), "non_utf8"]:
        def of_class(body, name=name):
            return body.hostile_class == name
        of_class.__name__ = f"class_{name}"
        find_any(write_bodies(TICKET, FK_IDS), of_class, max_examples=4000)


def test_valid_bodies_carry_every_required_field_and_parse_back():
    def complete(body):
        return "title" in body.document and json.loads(body.body_bytes()) == body.document
    assert_all_examples(classes()["valid"], complete)

    def references_a_known_ticket(body):
        return body.document.get("ticket_id") in FK_IDS["Ticket"]
    assert_all_examples(classes(COMMENT)["valid"], references_a_known_ticket)


@pytest.mark.parametrize("key", ["id", "tenant_id", "created_at", "updated_at", "reference_code",
                                 "internal_notes", "approved"])
def test_restricted_bodies_reach_each_server_controlled_read_only_and_ai_field(key):
    find_any(classes()["restricted_key"], lambda b: key in b.document)


def test_restricted_bodies_reach_column_aliases():
    find_any(classes(COMMENT)["restricted_key"], lambda b: "tenant_id" in b.document)
    find_any(classes(COMMENT)["unknown_key"], lambda b: "ticket" in b.document)  # field name of ticket_id


def test_unknown_keys_include_case_and_prototype_variants():
    find_any(classes()["unknown_key"], lambda b: "TITLE" in b.document or " title" in b.document)
    find_any(classes()["unknown_key"], lambda b: "__proto__" in b.document)


def _nested(body):
    return expected_denials(TICKET, "user", body.document).denied


def test_nested_denied_reaches_shallow_deep_and_late_list_positions():
    nested = classes()["nested_denied"]
    find_any(nested, lambda b: any(p.startswith("meta.") or p.startswith("meta[") for p in _nested(b)))
    find_any(nested, lambda b: b.depth >= 35 and _nested(b))  # past a 32-level traversal bound
    find_any(nested, lambda b: b.depth >= 1000)  # thousands of levels
    find_any(nested, lambda b: any("[100]" in p or "[101]" in p or "[150]" in p for p in _nested(b)))


def test_nested_denied_raw_bytes_match_the_document():
    def consistent(body):
        return body.depth < 40 and json.loads(body.raw) == body.document
    find_any(classes()["nested_denied"], consistent)


def test_deep_and_wide_bodies():
    find_any(classes()["deep"], lambda b: b.depth >= 3000)
    find_any(classes()["deep"], lambda b: 250 <= b.depth <= 1000)
    find_any(classes()["wide"], lambda b: b.size > 100_000)


def test_type_confusion_reaches_bool_for_int_numbers_as_strings_and_objects_for_scalars():
    confused = classes()["type_confusion"]
    find_any(confused, lambda b: b.document.get("priority") is True or b.document.get("priority") is False)
    find_any(confused, lambda b: isinstance(b.document.get("priority"), str))
    find_any(confused, lambda b: isinstance(b.document.get("title"), (dict, list)))
    find_any(confused, lambda b: b.document.get("is_urgent") in ("yes", "maybe"))


def test_null_for_every_field_and_boundary_numbers():
    find_any(classes()["null_all"], lambda b: all(v is None for v in b.document.values()) and len(b.document) > 5)
    boundary = classes()["boundary"]
    find_any(boundary, lambda b: b.document.get("priority") == 2**31)
    find_any(boundary, lambda b: b.document.get("amount") == "1e400")
    find_any(boundary, lambda b: b"NaN" in b.body_bytes() or b"Infinity" in b.body_bytes())


def test_bad_text_reaches_nul_surrogates_and_long_strings():
    bad = classes()["bad_text"]
    find_any(bad, lambda b: any(isinstance(v, str) and "\x00" in v for v in b.document.values()))
    find_any(bad, lambda b: b"\\ud800" in b.body_bytes() or b"\\udfff" in b.body_bytes())
    find_any(bad, lambda b: any(isinstance(v, str) and len(v) >= 10_000 for v in b.document.values()))


def test_malformed_non_utf8_duplicate_keys_and_content_types():
    find_any(classes()["malformed_json"], lambda b: b.document is NO_DOCUMENT and b.raw == b"")
    find_any(classes()["malformed_json"], lambda b: b.raw.startswith(b"\xff\xfe") or b.raw.startswith(b"\xfe\xff"))
    find_any(classes()["malformed_json"], lambda b: b.hostile_class == "non_utf8" and _invalid_utf8(b.raw))
    find_any(classes()["duplicate_keys"], lambda b: b.raw.count(b'"approved"') == 2)
    find_any(classes()["content_type"], lambda b: b.content_type is None)
    find_any(classes()["content_type"], lambda b: b.content_type == "text/plain" and b.document is NO_DOCUMENT)


def _invalid_utf8(raw):
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_oversized_bodies_span_one_mebibyte_to_fifty_megabytes():
    big = oversized_bodies(TICKET, FK_IDS)
    find_any(big, lambda b: b.size > 1024 * 1024 and b.size < 3 * 1024 * 1024, max_examples=40)
    find_any(big, lambda b: b.size >= 50_000_000, max_examples=40)
    assert min(OVERSIZED_SIZES) > 1024 * 1024


def test_place_at_builds_any_depth_without_recursion():
    placed = jv.place_at(["a"] * 5000 + [3], {"tenant_id": 1})
    assert placed.depth == 5001 and placed.raw.count(b"{") == 5001
    small = jv.place_at(["a", 2, "b"], {"x": 1})
    assert json.loads(small.raw) == small.document == {"a": [0, 0, {"b": {"x": 1}}]}
    assert jv.iter_containers(jv.place_at(["k"] * 3000, 1).document) == 3000
