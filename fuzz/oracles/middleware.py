"""Oracles for hostile values of request-context headers (request id, tenant selection, locale, timezone).

The Threat Model's boundary "request tenant context to trusted server-side tenant context": a
header is the client's choice; Aksara's docs say its middleware only extracts it (request ids are
"untrusted correlation data", a tenant header "does not prove that the caller belongs to the
tenant", locale and timezone are "presentation preferences, not authentication").

- ``middleware.response_headers_well_formed``: every response header is a well-formed field (a token
  name; a value of visible characters, space and tab, no CR, LF, NUL or other control character),
  whatever the request's context headers carried: a reflected or decoded value never splits a
  header or a response.
- ``middleware.context_not_authority``: context headers change neither who the caller is nor what it
  is served. The request with them is refused (4xx), or it gets the status and the rows of the same
  request without them; it is never served where the request without them was refused.
- ``middleware.log_context_trusted``: the request record of Aksara's logging middleware names the
  caller's trusted tenant (the one its credential is bound to, none for a caller without one), never
  the tenant a header selected. Judged only when the app writes such a record.

The choice written down: the oracle compares row ids and statuses, not bodies, because locale and
timezone may legitimately change how values are presented.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.transcript import Exchange

#: RFC 9110 field-name (a token) and field-value (visible characters, obs-text, space, tab; no controls).
TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
BAD_VALUE_CHAR = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: The logger of Aksara's request-logging middleware (docs/middleware/logging.md).
REQUEST_LOGGER = "aksara.request"
TEXT_RECORD = re.compile(r"tenant=(?P<tenant>\S*) user=(?P<user>\S*)\]\s*$")


def _facts(exchange: Exchange, **more: str) -> dict[str, str]:
    return exchange_facts(exchange, **more)


def _header_names(exchange: Exchange) -> str:
    return ",".join(sorted({name.lower() for name, _ in exchange.headers if name.lower() != "authorization"}))


def check_response_headers_well_formed(exchange: Exchange) -> list[Finding]:
    """Every response header has a token name and a value without CR, LF, NUL or another control character."""
    judged(catalog.MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED)
    findings = []
    for name, value in exchange.response_headers:
        problem = None
        if not TOKEN.match(name):
            problem = "name"
        elif BAD_VALUE_CHAR.search(value):
            problem = "value"
        if problem is None:
            continue
        findings.append(Finding(
            catalog.MIDDLEWARE_RESPONSE_HEADERS_WELL_FORMED,
            f"response header {name!r} has a malformed {problem}",
            observed=f"{name!r}: {value[:200]!r}", expected="an RFC 9110 field: token name, no control characters",
            exchanges=(exchange,),
            facts=_facts(exchange, header=name.lower(), problem=problem, sent=_header_names(exchange)),
        ))
    return findings


def _row_ids(exchange: Exchange) -> tuple[str, ...] | None:
    body = exchange.response_json()
    rows = body.get("results") if isinstance(body, dict) else body if isinstance(body, list) else None
    if not isinstance(rows, list):
        return None
    return tuple(sorted(str(r.get("id")) for r in rows if isinstance(r, dict)))


def check_context_not_authority(baseline: Exchange, exchange: Exchange) -> list[Finding]:
    """With context headers a request is refused, or answered with the status and rows it gets without them."""
    if exchange.status >= 500 or baseline.status >= 500:
        return []  # a server error is http.no_server_error's to judge
    judged(catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY)
    if 400 <= exchange.status < 500:
        return []
    problem = None
    if baseline.status >= 400:
        problem = "served"
    elif exchange.status != baseline.status:
        problem = "status"
    elif _row_ids(exchange) != _row_ids(baseline):
        problem = "rows"
    if problem is None:
        return []
    theirs, ours = _row_ids(exchange) or (), _row_ids(baseline) or ()
    return [Finding(
        catalog.MIDDLEWARE_CONTEXT_NOT_AUTHORITY,
        {"served": f"context headers got a request served that is refused without them ({baseline.status})",
         "status": f"context headers changed the status from {baseline.status} to {exchange.status}",
         "rows": "context headers changed which rows are served"}[problem],
        observed={"status": exchange.status, "rows": len(theirs), "not_without": len(set(theirs) - set(ours))},
        expected={"status": baseline.status, "rows": len(ours)},
        exchanges=(baseline, exchange),
        facts=_facts(exchange, problem=problem, sent=_header_names(exchange)),
    )]


def _record_context(line: str) -> dict[str, Any] | None:
    """The context a request record names (``tenant_id``), from its dictionary or its text form."""
    head, _, message = line.partition(": ")
    if head != REQUEST_LOGGER:
        return None
    message = message.split(" ", 1)[1] if " " in message else ""  # the level
    if message.startswith("{"):
        try:
            record = ast.literal_eval(message)
        except (ValueError, SyntaxError):
            return None
        return record if isinstance(record, dict) and record.get("event") == "http_request" else None
    match = TEXT_RECORD.search(message)
    if not match:
        return None
    tenant = match.group("tenant")
    return {"tenant_id": None if tenant == "None" else tenant}


def check_log_context_trusted(exchange: Exchange, trusted_tenant: str | None) -> list[Finding]:
    """The request record names the caller's trusted tenant, whatever the context headers selected."""
    records = [r for r in (_record_context(line) for line in exchange.logs) if r is not None]
    if not records:
        return []
    judged(catalog.MIDDLEWARE_LOG_CONTEXT_TRUSTED)
    findings = []
    for record in records:
        logged = record.get("tenant_id")
        logged = None if logged in (None, "") else str(logged)
        if logged == trusted_tenant:
            continue
        findings.append(Finding(
            catalog.MIDDLEWARE_LOG_CONTEXT_TRUSTED,
            "the request record names another tenant than the caller's",
            observed=logged, expected=trusted_tenant, exchanges=(exchange,),
            facts=_facts(exchange, logged="none" if logged is None else ("header" if _sent(exchange, logged)
                                                                           else "other"),
                         sent=_header_names(exchange)),
        ))
    return findings


def _sent(exchange: Exchange, value: str) -> bool:
    return any(value in v for _, v in exchange.headers)


def context_findings(baseline: Exchange, exchange: Exchange, trusted_tenant: str | None) -> list[Finding]:
    """Every middleware oracle on one request sent with and without context headers."""
    findings = check_response_headers_well_formed(exchange)
    findings += check_context_not_authority(baseline, exchange)
    findings += check_log_context_trusted(exchange, trusted_tenant)
    return findings
