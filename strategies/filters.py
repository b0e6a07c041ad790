"""Valid filters: values the framework must accept, for every field × lookup.

Built from a resource's metadata and the rows a principal can see (passed in as
data, so the strategies stay pure). Values mix existing column values (so results
are not always empty), type edges (int16/32/64 limits, decimals at precision,
timezone-aware datetimes across zones), unicode, and LIKE wildcards ``%`` ``_``
``\\`` inside substring needles. Values the filter backend documents as special
(``true``/``false``/``null``/empty for exact text, numbers for text range lookups)
and values a PostgreSQL text cannot hold (NUL) are left to the hostile strategies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any, Sequence

from hypothesis import strategies as st

from targets.base import INTEGER_BOUNDS, NUMERIC_KINDS, TEXT_KINDS, FieldSpec, ResourceSpec

BACKEND_WORDS = frozenset({"true", "false", "yes", "no", "1", "0", "null", "none", ""})
WILDCARD_NEEDLES = ["%", "_", "\\", "50%", "_s", "o_", "a%b", "%%", "\\\\", "off_"]


def _not_backend_word(text: str) -> bool:
    return text.strip().lower() not in BACKEND_WORDS


def _text_ok(text: str, lookup: str) -> bool:
    if "\x00" in text or re.search(r"[\ud800-\udfff]", text):
        return False
    if lookup == "exact" and text.strip().lower() in BACKEND_WORDS:
        return False
    if lookup == "in" and ("," in text or text != text.strip() or not text):
        return False
    if lookup in ("gt", "gte", "lt", "lte"):
        try:
            float(text)
            return False
        except ValueError:
            return True
    return True


def _existing(rows: Sequence[dict], field: FieldSpec) -> list[Any]:
    return [r[field.column] for r in rows if r.get(field.column) is not None]


def as_query_text(value: Any) -> str:
    """A column value as the text a client would put in a query string."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def scalar_values(field: FieldSpec, rows: Sequence[dict], lookup: str) -> st.SearchStrategy[str]:
    """Well-formed values of ``field``'s type, as query-string text."""
    kind = field.kind
    existing = [as_query_text(v) for v in _existing(rows, field)]
    from_rows = st.sampled_from(existing) if existing else st.nothing()
    if kind in INTEGER_BOUNDS:
        limit = INTEGER_BOUNDS[kind]
        edges = [0, 1, -1, limit - 1, -limit, 2**15 - 1, 2**31 - 1]
        generated = st.sampled_from([str(e) for e in edges if -limit <= e < limit]) | st.integers(
            -limit, limit - 1).map(str)
    elif kind == "decimal":
        places = field.decimal_places or 2
        digits = (field.max_digits or 12) - places
        bound = Decimal(10) ** digits - 1
        generated = st.decimals(-bound, bound, places=places, allow_nan=False, allow_infinity=False).map(
            lambda d: format(d, "f"))
    elif kind == "float":
        generated = st.floats(-1e6, 1e6, allow_nan=False).map(repr)
    elif kind == "boolean":
        generated = st.sampled_from(["true", "false"])
        from_rows = st.nothing()
    elif kind in ("uuid", "fk"):
        generated = st.uuids().map(str)
    elif kind == "date":
        generated = st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)).map(str)
    elif kind == "datetime":
        zones = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30)),
                                 dt.timezone(dt.timedelta(hours=-8))])
        generated = st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2028, 1, 1), timezones=zones).map(
            lambda d: d.isoformat())
        from_rows = st.sampled_from(existing).map(
            lambda s: dt.datetime.fromisoformat(s).astimezone(dt.timezone(dt.timedelta(hours=3))).isoformat()
        ) | from_rows if existing else st.nothing()
    elif kind in TEXT_KINDS and field.choices:
        return st.sampled_from([str(c) for c in field.choices])  # other values are not of the field's type
    elif kind in TEXT_KINDS:
        generated = st.text(max_size=min(12, field.max_length or 12))
    else:
        return st.nothing()
    values = st.one_of(from_rows, generated)
    if lookup == "exact" and kind != "boolean":
        values = values.filter(_not_backend_word)  # documented backend coercions are hostile input
    return values.filter(lambda t: kind not in TEXT_KINDS or _text_ok(t, lookup))


def substring_needles(field: FieldSpec, rows: Sequence[dict]) -> st.SearchStrategy[str]:
    """Needles for contains/icontains: slices of existing values (case-shuffled), wildcards, text."""
    existing = [str(v) for v in _existing(rows, field)]
    slices = st.nothing()
    if existing:
        slices = st.sampled_from(existing).flatmap(
            lambda s: st.tuples(st.integers(0, len(s)), st.integers(0, len(s))).map(
                lambda ij: s[min(ij):max(ij)]))
        slices = slices | slices.map(str.swapcase) | slices.map(str.upper)
    return st.one_of(slices, st.sampled_from(WILDCARD_NEEDLES), st.text(max_size=4)).filter(
        lambda t: t != "" and _text_ok(t, "contains") and _not_backend_word(t))


