"""Property bodies for authorization and tenant isolation, the stateful machine included.

:class:`TenantModel` is the suite's own record of who owns what: every row id of every
resource with its tenant and foreign keys, updated only by operations the app
reported as successful. :class:`TenantMachine` (run by ``fuzz/test_authz.py``) draws the
steps of :class:`TenantSession`; :func:`anonymous_sweep` and :func:`declared_sweep` go over the
whole route inventory once; ``tests/authz`` calls the bodies against planted faults.

The model keeps its rows in a deterministic order (seeded rows by id, then created rows in
the order they were created), and the machine draws positions in that order, never values
read back from the database: ids the app generates differ on every run, so a draw over them
would pick a different row when Hypothesis replays or shrinks an example.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import unquote_plus

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fuzz import catalog
from fuzz.findings import Finding, replayable, with_facts, with_replay
from fuzz.judging import judge
from fuzz.oracles import authz
from fuzz.oracles.http import check_no_leak, check_responds_in_time, run_exchange_checks
from fuzz.oracles.context import OracleContext
from targets.base import FieldSpec, ResourceSpec, TargetInfo
from targets.routes import RouteInfo
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

MISSING_ID = "00000000-0000-4000-8000-00000000dead"
SAMPLE = {"string": "aksara-fuzz", "text": "aksara-fuzz", "email": "fuzz@example.com", "url": "https://example.com",
          "slug": "aksara-fuzz", "integer": 1, "bigint": 1, "smallint": 1, "decimal": "1.00", "float": 1.5,
          "boolean": False, "date": "2026-01-01", "datetime": "2026-01-01T00:00:00+00:00", "json": {"k": "v"}}


@dataclass
class TenantModel:
    """Rows per resource: id -> (tenant id or None, {fk column: referenced id})."""

    rows: dict[str, dict[str, tuple[str | None, dict[str, str]]]] = field(default_factory=dict)
    created: int = 0  # rows created so far: numbers the deterministic labels of create bodies
    # (resource, fk column) -> the foreign key's ON DELETE action in the schema (pg_constraint.confdeltype:
    # c cascade, n set null, d set default, r restrict, a no action)
    on_delete: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_db(cls, live: LiveTarget) -> "TenantModel":
        model = cls()
        by_table: dict[str, dict] = {}
        for resource in live.info.resources:
            if resource.table in by_table:
                # a second viewset of the same model: one set of rows, whichever route writes them
                model.rows[resource.name] = by_table[resource.table]
                continue
            fks = [f.column for f in resource.fields if f.kind == "fk"]
            tenant = next((f.column for f in resource.fields if f.tenant), "tenant_id")  # org_id, ... too
            columns = ["id"] + ([tenant] if resource.tenant_scoped else []) + fks
            select = ", ".join(f'"{c}"' for c in columns)
            # a soft-deleted row is deleted for every route of the app (it stays in the table)
            alive = ' WHERE "deleted_at" IS NULL' if resource.soft_delete else ""
            rows = live.run(live.db.conn.fetch(f'SELECT {select} FROM public."{resource.table}"{alive} ORDER BY "id"'))
            model.rows[resource.name] = by_table[resource.table] = {
                str(r["id"]): (str(r[tenant]) if resource.tenant_scoped and r[tenant] else None,
                               {c: str(r[c]) for c in fks if r[c] is not None})
                for r in rows
            }
            if fks:
                actions = live.run(live.db.conn.fetch(
                    "SELECT a.attname AS column, c.confdeltype::text AS action FROM pg_constraint c "
                    "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                    "WHERE c.contype = 'f' AND c.conrelid = $1::regclass", f'public."{resource.table}"'))
                model.on_delete.update({(resource.name, r["column"]): r["action"] for r in actions})
        return model

    def tenants(self, resource: str) -> dict[str, str | None]:
        """Row id -> tenant, in the model's order (seeded rows by id, then created rows as created)."""
        return {i: t for i, (t, _) in self.rows[resource].items()}

    def ordered(self, resource: str) -> list[tuple[str, str | None]]:
        """(row id, tenant) pairs in the model's order: what the machine draws positions from."""
        return list(self.tenants(resource).items())

    def next_label(self) -> str:
        """A label for the next created row that is the same on every replay of the example."""
        self.created += 1
        return f"r{self.created}"

    def delete(self, info: TargetInfo, resource: ResourceSpec, row_id: str) -> None:
        """Remove a row and what its foreign keys' ON DELETE actions do to the rows referencing it
        (cascade: deleted; set null or default: the reference dropped)."""
        self.rows[resource.name].pop(row_id, None)
        for other in info.resources:
            for fk in (f for f in other.fields if f.kind == "fk" and f.fk_target == resource.name):
                action = self.on_delete.get((other.name, fk.column), "c")
                for child, (_, refs) in list(self.rows[other.name].items()):
                    if refs.get(fk.column) != row_id:
                        continue
                    if action == "c":
                        self.delete(info, other, child)
                    elif action in ("n", "d"):
                        refs.pop(fk.column, None)


