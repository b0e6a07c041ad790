"""The soft-delete properties bound to a live target: deletes, then trash listings, then the oracles.

Subjects are read from :class:`targets.base.TargetInfo` (``soft_delete`` and ``trash_path``,
see :mod:`strategies.soft_delete`); every case starts from the seeded database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fuzz.findings import Finding, replayable
from fuzz.oracles import soft_delete as oracle
from fuzz.oracles.context import OracleContext
from fuzz.properties.writes import fetch_row, generic_checks
from strategies.soft_delete import TrashCase
from targets.base import ResourceSpec, TargetInfo

if TYPE_CHECKING:
    from targets.client import LiveTarget


def members(info: TargetInfo) -> dict[str, str]:
    """tenant id -> a human principal of that tenant (who lists that tenant's trash)."""
    found: dict[str, str] = {}
    for spec in info.principals:
        if spec.kind in ("user", "staff") and spec.tenant and info.tenants.get(spec.tenant):
            found.setdefault(info.tenants[spec.tenant], spec.name)
    return found


def rows_by_id(live: LiveTarget, resource: ResourceSpec) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): dict(r) for r in live.run(live.db.fetch_rows(resource.table))}


def _trash(live: LiveTarget, resource: ResourceSpec, principal: str, query: tuple = ()) -> Any:
    return live.request(principal, "GET", resource.trash_path, query=query, route=resource.trash_path)


@replayable("soft_delete", env=("live", "context"), names=("resource",))
def run_trash_case(live: LiveTarget, context: OracleContext, resource: ResourceSpec, case: TrashCase) -> list[Finding]:
    """Apply the case's deletes (each judged), then judge the viewer's trash listing."""
    live.reset()
    info = live.info
    readers = members(info)
    findings: list[Finding] = []
    for principal, pk in case.deletes:
        before = fetch_row(live, resource, pk)
        exchange = live.request(principal, "DELETE", resource.detail_path(pk), route=resource.detail_path("{pk}"))
        after = fetch_row(live, resource, pk)
        column = oracle.tenant_column(resource)
        owner = str((after or before or {}).get(column)) if column else None
        reader = readers.get(owner) if owner else None
        detail = None
        if reader is not None and before is not None:
            detail = live.request(reader, "GET", resource.detail_path(pk), route=resource.detail_path("{pk}"))
        trash_ids: dict[str, list[str]] = {}
        for tenant, member in readers.items():
            listing = _trash(live, resource, member, (("limit", str(resource.page_max)),))
            findings += generic_checks(listing, context)
            ids, _ = oracle.listing_ids(listing)
            if listing.status == 200 and ids is not None:
                trash_ids[tenant] = ids
        findings += generic_checks(exchange, context)
        if detail is not None:
            findings += generic_checks(detail, context)
        deleter = info.principal(principal)
        findings += oracle.check_delete_is_soft(exchange, resource, pk, before, after, detail, trash_ids,
                                                info.tenants.get(deleter.tenant) if deleter.tenant else None)
    viewer = info.principal(case.viewer)
    listing = _trash(live, resource, case.viewer, case.query)
    findings += generic_checks(listing, context)
    findings += oracle.check_trash_scoped(listing, resource, rows_by_id(live, resource),
                                          info.tenants.get(viewer.tenant) if viewer.tenant else None,
                                          trusted=viewer.kind == "system", query=case.query)
    return findings
