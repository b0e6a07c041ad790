"""Valid-filter, pivot and cursor strategies reach what the query oracles rely on."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest

from strategies.filters import valid_filters, valid_orderings
from strategies.pivots import pivot_filters
from strategies.query import cursor_values
from targets.refapp.seed import build_seed
from targets.refapp.target import TENANT_A, TENANT_B, RefappTarget
from tests.support.find import assert_no_examples, find_any

INFO = RefappTarget().info
TICKETS = INFO.resource("Ticket")
SEED = build_seed({"A": TENANT_A, "B": TENANT_B})
ROWS = [dict(r, meta=r["meta"]) for r in SEED["tickets"] if r["tenant_id"] == TENANT_A]


def _decode(cursor):
    return json.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_"))


@pytest.mark.parametrize("description, condition", [
    ("every known lookup", lambda fs: any(k.endswith("__gte") for k, _ in fs)),
    ("isnull", lambda fs: any(k.endswith("__isnull") for k, _ in fs)),
    ("in with several values", lambda fs: any(k.endswith("__in") and v.count(",") >= 1 for k, v in fs)),
    ("LIKE wildcard needle", lambda fs: any(k.endswith("contains") and ("%" in v or "_" in v) for k, v in fs)),
    ("backslash needle", lambda fs: any(k.endswith("contains") and "\\" in v for k, v in fs)),
    ("int32 edge", lambda fs: any(v in (str(2**31 - 1), str(-(2**31))) for _, v in fs)),
    ("int64-sized bigint", lambda fs: any(k.startswith("views") and v.lstrip("-").isdigit() and abs(int(v)) > 2**40
                                         for k, v in fs)),
    ("decimal at precision", lambda fs: any(k.startswith("amount") and len(v.split(".")[-1]) == 2
                                           and len(v.replace("-", "").replace(".", "")) >= 9 for k, v in fs)),
    ("datetime in a non-UTC zone", lambda fs: any(k.startswith(("resolved_at", "created_at")) and "T" in v and
                                                 dt.datetime.fromisoformat(v).utcoffset() not in (None, dt.timedelta(0))
                                                 for k, v in fs)),
    ("JSON path", lambda fs: any(k.startswith("meta__") and not k.endswith("isnull") for k, _ in fs)),
    ("unicode text", lambda fs: any(not v.isascii() for _, v in fs)),
    ("three conditions", lambda fs: len(fs) == 3),
])
def test_valid_filters_reach(description, condition):
    find_any(valid_filters(TICKETS, ROWS, text_ranges=True), condition)


def test_valid_filters_never_use_documented_backend_words_for_exact_text():
    def exact_text_is_a_backend_word(filters):
        return any("__" not in key and key not in ("is_urgent", "approved")
                   and value.strip().lower() in ("true", "false", "1", "0", "yes", "no", "null", "none", "")
                   for key, value in filters)
    assert_no_examples(valid_filters(TICKETS, ROWS, text_ranges=True), exact_text_is_a_backend_word)


def test_orderings_are_total_and_use_both_directions():
    find_any(valid_orderings(TICKETS, True), lambda t: t[-1] in ("id", "-id") and any(x.startswith("-") for x in t[:-1]))


def test_pivot_filters_cover_null_exact_range_and_substring():
    row = next(r for r in ROWS if r["body"] is None and r["amount"] is not None)
    strategy = pivot_filters(TICKETS, row, True)
    find_any(strategy, lambda fs: ("body__isnull", "true") in fs)
    find_any(strategy, lambda fs: any(k.endswith("__gte") for k, _ in fs))
    find_any(strategy, lambda fs: any(k.endswith("__icontains") for k, _ in fs))


def test_cursor_values_forge_every_class():
    ids = [str(r["id"]) for r in SEED["tickets"] if r["tenant_id"] == TENANT_B]

    def payload(c):
        try:
            return _decode(c)
        except Exception:  # noqa: BLE001 - undecodable cursors are a class of their own
            return "undecodable"

    find_any(cursor_values(ids), lambda c: isinstance(payload(c), dict) and payload(c).get("id") in ids)
    find_any(cursor_values(ids), lambda c: isinstance(payload(c), dict) and not isinstance(payload(c).get("id"), str))
    find_any(cursor_values(ids), lambda c: "-" in c or "_" in c)  # URL-safe alphabet
    find_any(cursor_values(ids), lambda c: payload(c) == "undecodable")
    find_any(cursor_values(ids), lambda c: isinstance(payload(c), dict) and isinstance(payload(c).get("id"), str)
             and len(payload(c)["id"]) == 36 and payload(c)["id"] not in ids and uuid.UUID(payload(c)["id"]))
