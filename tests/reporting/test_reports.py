"""Report contents (Markdown, JSON, SARIF) from a run record, and from a real fuzz session."""

from __future__ import annotations

import json

from fuzz import reporting
from fuzz.reporting import KnownHit, NewRecord, RunRecord, TestRecord
from tests.reporting.support import run_pytest


def sample_run() -> RunRecord:
    return RunRecord(
        aksara_version="0.7.2", target="refapp (hardened)", fuzz_profile="ci", max_examples=60,
        tests=[
            TestRecord("fuzz/test_openapi.py::test_openapi_fuzzing[user_a]", "passed", 2.5,
                       {"openapi.fuzzing": 60}, principal="user_a"),
            TestRecord("fuzz/test_openapi.py::test_openapi_fuzzing[user_b]", "failed", 4.0,
                       {"openapi.fuzzing": 12}, principal="user_b"),
            TestRecord("fuzz/test_robustness.py::test_hostile_query_strings[Ticket]", "passed", 1.0,
                       {"http.robustness": 60}, resource="Ticket"),
            TestRecord("fuzz/test_other.py", "skipped", 0.0, {}, skip_reason="Schemathesis is not installed"),
        ],
        known=[KnownHit("AKSARA-READ-001", "http.no_server_error", 7, "AI principals get 500", owner="aksara")],
        new=[NewRecord("openapi.fuzzing", "fuzz/test_openapi.py::test_openapi_fuzzing[user_b]",
                       "fuzz-artifacts/http.no_leak-0123456789", "error response leaks sql text")],
        ledger=[{"id": "AKSARA-READ-001", "title": "AI principals get 500", "property": "http.no_server_error",
                 "owner": "aksara"},
                {"id": "AKSARA-QUERY-001", "title": "uncoercible filter -> 500", "property": "http.no_server_error",
                 "owner": "aksara"},
                {"id": "AKSARA-QUERY-011", "title": "icontains=1 coerced", "property": "query.pivot",
                 "owner": "documented"}],
        seconds=7.5,
    )


def test_property_rows_sum_examples_time_and_findings():
    rows = {r["property"]: r for r in reporting.property_rows(sample_run())}
    assert rows["openapi.fuzzing"]["examples"] == 72
    assert rows["openapi.fuzzing"]["seconds"] == 6.5
    assert rows["openapi.fuzzing"]["failed"] == 1
    assert rows["openapi.fuzzing"]["new"][0]["artifact"] == "fuzz-artifacts/http.no_leak-0123456789"
    assert rows["http.no_server_error"]["known"] == [{"defect": "AKSARA-READ-001", "count": 7,
                                                       "title": "AI principals get 500", "owner": "aksara"}]
    assert rows["test:test_other.py"]["skipped"] == 1


def test_every_ledger_defect_says_whether_it_reproduced():
    defects = {d["id"]: d for d in reporting.defect_rows(sample_run())}
    assert defects["AKSARA-READ-001"]["status"] == "reproduced" and defects["AKSARA-READ-001"]["count"] == 7
    assert defects["AKSARA-QUERY-001"]["status"] == "not seen in this run"
    assert defects["AKSARA-QUERY-011"]["owner"] == "documented"


def test_markdown_lists_properties_skips_new_findings_and_defects():
    text = reporting.render_markdown(sample_run())
    assert "| openapi.fuzzing | 72 | 6.5 | 2 |" in text
    assert "Schemathesis is not installed" in text
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


def test_a_real_fuzz_session_writes_its_reports(tmp_path):
    report_dir = tmp_path / "reports"
    result = run_pytest("fuzz/test_openapi.py", "-k", "fuzzing and user_a", "--fuzz-profile=dev",
                        "--report-dir", str(report_dir), "--sarif", "--junitxml", str(report_dir / "junit.xml"))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((report_dir / "report.json").read_text())
    rows = {r["property"]: r for r in data["properties"]}
    assert rows["openapi.fuzzing"]["examples"] == 15  # the dev profile's budget, counted by the property
    assert rows["openapi.fuzzing"]["seconds"] > 0
    assert data["tests"][0]["principal"] == "user_a"
    # the known defects the run hit are listed with their property and count
    assert all(k["count"] > 0 for r in data["properties"] for k in r["known"])
    # every known defect says whose it is
    assert all(k["owner"] in ("aksara", "app", "documented") for r in data["properties"] for k in r["known"])
    assert data["defects"] and all(d["owner"] in ("aksara", "app", "documented") for d in data["defects"])
    assert {d["status"] for d in data["defects"]} <= {"reproduced", "not seen in this run"}
    assert "| openapi.fuzzing | 15 |" in (report_dir / "report.md").read_text()
    assert (report_dir / "report.sarif").is_file()
    assert "test_openapi_fuzzing[user_a]" in (report_dir / "junit.xml").read_text()
    assert "openapi_fuzzing__user_a__openapi" in (report_dir / "security_matrix.yml").read_text()
    assert "aksara-fuzz reports:" in result.stdout
