"""The report says how much of each grammar was swept: per property ``swept`` of ``sweep_size``."""

from __future__ import annotations

import json

from fuzz import catalog
from fuzz.reporting import RunRecord, TestRecord, property_rows, render_markdown
from tests.reporting.support import run_pytest


def test_swept_and_sweep_size_add_up_over_a_property_s_tests():
    run = RunRecord("0.7.2", "refapp (hardened)", "ci", 60, tests=[
        TestRecord("fuzz/test_queries.py::test_orderings_sort_by_the_requested_keys[Ticket]", examples={
            catalog.QUERY_ORDERING: 78}, swept={catalog.QUERY_ORDERING: 18}, sweep_size={catalog.QUERY_ORDERING: 18},
            declared=[catalog.QUERY_ORDERING]),
        TestRecord("fuzz/test_queries.py::test_orderings_sort_by_the_requested_keys[Comment]", examples={
            catalog.QUERY_ORDERING: 40}, swept={catalog.QUERY_ORDERING: 4}, sweep_size={catalog.QUERY_ORDERING: 6},
            declared=[catalog.QUERY_ORDERING]),
    ])
    rows = {r["property"]: r for r in property_rows(run)}
    assert (rows[catalog.QUERY_ORDERING]["swept"], rows[catalog.QUERY_ORDERING]["sweep_size"]) == (22, 24)
    assert (rows[catalog.QUERY_PIVOT]["swept"], rows[catalog.QUERY_PIVOT]["sweep_size"]) == (0, 0)
    markdown = render_markdown(run)
    assert "| examples | swept |" in markdown
    assert f"| {catalog.QUERY_ORDERING} | rest_api | sql_injection | 118 | 22/24 |" in markdown
    assert f"| {catalog.QUERY_PIVOT} | rest_api | sql_injection | 0 | — |" in markdown


def test_a_fuzz_session_reports_its_sweep(tmp_path):
    report_dir = tmp_path / "reports"
    result = run_pytest("fuzz/test_queries.py", "-k", "orderings and Comment", "--fuzz-profile=dev",
                        "--report-dir", str(report_dir), "--example-db", str(tmp_path / "db"),
                        "--artifacts-dir", str(tmp_path / "art"))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((report_dir / "report.json").read_text())
    row = {r["property"]: r for r in data["properties"]}[catalog.QUERY_ORDERING]
    # author, created_at and id, each both ways; then the five fields outside the allowlist (ticket, body,
    # is_public, tenant_id, updated_at), each once
    assert row["sweep_size"] == 11 and row["swept"] == 11
    assert row["examples"] >= 15 + 11  # the sweep adds its combinations to the budget
    assert "| 11/11 |" in (report_dir / "report.md").read_text()
