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

Redirects: a 3xx is never "served". A redirect whose ``Location`` is a login page (a path
segment such as ``login``, ``signin``, ``auth`` or ``sso``) is a refusal, like a 401. Any other
redirect says nothing yet: the property follows it (:func:`redirect_location`) and the oracle
judges where the chain ends; a 3xx without a ``Location`` it can follow is judged as served.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.routes import is_login_path
from targets.transcript import Exchange

DENIED = frozenset({401, 403, 404, 405})
MAX_REDIRECTS = 5


def redirect_location(exchange: Exchange) -> str | None:
    """The path (and query) a 3xx points to on the same host, or None (not a redirect, or off-site)."""
    if not 300 <= exchange.status < 400:
        return None
    location = next((v for k, v in exchange.response_headers if k.lower() == "location"), None)
    if not location:
        return None
    parts = urlsplit(location)
    if parts.netloc and parts.netloc not in ("testserver", "localhost", "127.0.0.1"):
        return None
    path = parts.path or exchange.path
    if not path.startswith("/"):
        path = exchange.path.rsplit("/", 1)[0] + "/" + path
    return path + (f"?{parts.query}" if parts.query else "")


def is_login_redirect(exchange: Exchange) -> bool:
    """A 3xx whose Location is a login page: the app asks the caller to authenticate (a refusal)."""
    if not 300 <= exchange.status < 400:
        return False
    location = next((v for k, v in exchange.response_headers if k.lower() == "location"), "")
    path = urlsplit(location).path
    return is_login_path(path)


def refused(exchange: Exchange) -> bool:
    """401/403/404/405, or a redirect to a login page."""
    return exchange.status in DENIED or is_login_redirect(exchange)


def check_route_requires_auth(exchange: Exchange, kind: str, principal: str = "anonymous",
                              redirects: Sequence[Exchange] = ()) -> list[Finding]:
    """A caller without rights is turned away from a non-public route before anything else happens.

    ``exchange`` is where the request ended; ``redirects`` the 3xx answers that led there (the
    finding shows the whole chain, and is about the route first asked for)."""
    judged(catalog.AUTHZ_ROUTE_REQUIRES_AUTH)
    first = redirects[0] if redirects else exchange
    if refused(exchange):
        return []
    if exchange.status < 400:
        problem = "served"
    elif exchange.status >= 500:
        problem = "error"
    else:
        problem = "validated_before_auth"
    via = f" after redirects to {exchange.path}" if redirects else ""
    return [Finding(catalog.AUTHZ_ROUTE_REQUIRES_AUTH,
                    f"{principal} {first.method} {first.route} answered {exchange.status}{via} ({problem})",
                    observed=exchange.status, expected="401/403/404/405 or a redirect to a login page",
                    exchanges=(*redirects, exchange),
                    facts={**exchange_facts(exchange, problem=problem, route_kind=kind, caller=principal),
                           "route": first.route or first.path,
                           **({"redirected_to": exchange.path} if redirects else {})})]


