"""The doctor oracles catch planted faults and stay quiet on a correct doctor."""

from __future__ import annotations

import pytest
from aksara.security import checks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.oracles.doctor import check_monotone, check_never_crashes, check_verdict_matches_spec
from targets.doctor import run_cli, run_in_process
from fuzz.oracles.doctor_spec import COMMANDS, DoctorInput, verdict
from strategies.doctor import HARDENED_ENV, WEAKENINGS, doctor_inputs, weakenings
from tests.doctor import corrected_doctor

_fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
MCP_HARDENED = dict(HARDENED_ENV, AKSARA_MCP_ENABLED="true", AKSARA_MULTI_TENANT="true")


def _findings(inp, command="production-check"):
    run = run_in_process(inp, command)
    return check_never_crashes(inp, run) + check_verdict_matches_spec(inp, run, verdict(inp, command))


@pytest.fixture
def corrected(monkeypatch):
    corrected_doctor.install(monkeypatch)


@_fixture_ok
@given(inp=doctor_inputs(), command=st.sampled_from(COMMANDS))
def test_quiet_on_the_corrected_doctor(corrected, inp, command):
    assert _findings(inp, command) == []


@_fixture_ok
@given(inp=doctor_inputs(), weakening=weakenings(), command=st.sampled_from(COMMANDS[1:]))
def test_monotone_quiet_on_the_corrected_doctor(corrected, inp, weakening, command):
    weakened = WEAKENINGS[weakening](inp)
    assert check_monotone(inp, weakened, weakening, run_in_process(inp, command),
                          run_in_process(weakened, command)) == []


def test_catches_a_check_that_ignores_one_condition(corrected, monkeypatch):
    monkeypatch.setattr(checks, "check_cookies", lambda: checks.SecurityCheckResult(
        "security.cookies", "Cookie security", "info", "pass", ""))
    inp = DoctorInput(env=dict(HARDENED_ENV, AKSARA_COOKIE_SECURE="false"))
    findings = _findings(inp)
    assert [(f.facts["check"], f.facts["condition"], f.facts["direction"]) for f in findings] == [
        ("security.cookies", "cookie.insecure", "missed_warning")]
    # the release policy then exits 0 although a warning holds
    release = _findings(inp, "production-check --release")
    assert release and release[0].facts["direction"] == "missed_warning"
    assert _findings(DoctorInput(env=dict(HARDENED_ENV))) == []


def test_catches_a_ttl_parser_that_treats_garbage_as_valid(corrected, monkeypatch):
    monkeypatch.setattr(corrected_doctor, "parse_ttl", lambda raw: None if raw is None else 900)
    findings = _findings(DoctorInput(env=dict(MCP_HARDENED, AKSARA_MCP_TOKEN_TTL_SECONDS="15 minutes")))
    assert [(f.facts["condition"], f.facts["direction"]) for f in findings] == [("mcp.no_ttl", "missed_block")]
    assert _findings(DoctorInput(env=MCP_HARDENED)) == []


def test_catches_a_wrong_exit_policy(corrected, monkeypatch):
    monkeypatch.setattr(checks.SecurityCheckReport, "should_exit_nonzero", property(lambda self: self.has_blocks))
    inp = DoctorInput(env={"AKSARA_SECRET_KEY": "short"})  # secret_key reports "fail", a blocking condition
    findings = _findings(inp)
    assert [f.facts["direction"] for f in findings] == ["exit_code"]


def test_catches_a_spurious_block(corrected, monkeypatch):
    monkeypatch.setattr(checks, "check_rate_limits", lambda: checks.SecurityCheckResult(
        "security.rate_limits", "Rate limiting", "medium", "block", ""))
    findings = _findings(DoctorInput(env=dict(HARDENED_ENV)))
    assert [(f.facts["check"], f.facts["direction"]) for f in findings] == [("security.rate_limits", "spurious_block")]


def test_monotone_catches_a_weakening_that_relieves_a_block(corrected, monkeypatch):
    real = checks.check_debug_mode
    # planted: debug blocks only while cookies are secure
    monkeypatch.setattr(checks, "check_debug_mode", lambda is_production=False: real(
        is_production) if checks.get_setting("cookie_secure", True) else checks.SecurityCheckResult(
        "security.debug_mode", "Debug", "info", "pass", ""))
    inp = DoctorInput(env=dict(HARDENED_ENV, AKSARA_DEBUG="true"), matrix_text=None)
    weakened = WEAKENINGS["cookie_insecure"](inp)
    findings = check_monotone(inp, weakened, "cookie_insecure", run_in_process(inp, "production-check --release"),
                              run_in_process(weakened, "production-check --release"))
    assert findings == []  # release still fails on the cookie warning: no violation
    findings = check_monotone(inp, weakened, "cookie_insecure", run_in_process(inp, "production-check"),
                              run_in_process(weakened, "production-check"))
    assert [f.facts["check"] for f in findings] == ["security.debug_mode"]


def test_never_crashes_catches_an_exception(corrected, monkeypatch):
    def boom():
        raise UnicodeEncodeError("utf-8", "x", 0, 1, "planted")
    monkeypatch.setattr(checks, "check_cookies", boom)
    findings = _findings(DoctorInput(env=dict(HARDENED_ENV)))
    assert [f.property_id for f in findings] == ["doctor.never_crashes"]


def test_never_crashes_catches_a_cli_traceback():
    findings = check_never_crashes(DoctorInput(), run_cli(DoctorInput(env={"AKSARA_ENABLE_STUDIO": "true"}),
                                                          "security-check"))
    assert [f.facts["direction"] for f in findings] == ["crash"]


def test_cli_and_in_process_runs_agree():
    inp = DoctorInput(env=dict(MCP_HARDENED, AKSARA_COOKIE_SECURE="false"), configure={"debug": True},
                      matrix_text="version: 1\n", matrix_placement="cwd")
    for command in COMMANDS:
        api, cli = run_in_process(inp, command), run_cli(inp, command)
        assert cli.error is None
        assert (api.statuses, api.exit_code, api.release_ready) == (cli.statuses, cli.exit_code, cli.release_ready)
