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
(Studio/admin exposure, broken authentication). The declared-permissions sweep sends every
principal to every viewset route and method and compares the answer with the model of the
permission classes the route declares (broken object-level authorization).
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties import authz as props
from fuzz.sweep import count as count_sweep
from targets.routes import inventory



@pytest.fixture(scope="module")
def routes(live_target):
    return [r for r in inventory(live_target.app, live_target.info) if not r.public and r.kind != "mcp"]


@pytest.fixture(scope="module")
def any_ids(live_target):
    model = props.TenantModel.from_db(live_target)
    return {"pk": next(iter(model.rows[live_target.info.resources[0].name]))}


@judges(catalog.AUTHZ_ROUTE_REQUIRES_AUTH,
        also=(catalog.AUTHZ_ANONYMOUS_NO_WRITE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME))
def test_every_non_public_route_rejects_anonymous_callers(live_target, routes, any_ids):
    """Each (method, route) once: the whole inventory, not a sample; every route is checked before
    the findings are judged, so a finding on one route never stops the check of the others."""
    weakest = props.least_privileged(live_target.info)
    findings = []
    calls = 0
    for route in routes:
        callers = ["anonymous"] + ([weakest] if weakest and route.kind in props.PRIVILEGED_KINDS else [])
        for caller in callers:
            findings += props.route_call(live_target, route.method, route.path, any_ids, caller, routes)
            calls += 1
    count_sweep(catalog.AUTHZ_ROUTE_REQUIRES_AUTH, calls, calls)
    judge(findings)


class TenantMachine(RuleBasedStateMachine):
    """Draws the steps of :class:`fuzz.properties.authz.TenantSession`; every finding carries the steps so far."""

    live = None

    def __init__(self):
        super().__init__()
        self.session = props.TenantSession.start(self.live)
        self.resources = list(self.live.info.resources)

    def _report(self, findings):
        judge(findings)

    @rule(data=st.data())
    def create(self, data):
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
    def act(self, data):
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        rows = self.session.model.ordered(resource.name)
        if not rows:
            return
        row_id, _ = data.draw(st.sampled_from(rows), label="row")
        principal = data.draw(st.sampled_from(self.session.principals), label="principal")
        operation = data.draw(st.sampled_from(props.operations(resource)), label="operation")
        self._report(self.session.act(resource, row_id, principal, operation))

    @rule(data=st.data())
    def list_rows(self, data):
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        principal = data.draw(st.sampled_from(self.session.principals), label="principal")
        hint = data.draw(st.sampled_from(props.LIST_HINTS), label="tenant hint")
        self._report(self.session.list_rows(resource, principal, hint))

    @invariant()
    def database_matches_model(self):
        self._report(self.session.check_model())


@judges(catalog.AUTHZ_CROSS_TENANT_DENIED, catalog.AUTHZ_LIST_OWN_TENANT, catalog.AUTHZ_TENANT_REQUIRED,
        catalog.AUTHZ_ANONYMOUS_NO_WRITE, catalog.AUTHZ_STATE_MATCHES_MODEL)
def test_tenant_isolation_machine(live_target):
    TenantMachine.live = live_target
    try:
        run_state_machine_as_test(TenantMachine, settings=scaled(0.3, stateful_step_count=12))
    finally:
        live_target.reset()


@judges(catalog.AUTHZ_DECLARED_PERMISSIONS, also=(catalog.HTTP_NO_LEAK,))
def test_declared_permissions_sweep(live_target):
    """Every principal x viewset route x method once, against the model of Aksara's permission classes
    (a sweep, not a sample); every route is checked before the findings are judged."""
    live_target.reset()
    findings = []
    routes = props.declared_routes(live_target)
    for route in routes:
        findings += props.declared_permissions(live_target, route)
    combinations = len(routes) * len(live_target.info.principals)
    count_sweep(catalog.AUTHZ_DECLARED_PERMISSIONS, combinations, combinations)
    judge(findings)
