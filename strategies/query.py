"""Hostile query strings for a resource's list and detail routes, from its metadata.

Keys: every model field (and FK column) with every lookup Aksara knows and some it
does not (unknown, chained, relation traversal ``fk__field``, JSON paths), the
paginator's own parameters and those of the other paginators, ``ordering`` and
``search``, forged cursors, repeated keys, and arbitrary text keys. Values: see
:mod:`strategies.values`; ordering values mix allowed, disallowed, hidden and
tenant fields with ``-`` prefixes, empty terms and injected expressions.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Sequence

from hypothesis import strategies as st

from strategies.values import hostile_scalars, reserved_words, sql_injection
from targets.base import ResourceSpec

KNOWN_LOOKUPS = ("exact", "gt", "gte", "lt", "lte", "in", "isnull", "icontains", "contains")
UNKNOWN_LOOKUPS = ("iexact", "startswith", "regex", "range", "year", "foo", "", "__", "gt__lt", "in__in",
                   "isnull__gt", "contains__icontains", "'", "gt;")
PAGINATION_KEYS = ("limit", "offset", "page", "size", "cursor", "page_size")
ORDERING_INJECTIONS = ("id; DROP TABLE tickets", "random()", "(SELECT 1)", "1", "-", "--", ",,", "title desc",
                       "title NULLS FIRST", "\"title\"", "title)", "-(-title)", "tenant_id", "-tenant_id")


def field_keys(resource: ResourceSpec) -> st.SearchStrategy[str]:
    """Filter parameter names: fields × lookups, chained, relation traversal and JSON paths."""
    names = sorted({f.name for f in resource.fields} | {f.column for f in resource.fields})
    name = st.sampled_from(names)
    lookup = st.sampled_from(KNOWN_LOOKUPS + UNKNOWN_LOOKUPS)
    json_fields = [f.name for f in resource.fields if f.kind == "json"] or names
    fk_fields = [f.name for f in resource.fields if f.kind == "fk"] or names
    return st.one_of(
        name,
        st.builds(lambda n, lk: f"{n}__{lk}", name, lookup),
        st.builds(lambda n, a, b: f"{n}__{a}__{b}", name, lookup, lookup),
        st.builds(lambda n, p, lk: f"{n}__{p}__{lk}", st.sampled_from(json_fields),
                  st.sampled_from(["a", "source", "nested", "level", "0", "x y", "'", "__"]), lookup),
        st.builds(lambda n, other: f"{n}__{other}", st.sampled_from(fk_fields),
                  name | st.sampled_from(["id", "tenant_id", "title", "name", "internal_notes"])),
    )


def ordering_values(resource: ResourceSpec) -> st.SearchStrategy[str]:
    """``ordering`` values: allowed, disallowed, hidden and tenant fields, prefixes, junk."""
    names = sorted({f.name for f in resource.fields})
    term = st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(lambda n: "-" + n),
        st.sampled_from(ORDERING_INJECTIONS),
        reserved_words,
        st.text(max_size=10),
    )
    return st.lists(term, max_size=8).map(",".join) | st.integers(50, 2000).map(lambda n: ",".join(["title"] * n))


def pagination_values() -> st.SearchStrategy[str]:
    """Page parameters: boundaries, 2^31 and 2^63, floats, exponents, non-numbers."""
    return st.one_of(
        st.sampled_from(["0", "1", "-1", "20", "99", "100", "101", "1000", str(2**31), str(2**63),
                         str(2**63 - 1), "1.5", "1e3", "0x10", "", " 1", "1 ", "+1", "NaN", "abc"]),
        st.integers(-(2**70), 2**70).map(str),
        hostile_scalars(),
    )


def _b64(raw: bytes, urlsafe: bool, pad: bool) -> str:
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if pad else text.rstrip("=")


def forged_cursor(payload: Any, urlsafe: bool = False, pad: bool = True) -> str:
    """A cursor in Aksara's documented format (base64 JSON) with arbitrary content."""
    return _b64(json.dumps(payload).encode(), urlsafe, pad)


def cursor_values(known_ids: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """Cursors in Aksara's documented format (base64 JSON ``{"id": ...}``) and forgeries of it:
    ids of other tenants' rows, non-UUID ids, other JSON shapes, truncated, re-encoded (standard vs
    URL-safe alphabet, with and without padding) and plain garbage."""
    ids = st.sampled_from(list(known_ids)) if known_ids else st.uuids().map(str)
    payload = st.one_of(
        st.builds(lambda i: {"id": i}, ids | st.uuids().map(str)),
        st.builds(lambda v: {"id": v}, hostile_scalars() | st.integers() | st.none() | st.lists(st.integers())),
        st.builds(lambda i, extra: {"id": i, **extra}, ids, st.dictionaries(st.text(max_size=5), st.integers())),
        st.sampled_from([[], {}, 1, "x", None, {"ID": "x"}, {"id": {"$gt": ""}}]),
    )
    encoded = st.builds(
        forged_cursor, payload, st.booleans(), st.booleans()
    )
    return st.one_of(
        encoded,
        encoded.flatmap(lambda c: st.integers(0, max(len(c) - 1, 0)).map(lambda n: c[:n])),
        st.binary(max_size=40).map(lambda b: _b64(b, False, True)),
        hostile_scalars(),
    )


def query_pair(resource: ResourceSpec, known_ids: Sequence[str] = ()) -> st.SearchStrategy[tuple[str, str]]:
    return st.one_of(
        st.tuples(field_keys(resource), hostile_scalars()),
        st.tuples(st.sampled_from(PAGINATION_KEYS), pagination_values()),
        st.tuples(st.just("cursor"), cursor_values(known_ids)),
        st.tuples(st.just("ordering"), ordering_values(resource)),
        st.tuples(st.just("search"), hostile_scalars() | sql_injection),
        st.tuples(st.text(max_size=12) | reserved_words, hostile_scalars()),
    )


MAX_QUERY_BYTES = 60_000  # what fits in one URL for the HTTP client


def _fits(pairs: list[tuple[str, str]]) -> bool:
    size = sum(len(k.encode("utf-8", "surrogatepass")) + len(v.encode("utf-8", "surrogatepass")) for k, v in pairs)
    return size * 3 < MAX_QUERY_BYTES


def query_strings(resource: ResourceSpec, max_size: int = 6,
                  known_ids: Sequence[str] = ()) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A list of (key, value) pairs; keys may repeat with conflicting values."""
    return st.lists(query_pair(resource, known_ids), max_size=max_size).flatmap(
        lambda pairs: st.just(pairs) if not pairs else st.one_of(
            st.just(pairs),
            st.sampled_from(pairs).flatmap(
                lambda p: hostile_scalars().map(lambda v: pairs + [(p[0], v)])
            ),
        )
    ).filter(_fits)


def path_ids(known_ids: list[str]) -> st.SearchStrategy[str]:
    """Detail-route ids: existing ones (any tenant), random UUIDs and hostile strings."""
    existing = st.sampled_from(known_ids) if known_ids else st.nothing()
    def fits_in_a_path(s: str) -> bool:
        return "/" not in s and "?" not in s and "#" not in s and len(s.encode("utf-8", "surrogatepass")) * 3 < 20_000

    return st.one_of(existing, existing, st.uuids().map(str), hostile_scalars().filter(fits_in_a_path))
