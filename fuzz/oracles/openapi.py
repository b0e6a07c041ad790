"""The OpenAPI area's oracles: plain functions from one Schemathesis-generated exchange to findings.

``tenancy.isolation`` is checked here from the exchange alone: a response to a
principal bound to tenant T carries no object whose tenant field holds another
known tenant's id; a response to a principal bound to no tenant (anonymous, a user
without a tenant) carries no object with any known tenant's id. Reading chosen where
the Threat Model is silent: the ``system`` principal is trusted and exempt, and a
tenant field is recognised by name from the target's metadata (every field flagged
``tenant``), at any depth of the JSON body, because nested objects leak just the same.

The other suite oracles come from their own modules and are applied to a
:class:`CaseRecord` (the exchange as sent, the tables it changed, whether it started
clean): the generic HTTP oracles (no 5xx, JSON error envelope, no leak, a GET writes
nothing) and the write oracles (a rejected request changes nothing, denied-field
exactness). A Schemathesis check's own failure becomes an ``openapi.<check>`` finding
(:func:`schemathesis_failure_findings`). Facts for ledger signatures: :func:`rest_operation`
and :func:`body_facts` (``field_kinds`` and ``hostile_class`` of a write body, in the
vocabulary the write properties' signatures use: ``bad_text`` (a string with a NUL byte
or a lone surrogate, or longer than the field's ``max_length``), ``boundary`` (an integer
outside the field's column range, or a datetime with an offset whose UTC instant falls
outside years 1–9999), ``type_confusion`` (a JSON type the field's kind cannot hold,
e.g. a list for a date), otherwise ``schemathesis``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_error_envelope, check_no_leak, check_no_server_error, check_safe_method_no_write
from fuzz.oracles.registry import register
from fuzz.oracles.writes import check_denied_fields_exchange, check_state_integrity
from targets.base import INTEGER_BOUNDS, NUMERIC_KINDS
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.base import TargetInfo

EXEMPT_KINDS = frozenset({"system"})
# Schemathesis failures that only restate "the status was 5xx": the suite's http.no_server_error owns them
STATUS_ONLY_FAILURES = frozenset({"ServerError", "UndefinedStatusCode"})
# Schemathesis checks that judge every response; the others judge only some cases (below)
EVERY_RESPONSE_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                         "response_headers_conformance", "response_schema_conformance")
STATEFUL_CHECKS = ("use_after_free", "ensure_resource_availability", "object_level_authorization")
# field kinds whose JSON form is a string
STRING_KINDS = frozenset({"string", "text", "email", "url", "slug", "date", "datetime", "time", "uuid", "enum"})
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


@dataclass
class CaseRecord:
    """What the runner knows about one sent case."""

    exchange: Exchange
    changed: Sequence[str]
    clean_before: bool


def tenant_field_names(info: TargetInfo) -> frozenset[str]:
    """The names of every field the target's metadata flags as a tenant field."""
    return frozenset(f.name for r in info.resources for f in r.fields if f.tenant)


def _objects(value: Any, path: str = "$") -> Iterator[tuple[str, dict]]:
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _objects(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, f"{path}[{index}]")


def check_tenant_isolation(exchange: Exchange, context: OracleContext) -> list[Finding]:
    """No response shows a principal another tenant's objects (the system principal is exempt)."""
    if not 200 <= exchange.status < 300 or context.is_mcp(exchange.path):
        return []
    try:
        principal = context.info.principal(exchange.principal)
    except KeyError:
        return []
    if principal.kind in EXEMPT_KINDS:
        return []
    tenants = context.info.tenants
    own = tenants.get(principal.tenant) if principal.tenant else None
    foreign = {tid: label for label, tid in tenants.items() if tid != own}
    names = tenant_field_names(context.info)
    if names:
        judged(catalog.TENANCY_ISOLATION)
    body = exchange.response_json()
    findings: dict[tuple[str, str], Finding] = {}  # one per (field, foreign tenant): each judged
    for where, obj in _objects(body):
        for name in names & obj.keys():
            value = str(obj[name])
            if value in foreign and (name, value) not in findings:
                findings[(name, value)] = Finding(
                    catalog.TENANCY_ISOLATION,
                    f"{exchange.method} {exchange.route or exchange.path} showed {principal.name} "
                    f"(tenant {principal.tenant or 'none'}) an object of tenant {foreign[value]}",
                    observed=f"{where}.{name} = {value}",
                    expected=f"only objects of tenant {principal.tenant}" if own else "no tenant's objects",
                    exchanges=(exchange,),
                    facts={"route": exchange.route or exchange.path, "status": str(exchange.status),
                           "principal_tenant": principal.tenant or "none", "object_tenant": foreign[value]},
                )
    return list(findings.values())


register(catalog.TENANCY_ISOLATION, check_tenant_isolation)


