"""Replay a finding artifact: re-run the property's input against the current Aksara with the same oracle.

A finding stores the input of the property that found it (``Finding.replay``, written by
:func:`fuzz.findings.replayable` / :func:`fuzz.findings.with_replay`): the hostile request, the query
property call, the write sequence, the authz machine's steps, the MCP call, the token case, the doctor
configuration, the migration history, the Schemathesis cases, the tasks machine's trace. :data:`REPLAYERS`
maps every property id to the replayer that re-executes such an input on the installed Aksara (and a fresh target where one is
needed) and returns the findings of the property's own oracles.

:func:`replay_artifact` then decides, for the artifact's own property:

- a violation with the same cause (the same signature facts) -> :class:`StillReproduces` (the test fails);
- only violations with another cause: fails too, unless every one is a known defect of the ledger
  (then the recorded cause is gone and the test passes, naming the known ones);
- no violation -> the test passes.

A finding that stores no input (an artifact written before inputs were stored) falls back to the
property's exchange oracle when it has one; any other raises :class:`NotReplayable` with the reason,
so a replay never passes without having tested anything.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from fuzz.artifacts import read_finding
from fuzz.findings import Finding, with_facts
from fuzz.inputs import decode
from fuzz.oracles.context import OracleContext
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

Replayer = Callable[[Finding, "ReplayEnv"], list[Finding]]

#: Facts that describe a run rather than the cause (timings, exception text with addresses).
#: ``mode`` is how Schemathesis generated a case (a rebuilt case has none), not what it caused.
VOLATILE_FACTS = frozenset({"message", "error", "body", "elapsed_ms", "peak_bytes", "mode"})


class StillReproduces(AssertionError):
    """The replayed finding still violates its property."""


class NotReplayable(AssertionError):
    """The artifact cannot be replayed (says why): never a silent pass."""


# -- loading ------------------------------------------------------------------------------------

def load_finding(directory: Path) -> Finding:
    """The finding of an artifact directory."""
    return read_finding(directory)


class ReplayEnv:
    """What a replayer may use, started only when asked for: the live target (the one the finding names),
    PostgreSQL, a context."""

    def __init__(self, source: Any, target: str | None = None):
        self._request = source if hasattr(source, "getfixturevalue") else None
        self._live = None if self._request is not None else source
        self.target = target

    @property
    def live(self) -> LiveTarget:
        if self._live is None:
            self._live = self._request.getfixturevalue("live_targets")(self.target)
        return self._live

    @property
    def pg_server(self) -> Any:
        if self._request is None:
            raise NotReplayable("this replay needs PostgreSQL itself: pass the replay test's pytest request")
        return self._request.getfixturevalue("pg_server")

    @property
    def context(self) -> OracleContext:
        return OracleContext(self.live.info)


def _input(finding: Finding) -> tuple[str, dict[str, Any]]:
    stored = finding.replay or {}
    if stored.get("unstorable"):
        raise NotReplayable(f"[{finding.property_id}] the input of this finding could not be stored "
                            f"({stored['unstorable']}); reproduce it with the seed in hypothesis.txt")
    return stored["call"], decode(stored.get("args", {}))


# -- replayers, one per area --------------------------------------------------------------------

def replay_http(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The hostile request again, judged by every generic oracle (fuzz/properties/http.py)."""
    from fuzz.properties.http import check_hostile_request
    from strategies.http import known_ids

    call, args = _input(finding)
    if call == "raised_in_route":  # an app of its own, no target
        from fuzz.properties.http import raised_in_route

        return raised_in_route(**args)
    live = env.live
    live.reset()
    if call == "check_public_route":
        from fuzz.properties.http import check_public_route

        return check_public_route(live, env.context, **args)
    return check_hostile_request(live, env.context, known_ids(live), args["req"])