def tenant_of(live: LiveTarget, principal: str) -> str | None:
    spec = live.info.principal(principal)
    return live.info.tenants.get(spec.tenant) if spec.tenant else None


def update_field(resource: ResourceSpec) -> FieldSpec | None:
    """A plain text field every client may write (for harmless updates)."""
    return next((f for f in resource.fields if f.kind in ("string", "text") and f.writable_by_clients
                 and f.ai_writable and not f.choices and not f.unique and not f.ai_sensitive), None)


def create_body(resource: ResourceSpec, model: TenantModel, references: dict[str, str],
                label: str = "r0") -> dict[str, Any]:
    """A minimal valid create body: required writable fields, foreign keys from ``references``.

    Unique values are derived from ``label`` (not random), so a replayed example sends the same body."""
    body: dict[str, Any] = {}
    for spec in resource.fields:
        if not spec.writable_by_clients or spec.nullable or spec.has_default:
            continue
        if spec.kind == "fk":
            if spec.fk_target in references:
                body[spec.column] = references[spec.fk_target]
            continue
        if spec.choices:
            body[spec.name] = spec.choices[0]
        elif spec.kind in SAMPLE:
            value = SAMPLE[spec.kind]
            body[spec.name] = f"{value}-{label}" if spec.unique and isinstance(value, str) else value
        elif spec.kind == "uuid":
            body[spec.name] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aksara-fuzz:{resource.name}:{label}"))
    return body


def _operation(resource: ResourceSpec, operation: str, row_id: str) -> tuple[str, str, Any, str]:
    detail = resource.detail_path(row_id)
    if operation == "read":
        return "GET", detail, None, resource.detail_path("{pk}")
    if operation == "update":
        spec = update_field(resource)
        return "PATCH", detail, {spec.name: "aksara-fuzz-update"} if spec else {}, resource.detail_path("{pk}")
    if operation == "delete":
        return "DELETE", detail, None, resource.detail_path("{pk}")
    action = next(a for a in resource.actions if a.name == operation)
    return action.methods[0], action.path.replace("{pk}", row_id), {} if action.methods[0] != "GET" else None, action.path


def operations(resource: ResourceSpec) -> list[str]:
    return ["read", "update", "delete"] + [a.name for a in resource.actions if a.detail]


def act(live: LiveTarget, principal: str, resource: ResourceSpec, operation: str, row_id: str) -> Exchange:
    method, path, body, route = _operation(resource, operation, row_id)
    return live.request(principal, method, path, json_body=body, route=route)


def replay_as_others(live: LiveTarget, exchange: Exchange, resource: ResourceSpec, row_tenant: str | None,
                     principals: Sequence[str]) -> list[Finding]:
    """Autorize-style: a successful read replayed as every other principal gets only its rights.

    Another tenant's principal, a tenant-less principal (tenant-scoped rows) and anonymous callers
    (when the original caller was authenticated and the route is not public) must be denied, with
    the status a missing id gets."""
    findings: list[Finding] = []
    if exchange.status != 200 or not resource.tenant_scoped:
        return findings
    missing_path = exchange.path.rsplit("/", 1)[0] + "/" + MISSING_ID
    for other in principals:
        if other == exchange.principal or tenant_of(live, other) == row_tenant:
            continue
        again = live.request(other, exchange.method, exchange.path, route=exchange.route)
        missing = live.request(other, exchange.method, missing_path, route=exchange.route)
        findings += authz.check_cross_tenant_denied(again, missing, [], "replayed_read")
    return findings


