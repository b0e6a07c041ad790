"""Each write oracle catches a planted fault on a real Aksara write path and stays quiet on correct ones."""

from __future__ import annotations

import pytest

from fuzz.oracles import writes as oracle
from fuzz.oracles.context import OracleContext
from fuzz.properties.writes import run_bulk_case, run_write_case
from strategies.writes import BulkCase, WriteCase, known_rows
from strategies.payloads import WriteBody
from tests.support.planted import started_planted
from tests.writes.planted_writes import HANG_PATH, HOG_PATH, LIMITED_PATH, SLOW_PATH, extend, planted_resource


@pytest.fixture(scope="module")
def planted(pg_server, request):
    with started_planted(pg_server, request.config.getoption("target_profile"), extend, "writes") as live:
        yield live


@pytest.fixture(scope="module")
def ctx(planted):
    return OracleContext(planted.info)


@pytest.fixture(scope="module")
def own_ticket(planted):
    """A tenant-A ticket whose nullable fields hold values (so clearing them is visible)."""
    tenant_a = {pk for pk, tenant in known_rows(planted)["Ticket"] if tenant == "A"}
    rows = planted.run(planted.db.fetch_rows("tickets"))
    return next(str(r["id"]) for r in rows if str(r["id"]) in tenant_a and r["body"] and r["amount"] is not None)


def run(live, ctx, principal, operation, document, prefix=None, pk=None, **kw):
    resource = planted_resource(live.info, prefix) if prefix else live.info.resource("Ticket")
    case = WriteCase(principal, "Ticket", operation, WriteBody("valid", document, clean=True), pk=pk)
    return run_write_case(live, ctx, case, resource=resource, **kw).findings


def props(findings, *wanted):
    return [f for f in findings if f.property_id in wanted]


# -- denied-field exactness ------------------------------------------------------------------------

def test_denied_fields_catches_a_path_that_strips_instead_of_rejecting(planted, ctx):
    findings = run(planted, ctx, "user_a", "create", {"title": "t", "reference_code": "RC-1"}, "/planted-strip/tickets")
    found = props(findings, "writes.denied_field_exactness")
    assert [f.facts["problem"] for f in found] == ["accepted_denied"]
    assert found[0].facts["key_kind"] == "policy"
    assert found[0].facts["keys"] == "reference_code"


def test_denied_fields_catches_a_path_that_ignores_nested_fields(planted, ctx):
    body = {"title": "t", "meta": {"a": [{"tenant_id": "b0000000-0000-4000-8000-00000000000b"}]}}
    found = props(run(planted, ctx, "user_a", "create", body, "/planted-toplevel/tickets"), "writes.denied_field_exactness")
    assert [(f.facts["problem"], f.facts["key_kind"]) for f in found] == [("accepted_denied", "nested")]


def test_denied_fields_catches_a_403_naming_the_wrong_fields(planted, ctx):
    # The same nested body on the top-level-only path: denied_fields is empty, or names too little.
    body = {"title": "t", "reference_code": "x", "meta": {"reference_code": 1}}
    exchange = planted.request("user_a", "POST", "/planted-toplevel/tickets/", json_body=body)
    planted.reset()
    expectation = oracle.expected_denials(planted.info.resource("Ticket"), "user", body)
    found = oracle.check_denied_fields(exchange, expectation, clean=True)
    assert exchange.status == 403 and [f.facts["problem"] for f in found] == ["denied_fields_differ"]
    assert found[0].facts["missing"] == "meta.reference_code"


@pytest.mark.parametrize("principal,document", [
    ("user_a", {"title": "t", "reference_code": "x", "meta": {"a": [{"tenant_id": 1}]}}),
    ("agent_write", {"title": "t", "approved": True, "meta": {"reference_code": 1}}),
    ("staff_a", {"title": "t", "meta": {"deep": {"approved": True}}}),  # approved is writable by staff: no denial
    ("user_a", {"title": "t"}),
])
def test_denied_fields_is_quiet_on_aksaras_correct_enforcement(planted, ctx, principal, document):
    findings = run(planted, ctx, principal, "create", document)
    assert props(findings, "writes.denied_field_exactness") == []


# -- round trip -------------------------------------------------------------------------------------

