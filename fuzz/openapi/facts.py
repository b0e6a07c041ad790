"""Facts about a Schemathesis write body, in the vocabulary the write properties' ledger signatures use.

``field_kinds``: the kinds (:class:`targets.base.FieldSpec`) of the resource fields the
body names, sorted and comma-joined. ``hostile_class``: which class of value the body
holds, checked in this order — ``bad_text`` (a string with a NUL byte or a lone
surrogate, or longer than the field's ``max_length``), ``boundary`` (an integer outside
the field's column range, or a datetime with an offset whose UTC instant falls outside years
1–9999), ``type_confusion`` (a JSON type the field's kind cannot hold,
e.g. a list for a date), otherwise ``schemathesis`` (no hostile class recognised).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from targets.base import INTEGER_BOUNDS, NUMERIC_KINDS

# field kinds whose JSON form is a string
STRING_KINDS = frozenset({"string", "text", "email", "url", "slug", "date", "datetime", "time", "uuid", "enum"})
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (_strings(k) + _strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _fits(kind: str, value: Any) -> bool:
    if value is None or kind in ("json", "other", "array"):
        return True
    if kind in NUMERIC_KINDS:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            kind in ("decimal", "float") and isinstance(value, str))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in STRING_KINDS or kind == "fk":
        return isinstance(value, str)
    return True


def utc_overflows(value: Any) -> bool:
    """An ISO datetime with an offset that has no UTC equivalent in years 1–9999."""
    if not isinstance(value, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo is None:
        return False
    try:
        parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        return True
    return False


def hostile_class(resource: Any, document: Any) -> str:
    if not isinstance(document, dict):
        return "type_confusion"
    fields = {f.name: f for f in resource.fields}
    for name, value in document.items():
        spec = fields.get(name)
        texts = _strings(value)
        if any(BAD_TEXT.search(s) for s in texts) or (
                spec is not None and spec.max_length and isinstance(value, str) and len(value) > spec.max_length):
            return "bad_text"
    for name, value in document.items():
        spec = fields.get(name)
        bound = INTEGER_BOUNDS.get(spec.kind) if spec is not None else None
        if bound and isinstance(value, int) and not isinstance(value, bool) and not -bound <= value < bound:
            return "boundary"
        if spec is not None and spec.kind == "datetime" and utc_overflows(value):
            return "boundary"
    for name, value in document.items():
        spec = fields.get(name)
        if spec is not None and not _fits(spec.kind, value):
            return "type_confusion"
    return "schemathesis"


def body_facts(resource: Any, body: bytes | None) -> dict[str, str]:
    """``field_kinds`` and ``hostile_class`` of a JSON write body (nothing for other bodies)."""
    if not body:
        return {}
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return {"hostile_class": "malformed"}
    kinds = sorted({f.kind for f in resource.fields if isinstance(document, dict) and f.name in document})
    return {"field_kinds": ",".join(kinds), "hostile_class": hostile_class(resource, document)}
