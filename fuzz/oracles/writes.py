"""Oracles for write routes: denied-field exactness, round trip, state integrity, bounded cost.

The expected write permissions come from target metadata (:class:`targets.base.FieldSpec`
flags and the principal's kind) and Aksara's field-level-permission docs, never from
Aksara's own ``PolicyEngine``. The rule table (docs/writes.md has the reasoning):

=====================================  ==========================  ========  ======
field                                  anonymous / user / staff    ai_agent  system
=====================================  ==========================  ========  ======
read-only                              denied                      denied    denied
tenant field (``tenant_id``)           denied                      denied    allowed
server-controlled (id, timestamps)     denied                      denied    denied
``ai_agent_writable=False``            allowed                     denied    allowed
``ai_sensitive`` (hidden from AI)      allowed                     allowed   allowed
=====================================  ==========================  ========  ======

Server-controlled keys (``id``, ``tenant_id``, ``created_at``, ``updated_at``) are never
client input at the top level of a body, for anyone: the generated schemas omit them,
so a 422 naming them is an acceptable structured rejection too. Inside JSON values a
key equal to a name (or column alias) of a field the principal may not write because
of its *policy* metadata (read-only, tenant, AI-write-denied) is a smuggled field and
is denied by path (``meta.a[3].tenant_id``), at any depth and position; the walk stops
at the first denied key of a branch. Nested ``id``/timestamp keys are ordinary JSON.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from fuzz.oracles.registry import register
from targets.base import INTEGER_KINDS
from targets.transcript import Exchange

# -- bounds of the bounded-cost oracle (docs/writes.md says how they were chosen and measured) ----
BODY_LIMIT_BYTES = 1024 * 1024          # Aksara's own MCP request limit (mcp_max_request_body_size)
DEPTH_LIMIT = 64                        # JSON nesting a write body may have; deeper must be rejected
TIME_LIMIT_SECONDS = 5.0                # CPU time the app may spend on any write, accepted or rejected
WALL_LIMIT_SECONDS = 60.0               # wall time, whatever the machine's load: a write that hangs
MEMORY_BASE_BYTES = 32 * 1024 * 1024    # peak traced allocation allowed besides ...
MEMORY_PER_BODY_BYTE = 8                # ... this many bytes per byte of body

ROUTE_DENIAL = (401, 403)
SERVER_KEYS = frozenset({"id", "tenant_id", "created_at", "updated_at"})
UNDOCUMENTED = type("Undocumented", (), {"__repr__": lambda self: "UNDOCUMENTED"})()
REJECT = type("Reject", (), {"__repr__": lambda self: "REJECT"})()


# -- the rule table ---------------------------------------------------------------------------

def payload_names(spec: Any) -> tuple[str, ...]:
    """Every key naming ``spec`` in a body: the field name, its column and the FK ``_id`` alias."""
    return tuple(dict.fromkeys((spec.name, spec.column)))


def may_write(spec: Any, principal_kind: str) -> bool:
    """The rule table: may a principal of this kind write this field (as a top-level key)?"""
    if spec.read_only or spec.server_controlled:
        return False
    if not spec.ai_writable and principal_kind == "ai_agent":
        return False
    return True


def policy_protected(spec: Any, principal_kind: str) -> bool:
    """Is ``spec``'s name smuggled when it appears as a key inside a JSON value?"""
    if spec.read_only:
        return True
    if spec.tenant:
        return principal_kind != "system"
    return not spec.ai_writable and principal_kind == "ai_agent"


@dataclass(frozen=True)
class Expectation:
    """What a correct write path must do with one body from one principal."""

    denied: frozenset[str]          # top-level keys and nested paths the principal may not write
    unknown: frozenset[str]         # top-level keys naming no field
    server_keys: frozenset[str]     # server-controlled top-level keys (also in ``denied``)
    writable: frozenset[str]        # top-level keys the principal may write

    @property
    def must_reject(self) -> bool:
        return bool(self.denied or self.unknown)


def nested_denied_paths(value: Any, protected: set[str], prefix: str) -> list[str]:
    """Paths of protected keys inside ``value`` (iterative: any depth), stopping at the first per branch."""
    found: list[str] = []
    stack = [(value, prefix)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}"
                if str(key) in protected:
                    found.append(child_path)
                else:
                    stack.append((child, child_path))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node))
    return found