def test_round_trip_catches_a_path_that_stores_something_else(planted, ctx):
    found = props(run(planted, ctx, "user_a", "create", {"title": "Hello World"}, "/planted-mangle/tickets"),
                  "writes.round_trip")
    assert found and found[0].facts["field"] == "title" and found[0].facts["problem"].endswith("_differs")


def test_round_trip_catches_an_update_that_drops_null(planted, ctx, own_ticket):
    # Aksara's own update path (AKSARA-WRITE-003): the oracle must see it.
    found = props(run(planted, ctx, "user_a", "update", {"body": None}, pk=own_ticket), "writes.round_trip")
    assert {f.facts["problem"] for f in found} == {"null_not_stored"}
    # the response, the stored row and a later read each show it: every view is judged
    assert sorted(next(iter(f.observed)) for f in found) == ["read", "response", "stored"]


def test_round_trip_is_quiet_when_null_clears_and_values_round_trip(planted, ctx, own_ticket):
    body = {"body": None, "amount": "12.5", "score": 1.25, "is_urgent": "yes", "priority": "7",
            "external_ref": "ABCDEF00-0000-4000-8000-000000000000", "meta": {"k": [1, 2.0, None]},
            "resolved_at": "2024-01-01T00:00:00"}
    findings = run(planted, ctx, "user_a", "update", body, "/planted-nullok/tickets", pk=own_ticket)
    assert props(findings, "writes.round_trip") == []


# -- state integrity --------------------------------------------------------------------------------

def test_state_integrity_catches_a_path_that_commits_before_failing(planted, ctx):
    findings = run(planted, ctx, "user_a", "create", {"title": "t"}, "/planted-commit/tickets")
    found = props(findings, "writes.state_integrity")
    assert [f.facts["tables"] for f in found] == ["tickets"] and found[0].facts["status"] == "400"


def test_state_integrity_is_quiet_on_rejections_that_write_nothing(planted, ctx, own_ticket):
    quiet = []
    for principal, operation, document, pk in [
        ("user_a", "create", {"title": "t", "reference_code": "x"}, None),       # 403 denied_fields
        ("user_a", "create", {"title": "x" * 500}, None),                         # 422 from the field
        ("user_b", "update", {"title": "other tenant"}, own_ticket),              # 404 (row not visible)
        ("anonymous", "create", {"title": "t"}, None),                            # route-level denial
    ]:
        quiet += props(run(planted, ctx, principal, operation, document, pk=pk), "writes.state_integrity")
    assert quiet == []


def test_state_integrity_sees_a_failure_mid_sequence(planted, ctx):
    # A successful write first (not reset), then a faulty one: only the second is blamed.
    first = run(planted, ctx, "user_a", "create", {"title": "first"}, reset=False)
    second = run(planted, ctx, "user_a", "create", {"title": "second"}, "/planted-commit/tickets", reset=False)
    planted.reset()
    assert props(first, "writes.state_integrity") == []
    assert len(props(second, "writes.state_integrity")) == 1


# -- stored row readable ------------------------------------------------------------------------------

def test_readable_oracle_catches_a_row_that_breaks_later_reads(planted, ctx):
    found = props(run(planted, ctx, "user_a", "create", {"title": "planted-boom"}, "/planted-fragile/tickets"),
                  "writes.stored_row_readable")
    assert len(found) == 1 and found[0].facts["read_route"] == "/planted-fragile/tickets/"


def test_readable_oracle_is_quiet_on_ordinary_rows(planted, ctx):
    assert props(run(planted, ctx, "user_a", "create", {"title": "fine"}, "/planted-fragile/tickets"),
                 "writes.stored_row_readable") == []


# -- bounded cost -----------------------------------------------------------------------------------

def test_bounded_cost_catches_a_write_that_burns_cpu(planted, ctx, monkeypatch):
    monkeypatch.setattr(oracle, "TIME_LIMIT_SECONDS", 0.2)
    found = props(run(planted, ctx, "user_a", "create", {"title": "t"}, SLOW_PATH), "writes.bounded_cost")
    assert [(f.facts["problem"], f.facts["clock"]) for f in found] == [("slow", "cpu")]


def test_bounded_cost_catches_a_write_that_hangs_but_not_a_waiting_one_on_cpu(planted, ctx, monkeypatch):
    monkeypatch.setattr(oracle, "TIME_LIMIT_SECONDS", 0.2)
    assert props(run(planted, ctx, "user_a", "create", {"title": "t"}, HANG_PATH), "writes.bounded_cost") == []
    monkeypatch.setattr(oracle, "WALL_LIMIT_SECONDS", 0.2)
    found = props(run(planted, ctx, "user_a", "create", {"title": "t"}, HANG_PATH), "writes.bounded_cost")
    assert [(f.facts["problem"], f.facts["clock"]) for f in found] == [("slow", "wall")]


