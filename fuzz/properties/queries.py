"""Property bodies for the query surface: one example each, returning findings.

:class:`QueryWorld` holds what the oracles compare against: the seeded rows as the
database owner sees them, the database's collation, and which principals have a
well-defined visible set (a tenant, or any principal for a global resource).
Principals without a tenant on tenant-scoped resources are the subject of the
tenant-isolation properties, not of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from aksara.db import debug as query_log

from fuzz.findings import Finding, replayable, with_facts
from fuzz.oracles import queries as oracles
from fuzz.oracles.http import run_exchange_checks
from fuzz.oracles.context import OracleContext
from fuzz.query_shape import query_shape
from fuzz.oracles.pg_model import Collation, order_rows, predicate, search_predicate, visible_rows
from targets.base import ResourceSpec
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

PAGE_PARAMS = {"limit_offset": ("limit", "offset"), "page_number": ("size", "page"), "cursor": ("page_size", "cursor")}
MAX_PAGES = 300


@dataclass
class QueryWorld:
    """Seeded rows, collation and principals the query oracles reason about."""

    live: LiveTarget
    rows: dict[str, list[dict]]
    collation: Collation
    context: OracleContext
    principals: dict[str, str | None] = field(default_factory=dict)  # name -> tenant id (None: global only)

    def __repr__(self) -> str:
        return f"<QueryWorld {', '.join(f'{k}: {len(v)}' for k, v in self.rows.items())}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @classmethod
    def build(cls, live: LiveTarget) -> "QueryWorld":
        info = live.info
        live.reset()  # the model's rows are the seed's (every example starts from it), whatever ran before
        rows = {r.name: live.run(live.db.fetch_rows(r.table)) for r in info.resources}
        record = live.run(live.db.conn.fetchrow(
            "SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()"))
        principals = {}
        for spec in info.principals:
            if spec.kind == "system":
                continue
            principals[spec.name] = info.tenants.get(spec.tenant) if spec.tenant else None
        return cls(live, rows, Collation(record["datcollate"], record["datctype"]), OracleContext(info), principals)

    listers: dict[str, list[str]] = field(default_factory=dict)  # resource -> principals the app lets list it

    def principals_for(self, resource: ResourceSpec) -> list[str]:
        """Principals with a well-defined visible set whom the app lets list ``resource`` at all (an unfiltered
        list answers neither 401 nor 403): who may list is the authorization properties' question."""
        if resource.name not in self.listers:
            if resource.tenant_scoped:
                candidates = sorted(n for n, t in self.principals.items() if t is not None)
            else:
                candidates = sorted(self.principals)
            self.listers[resource.name] = [
                name for name in candidates
                if self.live.request(name, "GET", resource.list_path, route=resource.list_path).status not in (401, 403)]
        return self.listers[resource.name]

    def visible(self, principal: str, resource: ResourceSpec) -> list[dict]:
        return visible_rows(self.rows[resource.name], resource, self.principals.get(principal))

    def hidden_fields(self, principal: str, resource: ResourceSpec) -> list[str]:
        spec = self.live.info.principal(principal)
        return [f.name for f in resource.fields if spec.is_ai and f.ai_sensitive]


def _ids(exchange: Exchange) -> tuple[list[str] | None, int | None, dict | None]:
    body = exchange.response_json() if exchange.status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return None, None, body
    ids = [str(r.get("id")) for r in body["results"] if isinstance(r, dict)]
    count = body.get("count")
    return ids, count if isinstance(count, int) else None, body


def list_all(world: QueryWorld, principal: str, resource: ResourceSpec,
             query: Sequence[tuple[str, str]]) -> tuple[Exchange, list[str] | None, int | None]:
    """One list request with the paginator's largest page (walking on when there is more)."""
    size_key, _ = PAGE_PARAMS.get(resource.paginator, ("limit", "offset"))
    page = [(size_key, str(resource.page_max))]
    exchange = world.live.request(principal, "GET", resource.list_path, query=[*query, *page],
                                  route=resource.list_path)
    ids, count, body = _ids(exchange)
    if ids is None or count is None or len(ids) >= count or resource.paginator == "custom":
        return exchange, ids, count
    exchanges, pages, _ = walk_pages(world, principal, resource, query, resource.page_max)
    return exchanges[-1], [i for p in pages for i in p], count


