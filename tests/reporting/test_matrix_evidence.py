"""The security-matrix evidence is a valid matrix for Aksara's own loader and its release check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from aksara.security.matrix import load_security_matrix, validate_security_matrix

from fuzz import catalog, reporting
from fuzz.reporting import RunRecord, TestRecord
from tests.reporting.test_reports import sample_run

AKSARA = Path(sys.executable).parent / "aksara"


def scenarios(min_examples: int = 60) -> dict[str, dict]:
    return {s["id"]: s for s in reporting.matrix_evidence(sample_run(), min_examples)["scenarios"]}


def test_one_scenario_per_catalogue_property_and_principal_with_honest_status():
    by_id = scenarios()
    covered = by_id["openapi_status_code_conformance__user_a"]
    assert (covered["surface"], covered["actor"], covered["risk"], covered["status"], covered["examples"]) == (
        "generated_schemas", "user_a", "schema_bypass", "covered", 60)
    # an unknown finding (and a failed test) is never covered
    assert by_id["openapi_status_code_conformance__user_b"]["status"] == "partial"
    # one scenario per property, not per resource or test function
    assert by_id["http_no_server_error"]["status"] == "covered"
    assert not any(i.startswith("test") or "ticket" in i for i in by_id)
    # skipped with a reason: not applicable, the reason in the description
    hidden = by_id["query_hidden_field_side_channel"]
    assert hidden["status"] == "not_applicable" and "judged no example" in hidden["description"]
    # never run in this session: planned
    assert by_id["query_pivot"]["status"] == "planned"
    assert {s["property"] for s in by_id.values()} == set(catalog.PROPERTIES)


def test_too_few_examples_is_partial():
    assert scenarios(min_examples=61)["openapi_status_code_conformance__user_a"]["status"] == "partial"


def test_surfaces_and_risks_are_the_catalogues():
    data = reporting.matrix_evidence(sample_run(), 60)
    assert {s["id"] for s in data["surfaces"]} <= set(catalog.SURFACES)
    assert {r["id"]: r["description"] for r in data["risks"]}["cross_tenant_access"] == "Cross-tenant access"


def test_aksaras_loader_accepts_the_evidence(tmp_path):
    path = reporting.write_matrix(sample_run(), tmp_path / "security_matrix.yml", 60)
    assert validate_security_matrix(yaml.safe_load(path.read_text())) == []
    matrix = load_security_matrix(path)
    assert len(matrix.scenarios) == len(catalog.PROPERTIES) + 1  # the OpenAPI property twice: two principals
    assert {s.status for s in matrix.scenarios} == {"covered", "partial", "planned", "not_applicable"}
    assert {a.id for a in matrix.actors} == {"user_a", "user_b", "any"}


def green_run(skip: str | None = None) -> RunRecord:
    """A run in which one passing test judged each catalogue property (and ``skip`` was skipped with a reason)."""
    run = sample_run()
    run.new, run.known = [], []
    run.tests = [TestRecord(f"fuzz/test_x.py::test_{pid}", "passed", 0.1, {pid: 3}, declared=[pid])
                 for pid in catalog.PROPERTIES if pid != skip]
    if skip:
        run.tests.append(TestRecord(f"fuzz/test_x.py::test_{skip}", "skipped", 0.0, {},
                                    skip_reason=f"judged no example of {skip}: 15 example(s) ran", declared=[skip]))
    return run


def matrix_result(tmp_path, path) -> dict:
    """The security.matrix result of `aksara doctor production-check --release` (clean env, temp cwd)."""
    workdir = tmp_path / "cwd"
    workdir.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "AKSARA_SECURITY_MATRIX_PATH": str(path)}
    result = subprocess.run([str(AKSARA), "doctor", "production-check", "--release", "--format", "json"],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout[result.stdout.index("{"):])
    found = [r for r in report["results"] if r["id"] == "security.matrix"]
    assert len(found) == 1, report
    return found[0]


def test_release_production_check_accepts_it_as_a_valid_matrix(tmp_path):
    path = reporting.write_matrix(sample_run(), tmp_path / "security_matrix.yml", 60)
    result = matrix_result(tmp_path, path)
    # valid: loaded and validated; a release requires every scenario covered, and this run had gaps
    assert result["title"] == "Security matrix coverage incomplete", result
    assert "incomplete scenario" in result["message"]


def test_release_production_check_passes_green_evidence_with_a_legitimate_skip(tmp_path):
    path = reporting.write_matrix(green_run(skip=catalog.QUERY_HIDDEN_FIELD_SIDE_CHANNEL),
                                  tmp_path / "security_matrix.yml", 1)
    result = matrix_result(tmp_path, path)
    assert result["status"] == "pass", result
    assert str(path) in result["message"]


def test_release_production_check_refuses_evidence_with_a_failed_test(tmp_path):
    run = green_run()
    run.tests[0].outcome = "failed"
    result = matrix_result(tmp_path, reporting.write_matrix(run, tmp_path / "security_matrix.yml", 1))
    assert result["status"] == "block" and "incomplete scenario" in result["message"]


def test_a_broken_evidence_file_is_refused_by_the_same_check(tmp_path):
    """The check above can fail: a matrix with a dangling actor is not accepted."""
    data = reporting.matrix_evidence(sample_run(), 60)
    data["scenarios"][0]["actor"] = "nobody"
    path = tmp_path / "security_matrix.yml"
    path.write_text(yaml.safe_dump(data))
    assert any("unknown actor" in i.message for i in validate_security_matrix(yaml.safe_load(path.read_text())))