def lookup_of(resource: ResourceSpec, operation: str) -> str:
    """How the route finds the row: ``generated`` (Aksara's retrieve/update/delete look it up by pk),
    ``action_object_check`` (a detail ``@action`` one of whose permissions overrides ``has_object_permission``:
    Aksara loads the row by pk and decides on it before the handler, api/actions.md) or ``action`` (the
    handler's own lookup)."""
    if operation in ("read", "update", "delete"):
        return "generated"
    action = next((a for a in resource.actions if a.name == operation and a.detail), None)
    if action is not None and any(getattr(p, "object_level", False) for p in action.permissions):
        return "action_object_check"
    return "action"


def cross_tenant(live: LiveTarget, principal: str, resource: ResourceSpec, operation: str, row_id: str) -> list[Finding]:
    """``operation`` on another tenant's row: denied exactly like a missing row, nothing changes."""
    missing = act(live, principal, resource, operation, MISSING_ID)
    before = live.fingerprint()
    exchange = act(live, principal, resource, operation, row_id)
    changed = live.changed_since(before)
    return authz.check_cross_tenant_denied(exchange, missing, changed, operation,
                                           lookup=lookup_of(resource, operation))


LIST_HINTS = ("none", "header", "query", "ordering", "search", "cursor")


def list_as(live: LiveTarget, principal: str, resource: ResourceSpec, hint: str, other_tenant: str | None,
            model: TenantModel) -> list[Finding]:
    """A list with a tenant hint pointing elsewhere returns only the principal's tenant's rows."""
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    if hint == "header" and other_tenant:
        headers = [("x-tenant-id", other_tenant)]
    elif hint == "query" and other_tenant:
        query = [("tenant_id", other_tenant)]
    elif hint == "ordering":
        query = [("ordering", "tenant_id")]
    elif hint == "search" and resource.search_fields:
        query = [("search", "a")]
    elif hint == "cursor" and resource.paginator == "cursor":
        foreign = [i for i, t in model.ordered(resource.name) if t == other_tenant]
        if foreign:
            from strategies.query import forged_cursor

            query = [("cursor", forged_cursor({"id": foreign[0]}))]
    exchange = live.request(principal, "GET", resource.list_path, query=query, headers=headers,
                            route=resource.list_path)
    tenant = tenant_of(live, principal)
    if tenant is None:
        return authz.check_tenant_required(exchange, "list") if resource.tenant_scoped else []
    if not resource.tenant_scoped:
        return []
    return authz.check_list_own_tenant(exchange, model.tenants(resource.name), tenant, hint)


PRIVILEGED_KINDS = ("ai", "admin", "studio", "other")


def least_privileged(info: TargetInfo) -> str | None:
    """An authenticated human principal with neither staff rights nor a tenant, if the target has one."""
    for spec in info.principals:
        if spec.kind == "user" and spec.tenant is None:
            return spec.name
    return None


def follow_redirects(live: LiveTarget, exchange: Exchange, principal: str) -> tuple[list[Exchange], Exchange]:
    """Follow same-site redirects that do not ask for a login (as a client would, as the same caller).

    Returns the 3xx exchanges passed through and the exchange the chain ends on. 307/308 repeat the
    method and body; the others continue with GET. A login redirect, an off-site one, a loop or more
    than ``MAX_REDIRECTS`` hops end the chain."""
    chain: list[Exchange] = []
    seen = {exchange.path + "?" + exchange.query_string()}
    while not authz.is_login_redirect(exchange) and len(chain) < authz.MAX_REDIRECTS:
        location = authz.redirect_location(exchange)
        if location is None or location in seen:
            break
        seen.add(location)
        path, _, query = location.partition("?")
        keep = exchange.status in (307, 308)
        pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
        chain.append(exchange)
        exchange = live.request(principal, exchange.method if keep else "GET", path,
                                query=[(unquote_plus(k), unquote_plus(v)) for k, v in pairs],
                                content=exchange.body if keep else None, route=path)
    return chain, exchange