def check_cross_tenant_denied(exchange: Exchange, nonexistent: Exchange, changed: Sequence[str],
                              operation: str, lookup: str | None = None) -> list[Finding]:
    """Another tenant's row: denied like a missing row, and nothing changes.

    ``lookup`` (a fact: how the route finds the row) tells causes apart: Aksara's own lookups by pk rely on
    RLS alone (the tenancy guide), an action handler's lookup is the application's."""
    judged(catalog.AUTHZ_CROSS_TENANT_DENIED)
    more = {"lookup": lookup} if lookup else {}
    findings = []
    denied = exchange.status in (403, 404) or is_login_redirect(exchange)
    if not denied:
        allowed = exchange.status < 400
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED, f"{operation} of another tenant's row answered {exchange.status}",
            observed=exchange.status, expected="403 or 404", exchanges=(exchange,),
            facts=exchange_facts(exchange, problem="allowed" if allowed else "status", operation=operation, **more)))
    elif nonexistent.status != exchange.status:
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED,
            f"{operation} of another tenant's row answered {exchange.status}, a missing id {nonexistent.status}: "
            "the difference reveals that the row exists",
            observed=exchange.status, expected=nonexistent.status, exchanges=(nonexistent, exchange),
            facts=exchange_facts(exchange, problem="existence_revealed", operation=operation, **more)))
    if changed:
        findings.append(Finding(
            catalog.AUTHZ_CROSS_TENANT_DENIED, f"denied {operation} still changed {', '.join(changed)}",
            observed=list(changed), expected=[], exchanges=(exchange,),
            facts=exchange_facts(exchange, problem="changed_db", operation=operation, **more)))
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
                    exchanges=(exchange,), facts=exchange_facts(exchange, problem="foreign_rows", hint=hint))]


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
        if exchange.status >= 400 or is_login_redirect(exchange):
            return []
        problem, observed = "allowed_without_tenant", exchange.status
    return [Finding(catalog.AUTHZ_TENANT_REQUIRED, f"{operation} without a tenant context succeeded ({observed})",
                    observed=observed, expected="a denial or an empty list", exchanges=(exchange,),
                    facts=exchange_facts(exchange, problem=problem, operation=operation))]


def check_anonymous_no_write(exchange: Exchange, changed: Sequence[str]) -> list[Finding]:
    """An anonymous write is refused (a 4xx or a redirect to a login page) and changes nothing."""
    judged(catalog.AUTHZ_ANONYMOUS_NO_WRITE)
    if (exchange.status >= 400 or is_login_redirect(exchange)) and not changed:
        return []
    problem = "changed_db" if changed else "accepted"
    return [Finding(catalog.AUTHZ_ANONYMOUS_NO_WRITE, f"anonymous {exchange.method} answered {exchange.status}",
                    observed={"status": exchange.status, "changed": list(changed)}, expected="401/403, no change",
                    exchanges=(exchange,), facts=exchange_facts(exchange, problem=problem))]


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
        for problem, ids in (("moved_tenant", moved), ("extra", extra), ("missing", missing)):  # each judged
            if ids:
                findings.append(Finding(
                    catalog.AUTHZ_STATE_MATCHES_MODEL, f"{table}: {len(ids)} row(s) {problem.replace('_', ' ')}",
                    observed={problem: ids[:5]}, expected="the model",
                    exchanges=(last,) if last else (), facts={"table": table, "problem": problem,
                                                              **(exchange_facts(last) if last else {})}))
    return findings


def check_discovery_exact(form: str, found: Sequence[str] | None, declared: Sequence[str],
                          served: frozenset[tuple[str, str]], wanted: frozenset[tuple[str, str]]) -> list[Finding]:
    """A registration helper finds exactly the ModelViewSet subclasses a module holds (imported ones included, the
    base excluded; none for a module that does not exist) and the app serves exactly their generated routes."""
    judged(catalog.AUTHZ_DISCOVERY_EXACT)
    findings = []
    if found is not None and sorted(found) != sorted(declared):
        findings.append(Finding(catalog.AUTHZ_DISCOVERY_EXACT,
                                f"{form}: found {sorted(found)}, the module holds {sorted(declared)}",
                                observed=sorted(found), expected=sorted(declared),
                                facts={"form": form, "problem": "viewsets_differ",
                                       "missing": ",".join(sorted(set(declared) - set(found))),
                                       "extra": ",".join(sorted(set(found) - set(declared)))}))
    if served != wanted:
        extra, missing = sorted(served - wanted), sorted(wanted - served)
        findings.append(Finding(catalog.AUTHZ_DISCOVERY_EXACT,
                                f"{form}: {len(extra)} route(s) served beyond the module's viewsets, {len(missing)} of "
                                f"theirs not served (first: {(extra or missing)[0]})",
                                observed={"extra": extra[:10], "missing": missing[:10]}, expected="the same routes",
                                facts={"form": form, "problem": "routes_differ", "extra": str(len(extra)),
                                       "missing": str(len(missing))}))
    return findings
