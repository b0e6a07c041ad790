"""One example of the hostile-request property on a list or detail route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import quote

from hypothesis import strategies as st

from fuzz.findings import Finding, replayable, with_facts
from fuzz.properties import CompactDict
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_health_after, check_safe_method_no_write, run_exchange_checks
from fuzz.query_shape import query_shape
from strategies.query import path_ids, query_strings

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget


class KnownIds(CompactDict):
    """Ids of every seeded row per resource."""


def known_ids(live: LiveTarget) -> KnownIds:
    return KnownIds({
        r.name: [str(row["id"]) for row in live.run(live.db.fetch_rows(r.table))]
        for r in live.info.resources
    })


@dataclass(frozen=True)
class HostileRequest:
    """What one example sends: who, to which route, with which query."""

    principal: str
    resource: str
    pk: str | None
    query: Sequence[tuple[str, str]]


def hostile_requests(info: TargetInfo, ids: KnownIds, resource_name: str) -> st.SearchStrategy[HostileRequest]:
    """Any principal, list or detail route (existing, random or hostile id), hostile query."""
    resource = info.resource(resource_name)
    return st.builds(
        HostileRequest,
        principal=st.sampled_from([p.name for p in info.principals]),
        resource=st.just(resource_name),
        pk=st.none() | path_ids(ids.get(resource_name, [])),
        # cursors are forged from every resource's ids: other tenants' rows and other endpoints' rows
        query=query_strings(resource, known_ids=sorted({i for rows in ids.values() for i in rows})),
    )


def _segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@replayable("http", env=("live", "context", "ids"))
def check_hostile_request(live: LiveTarget, context: OracleContext, ids: KnownIds, req: HostileRequest) -> list[Finding]:
    """Send ``req``; return every generic-oracle finding (no 5xx, envelope, leak, GET-safe, health)."""
    resource = live.info.resource(req.resource)
    if req.pk is None:
        path = route = resource.list_path
    else:
        path, route = resource.detail_path(_segment(req.pk)), resource.detail_path("{pk}")
    exchange = live.request(req.principal, "GET", path, query=req.query, route=route)
    findings = run_exchange_checks(exchange, context)
    findings += check_safe_method_no_write(exchange, live.changes())
    findings += check_health_after(live.healthy(), exchange)
    live.reset()
    shape = query_shape(resource, req.query)
    if req.pk is not None:
        shape += " detail:" + ("existing" if req.pk in ids.get(req.resource, []) else "other")
    kind = live.info.principal(req.principal).kind
    return with_facts(findings, principal_kind=kind, resource=req.resource, query_shape=shape.strip())
