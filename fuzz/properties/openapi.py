"""The OpenAPI area's binding: Schemathesis cases sent through the live target and judged by every check.

Schemathesis (the ``openapi`` extra) is imported here at module level: import this module only
after :func:`strategies.openapi.schemathesis_missing` said it is there.

Transport: a case is serialised exactly as Schemathesis' own ``requests`` transport would
(``requests.Request(...).prepare()``), then sent in process with
:meth:`targets.client.LiveTarget.request` as one principal, so the transcript is an
ordinary :class:`targets.transcript.Exchange` (replayable, cURL-able) and the principal's
credentials come from its :class:`targets.base.PrincipalSpec` headers.

Checks: the suite's oracles (:mod:`fuzz.oracles.openapi`) are registered as ordinary
Schemathesis checks ``(ctx, response, case)``, so every case Schemathesis generates (fuzzing
and stateful phases) drives them. They need what a plain HTTP response does not carry — the
principal, the exchange as sent, which tables changed — so the runner binds the oracle context
and records each case's :class:`fuzz.oracles.openapi.CaseRecord` in :data:`BINDING` before
validating; a case with no recorded exchange (e.g. a check run outside this suite) is not
judged. A violation raises :class:`SuiteOracleFailure`, carrying the suite's own findings.

:class:`OpenApiRunner` judges one case: reset (fuzzing phase), send, record, run
Schemathesis' validation with all checks; every failure becomes a
:class:`fuzz.findings.Finding` — the suite's oracles keep their own property ids (so the
defect ledger recognises known defects), Schemathesis' own checks are ``openapi.<check
name>`` — with facts for ledger signatures (principal kind, operation, generation mode,
query shape). :func:`stateful_machine` runs Schemathesis' stateful phase through it, and
:func:`case_steps` replays a stored case or scenario.
"""

from __future__ import annotations

import contextlib
import http.client
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence
from urllib.parse import unquote_plus, urlsplit

import schemathesis
from schemathesis.core.failures import Failure, FailureGroup

from fuzz import catalog
from fuzz.findings import Finding, NewFinding, with_facts, with_replay
from fuzz.judging import judged
from fuzz.oracles import openapi as oracles
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_health_after
from fuzz.oracles.openapi import CaseRecord
from fuzz.query_shape import query_shape
from strategies.openapi import case_data, case_from_data, load_schema, operations
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

BASE_URL = "http://testserver"
# headers Schemathesis' transport adds on its own; the live client sets what it needs
DROPPED_HEADERS = frozenset({
    "user-agent", "accept-encoding", "connection", "content-length", "x-schemathesis-testcaseid",
})
REQUEST_ARGS = ("method", "url", "headers", "files", "data", "params", "auth", "cookies", "json")


# --- transport ---------------------------------------------------------------------------------------------

def prepare(case: Any) -> Any:
    """The ``requests.PreparedRequest`` Schemathesis would send for ``case``."""
    import requests

    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    return requests.Request(**{k: v for k, v in kwargs.items() if k in REQUEST_ARGS}).prepare()


def split_query(raw: str) -> tuple[tuple[str, str], ...]:
    """Query pairs of an encoded query string, in order, blanks kept."""
    pairs = []
    for piece in raw.split("&") if raw else ():
        key, _, value = piece.partition("=")
        pairs.append((unquote_plus(key, errors="surrogatepass"), unquote_plus(value, errors="surrogatepass")))
    return tuple(pairs)