def replay_queries(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The query property's call again (filters, partition, pivot, ordering, page walk, taint, side channel)."""
    from fuzz.properties import queries as props

    call, args = _input(finding)
    live = env.live
    live.reset()
    world = props.QueryWorld.build(live)
    resource = live.info.resource(args.pop("resource"))
    findings = getattr(props, call)(world, resource=resource, **args)
    live.reset()
    return props.with_example_facts(world, args["principal"], resource, findings)


def replay_ai_query(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The query plan again, judged against the query area's model (fuzz/properties/ai_query.py)."""
    from fuzz.properties import ai_query as props
    from fuzz.properties.queries import QueryWorld

    call, args = _input(finding)
    live = env.live
    live.reset()
    world = QueryWorld.build(live)
    resource = live.info.resource(args.pop("resource"))
    try:
        return getattr(props, call)(world, resource=resource, **args)
    finally:
        live.reset()


def replay_writes(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The whole write sequence again from the seed, the last write judged, or the bulk create again
    (fuzz/properties/writes.py ``write_steps`` / ``run_bulk_case``)."""
    from fuzz.properties import writes as props

    call, args = _input(finding)
    return getattr(props, call)(env.live, env.context, **args)


def replay_authz(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The authz machine's steps (or the route-inventory call) again, judged like the machine does."""
    from fuzz.properties import authz as props

    call, args = _input(finding)
    live = env.live
    live.reset()
    try:
        return getattr(props, call)(live, **args)
    finally:
        live.reset()


def replay_tokens(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The token case again against the installed verifier, scope deciders or approval manager."""
    from fuzz.properties import tokens as props

    call, args = _input(finding)
    return getattr(props, call)(**args)


def replay_security(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The permission, principal or claims case again against the installed Aksara (in process)."""
    from fuzz.properties import security as props

    call, args = _input(finding)
    return getattr(props, call)(**args)


def replay_mcp(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The MCP call again through ``/mcp/`` of a fresh target, with every reply oracle."""
    from fuzz.properties import mcp as props
    from strategies.http import known_ids

    call, args = _input(finding)
    live = env.live
    if call == "credential_case" and not hasattr(live.target, "mint_agent_token"):
        raise NotReplayable(f"[{finding.property_id}] the target has no mint_agent_token(claims): "
                            "the minted credential cannot be signed again")
    live.reset()
    world = props.build_world(live, known_ids(live))
    try:
        return getattr(props, call)(world, **args)
    finally:
        live.reset()


def replay_doctor(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The configuration through the installed doctor again, judged against the spec model."""
    from fuzz.properties import doctor as props

    call, args = _input(finding)
    return getattr(props, call)(**args)


def _on_lab(finding: Finding, props: Any, lab: Any) -> list[Finding]:
    """``props.<call>(lab, **args)`` of the finding's stored input, on a lab of its own (its database beside a
    running lab's), closed afterwards."""
    call, args = _input(finding)
    try:
        return getattr(props, call)(lab, **args)
    finally:
        lab.close()


def replay_migrations(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The model history (or ``RunSQL`` spelling) through the installed migration code on PostgreSQL."""
    from fuzz.properties import migrations as props
    from fuzz.properties.migrations_lab import MigrationLab

    return _on_lab(finding, props, MigrationLab.on_server(env.pg_server, f"fuzz_migrations_replay_{os.getpid()}"))


def replay_tasks(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The tasks machine's trace again on a fresh workers app and queue (fuzz/properties/tasks.py)."""
    from fuzz.properties import tasks as props
    from targets.workers.lab import WorkersLab

    return _on_lab(finding, props, WorkersLab(env.pg_server, database="replay"))


def replay_openapi(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The Schemathesis case (or stateful scenario) again, with every Schemathesis and suite check."""
    from strategies.openapi import schemathesis_missing

    missing = schemathesis_missing()
    if missing:
        raise NotReplayable(f"[{finding.property_id}] {missing}")
    from fuzz.properties import openapi as props

    call, args = _input(finding)
    return getattr(props, call)(env.live, **args)


def _replay_resource_call(props: Any, finding: Finding, env: ReplayEnv) -> list[Finding]:
    """``props.<call>`` again from the stored seed, its resource-named arguments resolved on the live target."""
    call, args = _input(finding)
    live = env.live
    for key in ("resource", "sibling"):
        if key in args:
            args[key] = live.info.resource(args[key])
    try:
        return getattr(props, call)(live, env.context, **args)
    finally:
        live.reset()


def replay_serializers(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The serializer write (or parity pair) again from the seed (fuzz/properties/serializers.py)."""
    from fuzz.properties import serializers

    return _replay_resource_call(serializers, finding, env)


def replay_soft_delete(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The deletes and the trash listing again from the seed (fuzz/properties/soft_delete.py)."""
    from fuzz.properties import soft_delete

    return _replay_resource_call(soft_delete, finding, env)


def replay_studio(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The console call (or stream scenario) again on a fresh target state, with the same oracle; a property that
    builds an app of its own (``mounted_as_configured``) needs no target."""
    from fuzz.properties import streams, studio

    call, args = _input(finding)
    fn = getattr(studio if hasattr(studio, call) else streams, call)
    if "live" not in inspect.signature(fn).parameters:
        return fn(**args)
    live = env.live
    live.reset()
    try:
        with studio.scratch_cwd():
            return fn(live, **args)
    finally:
        live.reset()


def replay_lifecycle(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The app's start, requests and stop again, on a scratch database of its own (fuzz/properties/lifecycle.py)."""
    from fuzz.properties import lifecycle as props

    return _on_lab(finding, props, props.LifecycleLab(env.pg_server, f"fuzz_lifecycle_replay_{os.getpid()}"))


def replay_workflows(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The workflow's step calls again, on a scratch database of its own (fuzz/properties/workflows.py)."""
    from fuzz.properties import workflows as props

    return _on_lab(finding, props, props.WorkflowLab(env.pg_server, f"fuzz_workflows_replay_{os.getpid()}"))


def replay_middleware(finding: Finding, env: ReplayEnv) -> list[Finding]:
    """The list request again without and with its context headers (fuzz/properties/middleware.py)."""
    from fuzz.properties.middleware import check_context_request

    _, args = _input(finding)
    env.live.reset()
    return check_context_request(env.live, env.context, args["req"])


AREAS: dict[str, Replayer] = {
    "http": replay_http,
    "robustness": replay_http,  # the http area's inputs, stored before it had one name in every layer
    "queries": replay_queries,
    "ai_query": replay_ai_query,
    "writes": replay_writes,
    "authz": replay_authz,
    "tokens": replay_tokens,
    "security": replay_security,
    "mcp": replay_mcp,
    "doctor": replay_doctor,
    "migrations": replay_migrations,
    "openapi": replay_openapi,
    "tasks": replay_tasks,
    "serializers": replay_serializers,
    "lifecycle": replay_lifecycle,
    "workflows": replay_workflows,
    "soft_delete": replay_soft_delete,
    "studio": replay_studio,
    "streams": replay_studio,
    "middleware": replay_middleware,
}


# -- findings without a stored input --------------------------------------------------------------

def replay_exchanges(live: LiveTarget, finding: Finding) -> list[Exchange]:
    live.reset()
    replayed = [live.replay(original) for original in finding.exchanges]
    for original, again in zip(finding.exchanges, replayed):
        print(f"original: {original.one_line()}\nreplayed: {again.one_line()}\n  {again.response_text[:300]}")
    return replayed


def exchange_oracle(property_id: str) -> Replayer:
    """Re-send the recorded exchanges and apply the property's exchange oracle to each."""
    def replay(finding: Finding, env: ReplayEnv) -> list[Finding]:
        from fuzz.oracles.registry import load_all

        if not finding.exchanges:
            raise NotReplayable(f"[{property_id}] the artifact stores neither an input nor an exchange")
        live = env.live
        replayed = replay_exchanges(live, finding)
        live.reset()
        oracle = load_all()[property_id]
        found = [f for exchange in replayed for f in oracle(exchange, env.context)]
        # the property's context facts (principal kind, query shape, ...) as recorded; the oracle's own win
        return with_facts(found, **finding.facts)

    return replay


def no_stored_input(property_id: str) -> Replayer:
    def replay(finding: Finding, env: ReplayEnv) -> list[Finding]:
        raise NotReplayable(
            f"[{property_id}] this artifact stores no input (finding.json has no 'replay': it was written "
            "before inputs were stored); re-run its property with the seed or blob in hypothesis.txt")

    return replay


def by_input(property_id: str, fallback: Replayer | None = None) -> Replayer:
    """The replayer of the area that produced the finding's input (a generic oracle's finding may come
    from any area), or ``fallback`` for a finding without an input."""
    fallback = fallback or no_stored_input(property_id)

    def replay(finding: Finding, env: ReplayEnv) -> list[Finding]:
        if finding.replay:
            area = finding.replay.get("area")
            if area not in AREAS:
                raise NotReplayable(f"[{property_id}] no replayer for inputs of area {area!r}")
            return AREAS[area](finding, env)
        return fallback(finding, env)

    replay.__name__ = f"replay_{property_id.replace('.', '_')}"
    return replay


# -- the registry: every property id -> its replayer -------------------------------------------------

_EXCHANGE_ORACLE_PROPERTIES = ("http.no_server_error", "http.error_envelope", "http.no_leak", "http.responds_in_time",
                               "writes.denied_field_exactness", "tenancy.isolation")
PROPERTY_IDS = (
    # generic HTTP oracles (any area's request) and the robustness property's example counter
    "http.no_server_error", "http.error_envelope", "http.no_leak", "http.safe_method_no_write",
    "http.health_after", "http.responds_in_time", "http.robustness",
    "query.filter_differential", "query.partition", "query.pivot", "query.ordering", "query.page_walk",
    "query.injection_taint", "query.hidden_field_side_channel",
    "writes.denied_field_exactness", "writes.round_trip", "writes.state_integrity",
    "writes.stored_row_readable", "writes.bounded_cost", "writes.oversized", "writes.single",
    "writes.sequence_step", "writes.bulk_as_single", "writes.relation_replaced",
    "authz.route_requires_auth", "authz.anonymous_no_write", "authz.cross_tenant_denied",
    "authz.list_own_tenant", "authz.tenant_required", "authz.state_matches_model", "authz.machine",
    "authz.declared_permissions",
    "tokens.agent_token_lifetime", "tokens.verify_raises_valueerror", "tokens.agent_token_integrity",
    "tokens.scope_algebra", "tokens.approval_binding",
    "security.permission_algebra", "security.principal_resolution", "security.mcp_claims",
    "security.matrix_loader", "security.policy_decisions",
    "mcp.credential_algebra", "mcp.no_internal_error", "mcp.jsonrpc_response", "mcp.documented_denial",
    "mcp.output_schema", "mcp.arguments_validated", "mcp.db_change_only_when_allowed",
    "mcp.tools_list_exact", "mcp.tool_schema_valid", "mcp.tenant_isolation", "mcp.hidden_fields",
    "mcp.rest_parity", "mcp.tool_call", "mcp.malformed",
    "doctor.verdict_matches_spec", "doctor.never_crashes", "doctor.monotone",
    "migrations.generation_valid", "migrations.apply_succeeds", "migrations.catalog_matches",
    "migrations.idempotent", "migrations.reverse_restores", "migrations.quoting_holds",
    "migrations.guardrail_blocks", "migrations.round_trip", "migrations.handwritten_round_trip",
    "migrations.executor_converges", "migrations.graph_orders",
    "tasks.provenance", "tasks.exactly_once", "tasks.nothing_lost", "tasks.retry_backoff", "tasks.durable_conflicts",
    "serializers.round_trip_parity", "serializers.patch_keeps_omitted", "serializers.read_only_never_applied",
    "serializers.validation_contract", "serializers.representation_contract",
    "soft_delete.trash_scoped", "soft_delete.delete_is_soft", "ai_query.plan_differential",
    # openapi.<check> for every Schemathesis check (see replayer_for), and the suite's tenant oracle
    "openapi.fuzzing", "openapi.stateful", "tenancy.isolation",
    "studio.console_requires_staff", "studio.cross_origin_refused", "studio.redirect_on_site",
    "studio.session_api_boundary", "studio.no_secret", "studio.mounted_as_configured", "http.exception_mapping", "authz.discovery_exact",
    "lifecycle.pool_released", "lifecycle.fails_fast", "workflows.step_once",
    "streams.own_events", "streams.pool_not_exhausted", "streams.slow_consumer_isolated",
    "middleware.response_headers_well_formed", "middleware.context_not_authority",
    "middleware.log_context_trusted",
)

REPLAYERS: dict[str, Replayer] = {
    pid: by_input(pid, exchange_oracle(pid) if pid in _EXCHANGE_ORACLE_PROPERTIES else None)
    for pid in PROPERTY_IDS
}

#: The catalogue's ``replay`` of a property this module replays (fuzz/catalog.py ``Property.replay``).
DEFAULT_REPLAY = "fuzz.replay.replayer_for"

#: Ids in the suite's sources that name no property, and so have no replayer.
NOT_PROPERTIES = {
    **{c: "a condition of the doctor's spec model (fuzz/oracles/doctor_spec.py): its findings are doctor.*"
       for c in ("mcp.no_audience", "mcp.no_auth", "mcp.no_ttl", "mcp.tenant_unbound", "mcp.ttl_long",
                 "mcp.unscoped", "tenancy.no_rls")},
    "openapi.json": "the OpenAPI document's file name (strategies/openapi.py), not a property",
}


def replayer_for(property_id: str) -> Replayer:
    """The replayer the catalogue declares for the property (a factory called with its id, e.g. the ORM family's),
    else the registered one; ``openapi.<check>`` findings (any Schemathesis check) share the OpenAPI one."""
    from fuzz import catalog

    declared = catalog.PROPERTIES.get(property_id)
    if declared is not None and declared.replay != DEFAULT_REPLAY:
        return catalog.resolve(declared.replay)(property_id)
    if property_id in REPLAYERS:
        return REPLAYERS[property_id]
    if property_id.startswith("openapi."):
        return REPLAYERS["openapi.fuzzing"]
    if property_id in NOT_PROPERTIES:
        raise NotReplayable(f"[{property_id}] is {NOT_PROPERTIES[property_id]}")
    raise NotReplayable(f"[{property_id}] no replayer is registered for this property (fuzz/replay.py REPLAYERS)")


# -- judging the replay ------------------------------------------------------------------------------

def cause(finding: Finding) -> dict[str, str]:
    """The facts that identify a finding's cause (its signature facts without run-specific ones)."""
    facts = {k: str(v) for k, v in finding.facts.items() if k not in VOLATILE_FACTS}
    crash = finding.crash_facts()  # a server error's cause is its crash state, not its message
    facts.update({k: crash[k] for k in ("exception", "crash_frames", "sqlstate", "sql_operation") if crash.get(k)})
    return facts


def _difference(original: Finding, again: Finding) -> str:
    a, b = cause(original), cause(again)
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys) or "none"


def judge(original: Finding, again: list[Finding]) -> str | None:
    """Why the replay fails (the cause is still there, or another unknown one is), or None when it passes."""
    from fuzz.ledger import active_ledger

    same_property = [f for f in again if f.property_id == original.property_id]
    same_cause = [f for f in same_property if cause(f) == cause(original)]
    if same_cause:
        return (f"[{original.property_id}] still reproduces, same cause:\n{same_cause[0].describe()}"
                + _transcript(same_cause[0]))
    ledger = active_ledger()
    unknown = [f for f in same_property if ledger.match(f) is None]
    for f in same_property:
        if f not in unknown:
            print(f"replay: another cause, a known defect ({ledger.match(f).id}): {f.message}")
    if unknown:
        return (f"[{original.property_id}] violated again with a DIFFERENT cause "
                f"(facts that differ: {_difference(original, unknown[0])}):\n{unknown[0].describe()}"
                + _transcript(unknown[0]))
    return None


def _transcript(finding: Finding) -> str:
    lines = []
    if finding.exchanges:
        lines.append("\ntranscript:")
        lines += [f"  {e.one_line()}\n    {e.response_text[:300]}" for e in finding.exchanges[-5:]]
    if finding.reproducer:
        lines.append("\nreproducer:\n" + finding.reproducer)
    return "\n".join(lines)


def replay(finding: Finding, source: Any) -> list[Finding]:
    """Re-run ``finding``'s input on the installed Aksara, on the target it names (fact ``target``; else the
    first of ``--aksara-target``); the findings of the property's oracles, naming that target too."""
    from targets.base import UnknownPrincipal

    target = finding.facts.get("target") or None
    try:
        found = replayer_for(finding.property_id)(finding, ReplayEnv(source, target))
    except UnknownPrincipal as exc:
        raise NotReplayable(f"[{finding.property_id}] {exc} here (installed Aksara {_aksara_version()}), so this "
                            f"replay cannot judge") from None
    return with_facts(found, target=target) if target else found


def _aksara_version() -> str:
    import aksara

    return getattr(aksara, "__version__", "?")


def replay_artifact(directory: Path, source: Any) -> None:
    """Raise :class:`StillReproduces` while the artifact's finding still holds (``source``: the pytest
    ``request`` of the replay test, or a live target)."""
    finding = load_finding(Path(directory))
    on = f" on target {finding.facts['target']}" if finding.facts.get("target") else ""
    say(source, f"replaying [{finding.property_id}]{on} {finding.message}")
    again = replay(finding, source)
    failure = judge(finding, again)
    if failure:
        raise StillReproduces(failure)
    say(source, f"replay: [{finding.property_id}] no longer reproduces"
                + (f" ({len(again)} other finding(s) of other properties)" if again else ""))


def say(source: Any, text: str) -> None:
    """Print past pytest's capture when replaying from a test (the verdict shows on a pass too)."""
    if hasattr(source, "getfixturevalue"):
        with source.getfixturevalue("capsys").disabled():
            print(text)
    else:
        print(text)
