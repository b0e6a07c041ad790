"""Authorization and tenant isolation over every route, as a stateful cross-principal machine.

Rules (threat-model risk covered):
- ``create`` as any principal, with foreign keys to own or other tenants' rows
  (broken object-level authorization, cross-tenant access);
- ``act`` — read, update, delete or a detail action on an own or foreign row
  (broken object-level authorization, cross-tenant access);
- ``list`` with tenant hints in a header, the query, ordering, search or a forged cursor
  (cross-tenant access; request tenant context vs trusted context);
- anonymous and tenant-less principals on every operation (broken authentication).
Invariants after every step: the database matches the model of allowed operations.
The route-inventory property checks every route the app serves as an anonymous caller
(Studio/admin exposure, broken authentication).
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fuzz.findings import COLLECTOR, report, with_facts
from fuzz.oracles import authz as oracles
from fuzz.profiles import scaled
from fuzz.properties import authz as props
from targets.routes import inventory

SKIPPED_KINDS = ("system", "ai_agent")  # trusted / covered through MCP by the MCP properties


@pytest.fixture(scope="module")
def routes(live_target):
    return [r for r in inventory(live_target.app, live_target.info) if not r.public and r.kind != "mcp"]


@pytest.fixture(scope="module")
def any_ids(live_target):
    model = props.TenantModel.from_db(live_target)
    return {"pk": next(iter(model.rows[live_target.info.resources[0].name]))}


def test_every_non_public_route_rejects_anonymous_callers(live_target, routes, any_ids):
    """Each (method, route) once: the whole inventory, not a sample; every route is checked before
    the findings are judged, so a finding on one route never stops the check of the others."""
    profile = live_target.info.profile
    weakest = props.least_privileged(live_target.info)
    findings = []
    for route in routes:
        callers = ["anonymous"] + ([weakest] if weakest and route.kind in props.PRIVILEGED_KINDS else [])
        for caller in callers:
            COLLECTOR.count_example("authz.route_requires_auth")
            findings += with_facts(props.route_requires_auth(live_target, route, any_ids, caller),
                                   route_kind=route.kind, target_profile=profile)
    report(findings)


class TenantMachine(RuleBasedStateMachine):
    """Principals create, read, list, update, delete and act; the model tracks who owns what."""

    live = None

    def __init__(self):
        super().__init__()
        self.live.reset()
        self.model = props.TenantModel.from_db(self.live)
        info = self.live.info
        self.principals = [p.name for p in info.principals if p.kind not in SKIPPED_KINDS]
        self.resources = list(info.resources)
        self.last = None

    def _report(self, findings, **facts):
        COLLECTOR.count_example("authz.machine")
        report(with_facts(findings, target_profile=self.live.info.profile, **facts))

    @rule(data=st.data())
    def create(self, data):
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        principal = data.draw(st.sampled_from(self.principals), label="principal")
        tenant = props.tenant_of(self.live, principal)
        references, foreign_ref = {}, False
        for fk in (f for f in resource.fields if f.kind == "fk" and f.fk_target):
            candidates = self.model.ordered(fk.fk_target)
            if not candidates:
                return
            ref_id, ref_tenant = data.draw(st.sampled_from(candidates), label=f"{fk.name} reference")
            references[fk.fk_target] = ref_id
            foreign_ref |= ref_tenant is not None and ref_tenant != tenant
        body = props.create_body(resource, self.model, references, self.model.next_label())
        before = self.live.fingerprint()
        exchange = self.live.request(principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
        changed = self.live.changed_since(before)
        self.last = exchange
        findings = []
        kind = self.live.info.principal(principal).kind
        if kind == "anonymous":
            findings += oracles.check_anonymous_no_write(exchange, changed)
        elif resource.tenant_scoped and tenant is None:
            findings += oracles.check_tenant_required(exchange, "create")
        elif foreign_ref and exchange.status < 400:
            findings += oracles.check_cross_tenant_denied(exchange, exchange, [], "reference")
        if exchange.status == 201:
            created = exchange.response_json() or {}
            fks = {f.column: str(created.get(f.column)) for f in resource.fields if f.kind == "fk" and created.get(f.column)}
            self.model.rows[resource.name][str(created.get("id"))] = (tenant if resource.tenant_scoped else None, fks)
        self._report(findings, principal_kind=kind, resource=resource.name)

    @rule(data=st.data())
    def act(self, data):
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        rows = self.model.ordered(resource.name)
        if not rows:
            return
        row_id, row_tenant = data.draw(st.sampled_from(rows), label="row")
        principal = data.draw(st.sampled_from(self.principals), label="principal")
        operation = data.draw(st.sampled_from(props.operations(resource)), label="operation")
        tenant = props.tenant_of(self.live, principal)
        kind = self.live.info.principal(principal).kind
        if resource.tenant_scoped and row_tenant != tenant:
            findings = props.cross_tenant(self.live, principal, resource, operation, row_id)
            if operation == "delete" and any(f.facts.get("problem") == "allowed" for f in findings):
                self.model.delete(self.live.info, resource, row_id)  # a known defect let it through
            self._report(findings, principal_kind=kind, resource=resource.name, operation=operation)
            return
        before = self.live.fingerprint()
        exchange = props.act(self.live, principal, resource, operation, row_id)
        changed = self.live.changed_since(before)
        self.last = exchange
        findings = []
        if operation == "read":
            findings += props.replay_as_others(self.live, exchange, resource, row_tenant, self.principals)
        if kind == "anonymous" and operation != "read":
            findings += oracles.check_anonymous_no_write(exchange, changed)
        if operation == "delete" and exchange.status < 300:
            self.model.delete(self.live.info, resource, row_id)
        self._report(findings, principal_kind=kind, resource=resource.name, operation=operation)

    @rule(data=st.data())
    def list_rows(self, data):
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        principal = data.draw(st.sampled_from(self.principals), label="principal")
        hint = data.draw(st.sampled_from(props.LIST_HINTS), label="tenant hint")
        others = [t for t in self.live.info.tenants.values() if t != props.tenant_of(self.live, principal)]
        findings = props.list_as(self.live, principal, resource, hint, others[0] if others else None, self.model)
        self._report(findings, principal_kind=self.live.info.principal(principal).kind, resource=resource.name)

    @invariant()
    def database_matches_model(self):
        expected = {name: {i: t for i, (t, _) in rows.items()} for name, rows in self.model.rows.items()}
        self._report(oracles.check_state_matches_model(expected, props.db_state(self.live), self.last))


def test_tenant_isolation_machine(live_target):
    TenantMachine.live = live_target
    try:
        run_state_machine_as_test(TenantMachine, settings=scaled(0.3, stateful_step_count=12))
    finally:
        live_target.reset()
