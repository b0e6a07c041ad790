"""One write (create, update or custom action) and the write oracles applied to it.

:func:`run_write_case` sends one :class:`strategies.writes.WriteCase`, then applies the generic exchange
oracles (no 5xx, envelope, no leak), denied-field exactness, state integrity (the
tables a rejected write touched, compared by content hash with their state just before
it), the round trip (response, stored row as the database owner sees it, and a later
read) and bounded cost, and reads the row and its list back to prove a stored row
never breaks later reads. It works mid-sequence: the caller decides when to reset.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Sequence

from fuzz.findings import Finding, replayable, with_facts, with_replay
from fuzz.oracles import writes as oracle
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_error_envelope, check_health_after, check_no_leak, check_no_server_error
from strategies.payloads import NO_DOCUMENT
from strategies.writes import BulkCase, WriteCase  # inputs stored before it moved name it here (fuzz.inputs)

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget


# -- database state ----------------------------------------------------------------------------

def mark_state(live: LiveTarget) -> dict[str, str]:
    """The committed state just before a request (see ``LiveTarget.fingerprint``)."""
    return live.fingerprint()


def changed_since(live: LiveTarget, mark: dict[str, str]) -> list[str]:
    return live.changed_since(mark)


def fetch_row(live: LiveTarget, resource: Any, pk: str | None) -> dict[str, Any] | None:
    """The row as the database owner sees it (None when absent or ``pk`` is not a UUID)."""
    import uuid

    try:
        key = uuid.UUID(str(pk))
    except (ValueError, TypeError):
        return None
    row = live.run(live.db.conn.fetchrow(f'SELECT * FROM public."{resource.table}" WHERE id = $1', key))
    return dict(row) if row is not None else None


def fetch_related(live: LiveTarget, relation: Any, pk: str | None) -> set[str] | None:
    """The related ids ``relation``'s junction table holds for row ``pk``, as the database owner sees them
    (None when ``pk`` is not a UUID)."""
    import uuid

    try:
        key = uuid.UUID(str(pk))
    except (ValueError, TypeError):
        return None
    rows = live.run(live.db.conn.fetch(
        f'SELECT "{relation.target_column}" AS related FROM public."{relation.table}" '
        f'WHERE "{relation.source_column}" = $1', key))
    return {str(r["related"]) for r in rows}


LEAK_SCAN_BYTES = 1024 * 1024


def generic_checks(exchange: Any, context: OracleContext) -> list[Finding]:
    """The generic exchange oracles; the leak check sees at most the body's first MiB as caller text.

    (Its scan for echoed caller text costs ~0.1 s per MB of body; an error response
    echoing text from beyond the first MiB of a multi-megabyte body is not expected.)
    """
    findings = check_no_server_error(exchange, context) + check_error_envelope(exchange, context)
    view = exchange
    if exchange.body is not None and len(exchange.body) > LEAK_SCAN_BYTES:
        view = dataclasses.replace(exchange, body=exchange.body[:LEAK_SCAN_BYTES])
    return findings + check_no_leak(view, context)


# -- one write --------------------------------------------------------------------------------

def reader_for(info: TargetInfo, principal: str) -> str:
    """Who reads a row back: the writer, or for an AI writer a human principal of its tenant."""
    spec = info.principal(principal)
    if spec.kind != "ai_agent":
        return principal
    same = [p.name for p in info.principals if p.kind in ("user", "staff") and p.tenant == spec.tenant]
    return same[0] if same else principal


@dataclass
class WriteOutcome:
    findings: list[Finding]
    exchange: Any
    created_id: str | None = None
    peak_bytes: int | None = None


def run_write_case(live: LiveTarget, context: OracleContext, case: WriteCase, *, reset: bool = True,
                   resource: Any = None, measure_memory: bool = False) -> WriteOutcome:
    """Send ``case``; return every finding of the write oracles (and the created id, if any)."""
    info = live.info
    resource = resource or info.resource(case.resource)
    kind = info.principal(case.principal).kind
    method, path, route = case.method_and_path(resource)
    body = case.body
    raw = body.body_bytes()
    headers = [("content-type", body.content_type)] if body.content_type else []
    mark = mark_state(live)
    before = fetch_row(live, resource, case.pk) if case.pk else None
    relation = resource.relation_write_at(case.action_path) if case.operation == "action" else None
    related_before = fetch_related(live, relation, case.pk) if relation is not None else None

    if measure_memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    try:
        exchange = live.request(case.principal, method, path, content=raw, headers=headers, route=route)
    finally:
        peak = tracemalloc.get_traced_memory()[1] if measure_memory else None
        if measure_memory:
            tracemalloc.stop()

    findings = generic_checks(exchange, context)
    changed = changed_since(live, mark)
    findings += oracle.check_state_integrity(exchange, changed)
    document = body.document if body.document is not NO_DOCUMENT else None
    expectation = oracle.expected_denials(resource, kind, document)
    bounded = oracle.within_bounds(len(raw), body.depth)
    created_id = None
    if case.operation == "action":
        after = fetch_row(live, resource, case.pk) if case.pk else None
        findings += oracle.check_action_ignores_denied(exchange, expectation, before, after, resource)
        if related_before is not None:
            findings += oracle.check_relation_replaced(exchange, relation, document, related_before,
                                                       fetch_related(live, relation, case.pk) or set())
    else:
        findings += oracle.check_denied_fields(exchange, expectation, clean=body.clean, within_bounds=bounded)
        accepted = 200 <= exchange.status < 300
        if accepted or resource.table in changed:
            # a stored row never breaks later reads, even one a failed write left behind
            response = exchange.response_json() if accepted and len(exchange.response_text) < 5_000_000 else None
            response = response if isinstance(response, dict) else None
            row_id = case.pk if case.operation == "update" else (response or {}).get("id")
            created_id = str(row_id) if case.operation == "create" and row_id else None
            reader = reader_for(info, case.principal)
            reads = [live.request(reader, "GET", resource.list_path, route=resource.list_path)]
            if row_id:
                reads.append(live.request(reader, "GET", resource.detail_path(str(row_id)),
                                          route=resource.detail_path("{pk}")))
            findings += oracle.check_readable_after_write(exchange, reads)
            stored = fetch_row(live, resource, row_id) if row_id else None
            read = reads[-1].response_json() if row_id and reads[-1].status == 200 else None
            if accepted and isinstance(document, dict):
                # judged even when keys that must be rejected got through (the denied-field oracle
                # reports those): the writable keys still round-trip
                findings += oracle.check_round_trip(
                    exchange, resource, document, response=response, stored=stored,
                    read=read if isinstance(read, dict) else None,
                    before=before if case.operation == "update" else None,
                    not_judged=expectation.denied | expectation.unknown)
    health = live.healthy()
    findings += oracle.check_bounded_cost(exchange, body_size=len(raw), depth=body.depth, peak_bytes=peak,
                                          healthy_after=health if measure_memory else None,
                                          enforce_limits=case.operation != "action")
    if not measure_memory:
        findings += check_health_after(health, exchange)
    if reset:
        live.reset()
    by_key = {n: f.kind for f in resource.fields for n in oracle.payload_names(f)}
    kinds = sorted({by_key[k] for k in body.keys if k in by_key})
    facts = dict(principal_kind=kind, resource=case.resource, operation=case.operation,
                 hostile_class=body.hostile_class, clean=str(body.clean), depth_bucket=oracle._bucket(body.depth),
                 field_kinds=",".join(kinds))
    return WriteOutcome(with_facts(findings, **facts), exchange, created_id, peak)


def write_steps(live: LiveTarget, context: OracleContext, steps: Sequence[WriteCase], created: Sequence[str | None] = (),
                measure_memory: bool = False) -> list[Finding]:
    """Run ``steps`` in order from the seed state; the findings of the last one (the one judged).

    ``created`` holds the ids the original run's steps created: later steps naming one get the id the
    same step created now.
    """
    live.reset()
    renamed: dict[str, str] = {}
    findings: list[Finding] = []
    try:
        for index, case in enumerate(steps):
            if case.pk in renamed:
                case = replace(case, pk=renamed[case.pk])
            last = index == len(steps) - 1
            outcome = run_write_case(live, context, case, reset=False, measure_memory=measure_memory and last)
            original = created[index] if index < len(created) else None
            if original and outcome.created_id:
                renamed[original] = outcome.created_id
            findings = outcome.findings
    finally:
        live.reset()
    return findings


def with_steps(findings: Sequence[Finding], steps: Sequence[WriteCase], created: Sequence[str | None],
               measure_memory: bool = False) -> list[Finding]:
    """The findings carrying the whole write sequence that led to them, for replay."""
    return with_replay(findings, "writes", "write_steps", steps=tuple(steps), created=tuple(created),
                       measure_memory=measure_memory)


@replayable("writes", env=("live", "context"), names=("resource",))
def run_bulk_case(live: LiveTarget, context: OracleContext, case: BulkCase, resource: Any = None) -> list[Finding]:
    """Send ``case`` to the resource's bulk create route (from the seed state, where the previous case left it);
    the generic, state and bulk oracles."""
    resource = live.info.resource(resource or case.resource) if not hasattr(resource, "table") else resource
    kind = live.info.principal(case.principal).kind
    count_sql = f'SELECT count(*) FROM public."{resource.table}"'
    before = live.run(live.db.conn.fetchval(count_sql))
    mark = mark_state(live)
    try:
        exchange = live.request(case.principal, "POST", resource.bulk_create_path, content=case.body_bytes(),
                                headers=[("content-type", "application/json")], route=resource.bulk_create_path)
        stored = live.run(live.db.conn.fetchval(count_sql)) - before
        findings = generic_checks(exchange, context)
        findings += oracle.check_state_integrity(exchange, changed_since(live, mark))
        expectations = [oracle.expected_denials(resource, kind, item.document) for item in case.items]
        body = case.body_bytes()
        bounded = oracle.within_bounds(len(body), 1 + max((item.depth for item in case.items), default=0))
        findings += oracle.check_bulk_as_single(exchange, expectations, [item.clean for item in case.items], stored,
                                                within_bounds=bounded)
        findings += check_health_after(live.healthy(), exchange)
    finally:
        live.reset()
    classes = sorted({item.hostile_class for item in case.items})
    return with_facts(findings, principal_kind=kind, resource=case.resource, operation="bulk_create",
                      hostile_class=",".join(classes))
