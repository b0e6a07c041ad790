"""OpenAPI fuzzing: the skip reason without Schemathesis, the suite's oracles as Schemathesis checks
catching planted faults, the tenant-isolation oracle, NUL bytes reaching the app, and the stateful phase."""

from __future__ import annotations

import sys

import pytest

from fuzz.ledger import active_ledger
from fuzz.oracles.openapi import check_tenant_isolation
from strategies.openapi import cases, schemathesis_missing
from targets.refapp.target import TENANT_A, TENANT_B
from tests.reporting.support import run_pytest
from tests.support.planted import leaking_route, raising_route, started_planted


def test_schemathesis_missing_names_the_extra(monkeypatch):
    assert schemathesis_missing() is None or "Schemathesis" in schemathesis_missing()
    monkeypatch.setitem(sys.modules, "schemathesis", None)  # import fails as if not installed
    reason = schemathesis_missing()
    assert reason.startswith("Schemathesis is not installed")
    assert "aksara-fuzz[openapi]" in reason


@pytest.mark.live
def test_without_schemathesis_the_property_is_skipped_with_its_reason(tmp_path):
    shim = tmp_path / "shim" / "schemathesis"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("No module named \'schemathesis\'")\n')
    # as if not installed: the package does not import and its pytest plugin is not registered
    result = run_pytest("-p", "no:schemathesis", "fuzz/test_openapi.py", "-rs", "--report-dir", str(tmp_path / "r"),
                        env={"PYTHONPATH": str(shim.parent)})
    # this file alone collects nothing but the skip (exit 5); within `pytest fuzz/` the run goes on
    assert result.returncode == 5, result.stdout + result.stderr
    assert "SKIPPED" in result.stdout and "Schemathesis is not installed" in result.stdout
    report = (tmp_path / "r" / "report.md").read_text()
    assert "## Skipped" in report and "Schemathesis is not installed" in report
    assert "status: planned" in (tmp_path / "r" / "security_matrix.yml").read_text()


schemathesis = pytest.importorskip("schemathesis", reason="Schemathesis is not installed (the openapi extra)")


def foreign_rows_route(app):
    """GET /planted/foreign -> a list holding one row of tenant B, whoever asks (planted: no tenant filter)."""

    @app.get("/planted/foreign")
    async def planted_foreign() -> dict:
        return {"results": [{"id": "1", "tenant_id": TENANT_A}, {"id": "2", "tenant_id": TENANT_B}]}


def planted_app(app):
    raising_route(app)
    leaking_route(app)
    foreign_rows_route(app)


@pytest.fixture(scope="module")
def planted_runner(pg_server):
    from fuzz.properties.openapi import OpenApiRunner

    with started_planted(pg_server, "hardened", planted_app, "openapi") as live:
        yield OpenApiRunner(live)


def judge_all(runner, label, principal, examples=25):
    from hypothesis import HealthCheck, Phase, given, settings

    operation = next(op for op in runner.operations if op.label == label)
    findings = []

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases(operation))
    def run(case):
        runner.live.reset()
        findings.extend(runner.judge(principal, case))

    run()
    return findings


def test_the_suites_no_5xx_oracle_runs_as_a_schemathesis_check(planted_runner):
    findings = judge_all(planted_runner, "GET /planted/raise", "user_a", examples=3)
    properties = {f.property_id for f in findings}
    assert "http.no_server_error" in properties
    # Schemathesis' own 5xx complaints are the same defect: not reported twice
    assert not properties & {"openapi.not_a_server_error", "openapi.status_code_conformance"}
    assert all(f.facts["openapi_operation"] == "GET /planted/raise" for f in findings)


def test_the_suites_no_leak_oracle_runs_as_a_schemathesis_check(planted_runner):
    findings = judge_all(planted_runner, "GET /planted/leak", "user_a")
    leaks = [f for f in findings if f.property_id == "http.no_leak"]
    assert leaks and leaks[0].facts["leak"] == "sql"
    # and Schemathesis' own checks become openapi.* findings (the 400 is not documented)
    assert any(f.property_id == "openapi.status_code_conformance" and f.facts["check"] == "status_code_conformance"
               for f in findings)


def test_the_tenant_isolation_oracle_runs_as_a_schemathesis_check(planted_runner):
    findings = judge_all(planted_runner, "GET /planted/foreign", "user_a", examples=3)
    isolation = [f for f in findings if f.property_id == "tenancy.isolation"]
    assert isolation and isolation[0].facts["object_tenant"] == "B"
    assert not [f for f in judge_all(planted_runner, "GET /planted/foreign", "system", examples=3)
                if f.property_id == "tenancy.isolation"]  # the system principal is exempt


def test_tenant_isolation_is_quiet_on_the_reference_app(live_target, oracle_context):
    for principal in ("user_a", "user_b", "staff_a", "user_no_tenant", "anonymous"):
        for path in ("/tickets/", "/comments/", "/categories/"):
            exchange = live_target.request(principal, "GET", path)
            assert check_tenant_isolation(exchange, oracle_context) == [], exchange.one_line()
    rows = live_target.request("user_a", "GET", "/tickets/").response_json()["results"]
    assert rows and all(r["tenant_id"] == TENANT_A for r in rows)  # the quiet check did see tenant rows


def test_a_no_tenant_principal_seeing_tenant_rows_is_a_finding(planted_runner):
    exchange = planted_runner.live.request("user_no_tenant", "GET", "/planted/foreign")
    findings = check_tenant_isolation(exchange, planted_runner.context)
    assert findings and findings[0].facts["principal_tenant"] == "none"


def test_the_reference_app_gives_only_known_findings_on_a_read_route(live_target, oracle_context):
    from fuzz.properties.openapi import OpenApiRunner

    runner = OpenApiRunner(live_target, oracle_context)
    findings = judge_all(runner, "GET /categories/", "anonymous")
    ledger = active_ledger()
    assert [f.describe() for f in findings if ledger.match(f) is None] == []


def test_nul_bytes_reach_the_app_exactly(live_target, oracle_context):
    from fuzz.properties.openapi import OpenApiRunner
    from fuzz.properties.openapi import send_case

    runner = OpenApiRunner(live_target, oracle_context)
    operation = next(op for op in runner.operations if op.label == "GET /tickets/")
    case = operation.Case(query={"limit": "1\x00", "offset": "é"})
    exchange, response = send_case(live_target, "user_a", case)
    assert dict(exchange.query) == {"limit": "1\x00", "offset": "é"}
    assert exchange.principal == "user_a" and ("authorization", "Bearer tok-user-a-5f1c") in exchange.headers
    assert response.status_code == exchange.status


def test_the_stateful_phase_follows_inferred_links(live_target, oracle_context):
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    from fuzz.properties.openapi import OpenApiRunner, stateful_machine

    runner = OpenApiRunner(live_target, oracle_context)
    steps = []
    machine = stateful_machine(runner, "staff_a", steps.append)
    assert runner.schema.statistic.transitions.total > 0  # links inferred from the generated document
    run_state_machine_as_test(machine, settings=settings(
        max_examples=3, stateful_step_count=5, database=None, deadline=None,
        suppress_health_check=list(HealthCheck)))
    assert len(steps) >= 3
    assert live_target.changes() == []  # every scenario ends reset
