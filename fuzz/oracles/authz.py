"""Authorization and tenant-isolation oracles.

Readings (the threat model's controls, as a security reviewer would hold them):

- ``authz.route_requires_auth``: a route not documented as public answers an anonymous caller
  with 401, 403, 404 or 405 — before validating its input (a 400/422 shows the route processes
  anonymous input) and certainly never with data (2xx) or an error (5xx). Framework, admin,
  Studio and other non-resource routes answer the least-privileged authenticated principal
  (no staff rights, no tenant) the same way.
- ``authz.cross_tenant_denied``: a principal of tenant A never reads, updates, deletes or acts
  on a row of tenant B by id: the answer is 403 or 404, *the same status a nonexistent id gets*
  (so existence is not revealed), and the database is unchanged.
- ``authz.list_own_tenant``: every row a list returns to a tenant principal belongs to its tenant,
  whatever filter, ordering, search, cursor or tenant hint (header, query) it sends.
- ``authz.tenant_required``: a principal without a tenant gets a denial or an empty list on a
  tenant-scoped resource, never rows of any tenant; its creates are refused.
- ``authz.anonymous_no_write``: anonymous callers never create, update or delete.
- ``authz.state_matches_model``: the database holds exactly the rows the model of allowed
  operations says, each in the tenant that created it (nothing changed by a denied request).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.transcript import Exchange

DENIED = frozenset({401, 403, 404, 405})


def _facts(exchange: Exchange, **more: Any) -> dict[str, str]:
    return {"route": exchange.route or exchange.path, "status": str(exchange.status),
            **{k: str(v) for k, v in more.items()}}


def check_route_requires_auth(exchange: Exchange, kind: str, principal: str = "anonymous") -> list[Finding]:
    """A caller without rights is turned away from a non-public route before anything else happens."""
    judged(catalog.AUTHZ_ROUTE_REQUIRES_AUTH)
    if exchange.status in DENIED:
        return []
    if exchange.status < 400:
        problem = "served"
    elif exchange.status >= 500:
        problem = "error"
    else:
        problem = "validated_before_auth"
    return [Finding(catalog.AUTHZ_ROUTE_REQUIRES_AUTH,
                    f"{principal} {exchange.method} {exchange.route} answered {exchange.status} ({problem})",
                    observed=exchange.status, expected="401/403/404/405", exchanges=(exchange,),
                    facts=_facts(exchange, problem=problem, route_kind=kind, caller=principal))]


def check_cross_tenant_denied(exchange: Exchange, nonexistent: Exchange, changed: Sequence[str],
                              operation: str) -> list[Finding]:
    """Another tenant's row: denied like a missing row, and nothing changes."""
    judged(catalog.AUTHZ_CROSS_TENANT_DENIED)
    findings = []
    if exchange.status not in (403, 404):
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED, f"{operation} of another tenant's row answered {exchange.status}",
            observed=exchange.status, expected="403 or 404", exchanges=(exchange,),
            facts=_facts(exchange, problem="allowed" if exchange.status < 400 else "status", operation=operation)))
    elif nonexistent.status != exchange.status:
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED,
            f"{operation} of another tenant's row answered {exchange.status}, a missing id {nonexistent.status}: "
            "the difference reveals that the row exists",
            observed=exchange.status, expected=nonexistent.status, exchanges=(nonexistent, exchange),
            facts=_facts(exchange, problem="existence_revealed", operation=operation)))
    if changed:
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED, f"denied {operation} still changed {', '.join(changed)}",
            observed=list(changed), expected=[], exchanges=(exchange,),
            facts=_facts(exchange, problem="changed_db", operation=operation)))
    return findings


def check_list_own_tenant(exchange: Exchange, row_tenants: Mapping[str, str | None], tenant: str,
                          hint: str) -> list[Finding]:
    """Every listed row is the principal's tenant's."""
    body = exchange.response_json()
    if exchange.status != 200 or not isinstance(body, dict):
        return []
    judged(catalog.AUTHZ_LIST_OWN_TENANT)
    foreign = [str(r.get("id")) for r in body.get("results") or [] if isinstance(r, dict)
               and row_tenants.get(str(r.get("id")), tenant) != tenant]
    if not foreign:
        return []
    return [Finding(catalog.AUTHZ_LIST_OWN_TENANT, f"list returned {len(foreign)} row(s) of another tenant",
                    observed=[i[:8] for i in foreign[:10]], expected="only the principal's tenant",
                    exchanges=(exchange,), facts=_facts(exchange, problem="foreign_rows", hint=hint))]


def check_tenant_required(exchange: Exchange, operation: str) -> list[Finding]:
    """No tenant context: a denial or nothing, never data."""
    judged(catalog.AUTHZ_TENANT_REQUIRED)
    body = exchange.response_json()
    if operation == "list":
        rows = body.get("results") if exchange.status == 200 and isinstance(body, dict) else None
        if not rows:
            return []
        problem, observed = "rows_without_tenant", f"{len(rows)} rows"
    else:
        if exchange.status >= 400:
            return []
        problem, observed = "allowed_without_tenant", exchange.status
    return [Finding(catalog.AUTHZ_TENANT_REQUIRED, f"{operation} without a tenant context succeeded ({observed})",
                    observed=observed, expected="a denial or an empty list", exchanges=(exchange,),
                    facts=_facts(exchange, problem=problem, operation=operation))]


def check_anonymous_no_write(exchange: Exchange, changed: Sequence[str]) -> list[Finding]:
    """An anonymous caller's write is refused and changes nothing."""
    judged(catalog.AUTHZ_ANONYMOUS_NO_WRITE)
    if exchange.status >= 400 and not changed:
        return []
    problem = "changed_db" if changed else "accepted"
    return [Finding(catalog.AUTHZ_ANONYMOUS_NO_WRITE, f"anonymous {exchange.method} answered {exchange.status}",
                    observed={"status": exchange.status, "changed": list(changed)}, expected="401/403, no change",
                    exchanges=(exchange,), facts=_facts(exchange, problem=problem))]


def check_state_matches_model(expected: Mapping[str, Mapping[str, str | None]],
                              actual: Mapping[str, Mapping[str, str | None]],
                              last: Exchange | None) -> list[Finding]:
    """The database holds exactly the modelled rows, each in its tenant."""
    judged(catalog.AUTHZ_STATE_MATCHES_MODEL)
    findings = []
    for table, rows in expected.items():
        got = actual.get(table, {})
        missing = sorted(set(rows) - set(got))
        extra = sorted(set(got) - set(rows))
        moved = sorted(i for i in set(rows) & set(got) if rows[i] != got[i])
        if missing or extra or moved:
            problem = "moved_tenant" if moved else "extra" if extra else "missing"
            findings.append(Finding(
                catalog.AUTHZ_STATE_MATCHES_MODEL,
                f"{table}: {len(missing)} missing, {len(extra)} unexpected, {len(moved)} in another tenant",
                observed={"missing": missing[:5], "extra": extra[:5], "moved": moved[:5]}, expected="the model",
                exchanges=(last,) if last else (), facts={"table": table, "problem": problem,
                                                          **(_facts(last) if last else {})}))
    return findings