def expected_denials(resource: Any, principal_kind: str, document: Any) -> Expectation:
    """Apply the rule table to a parsed body (a JSON object); non-objects expect nothing here."""
    if not isinstance(document, dict):
        return Expectation(frozenset(), frozenset(), frozenset(), frozenset())
    by_key = {name: spec for spec in resource.fields for name in payload_names(spec)}
    protected = {n for spec in resource.fields if policy_protected(spec, principal_kind) for n in payload_names(spec)}
    denied, unknown, server, writable = set(), set(), set(), set()
    for key, value in document.items():
        spec = by_key.get(key)
        if spec is not None and spec.serializer_read_only and key == spec.input_key:
            continue  # the serializer guide: omitted from input validation; refused or ignored, never applied
        if spec is None or (key != spec.input_key and may_write(spec, principal_kind)):
            unknown.add(key)  # no field, or a writable field's non-input alias (the schema's extra key)
        elif not may_write(spec, principal_kind):
            denied.add(key)
            if spec.server_controlled or spec.tenant:
                server.add(key)
        else:
            writable.add(key)
            denied.update(nested_denied_paths(value, protected, key))
    return Expectation(frozenset(denied), frozenset(unknown), frozenset(server), frozenset(writable))


def merged(expectations: Sequence[Expectation]) -> Expectation:
    """The expectation of a batch: the union of its items' (a bulk create is one security boundary)."""
    return Expectation(*(frozenset().union(*(getattr(e, part) for e in expectations))
                         for part in ("denied", "unknown", "server_keys", "writable")))


# -- reading responses ------------------------------------------------------------------------

def denied_fields_of(exchange: Exchange) -> list[str] | None:
    """The ``denied_fields`` list of a 403 (Aksara sends the detail dict's repr in ``error.message``)."""
    body = exchange.response_json()
    if not isinstance(body, dict):
        return None
    detail: Any = body.get("detail", body.get("error"))
    if isinstance(detail, dict) and "message" in detail and "denied_fields" not in detail:
        detail = detail["message"]
    if isinstance(detail, str):
        try:
            detail = ast.literal_eval(detail)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    if isinstance(detail, dict) and isinstance(detail.get("denied_fields"), list):
        return [str(x) for x in detail["denied_fields"]]
    return None


ACTION_DENIED = re.compile(r"cannot perform '\w+'")


def action_denied(exchange: Exchange) -> bool:
    """Whether a 403 refuses the action itself (Aksara's policy engine: an anonymous principal may not
    create, update or delete unless the route grants it), listing every body key as denied.

    Such a refusal says nothing about individual fields, so field exactness is not judged on it;
    whether the principal should have been refused is the authorization properties' question.
    """
    body = exchange.response_json()
    detail: Any = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    if isinstance(detail, str):
        try:
            detail = ast.literal_eval(detail)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return False
    if not isinstance(detail, dict) or not ACTION_DENIED.search(str(detail.get("reason", ""))):
        return False
    try:
        sent = json.loads(exchange.body or b"null")
    except ValueError:
        return False
    return isinstance(sent, dict) and set(detail.get("denied_fields") or ()) == {str(k) for k in sent}


def extra_forbidden_keys(exchange: Exchange) -> list[str]:
    """Top-level keys a 422 validation error rejects as ``extra_forbidden``."""
    body = exchange.response_json()
    errors = body.get("error", {}).get("errors") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    keys = []
    for err in errors or []:
        loc = err.get("loc") if isinstance(err, dict) else None
        if isinstance(err, dict) and err.get("type") == "extra_forbidden" and isinstance(loc, list) and len(loc) == 2:
            keys.append(str(loc[1]))
    return keys


def _facts(exchange: Exchange, **more: Any) -> dict[str, str]:
    """Route, status, method and the error envelope (300 characters of its message; a body of 100k
    characters or more is not parsed), then ``more``."""
    return exchange_facts(exchange, with_method=True, error_chars=300, body_limit=100_000, **more)


def _bucket(n: int, edges: Sequence[int] = (32, 64, 100, 255, 1000)) -> str:
    for edge in edges:
        if n <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


# -- denied-field exactness -------------------------------------------------------------------