def walk_pages(world: QueryWorld, principal: str, resource: ResourceSpec, query: Sequence[tuple[str, str]],
               page_size: int) -> tuple[list[Exchange], list[list[str]], list[int | None]]:
    """Every page of the route's paginator at ``page_size``."""
    size_key, position_key = PAGE_PARAMS.get(resource.paginator, ("limit", "offset"))
    exchanges: list[Exchange] = []
    pages: list[list[str]] = []
    counts: list[int | None] = []
    position: Any = 0 if resource.paginator == "limit_offset" else 1
    for _ in range(MAX_PAGES):
        params = [*query, (size_key, str(page_size))]
        if resource.paginator == "cursor":
            if position not in (1, None):
                params.append((position_key, position))
        else:
            params.append((position_key, str(position)))
        exchange = world.live.request(principal, "GET", resource.list_path, query=params, route=resource.list_path)
        exchanges.append(exchange)
        ids, count, body = _ids(exchange)
        if ids is None:
            break
        pages.append(ids)
        counts.append(count)
        if resource.paginator == "cursor":
            position = (body or {}).get("next_cursor")
            if not position:
                break
        elif resource.paginator == "page_number":
            total_pages = (body or {}).get("total_pages")
            if not ids or (isinstance(total_pages, int) and position >= total_pages):
                break
            position += 1
        else:
            if not ids or (count is not None and position + page_size >= count):
                break
            position += page_size
    return exchanges, pages, counts


def _generic(exchanges: Sequence[Exchange], world: QueryWorld) -> list[Finding]:
    return [f for e in exchanges for f in run_exchange_checks(e, world.context)]


def _model_ids(world: QueryWorld, principal: str, resource: ResourceSpec, filters: Sequence[tuple[str, str]],
               ordering: Sequence[str] = ()) -> list[str]:
    rows = world.visible(principal, resource)
    for key, value in filters:
        if key == "search":
            test = search_predicate(resource, value, world.collation)
        else:
            test = predicate(resource, key, value, world.collation)
        rows = [r for r in rows if test(r)]
    if ordering:
        rows = order_rows(rows, resource, ordering, world.collation)
    return [str(r["id"]) for r in rows]


@replayable("queries", env=("world",), names=("resource",))
def filter_differential(world: QueryWorld, principal: str, resource: ResourceSpec,
                        filters: Sequence[tuple[str, str]]) -> list[Finding]:
    exchange, ids, count = list_all(world, principal, resource, filters)
    findings = _generic([exchange], world)
    if exchange.status == 500:
        return findings  # the generic oracle reports it (and the ledger may know it)
    findings += oracles.check_filter_differential(exchange, ids, count,
                                                  _model_ids(world, principal, resource, filters), filters)
    return findings


@replayable("queries", env=("world",), names=("resource",))
def partition(world: QueryWorld, principal: str, resource: ResourceSpec, key: str, value: str) -> list[Finding]:
    base, base_ids, _ = list_all(world, principal, resource, [])
    if base_ids is None:
        return []
    parts, exchanges = [], []
    for suffix, text in (("gt", value), ("lte", value), ("isnull", "true")):
        exchange, ids, _ = list_all(world, principal, resource, [(f"{key}__{suffix}", text)])
        exchanges.append(exchange)
        parts.append(ids)
    findings = _generic(exchanges, world)
    if any(e.status == 500 for e in exchanges):
        return findings
    return findings + oracles.check_partition(exchanges, parts, base_ids, key)


@replayable("queries", env=("world",), names=("resource",))
def pivot(world: QueryWorld, principal: str, resource: ResourceSpec, pivot_id: str,
          filters: Sequence[tuple[str, str]]) -> list[Finding]:
    exchange, ids, _ = list_all(world, principal, resource, filters)
    findings = _generic([exchange], world)
    if exchange.status == 500:
        return findings
    return findings + oracles.check_pivot(exchange, ids, pivot_id, filters)


