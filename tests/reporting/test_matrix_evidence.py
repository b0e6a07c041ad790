"""The security-matrix evidence is a valid matrix for Aksara's own loader and its release check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from aksara.security.matrix import load_security_matrix, validate_security_matrix

from fuzz import reporting
from tests.reporting.test_reports import sample_run

AKSARA = Path(sys.executable).parent / "aksara"


def scenarios(min_examples: int = 60) -> dict[str, dict]:
    return {s["id"]: s for s in reporting.matrix_evidence(sample_run(), min_examples)["scenarios"]}


def test_scenario_is_property_principal_surface_with_honest_status():
    by_id = scenarios()
    covered = by_id["openapi_fuzzing__user_a__openapi"]
    assert (covered["surface"], covered["actor"], covered["status"], covered["examples"]) == (
        "openapi", "user_a", "covered", 60)
    # an unknown finding (and too few examples) is never covered
    assert by_id["openapi_fuzzing__user_b__openapi"]["status"] == "partial"
    assert by_id["http_robustness__any__rest_ticket"]["status"] == "covered"
    assert by_id["test_test_other_py__any__other"]["status"] == "planned"


def test_too_few_examples_is_partial():
    assert scenarios(min_examples=61)["openapi_fuzzing__user_a__openapi"]["status"] == "partial"


def test_aksaras_loader_accepts_the_evidence(tmp_path):
    path = reporting.write_matrix(sample_run(), tmp_path / "security_matrix.yml", 60)
    assert validate_security_matrix(yaml.safe_load(path.read_text())) == []
    matrix = load_security_matrix(path)
    assert len(matrix.scenarios) == 4
    assert {s.status for s in matrix.scenarios} == {"covered", "partial", "planned"}
    assert {a.id for a in matrix.actors} == {"user_a", "user_b", "any"}


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


def test_release_production_check_passes_fully_covered_evidence(tmp_path):
    run = sample_run()
    run.tests = [t for t in run.tests if t.outcome == "passed"]
    run.new = []
    path = reporting.write_matrix(run, tmp_path / "security_matrix.yml", 60)
    result = matrix_result(tmp_path, path)
    assert result["status"] == "pass", result
    assert str(path) in result["message"]


def test_a_broken_evidence_file_is_refused_by_the_same_check(tmp_path):
    """The check above can fail: a matrix with a dangling actor is not accepted."""
    data = reporting.matrix_evidence(sample_run(), 60)
    data["scenarios"][0]["actor"] = "nobody"
    path = tmp_path / "security_matrix.yml"
    path.write_text(yaml.safe_dump(data))
    assert any("unknown actor" in i.message for i in validate_security_matrix(yaml.safe_load(path.read_text())))
