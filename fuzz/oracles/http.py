"""Generic HTTP oracles that hold for every request to every route.

- ``http.no_server_error``: no response is a 5xx (an app exception counts as one).
- ``http.error_envelope``: every 4xx/5xx REST response is Aksara's JSON envelope
  ``{"error": {"status": <the status>, "message": str, "type": str}}`` (the request
  always asks for ``application/json``).
- ``http.no_leak``: no response contains a configured secret; no error response
  contains SQL text, a Python traceback, a source file path or a driver name.
  Text the caller itself sent (path, query, header values, body) is removed before looking, so
  an echoed input is not a leak.
- ``http.safe_method_no_write``: a GET/HEAD/OPTIONS request changes no table.
- ``http.health_after``: the app still answers its health route afterwards.
- ``http.responds_in_time``: every request gets a response head within the client's
  time bound, and a response that is not a declared stream (server-sent events)
  completes within it. A stream cut by the bound is an ordinary response.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import unquote

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import OracleContext, exchange_facts, value_location
from targets.transcript import Exchange

SQL_PATTERNS = [
    re.compile(r"\bSELECT\b[\s\S]{1,200}?\bFROM\b"),
    re.compile(r"\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\S+\s+SET)\b"),
    re.compile(r"\bWHERE\b[\s\S]{0,80}\$\d+"),
    re.compile(r"syntax error at or near", re.I),
    re.compile(r"(relation|column|operator|function) \"?[\w.]+\"? does not exist", re.I),
    re.compile(r"invalid input (syntax|value) for (type|enum)", re.I),
    re.compile(r"\b(asyncpg|psycopg2?|sqlalchemy)\b", re.I),
    re.compile(r"\bpg_catalog\b|\binformation_schema\b"),
]
TRACE_PATTERNS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File \\?"[^"\\]+\\?", line \d+'),  # also inside a JSON string (escaped quotes)
    re.compile(r"\b\w+(Error|Exception): [^\n]*\n\s+at\b"),
]
PATH_PATTERNS = [
    re.compile(r"(/[\w.-]+)+/(site|dist)-packages/"),
    re.compile(r"(/[\w.-]+)+\.py\b"),
    re.compile(r"[A-Za-z]:\\[\w\\.-]+\.py\b"),
]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_SCRUBBED_BODY = 1 << 20  # echoed input is looked for in the first MiB of a request body


def _facts(exchange: Exchange, **more: str) -> dict[str, str]:
    """Route, status and the error envelope (500 characters of its message), then ``more``."""
    return exchange_facts(exchange, error_chars=500, **more)


def check_no_server_error(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """No request, however hostile, makes the app answer 5xx or raise."""
    judged(catalog.HTTP_NO_SERVER_ERROR)
    if exchange.status < 500:
        return []
    return [Finding(
        catalog.HTTP_NO_SERVER_ERROR,
        f"{exchange.method} {exchange.route or exchange.path} answered {exchange.status}",
        observed=exchange.status,
        expected="a status below 500 (a 4xx for bad input)",
        exchanges=(exchange,),
        facts=_facts(exchange),
    )]


def check_error_envelope(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """Every REST error is Aksara's JSON envelope with the response's own status."""
    if exchange.status < 400 or context.is_mcp(exchange.path):
        return []
    judged(catalog.HTTP_ERROR_ENVELOPE)
    content_type = dict((k.lower(), v) for k, v in exchange.response_headers).get("content-type", "")
    body = exchange.response_json()
    problem = None
    if "json" not in content_type:
        problem = f"content-type {content_type!r} is not JSON"
    elif not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        problem = "body has no 'error' object"
    else:
        error = body["error"]
        if error.get("status") != exchange.status:
            problem = f"error.status {error.get('status')!r} differs from HTTP status {exchange.status}"
        elif not isinstance(error.get("message"), str) or not isinstance(error.get("type"), str):
            problem = "error.message and error.type must be strings"
    if problem is None:
        return []
    return [Finding(
        catalog.HTTP_ERROR_ENVELOPE,
        f"{exchange.method} {exchange.route or exchange.path} -> {exchange.status}: {problem}",
        observed=exchange.response_text[:500],
        expected='{"error": {"status": N, "message": str, "type": str}}',
        exchanges=(exchange,),
        facts=_facts(exchange, problem=problem),
    )]


def _caller_text(exchange: Exchange) -> list[str]:
    """Everything the caller sent, in the forms the app may echo it back."""
    pieces = [exchange.path, unquote(exchange.path)]
    pieces += [unquote(segment) for segment in exchange.path.split("/")]
    for key, value in exchange.query:
        pieces += [key, value]
    # header values the caller chose (a request id echoed in a response header is its own text); never its
    # credentials, which stay a leak wherever they appear
    pieces += [value for name, value in exchange.headers if name.lower() not in CREDENTIAL_HEADERS]
    if exchange.body:
        text = exchange.body[:MAX_SCRUBBED_BODY].decode("utf-8", "replace")
        pieces.append(text)
        pieces += re.findall(r'"((?:[^"\\]|\\.)*)"', text)
    return sorted({p for p in pieces if len(p) >= 3}, key=len, reverse=True)


def _without_caller_text(text: str, exchange: Exchange) -> str:
    for piece in _caller_text(exchange):
        text = text.replace(piece, " ")
        escaped = piece.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace(escaped, " ")
    return text


CREDENTIAL_HEADERS = ("authorization", "x-api-key", "cookie", "x-agent-token", "mcp-session-id")


def request_credentials(exchange: Exchange) -> tuple[str, ...]:
    """The credentials the caller sent (header values, bearer tokens and cookie values of 8+ characters)."""
    found: list[str] = []
    for name, value in exchange.headers:
        if name.lower() not in CREDENTIAL_HEADERS:
            continue
        parts = [value, value.split(" ", 1)[-1]] + [c.split("=", 1)[-1] for c in value.split(";")]
        found += [p.strip() for p in parts if len(p.strip()) >= 8]
    return tuple(dict.fromkeys(found))


def check_no_leak(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """No secret anywhere, nor a caller's credential in a log record; no SQL, traceback, file path or driver
    name in an error."""
    judged(catalog.HTTP_NO_LEAK)
    text = exchange.response_text + "\n" + "\n".join(f"{k}: {v}" for k, v in exchange.response_headers)
    findings = []
    for secret in context.secrets:
        if secret in text:
            findings.append(Finding(
                catalog.HTTP_NO_LEAK, "response contains a configured secret",
                observed=f"secret of length {len(secret)} at offset {text.find(secret)}",
                expected="no secret in any response", exchanges=(exchange,),
                facts=_facts(exchange, leak="secret", secret_at=value_location(exchange, secret)),
            ))
    findings += _log_leaks(exchange, context)
    if exchange.status < 400:
        return findings
    scrubbed = _without_caller_text(text, exchange)
    for kind, patterns in (("sql", SQL_PATTERNS), ("traceback", TRACE_PATTERNS), ("path", PATH_PATTERNS)):
        for pattern in patterns:  # every pattern is its own finding: a known leak never hides another
            match = pattern.search(scrubbed)
            if match:
                findings.append(Finding(
                    catalog.HTTP_NO_LEAK, f"error response leaks {kind} text: {match.group(0)[:80]!r}",
                    observed=scrubbed[max(0, match.start() - 80): match.end() + 80],
                    expected=f"no {kind} text in error responses", exchanges=(exchange,),
                    facts=_facts(exchange, leak=kind, match=match.group(0)[:200]),
                ))
    return findings


def _log_leaks(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """A configured secret or the caller's credential in a log record emitted while the request was served."""
    findings = []
    for kind, values in (("log_secret", context.secrets), ("log_credential", request_credentials(exchange))):
        for value in values:
            record = next((line for line in exchange.logs if value in line), None)
            if record is None:
                continue
            logger = record.split(":", 1)[0]
            what = "a configured secret" if kind == "log_secret" else "the caller's credential"
            findings.append(Finding(
                catalog.HTTP_NO_LEAK, f"a log record of {logger} contains {what}",
                observed=record.replace(value, f"<{len(value)} characters>")[:300],
                expected="no secret or credential in any log record", exchanges=(exchange,),
                facts=_facts(exchange, leak=kind, logger=logger),
            ))
    return findings