@replayable("queries", env=("world",), names=("resource",))
def ordering(world: QueryWorld, principal: str, resource: ResourceSpec, terms: Sequence[str],
             filters: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    exchange, ids, _ = list_all(world, principal, resource, [*filters, ("ordering", ",".join(terms))])
    findings = _generic([exchange], world)
    if exchange.status == 500:
        return findings
    # only allowlisted terms order (docs/api/filtering.md: "Terms must be in ordering_fields"); others are ignored
    allowed = [t for t in terms if t.lstrip("-") in resource.ordering_fields]
    expected = _model_ids(world, principal, resource, filters, allowed)
    return findings + oracles.check_ordering(exchange, ids, expected, terms)


@replayable("queries", env=("world",), names=("resource",))
def page_walk(world: QueryWorld, principal: str, resource: ResourceSpec, page_size: int,
              filters: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    baseline, ids, _ = list_all(world, principal, resource, [])
    if ids is None:
        return []
    exchanges, pages, counts = walk_pages(world, principal, resource, filters, page_size)
    findings = _generic(exchanges, world)
    if any(e.status == 500 for e in exchanges):
        return findings
    ordering_terms = list(resource.default_ordering)
    ordered = bool(ordering_terms) and ordering_terms[-1].lstrip("-") == "id"
    expected = _model_ids(world, principal, resource, filters, ordering_terms if ordered else ())
    return findings + with_facts(
        oracles.check_page_walk(exchanges, pages, counts, expected, page_size, resource.paginator, ordered),
        resource=resource.name)


@replayable("queries", env=("world",), names=("resource",))
def injection_taint(world: QueryWorld, principal: str, resource: ResourceSpec,
                    query: Sequence[tuple[str, str]]) -> list[Finding]:
    """Send ``query`` while recording SQL; client values must stay out of statement text."""
    def logged(sent: Sequence[tuple[str, str]]) -> tuple[Exchange, list[str]]:
        log = query_log.QueryLog()
        previous, query_log._active_query_log = query_log._active_query_log, log
        try:
            sent_exchange = world.live.request(principal, "GET", resource.list_path, query=sent,
                                               route=resource.list_path)
        finally:
            query_log._active_query_log = previous
        return sent_exchange, [q.sql for q in log.queries]

    # statements the same request issues with no query at all (authentication, tenant context, ...)
    # carry no client value, whatever identifiers they spell
    _, baseline = logged(())
    exchange, statements = logged(query)
    allowed_terms = set(resource.ordering_fields) | {f.name for f in resource.fields}
    values = []
    for key, value in query:
        if key == "ordering":
            values += [t.strip().lstrip("-") for t in value.split(",")
                       if t.strip() and t.strip().lstrip("-") not in allowed_terms]
        elif key not in PAGE_PARAMS.get(resource.paginator, ()) and key not in ("limit", "offset"):
            values.append(value)
    intact = world.live.run(world.live.db.canary_intact())
    return _generic([exchange], world) + oracles.check_injection_taint(exchange, statements, values, intact,
                                                                       baseline=baseline)


def _summary(exchange: Exchange) -> tuple:
    ids, count, _ = _ids(exchange)
    return exchange.status, count, tuple(ids or ())


@replayable("queries", env=("world",), names=("resource",))
def side_channel(world: QueryWorld, principal: str, resource: ResourceSpec, hidden: str,
                 values: Sequence[str]) -> list[Finding]:
    """Filters and orderings on a field hidden from ``principal`` must not be observable."""
    baseline = world.live.request(principal, "GET", resource.list_path, route=resource.list_path)
    probes = [world.live.request(principal, "GET", resource.list_path, query=[(key, value)],
                                 route=resource.list_path)
              for value in values
              for key in (hidden, f"{hidden}__icontains", f"{hidden}__isnull")]
    probes.append(world.live.request(principal, "GET", resource.list_path, query=[("ordering", hidden)],
                                     route=resource.list_path))
    findings = oracles.check_side_channel(hidden, baseline, probes, _summary)
    return findings + _generic([baseline, *probes], world)


def with_example_facts(world: QueryWorld, principal: str, resource: ResourceSpec, findings: Sequence[Finding]) -> list[Finding]:
    """The findings with the facts ledger signatures match: query shape, principal kind, resource."""
    kind = world.live.info.principal(principal).kind
    shaped = [with_facts([f], query_shape=query_shape(resource, f.exchanges[-1].query))[0] if f.exchanges else f
              for f in findings]
    return with_facts(shaped, principal_kind=kind, resource=resource.name)
