"""Describe a query string by what each parameter *is* for the resource.

The shape is a space-separated list of tags, one per parameter, such as
``filter:integer:gt:uncoercible``, ``filter:uuid:in:coercible:router`` (only the
router layer filters: the field is not in the backend's allowlist), ``filter:integer:exact:backend_coerced``, ``filter:json:path_gt:coercible``, ``filter:string:foo:unknown_lookup``,
``page:offset:huge``, ``ordering``, ``search`` and value tags ``nul`` and
``surrogate``. Findings carry it as the ``query_shape`` fact, so ledger
signatures name a class of input ("an integer filter with a non-integer value")
rather than one example.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Iterable

from targets.base import INTEGER_BOUNDS, TEXT_KINDS, ResourceSpec

KNOWN_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "in", "isnull", "icontains", "contains"})
PAGE_KEYS = frozenset({"limit", "offset", "page", "size", "cursor", "page_size"})
BOOL_WORDS = frozenset({"true", "false", "1", "0", "yes", "no"})
NULL_WORDS = frozenset({"null", "none", ""})


def _is_int(value: str, kind: str) -> bool:
    if not re.fullmatch(r"[+-]?\d+", value.strip()):
        return False
    limit = INTEGER_BOUNDS.get(kind, 2**63)
    return -limit <= int(value) < limit


def _is_number(value: str) -> bool:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return False
    return number.is_finite()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def coercible(kind: str, lookup: str, value: str) -> bool:
    """Whether ``value`` is a well-formed value of the field ``kind`` for ``lookup``."""
    if lookup == "isnull":
        return value.lower() in BOOL_WORDS
    if lookup == "in":
        items = [v.strip() for v in value.split(",") if v.strip()]
        return bool(items) and all(coercible(kind, "exact", v) for v in items)
    if kind in INTEGER_BOUNDS:
        return _is_int(value, kind)
    if kind in ("decimal", "float"):
        return _is_number(value)
    if kind in ("uuid", "fk"):
        return _is_uuid(value)
    if kind in ("date", "datetime", "time"):
        return _is_datetime(value) or (kind == "date" and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)))
    if kind == "boolean":
        return value.lower() in BOOL_WORDS
    if kind in TEXT_KINDS:
        # The filter backend turns numbers for range lookups into non-strings.
        if lookup in ("gt", "gte", "lt", "lte") and _is_number(value):
            return False
        return True
    return True


def _cursor_tag(value: str) -> str:
    import base64
    import binascii
    import json

    try:
        payload = json.loads(base64.b64decode(value, validate=False).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return "page:cursor:undecodable"
    if not isinstance(payload, dict) or "id" not in payload:
        return "page:cursor:no_id"
    ident = payload["id"]
    return "page:cursor:uuid_id" if isinstance(ident, str) and _is_uuid(ident) else "page:cursor:bad_id"


def _page_tag(key: str, value: str) -> str:
    if key == "cursor":
        return _cursor_tag(value)
    try:
        number = int(value.strip()) if re.fullmatch(r"[+-]?[0-9]+", value.strip()) else None
    except ValueError:
        number = None
    if number is None:
        return f"page:{key}:nonint"
    if abs(number) >= 2**63:
        return f"page:{key}:huge"
    if number < 0:
        return f"page:{key}:negative"
    return f"page:{key}:int"


def _value_tags(value: str) -> list[str]:
    tags = []
    if "\x00" in value:
        tags.append("nul")
    if re.search(r"[\ud800-\udfff]", value):
        tags.append("surrogate")
    return tags


def param_tags(resource: ResourceSpec, key: str, value: str) -> list[str]:
    tags = _value_tags(value)
    if key in PAGE_KEYS:
        return tags + [_page_tag(key, value)]
    if key in ("ordering", "search"):
        return tags + [key]
    base, *rest = key.split("__")
    field = next((f for f in resource.fields if base in (f.name, f.column)), None)
    if field is None:
        return tags + ["unknown_key"]
    if not rest:
        lookup = "exact"
    elif len(rest) == 1 and rest[0] in KNOWN_LOOKUPS:
        lookup = rest[0]
    elif field.kind == "json":
        last = rest[-1] if len(rest) > 1 and rest[-1] in KNOWN_LOOKUPS else "exact"
        numeric = last in ("gt", "gte", "lt", "lte")
        ok = coercible("float" if numeric else "json", last, value)
        return tags + [f"filter:json:path_{last}:{'coercible' if ok else 'uncoercible'}"]
    else:
        return tags + [f"filter:{field.kind}:{'__'.join(rest)[:20]}:unknown_lookup"]
    if backend_coerced(field.kind, lookup, value):
        state = "backend_coerced"
    else:
        ok = coercible(field.kind, lookup, value)
        values = value.split(",") if lookup == "in" else [value]
        if ok and field.choices and lookup not in ("isnull", "contains", "icontains"):
            choices = {str(c) for c in field.choices}
            ok = all(v.strip() in choices for v in values)
        if ok and field.max_length and lookup not in ("isnull", "contains", "icontains"):
            ok = all(len(v) <= field.max_length for v in values)
        state = "coercible" if ok else "uncoercible"
    layer = "" if resource.filter_backend and field.name in resource.filterable_fields else ":router"
    return tags + [f"filter:{field.kind}:{lookup}:{state}{layer}"]


def backend_coerced(kind: str, lookup: str, value: str) -> bool:
    """The filter backend turns these values into booleans or None (all lookups but in/isnull/ranges)."""
    if lookup in ("in", "isnull", "gt", "gte", "lt", "lte") or kind == "boolean":
        return False
    return value.strip().lower() in BOOL_WORDS | NULL_WORDS


def _derived_offset_tag(resource: ResourceSpec, query: list[tuple[str, str]]) -> list[str]:
    """Page-number pagination computes offset = (page - 1) * size: tag an offset beyond int64."""
    if resource.paginator != "page_number":
        return []
    values = dict(query)
    try:
        page = int(values.get("page", "1"))
        size = int(values.get("size", str(resource.page_default)))
    except ValueError:
        return []
    return ["page:computed_offset:huge"] if (page - 1) * size >= 2**63 else []


def query_shape(resource: ResourceSpec, query: Iterable[tuple[str, str]]) -> str:
    pairs = list(query)
    tags: list[str] = []
    for key, value in pairs:
        tags.extend(param_tags(resource, key, value))
    tags += _derived_offset_tag(resource, pairs)
    return " ".join(sorted(set(tags)))
