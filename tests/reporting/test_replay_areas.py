"""Every area's replayer re-runs the stored input with the property's own oracle (in process, fast).

Inputs survive JSON; every property id of the suite has a replayer (or is named as no property);
the judge tells the same cause from another one and lets a known defect of another cause pass; and
the HTTP, OpenAPI, MCP and authz replayers reproduce real or planted causes on real Aksara.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from fuzz import replay as replay_module
from strategies.doctor import DoctorInput
from fuzz.findings import Finding
from fuzz.inputs import decode, encode
from fuzz.properties import authz as authz_props
from fuzz.properties.http import check_hostile_request
from strategies.http import HostileRequest, known_ids
from strategies.writes import WriteCase
from fuzz.replay import NOT_PROPERTIES, REPLAYERS, AREAS, ReplayEnv, judge, replay
from strategies.tokens import ApprovalCase, Claim, ClaimsCase, Tamper
from strategies.jsonrpc import RawMessage, ToolArguments
from strategies.models import FieldSpec, ModelSpec, SchemaHistory, SchemaSpec
from strategies.payloads import NO_DOCUMENT, WriteBody
from strategies.raw_sql import RawStatement
from tests.support.planted import started_planted
from tests.support.plants import query as query_plant

ROOT = Path(__file__).resolve().parents[2]


# -- inputs as JSON ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    ClaimsCase(Claim("nonfinite", literal=math.inf), Claim("non_numeric", literal={"t": [1]}), Claim("right"),
               Claim("missing", present=False), ("mcp:read:*", "\ud800"), "string"),
    ApprovalCase("other_tool", Tamper("change_char", 1, 7, "=")),
    DoctorInput(env={"AKSARA_DEBUG": "true"}, configure={"debug": True}, matrix_text="version: 1\n"),
    SchemaHistory((SchemaSpec((ModelSpec("M", "Order Lines", (FieldSpec("x", "Decimal", default=None),)),)),),
                  ("initial",)),
    RawStatement("DROP TABLE", "drop /**/ table x", "DROP TABLE x"),
    WriteCase("user_a", "Ticket", "create", WriteBody("malformed_json", NO_DOCUMENT, raw=b"{\xff", clean=False)),
    WriteCase("user_a", "Ticket", "create", WriteBody("oversized", {"title": "x"}, raw=b"a" * (2 << 20))),
    HostileRequest("agent_read", "Ticket", "\x00", (("a", "b"), ("limit", "NaN"))),
    ToolArguments("wrong_type", {"pk": [1, None]}),
    RawMessage("not_json", b"\x00{"),
])
def test_inputs_survive_json(value):
    import json

    text = json.dumps(encode({"v": value}))
    again = decode(json.loads(text))["v"]
    assert type(again) is type(value)
    assert fields(again) == fields(value)


def fields(value):
    """A dataclass's fields, nested ones too (WriteBody compares by identity)."""
    import dataclasses

    if dataclasses.is_dataclass(value):
        return {f.name: fields(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return repr(value)


@pytest.mark.parametrize("old, value", [
    ("strategies.credentials", ApprovalCase("other_tool", Tamper("change_char", 1, 7, "="))),
    ("fuzz.properties.robustness", HostileRequest("agent_read", "Ticket", "1", (("limit", "NaN"),))),
    ("fuzz.properties.http", HostileRequest("agent_read", "Ticket", "1", (("limit", "NaN"),))),
    ("fuzz.properties.writes", WriteCase("user_a", "Ticket", "create", WriteBody("valid", {"title": "x"}, clean=True))),
])
def test_inputs_stored_under_a_module_name_since_renamed_still_decode(old, value):
    stored = encode(value)
    stored["__type__"] = old + ":" + stored["__type__"].split(":", 1)[1]
    again = decode(stored)
    assert type(again) is type(value) and fields(again) == fields(value)


def test_inputs_of_other_modules_are_not_imported_back():
    from fuzz.inputs import InputError

    with pytest.raises(InputError, match="refusing"):
        decode({"__type__": "os:system", "fields": {}})


# -- the registry ------------------------------------------------------------------------------------

def test_every_property_id_of_the_suite_has_a_replayer():
    """``grep -rhoE '"(area)\\.[a-z_]+"' fuzz`` (as the catalogue will list them): each id is replayed or is no property."""
    areas = "http|query|authz|writes|mcp|tokens|token|doctor|migrations|openapi|tenancy"
    found = set()
    for path in (ROOT / "fuzz").rglob("*.py"):
        if path.name == "replay.py":
            continue
        found |= {m.strip('"') for m in re.findall(rf'"(?:{areas})\.[a-z_]+"', path.read_text(encoding="utf-8"))}
    assert found and found <= set(REPLAYERS) | set(NOT_PROPERTIES), sorted(found - set(REPLAYERS) - set(NOT_PROPERTIES))
    assert not set(REPLAYERS) & set(NOT_PROPERTIES)


def test_a_schemathesis_check_finding_uses_the_openapi_replayer_and_a_non_property_says_what_it_is():
    assert replay_module.replayer_for("openapi.positive_data_acceptance") is REPLAYERS["openapi.fuzzing"]
    with pytest.raises(replay_module.NotReplayable, match="condition of the doctor's spec model"):
        replay_module.replayer_for("mcp.no_ttl")


def test_a_replayer_the_catalogue_declares_is_the_one_used():
    """The ORM family declares its own replayer in the catalogue (a lab of its own); replayer_for returns it."""
    from fuzz import catalog

    declared = [p for p in catalog.PROPERTIES.values() if p.replay != replay_module.DEFAULT_REPLAY]
    assert declared, "no property declares its own replayer"
    for prop in declared:
        assert replay_module.replayer_for(prop.id).__name__ == f"replay_{prop.id.replace('.', '_')}", prop.id


def test_an_unstorable_input_fails_its_replay_with_the_reason():
    from fuzz.findings import with_replay

    deep: list = []
    for _ in range(5000):
        deep = [deep]
    [finding] = with_replay([Finding("writes.bounded_cost", "m")], "writes", "write_steps", steps=(deep,))
    with pytest.raises(replay_module.NotReplayable, match="could not be stored"):
        replay(finding, None)


# -- judging -----------------------------------------------------------------------------------------

def test_the_judge_tells_the_same_cause_from_another_and_passes_known_defects_of_another_cause():
    original = Finding("doctor.verdict_matches_spec", "m", facts={"check": "security.cookies", "direction": "missed_warning",
                                                                  "error": "x"})
    same = Finding("doctor.verdict_matches_spec", "m2", facts={"check": "security.cookies", "direction": "missed_warning",
                                                               "error": "other text"})
    other = Finding("doctor.verdict_matches_spec", "m3", facts={"check": "security.debug_mode",
                                                                "direction": "missed_block"})
    known = Finding("doctor.verdict_matches_spec", "m4", facts={  # AKSARA-DOCTOR-002 of the ledger
        "check": "security.matrix", "condition": "matrix.invalid_optional", "direction": "spurious_block"})
    unrelated = Finding("http.no_server_error", "m5")
    assert "same cause" in judge(original, [unrelated, same])
    message = judge(original, [other])
    assert "DIFFERENT cause" in message and "'security.cookies' -> 'security.debug_mode'" in message
    assert judge(original, [known, unrelated]) is None
    assert judge(original, []) is None


# -- the live replayers --------------------------------------------------------------------------------

def test_http_replay_is_red_with_the_planted_fault_and_green_without(live_target, oracle_context, request,
                                                                          monkeypatch):
    req = HostileRequest("user_a", "Ticket", None, (("title__icontains", "%x"),))
    query_plant.plant(monkeypatch)
    [finding] = [f for f in check_hostile_request(live_target, oracle_context, known_ids(live_target), req)
                 if f.property_id == "http.no_server_error"]
    assert finding.replay["area"] == "http"
    assert "same cause" in judge(finding, replay(finding, request))
    monkeypatch.undo()
    assert judge(finding, replay(finding, request)) is None


def test_a_replay_naming_a_principal_the_target_lacks_says_it_cannot_judge(live_target, oracle_context, request,
                                                                           monkeypatch):
    """An artifact from a release or target that serves a principal this one lacks (0.5.50 has no Studio staff
    session) fails its replay in one line naming the principal, never a KeyError."""
    import dataclasses

    req = HostileRequest("user_a", "Ticket", None, (("title__icontains", "%x"),))
    query_plant.plant(monkeypatch)
    [finding] = [f for f in check_hostile_request(live_target, oracle_context, known_ids(live_target), req)
                 if f.property_id == "http.no_server_error"]
    elsewhere = dataclasses.replace(finding, replay=dict(finding.replay, args=encode(
        {"req": dataclasses.replace(req, principal="nobody")})))
    with pytest.raises(replay_module.NotReplayable, match="serves no principal 'nobody'.*cannot judge"):
        replay(elsewhere, request)


def test_openapi_replay_rebuilds_the_case_and_is_red_then_green(live_target, request, monkeypatch):
    from strategies.openapi import schemathesis_missing

    if schemathesis_missing():
        pytest.skip(schemathesis_missing())
    from fuzz.properties.openapi import OpenApiRunner

    runner = OpenApiRunner(live_target)
    operation = next(o for o in runner.operations if o.method.upper() == "GET" and o.path == "/tickets/")
    query_plant.plant(monkeypatch)
    live_target.reset()
    findings = runner.judge("user_a", operation.Case(query={"title__icontains": "%x"}))
    [finding] = [f for f in findings if f.property_id == "http.no_server_error"]
    assert (finding.replay["area"], finding.replay["call"]) == ("openapi", "case_steps")
    assert "same cause" in judge(finding, replay(finding, request))
    monkeypatch.undo()
    assert judge(finding, replay(finding, request)) is None


def test_mcp_replay_reproduces_a_real_internal_error(live_target, request):
    """AKSARA-MCP-004: ticket tools answer internal_error to AI principals (the same cause on replay)."""
    from fuzz.properties import mcp as props

    live_target.reset()
    world = props.build_world(live_target, known_ids(live_target))
    findings = props.tool_call_case(world, "agent_read", "ticket_list", ToolArguments("valid", {}))
    live_target.reset()
    [finding] = [f for f in findings if f.property_id == "mcp.no_internal_error"]
    assert finding.replay["call"] == "tool_call_case"
    assert "same cause" in judge(finding, replay(finding, request))


def test_route_inventory_replay_reproduces_a_real_validation_before_auth(live_target, request):
    """AKSARA-AUTHZ-001: an anonymous POST /tickets/ is validated (422) before it is refused."""
    findings = authz_props.route_call(live_target, "POST", "/tickets/", {"pk": "x"}, "anonymous")
    [finding] = [f for f in findings if f.property_id == "authz.route_requires_auth"]
    assert "same cause" in judge(finding, replay(finding, request))


def test_authz_machine_replay_runs_the_steps_again_with_the_ids_they_create_now(pg_server, live_target):
    """create as user_a, then user_b reads it: defaults (table owner, no RLS) lets it through, hardened does not."""
    with started_planted(pg_server, "defaults", lambda app: None, "replay_authz") as defaults:
        session = authz_props.TenantSession.start(defaults)
        ticket = defaults.info.resource("Ticket")
        assert session.create(ticket, "user_a", {}) == []
        created = session.steps[-1]["created"]
        findings = session.act(ticket, created, "user_b", "read")
        defaults.reset()
        [finding] = [f for f in findings if f.property_id == "authz.cross_tenant_denied"]
        steps = finding.replay["args"]["steps"]["__tuple__"]
        assert [s["rule"] for s in steps] == ["create", "act"] and steps[1]["row_id"] == created
        again = AREAS["authz"](finding, ReplayEnv(defaults))
        assert "same cause" in judge(finding, again)
    assert judge(finding, AREAS["authz"](finding, ReplayEnv(live_target))) is None  # hardened: forced RLS