def lookups_for(field: FieldSpec, text_ranges: bool) -> list[str]:
    kind = field.kind
    lookups = ["exact"]
    if field.nullable:
        lookups.append("isnull")
    if kind in NUMERIC_KINDS or kind in ("date", "datetime") or (kind in TEXT_KINDS and text_ranges):
        lookups += ["gt", "gte", "lt", "lte"]
    if kind in NUMERIC_KINDS or kind in TEXT_KINDS or kind in ("uuid", "fk"):
        lookups.append("in")
    if kind in TEXT_KINDS:
        lookups += ["contains", "icontains"]
    if kind == "float":
        lookups.remove("exact")  # binary floats: equality on a decimal rendering is not portable
        lookups.remove("in")
    return lookups


def filterable(resource: ResourceSpec, exclude: Sequence[str] = ()) -> list[FieldSpec]:
    """Fields the generated router filters on, minus the tenant field and ``exclude``."""
    names = set(resource.router_filter_fields)
    return [f for f in resource.fields
            if f.name in names and not f.tenant and f.name not in exclude and f.kind not in ("array", "other")]


@st.composite
def valid_filter(draw: Any, resource: ResourceSpec, rows: Sequence[dict], text_ranges: bool,
                 exclude: Sequence[str] = ()) -> tuple[str, str]:
    """One well-formed ``(key, value)`` filter on a filterable field."""
    fields = filterable(resource, exclude)
    field = draw(st.sampled_from(fields))
    if field.kind == "json":
        docs = [json.loads(v) if isinstance(v, str) else v for v in _existing(rows, field)]
        keys = sorted({k for d in docs if isinstance(d, dict) for k, v in d.items() if isinstance(v, str)})
        if keys and draw(st.booleans()):
            key = draw(st.sampled_from(keys))
            values = [d[key] for d in docs if isinstance(d, dict) and isinstance(d.get(key), str)]
            value = draw(st.sampled_from(values) | st.text(max_size=6).filter(lambda t: _text_ok(t, "json")))
            return f"{field.name}__{key}", value
        return f"{field.name}__isnull", draw(st.sampled_from(["true", "false"]))
    lookup = draw(st.sampled_from(lookups_for(field, text_ranges)))
    if lookup == "isnull":
        value = draw(st.sampled_from(["true", "false"]))
    elif lookup in ("contains", "icontains"):
        value = draw(substring_needles(field, rows))
    elif lookup == "in":
        value = ",".join(draw(st.lists(scalar_values(field, rows, "in"), min_size=1, max_size=3)))
    else:
        value = draw(scalar_values(field, rows, lookup))
    key = field.name if lookup == "exact" else f"{field.name}__{lookup}"
    return key, value


def valid_filters(resource: ResourceSpec, rows: Sequence[dict], text_ranges: bool,
                  exclude: Sequence[str] = (), max_size: int = 3) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A conjunction of 1..``max_size`` valid filters on distinct keys."""
    return st.lists(valid_filter(resource, rows, text_ranges, exclude), min_size=1, max_size=max_size,
                    unique_by=lambda kv: kv[0])


def search_terms(resource: ResourceSpec, rows: Sequence[dict]) -> st.SearchStrategy[str]:
    """``?search=`` terms: slices of searchable values (case-shuffled), wildcards, unicode.

    A term ending in an unescaped backslash is left out: wrapped as ``%term%`` it would escape
    the closing wildcard, a corner the reference model does not follow."""
    fields = [resource.field(name) for name in resource.search_fields]
    if not fields:
        return st.nothing()
    return st.sampled_from(fields).flatmap(lambda f: substring_needles(f, rows)).filter(
        lambda t: (len(t) - len(t.rstrip("\\"))) % 2 == 0)


def valid_orderings(resource: ResourceSpec, text_ranges: bool,
                    exclude: Sequence[str] = ()) -> st.SearchStrategy[list[str]]:
    """Orderings over allowed fields with ``-`` prefixes, made total with a trailing ``id``."""
    allowed = [n for n in resource.ordering_fields if n != "id" and n not in exclude]
    allowed = [n for n in allowed if text_ranges or resource.field(n).kind not in TEXT_KINDS]
    if not allowed:
        return st.just(["id"])
    term = st.sampled_from(allowed).flatmap(lambda n: st.sampled_from([n, "-" + n]))
    return st.lists(term, min_size=1, max_size=3, unique_by=lambda t: t.lstrip("-")).flatmap(
        lambda terms: st.sampled_from(["id", "-id"]).map(lambda tail: terms + [tail]))