def test_bounded_cost_catches_a_memory_hog(planted, ctx):
    found = props(run(planted, ctx, "user_a", "create", {"title": "t"}, HOG_PATH, measure_memory=True),
                  "writes.bounded_cost")
    assert [f.facts["problem"] for f in found] == ["memory"]


def _big(live, ctx, prefix):
    document = {"title": "t", "body": "x" * (2 * 1024 * 1024)}
    case = WriteCase("user_a", "Ticket", "create", WriteBody("oversized", document, clean=True))
    return run_write_case(live, ctx, case, resource=planted_resource(live.info, prefix), measure_memory=True).findings


def test_bounded_cost_catches_an_accepted_oversized_body(planted, ctx):
    # Aksara's REST routes have no body limit (AKSARA-WRITE-007): the oracle must see it.
    found = props(_big(planted, ctx, "/tickets"), "writes.bounded_cost")
    assert [f.facts["problem"] for f in found] == ["oversized_accepted"]


def test_bounded_cost_is_quiet_with_a_body_limit_and_a_quick_write(planted, ctx):
    assert props(_big(planted, ctx, LIMITED_PATH), "writes.bounded_cost") == []
    assert props(run(planted, ctx, "user_a", "create", {"title": "t"}, measure_memory=True), "writes.bounded_cost") == []


def test_bounded_cost_catches_an_accepted_deep_document(planted, ctx):
    from strategies.json_values import deep_bytes

    document_raw = b'{"title": "t", "meta": ' + deep_bytes(100) + b"}"
    body = WriteBody("deep", {"title": "t"}, raw=document_raw, clean=True, depth=101)
    findings = run_write_case(planted, ctx, WriteCase("user_a", "Ticket", "create", body)).findings
    assert [f.facts["problem"] for f in props(findings, "writes.bounded_cost")] == ["deep_accepted"]


# -- bulk create as single creates --------------------------------------------------------------------

def bulk(live, ctx, principal, documents, prefix=None):
    resource = planted_resource(live.info, prefix) if prefix else live.info.resource("Ticket")
    case = BulkCase(principal, "Ticket", tuple(WriteBody("valid", d, clean=True) for d in documents))
    return run_bulk_case(live, ctx, case, resource=resource)


def test_bulk_catches_a_batch_whose_later_items_go_unchecked(planted, ctx):
    findings = bulk(planted, ctx, "user_a", [{"title": "a"}, {"title": "b", "reference_code": "RC-9"}],
                    "/planted-bulkfirst/tickets")
    found = props(findings, "writes.bulk_as_single")
    assert [(f.facts["problem"], f.facts["field"]) for f in found] == [("accepted_denied", "reference_code")]


def test_bulk_catches_a_refused_batch_that_stored_part_of_it(planted, ctx):
    findings = bulk(planted, ctx, "agent_write", [{"title": "a"}, {"title": "b", "approved": True}],
                    "/planted-bulkpiece/tickets")
    found = props(findings, "writes.bulk_as_single")
    assert [f.facts["problem"] for f in found] == ["partial_batch"]
    assert [f.facts["tables"] for f in props(findings, "writes.state_integrity")] == ["tickets"]


@pytest.mark.parametrize("principal,documents", [
    ("user_a", [{"title": "a"}, {"title": "b", "priority": 3}]),                          # 2xx, both stored
    ("user_a", [{"title": "a"}, {"title": "b", "reference_code": "RC"}, {"title": "c", "meta": {"tenant_id": 1}}]),
    ("agent_write", [{"title": "a", "approved": True}, {"title": "b", "approved": False}]),  # one name, twice
    ("user_a", [{"title": "a"}, {"title": "b", "nope": 1}]),                              # 422 extra_forbidden
    ("anonymous", [{"title": "a"}]),                                                      # route-level 403
    ("user_no_tenant", [{"title": "a"}]),                                                 # no tenant to create in
])
def test_bulk_is_quiet_on_the_reference_bulk_create(planted, ctx, principal, documents):
    findings = bulk(planted, ctx, principal, documents)
    assert props(findings, "writes.bulk_as_single", "writes.state_integrity", "http.no_server_error") == []