def route_requires_auth(live: LiveTarget, route: RouteInfo, ids: dict[str, str], principal: str = "anonymous") -> list[Finding]:
    """A caller without rights on a non-public route is rejected before anything else (a redirect is
    followed to where it ends; a redirect to a login page is a refusal)."""
    body = {} if route.method in ("POST", "PUT", "PATCH") else None
    first = live.request(principal, route.method, route.fill(ids), json_body=body, route=route.path)
    redirects, exchange = follow_redirects(live, first, principal)
    changed = live.changes()
    live.reset()
    findings = authz.check_route_requires_auth(exchange, route.kind, principal, redirects)
    if changed and route.method not in ("GET",) and not route.public:
        findings += authz.check_anonymous_no_write(first, changed)
    # a 5xx is this property's "error" problem: only the leak oracle is added, on every hop of the chain
    context = OracleContext(live.info)
    return findings + [f for e in (*redirects, exchange)
                       for f in run_exchange_checks(e, context, checks=(check_no_leak, check_responds_in_time))]


def db_state(live: LiveTarget) -> dict[str, dict[str, str | None]]:
    return {name: {i: t for i, (t, _) in rows.items()} for name, rows in TenantModel.from_db(live).rows.items()}


def route_call(live: LiveTarget, method: str, route: str, ids: dict[str, str], principal: str = "anonymous",
               routes: Sequence[RouteInfo] | None = None) -> list[Finding]:
    """:func:`route_requires_auth` on the route the app serves as ``method route`` (nothing when it is gone).

    ``routes`` is the app's inventory when the caller already has it (a replay reads it afresh)."""
    from targets.routes import inventory

    served = routes if routes is not None else inventory(live.app, live.info)
    found = next((r for r in served if r.method == method and r.path == route), None)
    if found is None:
        return []
    findings = with_facts(route_requires_auth(live, found, ids, principal), route_kind=found.kind,
                          target_profile=live.info.profile, declared_permissions=permission_fact(found.permissions))
    return with_replay(findings, "authz", "route_call", method=method, route=route, ids=ids, principal=principal)


def permission_fact(permissions: Sequence[Any] | None) -> str:
    """The permission classes a route declares, as a fact: their names, ``none`` for an empty list, or ``""``
    for a route that is not a viewset's."""
    if permissions is None:
        return ""
    return ",".join(getattr(p, "name", type(p).__name__) for p in permissions) or "none"


# -- the stateful machine's steps, as plain calls ------------------------------------------------------

SKIPPED_KINDS = ("system", "ai_agent")  # trusted / covered through MCP by the MCP properties


