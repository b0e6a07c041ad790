"""Report contents (Markdown, JSON, SARIF) from a run record, and from a real fuzz session."""

from __future__ import annotations

import json

import pytest

from fuzz import catalog, reporting
from fuzz.reporting import KnownHit, NewRecord, RunRecord, TestRecord
from tests.reporting.support import run_pytest


def sample_run() -> RunRecord:
    status_codes = catalog.OPENAPI_CHECKS["status_code_conformance"]
    return RunRecord(
        aksara_version="0.7.2", target="refapp (hardened)", fuzz_profile="ci", max_examples=60,
        tests=[
            TestRecord("fuzz/test_openapi.py::test_openapi_fuzzing[user_a]", "passed", 2.5,
                       {status_codes: 60}, principal="user_a", declared=[status_codes]),
            TestRecord("fuzz/test_openapi.py::test_openapi_fuzzing[user_b]", "failed", 4.0,
                       {status_codes: 12}, principal="user_b", declared=[status_codes]),
            TestRecord("fuzz/test_http.py::test_hostile_query_strings[Ticket]", "passed", 1.0,
                       {catalog.HTTP_NO_SERVER_ERROR: 60}, resource="Ticket",
                       known_examples={catalog.HTTP_NO_SERVER_ERROR: 6}, declared=[catalog.HTTP_NO_SERVER_ERROR]),
            TestRecord("fuzz/test_queries.py::test_hidden_fields_are_not_observable_through_queries[Comment]",
                       "skipped", 0.0, {}, resource="Comment",
                       skip_reason="judged no example of query.hidden_field_side_channel: 15 example(s) ran",
                       declared=[catalog.QUERY_HIDDEN_FIELD_SIDE_CHANNEL]),
        ],
        known=[KnownHit("AKSARA-READ-001", catalog.HTTP_NO_SERVER_ERROR, 7, "AI principals get 500", owner="aksara")],
        new=[NewRecord(status_codes, "fuzz/test_openapi.py::test_openapi_fuzzing[user_b]",
                       "fuzz-artifacts/http.no_leak-0123456789", "error response leaks sql text")],
        ledger=[{"id": "AKSARA-READ-001", "title": "AI principals get 500", "property": "http.no_server_error",
                 "owner": "aksara"},
                {"id": "AKSARA-QUERY-001", "title": "uncoercible filter -> 500", "property": "http.no_server_error",
                 "owner": "aksara"},
                {"id": "AKSARA-QUERY-011", "title": "icontains=1 coerced", "property": "query.pivot",
                 "owner": "documented"}],
        seconds=7.5,
    )


def test_property_rows_sum_examples_time_known_budget_and_findings():
    rows = {r["property"]: r for r in reporting.property_rows(sample_run())}
    assert set(catalog.PROPERTIES) <= set(rows)  # every catalogue property has a row
    status_codes = rows["openapi.status_code_conformance"]
    assert status_codes["examples"] == 72 and status_codes["surface"] == "generated_schemas"
    assert status_codes["seconds"] == 6.5
    assert status_codes["failed"] == 1
    assert status_codes["new"][0]["artifact"] == "fuzz-artifacts/http.no_leak-0123456789"
    http = rows["http.no_server_error"]
    assert http["known"] == [{"defect": "AKSARA-READ-001", "count": 7, "title": "AI principals get 500",
                             "owner": "aksara", "targets": []}]
    assert (http["examples"], http["known_examples"], http["known_budget"]) == (60, 6, 0.1)
    hidden = rows["query.hidden_field_side_channel"]
    assert hidden["skipped"] == 1 and hidden["examples"] == 0 and "judged no example" in hidden["skip_reasons"][0]
    assert rows["query.pivot"]["tests"] == [] and rows["query.pivot"]["in_catalogue"]


def test_every_ledger_defect_says_whether_it_reproduced():
    defects = {d["id"]: d for d in reporting.defect_rows(sample_run())}
    assert defects["AKSARA-READ-001"]["status"] == "reproduced" and defects["AKSARA-READ-001"]["count"] == 7
    assert defects["AKSARA-QUERY-001"]["status"] == "not seen in this run"
    assert defects["AKSARA-QUERY-011"]["owner"] == "documented"


def test_markdown_lists_properties_skips_new_findings_and_defects():
    text = reporting.render_markdown(sample_run())
    assert "| openapi.status_code_conformance | generated_schemas | schema_bypass | 72 | — | 0 (0%) | 6.5 | 2 |" in text
    assert "| http.no_server_error | rest_api | malformed_payloads | 60 | — | 6 (10%) |" in text
    assert "judged no example of query.hidden_field_side_channel" in text
    assert "pytest fuzz/ --replay fuzz-artifacts/http.no_leak-0123456789" in text
    assert "| AKSARA-QUERY-001 | aksara | http.no_server_error | not seen in this run | 0 |" in text
    assert "| AKSARA-QUERY-011 | documented | query.pivot |" in text


def test_sarif_has_an_error_per_new_finding_and_a_warning_per_known_defect(tmp_path):
    path = reporting.write_sarif(sample_run(), tmp_path / "report.sarif")
    sarif = json.loads(path.read_text())
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "fuzz/test_openapi.py"
    rule_ids = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} <= rule_ids


@pytest.mark.live
def test_a_real_fuzz_session_writes_its_reports(tmp_path):
    report_dir = tmp_path / "reports"
    result = run_pytest("fuzz/test_openapi.py", "-k", "fuzzing and user_a", "--fuzz-profile=dev", "--aksara-target=refapp",
                        "--report-dir", str(report_dir), "--sarif", "--junitxml", str(report_dir / "junit.xml"))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((report_dir / "report.json").read_text())
    rows = {r["property"]: r for r in data["properties"]}
    status_codes = rows["openapi.status_code_conformance"]
    # the dev profile's budget: every response judges the status code (steered examples come on top of it)
    assert status_codes["examples"] - status_codes["steered"] == 15
    assert status_codes["seconds"] > 0
    assert 0 <= status_codes["known_budget"] <= 1
    assert data["tests"][0]["principal"] == "user_a" and data["tests"][0]["target"] == "refapp"
    # only catalogue properties are counted; the known defects the run hit are listed with their count
    assert all(r["in_catalogue"] for r in data["properties"] if r["examples"])
    assert all(k["count"] > 0 for r in data["properties"] for k in r["known"])
    # every known defect says whose it is
    assert all(k["owner"] in ("aksara", "app", "documented") for r in data["properties"] for k in r["known"])
    assert data["defects"] and all(d["owner"] in ("aksara", "app", "documented") for d in data["defects"])
    assert {d["status"] for d in data["defects"]} <= {"reproduced", "not seen in this run"}
    assert f"| openapi.status_code_conformance | generated_schemas | schema_bypass | {status_codes['examples']} |" in (
        report_dir / "report.md").read_text()
    assert (report_dir / "report.sarif").is_file()
    assert "test_openapi_fuzzing[refapp-user_a]" in (report_dir / "junit.xml").read_text()
    assert "openapi_status_code_conformance__user_a" in (report_dir / "security_matrix.yml").read_text()
    assert "aksara-fuzz reports:" in result.stdout
