"""The sweeps enumerate every combination of the reference app's metadata, and the leading phase runs
each combination once, first, on every seed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from strategies import sweeps
from strategies.filters import filterable, lookups_for
from strategies.query import KNOWN_LOOKUPS, ORDERING_INJECTIONS, PAGINATION_KEYS
from strategies.values import HOSTILE_CLASSES, HOSTILE_REPRESENTATIVES
from targets.refapp.seed import build_seed
from targets.refapp.target import TENANT_A, TENANT_B, RefappTarget
from tests.support.find import assert_all_examples, find_any

INFO = RefappTarget().info
SEED = build_seed({"A": TENANT_A, "B": TENANT_B})
PRINCIPALS = ["staff_a", "user_a", "user_b", "agent_read"]


def views(resource):
    """The principals' views as the query world builds them: tenant rows, and ai_sensitive fields hidden from agents."""
    tenants = {"staff_a": TENANT_A, "user_a": TENANT_A, "user_b": TENANT_B, "agent_read": TENANT_A}
    hidden = {"agent_read": tuple(f.name for f in resource.fields if f.ai_sensitive)}
    rows = SEED[resource.table]
    return [(p, [r for r in rows if not resource.tenant_scoped or r.get("tenant_id") == tenants[p]], hidden.get(p, ()))
            for p in PRINCIPALS]


def keys_of(combos):
    return [key for _, filters in combos for key, _ in filters]


@pytest.mark.parametrize("resource", INFO.resources, ids=lambda r: r.name)
def test_filter_canaries_cover_every_field_and_lookup_once(resource):
    combos = sweeps.filter_canaries(resource, views(resource), text_ranges=True)
    expected = [f.name if lookup == "exact" else f"{f.name}__{lookup}"
                for f in filterable(resource) if f.kind != "json" for lookup in lookups_for(f, True)]
    keys = keys_of(combos)
    assert [k for k in keys if k.split("__")[0] in {f.name for f in filterable(resource) if f.kind != "json"}
            and k != "search"] == expected
    for f in filterable(resource):
        if f.kind == "json":
            assert f"{f.name}__isnull" in keys and any(k.startswith(f"{f.name}__") and not k.endswith("isnull")
                                                       for k in keys)  # a key path of the seeded documents
    assert keys.count("search") == len(resource.search_fields)
    assert all(len(filters) == 1 for _, filters in combos)


def test_canaries_match_a_visible_row_and_skip_hidden_fields():
    tickets = INFO.resource("Ticket")
    combos = sweeps.filter_canaries(tickets, views(tickets), text_ranges=True)
    by_principal = {p: rows for p, rows, _ in views(tickets)}
    for principal, [(key, value)] in combos:
        name, _, lookup = key.partition("__")
        assert not (principal == "agent_read" and name == "internal_notes")
        if name == "search" or lookup not in ("", "gte", "lte") or tickets.field(name).kind in ("json", "boolean"):
            continue
        field = tickets.field(name)
        assert any(sweeps.as_query_text(r[field.column]) == value for r in by_principal[principal]
                   if r.get(field.column) is not None), (principal, key, value)
    assert {p for p, _ in combos} == set(PRINCIPALS)  # principals take turns


def test_every_hostile_class_has_a_representative_of_that_class():
    assert set(HOSTILE_REPRESENTATIVES) == set(HOSTILE_CLASSES)
    for name, value in HOSTILE_REPRESENTATIVES.items():
        if name == "unicode":  # any text: the representative is non-ASCII, as the class's corner is
            assert not value.isascii() and len(value) <= 40
            continue
        find_any(HOSTILE_CLASSES[name], lambda v, value=value: v == value)


@pytest.mark.parametrize("resource", INFO.resources, ids=lambda r: r.name)
def test_hostile_sweep_covers_every_pair_of_field_lookup_class_and_principal(resource):
    combos = sweeps.hostile_queries(resource, PRINCIPALS)
    by_value = {v: k for k, v in HOSTILE_REPRESENTATIVES.items()}
    names = [f.name for f in filterable(resource)]
    rows = []
    for principal, [(key, value)] in combos:
        name, _, lookup = key.partition("__")
        if name in names:
            rows.append((name, lookup or "exact", by_value[value], principal))
    dims = [names, list(KNOWN_LOOKUPS), sorted(HOSTILE_REPRESENTATIVES), PRINCIPALS]
    wanted = {(a, x, b, y) for a, b in itertools.combinations(range(4), 2) for x in dims[a] for y in dims[b]}
    assert sweeps.covered_pairs(rows) >= wanted
    queries = [q for _, [q] in combos]
    for key in PAGINATION_KEYS:
        assert {v for k, v in queries if k == key} >= {"0", "-1", str(resource.page_max), str(resource.page_max + 1),
                                                       str(2**63), "abc", ""}
    assert {v for k, v in queries if k == "search"} == set(HOSTILE_REPRESENTATIVES.values())
    assert {v for k, v in queries if k == "ordering"} == set(ORDERING_INJECTIONS)