def check_safe_method_no_write(exchange: Exchange, changed_tables: Sequence[str]) -> list[Finding]:
    """A safe method (GET/HEAD/OPTIONS) leaves every table as it was."""
    if exchange.method not in SAFE_METHODS:
        return []
    judged(catalog.HTTP_SAFE_METHOD_NO_WRITE)
    if not changed_tables:
        return []
    return [Finding(
        catalog.HTTP_SAFE_METHOD_NO_WRITE,
        f"{exchange.method} {exchange.route or exchange.path} changed {', '.join(changed_tables)}",
        observed=list(changed_tables), expected=[], exchanges=(exchange,),
        facts=_facts(exchange, tables=",".join(changed_tables)),
    )]


def check_health_after(health: Exchange, previous: Exchange | None) -> list[Finding]:
    """After any request the app still answers its health route with 200."""
    judged(catalog.HTTP_HEALTH_AFTER)
    if health.status == 200:
        return []
    exchanges = (previous, health) if previous is not None else (health,)
    return [Finding(
        catalog.HTTP_HEALTH_AFTER, f"health route answered {health.status} after the request",
        observed=health.status, expected=200, exchanges=exchanges,
        facts={"route": health.path, "status": str(health.status)},
    )]


def check_responds_in_time(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """Every request is answered within the time bound; only a declared stream may run on."""
    judged(catalog.HTTP_RESPONDS_IN_TIME)
    extra = exchange.extra or {}
    if "timed_out" in extra:
        problem = f"no response within {extra['timed_out']:g}s"
    elif extra.get("cut") == "time" and not extra.get("stream"):
        problem = "a non-stream response body did not complete in time"
    else:
        return []
    return [Finding(
        catalog.HTTP_RESPONDS_IN_TIME, f"{exchange.method} {exchange.route or exchange.path}: {problem}",
        observed=problem, expected="a complete response within the time bound", exchanges=(exchange,),
        facts={"route": exchange.route or exchange.path, "status": str(exchange.status), "problem": problem},
    )]


EXCHANGE_CHECKS: tuple[Callable[[Exchange, OracleContext], list[Finding]], ...] = (
    check_no_server_error,
    check_error_envelope,
    check_no_leak,
    check_responds_in_time,
)


def run_exchange_checks(
    exchange: Exchange,
    context: OracleContext,
    checks: Iterable[Callable[[Exchange, OracleContext], list[Finding]]] = EXCHANGE_CHECKS,
) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(exchange, context))
    return findings


