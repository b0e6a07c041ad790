"""Artifacts: a finding is written with cURL, seed and a replay test that reproduces it."""

from __future__ import annotations

import json

import pytest

from fuzz.artifacts import write_artifact
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_no_server_error
from fuzz.replay import NotReplayable, StillReproduces, load_finding, replay_artifact
from tests.support.planted import raising_route, started_planted


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"), raising_route, "artifacts") as live:
        yield live


def test_artifact_holds_the_finding_curl_seed_and_replay_file(planted, tmp_path):
    [finding] = check_no_server_error(planted.request("user_a", "GET", "/planted/raise"), OracleContext(planted.info))
    directory = write_artifact(tmp_path, finding, "fuzz/test_x.py::test_y",
                               "You can reproduce ... @reproduce_failure('6.1', b'AAE=') ... "
                               "@reproduce_failure('6.1', b'AAE=')")
    data = json.loads((directory / "finding.json").read_text())
    assert data["property"] == "http.no_server_error" and data["exchanges"][0]["status"] == 500
    assert "curl -sS -X GET" in (directory / "requests.sh").read_text()
    assert (directory / "hypothesis.txt").read_text().count("@reproduce_failure") == 1
    replay_files = list(directory.glob("test_replay_*.py"))
    assert len(replay_files) == 1 and "replay_artifact" in replay_files[0].read_text()
    assert load_finding(directory).exchanges[0].path == "/planted/raise"


def test_replay_reproduces_on_the_faulty_app_and_passes_on_a_correct_one(planted, live_target, tmp_path):
    [finding] = check_no_server_error(planted.request("user_a", "GET", "/planted/raise"), OracleContext(planted.info))
    directory = write_artifact(tmp_path, finding, "n/a")
    with pytest.raises(StillReproduces):
        replay_artifact(directory, planted)
    # The reference app has no such route: a 404 there means the defect is gone.
    replay_artifact(directory, live_target)


def test_a_finding_without_a_replayable_input_fails_its_replay_with_the_reason(live_target, tmp_path):
    """Prose reproducers are not executed: a finding needs a stored input (or an exchange oracle)."""
    from fuzz.findings import Finding

    unknown = Finding("doctor.x", "m", reproducer="assert 1 + 1 == 2")
    with pytest.raises(NotReplayable, match="no replayer is registered"):
        replay_artifact(write_artifact(tmp_path, unknown, "n/a"), live_target)
    without_input = Finding("doctor.never_crashes", "m2", reproducer="assert 1 + 1 == 2")
    with pytest.raises(NotReplayable, match="stores no input"):
        replay_artifact(write_artifact(tmp_path, without_input, "n/a"), live_target)
