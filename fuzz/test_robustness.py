"""Hostile query strings on every list and detail route, as every principal.

Property: whatever the query string and path id, the app never answers 5xx, every
error is the JSON envelope, no response leaks SQL, a traceback, a file path or a
secret, a GET changes no table, and the health route still answers afterwards.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.findings import COLLECTOR, report, with_facts
from fuzz.query_shape import query_shape
from fuzz.oracles.generic import check_health_after, check_safe_method_no_write, run_exchange_checks
from strategies.query import path_ids, query_strings


class KnownIds(dict):
    """Ids of every seeded row per resource (short repr for falsifying-example output)."""

    def __repr__(self) -> str:
        return f"<KnownIds {', '.join(f'{k}: {len(v)}' for k, v in self.items())}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


@pytest.fixture(scope="module")
def known_ids(live_target):
    """Ids of every seeded row, per table (both tenants)."""
    return KnownIds({
        r.name: [str(row["id"]) for row in live_target.run(live_target.db.fetch_rows(r.table))]
        for r in live_target.info.resources
    })


def _encode_segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@given(data=st.data())
def test_hostile_query_strings(live_target, oracle_context, known_ids, resource_name, data):
    resource = live_target.info.resource(resource_name)
    principal = data.draw(st.sampled_from([p.name for p in live_target.info.principals]), label="principal")
    detail = data.draw(st.booleans(), label="detail route")
    if detail:
        pk = data.draw(path_ids(known_ids[resource_name]), label="id")
        path, route = resource.detail_path(_encode_segment(pk)), resource.detail_path("{pk}")
    else:
        path, route = resource.list_path, resource.list_path
    query = data.draw(query_strings(resource), label="query")

    exchange = live_target.request(principal, "GET", path, query=query, route=route)
    findings = run_exchange_checks(exchange, oracle_context)
    findings += check_safe_method_no_write(exchange, live_target.changes())
    findings += check_health_after(live_target.healthy(), exchange)
    live_target.reset()
    COLLECTOR.count_example("http.robustness")
    spec = live_target.info.principal(principal)
    shape = query_shape(resource, query)
    if detail:
        shape += " detail:" + ("existing" if pk in known_ids[resource_name] else "other")
    report(with_facts(findings, principal_kind=spec.kind, resource=resource_name, query_shape=shape.strip()))
