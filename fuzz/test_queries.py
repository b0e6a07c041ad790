"""The query surface is *correct*, not only bounded: filters, partitions, pivots, ordering,
every paginator's page walk, SQL taint and hidden-field side channels, on every resource."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties import queries as props
from fuzz.sweep import sweeps, swept
from strategies import sweeps as sweep_of
from strategies.pivots import pivot_filters
from strategies.queries import (comparable_fields, hidden_field_probes, page_walks, partition_fields,
                                partition_values, pivot_rows, principal_filters, principal_orderings, principals,
                                side_channel_values, tainted_queries)


@pytest.fixture(scope="module")
def world(live_target):
    return props.QueryWorld.build(live_target)


def _resource(world, name):
    resource = world.live.info.resource(name)
    if resource.paginator == "custom":
        pytest.skip(f"{name}: the app overrides the viewset's list, so Aksara's query contract does not apply")
    if not world.principals_for(resource):
        pytest.skip(f"{name}: the app lets none of the target's principals list it (401/403 to each)")
    return resource


def _once(world, resource, name, build):
    """A strategy built once per world and resource (building and validating one per example is slow)."""
    cache = world.__dict__.setdefault("_strategies", {})
    if (resource.name, name) not in cache:
        cache[resource.name, name] = build()
    return cache[resource.name, name]


def _draw_principal(data, world, resource):
    return data.draw(principals(world.principals_for(resource)), label="principal")


def _views(world, resource):
    """What each principal sees of ``resource``: its rows and the fields hidden from it (sweep rotation order)."""
    return [(p, world.visible(p, resource), world.hidden_fields(p, resource)) for p in world.principals_for(resource)]


def _queryable(world, resource_name):
    resource = world.live.info.resource(resource_name)
    return None if resource.paginator == "custom" else resource


def _filter_sweep(world, resource_name, **_):
    resource = _queryable(world, resource_name)
    return sweep_of.filter_canaries(resource, _views(world, resource), world.collation.byte_order) if resource else []


def _hostile_sweep(world, resource_name, **_):
    resource = _queryable(world, resource_name)
    return sweep_of.hostile_queries(resource, world.principals_for(resource)) if resource else []


def _ordering_sweep(world, resource_name, **_):
    resource = _queryable(world, resource_name)
    return sweep_of.ordering_terms(resource, _views(world, resource), world.collation.byte_order) if resource else []


def _page_sweep(world, resource_name, **_):
    resource = _queryable(world, resource_name)
    return sweep_of.page_sizes(resource, _views(world, resource)) if resource else []


HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME)


def _report(findings, world, principal, resource):
    world.live.reset()
    judge(props.with_example_facts(world, principal, resource, findings))


@judges(catalog.QUERY_FILTER_DIFFERENTIAL, also=HTTP)
@sweeps(catalog.QUERY_FILTER_DIFFERENTIAL, _filter_sweep)
@given(data=st.data())
def test_filters_match_an_independent_model(world, resource_name, data):
    resource = _resource(world, resource_name)
    explore = _once(world, resource, "filters",
                    lambda: principal_filters(resource, _views(world, resource), world.collation.byte_order))
    principal, filters = data.draw(swept(explore), label="principal, filters")
    _report(props.filter_differential(world, principal, resource, filters), world, principal, resource)


@judges(catalog.QUERY_PARTITION, also=HTTP)
@given(data=st.data())
def test_comparisons_partition_the_list(world, resource_name, data):
    resource = _resource(world, resource_name)
    principal = _draw_principal(data, world, resource)
    comparable = comparable_fields(resource, world.hidden_fields(principal, resource))
    if not comparable:
        return
    rows = world.visible(principal, resource)
    field = data.draw(partition_fields(comparable), label="field")
    [(_, value)] = data.draw(partition_values(resource, field, rows), label="value")
    _report(props.partition(world, principal, resource, field.name, value), world, principal, resource)


@judges(catalog.QUERY_PIVOT, also=HTTP)
@given(data=st.data())
def test_a_row_matches_filters_built_from_its_own_values(world, resource_name, data):
    resource = _resource(world, resource_name)
    principal = _draw_principal(data, world, resource)
    rows = world.visible(principal, resource)
    if not rows:
        return
    row = data.draw(pivot_rows(rows), label="pivot row")
    filters = data.draw(pivot_filters(resource, row, world.collation.byte_order), label="filters")
    _report(props.pivot(world, principal, resource, str(row["id"]), filters), world, principal, resource)


@judges(catalog.QUERY_ORDERING, also=HTTP)
@sweeps(catalog.QUERY_ORDERING, _ordering_sweep)
@given(data=st.data())
def test_orderings_sort_by_the_requested_keys(world, resource_name, data):
    resource = _resource(world, resource_name)
    if not resource.ordering_fields:
        return
    explore = _once(world, resource, "ordering",
                    lambda: principal_orderings(resource, _views(world, resource), world.collation.byte_order))
    principal, terms = data.draw(swept(explore), label="principal, ordering")
    _report(props.ordering(world, principal, resource, terms), world, principal, resource)


@judges(catalog.QUERY_PAGE_WALK, also=HTTP)
@sweeps(catalog.QUERY_PAGE_WALK, _page_sweep)
@scaled(0.5)
@given(data=st.data())
def test_page_walks_return_every_row_once(world, resource_name, data):
    resource = _resource(world, resource_name)
    explore = _once(world, resource, "page", lambda: page_walks(resource, world.principals_for(resource)))
    principal, size = data.draw(swept(explore), label="principal, page size")
    _report(props.page_walk(world, principal, resource, size), world, principal, resource)


@judges(catalog.QUERY_INJECTION_TAINT, also=HTTP)
@sweeps(catalog.QUERY_INJECTION_TAINT, _hostile_sweep)
@given(data=st.data())
def test_client_values_never_reach_sql_text(world, resource_name, data):
    resource = _resource(world, resource_name)
    explore = _once(world, resource, "taint", lambda: tainted_queries(resource, world.principals_for(resource)))
    principal, query = data.draw(swept(explore), label="principal, query")
    _report(props.injection_taint(world, principal, resource, query), world, principal, resource)


@judges(catalog.QUERY_HIDDEN_FIELD_SIDE_CHANNEL, also=HTTP)
@given(data=st.data())
def test_hidden_fields_are_not_observable_through_queries(world, resource_name, data):
    resource = _resource(world, resource_name)
    candidates = [(p, f) for p in world.principals_for(resource) for f in world.hidden_fields(p, resource)]
    if not candidates:
        return
    principal, hidden = data.draw(hidden_field_probes(candidates), label="principal, hidden field")
    values = data.draw(side_channel_values(), label="values")
    _report(props.side_channel(world, principal, resource, hidden, values), world, principal, resource)
