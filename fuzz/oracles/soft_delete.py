"""Oracles for soft-deleting models (``aksara.contrib.soft_delete.SoftDeleteModel``).

- ``soft_delete.trash_scoped``: a trash listing (a route over ``only_deleted(...)`` of the
  viewset's queryset, which Aksara's soft-delete guide says keeps the queryset's tenant
  restriction) shows only soft-deleted rows of the caller's own scope, whatever the query, and
  its ``count`` never exceeds them (with no filter it equals them).
- ``soft_delete.delete_is_soft``: an accepted DELETE keeps the row with ``deleted_at`` set, hides
  it from the detail route, lists it in the deleting tenant's trash and in no other tenant's;
  a refused DELETE changes nothing.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.transcript import Exchange

PAGING_KEYS = frozenset({"limit", "offset", "page", "page_size", "cursor"})


def tenant_column(resource: Any) -> str | None:
    return next((f.column for f in resource.fields if f.tenant), None)


def in_scope(resource: Any, row: Mapping[str, Any], tenant: str | None, trusted: bool) -> bool:
    """Whether ``row`` is in the scope of a caller of ``tenant`` (a trusted system caller sees every tenant)."""
    column = tenant_column(resource)
    if column is None or trusted:
        return True
    return tenant is not None and str(row.get(column)) == str(tenant)


def deleted_in_scope(resource: Any, rows: Mapping[str, Mapping[str, Any]], tenant: str | None,
                     trusted: bool) -> set[str]:
    return {pk for pk, row in rows.items() if row.get("deleted_at") is not None and in_scope(resource, row, tenant, trusted)}


def listing_ids(exchange: Exchange) -> tuple[list[str] | None, int | None]:
    """The ids and ``count`` of a list-shaped response (``None``, ``None`` for any other body)."""
    body = exchange.response_json()
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return None, None
    ids = [str(item.get("id")) for item in body["results"] if isinstance(item, dict)]
    count = body.get("count")
    return ids, count if isinstance(count, int) and not isinstance(count, bool) else None


def check_trash_scoped(exchange: Exchange, resource: Any, rows: Mapping[str, Mapping[str, Any]], tenant: str | None,
                       *, trusted: bool = False, query: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    """A trash listing shows only soft-deleted rows of the caller's scope; its count never exceeds them."""
    if exchange.status != 200:
        return []
    ids, count = listing_ids(exchange)
    if ids is None:
        return []
    judged(catalog.SOFT_DELETE_TRASH_SCOPED)
    findings = []
    scope = deleted_in_scope(resource, rows, tenant, trusted)

    def finding(problem: str, message: str, pk: str = "", **facts: Any) -> Finding:
        return Finding(catalog.SOFT_DELETE_TRASH_SCOPED, message, observed=pk or count, expected=sorted(scope)[:12],
                       exchanges=(exchange,), facts=exchange_facts(exchange, problem=problem, **facts))

    for pk in ids:
        row = rows.get(pk)
        if row is None:
            findings.append(finding("unknown_row", f"trash lists {pk[:8]}, which is not in the table", pk))
        elif row.get("deleted_at") is None:
            findings.append(finding("active_row", f"trash lists active row {pk[:8]}", pk))
        elif not in_scope(resource, row, tenant, trusted):
            findings.append(finding("foreign_row", f"trash lists {pk[:8]} of another tenant", pk,
                                    query_keys=",".join(sorted(k for k, _ in query))))
    filtered = any(k not in PAGING_KEYS for k, _ in query)
    if count is not None and count > len(scope):
        findings.append(finding("count_exceeds_scope", f"trash count {count} exceeds the {len(scope)} deleted rows "
                                f"in scope", query_keys=",".join(sorted(k for k, _ in query))))
    elif count is not None and not filtered and count != len(scope):
        findings.append(finding("count_differs", f"unfiltered trash count {count} != {len(scope)} deleted rows in scope"))
    return findings


def check_delete_is_soft(exchange: Exchange, resource: Any, pk: str, before: Mapping[str, Any] | None,
                         after: Mapping[str, Any] | None, detail_after: Exchange | None,
                         trash_ids: Mapping[str, Sequence[str]], deleter_tenant: str | None) -> list[Finding]:
    """An accepted DELETE keeps the row marked deleted, hides it, and trashes it for its own tenant only.

    ``trash_ids`` maps a tenant id to the ids its members' trash listing showed after the delete.
    """
    if before is None or exchange.status >= 500:
        return []
    judged(catalog.SOFT_DELETE_DELETE_IS_SOFT)
    findings = []

    def finding(problem: str, message: str) -> Finding:
        return Finding(catalog.SOFT_DELETE_DELETE_IS_SOFT, message, observed=problem, expected="soft delete",
                       exchanges=tuple(e for e in (exchange, detail_after) if e is not None),
                       facts=exchange_facts(exchange, with_method=True, problem=problem))

    accepted = 200 <= exchange.status < 300
    if not accepted:
        if after is None or (after.get("deleted_at") != before.get("deleted_at")):
            findings.append(finding("refused_but_changed", f"DELETE {pk[:8]} was refused ({exchange.status}) "
                                    "but the row changed"))
        return findings
    if after is None:
        return [finding("row_removed", f"DELETE {pk[:8]} removed the row of a soft-delete model")]
    if after.get("deleted_at") is None:
        findings.append(finding("not_marked", f"DELETE {pk[:8]} answered {exchange.status} but deleted_at is unset"))
    if detail_after is not None and detail_after.status != 404:
        findings.append(finding("still_visible", f"after DELETE, GET {pk[:8]} answers {detail_after.status}"))
    column = tenant_column(resource)
    owner = str(after.get(column)) if column else None
    for tenant, ids in trash_ids.items():
        listed = pk in ids
        if owner is not None and tenant == owner and not listed and after.get("deleted_at") is not None:
            findings.append(finding("not_in_trash", f"deleted {pk[:8]} is missing from its tenant's trash"))
        if owner is not None and tenant != owner and listed:
            findings.append(finding("in_foreign_trash", f"deleted {pk[:8]} shows in another tenant's trash"))
    return findings