@pytest.mark.parametrize("principal,documents,named", [
    ("user_a", [{"title": "a"}, {"title": "b", "reference_code": "RC"}], None),       # the real 403: quiet
    ("user_a", [{"title": "a", "tenant_id": "x"}], None),                                 # 422 extra_forbidden
    ("user_a", [{"title": "a"}, {"title": "b", "reference_code": "RC"}], ["reference_code", "approved"]),
])
def test_the_exchange_oracle_judges_a_bulk_body_by_its_items(planted, ctx, principal, documents, named):
    """A list sent to a bulk route expects the union of its items' denied fields (as writes.bulk_as_single
    does); a 403 naming a field no item sent is caught."""
    import dataclasses
    import json as _json

    from fuzz.oracles.writes import check_denied_fields_exchange

    resource = planted.info.resource("Ticket")
    exchange = planted.request(principal, "POST", resource.bulk_create_path, content=_json.dumps(documents).encode(),
                               headers=[("content-type", "application/json")], route=resource.bulk_create_path)
    planted.reset()
    if named is not None:  # planted: the answer names a field that no item sent
        assert exchange.status == 403, exchange.response_text
        body = _json.loads(exchange.response_text)
        body["error"]["message"] = body["error"]["message"].replace("['", "['approved', '", 1)
        exchange = dataclasses.replace(exchange, response_text=_json.dumps(body))
    found = props(check_denied_fields_exchange(exchange, ctx), "writes.denied_field_exactness")
    assert [f.facts["problem"] for f in found] == ([] if named is None else ["denied_fields_differ"])


@pytest.mark.parametrize("principal,path", [("staff_a", "/categories/upsert"), ("user_a", "/tickets/bulk")])
def test_the_reference_actions_refuse_a_body_nested_beyond_the_decoder_as_generated_routes_do(planted, principal, path):
    """The actions that read their body themselves answer a document too deep for the JSON decoder with 400,
    as FastAPI does for a generated route's body: the reference app's own 500 would be a red of the suite."""
    deep = ("[" if path.endswith("bulk") else "") + '{"name": ' + '{"a": ' * 3000 + "1" + "}" * 3001 + \
        ("]" if path.endswith("bulk") else "")
    reply = planted.request(principal, "POST", path, content=deep.encode(), headers={"content-type": "application/json"})
    assert reply.status == 400, (reply.status, reply.crash)


def _nested_denied_item(depth: int) -> WriteBody:
    """A bulk item whose only fault is ``tenant_id`` nested ``depth`` objects deep in its JSON field."""
    raw = b'{"title": "a", "meta": ' + b'{"a": ' * depth + b'{"tenant_id": 1}' + b"}" * depth + b"}"
    value: dict = {"tenant_id": 1}
    for _ in range(depth):
        value = {"a": value}
    return WriteBody("nested_denied", {"title": "a", "meta": value}, raw=raw, clean=True, depth=depth + 3)


@pytest.mark.parametrize("depth,problems", [
    (3, []),  # within the bounds: the batch is refused naming the nested field
    (3000, []),  # beyond the decoder (and the write bounds): a 400 for the depth alone is a refusal, as for a single write
])
def test_bulk_is_quiet_on_a_nested_denied_field_at_any_depth(planted, ctx, depth, problems):
    case = BulkCase("user_a", "Ticket", (_nested_denied_item(depth),))
    findings = run_bulk_case(planted, ctx, case)
    assert [f.facts["problem"] for f in props(findings, "writes.bulk_as_single")] == problems


def test_bulk_within_the_bounds_still_needs_the_denied_fields():
    """The depth bound excuses only a body beyond it: a 400 to a bounded batch whose only fault is a denied field
    is a finding."""
    from targets.transcript import Exchange

    expectation = oracle.Expectation(frozenset({"meta.a.tenant_id"}), frozenset(), frozenset(), frozenset({"title"}))
    refused = Exchange("POST", "/tickets/bulk", status=400, route="/tickets/bulk")
    found = oracle.check_bulk_as_single(refused, [expectation], [True], 0)
    assert [f.facts["problem"] for f in found] == ["rejected_without_denied_fields"]
    assert oracle.check_bulk_as_single(refused, [expectation], [True], 0, within_bounds=False) == []
