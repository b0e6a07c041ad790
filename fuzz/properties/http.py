"""One example of the hostile-request property on a list or detail route (the request: strategies/http.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fuzz.findings import Finding, replayable, with_facts
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_health_after, check_safe_method_no_write, run_exchange_checks
from fuzz.query_shape import query_shape
# the strategy (strategies/http.py); fuzz/test_mcp.py and inputs stored before it moved name them here too
from strategies.http import HostileRequest, KnownIds, hostile_requests, known_ids  # noqa: F401

if TYPE_CHECKING:
    from targets.client import LiveTarget


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
