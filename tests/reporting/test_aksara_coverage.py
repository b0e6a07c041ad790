"""--aksara-coverage: the area table covers Aksara, and a measured run combines every process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fuzz.aksara_coverage import AREAS, UNMAPPED, aggregate, area_of, module_of
from fuzz.coverage_start import aksara_dir
from tests.reporting.support import ROOT, run_pytest


def _modules() -> list[str]:
    root = aksara_dir()
    return sorted(module_of(p.relative_to(root).as_posix()) for p in root.rglob("*.py"))


def test_every_aksara_module_falls_in_exactly_one_area():
    """Every module of the installed Aksara has an area, and no prefix is claimed by two areas."""
    prefixes = [p for ps in AREAS.values() for p in ps]
    assert len(prefixes) == len(set(prefixes)), "a prefix is listed in two areas"
    modules = _modules()
    assert len(modules) > 100
    unmapped = [m for m in modules if area_of(m) == UNMAPPED]
    assert not unmapped, f"modules in no area of fuzz/aksara_coverage.py AREAS: {unmapped}"
    for prefix in prefixes:  # the table names only what exists
        assert any(m == prefix or m.startswith(prefix + ".") for m in modules), prefix
    assert area_of("aksara.ai.auth") == "mcp + ai auth/query" and area_of("aksara.ai.agent") != area_of("aksara.ai.auth")


def test_aggregate_sums_files_per_area():
    """Per-area totals are the sums of their files, and percentages count lines and branches together."""
    files = {"api/a.py": {"area": "api", "statements": 10, "covered": 5, "branches": 10, "covered_branches": 5},
             "api/b.py": {"area": "api", "statements": 10, "covered": 10, "branches": 0, "covered_branches": 0}}
    out = aggregate(files)
    assert out["areas"]["api"]["statements"] == 20 and out["areas"]["api"]["covered"] == 15
    assert out["areas"]["api"]["percent"] == pytest.approx(100 * 20 / 30, abs=0.01)
    assert out["total"]["branch_percent"] == 50.0


@pytest.mark.live
def test_measured_run_combines_workers_and_cli_subprocesses(tmp_path):
    """A two-worker run with doctor CLI tests writes per-area coverage that includes every process."""
    rep = tmp_path / "rep"
    before = {p.name for p in ROOT.iterdir()}
    result = run_pytest(
        "fuzz/test_doctor.py::test_verdict_matches_spec_cli", "fuzz/test_http.py::test_hostile_query_strings",
        "-k", "cli or Category", "-n", "2", "--fuzz-profile", "dev", "--aksara-coverage",
        "--report-dir", str(rep), "--example-db", str(tmp_path / "db"), "--artifacts-dir", str(tmp_path / "art"),
        timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads((rep / "aksara-coverage.json").read_text(encoding="utf-8"))
    # controller + 2 workers + at least one `aksara doctor` subprocess
    assert data["processes"] >= 4, data["processes"]
    assert data["areas"]["api"]["covered"] > 0 and data["areas"]["api"]["covered_branches"] > 0
    # request handling runs only in the workers: the viewsets' list path was executed
    assert data["files"]["api/viewsets.py"]["covered_branches"] > 0
    # `aksara doctor` CLI code runs only in the subprocesses
    cli = data["files"]["cli/main.py"]
    assert cli["covered"] > 0
    assert set(data["areas"]) <= set(AREAS)
    md = (rep / "report.md").read_text(encoding="utf-8")
    assert "## Aksara coverage" in md and "| api |" in md
    # no coverage data left in the checkout
    assert not {p.name for p in ROOT.iterdir() if p.name.startswith(".coverage")} - before


def _report(lines, arcs):
    entry = {"area": "api", "statements": 4, "covered": len(lines), "branches": 4, "covered_branches": len(arcs),
             "executed_lines": lines, "executed_branches": arcs}
    return {"aksara_version": "0.7.2", "areas": {"api": {}}, "files": {"api/x.py": entry}}


def test_trend_merges_shards_by_union_and_appends_history(tmp_path, capsys):
    """Shards of one run count a line once however many executed it; each run appends one history row."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import coverage_trend
    finally:
        sys.path.remove(str(ROOT / "bench"))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_report([1, 2], [[1, 2]])), encoding="utf-8")
    b.write_text(json.dumps(_report([2, 3], [[1, 2], [1, -1]])), encoding="utf-8")
    history = tmp_path / "history.csv"
    assert coverage_trend.main([str(history), str(a), str(b), "--label", "n1"]) == 0
    assert coverage_trend.main([str(history), str(a), "--label", "n2"]) == 0
    rows = coverage_trend.load_history(history)
    assert [r["label"] for r in rows] == ["n1", "n2"]
    assert rows[0]["percent"]["api"] == pytest.approx(100 * (3 + 2) / 8, abs=0.01)
    assert rows[1]["percent"]["total"] == pytest.approx(100 * (2 + 1) / 8, abs=0.01)
    assert "api" in capsys.readouterr().out


def test_reached_counts_the_arcs_an_example_reaches_only_in_a_guided_run(tmp_path, monkeypatch):
    """The guidance signal grows when Aksara code runs for the first time, and is absent unless asked for."""
    import coverage

    from fuzz import aksara_coverage

    cov = coverage.Coverage(source=[str(aksara_dir())], branch=True, data_file=str(tmp_path / ".coverage"))
    cov.start()
    try:
        from aksara.i18n import parse_accept_language

        assert aksara_coverage.reached() is None  # not guided: no signal, no cost
        monkeypatch.setattr(aksara_coverage, "_GUIDED", [True])
        before = aksara_coverage.reached()
        parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5")
        after = aksara_coverage.reached()
        parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5")
        again = aksara_coverage.reached()
    finally:
        cov.stop()
    assert before is not None and after > before, (before, after)
    assert again == after  # the same path twice reaches nothing new


def test_coverage_guidance_without_measurement_is_a_usage_error(tmp_path):
    """--coverage-guided steers by what --aksara-coverage measures: alone it is refused in one line."""
    result = run_pytest("fuzz/test_doctor.py", "--collect-only", "--coverage-guided", timeout=120)
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert "--coverage-guided needs --aksara-coverage" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.live
def test_a_guided_run_feeds_new_arcs_to_hypothesis_targeting(tmp_path):
    """In a guided run every judged example reports its new Aksara arcs to Hypothesis as a target score."""
    result = run_pytest(
        "fuzz/test_http.py::test_hostile_query_strings", "-k", "Category", "--fuzz-profile", "dev",
        "--aksara-coverage", "--coverage-guided", "--hypothesis-show-statistics",
        "--report-dir", str(tmp_path / "rep"), "--example-db", str(tmp_path / "db"),
        "--artifacts-dir", str(tmp_path / "art"), timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "new Aksara arcs" in result.stdout, result.stdout[-3000:]