def no_server_error(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """No generated case makes the app answer 5xx."""
    return check_no_server_error(record.exchange, context)


def error_envelope(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """Every error answer to a generated case is Aksara's JSON error envelope."""
    return check_error_envelope(record.exchange, context)


def no_leak(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """No answer to a generated case leaks a secret, SQL, a traceback or a driver name."""
    return check_no_leak(record.exchange, context)


def safe_method_no_write(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """A generated GET, HEAD or OPTIONS changes no table (judged from a clean start only)."""
    return check_safe_method_no_write(record.exchange, record.changed) if record.clean_before else []


def tenant_isolation(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """No answer to a generated case shows a principal another tenant's objects."""
    return check_tenant_isolation(record.exchange, context)


def state_integrity(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """A rejected request changes no table (from a clean start only)."""
    if not record.clean_before:
        return []
    return check_state_integrity(record.exchange, record.changed)


def denied_fields(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """A write naming fields the principal may not write is rejected naming exactly those."""
    return check_denied_fields_exchange(record.exchange, context)


def oracle_names() -> list[str]:
    """Property ids of the suite oracles this area runs on OpenAPI exchanges."""
    return [catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK,
            catalog.HTTP_RESPONDS_IN_TIME, catalog.HTTP_SAFE_METHOD_NO_WRITE, catalog.TENANCY_ISOLATION,
            catalog.WRITES_STATE_INTEGRITY, catalog.WRITES_DENIED_FIELD_EXACTNESS]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_name(failure: Any) -> str:
    """The Schemathesis check a failure comes from (its declared check, else its class name in snake case)."""
    checks = getattr(type(failure), "checks", ()) or ()
    return checks[0] if checks else _snake(type(failure).__name__)


def schemathesis_failure_findings(failure: Any, exchange: Exchange) -> list[Finding]:
    """A failure of one of Schemathesis' own checks is an ``openapi.<check>`` finding."""
    name = check_name(failure)
    return [Finding(
        f"openapi.{name}",
        f"{exchange.method} {exchange.route or exchange.path} -> {exchange.status}: {failure.title}",
        observed=(failure.message or failure.title)[:2000],
        expected=f"Schemathesis check {name} passes",
        exchanges=(exchange,),
        facts={"check": name, "code": failure.code, "failure": type(failure).__name__, "title": failure.title,
               "route": exchange.route or exchange.path, "status": str(exchange.status)},
    )]


def schemathesis_judged(case: Any, exchange: Exchange, phase: str) -> list[str]:
    """The catalogue ids of the Schemathesis checks that have something to judge in this case.

    Every response is judged for its status, content type, headers and schema; a negative case
    for rejection and a positive one for acceptance; a 405 for its Allow header; a stateful step
    for the resource-lifecycle checks. (``missing_required_header``, ``unsupported_method`` and
    ``ignored_auth`` need cases this runner does not send, so they are judged only when they
    report a violation.)
    """
    names = list(EVERY_RESPONSE_CHECKS)
    mode = case.meta.generation.mode.value if case.meta is not None else None
    if mode == "negative":
        names.append("negative_data_rejection")
    elif mode == "positive":
        names.append("positive_data_acceptance")
    if exchange.status == 405:
        names.append("allow_header_conformance")
    if phase == "stateful":
        names += STATEFUL_CHECKS
    return [catalog.OPENAPI_CHECKS[n] for n in names]


def rest_operation(method: str, route: str) -> str:
    """The viewset operation a route template and method name (create, list, retrieve, update, destroy, action)."""
    method = method.upper()
    parts = [p for p in route.split("/") if p]
    detail = bool(parts) and parts[-1].startswith("{")
    if len(parts) > 2 or (len(parts) == 2 and not detail):
        return "action"
    if detail:
        return {"GET": "retrieve", "PATCH": "update", "PUT": "update", "DELETE": "destroy"}.get(method, method.lower())
    return {"GET": "list", "POST": "create"}.get(method, method.lower())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (_strings(k) + _strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _fits(kind: str, value: Any) -> bool:
    if value is None or kind in ("json", "other", "array"):
        return True
    if kind in NUMERIC_KINDS:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            kind in ("decimal", "float") and isinstance(value, str))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in STRING_KINDS or kind == "fk":
        return isinstance(value, str)
    return True


def utc_overflows(value: Any) -> bool:
    """An ISO datetime with an offset that has no UTC equivalent in years 1–9999."""
    if not isinstance(value, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo is None:
        return False
    try:
        parsed.astimezone(dt.timezone.utc)
    except OverflowError:
        return True
    return False


def hostile_class(resource: Any, document: Any) -> str:
    """Which class of hostile value a write body holds (bad_text, boundary, type_confusion or schemathesis)."""
    if not isinstance(document, dict):
        return "type_confusion"
    fields = {f.name: f for f in resource.fields}
    for name, value in document.items():
        spec = fields.get(name)
        texts = _strings(value)
        if any(BAD_TEXT.search(s) for s in texts) or (
                spec is not None and spec.max_length and isinstance(value, str) and len(value) > spec.max_length):
            return "bad_text"
    for name, value in document.items():
        spec = fields.get(name)
        bound = INTEGER_BOUNDS.get(spec.kind) if spec is not None else None
        if bound and isinstance(value, int) and not isinstance(value, bool) and not -bound <= value < bound:
            return "boundary"
        if spec is not None and spec.kind == "datetime" and utc_overflows(value):
            return "boundary"
    for name, value in document.items():
        spec = fields.get(name)
        if spec is not None and not _fits(spec.kind, value):
            return "type_confusion"
    return "schemathesis"


def body_facts(resource: Any, body: bytes | None) -> dict[str, str]:
    """``field_kinds`` and ``hostile_class`` of a JSON write body (nothing for other bodies)."""
    if not body:
        return {}
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return {"hostile_class": "malformed"}
    kinds = sorted({f.kind for f in resource.fields if isinstance(document, dict) and f.name in document})
    return {"field_kinds": ",".join(kinds), "hostile_class": hostile_class(resource, document)}
