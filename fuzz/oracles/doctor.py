"""Oracles for the doctor: its verdict equals the specification's, monotonicity, no crashes.

Each ``check_*`` returns :class:`fuzz.findings.Finding` s. Findings carry the facts
ledger signatures match on: ``command``, ``check`` (the doctor's result id),
``condition`` (the spec condition ids involved, comma-separated), ``direction``
(``missed_block``, ``missed_warning``, ``spurious_block``, ``spurious_warning``,
``unreported``, ``exit_code``, ``release_ready``, ``crash``, ``non_monotone``),
``observed_title`` (the doctor's title for that result), ``matrix_problems`` (kinds of
matrix defects the model saw), ``secret_weakness`` (why the spec finds the configured secret
weak: ``missing``, ``blank``, ``short``, ``placeholder``, ``low_variety``; empty when it is
acceptable; ``placeholder`` and ``low_variety`` are only given to secrets of 32+ characters)
and ``via`` (api or cli).
"""

from __future__ import annotations

import json

from targets.doctor import DoctorRun
from fuzz.oracles.doctor_spec import (
    BLOCK, CONDITIONS, MODE_INDEPENDENT, WARN, DoctorInput, Verdict, effective, matrix_problems,
)
from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged

#: Which doctor result reports each spec condition (the doctor's vocabulary, not its logic).
CHECK_OF = {
    "debug": "security.debug_mode",
    "secret_key": "security.secret_key",
    "cors.wildcard_credentials": "security.cors", "cors.wildcard": "security.cors",
    "studio.exposed_without_auth": "security.studio_exposure", "studio.exposed_with_auth": "security.studio_exposure",
    "mcp.no_auth": "security.mcp_exposure",
    "mcp.unscoped": "security.mcp_hardening", "mcp.no_ttl": "security.mcp_hardening",
    "mcp.no_audience": "security.mcp_hardening", "mcp.tenant_unbound": "security.mcp_hardening",
    "mcp.ttl_long": "security.mcp_hardening",
    "cookie.insecure": "security.cookies",
    "admin.rate_limit_off": "security.rate_limits",
    "tenancy.no_rls": "security.rls",
    "ai.fields_writable": "security.ai_field_defaults",
    "matrix.missing_required": "security.matrix", "matrix.missing_optional": "security.matrix",
    "matrix.invalid_required": "security.matrix", "matrix.invalid_optional": "security.matrix",
    "matrix.incomplete_enforced": "security.matrix",
}
assert set(CHECK_OF) == set(CONDITIONS)
CHECKS = sorted(set(CHECK_OF.values()))
_CLASS = {"block": BLOCK, "fail": BLOCK, "warn": WARN, "pass": "pass"}


def reproducer(inp: DoctorInput, command: str, via: str = "api") -> str:
    """A runnable Python snippet replaying one configuration through the doctor."""
    runner = "run_cli" if via == "cli" else "run_in_process"
    return (
        "from strategies.doctor import DoctorInput\n"
        f"from targets.doctor import {runner}\n"
        f"inp = DoctorInput(env={dict(inp.env)!r}, configure={dict(inp.configure)!r},\n"
        f"                  matrix_text={inp.matrix_text!r}, matrix_placement={inp.matrix_placement!r})\n"
        f"print({runner}(inp, {command!r}))\n"
    )


def matrix_problem_kinds(inp: DoctorInput) -> str:
    if inp.matrix_text is None or inp.matrix_placement == "dangling":
        return ""
    kinds = set()
    for problem in matrix_problems(inp.matrix_text):
        if "references unknown" in problem:
            kinds.add("dangling")
        elif "duplicate" in problem:
            kinds.add("duplicate")
        elif "is not one of" in problem:
            kinds.add("enum")
        elif "non-empty string" in problem:
            kinds.add("blank_or_type")
        elif problem.startswith(("missing", )) or " lacks " in problem:
            kinds.add("missing_key")
        elif problem in ("not YAML", "top level is not a mapping"):
            kinds.add("not_a_mapping")
        else:
            kinds.add("type")
    return ",".join(sorted(kinds))


def _finding(prop, message, inp, run, *, check="", conditions=(), direction, expected=None, observed=None):
    facts = {
        "command": run.command, "check": check, "condition": ",".join(sorted(conditions)) or "none",
        "direction": direction, "via": run.via,
        "observed_title": (run.titles or {}).get(check, ""),
        "matrix_problems": matrix_problem_kinds(inp), "error": run.error or "",
        "secret_weakness": effective(inp).secret_weakness or "",
    }
    return Finding(prop, message, observed=observed, expected=expected, facts=facts,
                   reproducer=reproducer(inp, run.command, run.via))


