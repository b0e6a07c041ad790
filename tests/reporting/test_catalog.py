"""The catalogue declares every property once; counting is honest; a vacuous property is skipped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fuzz import catalog
from fuzz.findings import Finding, NewFinding
from fuzz.judging import UndeclaredProperty, judge, judged, judges
from fuzz.run import current_run
from tests.reporting.support import ROOT, run_pytest
from tests.reporting.test_matrix_evidence import matrix_result


def catalogue_json() -> dict:
    result = subprocess.run([sys.executable, "-m", "fuzz.catalog", "--json"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def test_every_property_has_a_surface_a_risk_and_an_oracle_and_strategy_that_import():
    data = catalogue_json()
    ids = [p["id"] for p in data["properties"]]
    assert len(ids) == len(set(ids)) == len(catalog.PROPERTIES)
    for p in data["properties"]:
        assert p["surface"] in data["surfaces"] and p["risk"] in data["risks"], p
        assert p["claim"].endswith(".") and len(p["claim"]) > 20, p
        assert callable(catalog.resolve(p["oracle"])), p["oracle"]
        assert catalog.resolve(p["strategy"]) is not None, p["strategy"]
        assert callable(catalog.resolve(p["replay"])(p["id"])), p["id"]  # a replayer for its findings
    # the risks are the Threat Model's primary risks, by name
    spec = next((ROOT.parent.parent / "shared" / "spec").glob("001_*.txt"), None) if (
        ROOT.parent.parent / "shared" / "spec").is_dir() else None
    if spec is not None:
        text = spec.read_text(encoding="utf-8")
        assert all(name in text for name, _ in catalog.RISKS.values())


def test_every_property_is_driven_by_a_fuzz_test_and_every_fuzz_test_declares_its_properties():
    pytest.importorskip("schemathesis")
    declared = catalog.declared_tests()
    tests = catalog.tests_of(declared)
    assert not [pid for pid, t in tests.items() if not t], "properties no fuzz test judges"
    assert set(tests) == set(catalog.PROPERTIES)
    for path in sorted((ROOT / "fuzz").glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        functions = [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test")]
        for name in functions:
            assert f"fuzz/{path.name}::{name}" in declared, f"{path.name}::{name} has no @judges"
        assert "count_example" not in source and "COLLECTOR" not in source


def test_every_ledger_property_is_in_the_catalogue():
    ledger = yaml.safe_load((ROOT / "fuzz" / "ledger.yaml").read_text(encoding="utf-8"))
    entries = ledger["defects"] if isinstance(ledger, dict) else ledger
    properties = {str(e["property"]) for e in entries}
    assert properties and properties <= set(catalog.PROPERTIES), sorted(properties - set(catalog.PROPERTIES))


def test_the_readme_table_is_the_catalogue():
    pytest.importorskip("schemathesis")  # without it the OpenAPI tests declare nothing
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- catalog:begin -->\n", 1)[1].split("<!-- catalog:end -->", 1)[0]
    assert table == catalog.render_markdown(), "regenerate with: python -m fuzz.catalog --markdown"


# -- counting ----------------------------------------------------------------------------------------

def test_judge_counts_marked_and_violated_properties_and_known_budget():
    from fuzz.ledger import active_ledger

    lifetime = catalog.TOKENS_AGENT_TOKEN_LIFETIME
    violation = Finding(lifetime, "accepted a token without exp", facts={"exp_class": "missing", "direction": "accepted"})
    is_known = active_ledger().match(violation) is not None

    @judges(catalog.TOKENS_SCOPE_ALGEBRA, lifetime)
    def two_examples():
        judged(catalog.TOKENS_SCOPE_ALGEBRA)  # the oracle saw what it needs
        judge([])
        judged(catalog.HTTP_NO_LEAK)  # outside its declaration: an error, below
        try:
            judge([violation])  # a violation is a judgment of its property
        except NewFinding:
            pass

    judged(catalog.TOKENS_SCOPE_ALGEBRA)  # outside any @judges test: ignored
    before_examples, before_known, *_ = current_run().counts.snapshot()
    with pytest.raises(UndeclaredProperty):
        two_examples()

    @judges(catalog.TOKENS_SCOPE_ALGEBRA, lifetime)
    def honest():
        judged(catalog.TOKENS_SCOPE_ALGEBRA)
        judge([])
        try:
            judge([violation])
        except NewFinding:
            pass

    honest()
    examples, known, *_ = current_run().counts.snapshot()
    gained = {pid: examples.get(pid, 0) - before_examples.get(pid, 0) for pid in examples}
    assert gained[catalog.TOKENS_SCOPE_ALGEBRA] == 2  # once per test: the stray mark before them is not counted
    assert gained[lifetime] == 1
    assert known.get(lifetime, 0) - before_known.get(lifetime, 0) == (1 if is_known else 0)


def test_a_test_that_judged_nothing_is_skipped_with_the_reason_and_undeclared_ids_are_errors():
    @judges(catalog.QUERY_PIVOT, also=(catalog.HTTP_NO_LEAK,))
    def vacuous():
        judged(catalog.HTTP_NO_LEAK)  # only the incidental property: the test's own one never judged
        judge([])

    with pytest.raises(pytest.skip.Exception, match="judged no example of query.pivot"):
        vacuous()

    @judges(catalog.QUERY_PIVOT)
    def judging():
        judged(catalog.QUERY_PIVOT)
        judge([])

    judging()  # judged: passes

    @judges(catalog.QUERY_PIVOT)
    def undeclared():
        judged(catalog.QUERY_ORDERING)
        judge([])

    with pytest.raises(UndeclaredProperty, match="query.ordering"):
        undeclared()
    with pytest.raises(ValueError):
        judges("query.no_such_property")


# -- real sessions -----------------------------------------------------------------------------------

@pytest.mark.live
def test_a_planted_vacuous_property_is_reported_skipped_with_its_reason(tmp_path):
    reports = tmp_path / "reports"
    result = run_pytest("tests/reporting/probes/probe_vacuous_property.py", "--fuzz-profile=dev",
                        "--report-dir", str(reports), "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout and "passed" not in result.stdout.splitlines()[-1]
    assert "judged no example of query.filter_differential" in result.stdout
    data = json.loads((reports / "report.json").read_text())
    [test] = data["tests"]
    assert test["outcome"] == "skipped" and "judged no example" in test["skip_reason"]
    row = {r["property"]: r for r in data["properties"]}[catalog.QUERY_FILTER_DIFFERENTIAL]
    assert row["examples"] == 0 and row["skipped"] == 1 and row["skip_reasons"]
    matrix = yaml.safe_load((reports / "security_matrix.yml").read_text())
    scenario = {s["id"]: s for s in matrix["scenarios"]}["query_filter_differential"]
    assert scenario["status"] == "not_applicable" and "judged no example" in scenario["description"]


def _only_properties_run(matrix: dict) -> dict:
    """The evidence restricted to the scenarios whose tests ran (a subset run plans the rest)."""
    ran = [s for s in matrix["scenarios"] if s["status"] != "planned"]
    surfaces = {s["surface"] for s in ran}
    risks = {s["risk"] for s in ran}
    return {**matrix, "scenarios": ran, "surfaces": [s for s in matrix["surfaces"] if s["id"] in surfaces],
            "risks": [r for r in matrix["risks"] if r["id"] in risks]}


@pytest.mark.live
def test_a_real_session_counts_only_catalogue_ids_and_its_evidence_passes_the_release_check(tmp_path):
    reports = tmp_path / "reports"
    result = run_pytest("fuzz/test_tokens.py", "-k", "not live", "--fuzz-profile=dev", "--report-dir", str(reports))
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((reports / "report.json").read_text())
    counted = {pid for t in data["tests"] for pid in t["examples"]}
    assert counted and counted <= set(catalog.PROPERTIES)
    rows = {r["property"]: r for r in data["properties"]}
    scope = rows[catalog.TOKENS_SCOPE_ALGEBRA]
    assert scope["examples"] - scope["steered"] == 15  # every example judged (steered ones come on top)
    assert 0 <= rows[catalog.TOKENS_AGENT_TOKEN_LIFETIME]["known_budget"] <= 1
    matrix = yaml.safe_load((reports / "security_matrix.yml").read_text())
    # a subset run is not release evidence: the properties it did not run are planned
    assert matrix_result(tmp_path, reports / "security_matrix.yml")["status"] == "block"
    subset = tmp_path / "subset.yml"
    subset.write_text(yaml.safe_dump(_only_properties_run(matrix)))
    assert matrix_result(tmp_path, subset)["status"] == "pass"


def test_the_evidence_of_a_whole_dev_run_passes_the_release_check(tmp_path):
    """Set AKSARA_FUZZ_EVIDENCE to the security_matrix.yml of a green `pytest fuzz/` run to check it."""
    import os

    evidence = os.environ.get("AKSARA_FUZZ_EVIDENCE")
    if not evidence:
        pytest.skip("AKSARA_FUZZ_EVIDENCE is not set (the evidence of a whole `pytest fuzz/` run)")
    result = matrix_result(tmp_path, Path(evidence).resolve())  # the check runs in another directory
    assert result["status"] == "pass", result
