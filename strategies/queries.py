"""What one example of a query-surface property asks: which principal, and which filters, ordering,
page size, hostile query or probe values.

Each strategy draws the principal first, from those that may list the resource, then the request
from what that principal sees (``views``: each principal with its visible rows and the fields
hidden from it, in the order the sweep rotates them). The values themselves come from
:mod:`strategies.filters`, :mod:`strategies.pivots` and :mod:`strategies.query`;
``fuzz/properties/queries.py`` sends the requests and applies the oracles.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from strategies.filters import filterable, search_terms, valid_filters, valid_orderings
from strategies.query import query_strings
from targets.base import FieldSpec, ResourceSpec

#: One principal's view of a resource: its name, the rows it sees, the fields hidden from it.
View = tuple[str, Sequence[Mapping[str, Any]], Sequence[str]]


def principal_filters(resource: ResourceSpec, views: Sequence[View],
                      byte_order: bool) -> st.SearchStrategy[tuple[str, list[tuple[str, str]]]]:
    """A principal and valid filters over the rows it sees (never on fields hidden from it), sometimes a search."""
    seen = {principal: (rows, hidden) for principal, rows, hidden in views}

    @st.composite
    def draw_filters(draw: Any) -> tuple[str, list[tuple[str, str]]]:
        principal = draw(st.sampled_from([p for p, _, _ in views]), label="principal")
        rows, hidden = seen[principal]
        filters = draw(valid_filters(resource, rows, byte_order, exclude=hidden), label="filters")
        if resource.search_fields and draw(st.booleans(), label="with search"):
            filters = [*filters, ("search", draw(search_terms(resource, rows), label="search"))]
        return principal, filters

    return draw_filters()


def principal_orderings(resource: ResourceSpec, views: Sequence[View],
                        byte_order: bool) -> st.SearchStrategy[tuple[str, list[str]]]:
    """A principal and a valid ordering (never by a field hidden from it)."""
    hidden_of = {principal: hidden for principal, _, hidden in views}

    @st.composite
    def draw_ordering(draw: Any) -> tuple[str, list[str]]:
        principal = draw(st.sampled_from([p for p, _, _ in views]), label="principal")
        return principal, draw(valid_orderings(resource, byte_order, exclude=hidden_of[principal]), label="ordering")

    return draw_ordering()


def page_walks(resource: ResourceSpec, principals: Sequence[str]) -> st.SearchStrategy[tuple[str, int]]:
    """A principal and a page size to walk the paginator with: any size up to the maximum, small ones often."""
    return st.tuples(st.sampled_from(principals), st.integers(1, resource.page_max) | st.sampled_from([1, 2, 7]))


def tainted_queries(resource: ResourceSpec,
                    principals: Sequence[str]) -> st.SearchStrategy[tuple[str, list[tuple[str, str]]]]:
    """A principal and a hostile query string whose values must never reach SQL text."""
    return st.tuples(st.sampled_from(principals), query_strings(resource))


def side_channel_values() -> st.SearchStrategy[list[str]]:
    """One or two short values to probe a hidden field with (filters, search, ordering)."""
    return st.lists(st.text(min_size=1, max_size=6).filter(lambda t: "\x00" not in t), min_size=1, max_size=2)


def principals(names: Sequence[str]) -> st.SearchStrategy[str]:
    """One of the principals that may list the resource."""
    return st.sampled_from(list(names))


#: the field kinds whose values ``__gt`` / ``__lte`` compare, so that the two partition the list
COMPARABLE_KINDS = ("integer", "bigint", "smallint", "decimal", "date", "datetime")


def comparable_fields(resource: ResourceSpec, hidden: Sequence[str]) -> list[FieldSpec]:
    """The filterable fields a partition can split on for a principal (none hidden from it)."""
    return [f for f in filterable(resource, hidden) if f.kind in COMPARABLE_KINDS]


def partition_fields(fields: Sequence[FieldSpec]) -> st.SearchStrategy[FieldSpec]:
    """One of the comparable fields to partition the list on."""
    return st.sampled_from(fields)


def partition_values(resource: ResourceSpec, field: FieldSpec,
                     rows: Sequence[Mapping[str, Any]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """One valid filter on ``field`` alone whose value a partition splits on (an exact, ``__gt`` or ``__lte`` key)."""
    alone = resource.__class__(**{**resource.__dict__, "fields": (field,), "router_filter_fields": (field.name,)})
    return valid_filters(alone, rows, False, max_size=1).filter(
        lambda fs: "__" not in fs[0][0] or fs[0][0].endswith(("__gt", "__lte")))


def pivot_rows(rows: Sequence[Mapping[str, Any]]) -> st.SearchStrategy[Mapping[str, Any]]:
    """One of the rows the principal sees, to build filters from its own values."""
    return st.sampled_from(rows)


def hidden_field_probes(candidates: Sequence[tuple[str, str]]) -> st.SearchStrategy[tuple[str, str]]:
    """A principal and a field hidden from it, to probe through queries."""
    return st.sampled_from(candidates)