def check_verdict_matches_spec(inp: DoctorInput, run: DoctorRun, expected: Verdict) -> list[Finding]:
    """The doctor's per-check verdict, exit code and release_ready equal the specification's.

    production-check (with or without --release): a check with a blocking condition reports
    ``block`` or ``fail``; a check with only warning conditions reports ``warn``; any other check
    ``pass``. security-check (reading R10): every condition is reported as a non-pass result,
    ``block`` appears only for the matrix conditions AKSARA_REQUIRE_SECURITY_MATRIX makes blocking.
    The exit code and release_ready are compared when every check agrees (a disagreeing check
    already explains a wrong exit code). Runs that crashed are left to :func:`check_never_crashes`.
    """
    if run.error or run.config_rejected or run.exit_code is None:
        return []
    judged(catalog.DOCTOR_VERDICT_MATCHES_SPEC)
    prop = catalog.DOCTOR_VERDICT_MATCHES_SPEC
    findings = []
    by_check: dict[str, set[str]] = {c: set() for c in CHECKS}
    for cond in expected.conditions:
        by_check[CHECK_OF[cond]].add(cond)
    for check in CHECKS:
        held = by_check[check]
        observed = run.statuses.get(check, "missing")
        blocking = {c for c in held if CONDITIONS[c].kind == BLOCK}
        warnings = held - blocking
        direction = None
        if run.command == "security-check":
            hard = blocking & MODE_INDEPENDENT
            if hard and observed != "block":
                direction, conds = "missed_block", hard
            elif not hard and observed == "block":
                direction, conds = "spurious_block", held
            elif blocking and observed not in ("warn", "fail", "block"):
                direction, conds = "unreported", blocking
        else:
            want = BLOCK if blocking else WARN if warnings else "pass"
            got = _CLASS.get(observed, observed)
            if want != got:
                conds = blocking or warnings
                if want == BLOCK:
                    direction = "missed_block"
                elif got == BLOCK:
                    direction = "spurious_block"
                elif want == WARN:
                    direction = "missed_warning"
                else:
                    direction = "spurious_warning"
        if direction:
            findings.append(_finding(
                prop, f"{run.command}: {check} is {observed!r} but the spec's conditions are {sorted(held) or 'none'}",
                inp, run, check=check, conditions=conds, direction=direction,
                expected=sorted(held), observed=observed))
    # A disagreeing check explains a wrong exit code only when the doctor's own statuses imply that
    # exit code (R15); an exit code its own statuses contradict is a fault of its own, judged too.
    implied = _implied_exit_code(run)
    explained = bool(findings) and (implied is None or implied == run.exit_code)
    if run.exit_code != expected.exit_code and not explained:
        findings.append(_finding(prop, f"{run.command} exited {run.exit_code}, spec expects {expected.exit_code}",
                                 inp, run, conditions=expected.conditions, direction="exit_code",
                                 expected=expected.exit_code, observed=run.exit_code))
    elif run.command != "security-check" and run.release_ready != expected.release_ready and (
            run.exit_code == expected.exit_code or run.release_ready != _implied_release_ready(run)):
        findings.append(_finding(prop, f"release_ready is {run.release_ready}, spec expects {expected.release_ready}",
                                 inp, run, conditions=expected.conditions, direction="release_ready",
                                 expected=expected.release_ready, observed=run.release_ready))
    return findings


def _implied_exit_code(run: DoctorRun) -> int | None:
    """The exit code R15 gives for the doctor's own per-check statuses (None for security-check)."""
    if run.command == "security-check" or not set(run.statuses.values()) <= {"pass", "warn", "fail", "block", "skip"}:
        return None  # no documented aggregation to hold the exit code to
    failing = ("block", "fail", "warn") if run.command.endswith("--release") else ("block", "fail")
    return int(any(status in failing for status in run.statuses.values()))


def _implied_release_ready(run: DoctorRun) -> bool | None:
    """R15: release_ready is "exit code 0" under --release, else null."""
    return (run.exit_code == 0) if run.command.endswith("--release") else None


def check_never_crashes(inp: DoctorInput, run: DoctorRun) -> list[Finding]:
    """The doctor gives a diagnosis for every configuration: no exception, no traceback, a JSON
    report from the CLI and exit code 0 or 1 (reading R17: a configuration Aksara refuses to load
    is still diagnosed, never answered with a traceback)."""
    judged(catalog.DOCTOR_NEVER_CRASHES)
    if run.error:
        return [_finding(catalog.DOCTOR_NEVER_CRASHES, f"{run.command} ({run.via}) crashed: {run.error}", inp, run,
                         direction="crash", observed=run.error)]
    if run.exit_code not in (0, 1, None):
        return [_finding(catalog.DOCTOR_NEVER_CRASHES, f"{run.command} exited {run.exit_code}", inp, run,
                         direction="crash", observed=run.exit_code)]
    return []


def check_monotone(inp: DoctorInput, weakened: DoctorInput, weakening: str, before: DoctorRun,
                   after: DoctorRun) -> list[Finding]:
    """Making one setting less secure never turns a failing verdict into a passing one.

    Compared on the exit code of the same command; a check that reported block/fail before
    the weakening and pass after it is named in the finding.
    """
    if before.exit_code != 1 or before.error or after.error:
        return []
    judged(catalog.DOCTOR_MONOTONE)
    if after.exit_code != 0:
        return []
    relieved = sorted(c for c, s in before.statuses.items()
                      if s in ("block", "fail") and after.statuses.get(c) in ("warn", "pass"))
    finding = Finding(
        catalog.DOCTOR_MONOTONE,
        f"{before.command}: weakening {weakening!r} turned exit 1 into exit 0 (checks relieved: {relieved})",
        observed={"before": before.statuses, "after": after.statuses}, expected="exit code stays 1",
        facts={"command": before.command, "weakening": weakening, "check": ",".join(relieved) or "none",
               "direction": "non_monotone", "via": before.via,
               "observed_title": ",".join((before.titles or {}).get(c, "") for c in relieved),
               "matrix_problems": matrix_problem_kinds(inp)},
        reproducer=reproducer(inp, before.command, before.via) + "# then the weakened configuration:\n"
        + reproducer(weakened, after.command, after.via),
    )
    return [finding]


def describe(inp: DoctorInput) -> str:
    return json.dumps(inp.describe(), default=repr)
