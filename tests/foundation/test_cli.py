"""The suite's command line: bad input is one clear line and a non-zero exit, never a traceback;
``-n 2`` gives each worker its own database cloned from the seeded template."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # every test here runs the suite in a subprocess

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(*args: str, env: dict | None = None, timeout: int = 240, quiet: bool = True) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AKSARA_FUZZ_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", *(["-q"] if quiet else []), "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def _assert_one_line_error(result: subprocess.CompletedProcess, needle: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode not in (0, 1, 5), output
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if needle in line]
    assert len(lines) == 1, output


def test_no_database_is_one_line_and_exit_3():
    result = run_pytest("fuzz/test_http.py", "--pg-provider=dsn")
    _assert_one_line_error(result, "AKSARA_FUZZ_DATABASE_URL is not set")
    assert result.returncode == 3


def test_remote_database_is_refused():
    result = run_pytest("fuzz/test_http.py", "--pg-provider=dsn",
                        env={"AKSARA_FUZZ_DATABASE_URL": "postgresql://u@192.0.2.1/x"})
    _assert_one_line_error(result, "--allow-remote-db")


def test_unknown_profile_is_a_usage_error():
    result = run_pytest("fuzz/test_http.py", "--fuzz-profile=forever")
    _assert_one_line_error(result, "invalid choice")
    assert result.returncode == 4


def test_broken_target_is_one_line():
    result = run_pytest("fuzz/test_http.py", "--aksara-target=no_such_module:factory")
    _assert_one_line_error(result, "cannot import target module")


def test_two_workers_get_their_own_seeded_databases(tmp_path):
    out = tmp_path / "dbs.txt"
    result = run_pytest("-n", "2", "tests/foundation/probes/probe_worker_db.py", env={"PROBE_OUT": str(out)},
                        quiet=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line.split() for line in out.read_text().splitlines()]
    workers = {w: (db, count) for w, db, count in rows}
    assert set(workers) == {"gw0", "gw1"}
    assert workers["gw0"][0] != workers["gw1"][0]
    assert {count for _, count in workers.values()} == {"48"}
    assert "PostgreSQL provider" in result.stdout


def test_target_that_fails_to_start_under_xdist_is_one_line(tmp_path):
    # the target loads on the controller and fails on the workers, in the middle of a test: the worker's line
    # reaches the controller, which ends the run with it (not an xdist internal error)
    result = run_pytest("fuzz/test_http.py", "-n", "2", "--fuzz-profile=dev",
                        "--aksara-target=tests.foundation.probes.broken_start:app",
                        "--report-dir", str(tmp_path / "reports"), "--artifacts-dir", str(tmp_path / "artifacts"))
    _assert_one_line_error(result, "cannot start target")
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert result.returncode == 3