def check_denied_fields(exchange: Exchange, expectation: Expectation, *, clean: bool,
                        within_bounds: bool = True) -> list[Finding]:
    """A body with fields the principal may not write is rejected, naming exactly those fields.

    - 2xx: the body held no denied, server-controlled or unknown key (else they were
      silently accepted or dropped);
    - 403 with ``denied_fields``: the list equals the expected denied set (top-level keys
      and nested paths), optionally plus the unknown keys, without duplicates;
    - 422 naming keys ``extra_forbidden``: each is an unknown or server-controlled key;
    - any other rejection of a ``clean`` body whose only fault is policy-denied fields is
      a finding (the claim is a structured ``denied_fields`` response), except a route-level
      401/403 without ``denied_fields``, a 404 (update target not visible) and a body
      beyond the bounded-cost limits.
    """
    status = exchange.status
    if expectation.must_reject or status == 403:
        judged(catalog.WRITES_DENIED_FIELD_EXACTNESS)
    findings: list[Finding] = []
    nested = sorted(p for p in expectation.denied if "." in p or "[" in p)
    if 200 <= status < 300:
        for key in sorted(expectation.denied | expectation.unknown):  # each accepted key judged on its own
            steps, position = _nested_extent([key] if key in nested else [])
            findings.append(Finding(
                catalog.WRITES_DENIED_FIELD_EXACTNESS,
                f"{exchange.method} {exchange.route or exchange.path} accepted a key the principal may not write: "
                f"{_short_path(key)}",
                observed=status, expected={"status": 403, "denied_fields": sorted(expectation.denied)},
                exchanges=(exchange,),
                facts=_facts(exchange, problem="accepted_denied", key_kind=_key_kinds(expectation, [key]),
                             keys=_short_path(key), nested_steps=steps, nested_position=position,
                             field=_short_path(key)),
            ))
        return findings
    reported = denied_fields_of(exchange) if status == 403 else None
    if reported is not None and action_denied(exchange):
        return findings  # the principal may not perform the action at all: a route-level refusal
    if reported is not None:
        want = set(expectation.denied)
        ok = set(reported) in (want, want | set(expectation.unknown)) and len(reported) == len(set(reported))
        if not ok:
            findings += _denied_fields_differ(exchange, expectation, reported)
        return findings
    extra = extra_forbidden_keys(exchange) if status == 422 else []
    wrongly_extra = sorted(set(extra) - set(expectation.unknown) - set(expectation.server_keys))
    for key in wrongly_extra:
        findings.append(Finding(
            catalog.WRITES_DENIED_FIELD_EXACTNESS,
            f"422 rejects a writable key as unknown: {key}",
            observed=extra, expected=sorted(expectation.unknown | expectation.server_keys), exchanges=(exchange,),
            facts=_facts(exchange, problem="writable_rejected_as_extra", field=key),
        ))
    policy_only = expectation.denied - expectation.server_keys
    schema_faults = expectation.unknown | expectation.server_keys
    if (clean and within_bounds and policy_only and not schema_faults
            and status not in ROUTE_DENIAL and status != 404 and status < 500):
        findings.append(Finding(
            catalog.WRITES_DENIED_FIELD_EXACTNESS,
            f"a body whose only fault is denied fields {sorted(policy_only)[:5]} got {status} without denied_fields",
            observed=status, expected={"status": 403, "denied_fields": sorted(expectation.denied)},
            exchanges=(exchange,),
            facts=_facts(exchange, problem="rejected_without_denied_fields",
                         denied_kind="nested" if nested else "top_level"),
        ))
    return findings