@dataclass
class TenantSession:
    """Principals create, read, list, update, delete and act; the model tracks who owns what.

    Each step is recorded (``steps``) and every finding carries all the steps so far, so a replay
    (:func:`machine_steps`) runs the same sequence from the seed.
    """

    live: LiveTarget
    principals: list[str]
    model: TenantModel
    steps: list[dict[str, Any]] = field(default_factory=list)
    last: Any = None

    @classmethod
    def start(cls, live: LiveTarget) -> "TenantSession":
        live.reset()
        principals = [p.name for p in live.info.principals if p.kind not in SKIPPED_KINDS]
        return cls(live, principals, TenantModel.from_db(live))

    def _judged(self, findings: list[Finding], step: dict[str, Any] | None, **facts: str) -> list[Finding]:
        if step is not None:
            self.steps.append(step)
        if "resource" in facts:
            facts["declared_permissions"] = permission_fact(self.live.info.resource(facts["resource"]).permissions)
        findings = with_facts(findings, target_profile=self.live.info.profile, **facts)
        return with_replay(findings, "authz", "machine_steps", steps=tuple(dict(s) for s in self.steps))

    def create(self, resource: ResourceSpec, principal: str, references: dict[str, str]) -> list[Finding]:
        """A create with foreign keys to ``references``: anonymous, tenant-less and cross-tenant ones are refused."""
        live = self.live
        tenant = tenant_of(live, principal)
        body = create_body(resource, self.model, references, self.model.next_label())
        sent = {f.fk_target for f in resource.fields if f.kind == "fk" and f.column in body}
        foreign_ref = False
        for target, ref_id in references.items():  # only the references the body carries
            ref_tenant = self.model.tenants(target).get(ref_id)
            foreign_ref |= target in sent and ref_tenant is not None and ref_tenant != tenant
        before = live.fingerprint()
        exchange = live.request(principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
        changed = live.changed_since(before)
        self.last = exchange
        findings: list[Finding] = []
        kind = live.info.principal(principal).kind
        if kind == "anonymous":
            if not live.info.is_public("POST", resource.list_path):  # a route the target declares open to anyone
                findings += authz.check_anonymous_no_write(exchange, changed)
        elif resource.tenant_scoped and tenant is None:
            findings += authz.check_tenant_required(exchange, "create")
        elif foreign_ref and exchange.status < 400:
            findings += authz.check_cross_tenant_denied(exchange, exchange, [], "reference")
        created_id = None
        if exchange.status == 201:
            created = exchange.response_json() or {}
            fks = {f.column: str(created.get(f.column)) for f in resource.fields
                   if f.kind == "fk" and created.get(f.column)}
            created_id = str(created.get("id"))
            self.model.rows[resource.name][created_id] = (tenant if resource.tenant_scoped else None, fks)
        step = {"rule": "create", "resource": resource.name, "principal": principal, "references": dict(references),
                "created": created_id}
        return self._judged(findings, step, principal_kind=kind, resource=resource.name)

    def act(self, resource: ResourceSpec, row_id: str, principal: str, operation: str) -> list[Finding]:
        """Read, update, delete or a detail action on a row: foreign rows denied like missing ones."""
        live = self.live
        row_tenant = self.model.tenants(resource.name).get(row_id)
        tenant = tenant_of(live, principal)
        kind = live.info.principal(principal).kind
        step = {"rule": "act", "resource": resource.name, "row_id": row_id, "principal": principal,
                "operation": operation}
        if resource.tenant_scoped and row_tenant != tenant:
            findings = cross_tenant(live, principal, resource, operation, row_id)
            if operation == "delete" and any(f.facts.get("problem") == "allowed" for f in findings):
                self.model.delete(live.info, resource, row_id)  # a known defect let it through
            return self._judged(findings, step, principal_kind=kind, resource=resource.name, operation=operation)
        before = live.fingerprint()
        exchange = act(live, principal, resource, operation, row_id)
        changed = live.changed_since(before)
        self.last = exchange
        findings: list[Finding] = []
        if operation == "read":
            findings += replay_as_others(live, exchange, resource, row_tenant, self.principals)
        if kind == "anonymous" and operation != "read" and not live.info.is_public(exchange.method, exchange.route):
            findings += authz.check_anonymous_no_write(exchange, changed)
        if operation == "delete" and exchange.status < 300:
            self.model.delete(live.info, resource, row_id)
        return self._judged(findings, step, principal_kind=kind, resource=resource.name, operation=operation)

    def list_rows(self, resource: ResourceSpec, principal: str, hint: str) -> list[Finding]:
        """A list with a tenant hint pointing at another tenant returns only the principal's rows."""
        live = self.live
        others = [t for t in live.info.tenants.values() if t != tenant_of(live, principal)]
        findings = list_as(live, principal, resource, hint, others[0] if others else None, self.model)
        step = {"rule": "list", "resource": resource.name, "principal": principal, "hint": hint}
        return self._judged(findings, step, principal_kind=live.info.principal(principal).kind,
                            resource=resource.name)

    def check_model(self) -> list[Finding]:
        """The database holds exactly the rows the model of allowed operations says."""
        expected = {name: {i: t for i, (t, _) in rows.items()} for name, rows in self.model.rows.items()}
        return self._judged(authz.check_state_matches_model(expected, db_state(self.live), self.last), None)


def machine_steps(live: LiveTarget, steps: Sequence[dict[str, Any]]) -> list[Finding]:
    """The machine's recorded ``steps`` again from the seed (ids the original run created are mapped to
    the ones created now); the findings of the last step and of the invariant after it."""
    session = TenantSession.start(live)
    renamed: dict[str, str] = {}
    findings: list[Finding] = []
    for step in steps:
        resource = live.info.resource(step["resource"])
        if step["rule"] == "create":
            references = {k: renamed.get(v, v) for k, v in step["references"].items()}
            findings = session.create(resource, step["principal"], references)
            new = session.steps[-1]["created"]
            if step.get("created") and new:
                renamed[step["created"]] = new
        elif step["rule"] == "act":
            findings = session.act(resource, renamed.get(step["row_id"], step["row_id"]), step["principal"],
                                   step["operation"])
        else:
            findings = session.list_rows(resource, step["principal"], step["hint"])
    return findings + session.check_model()


class TenantMachine(RuleBasedStateMachine):
    """Draws the steps of :class:`TenantSession`; every finding carries the steps so far.

    ``live`` is the started target, set on the class before the machine runs."""

    live: LiveTarget | None = None

    def __init__(self) -> None:
        super().__init__()
        self.session = TenantSession.start(self.live)
        self.resources = list(self.live.info.resources)

    def _report(self, findings: list[Finding]) -> None:
        judge(findings)

    @rule(data=st.data())
    def create(self, data: st.DataObject) -> None:
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        principal = data.draw(st.sampled_from(self.session.principals), label="principal")
        references = {}
        for fk in (f for f in resource.fields if f.kind == "fk" and f.fk_target):
            candidates = self.session.model.ordered(fk.fk_target)
            if not candidates:
                return
            ref_id, _ = data.draw(st.sampled_from(candidates), label=f"{fk.name} reference")
            references[fk.fk_target] = ref_id
        self._report(self.session.create(resource, principal, references))

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        rows = self.session.model.ordered(resource.name)
        if not rows:
            return
        row_id, _ = data.draw(st.sampled_from(rows), label="row")
        principal = data.draw(st.sampled_from(self.session.principals), label="principal")
        operation = data.draw(st.sampled_from(operations(resource)), label="operation")
        self._report(self.session.act(resource, row_id, principal, operation))

    @rule(data=st.data())
    def list_rows(self, data: st.DataObject) -> None:
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        principal = data.draw(st.sampled_from(self.session.principals), label="principal")
        hint = data.draw(st.sampled_from(LIST_HINTS), label="tenant hint")
        self._report(self.session.list_rows(resource, principal, hint))

    @invariant()
    def database_matches_model(self) -> None:
        self._report(self.session.check_model())


# -- the route inventory as an anonymous caller ----------------------------------------------------------

def protected_routes(live: LiveTarget) -> list[RouteInfo]:
    """The inventory's non-public routes (the MCP endpoint aside, judged by the MCP properties)."""
    from targets.routes import inventory

    return [r for r in inventory(live.app, live.info) if not r.public and r.kind != "mcp"]


def sample_ids(live: LiveTarget) -> dict[str, str]:
    """Path ids a route's ``{pk}`` is filled with: the first seeded row of the first resource."""
    model = TenantModel.from_db(live)
    return {"pk": next(iter(model.rows[live.info.resources[0].name]))}


def anonymous_sweep(live: LiveTarget, routes: Sequence[RouteInfo], ids: dict[str, str]) -> list[Finding]:
    """Each (method, route) once as an anonymous caller, and as the least privileged one on privileged kinds."""
    from fuzz.sweep import count as count_sweep

    weakest = least_privileged(live.info)
    findings: list[Finding] = []
    calls = 0
    for route in routes:
        callers = ["anonymous"] + ([weakest] if weakest and route.kind in PRIVILEGED_KINDS else [])
        for caller in callers:
            findings += route_call(live, route.method, route.path, ids, caller, routes)
            calls += 1
    count_sweep(catalog.AUTHZ_ROUTE_REQUIRES_AUTH, calls, calls)
    return findings


# -- declared permissions: every principal x route x method against the model --------------------------

def declared_routes(live: LiveTarget) -> list[RouteInfo]:
    """The inventory's routes that declare permission classes (viewset routes), in inventory order."""
    from targets.routes import inventory

    return [r for r in inventory(live.app, live.info) if r.permissions is not None and r.kind != "mcp"]


def _own_row(model: TenantModel, resource: str, tenant: str | None) -> str | None:
    """The first row (model order) of the caller's tenant, else the first row: what a detail route is asked for."""
    rows = model.ordered(resource)
    mine = [i for i, t in rows if t is None or t == tenant]
    return (mine or [i for i, _ in rows] or [None])[0]


def declared_request(live: LiveTarget, route: RouteInfo, principal: str, model: TenantModel
                     ) -> tuple[list[Exchange], Exchange]:
    """``principal``'s request on ``route``: a detail route on a row of its own tenant, a write with a body that
    passes validation (a create's minimal valid body, an update of one plain field), so the permission layer
    decides; redirects followed; the database reset after anything that changed it."""
    resource = live.info.resource_at(route.path)
    tenant = tenant_of(live, principal)
    ids: dict[str, str] = {}
    body: Any = None
    if resource is not None:
        row = _own_row(model, resource.name, tenant)
        if row:
            ids["pk"] = row
        if route.method == "POST" and route.path == resource.list_path:
            references = {f.fk_target: ref for f in resource.fields if f.kind == "fk" and f.fk_target
                          for ref in [_own_row(model, f.fk_target, tenant)] if ref}
            body = create_body(resource, model, references, f"perm-{principal}")
        elif route.method in ("PATCH", "PUT") and route.path == resource.detail_path("{pk}"):
            spec = update_field(resource)
            body = {spec.name: "aksara-fuzz-update"} if spec else {}
    if body is None and route.method in ("POST", "PUT", "PATCH"):
        body = {}
    first = live.request(principal, route.method, route.fill(ids), json_body=body, route=route.path)
    redirects, exchange = follow_redirects(live, first, principal)
    if route.method != "GET" or live.changes():
        live.reset()
    return [*redirects], exchange


def declared_permissions(live: LiveTarget, route: RouteInfo, model: TenantModel | None = None,
                         principals: Sequence[str] | None = None) -> list[Finding]:
    """Every principal on ``route`` is answered as the route's declared permission classes say; where an
    application class decides, its answers are consistent and monotone in privilege."""
    from fuzz.oracles import permissions as perms

    model = model or TenantModel.from_db(live)
    names = list(principals) if principals is not None else [p.name for p in live.info.principals]
    findings: list[Finding] = []
    answers: dict[str, tuple[Any, Any]] = {}
    for name in names:
        spec = live.info.principal(name)
        caller = perms.Caller.of(spec.kind, spec.scopes, tenant=spec.tenant is not None)
        redirects, exchange = declared_request(live, route, name, model)
        answers[name] = (caller, exchange)
        found = perms.check_declared_permission(exchange, route.path, route.permissions, caller, name,
                                                route.ai_exposed, redirects)
        context = OracleContext(live.info)
        found += [f for e in (*redirects, exchange) for f in run_exchange_checks(e, context, checks=(check_no_leak,))]
        findings += with_replay(with_facts(found, route_kind=route.kind, target_profile=live.info.profile),
                                "authz", "declared_call", method=route.method, route=route.path, principals=(name,))
    consistency = perms.check_opaque_consistency(route.path, route.method, route.permissions, answers)
    findings += with_replay(with_facts(consistency, route_kind=route.kind, target_profile=live.info.profile),
                            "authz", "declared_call", method=route.method, route=route.path,
                            principals=tuple(sorted(answers)))
    return findings


def declared_call(live: LiveTarget, method: str, route: str, principals: Sequence[str] = ()) -> list[Finding]:
    """:func:`declared_permissions` on the route the app serves as ``method route`` (nothing when it is gone)."""
    found = next((r for r in declared_routes(live) if r.method == method and r.path == route), None)
    if found is None:
        return []
    live.reset()
    return declared_permissions(live, found, principals=list(principals) or None)


def declared_sweep(live: LiveTarget) -> list[Finding]:
    """Every principal on every route that declares permission classes, from the seed, once."""
    from fuzz.sweep import count as count_sweep

    live.reset()
    findings: list[Finding] = []
    routes = declared_routes(live)
    for route in routes:
        findings += declared_permissions(live, route)
    combinations = len(routes) * len(live.info.principals)
    count_sweep(catalog.AUTHZ_DECLARED_PERMISSIONS, combinations, combinations)
    return findings


# -- registering a module's viewsets (authz.discovery_exact) -----------------------------------------------------

def _plain_app(**kwargs: Any) -> Any:
    from aksara import Aksara

    return Aksara(database_url=None, debug=False, enable_admin=False, **{"auto_discover_views": False, **kwargs})


@replayable("authz", env=("live",))
def discovery_exact(live: LiveTarget, form: str) -> list[Finding]:
    """Put the live target's own viewset classes in a module of a package of their own (as an application's
    ``views`` module imports them), beside the base ``ModelViewSet`` and a plain class, register that module the way
    ``form`` says on a fresh app (no database), and compare with an app that includes each class by hand."""
    import importlib
    import os
    import sys
    import types

    from aksara.api.viewsets import ModelViewSet

    from targets.client import settings_as
    from targets.derive import app_viewsets
    from targets.routes import route_set

    api = importlib.import_module("aksara.api")
    helpers = {"discover": "discover_viewsets", "include_app": "include_app_viewsets",
               "include_all": "include_all_app_viewsets", "missing_module": "include_app_viewsets",
               "auto_discover": "include_viewset"}
    if not hasattr(api, helpers[form]):
        return []  # the release lacks this helper
    viewsets = app_viewsets(live.app)
    if not viewsets:
        return []  # an app whose routes name no viewset: nothing to register (judged nothing)
    package = f"fuzz_discovery_{os.getpid()}"
    module = types.ModuleType(f"{package}.views")
    module.__dict__.update({f"Registered{i}{vs.__name__}": vs for i, vs in enumerate(viewsets)},
                           ModelViewSet=ModelViewSet, NotAViewSet=type("NotAViewSet", (), {}))
    parent = types.ModuleType(package)
    parent.__path__ = []
    sys.modules[package], sys.modules[f"{package}.views"] = parent, module
    try:
        with settings_as(apps=[package]):
            base = route_set(_plain_app())
            by_hand = _plain_app()
            for viewset in viewsets:
                api.include_viewset(by_hand, viewset)
            wanted = route_set(by_hand) - base
            found: list[type] | None = None
            if form == "auto_discover":
                app = _plain_app(auto_discover_views=True, views_module=f"{package}.views")
            else:
                app = _plain_app()
                if form == "discover":
                    found = api.discover_viewsets(module)
                    for viewset in found:
                        api.include_viewset(app, viewset)
                elif form == "include_app":
                    found = api.include_app_viewsets(app, package, "views")
                elif form == "include_all":
                    found = api.include_all_app_viewsets(app, "views").get(package, [])
                else:
                    found = api.include_app_viewsets(app, f"{package}_missing", "views")
                    wanted = frozenset()
            served = route_set(app) - base
    finally:
        sys.modules.pop(package, None)
        sys.modules.pop(f"{package}.views", None)
    declared = [] if form == "missing_module" else [vs.__name__ for vs in viewsets]
    return authz.check_discovery_exact(form, None if found is None else [vs.__name__ for vs in found], declared,
                                       served, wanted)
