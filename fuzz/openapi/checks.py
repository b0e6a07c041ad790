"""The suite's oracles registered as Schemathesis checks.

Each check is an ordinary Schemathesis check ``(ctx, response, case)``, so every case
Schemathesis generates (fuzzing and stateful phases) drives it. The checks need what a
plain HTTP response does not carry — the principal, the exchange as sent, which tables
changed — so the runner binds the live target and records each case's exchange in
:data:`BINDING` before validating; a case with no recorded exchange (e.g. a check run
outside this suite) is not judged. A violation raises :class:`SuiteOracleFailure`,
carrying the suite's own :class:`fuzz.findings.Finding` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import schemathesis
from schemathesis.core.failures import Failure

from fuzz.findings import Finding
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_error_envelope, check_no_leak, check_no_server_error, check_safe_method_no_write
from fuzz.openapi.oracles import check_tenant_isolation, write_oracles
from targets.transcript import Exchange


@dataclass
class CaseRecord:
    """What the runner knows about one sent case."""

    exchange: Exchange
    changed: Sequence[str]
    clean_before: bool


@dataclass
class Binding:
    context: OracleContext | None = None
    cases: dict[str, CaseRecord] = field(default_factory=dict)

    def bind(self, context: OracleContext) -> None:
        self.context, self.cases = context, {}

    def record(self, case_id: str, record: CaseRecord) -> None:
        if len(self.cases) > 10_000:  # a long stateful run: keep memory bounded
            self.cases.clear()
        self.cases[case_id] = record


BINDING = Binding()


class SuiteOracleFailure(Failure):
    """A violation found by one of the suite's oracles."""

    kind_title = "aksara-fuzz oracle"

    def __init__(self, findings: list[Finding], operation: str | None, case_id: str | None):
        super().__init__(operation=operation, title=f"aksara-fuzz: {findings[0].property_id}",
                         message="\n".join(f.describe() for f in findings), case_id=case_id)
        self.findings = findings

    @property
    def _unique_key(self) -> str:
        return "|".join(sorted({f.property_id for f in self.findings}))


def _suite_check(name: str, judge: Callable[[CaseRecord, OracleContext], list[Finding]]) -> Callable:
    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        record = BINDING.cases.get(case.id)
        if record is None or BINDING.context is None:
            return None
        findings = judge(record, BINDING.context)
        if findings:
            raise SuiteOracleFailure(findings, case.operation.label, case.id)
        return None

    check.__name__ = name
    check.__doc__ = judge.__doc__
    return schemathesis.check(check)


def _state_integrity(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """A rejected request changes no table (from a clean start only)."""
    state_integrity, _ = write_oracles()
    if state_integrity is None or not record.clean_before:
        return []
    return state_integrity(record.exchange, record.changed)


def _denied_fields(record: CaseRecord, context: OracleContext) -> list[Finding]:
    """A write naming fields the principal may not write is rejected naming exactly those."""
    _, denied_fields = write_oracles()
    return [] if denied_fields is None else denied_fields(record.exchange, context)


aksara_no_server_error = _suite_check("aksara_no_server_error", lambda r, c: check_no_server_error(r.exchange, c))
aksara_error_envelope = _suite_check("aksara_error_envelope", lambda r, c: check_error_envelope(r.exchange, c))
aksara_no_leak = _suite_check("aksara_no_leak", lambda r, c: check_no_leak(r.exchange, c))
aksara_safe_method_no_write = _suite_check(
    "aksara_safe_method_no_write",  # judged from a clean start only (a scenario's earlier steps change tables)
    lambda r, c: check_safe_method_no_write(r.exchange, r.changed) if r.clean_before else [],
)
aksara_tenant_isolation = _suite_check("aksara_tenant_isolation", lambda r, c: check_tenant_isolation(r.exchange, c))
aksara_state_integrity = _suite_check("aksara_state_integrity", _state_integrity)
aksara_denied_fields = _suite_check("aksara_denied_fields", _denied_fields)

SUITE_CHECK_NAMES = (
    "aksara_no_server_error", "aksara_error_envelope", "aksara_no_leak", "aksara_safe_method_no_write",
    "aksara_tenant_isolation", "aksara_state_integrity", "aksara_denied_fields",
)
