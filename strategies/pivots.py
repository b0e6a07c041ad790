"""Pivot filters: conditions built from one row's own values, which that row must satisfy.

For each chosen field: ``isnull=true`` for a NULL value, ``exact`` for values with an
unambiguous text form, ``gte``/``lte`` with the value itself for numbers and times,
and ``icontains`` with a slice of the value for text.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from strategies.filters import _text_ok, as_query_text, filterable
from targets.base import NUMERIC_KINDS, TEXT_KINDS, ResourceSpec


@st.composite
def pivot_condition(draw: Any, resource: ResourceSpec, row: dict, text_ranges: bool) -> tuple[str, str] | None:
    field = draw(st.sampled_from(filterable(resource)))
    value = row.get(field.column)
    if field.kind in ("json", "array", "other"):
        return None
    if value is None:
        return (f"{field.name}__isnull", "true") if field.nullable else None
    text = as_query_text(value)
    options = []
    if field.kind not in ("float",) and _text_ok(text, "exact") and (
            field.kind == "boolean" or text.strip().lower() not in ("0", "1")):
        options.append((field.name, text))
    if field.kind in NUMERIC_KINDS or field.kind in ("date", "datetime") or (
            field.kind in TEXT_KINDS and text_ranges and _text_ok(text, "gt")):
        options += [(f"{field.name}__gte", text), (f"{field.name}__lte", text)]
    if field.kind in TEXT_KINDS and text:
        start = draw(st.integers(0, len(text) - 1))
        needle = text[start:start + draw(st.integers(1, 6))]
        if _text_ok(needle, "contains") and needle.strip().lower() not in ("0", "1", "yes", "no", "true",
                                                                           "false", "null", "none"):
            options += [(f"{field.name}__icontains", needle.swapcase() if needle.isascii() else needle),
                        (f"{field.name}__contains", needle)]
    if field.nullable:
        options.append((f"{field.name}__isnull", "false"))
    return draw(st.sampled_from(options)) if options else None


def pivot_filters(resource: ResourceSpec, row: dict, text_ranges: bool) -> st.SearchStrategy[list[tuple[str, str]]]:
    """1..3 conditions on distinct keys that ``row`` satisfies."""
    return st.lists(pivot_condition(resource, row, text_ranges), min_size=1, max_size=3).map(
        lambda conds: list({k: (k, v) for k, v in (c for c in conds if c)}.values())
    ).filter(bool)
