"""Replaying a recorded artifact: ``pytest fuzz/ --replay <artifact>`` against a fresh target."""

from __future__ import annotations

import pytest

from fuzz.artifacts import write_artifact
from fuzz.oracles.http import check_no_server_error
from fuzz.reporting_plugin import replay_test_file
from tests.reporting.support import run_pytest


def record(live_target, oracle_context, tmp_path, principal: str, path: str):
    """An artifact recorded from a real exchange (the finding as the no-5xx oracle would report it)."""
    exchange = live_target.request(principal, "GET", path, route=path)
    findings = check_no_server_error(exchange, oracle_context)
    finding = findings[0] if findings else None
    return exchange, finding


def test_replay_of_a_recorded_artifact_shows_the_transcript_and_fails_while_it_reproduces(
        live_target, oracle_context, tmp_path):
    # AKSARA-READ-001: an AI principal listing tickets gets a 500
    exchange, finding = record(live_target, oracle_context, tmp_path, "agent_read", "/tickets/")
    assert finding is not None, exchange.one_line()
    directory = write_artifact(tmp_path / "artifacts", finding, "fuzz/test_example.py::test_example")
    result = run_pytest("fuzz/", "--replay", str(directory))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "replayed: agent_read: GET /tickets/ -> 500" in output
    assert "still reproduces" in output
    assert "1 failed" in output


def test_replay_passes_once_the_defect_is_gone(live_target, oracle_context, tmp_path):
    """An artifact whose request no longer fails (here: a 500 recorded for a route that answers 200)."""
    from dataclasses import replace

    healthy, _ = record(live_target, oracle_context, tmp_path, "user_a", "/tickets/")
    assert healthy.status == 200
    finding = check_no_server_error(replace(healthy, status=500), oracle_context)[0]
    directory = write_artifact(tmp_path / "artifacts", finding, "fuzz/test_example.py::test_example")
    result = run_pytest("fuzz/", "--replay", str(next(directory.glob("test_replay_*.py"))))  # its own pytest file
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.live
def test_replay_of_something_that_is_not_an_artifact_is_a_usage_error(tmp_path):
    with pytest.raises(pytest.UsageError, match="not a finding artifact"):
        replay_test_file(tmp_path)
    result = run_pytest("fuzz/", "--replay", str(tmp_path))
    assert result.returncode == 4
    assert "not a finding artifact" in result.stderr
