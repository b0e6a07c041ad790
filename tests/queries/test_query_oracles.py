"""Each semantic query oracle catches a planted fault and stays quiet on the correct viewset."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz.properties import queries as props
from strategies.filters import valid_filters, valid_orderings
from tests.queries import planted_views as planted
from tests.support.find import find_any
from tests.support.planted import started_planted


@pytest.fixture(scope="module")
def world(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"), planted.register, "queries") as live:
        yield props.QueryWorld.build(live)


def ids_of(findings, property_id):
    return [f for f in findings if f.property_id == property_id]


def test_differential_catches_a_dropped_condition(world):
    resource = planted.spec(planted.DropsPriorityFilter)
    findings = props.filter_differential(world, "user_a", resource, [("priority__gt", "2")])
    assert [f.facts["problem"] for f in ids_of(findings, "query.filter_differential")] == ["extra"]


def test_differential_is_quiet_on_the_correct_viewset(world):
    resource = world.live.info.resource("Ticket")
    for filters in ([("priority__gt", "2")], [("priority", "2"), ("is_urgent", "true")],
                    [("amount__isnull", "true")], [("title__icontains", "UPPER")], [("status__in", "open,closed")]):
        assert props.filter_differential(world, "user_a", resource, filters) == [], filters


def test_the_filter_strategy_finds_the_dropped_condition(world):
    resource = planted.spec(planted.DropsPriorityFilter)
    rows = world.visible("user_b", resource)
    from fuzz.ledger import active_ledger

    def new_differential(fs):  # known Aksara defects (e.g. LIKE wildcards) are not the planted fault
        return any(active_ledger().match(f) is None
                   for f in ids_of(props.filter_differential(world, "user_b", resource, fs), "query.filter_differential"))

    found = find_any(valid_filters(resource, rows, world.collation.byte_order), new_differential, max_examples=400)
    assert any(k.startswith("priority") for k, _ in found)


def test_partition_catches_a_dropped_condition_and_is_quiet_otherwise(world):
    faulty = planted.spec(planted.DropsPriorityFilter)
    assert ids_of(props.partition(world, "user_a", faulty, "priority", "1"), "query.partition")
    correct = world.live.info.resource("Ticket")
    assert props.partition(world, "user_a", correct, "priority", "1") == []
    assert props.partition(world, "user_a", correct, "amount", "12.50") == []


def test_pivot_catches_a_dropped_condition_only_when_it_matters(world):
    faulty = planted.spec(planted.DropsPriorityFilter)
    row = next(r for r in world.visible("user_a", faulty) if r["title"].isascii() and len(r["title"]) > 5)
    # Dropping a condition only adds rows: the pivot is still returned. The oracle must not cry wolf...
    assert props.pivot(world, "user_a", faulty, str(row["id"]), [("priority", str(row["priority"]))]) == []
    # ...but it does catch a filter that loses the pivot: icontains with a needle of the pivot's own title
    # is answered correctly by the reference viewset.
    correct = world.live.info.resource("Ticket")
    needle = row["title"][1:4]
    assert props.pivot(world, "user_a", correct, str(row["id"]), [("title__icontains", needle.upper())]) == []


def test_ordering_catches_an_ignored_direction(world):
    faulty = planted.spec(planted.IgnoresOrderingDirection)
    findings = props.ordering(world, "user_a", faulty, ["-priority", "id"])
    assert [f.facts["problem"] for f in ids_of(findings, "query.ordering")] == ["order"]


def test_ordering_catches_a_backend_that_orders_by_a_field_outside_the_allowlist(world):
    """The filtering guide: "Terms must be in ordering_fields"; an unlisted term is ignored (rows in id order)."""
    from strategies.sweeps import ordering_terms

    faulty = planted.spec(planted.OrdersByUnlistedFields)
    correct = world.live.info.resource("Ticket")
    unlisted = [(p, terms) for p, terms in ordering_terms(correct, [("user_a", (), ())], True)
                if terms[0].lstrip("-") not in correct.ordering_fields]
    assert unlisted, "the sweep orders by no field outside the allowlist"
    caught = [t for _, t in unlisted if ids_of(props.ordering(world, "user_a", faulty, t), "query.ordering")]
    assert caught, unlisted
    for _, terms in unlisted:
        assert props.ordering(world, "user_a", correct, terms) == [], terms


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_ordering_is_quiet_on_correct_orderings(world, data):
    resource = world.live.info.resource("Comment")
    terms = data.draw(valid_orderings(resource, world.collation.byte_order))
    assert props.ordering(world, "user_b", resource, terms) == []


def test_page_walk_catches_a_paginator_that_skips_rows(world):
    faulty = planted.spec(planted.PaginatorSkipsRows)
    findings = ids_of(props.page_walk(world, "user_a", faulty, 5), "query.page_walk")
    assert findings and findings[0].facts["problem"] == "missing"


@pytest.mark.parametrize("name, size", [("Ticket", 7), ("Comment", 4), ("Category", 5), ("Category", 1)])
def test_page_walk_is_quiet_on_every_correct_paginator(world, name, size):
    resource = world.live.info.resource(name)
    principal = "user_a" if resource.tenant_scoped else "anonymous"
    assert props.page_walk(world, principal, resource, size) == []


def test_taint_catches_string_formatted_sql(world):
    faulty = planted.spec(planted.FormatsSQL)
    findings = ids_of(props.injection_taint(world, "anonymous", faulty, [("search", "zebra-stripes")]),
                      "query.injection_taint")
    assert findings and findings[0].facts["problem"] == "tainted_sql"


def test_taint_is_quiet_when_values_are_bound_parameters(world):
    resource = world.live.info.resource("Category")
    query = [("search", "' OR 1=1 --"), ("name__icontains", "DROP TABLE categories"), ("ordering", "random()")]
    assert props.injection_taint(world, "anonymous", resource, query) == []


def test_taint_catches_a_damaged_canary(world):
    resource = world.live.info.resource("Category")
    world.live.run(world.live.db.conn.execute("DELETE FROM aksara_fuzz_canary"))
    try:
        findings = props.injection_taint(world, "anonymous", resource, [("search", "x")])
    finally:
        world.live.reset()
    assert [f.facts["problem"] for f in findings] == ["canary"]


def test_side_channel_catches_a_hidden_field_that_stays_filterable(world):
    leaky = planted.spec(planted.AuthorFilterable, hide=("author",))
    findings = ids_of(props.side_channel(world, "agent_read", leaky, "author", ["ana"]),
                      "query.hidden_field_side_channel")
    assert findings and findings[0].facts["field"] == "author"


def test_side_channel_is_quiet_when_hidden_fields_are_not_filterable(world):
    correct = planted.spec(planted.HidesAuthorWithoutFilters, hide=("author",))
    assert props.side_channel(world, "agent_read", correct, "author", ["ana", "bob"]) == []


def test_differential_models_search_and_catches_a_case_sensitive_search(world):
    faulty = planted.spec(planted.SearchIgnoresCase)
    findings = props.filter_differential(world, "user_a", faulty, [("priority__gte", "-5"), ("search", "upper")])
    assert [f.facts["problem"] for f in ids_of(findings, "query.filter_differential")] == ["missing"]


@pytest.mark.parametrize("term", ["upper", "UPPER", "%", "_s", "off_", "\\%", "é"])
def test_differential_agrees_with_the_documented_search(world, term):
    resource = world.live.info.resource("Ticket")
    assert props.filter_differential(world, "user_a", resource, [("priority__gte", "-5"), ("search", term)]) == []