def test_small_products_are_swept_in_full():
    category = INFO.resource("Category")
    combos = sweeps.hostile_queries(category, PRINCIPALS, limit=10**6)
    triples = {(k, v) for _, [(k, v)] in combos if k.split("__")[0] in {f.name for f in filterable(category)}}
    assert len(triples) == len(filterable(category)) * len(KNOWN_LOOKUPS) * len(HOSTILE_REPRESENTATIVES)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_pairwise_covers_every_pair(sizes):
    dims = [list(range(n)) for n in sizes]
    rows = sweeps.pairwise(dims)
    wanted = {(a, x, b, y) for a, b in itertools.combinations(range(len(dims)), 2) for x in dims[a] for y in dims[b]}
    assert sweeps.covered_pairs(rows) >= wanted
    assert len(rows) <= max(1, len(list(itertools.product(*dims))))


def test_ordering_sweep_has_every_field_in_both_directions_and_every_unlisted_field():
    for resource in INFO.resources:
        combos = sweeps.ordering_terms(resource, views(resource), text_ranges=True)
        firsts = [terms[0] for _, terms in combos]
        listed = [t for t in firsts if t.lstrip("-") in resource.ordering_fields]
        assert sorted(listed) == sorted(t for n in resource.ordering_fields for t in (n, "-" + n))
        unlisted = {f.name for f in resource.fields} - set(resource.ordering_fields)
        if "id" in resource.ordering_fields:
            assert sorted(t for t in firsts if t not in listed) == sorted("-" + n for n in unlisted)
        assert all(terms[-1].lstrip("-") == "id" for _, terms in combos)


def test_ordering_sweep_leaves_text_fields_out_when_the_collation_is_not_byte_order():
    tickets = INFO.resource("Ticket")
    combos = sweeps.ordering_terms(tickets, views(tickets), text_ranges=False)
    assert not any(terms[0].lstrip("-") in ("title", "status") for _, terms in combos)


def test_page_sweep_has_the_edge_sizes_and_every_principal():
    tickets = INFO.resource("Ticket")
    combos = sweeps.page_sizes(tickets, views(tickets))
    assert {s for _, s in combos} == {1, 2, tickets.page_default, tickets.page_max}
    assert {p for p, _ in combos} == set(PRINCIPALS)
    assert "agent_read" not in {p for p, s in combos if s != tickets.page_default}  # the walks see every field


