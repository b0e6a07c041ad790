"""The sweep phase finds a fault planted behind exactly one combination of each query dimension.

Each fault is planted in the installed Aksara (monkeypatched for the test only) and answers wrongly for
one combination of its dimension: one field × lookup of one resource that fails to compile, one
field × lookup compiled with the client's value written into the SQL text, one ordering field ×
direction sorted the wrong way, one page size at which the paginator skips a row. The property test
of ``fuzz/test_queries.py`` runs as the ci profile runs it (its budget, its sweep) under several
seeds, and must fail with a new finding each time; the finding's stored input is the combination
itself (what an artifact replays).
"""

from __future__ import annotations

import pytest
from aksara.api.viewsets import ModelViewSet
from aksara.manager import QuerySet
from hypothesis import HealthCheck, Phase, settings

from fuzz import test_queries
from fuzz.findings import NewFinding
from fuzz.inputs import decode
from fuzz.profiles import PROFILES
from fuzz.properties import queries as props

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def world(live_target):
    return props.QueryWorld.build(live_target)


def run_ci(test, seed, monkeypatch, fraction=1.0, **fixtures) -> NewFinding:
    """Run the fuzz property ``test`` with the ci profile's budget and ``seed``; return the new finding it raised."""
    given_test = test.given_test
    monkeypatch.setattr(given_test, "_hypothesis_internal_use_settings", settings(
        max_examples=max(1, int(PROFILES["ci"] * fraction)), database=None, deadline=None,
        suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink), report_multiple_bugs=False))
    monkeypatch.setattr(given_test, "_hypothesis_internal_use_seed", seed)
    with pytest.raises(NewFinding) as raised:
        test(**fixtures)
    return raised.value


def stored_input(finding):
    assert finding.replay and "args" in finding.replay, finding.replay
    return decode(finding.replay["args"])


def plant_compile_fault(monkeypatch, table, key, inline=False):
    """``key`` (``field__lookup``) on ``table`` fails to compile, or (``inline``) compiles with the value in the SQL text."""
    real = QuerySet._compile_filter_condition

    def compile_condition(self, filter_key, value, values, qualify_base=False):
        if self._model.__tablename__ == table and filter_key == key:
            if not inline:
                raise RuntimeError(f"planted: {key} does not compile")
            field = key.split("__")[0]
            return f"\"{field}\"::text ILIKE '%{value}%'"  # planted: string-built SQL
        return real(self, filter_key, value, values, qualify_base)

    monkeypatch.setattr(QuerySet, "_compile_filter_condition", compile_condition)


def test_the_filter_sweep_finds_the_one_field_and_lookup_that_fails(world, monkeypatch):
    plant_compile_fault(monkeypatch, "tickets", "amount__lte")
    for seed in SEEDS:
        found = run_ci(test_queries.test_filters_match_an_independent_model, seed, monkeypatch,
                       world=world, resource_name="Ticket")
        assert found.finding.property_id == "http.no_server_error", found
        assert any(key == "amount__lte" for key, _ in stored_input(found.finding)["filters"]), seed


def test_the_hostile_sweep_finds_the_one_field_and_lookup_compiled_with_its_value(world, monkeypatch):
    plant_compile_fault(monkeypatch, "tickets", "body__icontains", inline=True)
    for seed in SEEDS:
        found = run_ci(test_queries.test_client_values_never_reach_sql_text, seed, monkeypatch,
                       world=world, resource_name="Ticket")
        tainted = [f for f in found.findings if f.property_id == "query.injection_taint"]
        assert tainted and tainted[0].facts["problem"] == "tainted_sql", found
        assert [key for key, _ in stored_input(tainted[0])["query"]] == ["body__icontains"], seed


def test_the_ordering_sweep_finds_the_one_field_and_direction_sorted_wrongly(world, monkeypatch):
    real = QuerySet._build_order_by_clause

    def order_clause(self, qualify_base=False):
        if self._model.__tablename__ != "tickets" or "-views" not in self._order_by:
            return real(self, qualify_base)
        saved = self._order_by
        self._order_by = type(saved)("views" if term == "-views" else term for term in saved)  # planted: wrong way
        try:
            return real(self, qualify_base)
        finally:
            self._order_by = saved

    monkeypatch.setattr(QuerySet, "_build_order_by_clause", order_clause)
    for seed in SEEDS:
        found = run_ci(test_queries.test_orderings_sort_by_the_requested_keys, seed, monkeypatch,
                       world=world, resource_name="Ticket")
        assert found.finding.property_id == "query.ordering", found
        assert "-views" in stored_input(found.finding)["terms"], seed


def test_the_page_size_sweep_finds_the_one_size_that_skips_a_row(world, monkeypatch):
    tickets = world.live.info.resource("Ticket")
    size = tickets.page_default
    assert max(len(world.visible(p, tickets)) for p in world.principals_for(tickets)) > size  # a second page exists
    real = ModelViewSet._paginate

    async def paginate(self, queryset, limit, offset, request=None):
        if self.model.__tablename__ == "tickets" and limit == size and offset > 0:
            offset += 1  # planted: the second and later pages of this size skip a row
        return await real(self, queryset, limit, offset, request=request)

    monkeypatch.setattr(ModelViewSet, "_paginate", paginate)
    for seed in SEEDS:
        found = run_ci(test_queries.test_page_walks_return_every_row_once, seed, monkeypatch, fraction=0.5,
                       world=world, resource_name="Ticket")
        assert found.finding.property_id == "query.page_walk", found
        assert stored_input(found.finding)["page_size"] == size, seed
