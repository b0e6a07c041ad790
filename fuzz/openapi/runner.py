"""Run Schemathesis cases against the live target as one principal and turn failures into findings.

:class:`OpenApiRunner` loads the target's generated OpenAPI document over the live
app (``GET`` of its OpenAPI route, in process), builds a Schemathesis schema with
NUL bytes allowed and every check enabled, and for each case: resets the target
(fuzzing phase), sends the case through :func:`fuzz.openapi.transport.send_case`,
records the exchange for the suite's checks (:mod:`fuzz.openapi.checks`) and runs
Schemathesis' validation with all checks. Every failure becomes a
:class:`fuzz.findings.Finding` — the suite's oracles keep their own property ids
(so the defect ledger recognises known defects), Schemathesis' own checks are
``openapi.<check name>`` — with facts for ledger signatures (principal kind,
operation, generation mode, query shape).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fuzz import catalog
from fuzz.findings import Finding, with_facts, with_replay
from fuzz.judging import judged
from fuzz.openapi.facts import body_facts
from fuzz.oracles.context import OracleContext
from fuzz.oracles.http import check_health_after
from fuzz.query_shape import query_shape
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget

OPENAPI_PATHS = ("/openapi.json",)
# Schemathesis failures that only restate "the status was 5xx": the suite's http.no_server_error owns them
STATUS_ONLY_FAILURES = frozenset({"ServerError", "UndefinedStatusCode"})


class OpenApiUnavailable(RuntimeError):
    """The target serves no OpenAPI document the suite can load."""


def openapi_path(info: TargetInfo) -> str:
    for path in info.public_paths:
        if path.endswith("openapi.json"):
            return path
    return OPENAPI_PATHS[0]


def schemathesis_config() -> Any:
    """Schemathesis configuration: positive and negative data, NUL bytes, every check on."""
    from schemathesis import Config

    return Config.from_dict({
        "generation": {"mode": "all", "allow-x00": True},
        "phases": {"stateful": {"enabled": True}},
    })


def load_schema(live: LiveTarget) -> Any:
    import schemathesis

    exchange = live.request("anonymous", "GET", openapi_path(live.info))
    document = exchange.response_json()
    if exchange.status != 200 or not isinstance(document, dict):
        raise OpenApiUnavailable(f"GET {openapi_path(live.info)} answered {exchange.status}, not an OpenAPI document")
    return schemathesis.openapi.from_dict(document, config=schemathesis_config())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_name(failure: Any) -> str:
    checks = getattr(type(failure), "checks", ()) or ()
    return checks[0] if checks else _snake(type(failure).__name__)


def failure_findings(failure: Any, exchange: Exchange) -> list[Finding]:
    """One Schemathesis failure as findings (the suite oracles' own, or ``openapi.<check>``)."""
    from fuzz.openapi.checks import SuiteOracleFailure

    if isinstance(failure, SuiteOracleFailure):
        return list(failure.findings)
    name = check_name(failure)
    return [Finding(
        f"openapi.{name}",
        f"{exchange.method} {exchange.route or exchange.path} -> {exchange.status}: {failure.title}",
        observed=(failure.message or failure.title)[:2000],
        expected=f"Schemathesis check {name} passes",
        exchanges=(exchange,),
        facts={"check": name, "code": failure.code, "failure": type(failure).__name__, "title": failure.title,
               "route": exchange.route or exchange.path, "status": str(exchange.status)},
    )]


# Schemathesis checks that judge every response; the others judge only some cases (below)
EVERY_RESPONSE_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                         "response_headers_conformance", "response_schema_conformance")
STATEFUL_CHECKS = ("use_after_free", "ensure_resource_availability", "object_level_authorization")


def schemathesis_judged(case: Any, exchange: Exchange, phase: str) -> list[str]:
    """The catalogue ids of the Schemathesis checks that have something to judge in this case.

    Every response is judged for its status, content type, headers and schema; a negative case
    for rejection and a positive one for acceptance; a 405 for its Allow header; a stateful step
    for the resource-lifecycle checks. (``missing_required_header``, ``unsupported_method`` and
    ``ignored_auth`` need cases this runner does not send, so they are judged only when they
    report a violation.)
    """
    names = list(EVERY_RESPONSE_CHECKS)
    mode = case.meta.generation.mode.value if case.meta is not None else None
    if mode == "negative":
        names.append("negative_data_rejection")
    elif mode == "positive":
        names.append("positive_data_acceptance")
    if exchange.status == 405:
        names.append("allow_header_conformance")
    if phase == "stateful":
        names += STATEFUL_CHECKS
    return [catalog.OPENAPI_CHECKS[n] for n in names]