#: docs/reference/exceptions.md, "HTTP handlers on Aksara": status, JSON fields, and ``code`` of each mapped class.
EXCEPTION_CONTRACT: dict[str, tuple[int, tuple[str, ...], str | None]] = {
    "DoesNotExist": (404, ("detail",), None),
    "MultipleObjectsReturned": (500, ("detail",), None),
    "UniqueConstraintError": (409, ("detail", "field", "code"), "unique_constraint_violated"),
    "ValidationError": (422, ("detail", "errors", "code"), "validation_error"),
    "RestrictedError": (409, ("detail", "model", "related_model", "related_count", "code"), "delete_restricted"),
}


def expected_exception_body(case: Any, text: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON fields the exception reference gives ``case`` (``text``: the exception's ``str``)."""
    if case.exception == "HTTPException":
        return case.number, {"error": {"status": case.number, "type": "http_exception"}}
    status, _, code = EXCEPTION_CONTRACT[case.exception]
    body: dict[str, Any] = {"detail": text}
    if code:
        body["code"] = code
    if case.exception == "UniqueConstraintError":
        body["field"] = case.field
    elif case.exception == "ValidationError":
        body["errors"] = {case.field: case.message}
    elif case.exception == "RestrictedError":
        body.update(model=case.field, related_model=case.message, related_count=case.number)
    return status, body


def _missing(expected: Any, got: Any, path: str = "") -> list[str]:
    """Where ``got`` lacks or differs from what ``expected`` (a JSON object, possibly nested) holds."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [path or "body"]
        return [p for k, v in expected.items() for p in _missing(v, got.get(k, _ABSENT), f"{path}.{k}".lstrip("."))]
    return [] if got == expected else [path]


_ABSENT = object()


def check_exception_mapping(case: Any, text: str, exchange: Exchange) -> list[Finding]:
    """An exception raised in a route answers the status and JSON fields Aksara's exception reference gives it."""
    judged(catalog.HTTP_EXCEPTION_MAPPING)
    status, expected = expected_exception_body(case, text)
    body = exchange.response_json()
    wrong = [] if exchange.status == status else ["status"]
    wrong += _missing(expected, body)
    if not wrong:
        return []
    return [Finding(catalog.HTTP_EXCEPTION_MAPPING,
                    f"{case.exception} raised in a route answered {exchange.status} {exchange.response_text[:160]!r}",
                    observed={"status": exchange.status, "body": exchange.response_text[:300]},
                    expected={"status": status, "fields": expected}, exchanges=(exchange,),
                    facts={"raised": case.exception, "problem": "wrong_" + wrong[0].split(".")[0],
                           "wrong": ",".join(wrong)})]