def _denied_fields_differ(exchange: Exchange, expectation: Expectation, reported: Sequence[str],
                          property_id: str = catalog.WRITES_DENIED_FIELD_EXACTNESS) -> list[Finding]:
    """One finding per expected path the 403 leaves out and per path it names wrongly; one for
    repeated names or a partial list of the unknown keys when nothing else explains the difference."""
    want = set(expectation.denied)
    missing = sorted(want - set(reported))
    extra = sorted(set(reported) - want - set(expectation.unknown))
    differ = f"403 denied_fields {[_short_path(p) for p in sorted(reported)[:6]]} differ from the expected " \
             f"{[_short_path(p) for p in sorted(want)[:6]]}"
    findings = []
    for path in missing:
        steps, position = _nested_extent([path] if "." in path or "[" in path else [])
        findings.append(Finding(
            property_id, f"{differ}: {_short_path(path)} missing",
            observed=sorted(reported), expected=sorted(want), exchanges=(exchange,),
            facts=_facts(exchange, problem="denied_fields_differ", key_kind=_key_kinds(expectation, [path]),
                         nested_steps=steps, nested_position=position, missing=_short_path(path)[:300],
                         extra="", field=_short_path(path))))
    sent = expectation.writable | expectation.denied | expectation.unknown
    for path in extra:
        # "unsent": the 403 names a field the body never had (a default filled in before the policy check)
        kind = "" if path in sent or "." in path or "[" in path else "unsent"
        findings.append(Finding(
            property_id, f"{differ}: {_short_path(path)} named but "
            f"{'never sent' if kind else 'writable'}",
            observed=sorted(reported), expected=sorted(want), exchanges=(exchange,),
            facts=_facts(exchange, problem="denied_fields_differ", key_kind=kind, nested_steps=0, nested_position=0,
                         missing="", extra=_short_path(path)[:300], field=_short_path(path))))
    if not findings:
        findings.append(Finding(
            property_id, f"{differ}: repeated names or a partial list of unknown keys",
            observed=sorted(reported), expected=sorted(want), exchanges=(exchange,),
            facts=_facts(exchange, problem="denied_fields_differ", key_kind="", nested_steps=0, nested_position=0,
                         missing="", extra="")))
    return findings


_STEP = re.compile(r"\.[^.\[]*|\[(\d+)\]")


def _nested_extent(paths: Iterable[str]) -> tuple[int, int]:
    """The most containers above a denied key, and the highest array position, over nested paths."""
    steps = position = 0
    for path in paths:
        head = re.match(r"[^.\[]*", path).group(0)
        parts = _STEP.findall(path[len(head):])
        steps = max(steps, len(parts) - 1)
        position = max([position] + [int(p) for p in parts if p])
    return steps, position


def _short_path(path: str) -> str:
    return path if len(path) <= 80 else f"{path[:30]}…<{path.count('.') + path.count('[')} steps>…{path[-30:]}"


def _key_kinds(expectation: Expectation, keys: Iterable[str]) -> str:
    kinds = set()
    for key in keys:
        if key in expectation.unknown:
            kinds.add("unknown")
        elif key in expectation.server_keys:
            kinds.add("server")
        elif "." in key or "[" in key:
            kinds.add("nested")
        else:
            kinds.add("policy")
    return ",".join(sorted(kinds))


def check_action_ignores_denied(exchange: Exchange, expectation: Expectation, before: Mapping[str, Any] | None,
                                after: Mapping[str, Any] | None, resource: Any) -> list[Finding]:
    """A custom action given a body never stores a field the principal may not write."""
    if before is None or after is None or not (200 <= exchange.status < 300):
        return []
    if expectation.denied:
        judged(catalog.WRITES_DENIED_FIELD_EXACTNESS)
    changed = []
    for key in expectation.denied:
        spec = next((f for f in resource.fields if key in payload_names(f)), None)
        if spec is not None and not spec.server_controlled and before.get(spec.column) != after.get(spec.column):
            changed.append(key)
    if not changed:
        return []
    return [Finding(
        catalog.WRITES_DENIED_FIELD_EXACTNESS, f"action stored denied fields {sorted(changed)}",
        observed=sorted(changed), expected=[], exchanges=(exchange,),
        facts=_facts(exchange, problem="action_stored_denied"),
    )]