def rest_operation(method: str, route: str) -> str:
    """The viewset operation a route template and method name (create, list, retrieve, update, destroy, action)."""
    method = method.upper()
    parts = [p for p in route.split("/") if p]
    detail = bool(parts) and parts[-1].startswith("{")
    if len(parts) > 2 or (len(parts) == 2 and not detail):
        return "action"
    if detail:
        return {"GET": "retrieve", "PATCH": "update", "PUT": "update", "DELETE": "destroy"}.get(method, method.lower())
    return {"GET": "list", "POST": "create"}.get(method, method.lower())


class OpenApiRunner:
    """Schemathesis cases against one live target; each call judges one case."""

    def __init__(self, live: LiveTarget, context: OracleContext | None = None):
        from fuzz.openapi import checks

        self.live = live
        self.last_exchange: Exchange | None = None
        self.context = context or OracleContext(live.info)
        self.schema = load_schema(live)
        from schemathesis.core.result import Ok

        self.operations = [result.ok() for result in self.schema.get_all_operations() if isinstance(result, Ok)]
        checks.BINDING.bind(self.context)

    def cases(self, operation: Any) -> Any:
        """Schemathesis' fuzzing-phase cases for ``operation``: positive and negative data."""
        from hypothesis import strategies as st
        from schemathesis import GenerationMode

        return st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

    def judge(self, principal: str, case: Any, *, recorder: Any = None, clean_before: bool = True,
              phase: str = "fuzzing", record: bool = True) -> list[Finding]:
        """Send ``case`` as ``principal`` and return every finding of every check."""
        from schemathesis.core.failures import FailureGroup

        from fuzz.openapi import checks
        from fuzz.openapi.transport import send_case

        exchange, response = send_case(self.live, principal, case)
        self.last_exchange = exchange
        if recorder is not None:
            recorder.record_response(case_id=case.id, response=response)
        changed = self.live.changes()
        checks.BINDING.context = self.context
        checks.BINDING.record(case.id, checks.CaseRecord(exchange, changed, clean_before))
        findings: list[Finding] = []
        judged(*schemathesis_judged(case, exchange, phase))
        try:
            case.validate_response(response, recorder=recorder)
        except FailureGroup as group:
            failures = list(group.exceptions)
            suite_caught_5xx = any(isinstance(f, checks.SuiteOracleFailure)
                                   and any(x.property_id == catalog.HTTP_NO_SERVER_ERROR for x in f.findings)
                                   for f in failures)
            for failure in failures:
                if suite_caught_5xx and type(failure).__name__ in STATUS_ONLY_FAILURES:
                    continue  # the same 5xx, already a finding of the suite's own oracle
                findings += failure_findings(failure, exchange)
        if exchange.status >= 500:
            findings += check_health_after(self.live.healthy(), exchange)
        findings = with_facts(findings, **self.facts(principal, case, exchange, phase))
        if record and findings:
            from fuzz.openapi.replay import case_data

            findings = with_replay(findings, "openapi", "case_steps", principal=principal, steps=(case_data(case),),
                                   phase=phase)
        return findings

    def facts(self, principal: str, case: Any, exchange: Exchange, phase: str) -> dict[str, str]:
        facts = {
            "principal_kind": self.live.info.principal(principal).kind,
            "openapi_operation": case.operation.label,
            "operation": rest_operation(case.method, case.path),
            "phase": phase,
            "mode": case.meta.generation.mode.value if case.meta is not None else "explicit",
        }
        resource = self.live.info.resource_at(case.path)
        if resource is not None:
            facts["resource"] = resource.name
            try:
                facts["query_shape"] = query_shape(resource, exchange.query).strip()
            except ValueError:  # a value query_shape cannot classify (e.g. a page number after a \x1d)
                facts["query_shape"] = "unclassified"
            if exchange.method in ("POST", "PUT", "PATCH"):
                facts.update(body_facts(resource, exchange.body))
        return facts


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
            self._clean = True
            self._steps: list[dict] = []
            self._created: list[str | None] = []

        def call(self, case: Any, **kwargs: Any) -> Any:
            from fuzz.openapi.replay import case_data, created_id

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
