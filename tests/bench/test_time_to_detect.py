"""bench/time_to_detect.py reads a detection from the report, or from the findings table when an `-x` stop under
xdist interrupted the session before the report was written (exit status 2)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import time_to_detect  # noqa: E402

TABLE = """============================= aksara-fuzz findings =============================
property                         status  count  owner      defect / artifact
http.no_server_error             known      64  aksara     AKSARA-QUERY-001: A filter value ...
http.no_server_error             NEW         1  -          /tmp/x/artifacts/http.no_server_error-ccb84f3040  (fuzz/test_queries.py::t)
!!!!!!!!!!!! xdist.dsession.Interrupted: stopping after 1 failures !!!!!!!!!!!!!
"""


def _fake_run(tmp_path, monkeypatch, code: int, output: str, as_is: bool = False, seen: dict | None = None):
    def fake(command, cwd, env, stdout, stderr, timeout):
        stdout.write(output)
        if seen is not None:
            seen.update(env)
        return subprocess.CompletedProcess(command, code)

    monkeypatch.setattr(time_to_detect.subprocess, "run", fake)
    args = argparse.Namespace(paths=[], profile="ci", workers=2, pytest_args=[], timeout=60, as_is=as_is)
    return time_to_detect.run("query", 1, args, tmp_path / "run")


def test_an_interrupted_run_whose_table_names_a_new_finding_is_a_detection(tmp_path, monkeypatch):
    seconds, detected, prop = _fake_run(tmp_path, monkeypatch, 2, TABLE)
    assert detected and prop == "http.no_server_error"


def test_known_findings_only_or_a_green_run_is_a_miss(tmp_path, monkeypatch):
    assert not _fake_run(tmp_path, monkeypatch, 1, TABLE.replace(" NEW ", " known "))[1]
    assert not _fake_run(tmp_path, monkeypatch, 0, "")[1]


def test_runs_write_the_bytecode_cache_unless_asked_to_keep_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    seen: dict = {}
    _fake_run(tmp_path, monkeypatch, 0, "", seen=seen)
    assert "PYTHONDONTWRITEBYTECODE" not in seen
    seen.clear()
    _fake_run(tmp_path, monkeypatch, 0, "", as_is=True, seen=seen)
    assert seen["PYTHONDONTWRITEBYTECODE"] == "1"