@pytest.mark.parametrize("n, extra", [(1, 5), (7, 60), (359, 60)])
@pytest.mark.parametrize("run_seed", [1, 2, 3])
def test_leading_runs_every_combination_once_first_then_explores(n, extra, run_seed):
    drawn, explored, marks = [], [], []

    @seed(run_seed)
    @settings(max_examples=n + extra, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def property_test(data):
        value = data.draw(strategy)
        (explored if isinstance(value, tuple) else drawn).append(value)

    strategy = sweeps.leading([f"combination {i}" for i in range(n)], st.tuples(st.integers(), st.text()),
                              marks.append)
    property_test()
    assert sorted(set(drawn)) == sorted(f"combination {i}" for i in range(n))
    assert len(drawn) == n and len(explored) == extra  # each once, and exploration keeps its budget
    assert sorted(i for i in marks if i is not None) == list(range(n))


def test_leading_draws_ordinary_values_and_shrinks_to_the_failing_combination():
    combos = [("user_a", [("priority", str(i))]) for i in range(20)]
    strategy = sweeps.leading(combos, st.tuples(st.just("user_b"), st.lists(st.tuples(st.text(), st.text()))))
    found = find_any(strategy, lambda case: case[1] == [("priority", "13")])
    assert found == ("user_a", [("priority", "13")])


@pytest.mark.parametrize("resource", INFO.resources, ids=lambda r: r.name)
def test_write_sweep_has_every_body_class_by_field_kind_and_every_principal(resource):
    from strategies import payloads as pl

    principals = [p.name for p in INFO.principals]
    fk_ids = {r.name: [str(row["id"]) for row in SEED[r.table]] for r in INFO.resources}
    combos = sweeps.write_bodies_swept(resource, fk_ids, "staff_a", principals)
    base = sweeps.simplest(pl.valid_bodies(resource, fk_ids)).document

    def changed(body):
        return [k for k in body.keys if body.document.get(k, object()) != base.get(k, object())] \
            if isinstance(body.document, dict) else []

    seen = {(b.hostile_class, resource_field.kind) for _, b in combos if b.hostile_class in sweeps.FIELD_CLASSES
            for key in changed(b) for resource_field in pl.client_fields(resource) if resource_field.input_key == key}
    kinds = {f.kind for f in pl.client_fields(resource)}
    for cls, applies in sweeps.FIELD_CLASSES.items():
        for kind in kinds:
            if applies is None or kind in applies:
                if cls == "bad_text" and all(f.choices for f in pl.client_fields(resource) if f.kind == kind):
                    continue
                assert (cls, kind) in seen, (cls, kind)
    restricted = {k for _, b in combos if b.hostile_class == "restricted_key" for k in changed(b)}
    assert restricted == {f.input_key for f in pl.restricted_fields(resource)}
    assert {b.hostile_class for _, b in combos} >= {"unknown_key", "deep", "wide", "malformed_json", "duplicate_keys",
                                                    "content_type", "valid"}
    assert sorted(p for p, b in combos if b.hostile_class == "valid") == sorted(principals)
    def sent(pairs):
        return [(p, b.hostile_class, b.content_type, b.body_bytes()) for p, b in pairs]

    assert sent(sweeps.write_bodies_swept(resource, fk_ids, "staff_a", principals)) == sent(combos)  # deterministic


def test_credential_classes_are_every_claim_class_each_alone_relative_to_the_required_scope():
    from strategies.tokens import (AUD_REPRESENTATIVES, EXP_REPRESENTATIVES, IAT_REPRESENTATIVES, SCOPE_FORMS,
                                   TENANT_REPRESENTATIVES, aud_claims, credential_classes, exp_claims, iat_claims,
                                   tenant_claims)

    for strategy, table in ((exp_claims(), EXP_REPRESENTATIVES), (iat_claims(), IAT_REPRESENTATIVES),
                            (aud_claims(), AUD_REPRESENTATIVES), (tenant_claims(), TENANT_REPRESENTATIVES)):
        for kind in table:  # the random strategy draws every class that has a representative ...
            find_any(strategy, lambda c, kind=kind: c.kind == kind)
        assert_all_examples(strategy, lambda c, table=table: c.kind in table)  # ... and no other class
    cases = dict(credential_classes("mcp:write:comment", ["Ticket", "Comment"]))
    valid = cases.pop("valid")
    assert valid.scopes == ("mcp:write:comment",) and valid.scope_form == "list"
    expected = {f"{claim}:{kind}" for claim, table in (("exp", EXP_REPRESENTATIVES), ("iat", IAT_REPRESENTATIVES),
                                                       ("aud", AUD_REPRESENTATIVES), ("tenant", TENANT_REPRESENTATIVES))
                for kind in table if table[kind] != getattr(valid, claim)}
    assert expected <= set(cases) and {f"scope_form:{f}" for f in SCOPE_FORMS if f != "list"} <= set(cases)
    assert cases["grant:other_access"].scopes == ("mcp:read:comment",)
    assert cases["grant:other_model"].scopes == ("mcp:write:ticket",)
    for label, case in cases.items():  # each differs from the valid set in exactly one part
        differing = [part for part in ("exp", "iat", "aud", "tenant", "scopes", "scope_form")
                     if getattr(case, part) != getattr(valid, part)]
        assert len(differing) == 1, label


def test_credential_sweep_is_every_class_times_every_tool_and_groups_tools_beyond_the_limit():
    from strategies.tokens import credential_classes

    tools = [(f"{m}_{op}", f"mcp:{access}:{m}", (m != "category", False))
             for m in ("ticket", "comment", "category") for op, access in (("list", "read"), ("delete", "write"))]
    per_tool = len(credential_classes("mcp:read:ticket", ["Ticket", "Comment", "Category"]))
    full = sweeps.credential_tools(tools, ["Ticket", "Comment", "Category"])
    assert len(full) == per_tool * len(tools)
    assert {(label, tool) for label, _, tool in full} == {
        (label, name) for name, required, _ in tools
        for label, _ in credential_classes(required, ["Ticket", "Comment", "Category"])}
    grouped = sweeps.credential_tools(tools, ["Ticket", "Comment", "Category"], limit=per_tool * 2)
    assert {tool for _, _, tool in grouped} == {name for name, *_ in tools}
    groups = {("read", True): "ticket_list", ("write", True): "ticket_delete", ("read", False): "category_list",
              ("write", False): "category_delete"}
    for first in groups.values():
        assert sum(tool == first for _, _, tool in grouped) == per_tool
    assert len(grouped) < len(full)


def test_twin_sweep_is_every_tool_as_every_ai_principal():
    assert sweeps.twins(["a_list", "b_list"], ["agent_read", "agent_write"]) == [
        ("agent_read", "a_list"), ("agent_write", "a_list"), ("agent_read", "b_list"), ("agent_write", "b_list")]