def _uuid_text(value: Any) -> str | None:
    """``value`` as the canonical text of a UUID, or None when it is no UUID string."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def check_relation_replaced(exchange: Exchange, relation: Any, document: Any, before: Iterable[str],
                            after: Iterable[str]) -> list[Finding]:
    """An accepted many-to-many replacement stores exactly the related rows sent; a refused one changes nothing.

    ``before``/``after``: the related ids the junction table held for the row around the request. What was
    sent is ``document[relation.field]``: an accepted request must have sent a list of ids (Aksara's
    serializers type a many-to-many input as ``List[UUID]``), and then the relation is that set (a list
    replaces the relation, the serializer guide's "relationship replacement"; a repeated id is one row).
    A response naming the relation must name the stored set. A request that sent no value for the relation
    (no body, or a body without its key) replaces nothing: accepted, it must leave the relation as it was (a
    route may read the relation on such a request)."""
    before, after = {str(i) for i in before}, {str(i) for i in after}
    accepted = 200 <= exchange.status < 300
    sent = document.get(relation.field) if isinstance(document, dict) else None
    judged(catalog.WRITES_RELATION_REPLACED)
    problem, expected = None, None
    unsent = not isinstance(document, dict) or relation.field not in document
    if accepted and unsent:
        if after != before:
            problem, expected = "changed_unsent", sorted(before)
    elif not accepted:
        if after != before:
            problem, expected = "refused_but_changed", sorted(before)
    else:
        ids = [_uuid_text(i) for i in sent] if isinstance(sent, list) else None
        if ids is None or None in ids:
            problem, expected = "accepted_malformed", "a refusal (4xx): the relation is a list of ids"
        elif after != set(ids):
            problem, expected = "stored_other_set", sorted(set(ids))
        else:
            body = exchange.response_json()
            shown = body.get(relation.field) if isinstance(body, dict) else None
            if isinstance(shown, list):
                named = {_uuid_text(i) if isinstance(i, str) else _uuid_text(str((i or {}).get("id", "")))
                         for i in shown}
                if named != after:
                    problem, expected = "response_other_set", sorted(after)
    if problem is None:
        return []
    return [Finding(
        catalog.WRITES_RELATION_REPLACED,
        f"{exchange.method} {exchange.route or exchange.path} -> {exchange.status}: {problem.replace('_', ' ')}",
        observed=sorted(after), expected=expected, exchanges=(exchange,),
        facts=_facts(exchange, problem=problem, relation=relation.field),
    )]


# -- normalisation and round trip ------------------------------------------------------------

_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def normalise(spec: Any, value: Any) -> Any:
    """The documented stored form of ``value`` for ``spec``'s kind, :data:`UNDOCUMENTED` if none applies.

    Numbers, booleans, dates, timestamps and UUIDs follow pydantic's documented lax
    conversions (integral floats and digit strings for integers, numeric strings for
    decimals/floats, the usual boolean spellings); timestamps without an offset are
    UTC; decimals compare by value; JSON compares structurally with 1 == 1.0.
    """
    if value is None:
        return None
    kind = spec.kind
    try:
        if spec.choices or kind in ("string", "text", "slug", "email", "url", "enum"):
            return value if isinstance(value, str) else UNDOCUMENTED
        if kind in INTEGER_KINDS:
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INT.match(value.strip()):
                return int(value.strip())
            return UNDOCUMENTED
        if kind == "decimal":
            if isinstance(value, bool):
                return UNDOCUMENTED
            if isinstance(value, (int, float, Decimal)) or (isinstance(value, str) and _NUMBER.match(value.strip())):
                number = Decimal(str(value).strip())
                return number if number.is_finite() else UNDOCUMENTED
            return UNDOCUMENTED
        if kind == "float":
            if isinstance(value, bool):
                return UNDOCUMENTED
            if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.match(value.strip())):
                number = float(value)
                return number if math.isfinite(number) else UNDOCUMENTED
            return UNDOCUMENTED
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            return UNDOCUMENTED
        if kind == "date":
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else UNDOCUMENTED
        if kind == "datetime":
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if isinstance(value, dt.datetime):
                return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
            return UNDOCUMENTED
        if kind == "time":
            return dt.time.fromisoformat(value) if isinstance(value, str) else value
        if kind in ("uuid", "fk"):
            return uuid.UUID(str(value)) if isinstance(value, (str, uuid.UUID)) else UNDOCUMENTED
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return UNDOCUMENTED
    return value


def stored_form(spec: Any, value: Any) -> Any:
    """A database value (asyncpg) in the same canonical form as :func:`normalise` gives."""
    if spec.kind == "json" and isinstance(value, str):
        return json.loads(value)
    return normalise(spec, value)


def same_value(left: Any, right: Any) -> bool:
    """Structural equality without recursion: 1 == 1.0, dict order ignored, NaN equal to NaN."""
    stack = [(left, right)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            stack.extend((a[k], b[k]) for k in a)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            stack.extend(zip(a, b))
        elif isinstance(a, bool) or isinstance(b, bool):
            if a is not b:
                return False
        elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            continue
        elif a != b:
            return False
    return True


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:120] + "…"


def check_round_trip(exchange: Exchange, resource: Any, sent: Mapping[str, Any], *, response: Mapping | None,
                     stored: Mapping[str, Any] | None, read: Mapping | None,
                     before: Mapping[str, Any] | None = None, not_judged: Iterable[str] = ()) -> list[Finding]:
    """What a successful write returns, stores and later reads equals what was sent.

    Every submitted writable key: the response (when it shows the field), the stored row
    and a later read equal :func:`normalise` of the sent value — ``null`` included, so
    ``null`` on a nullable field clears it and ``null`` on a non-nullable one must have
    been rejected. On an update (``before`` given) every omitted field keeps its value
    (``updated_at`` excepted). An input with no documented normalisation is only checked
    for agreement between response, row and read. Keys in ``not_judged`` (ones the write
    should have refused) count as sent but their values are not judged here.
    """
    if not (200 <= exchange.status < 300) or stored is None:
        return []
    judged(catalog.WRITES_ROUND_TRIP)
    findings: list[Finding] = []
    by_key = {name: spec for spec in resource.fields for name in payload_names(spec)}
    skipped = set(not_judged)
    for key, value in sent.items():
        spec = by_key.get(key)
        if spec is None or spec.server_controlled or spec.serializer_read_only or key in skipped:
            continue  # a serializer read-only key is the serializers properties' to judge
        expected = normalise(spec, value)
        row_value = stored_form(spec, stored.get(spec.column))
        views = {"stored": row_value}
        out_key = spec.column if spec.kind == "fk" else spec.name
        if response is not None and out_key in response:
            views["response"] = normalise(spec, response[out_key])
        if read is not None and out_key in read:
            views["read"] = normalise(spec, read[out_key])
        if expected is UNDOCUMENTED:
            reference_name, reference = "stored", row_value
        else:
            reference_name, reference = "sent", expected
        for name, seen in views.items():
            if name == reference_name or same_value(seen, reference):
                continue
            problem = "null_not_stored" if value is None else f"{name}_differs"
            findings.append(Finding(
                catalog.WRITES_ROUND_TRIP,
                f"{exchange.method} {exchange.route or exchange.path}: {key} sent {_short(value)} "
                f"but {name} is {_short(seen)}",
                observed={name: _short(seen)}, expected=_short(reference), exchanges=(exchange,),
                facts=_facts(exchange, problem=problem, field_kind=spec.kind, nullable=spec.nullable,
                             field=key),
            ))  # every view (response, stored row, later read) judged on its own
    if before is not None:
        for spec in resource.fields:
            if spec.name in ("updated_at",) or any(k in sent for k in payload_names(spec)):
                continue
            old, new = stored_form(spec, before.get(spec.column)), stored_form(spec, stored.get(spec.column))
            if not same_value(old, new):
                findings.append(Finding(
                    catalog.WRITES_ROUND_TRIP, f"update changed omitted field {spec.name}: {_short(old)} -> {_short(new)}",
                    observed=_short(new), expected=_short(old), exchanges=(exchange,),
                    facts=_facts(exchange, problem="omitted_field_changed", field_kind=spec.kind, field=spec.name),
                ))
    return findings


# -- state integrity -------------------------------------------------------------------------

def check_state_integrity(exchange: Exchange, changed_tables: Sequence[str]) -> list[Finding]:
    """A rejected write (any 4xx or 5xx) leaves every table exactly as it was before it."""
    if exchange.status < 400:
        return []
    judged(catalog.WRITES_STATE_INTEGRITY)
    if not changed_tables:
        return []
    return [Finding(
        catalog.WRITES_STATE_INTEGRITY,
        f"{exchange.method} {exchange.route or exchange.path} answered {exchange.status} but changed "
        f"{', '.join(changed_tables)}",
        observed=list(changed_tables), expected=[], exchanges=(exchange,),
        facts=_facts(exchange, tables=",".join(changed_tables), status_class=f"{exchange.status // 100}xx"),
    )]


def check_bulk_as_single(exchange: Exchange, expectations: Sequence[Expectation], cleans: Sequence[bool],
                         stored: int, within_bounds: bool = True) -> list[Finding]:
    """A bulk create decides as single creates of its items would, and as one batch.

    Each item gets the rule table a single create of it gets (:func:`expected_denials`);
    Aksara's docs make a batch one security boundary ("Any denied item denies the whole
    batch", ``validate_bulk_payload_policy``). So, with ``stored`` the rows the request added:

    - 2xx: no item held a key its principal may not write or an unknown key, and every item
      was stored (``stored`` equals the number of items);
    - 403 with ``denied_fields``: the list is the union of the items' denied keys and paths
      (optionally plus their unknown keys), without repeats, unless the principal may not
      create at all;
    - a batch whose items are all clean, whose only faults are policy-denied fields, is
      refused with those ``denied_fields``, not otherwise (a route-level 401/403 without
      them, a 404 and a 5xx excepted, as for a single write; and, as for a single write, a body
      beyond the write bounds (``within_bounds`` false: larger than :data:`BODY_LIMIT_BYTES` or
      nested deeper than :data:`DEPTH_LIMIT`) may be refused for that alone);
    - any refusal stores no item (no partial batch).
    """
    judged(catalog.WRITES_BULK_AS_SINGLE)
    batch = merged(expectations)
    denied, unknown, server = batch.denied, batch.unknown, batch.server_keys
    route = exchange.route or exchange.path
    status = exchange.status
    findings: list[Finding] = []

    def finding(problem: str, message: str, observed: Any, expected: Any, **more: Any) -> None:
        findings.append(Finding(catalog.WRITES_BULK_AS_SINGLE, f"POST {route} ({len(expectations)} items): {message}",
                                observed=observed, expected=expected, exchanges=(exchange,),
                                facts=_facts(exchange, problem=problem, items=str(len(expectations)), **more)))

    if 200 <= status < 300:
        accepted = Expectation(denied, unknown, server, frozenset())
        for key in sorted(denied | unknown):  # the facts a single create's finding of that key has
            steps, position = _nested_extent([key] if "." in key or "[" in key else [])
            finding("accepted_denied", f"accepted an item key the principal may not write: {_short_path(key)}",
                    status, {"status": 403, "denied_fields": sorted(denied)},
                    key_kind=_key_kinds(accepted, [key]), nested_steps=steps, nested_position=position,
                    field=_short_path(key))
        if not (denied | unknown) and stored != len(expectations):
            finding("not_all_stored", f"answered {status} but stored {stored} rows", stored, len(expectations))
        return findings
    if stored:
        finding("partial_batch", f"refused with {status} but stored {stored} of the items", stored, 0)
    reported = denied_fields_of(exchange) if status == 403 else None
    if reported is not None and action_denied_for(exchange, expectations):
        return findings
    if reported is not None:
        if set(reported) not in (set(denied), set(denied | unknown)) or len(reported) != len(set(reported)):
            # one finding per path, with the facts a single create's finding of that path has
            findings += _denied_fields_differ(exchange, batch, reported, catalog.WRITES_BULK_AS_SINGLE)
        return findings
    policy_only = denied - server
    if (all(cleans) and within_bounds and policy_only and not (unknown | server) and status not in ROUTE_DENIAL
            and status != 404 and status < 500):
        finding("rejected_without_denied_fields", f"items whose only fault is denied fields "
                f"{sorted(policy_only)[:5]} got {status} without denied_fields", status,
                {"status": 403, "denied_fields": sorted(denied)})
    return findings


def action_denied_for(exchange: Exchange, expectations: Sequence[Expectation]) -> bool:
    """Whether a 403 refuses the create itself (every key of every item listed), not particular fields."""
    body = exchange.response_json()
    detail: Any = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    if isinstance(detail, str):
        try:
            detail = ast.literal_eval(detail)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return False
    if not isinstance(detail, dict) or not ACTION_DENIED.search(str(detail.get("reason", ""))):
        return False
    sent = set().union(*(e.denied | e.unknown | e.writable for e in expectations))
    return set(detail.get("denied_fields") or ()) >= {k for k in sent if "." not in k and "[" not in k}


def check_readable_after_write(write: Exchange, reads: Sequence[Exchange]) -> list[Finding]:
    """After a write that stored something (accepted, or failed but committed), reads still work (no 5xx)."""
    judged(catalog.WRITES_STORED_ROW_READABLE)
    return [Finding(
        catalog.WRITES_STORED_ROW_READABLE,
        f"after {write.method} {write.route or write.path} -> {write.status}, "
        f"{read.method} {read.route or read.path} answers {read.status}",
        observed=read.status, expected="a status below 500", exchanges=(write, read),
        facts=_facts(read, write_route=write.route or write.path, read_route=read.route or read.path),
    ) for read in reads if read.status >= 500]  # every broken read (list, detail) judged


# -- bounded cost ------------------------------------------------------------------------------

def check_bounded_cost(exchange: Exchange, *, body_size: int, depth: int, peak_bytes: int | None = None,
                       healthy_after: Exchange | None = None, enforce_limits: bool = True) -> list[Finding]:
    """Oversized and deep bodies are rejected (400/413/422) within the time and memory bounds.

    Bounds: a body over :data:`BODY_LIMIT_BYTES` or nested deeper than :data:`DEPTH_LIMIT`
    is rejected with a 4xx (400, 413 or 422 for the body itself; a route-level 401/403 or a
    404 that never read the body counts too; a 5xx is the no-server-error oracle's), unless
    ``enforce_limits`` is off (a custom action that does not read its body); every write
    costs the app at most :data:`TIME_LIMIT_SECONDS` of CPU time (measured in this process, so
    other processes' load on the machine does not count) and answers within
    :data:`WALL_LIMIT_SECONDS` of wall time;
    when measured, peak traced memory stays under ``MEMORY_BASE_BYTES +
    MEMORY_PER_BODY_BYTE × body size``; the app answers its health route afterwards.
    """
    judged(catalog.WRITES_BOUNDED_COST)
    findings: list[Finding] = []
    too_big, too_deep = body_size > BODY_LIMIT_BYTES, depth > DEPTH_LIMIT
    facts = dict(size=_bucket(body_size, (BODY_LIMIT_BYTES, 10**7, 5 * 10**7)), depth=_bucket(depth))
    if enforce_limits and (too_big or too_deep) and exchange.status < 400:
        what = "oversized" if too_big else "deep"
        findings.append(Finding(
            catalog.WRITES_BOUNDED_COST,
            f"a {what} body ({body_size} bytes, depth {depth}) got {exchange.status} instead of 400/413/422",
            observed=exchange.status, expected=[400, 413, 422], exchanges=(exchange,),
            facts=_facts(exchange, problem=f"{what}_accepted", **facts),
        ))
    for clock, seconds, limit in (("cpu", exchange.cpu_ms / 1000, TIME_LIMIT_SECONDS),
                                  ("wall", exchange.elapsed_ms / 1000, WALL_LIMIT_SECONDS)):
        if seconds > limit:
            findings.append(Finding(
                catalog.WRITES_BOUNDED_COST, f"write took {seconds:.2f}s of {clock} time (bound {limit}s)",
                observed=round(seconds, 3), expected=limit, exchanges=(exchange,),
                facts=_facts(exchange, problem="slow", clock=clock, **facts),
            ))
    if peak_bytes is not None:
        bound = MEMORY_BASE_BYTES + MEMORY_PER_BODY_BYTE * body_size
        if peak_bytes > bound:
            findings.append(Finding(
                catalog.WRITES_BOUNDED_COST,
                f"write peaked at {peak_bytes / 2**20:.1f} MiB for a {body_size / 2**20:.2f} MiB body "
                f"(bound {bound / 2**20:.1f} MiB)",
                observed=peak_bytes, expected=bound, exchanges=(exchange,),
                facts=_facts(exchange, problem="memory", **facts),
            ))
    if healthy_after is not None and healthy_after.status != 200:
        findings.append(Finding(
            catalog.WRITES_BOUNDED_COST, f"health route answered {healthy_after.status} after the write",
            observed=healthy_after.status, expected=200, exchanges=(exchange, healthy_after),
            facts=_facts(exchange, problem="unhealthy_after", **facts),
        ))
    return findings


def within_bounds(body_size: int, depth: int) -> bool:
    return body_size <= BODY_LIMIT_BYTES and depth <= DEPTH_LIMIT


def check_denied_fields_exchange(exchange: Exchange, context: Any) -> list[Finding]:
    """:func:`check_denied_fields` from the exchange alone (for replaying an artifact, and on OpenAPI cases); a
    list sent to the resource's bulk create route expects what its items together expect (:func:`merged`)."""
    if exchange.method not in ("POST", "PUT", "PATCH") or not exchange.body:
        return []
    resource = context.info.resource_at(exchange.path)
    try:
        document = json.loads(exchange.body)
        kind = context.info.principal(exchange.principal).kind
    except (ValueError, RecursionError, KeyError):
        return []
    if resource is None:
        return []
    if isinstance(document, list) and (exchange.route or exchange.path) == resource.bulk_create_path:
        expectation = merged([expected_denials(resource, kind, item) for item in document])
    else:
        expectation = expected_denials(resource, kind, document)
    return check_denied_fields(exchange, expectation, clean=False)


register(catalog.WRITES_DENIED_FIELD_EXACTNESS, check_denied_fields_exchange)
