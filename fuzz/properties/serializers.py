"""The serializer properties bound to a live target: one write (or two, for parity) and its oracles.

Subjects are read from :class:`targets.base.TargetInfo` (see :mod:`strategies.serializers`);
every case starts from the seeded database (``live.reset()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fuzz.findings import Finding, replayable
from fuzz.oracles import serializers as oracle
from fuzz.oracles.context import OracleContext
from fuzz.properties.writes import fetch_row, generic_checks
from strategies.serializers import SerializerCase

if TYPE_CHECKING:
    from targets.client import LiveTarget


def _created_id(exchange: Any) -> str | None:
    body = exchange.response_json() if 200 <= exchange.status < 300 else None
    return str(body["id"]) if isinstance(body, dict) and body.get("id") else None


def seeded_rows(live: LiveTarget) -> dict[str, list[tuple[str, str | None]]]:
    """Seeded (id, tenant id) pairs per resource, read once: every case starts from this seed."""
    live.reset()
    out = {}
    for resource in live.info.resources:
        column = next((f.column for f in resource.fields if f.tenant), None)
        rows = live.run(live.db.fetch_rows(resource.table))
        out[resource.name] = sorted((str(r["id"]), str(r[column]) if column else None) for r in rows)
    return out


def own_rows(live: LiveTarget, seeded: dict, resource: Any, principal: str) -> list[str]:
    """Seeded row ids of ``resource`` in ``principal``'s tenant (every row for a global resource)."""
    label = live.info.principal(principal).tenant
    tenant = live.info.tenants.get(label) if label else None
    return [pk for pk, owner in seeded.get(resource.name, []) if owner is None or owner == str(tenant)]


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_parity(live: LiveTarget, context: OracleContext, resource: Any, sibling: Any,
               case: SerializerCase) -> list[Finding]:
    """Create the same body through the serializer viewset and its model sibling, each from the seed state
    (a unique field would otherwise refuse the second create); compare the stored rows."""
    live.reset()
    body = dict(case.body)
    via_serializer = live.request(case.principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
    serializer_row = fetch_row(live, resource, _created_id(via_serializer))
    live.reset()
    via_model = live.request(case.principal, "POST", sibling.list_path, json_body=body, route=sibling.list_path)
    model_row = fetch_row(live, sibling, _created_id(via_model))
    findings = generic_checks(via_serializer, context) + generic_checks(via_model, context)
    return findings + oracle.check_round_trip_parity(resource, body, via_serializer, serializer_row, via_model,
                                                     model_row)


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_patch(live: LiveTarget, context: OracleContext, resource: Any, case: SerializerCase, pk: str) -> list[Finding]:
    """PATCH a seeded row through the update serializer; every omitted field must keep its value."""
    live.reset()
    before = fetch_row(live, resource, pk)
    exchange = live.request(case.principal, "PATCH", resource.detail_path(pk), json_body=dict(case.body),
                            route=resource.detail_path("{pk}"))
    after = fetch_row(live, resource, pk)
    return generic_checks(exchange, context) + oracle.check_patch_keeps_omitted(exchange, resource, case.body,
                                                                                before, after)


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_read_only(live: LiveTarget, context: OracleContext, resource: Any, case: SerializerCase,
                  pk: str | None) -> list[Finding]:
    """Create (``pk`` None) or PATCH with canary values for read-only fields; none may be stored."""
    live.reset()
    body = dict(case.body)
    if pk is None:
        before = None
        exchange = live.request(case.principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
        after = fetch_row(live, resource, _created_id(exchange))
    else:
        before = fetch_row(live, resource, pk)
        exchange = live.request(case.principal, "PATCH", resource.detail_path(pk), json_body=body,
                                route=resource.detail_path("{pk}"))
        after = fetch_row(live, resource, pk)
    return generic_checks(exchange, context) + oracle.check_read_only_never_applied(
        exchange, resource, body, case.read_only_keys, before, after)
