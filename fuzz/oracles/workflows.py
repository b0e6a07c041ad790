"""Oracle for ``aksara.workflows.DurableStep`` ("Persist workflow step results so successful work is not
repeated"; its module docstring gives the re-entry rules):

- ``workflows.step_once``: a step that completed never runs its body again unless forced, and every later call
  returns its stored result; concurrent callers of a step run its body once when it succeeds (the others get the
  result or ``ConcurrentStepError``); a failed step runs again when called again; a returned value comes back as
  its JSON round trip; and the state table holds, per step, what the calls left (completed with the last
  successful result, or failed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from strategies.workflows import StepCall, StepProgram

CONCURRENT = "ConcurrentStepError"
BODY_FAILED = "StepBodyFailed"


@dataclass(frozen=True)
class CallResult:
    """What one call (all of its concurrent callers) did: how often the body ran, what each caller got."""

    runs: int
    answers: tuple[Any, ...]  # a returned value, or {"raised": exception type name}
    crash: Mapping[str, str] = field(default_factory=dict)  # crash facts of an exception no rule names


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _raised(answer: Any) -> str | None:
    return answer.get("raised") if isinstance(answer, dict) and set(answer) == {"raised"} else None


def check_step_once(program: StepProgram, results: Sequence[CallResult],
                    table: Mapping[str, tuple[str, Any]]) -> list[Finding]:
    """The calls and the state table against the re-entry rules (one model state per step)."""
    pid = catalog.WORKFLOWS_STEP_ONCE
    judged(pid)
    state: dict[str, tuple[str, Any]] = {}
    findings: list[Finding] = []

    def finding(index: int, call: StepCall, problem: str, message: str, observed: Any, expected: Any,
                **facts: str) -> None:
        findings.append(Finding(pid, f"call {index} ({call.step}, callers {call.callers}, force {call.force}): "
                                     f"{message}", observed=observed, expected=expected,
                                facts={"problem": problem, "step": call.step, "callers": str(call.callers),
                                       "force": str(call.force).lower(), "fails": str(call.fails).lower(),
                                       **facts}))

    for index, (call, got) in enumerate(zip(program.calls, results)):
        before = state.get(call.step)
        if got.crash:
            finding(index, call, "raised", f"a caller got {got.crash.get('exception')}", got.crash.get("exception"),
                    "a result, the body's error or ConcurrentStepError", **got.crash)
            return findings
        cached = before is not None and before[0] == "completed" and not call.force
        if cached:
            if got.runs:
                finding(index, call, "ran_again", f"a completed step ran its body {got.runs} more time(s)",
                        got.runs, 0)
            for answer in got.answers:
                if answer != before[1]:
                    finding(index, call, "wrong_result", "a completed step returned another value than its stored "
                            "result", answer, before[1])
            continue
        value = _json(call.value)
        if not call.fails and got.runs != 1 and not call.force:
            finding(index, call, "double_execution" if got.runs > 1 else "not_run",
                    f"the body ran {got.runs} times for {call.callers} caller(s)", got.runs, 1)
        if call.fails and not 1 <= got.runs <= call.callers:
            finding(index, call, "not_run", f"a failing body ran {got.runs} times", got.runs, f"1..{call.callers}")
        allowed = {CONCURRENT, BODY_FAILED} if call.fails else {CONCURRENT}
        for answer in got.answers:
            kind = _raised(answer)
            if kind is not None and kind not in allowed:
                finding(index, call, "wrong_exception", f"a caller got {kind}", kind, sorted(allowed))
            elif kind is None and (call.fails or answer != value):
                finding(index, call, "wrong_result", "a caller got a value the body did not return", answer,
                        "the body's error" if call.fails else value)
        if call.force or not call.fails:
            state[call.step] = ("failed", None) if call.fails else ("completed", value)
        elif got.runs:
            state[call.step] = ("failed", None)
    for step, want in sorted(state.items()):
        have = table.get(step)
        if have is None or have[0] != want[0] or (want[0] == "completed" and have[1] != want[1]):
            findings.append(Finding(pid, f"the state table holds {have} for step {step}, the calls left {want}",
                                    observed=have, expected=want, facts={"problem": "state_differs", "step": step}))
    return findings
