"""Schemathesis cases as replay inputs: a case as JSON, and the cases of a scenario run again.

A fuzzing-phase finding stores its one case, a stateful one every case of its scenario so far;
:func:`case_steps` rebuilds them on the current target's OpenAPI document and judges the last one
with every Schemathesis and suite check (:meth:`fuzz.openapi.runner.OpenApiRunner.judge`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from fuzz.findings import Finding

if TYPE_CHECKING:
    from targets.client import LiveTarget

CASE_PARTS = ("path_parameters", "headers", "cookies", "query", "body", "media_type")


def case_data(case: Any) -> dict[str, Any]:
    """What a Schemathesis case sends, as plain data."""
    from schemathesis.core import NotSet

    data: dict[str, Any] = {"operation": case.operation.label}
    for part in CASE_PARTS:
        value = getattr(case, part, None)
        if value is None or isinstance(value, NotSet):
            continue
        data[part] = dict(value) if part in ("path_parameters", "headers", "cookies", "query") else value
    return data


def _renamed(value: Any, renamed: dict[str, str]) -> Any:
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, list):
        return [_renamed(v, renamed) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, renamed) for k, v in value.items()}
    return value


def case_steps(live: LiveTarget, principal: str, steps: Sequence[dict[str, Any]], phase: str = "fuzzing",
               created: Sequence[str | None] = ()) -> list[Finding]:
    """The scenario's cases again from the seed; the findings of the last one.

    ``created`` holds the ids the original run's responses created: later cases naming one get the
    id the same step created now.
    """
    from fuzz.openapi.runner import OpenApiRunner

    runner = OpenApiRunner(live)
    operations = {operation.label: operation for operation in runner.operations}
    live.reset()
    renamed: dict[str, str] = {}
    findings: list[Finding] = []
    clean = True
    try:
        for index, step in enumerate(steps):
            operation = operations.get(step["operation"])
            if operation is None:
                return []  # the operation is gone from the document: nothing of it to judge
            parts = {k: _renamed(v, renamed) for k, v in step.items() if k in CASE_PARTS}
            case = operation.Case(**parts)
            findings = runner.judge(principal, case, clean_before=clean, phase=phase, record=False)
            clean = clean and not live.changes()
            new_id = created_id(runner.last_exchange)
            original = created[index] if index < len(created) else None
            if original and new_id:
                renamed[original] = new_id
    finally:
        live.reset()
    return findings


def created_id(exchange: Any) -> str | None:
    """The id a successful create answered with, if any."""
    if exchange is None or exchange.status != 201:
        return None
    data = exchange.response_json()
    return str(data["id"]) if isinstance(data, dict) and data.get("id") else None