def request_headers(prepared: Any, principal_headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    own = {name.lower() for name, _ in principal_headers}
    kept = []
    for name, value in prepared.headers.items():
        lowered = name.lower()
        if lowered in DROPPED_HEADERS or lowered in own or (lowered == "accept" and value == "*/*"):
            continue
        kept.append((name, value))
    return kept


def send_case(live: LiveTarget, principal: str, case: Any) -> tuple[Exchange, Any]:
    """Send ``case`` as ``principal``; return the exchange and a Schemathesis ``Response``."""
    prepared = prepare(case)
    url = urlsplit(prepared.url)
    body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
    exchange = live.request(
        principal, prepared.method, url.path, query=split_query(url.query), content=body,
        headers=request_headers(prepared, live.headers_for(principal)), route=case.path,
    )
    return exchange, to_response(exchange, prepared)


def to_response(exchange: Exchange, prepared: Any) -> Any:
    """The exchange's response as Schemathesis sees responses."""
    from schemathesis import Response

    headers: dict[str, list[str]] = {}
    for name, value in exchange.response_headers:
        headers.setdefault(name.lower(), []).append(value)
    return Response(
        status_code=exchange.status,
        headers=headers,
        content=exchange.response_text.encode("utf-8", "surrogatepass"),
        request=prepared,
        elapsed=exchange.elapsed_ms / 1000,
        verify=True,
        message=http.client.responses.get(exchange.status, ""),
        encoding="utf-8",
    )


# --- the suite's oracles as Schemathesis checks --------------------------------------------------------------

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


SUITE_CHECKS = {
    "aksara_no_server_error": oracles.no_server_error,
    "aksara_error_envelope": oracles.error_envelope,
    "aksara_no_leak": oracles.no_leak,
    "aksara_safe_method_no_write": oracles.safe_method_no_write,
    "aksara_tenant_isolation": oracles.tenant_isolation,
    "aksara_state_integrity": oracles.state_integrity,
    "aksara_denied_fields": oracles.denied_fields,
}
REGISTERED_CHECKS = {name: _suite_check(name, judge) for name, judge in SUITE_CHECKS.items()}
SUITE_CHECK_NAMES = tuple(SUITE_CHECKS)


def failure_findings(failure: Any, exchange: Exchange) -> list[Finding]:
    """One Schemathesis failure as findings (the suite oracles' own, or ``openapi.<check>``)."""
    if isinstance(failure, SuiteOracleFailure):
        return list(failure.findings)
    return oracles.schemathesis_failure_findings(failure, exchange)


# --- the runner ---------------------------------------------------------------------------------------------

class OpenApiRunner:
    """Schemathesis cases against one live target; each call judges one case."""

    def __init__(self, live: LiveTarget, context: OracleContext | None = None):
        self.live = live
        self.last_exchange: Exchange | None = None
        self.context = context or OracleContext(live.info)
        self.schema = load_schema(live)
        self.operations = operations(self.schema)
        self.created_deleted: set[str] = set()  # ids of soft-deleting rows a create answered already deleted
        self.deleted: dict[str, set[str]] = {}  # table -> ids a DELETE removed in this scenario (any route)
        BINDING.bind(self.context)

    def new_scenario(self) -> None:
        """Forget the rows the previous scenario deleted (the target is back at its seed)."""
        self.deleted = {}

    def judge(self, principal: str, case: Any, *, recorder: Any = None, clean_before: bool = True,
              phase: str = "fuzzing", record: bool = True) -> list[Finding]:
        """Send ``case`` as ``principal`` and return every finding of every check."""
        exchange, response = send_case(self.live, principal, case)
        self.last_exchange = exchange
        self._note_created_deleted(case, exchange)
        self._note_deleted(case, exchange)
        if recorder is not None:
            recorder.record_response(case_id=case.id, response=response)
        changed = self.live.changes()
        BINDING.context = self.context
        BINDING.record(case.id, CaseRecord(exchange, changed, clean_before))
        findings: list[Finding] = []
        judged(*oracles.schemathesis_judged(case, exchange, phase))
        try:
            case.validate_response(response, recorder=recorder)
        except FailureGroup as group:
            failures = list(group.exceptions)
            suite_caught_5xx = any(isinstance(f, SuiteOracleFailure)
                                   and any(x.property_id == catalog.HTTP_NO_SERVER_ERROR for x in f.findings)
                                   for f in failures)
            for failure in failures:
                if suite_caught_5xx and type(failure).__name__ in oracles.STATUS_ONLY_FAILURES:
                    continue  # the same 5xx, already a finding of the suite's own oracle
                if type(failure).__name__ == "EnsureResourceAvailability" and self._deleted_elsewhere(case):
                    # the check's premise is "no DELETE removed it"; it sees DELETEs on this route only, and
                    # the row was deleted through another route serving the same table (two viewsets, one model)
                    continue
                findings += failure_findings(failure, exchange)
        if exchange.status >= 500:
            findings += check_health_after(self.live.healthy(), exchange)
        findings = with_facts(findings, **self.facts(principal, case, exchange, phase))
        if record and findings:
            findings = with_replay(findings, "openapi", "case_steps", principal=principal, steps=(case_data(case),),
                                   phase=phase)
        return findings

    def _note_created_deleted(self, case: Any, exchange: Exchange) -> None:
        """Remember a soft-deleting row that its create answered with a deletion mark (a hidden row)."""
        resource = self.live.info.resource_at(case.path)
        created = created_id(exchange)
        if resource is None or not resource.soft_delete or created is None:
            return
        data = exchange.response_json()
        if isinstance(data, dict) and data.get("deleted_at") is not None:
            self.created_deleted.add(created)

    def _note_deleted(self, case: Any, exchange: Exchange) -> None:
        """Remember the row a successful DELETE removed, by table (another route may serve the same table)."""
        resource = self.live.info.resource_at(case.path)
        if resource is None or exchange.method != "DELETE" or not 200 <= exchange.status < 300:
            return
        self.deleted.setdefault(resource.table, set()).update(str(v) for v in (case.path_parameters or {}).values())

    def _deleted_elsewhere(self, case: Any) -> bool:
        """Whether the row ``case`` names was deleted in this scenario (through any route on its table)."""
        resource = self.live.info.resource_at(case.path)
        gone = self.deleted.get(resource.table, set()) if resource is not None else set()
        return any(str(v) in gone for v in (case.path_parameters or {}).values())

    def facts(self, principal: str, case: Any, exchange: Exchange, phase: str) -> dict[str, str]:
        """Facts for ledger signatures: principal kind, operation, phase, mode, resource, query shape, body,
        and ``subject_state`` ``created_deleted`` when the path names a row its create answered already deleted."""
        facts = {
            "principal_kind": self.live.info.principal(principal).kind,
            "openapi_operation": case.operation.label,
            "operation": oracles.rest_operation(case.method, case.path),
            "phase": phase,
            "mode": case.meta.generation.mode.value if case.meta is not None else "explicit",
        }
        if any(str(value) in self.created_deleted for value in (case.path_parameters or {}).values()):
            facts["subject_state"] = "created_deleted"
        resource = self.live.info.resource_at(case.path)
        if resource is not None:
            facts["resource"] = resource.name
            try:
                facts["query_shape"] = query_shape(resource, exchange.query).strip()
            except ValueError:  # a value query_shape cannot classify (e.g. a page number after a \x1d)
                facts["query_shape"] = "unclassified"
            if exchange.method in ("POST", "PUT", "PATCH"):
                facts.update(oracles.body_facts(resource, exchange.body))
        return facts


def flaky_replay(exc: BaseException) -> bool:
    """``exc`` is Hypothesis failing to replay an example: ``Flaky`` (``FlakyStrategyDefinition`` and the rest),
    or the assertion its data tree raises when a replay draws past where an earlier run of the same choices
    stopped."""
    from hypothesis.errors import Flaky

    if isinstance(exc, Flaky):
        return True
    if not isinstance(exc, AssertionError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__") == "hypothesis.internal.conjecture.datatree"


class StatefulFindings:
    """The stateful phase's ``on_findings``: passes each step's findings to ``judge`` and keeps the last new
    finding it raised, so a failure stays reported when Hypothesis cannot shrink it.

    The steps of a scenario are drawn from the server's earlier answers (a rule is available once a response
    of its source's status code filled its bundle; links copy values out of responses), so when shrinking
    replays a prefix of a failing scenario and one answer differs (a row id, a state the reset does not
    restore, a slow answer), the same choices draw other steps and Hypothesis raises
    ``FlakyStrategyDefinition`` instead of the failure. :meth:`reporting` turns that into the failure
    seen last (the smallest scenario shrinking reached), which carries its own steps for replay.
    """

    def __init__(self, judge: Callable[[list[Finding]], Any]):
        self.judge = judge
        self.last: NewFinding | None = None

    def __call__(self, findings: list[Finding]) -> Any:
        try:
            return self.judge(findings)
        except NewFinding as new:
            self.last = new
            raise

    @contextlib.contextmanager
    def reporting(self) -> Iterator[None]:
        """Run the state machine; a flaky replay after a new finding raises that finding."""
        try:
            yield
        except BaseException as exc:
            if self.last is None or not flaky_replay(exc):
                raise
            found = NewFinding(*self.last.findings)
            found.add_note(f"Hypothesis could not replay the scenario while shrinking ({type(exc).__name__}): "
                           "the steps drawn depend on the server's answers; the last failing scenario is reported")
            raise found from exc


def stateful_machine(runner: OpenApiRunner, principal: str, on_findings: Any) -> Any:
    """Schemathesis' state machine over the inferred links, sending every step as ``principal``.

    Each scenario starts from the seed (reset in ``setup``); the steps of a scenario
    share state, so state integrity is judged only while nothing has changed yet.
    ``on_findings`` receives each step's findings (``fuzz.judging.judge``).
    """
    base = runner.schema.as_state_machine()

    class SuiteStateMachine(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            runner.live.reset()
            runner.new_scenario()
            self._clean = True
            self._steps: list[dict] = []
            self._created: list[str | None] = []

        def call(self, case: Any, **kwargs: Any) -> Any:
            self._steps.append(case_data(case))
            findings = runner.judge(principal, case, recorder=self.recorder, clean_before=self._clean,
                                    phase="stateful", record=False)
            self._created.append(created_id(runner.last_exchange))
            findings = with_replay(findings, "openapi", "case_steps", principal=principal, steps=tuple(self._steps),
                                   phase="stateful", created=tuple(self._created))
            self._clean = self._clean and not runner.live.changes()
            on_findings(findings)
            return self.recorder.find_response(case_id=case.id)

        def after_call(self, response: Any, case: Any) -> None:
            pass  # judge() has recorded the response

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            pass  # judge() has validated it with every check

        def teardown(self) -> None:
            runner.live.reset()

    SuiteStateMachine.__name__ = f"OpenApiStateMachine_{principal}"
    return SuiteStateMachine


# --- replay -------------------------------------------------------------------------------------------------

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
    runner = OpenApiRunner(live)
    by_label = {operation.label: operation for operation in runner.operations}
    live.reset()
    runner.new_scenario()
    renamed: dict[str, str] = {}
    findings: list[Finding] = []
    clean = True
    try:
        for index, step in enumerate(steps):
            operation = by_label.get(step["operation"])
            if operation is None:
                return []  # the operation is gone from the document: nothing of it to judge
            case = case_from_data(operation, {k: _renamed(v, renamed) for k, v in step.items()})
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
