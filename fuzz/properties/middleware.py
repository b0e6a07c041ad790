"""One example of the request-context header property (the request: strategies/middleware.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fuzz.findings import Finding, replayable, with_facts
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_safe_method_no_write, run_exchange_checks
from fuzz.oracles.middleware import context_findings
from strategies.middleware import ContextRequest

if TYPE_CHECKING:
    from targets.client import LiveTarget


@replayable("middleware", env=("live", "context"))
def check_context_request(live: LiveTarget, context: OracleContext, req: ContextRequest) -> list[Finding]:
    """Send ``req``'s list request without, then with its context headers; return every generic and
    middleware finding of the second."""
    path = live.info.resource(req.resource).list_path
    baseline = live.request(req.principal, "GET", path, route=path)
    exchange = live.request(req.principal, "GET", path, headers=list(req.headers), route=path)
    spec = live.info.principal(req.principal)
    trusted = live.info.tenants.get(spec.tenant) if spec.tenant else None
    findings = run_exchange_checks(exchange, context)
    findings += context_findings(baseline, exchange, trusted)
    findings += check_safe_method_no_write(exchange, live.changes())
    live.reset()
    return with_facts(findings, principal_kind=spec.kind, resource=req.resource)
