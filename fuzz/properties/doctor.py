"""Doctor property bodies: one configuration in, findings out (each carrying its input for replay).

The area: :mod:`strategies.doctor` generates configurations, :mod:`targets.doctor` runs the real doctor
(in process or its CLI), :mod:`fuzz.oracles.doctor_spec` is the oracle's executable reading of the Production
Hardening specification and :mod:`fuzz.oracles.doctor` holds the checks.
"""

from __future__ import annotations

from fuzz.oracles.doctor import check_monotone, check_never_crashes, check_verdict_matches_spec
from targets.doctor import run_cli, run_in_process
from fuzz.oracles.doctor_spec import COMMANDS, verdict
from fuzz.findings import Finding, replayable
from strategies.doctor import WEAKENINGS, DoctorInput


@replayable("doctor")
def verdict_case(inp: DoctorInput, via: str = "api") -> list[Finding]:
    """Every doctor command on ``inp`` (in process or the CLI) gives the spec's verdict and never crashes."""
    runner = run_cli if via == "cli" else run_in_process
    findings: list[Finding] = []
    for command in COMMANDS:
        run = runner(inp, command)
        findings += check_never_crashes(inp, run)
        findings += check_verdict_matches_spec(inp, run, verdict(inp, command))
    return findings


@replayable("doctor")
def monotone_case(inp: DoctorInput, weakening: str, command: str) -> list[Finding]:
    """Weakening ``inp`` by ``weakening`` never turns ``command``'s failing verdict into a passing one."""
    weakened = WEAKENINGS[weakening](inp)
    return check_monotone(inp, weakened, weakening, run_in_process(inp, command), run_in_process(weakened, command))


@replayable("doctor")
def unloadable_case(inp: DoctorInput, command: str) -> list[Finding]:
    """The CLI diagnoses a configuration Aksara refuses to load (no crash)."""
    return check_never_crashes(inp, run_cli(inp, command))
