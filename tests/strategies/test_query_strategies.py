"""The query strategies reach every hostile class they claim."""

from __future__ import annotations

import re

import pytest

from strategies.query import ordering_values, pagination_values, path_ids, query_strings
from strategies.values import HOSTILE_CLASSES, hostile_scalars
from targets.refapp.target import RefappTarget
from tests.support.find import find_any

TICKETS = RefappTarget().info.resource("Ticket")


@pytest.mark.parametrize("name, condition", [
    ("sql_injection", lambda s: "DROP TABLE" in s or "UNION SELECT" in s),
    ("like_wildcards", lambda s: "%" in s and "_" not in s),
    ("nul_and_surrogates", lambda s: "\x00" in s),
    ("nul_and_surrogates", lambda s: bool(re.search(r"[\ud800-\udfff]", s))),
    ("int_edges", lambda s: s.lstrip("-").isdigit() and abs(int(s)) >= 2**63),
    ("int_edges", lambda s: s == str(2**31)),
    ("float_edges", lambda s: s.lower() == "nan"),
    ("float_edges", lambda s: "inf" in s.lower()),
    ("numeric_garbage", lambda s: bool(re.match(r"-?\d+\D", s))),
    ("long_strings", lambda s: len(s) >= 4000),
    ("quotes_and_backslashes", lambda s: "\\" in s and "'" in s),
    ("reserved_words", lambda s: s in ("select", "NULL", "tenant_id")),
    ("dates", lambda s: s == "2026-02-30"),
    ("uuids", lambda s: s == "not-a-uuid"),
    ("booleans", lambda s: s == "FALSE"),
    ("empty", lambda s: s == ""),
])
def test_each_hostile_class_is_generated(name, condition):
    find_any(HOSTILE_CLASSES[name], condition)


def test_hostile_scalars_mix_all_classes():
    find_any(hostile_scalars(), lambda s: "\x00" in s)
    find_any(hostile_scalars(), lambda s: "UNION" in s)


def _keys(pairs):
    return [k for k, _ in pairs]


@pytest.mark.parametrize("description, condition", [
    ("known lookup", lambda q: any(re.fullmatch(r"\w+__(gte|isnull|icontains)", k) for k in _keys(q))),
    ("unknown lookup", lambda q: any(k.endswith(("__regex", "__foo", "__year")) for k in _keys(q))),
    ("chained lookup", lambda q: any(k.count("__") >= 2 and k.split("__")[0] != "meta" for k in _keys(q))),
    ("json path", lambda q: any(k.startswith("meta__") and k.count("__") >= 2 for k in _keys(q))),
    ("hidden field", lambda q: any(k.startswith("internal_notes") for k in _keys(q))),
    ("tenant field", lambda q: any(k.startswith("tenant_id") for k in _keys(q))),
    ("repeated key", lambda q: len(_keys(q)) != len(set(_keys(q)))),
    ("conflicting repeated values", lambda q: any(
        len({v for k2, v in q if k2 == k}) > 1 for k in _keys(q))),
    ("page value beyond int64", lambda q: any(
        k in ("limit", "offset", "page", "size") and re.fullmatch(r"-?[0-9]+", v) and abs(int(v)) >= 2**63
        for k, v in q)),
    ("page size zero", lambda q: ("page_size", "0") in q or ("size", "0") in q),
    ("ordering with injection", lambda q: any(k == "ordering" and "DROP" in v for k, v in q)),
    ("ordering by tenant", lambda q: any(k == "ordering" and "tenant_id" in v for k, v in q)),
    ("search with NUL", lambda q: any(k == "search" and "\x00" in v for k, v in q)),
])
def test_query_strings_reach(description, condition):
    find_any(query_strings(TICKETS), condition)


def test_relation_traversal_is_generated_for_foreign_keys():
    comments = RefappTarget().info.resource("Comment")
    find_any(query_strings(comments), lambda q: any(k in ("ticket__title", "ticket__tenant_id") for k in _keys(q)))


def test_ordering_values_cover_prefixes_duplicates_and_long_lists():
    find_any(ordering_values(TICKETS), lambda v: v.startswith("-") and "," in v)
    find_any(ordering_values(TICKETS), lambda v: ",," in v or v.startswith(",") or v.endswith(","))
    find_any(ordering_values(TICKETS), lambda v: v.count(",") >= 100)


def test_pagination_values_cover_floats_exponents_and_garbage():
    for wanted in ("1.5", "1e3", "-1", str(2**63), "abc"):
        find_any(pagination_values(), lambda v, w=wanted: v == w)


def test_path_ids_mix_existing_random_and_hostile():
    ids = ["a0000000-0000-4000-8000-00000000000a"]
    find_any(path_ids(ids), lambda v: v in ids)
    find_any(path_ids(ids), lambda v: len(v) == 36 and v not in ids)
    find_any(path_ids(ids), lambda v: "'" in v)
